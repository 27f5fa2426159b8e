"""``django-admin purger_donnees``: apply the retention period of contributors' details.

Contact details (name, e-mail, telephone) of contributions received more than
``MAILLAGE_CONSERVATION_ANS`` years ago (3 by default, as promised on the form) are
erased; the anonymous text stays. ``maillage web`` runs it at each start; schedule it
daily on a server (cron: ``15 3 * * * django-admin purger_donnees``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Q
from django.utils import timezone

from maillage.web.models import Contribution


def expired_contributions(years: int) -> Any:
    """Contributions older than ``years`` years that still keep contact details."""
    limit = timezone.now() - timedelta(days=round(365.25 * years))
    return Contribution.objects.filter(created_at__lt=limit).filter(
        ~Q(name="") | ~Q(email="") | ~Q(phone="")
    )


class Command(BaseCommand):
    """Erase contact details kept longer than the retention period."""

    help = (
        "Effacer les coordonnées des contributeurs conservées au-delà de la durée annoncée "
        "(MAILLAGE_CONSERVATION_ANS, 3 ans par défaut) ; le texte anonyme est gardé."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """``--simulation``."""
        parser.add_argument("--simulation", action="store_true", help="Compter sans rien effacer.")

    def handle(self, *args: Any, **options: Any) -> None:
        """Erase and report in French."""
        years = int(settings.MAILLAGE_RETENTION_YEARS)
        expired = expired_contributions(years)
        if options["simulation"]:
            self.stdout.write(
                f"{expired.count()} contribution(s) gardent des coordonnées depuis plus de "
                f"{years} ans (rien n'a été effacé)."
            )
            return
        count = expired.update(name="", email="", phone="", consent=False)
        if count or int(options.get("verbosity", 1)) > 0:
            self.stdout.write(
                f"Coordonnées effacées de {count} contribution(s) reçue(s) il y a plus de "
                f"{years} ans."
            )
