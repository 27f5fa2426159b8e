# ruff: noqa: RUF012 -- Django declares options as mutable class attributes (Meta, admin).
"""Django admin of the web app (staff login at ``/admin/``)."""

from __future__ import annotations

from django.contrib import admin

from maillage.web.login import ThrottledAuthenticationForm
from maillage.web.models import (
    Action,
    ActionIndicator,
    Commune,
    Contribution,
    Indicator,
    Measurement,
    Service,
    Study,
    SurveyAnswer,
    SurveyResponse,
    Theme,
)

#: Contact fields of a contribution, reserved to who may manage personal data.
PERSONAL_FIELDS = ("name", "email", "phone")


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Loaded studies (read only: load them with ``charger_etude``)."""

    list_display = ["territory", "method", "population", "loaded_at"]
    readonly_fields = ["path", "territory", "method", "population", "summary", "fingerprint"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Communes of the territory and its ring."""

    list_display = ["name", "code", "epci_name", "population", "in_territory", "enjeu_class"]
    list_filter = ["in_territory", "epci_name", "enjeu_class"]
    search_fields = ["name", "code"]
    exclude = ["outline"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The directory of services (address and hours can be corrected here)."""

    list_display = ["name", "type_label", "family", "commune", "opening_hours"]
    list_filter = ["family", "source"]
    search_fields = ["name", "commune__name", "address"]
    raw_id_fields = ["commune"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Indicators of the diagnostic."""

    list_display = ["label", "level", "family", "season", "measure"]
    list_filter = ["level", "family", "season"]
    search_fields = ["label", "code"]


admin.site.register(Measurement)


class SurveyAnswerInline(admin.TabularInline):  # type: ignore[type-arg]
    """Answers per family."""

    model = SurveyAnswer
    extra = 0


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Survey responses (anonymous)."""

    list_display = ["pk", "commune", "age_band", "source", "created_at"]
    list_filter = ["source", "age_band"]
    inlines = [SurveyAnswerInline]


@admin.register(Contribution)
class ContributionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Contributions; personal fields only for who may manage personal data."""

    list_display = ["title", "kind", "commune", "status", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "message"]

    def lookup_allowed(self, lookup, value, request=None):  # type: ignore[no-untyped-def]
        """No filter on name, e-mail or telephone for users without the right.

        Otherwise ``?email__startswith=jeanne`` would tell an editor, by the count of
        results, what a contributor's address is.
        """
        field = lookup.split("__", 1)[0]
        if field in PERSONAL_FIELDS and (
            request is None or not request.user.has_perm("maillage_web.manage_personal_data")
        ):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_fields(self, request):  # type: ignore[no-untyped-def]
        """Administrators may search contact details too; editors only the text."""
        if request.user.has_perm("maillage_web.manage_personal_data"):
            return [*self.search_fields, *PERSONAL_FIELDS]
        return self.search_fields

    def get_exclude(self, request, obj=None):  # type: ignore[no-untyped-def]
        """Hide name, e-mail and telephone from users without the right."""
        if request.user.has_perm("maillage_web.manage_personal_data"):
            return []
        return list(PERSONAL_FIELDS)


admin.site.register(Theme)
admin.site.login_form = ThrottledAuthenticationForm


class ActionIndicatorInline(admin.TabularInline):  # type: ignore[type-arg]
    """Indicators of an action."""

    model = ActionIndicator
    extra = 0
    raw_id_fields = ["indicator"]


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Actions of the programme."""

    list_display = ["title", "family", "level", "priority", "year_start", "year_end", "status"]
    list_filter = ["family", "level", "priority", "status", "mutualisation", "public"]
    search_fields = ["title", "porteur", "partners"]
    filter_horizontal = ["themes"]
    inlines = [ActionIndicatorInline]
