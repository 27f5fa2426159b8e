"""``maillage web``: start the web app (concertation, programme, follow-up)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("web")
@click.option("--port", type=int, default=8000, show_default=True, help="Port d'écoute.")
@click.option(
    "--hote",
    default="127.0.0.1",
    show_default=True,
    help="Adresse d'écoute (0.0.0.0 pour le réseau local : ajoutez-la à MAILLAGE_ALLOWED_HOSTS).",
)
@click.option(
    "--etude",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Dossier d'étude (maillage diagnostic --sortie) ; sinon MAILLAGE_ETUDE, sinon le "
    "diagnostic du Pays de Maurienne calculé au premier démarrage.",
)
@click.option(
    "--donnees",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Dossier des données de l'application (base SQLite, clé) ; sinon MAILLAGE_WEB_DATA.",
)
@click.option("--fils", type=int, default=8, show_default=True, help="Fils du serveur.")
def web(port: int, hote: str, etude: Path | None, donnees: Path | None, fils: int) -> None:
    """Lancer l'application web : tableau de bord, annuaire, enquête, contributions, programme."""
    try:
        from maillage.web.server import prepare, serve
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise click.ClickException(
            f"Django est absent ({error}). Correction : pip install 'maillage[web]'."
        ) from error
    prepare(data_dir=donnees, study=etude, echo=click.echo)
    serve(hote, port, threads=fils, echo=click.echo)
