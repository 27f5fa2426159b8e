"""``django-admin charger_etude DOSSIER``: load a study folder (directory and indicators)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage._errors import MaillageError
from maillage.web.loading import load_study


class Command(BaseCommand):
    """Load a study folder written by ``maillage diagnostic --sortie``."""

    help = (
        "Charger un dossier d'étude (maillage diagnostic --sortie) : communes, annuaire des "
        "services, indicateurs ; un dossier recalculé devient une nouvelle mesure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """``dossier`` and ``--forcer``."""
        parser.add_argument("dossier", help="Dossier d'étude.")
        parser.add_argument(
            "--forcer", action="store_true", help="Charger même si rien n'a changé."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Load and report in French."""
        try:
            report = load_study(options["dossier"], force=options["forcer"])
        except MaillageError as error:
            raise CommandError(str(error)) from error
        if report.created:
            self.stdout.write(
                f"Étude chargée : {report.study.territory} ({report.study.method}) — "
                f"{report.communes} communes, {report.services} services, "
                f"{report.indicators} indicateurs."
            )
        else:
            self.stdout.write("Étude déjà chargée (inchangée).")
