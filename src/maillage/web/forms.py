# ruff: noqa: RUF012 -- Django declares options as mutable class attributes (Meta, admin).
"""Forms of the web app (French labels; every free text bounded in length)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.forms.renderers import DjangoTemplates

from maillage.services.typology import FAMILIES
from maillage.web.models import (
    AGE_BANDS,
    DISTANCE_CHOICES,
    FAMILY_CHOICES,
    FAMILY_LABELS,
    SATISFACTION_CHOICES,
    USE_CHOICES,
    Action,
    ActionFunding,
    ActionIndicator,
    ActionMilestone,
    Commune,
    Contribution,
    Indicator,
    SurveyFamilySetting,
    SurveyResponse,
)


class FormRenderer(DjangoTemplates):
    """Every field in its own block, label above the input (checkbox: box then label)."""

    field_template_name = "web/champ.html"


def territory_communes() -> QuerySet[Commune]:
    """The communes of the territory (not the buffer ring), by name."""
    return Commune.objects.filter(in_territory=True).order_by("name")


class CommuneChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A commune chosen by name (the code is the value)."""

    def label_from_instance(self, obj: Any) -> str:
        """The commune's name."""
        return str(obj.name)


class SurveyForm(forms.Form):
    """The anonymous satisfaction survey: residence, age band, then each family."""

    commune = CommuneChoiceField(
        queryset=Commune.objects.none(),
        label="Votre commune de résidence",
        empty_label="— Choisissez votre commune —",
    )
    age_band = forms.ChoiceField(
        label="Votre tranche d'âge", choices=AGE_BANDS, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = territory_communes()  # type: ignore[attr-defined]
        settings_by_family = {s.family: s for s in SurveyFamilySetting.objects.all()}
        self.families = [
            f for f in FAMILIES if f not in settings_by_family or settings_by_family[f].enabled
        ]
        self.extra_questions = {
            f: settings_by_family[f].extra_question
            for f in self.families
            if f in settings_by_family and settings_by_family[f].extra_question
        }
        for family in self.families:
            label = FAMILY_LABELS[family]
            self.fields[f"{family}_use"] = forms.ChoiceField(
                label=f"À quelle fréquence utilisez-vous ces services ({label.lower()}) ?",
                choices=USE_CHOICES,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"{family}_satisfaction"] = forms.TypedChoiceField(
                label="Êtes-vous satisfait de ces services ?",
                choices=SATISFACTION_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"{family}_distance"] = forms.ChoiceField(
                label="Comment trouvez-vous la distance jusqu'à ces services ?",
                choices=DISTANCE_CHOICES,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"{family}_needs"] = forms.CharField(
                label="Des besoins non couverts ? (facultatif)",
                max_length=1000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="1 000 caractères au plus. N'indiquez ni nom ni coordonnées.",
            )
            if family in self.extra_questions:
                self.fields[f"{family}_extra"] = forms.CharField(
                    label=self.extra_questions[family],
                    max_length=1000,
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                    help_text="Facultatif, 1 000 caractères au plus.",
                )

    def family_groups(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """``(family, label, bound fields)`` per family, for one fieldset each."""
        return [
            (
                family,
                FAMILY_LABELS[family],
                [
                    self[f"{family}_{part}"]
                    for part in ("use", "satisfaction", "distance", "needs", "extra")
                    if f"{family}_{part}" in self.fields
                ],
            )
            for family in self.families
        ]

    def answers(self) -> list[dict[str, Any]]:
        """The answered families: ``family, use, satisfaction, distance_felt, unmet_needs``."""
        data = self.cleaned_data
        rows = []
        for family in self.families:
            row = {
                "family": family,
                "use": data.get(f"{family}_use") or "",
                "satisfaction": data.get(f"{family}_satisfaction") or None,
                "distance_felt": data.get(f"{family}_distance") or "",
                "unmet_needs": (data.get(f"{family}_needs") or "").strip(),
                "extra_answer": (data.get(f"{family}_extra") or "").strip(),
            }
            keys = ("use", "satisfaction", "distance_felt", "unmet_needs", "extra_answer")
            if any(row[key] for key in keys):
                rows.append(row)
        return rows

    def clean(self) -> dict[str, Any]:
        """At least one family answered."""
        cleaned = super().clean() or {}
        if not self.errors and not self.answers():
            raise forms.ValidationError(
                "Répondez au moins aux questions d'une famille de services."
            )
        return cleaned


class ContributionForm(forms.ModelForm):  # type: ignore[type-arg]
    """Initiatives, resource persons, wish to take part; consent for personal data."""

    commune = CommuneChoiceField(
        queryset=Commune.objects.none(),
        label="Commune concernée (facultatif)",
        required=False,
        empty_label="— Aucune en particulier —",
    )
    consent = forms.BooleanField(
        label="J'accepte que mes coordonnées soient conservées par l'équipe du schéma pour me "
        "recontacter à propos de cette contribution (au plus 3 ans, effaçables sur demande).",
        required=False,
    )

    class Meta:
        model = Contribution
        fields = ["kind", "title", "message", "commune", "family", "name", "email", "phone"]
        widgets = {
            "kind": forms.RadioSelect,
            "message": forms.Textarea(attrs={"rows": 6}),
        }
        labels = {
            "kind": "Vous souhaitez nous signaler",
            "title": "Titre",
            "message": "Votre message",
            "family": "Famille de services concernée (facultatif)",
            "name": "Votre nom (facultatif)",
            "email": "Votre courriel (facultatif)",
            "phone": "Votre téléphone (facultatif)",
        }
        help_texts = {
            "message": "4 000 caractères au plus. Ce texte peut être publié après modération.",
            "name": "Jamais publié.",
            "email": "Jamais publié ; sert seulement à vous recontacter.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = territory_communes()  # type: ignore[attr-defined]
        self.fields["family"].choices = [("", "— Aucune en particulier —"), *FAMILY_CHOICES]  # type: ignore[attr-defined]
        # A radio group has no empty choice: nothing is checked until the visitor chooses.
        self.fields["kind"].choices = Contribution.KINDS  # type: ignore[attr-defined]
        for name in ("name", "email", "phone"):
            self.fields[name].widget.attrs["autocomplete"] = {
                "name": "name",
                "email": "email",
                "phone": "tel",
            }[name]

    def clean_phone(self) -> str:
        """Digits, spaces, dots, dashes and a leading + only."""
        phone = str(self.cleaned_data.get("phone") or "").strip()
        allowed = set("0123456789 .-+()")
        if phone and (not set(phone) <= allowed or sum(c.isdigit() for c in phone) < 6):
            raise forms.ValidationError("Numéro de téléphone invalide (ex. 04 79 00 00 00).")
        return phone

    def clean(self) -> dict[str, Any]:
        """Personal data only with consent."""
        cleaned = super().clean() or {}
        personal = any(cleaned.get(key) for key in ("name", "email", "phone"))
        if personal and not cleaned.get("consent"):
            self.add_error(
                "consent",
                "Cochez le consentement pour que nous gardions vos coordonnées, ou effacez-les.",
            )
        return cleaned


class CommentForm(forms.Form):
    """A public comment on a published contribution."""

    author = forms.CharField(
        label="Signature (facultatif)",
        max_length=80,
        required=False,
        help_text="Publiée avec le commentaire : un prénom ou un pseudonyme suffit.",
    )
    message = forms.CharField(
        label="Votre commentaire",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="2 000 caractères au plus. N'y mettez ni courriel ni téléphone.",
    )


class AnswerForm(forms.ModelForm):  # type: ignore[type-arg]
    """The team's official answer to a contribution, and the action it became."""

    class Meta:
        model = Contribution
        fields = ["official_answer", "action"]
        widgets = {"official_answer": forms.Textarea(attrs={"rows": 5})}
        labels = {
            "official_answer": "Réponse officielle (publiée sous la contribution)",
            "action": "Devenue l'action (facultatif)",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].queryset = Action.objects.order_by("title")  # type: ignore[attr-defined]
        self.fields["action"].empty_label = "— Aucune —"  # type: ignore[attr-defined]


class MilestoneForm(forms.ModelForm):  # type: ignore[type-arg]
    """A milestone of an action."""

    class Meta:
        model = ActionMilestone
        fields = ["title", "due_on", "done_on"]
        widgets = {
            "due_on": forms.DateInput(attrs={"type": "date"}),
            "done_on": forms.DateInput(attrs={"type": "date"}),
        }


class FundingForm(forms.ModelForm):  # type: ignore[type-arg]
    """A line of an action's financing plan."""

    class Meta:
        model = ActionFunding
        fields = ["funder", "year", "amount_eur"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"] = forms.TypedChoiceField(
            label="Année", choices=_year_choices(), coerce=int
        )


class ModerationForm(forms.Form):
    """Publish or reject a contribution."""

    decision = forms.ChoiceField(
        label="Décision",
        choices=[
            ("publiee", "Publier"),
            ("rejetee", "Rejeter"),
            ("attente", "Remettre en attente"),
        ],
    )
    note = forms.CharField(label="Note de modération", max_length=500, required=False)


def _year_choices() -> list[tuple[int, int]]:
    start = int(settings.MAILLAGE_PROGRAMME_START)
    return [(year, year) for year in range(start, start + 6)]


class ActionForm(forms.ModelForm):  # type: ignore[type-arg]
    """An action of the programme."""

    class Meta:
        model = Action
        fields = [
            "title",
            "description",
            "family",
            "themes",
            "level",
            "objectives",
            "priority",
            "porteur",
            "partners",
            "budget_eur",
            "year_start",
            "year_end",
            "mutualisation",
            "status",
            "progress_percent",
            "public",
        ]
        widgets = {
            "themes": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
            "objectives": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("year_start", "year_end"):
            self.fields[name] = forms.TypedChoiceField(
                label=self.fields[name].label,
                choices=_year_choices(),
                coerce=int,
            )
        self.fields["progress_percent"].required = False

    def clean_progress_percent(self) -> int:
        """0 % when left empty."""
        return int(self.cleaned_data.get("progress_percent") or 0)


class ActionIndicatorForm(forms.ModelForm):  # type: ignore[type-arg]
    """Link an indicator to an action."""

    class Meta:
        model = ActionIndicator
        fields = ["indicator", "target", "note"]
        labels = {"indicator": "Indicateur", "target": "Valeur visée (facultatif)"}

    def __init__(self, *args: Any, indicators: QuerySet[Indicator], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = indicators  # type: ignore[attr-defined]


class SurveyImportForm(forms.Form):
    """Upload paper or LimeSurvey answers (CSV)."""

    source = forms.ChoiceField(
        label="Origine des réponses",
        choices=[c for c in SurveyResponse.SOURCES if c[0] != "web"],
    )
    file = forms.FileField(
        label="Fichier CSV",
        help_text="CSV UTF-8 (ou Windows-1252, UTF-16), séparateur « ; », « , » ou "
        "tabulation, 2 Mo au plus ; colonnes décrites ci-dessous.",
    )

    def clean_file(self) -> Any:
        """Size, extension and content type checked before reading."""
        upload = self.cleaned_data["file"]
        limit = int(settings.MAILLAGE_MAX_UPLOAD_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(
                f"Fichier trop volumineux ({upload.size / 1_048_576:.1f} Mo) : la limite est de "
                f"{limit / 1_048_576:.0f} Mo. Découpez-le en plusieurs fichiers."
            )
        if not str(upload.name).lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(
                "Le fichier doit être un CSV (extension .csv) : exportez-le depuis votre tableur "
                "ou LimeSurvey au format CSV."
            )
        return upload


class DirectoryForm(forms.Form):
    """Search the directory of services."""

    commune = CommuneChoiceField(
        queryset=Commune.objects.none(),
        label="Ma commune",
        required=False,
        empty_label="— Toutes —",
    )
    family = forms.ChoiceField(
        label="Famille de services",
        choices=[("", "— Toutes —"), *FAMILY_CHOICES],
        required=False,
    )
    q = forms.CharField(label="Nom ou type de service", max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = territory_communes()  # type: ignore[attr-defined]


class PersonalDataForm(forms.Form):
    """Find a contributor's data by e-mail (right of access and erasure)."""

    email = forms.EmailField(label="Courriel du contributeur")


class FamilySettingForm(forms.ModelForm):  # type: ignore[type-arg]
    """What the survey asks about one family."""

    class Meta:
        model = SurveyFamilySetting
        fields = ["enabled", "extra_question"]
