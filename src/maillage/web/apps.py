"""Django application config: roles (groups) and transversal themes created after migrate."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

#: Roles of the staff side: group name → permission codenames of this app.
ROLES: dict[str, list[str]] = {
    "Administrateur": ["*"],
    "Éditeur": [
        "view_study",
        "view_commune",
        "view_service",
        "view_indicator",
        "view_measurement",
        "view_surveyresponse",
        "view_surveyanswer",
        "add_surveyresponse",
        "import_surveyresponse",
        "view_contribution",
        "change_contribution",
        "moderate_contribution",
        "view_theme",
        "add_theme",
        "view_action",
        "add_action",
        "change_action",
        "delete_action",
        "view_actionindicator",
        "add_actionindicator",
        "change_actionindicator",
        "delete_actionindicator",
        "view_actionmilestone",
        "add_actionmilestone",
        "change_actionmilestone",
        "delete_actionmilestone",
        "view_actionfunding",
        "add_actionfunding",
        "change_actionfunding",
        "delete_actionfunding",
        "view_actionchange",
        "view_contributioncomment",
        "change_contributioncomment",
        "view_surveyfamilysetting",
        "change_surveyfamilysetting",
        "add_surveyfamilysetting",
        "view_workshopscenario",
        "add_workshopscenario",
    ],
    "Lecteur": [
        "view_study",
        "view_commune",
        "view_service",
        "view_indicator",
        "view_measurement",
        "view_surveyresponse",
        "view_surveyanswer",
        "view_theme",
        "view_action",
        "view_actionindicator",
        "view_actionmilestone",
        "view_actionfunding",
        "view_actionchange",
        "view_surveyfamilysetting",
        "view_workshopscenario",
    ],
}

#: Transversal themes offered for actions (editable in the admin).
THEMES = [
    "Mobilité et transport à la demande",
    "Inclusion numérique",
    "Itinérance et services mobiles",
    "Information sur les services",
    "Attractivité des professionnels",
    "Saisonnalité",
    "Accessibilité des lieux",
]


def create_roles_and_themes(**kwargs: Any) -> None:
    """Create or update the three roles and the default themes (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    from maillage.web.models import Theme

    permissions = Permission.objects.filter(content_type__app_label="maillage_web")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        chosen = permissions if codenames == ["*"] else permissions.filter(codename__in=codenames)
        extra = Permission.objects.none()
        if codenames == ["*"]:
            extra = Permission.objects.filter(content_type__app_label="auth")
        group.permissions.set(list(chosen) + list(extra))
    for theme in THEMES:
        Theme.objects.get_or_create(name=theme)


class WebConfig(AppConfig):
    """The ``maillage.web`` application."""

    name = "maillage.web"
    label = "maillage_web"
    verbose_name = "Schéma de services"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connect the roles' creation to ``post_migrate``."""
        post_migrate.connect(create_roles_and_themes, sender=self)
