"""Options and loaders shared by the ``maillage`` commands."""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from maillage._errors import MaillageError

#: Mountain passes of the Maurienne closed in winter (OpenStreetMap names).
WINTER_CLOSURES = (
    "Col du Galibier",
    "Col de l'Iseran",
    "Col de la Croix-de-Fer",
    "Col du Mont-Cenis",
)


def split_codes(values: Sequence[str]) -> list[str]:
    """Comma-separated codes of repeated options, flattened: ``("73,74", "38")`` → 3 codes."""
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


def fail_on_errors(function: Callable[..., None]) -> Callable[..., None]:
    """Turn a :class:`MaillageError` into a French message on stderr and exit code 2."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            function(*args, **kwargs)
        except MaillageError as err:
            click.echo(f"Erreur : {err}", err=True)
            sys.exit(2)

    return wrapper


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


def load_study(
    communes: tuple[str, ...],
    epci: tuple[str, ...],
    departements: tuple[str, ...],
    bassins_vie: tuple[str, ...],
    nom: str | None,
    tampon_km: float,
    user_sources: tuple[Path, ...],
    typologie: Path | None,
    *,
    territory: Any = None,
) -> tuple[Any, Any, list[Any], Any]:
    """The territory (``territory`` when given), typology, user sources' results and the
    territory's services."""
    from maillage.services.catalogue import territory_services
    from maillage.services.typology import load_typology

    if territory is None:
        territory = study_territory(None, communes, epci, departements, bassins_vie, nom, tampon_km)
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


_NETWORK_OPTIONS = [
    click.option(
        "--reseau",
        type=click.Path(path_type=Path),
        default=None,
        help="Extrait OpenStreetMap (.osm.pbf) pour des temps par la route ; sinon "
        "estimation à vol d'oiseau, signalée dans toutes les sorties.",
    ),
    click.option(
        "--fermetures",
        default=None,
        help="Routes fermées en hiver (nom, ref ou id OSM séparés par des virgules) ; "
        f"par défaut avec --reseau : {', '.join(WINTER_CLOSURES)}.",
    ),
    click.option(
        "--forcer",
        is_flag=True,
        help="Calculer même si l'extrait --reseau ne couvre pas le territoire (moins de 90 % "
        "des communes ou de 50 % des services à moins de 2 km d'une route).",
    ),
    click.option(
        "--seuils",
        default="7,15,20,30",
        show_default=True,
        help="Seuils en minutes de la population « au-delà » (séparés par des virgules).",
    ),
]

#: Road network options (``--reseau``, ``--fermetures``) and ``--seuils``.
network_options = _with_options(_NETWORK_OPTIONS)


def parse_thresholds(seuils: str) -> tuple[float, ...]:
    """The ``--seuils`` option as sorted positive minutes."""
    try:
        thresholds = tuple(sorted({float(t) for t in split_codes([seuils])}))
    except ValueError:
        raise click.BadParameter(
            "des nombres de minutes, ex. 7,15,30", param_hint="--seuils"
        ) from None
    if not thresholds or min(thresholds) <= 0:
        raise click.BadParameter("des nombres de minutes positifs", param_hint="--seuils")
    return thresholds


def load_graphs(reseau: Path | None, fermetures: str | None) -> tuple[Any, Any]:
    """The road graph of ``--reseau`` and its winter variant (``None`` without a network)."""
    if reseau is None:
        return None, None
    from maillage.network.graph import build_graph

    graph = build_graph(reseau)
    closures = split_codes([fermetures]) if fermetures is not None else list(WINTER_CLOSURES)
    return graph, _winter_graph(graph, closures, explicit=fermetures is not None)


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


# --- Built-in territories and the data downloaded for a territory (maillage telecharger) ---

#: Built-in territories by name (``--territoire``): their EPCI SIREN codes.
BUILTIN_TERRITORIES = ("maurienne", "pays-de-maurienne")

builtin_territory_option = click.option(
    "--territoire",
    "territoire",
    type=click.Choice(BUILTIN_TERRITORIES),
    default=None,
    help="Territoire intégré (maurienne : Pays de Maurienne) ; sinon --communes, --epci…",
)
level_option = click.option(
    "--niveau",
    type=click.Choice(["commune", "carreau"]),
    default="commune",
    show_default=True,
    help="Origines des temps : point de chaque commune, ou carreaux de 200 m habités "
    "(grille Filosofi de l'INSEE, à télécharger avec « maillage telecharger »).",
)


def study_territory(
    territoire: str | None,
    communes: tuple[str, ...],
    epci: tuple[str, ...],
    departements: tuple[str, ...],
    bassins_vie: tuple[str, ...],
    nom: str | None,
    tampon_km: float,
) -> Any:
    """The territory of ``--territoire`` or of the territory options (Maurienne by default)."""
    from maillage.territory.builtin import pays_de_maurienne
    from maillage.territory.territory import select_territory

    if territoire is not None and any((communes, epci, departements, bassins_vie)):
        raise click.UsageError(
            "--territoire ou bien --communes/--epci/--departements/--bassins-vie, pas les deux"
        )
    if territoire is None and any((communes, epci, departements, bassins_vie)):
        return select_territory(
            communes=split_codes(communes),
            epci=split_codes(epci),
            departements=split_codes(departements),
            bassins_vie=split_codes(bassins_vie),
            name=nom,
            buffer_km=tampon_km,
        )
    return pays_de_maurienne(buffer_km=tampon_km)


