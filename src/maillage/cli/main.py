"""The ``maillage`` command line (French): a thin layer over the library."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from maillage import __version__
from maillage._errors import MaillageError
from maillage.cli.summary import territory_summary, verification_summary
from maillage.cli.text import print_diagnostic, print_territory, print_verification

#: Mountain passes of the Maurienne closed in winter (OpenStreetMap names).
WINTER_CLOSURES = (
    "Col du Galibier",
    "Col de l'Iseran",
    "Col de la Croix-de-Fer",
    "Col du Mont-Cenis",
)


def _split(values: Sequence[str]) -> list[str]:
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


def _fail_on_errors(function: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            function(*args, **kwargs)
        except MaillageError as err:
            click.echo(f"Erreur : {err}", err=True)
            sys.exit(2)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--aide", "--help"]})
@click.version_option(__version__, "--version", message="maillage %(version)s")
def cli() -> None:
    """maillage : diagnostic et schéma de services à la population.

    Sans option de territoire, les commandes portent sur le Pays de Maurienne (Savoie).
    """


_TERRITORY_OPTIONS = [
    click.option(
        "--communes", multiple=True, help="Codes INSEE de communes (séparés par des virgules)."
    ),
    click.option("--epci", multiple=True, help="SIREN d'EPCI (séparés par des virgules)."),
    click.option("--departements", "--departement", multiple=True, help="Codes de départements."),
    click.option(
        "--bassins-vie", "--bassin-vie", multiple=True, help="Codes de bassins de vie 2022."
    ),
    click.option("--nom", default=None, help="Nom du territoire dans les sorties."),
    click.option(
        "--tampon-km",
        default=30.0,
        show_default=True,
        type=float,
        help="Largeur de la couronne de communes voisines dont les services comptent.",
    ),
]


def _with_options(options: Sequence[Any]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A decorator applying click ``options`` in the order they are listed."""

    def decorate(function: Callable[..., None]) -> Callable[..., None]:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def _load_study(
    communes: tuple[str, ...],
    epci: tuple[str, ...],
    departements: tuple[str, ...],
    bassins_vie: tuple[str, ...],
    nom: str | None,
    tampon_km: float,
    user_sources: tuple[Path, ...],
    typologie: Path | None,
) -> tuple[Any, Any, list[Any], Any]:
    """The territory, typology, user sources' results and the territory's services."""
    from maillage.services.catalogue import territory_services
    from maillage.services.typology import load_typology
    from maillage.territory.builtin import pays_de_maurienne
    from maillage.territory.territory import select_territory

    if any((communes, epci, departements, bassins_vie)):
        territory = select_territory(
            communes=_split(communes),
            epci=_split(epci),
            departements=_split(departements),
            bassins_vie=_split(bassins_vie),
            name=nom,
            buffer_km=tampon_km,
        )
    else:
        territory = pays_de_maurienne(buffer_km=tampon_km)
    typology = load_typology(typologie)
    extra = []
    if user_sources:
        from maillage.sources.dispatch import read_service_file

        extra = [read_service_file(path, typology=typology) for path in user_sources]
    services = territory_services(territory, extra=extra, typology=typology)
    return territory, typology, extra, services


_SOURCE_OPTIONS = [
    click.option(
        "--sources",
        "user_sources",
        multiple=True,
        type=click.Path(path_type=Path),
        help="Fichier de services en plus (BPE, PBF OpenStreetMap, CSV/GeoJSON) ; répétable.",
    ),
    click.option(
        "--typologie",
        type=click.Path(path_type=Path),
        default=None,
        help="Typologie TOML modifiée (copie de src/maillage/services/typologie.toml).",
    ),
]

#: Options that choose a territory, and options that add service files / a typology.
territory_options = _with_options(_TERRITORY_OPTIONS)
source_options = _with_options(_SOURCE_OPTIONS)


@cli.command("territoire")
@territory_options
@source_options
@click.option("--json", "as_json", is_flag=True, help="Écrire le résumé en JSON.")
@_fail_on_errors
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
    territory, typology, extra, services = _load_study(
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
@click.option(
    "--reseau",
    type=click.Path(path_type=Path),
    default=None,
    help="Extrait OpenStreetMap (.osm.pbf) pour des temps par la route ; sinon "
    "estimation à vol d'oiseau, signalée dans toutes les sorties.",
)
@click.option(
    "--fermetures",
    default=None,
    help="Routes fermées en hiver (nom, ref ou id OSM séparés par des virgules) ; "
    f"par défaut avec --reseau : {', '.join(WINTER_CLOSURES)}.",
)
@click.option(
    "--seuils",
    default="7,15,20,30",
    show_default=True,
    help="Seuils en minutes de la population « au-delà » (séparés par des virgules).",
)
@click.option(
    "--sortie",
    type=click.Path(path_type=Path),
    default=Path("etude"),
    show_default=True,
    help="Dossier d'étude où écrire les résultats.",
)
@click.option("--json", "as_json", is_flag=True, help="Écrire le résumé en JSON.")
@_fail_on_errors
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

    territory, typology, _, services = _load_study(
        communes, epci, departements, bassins_vie, nom, tampon_km, user_sources, typologie
    )
    graph = winter = None
    if reseau is not None:
        from maillage.network.graph import build_graph

        graph = build_graph(reseau)
        closures = _split([fermetures]) if fermetures is not None else list(WINTER_CLOSURES)
        winter = _winter_graph(graph, closures, explicit=fermetures is not None)
    try:
        thresholds = tuple(sorted({float(t) for t in _split([seuils])}))
    except ValueError:
        raise click.BadParameter(
            "des nombres de minutes, ex. 7,15,30", param_hint="--seuils"
        ) from None
    if not thresholds or min(thresholds) <= 0:
        raise click.BadParameter("des nombres de minutes positifs", param_hint="--seuils")
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


def _winter_graph(graph: Any, closures: list[str], *, explicit: bool) -> Any:
    """The winter graph; default pass names absent from the extract are skipped."""
    if explicit:
        return graph.without_ways(closures) if closures else None
    present = []
    for name in closures:
        try:
            graph.without_ways([name])
        except MaillageError:
            continue
        present.append(name)
    return graph.without_ways(present) if present else None


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
@_fail_on_errors
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


def main() -> None:
    """Entry point of the ``maillage`` command."""
    cli(prog_name="maillage")
