"""The ``maillage`` command line (French): a thin layer over the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from maillage import __version__
from maillage.cli.options import (
    fail_on_errors,
    load_graphs,
    load_study,
    network_options,
    parse_thresholds,
    source_options,
    territory_options,
)
from maillage.cli.summary import territory_summary, verification_summary
from maillage.cli.text import print_diagnostic, print_territory, print_verification


@click.group(context_settings={"help_option_names": ["-h", "--aide", "--help"]})
@click.version_option(__version__, "--version", message="maillage %(version)s")
def cli() -> None:
    """maillage : diagnostic et schéma de services à la population.

    Sans option de territoire, les commandes portent sur le Pays de Maurienne (Savoie).
    """


@cli.command("territoire")
@territory_options
@source_options
@click.option("--json", "as_json", is_flag=True, help="Écrire le résumé en JSON.")
@fail_on_errors
def territoire(
    communes: tuple[str, ...],
    epci: tuple[str, ...],
    departements: tuple[str, ...],
    bassins_vie: tuple[str, ...],
    nom: str | None,
    tampon_km: float,
    user_sources: tuple[Path, ...],
    typologie: Path | None,
    as_json: bool,
) -> None:
    """Présenter le territoire : communes, EPCI, population, services par famille et source."""
    territory, typology, extra, services = load_study(
        communes, epci, departements, bassins_vie, nom, tampon_km, user_sources, typologie
    )
    summary = territory_summary(
        territory, services, extra=dict(zip(user_sources, extra, strict=True)), typology=typology
    )
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_territory(summary)


@cli.command("diagnostic")
@territory_options
@source_options
@network_options
@click.option(
    "--sortie",
    type=click.Path(path_type=Path),
    default=Path("etude"),
    show_default=True,
    help="Dossier d'étude où écrire les résultats.",
)
@click.option("--json", "as_json", is_flag=True, help="Écrire le résumé en JSON.")
@fail_on_errors
def diagnostic(
    communes: tuple[str, ...],
    epci: tuple[str, ...],
    departements: tuple[str, ...],
    bassins_vie: tuple[str, ...],
    nom: str | None,
    tampon_km: float,
    user_sources: tuple[Path, ...],
    typologie: Path | None,
    reseau: Path | None,
    fermetures: str | None,
    seuils: str,
    sortie: Path,
    as_json: bool,
) -> None:
    """Établir le diagnostic : temps d'accès, seuils, horaires, saisons, bassins, enjeux."""
    from maillage.indicators.diagnostic import run_diagnostic
    from maillage.outputs.exports import write_exports
    from maillage.outputs.study import diagnostic_summary, write_study

    territory, typology, _, services = load_study(
        communes, epci, departements, bassins_vie, nom, tampon_km, user_sources, typologie
    )
    graph, winter = load_graphs(reseau, fermetures)
    thresholds = parse_thresholds(seuils)
    result = run_diagnostic(
        territory,
        services,
        graph=graph,
        winter_graph=winter,
        typology=typology,
        thresholds_minutes=thresholds,
    )
    folder = write_study(result, sortie)
    write_exports(result, services, folder)
    summary = diagnostic_summary(result)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_diagnostic(summary, folder)


@cli.command("verifier")
@click.argument("fichier", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["bpe", "france-services", "csv", "osm"]),
    default=None,
    help="Format du fichier (deviné d'après son nom et son en-tête sinon).",
)
@click.option(
    "--colonnes",
    default=None,
    help="Format csv : correspondance des colonnes, ex. « id=ID,type=CODE,lon=X ».",
)
@click.option("--crs", default=None, help="Format csv : système des colonnes x/y, ex. EPSG:2154.")
@click.option("--json", "as_json", is_flag=True, help="Écrire le résultat en JSON.")
@fail_on_errors
def verifier(
    fichier: Path, file_format: str | None, colonnes: str | None, crs: str | None, as_json: bool
) -> None:
    """Vérifier un fichier de services avant usage : lignes lues, acceptées, rejetées.

    Code de sortie : 0 sans rejet, 1 si des lignes sont rejetées, 2 si le fichier est
    illisible.
    """
    from maillage.sources.dispatch import read_service_file

    mapping = None
    if colonnes:
        pairs = [item.split("=", 1) for item in colonnes.split(",") if item.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise click.BadParameter(
                "écrivez « champ=colonne » séparés par des virgules", param_hint="--colonnes"
            )
        mapping = {field.strip(): column.strip() for field, column in pairs}
    result = read_service_file(fichier, format=file_format, mapping=mapping, crs=crs)
    summary = verification_summary(fichier, result)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_verification(summary)
    sys.exit(1 if summary["rejetees"] else 0)


# Commands written in their own modules (one module per command family).


def main() -> None:
    """Entry point of the ``maillage`` command."""
    cli(prog_name="maillage")