@dataclasses.dataclass
class CachedInputs:
    """What a study takes from the download cache, and the lines saying so."""

    sources: tuple[Path, ...] = ()
    reseau: Path | None = None
    origins: Any = None
    lines: list[str] = dataclasses.field(default_factory=list)


def cached_inputs(
    territory: Any,
    *,
    niveau: str,
    reseau: Path | None,
    user_sources: tuple[Path, ...],
) -> CachedInputs:
    """The cached BPE (as an extra source), PBF (default ``--reseau``) and grid origins.

    The cache is ``MAILLAGE_CACHE`` or ``~/.cache/maillage`` (``maillage telecharger``);
    a user's own BPE in ``--sources`` or ``--reseau`` wins over the cached one.
    """
    from maillage.download.cache import bpe_extract, find_cached, study_departements
    from maillage.sources.dispatch import guess_format

    found = find_cached(territory)
    used = CachedInputs()
    own_bpe = any(_guess(guess_format, path) == "bpe" for path in user_sources)
    if found.bpe is not None and not own_bpe:
        extract = bpe_extract(found.bpe, study_departements(territory))
        used.sources = (extract,)
        used.lines.append(f"BPE : {found.bpe} (extrait des départements : {extract.name})")
    if found.pbf and reseau is None:
        used.reseau = found.pbf[0]
        used.lines.append(f"Réseau routier : {found.pbf[0]}")
        if len(found.pbf) > 1:
            used.lines.append(
                "  (un seul extrait sert de réseau ; non utilisés : "
                + ", ".join(p.name for p in found.pbf[1:])
                + ")"
            )
    if niveau == "carreau":
        if found.grid is None:
            raise MaillageError(
                "--niveau carreau : aucune grille Filosofi en cache. Correction : lancez "
                "« maillage telecharger --jeux filosofi » (ou --depuis DOSSIER) pour ce "
                "territoire"
            )
        from maillage.sources.filosofi import read_filosofi

        grid = read_filosofi(found.grid, communes=territory.codes)
        used.origins = grid.cells
        used.lines.append(
            f"Grille de population : {found.grid} ({len(grid.cells)} carreaux, "
            f"{len(grid.rejections.rejected)} ligne(s) rejetée(s))"
        )
    elif found.grid is not None:
        used.lines.append(
            f"Grille de population en cache ({found.grid.name}) : --niveau carreau pour l'utiliser"
        )
    if used.lines:
        used.lines.insert(0, "Données du cache utilisées (maillage telecharger) :")
    return used


def _guess(guess: Callable[[Path], str], path: Path) -> str | None:
    try:
        return guess(path)
    except MaillageError:
        return None


@dataclasses.dataclass
class StudyInputs:
    """Everything a command needs to study a territory, from its options."""

    territory: Any
    typology: Any
    services: Any
    graph: Any
    winter: Any
    thresholds: tuple[float, ...]
    origins: Any
    #: The user's files read (``--sources`` and the cached BPE) and their results.
    files: dict[Path, Any] = dataclasses.field(default_factory=dict)


def load_inputs(
    *,
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
    territoire: str | None = None,
    niveau: str = "commune",
    forcer: bool = False,
) -> StudyInputs:
    """Territory, services, road graphs and thresholds of the territory/source/network options.

    Files downloaded for the territory (``maillage telecharger``) are used and named on
    stderr: BPE, road network (unless ``--reseau``), population grid (``--niveau carreau``).
    A road extract that does not cover the territory is refused unless ``forcer``
    (:func:`~maillage.network.coverage.check_extract_coverage`); its coverage is said on
    stderr.
    """
    territory = study_territory(
        territoire, communes, epci, departements, bassins_vie, nom, tampon_km
    )
    cached = cached_inputs(territory, niveau=niveau, reseau=reseau, user_sources=user_sources)
    for line in cached.lines:
        click.echo(line, err=True)
    paths = user_sources + cached.sources
    territory, typology, extra, services = load_study(
        communes,
        epci,
        departements,
        bassins_vie,
        nom,
        tampon_km,
        paths,
        typologie,
        territory=territory,
    )
    files = dict(zip(paths, extra, strict=True))
    if files:
        from maillage.sources.accounting import reading_lines

        for line in reading_lines(files):
            click.echo(line, err=True)
    graph, winter = load_graphs(reseau or cached.reseau, fermetures)
    if graph is not None:
        from maillage.network.coverage import check_extract_coverage

        coverage = check_extract_coverage(
            graph, territory, services, path=reseau or cached.reseau, force=forcer
        )
        forced = "" if coverage.sufficient() else " (insuffisant : calcul forcé par --forcer)"
        click.echo(f"Réseau routier : {coverage.describe()}{forced}.", err=True)
    return StudyInputs(
        territory,
        typology,
        services,
        graph,
        winter,
        parse_thresholds(seuils),
        cached.origins,
        files,
    )
