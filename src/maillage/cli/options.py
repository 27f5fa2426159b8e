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
from maillage.network.model import WINTER_CLOSURES


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
        default=30,
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


def _announce_parse(reseau: Path, seconds: float) -> None:
    """Say on stderr how long the first reading of a road network will take."""
    size_mb = reseau.stat().st_size / 1e6
    duration = f"{seconds / 60:.0f} min" if seconds >= 90 else f"{max(seconds, 1):.0f} s"
    click.echo(
        f"Lecture du réseau {reseau.name} ({size_mb:,.0f} Mo) : environ {duration} "
        "(une seule fois : le graphe est ensuite lu depuis le cache).".replace(",", " "),
        err=True,
    )


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


def territory_spec(
    territoire: str | None,
    communes: tuple[str, ...],
    epci: tuple[str, ...],
    departements: tuple[str, ...],
    bassins_vie: tuple[str, ...],
    nom: str | None,
    tampon_km: float,
) -> Any:
    """The territory of ``--territoire`` or of the territory options (Maurienne by default)."""
    from maillage.territory.spec import TerritorySpec

    if territoire is not None and any((communes, epci, departements, bassins_vie)):
        raise click.UsageError(
            "--territoire ou bien --communes/--epci/--departements/--bassins-vie, pas les deux"
        )
    if territoire is None and any((communes, epci, departements, bassins_vie)):
        return TerritorySpec(
            communes=tuple(split_codes(communes)),
            epci=tuple(split_codes(epci)),
            departements=tuple(split_codes(departements)),
            bassins_vie=tuple(split_codes(bassins_vie)),
            name=nom,
            buffer_km=tampon_km,
        )
    return TerritorySpec.builtin(buffer_km=tampon_km)


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


def load_study(
    *,
    communes: tuple[str, ...] = (),
    epci: tuple[str, ...] = (),
    departements: tuple[str, ...] = (),
    bassins_vie: tuple[str, ...] = (),
    nom: str | None = None,
    tampon_km: float = 30.0,
    user_sources: tuple[Path, ...] = (),
    typologie: Path | None = None,
    reseau: Path | None = None,
    fermetures: str | None = None,
    seuils: str = "7,15,20,30",
    territoire: str | None = None,
    niveau: str = "commune",
    use_cache: bool = True,
    execution: Any = None,
    forcer: bool = False,
) -> Any:
    """The :class:`~maillage.study.Study` of the territory/source/network options.

    Files downloaded for the territory (``maillage telecharger``) are used and named on
    stderr: BPE, road network (unless ``--reseau``), population grid (``--niveau carreau``).
    A road extract that does not cover the territory is refused unless ``forcer``
    (:func:`~maillage.network.coverage.check_extract_coverage`); its coverage is said on
    stderr.
    """
    from maillage.indicators.settings import DiagnosticSettings, Level
    from maillage.network.model import NetworkPair
    from maillage.study import Study

    territory = territory_spec(
        territoire, communes, epci, departements, bassins_vie, nom, tampon_km
    ).build()
    cached = CachedInputs()
    if use_cache:
        cached = cached_inputs(territory, niveau=niveau, reseau=reseau, user_sources=user_sources)
    for line in cached.lines:
        click.echo(line, err=True)
    pbf = reseau or cached.reseau
    network = None
    if pbf is not None:
        closures = split_codes([fermetures]) if fermetures is not None else None
        network = NetworkPair.from_pbf(
            pbf,
            winter_closures=closures,
            on_parse=functools.partial(_announce_parse, Path(pbf)),
        )
    study = Study.load(
        territory,
        sources=user_sources + cached.sources,
        typology=typologie,
        network=network,
        settings=DiagnosticSettings(
            thresholds_minutes=parse_thresholds(seuils),
            level=Level.GRID if niveau == "carreau" else Level.COMMUNE,
        ),
        execution=execution,
        origins=cached.origins,
    )
    report_study_inputs(study, pbf=pbf, forcer=forcer)
    return study


def report_study_inputs(study: Any, *, pbf: Path | None, forcer: bool) -> None:
    """Say on stderr what the user's files gave, and refuse a road extract that misses the
    territory unless ``forcer`` (:func:`~maillage.network.coverage.check_extract_coverage`)."""
    from maillage.network.model import RoadModel

    if study.sources:
        from maillage.sources.accounting import reading_lines

        for line in reading_lines(study.sources):
            click.echo(line, err=True)
    if isinstance(study.network.summer, RoadModel):
        from maillage.network.coverage import check_extract_coverage, coverage_text

        coverage = check_extract_coverage(
            study.network.summer.graph, study.territory, study.services, path=pbf, force=forcer
        )
        forced = "" if coverage.sufficient() else " (insuffisant : calcul forcé par --forcer)"
        click.echo(f"Réseau routier : {coverage_text(coverage)}{forced}.", err=True)


def france_options(options: dict[str, Any]) -> dict[str, Any]:
    """The command-line territory options of ``--france``: every département.

    Raises
    ------
    MaillageError
        ``--france`` given with another territory option.

    Examples
    --------
    >>> o = france_options({"communes": (), "epci": (), "departements": (), "nom": None})
    >>> len(o["departements"][0].split(",")), o["nom"]
    (101, 'France')
    """
    from maillage.territory.spec import TerritorySpec

    chosen = [
        name
        for name in ("communes", "epci", "departements", "bassins_vie", "territoire")
        if options.get(name)
    ]
    if chosen:
        raise MaillageError(
            "--france porte sur toutes les communes : retirez "
            + ", ".join(f"--{name.replace('_', '-')}" for name in chosen)
        )
    spec = TerritorySpec.france(name=options.get("nom"))
    return {**options, "departements": (",".join(spec.departements),), "nom": spec.name}


def quiet_libraries() -> None:
    """What the command line does to keep its output clean (the library never does it).

    WeasyPrint logs every unsupported CSS property at WARNING: its loggers (and
    fontTools') are set to ERROR. HiGHS prints a banner on the C-level standard output at
    its first use in a process, which would spoil ``--json``: a first solver instance is
    made here with file descriptor 1 sent to ``/dev/null``.
    """
    import logging
    import os

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        import highspy
    except ImportError:  # no solver: nothing prints
        return
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 (embedded interpreter)
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()  # type: ignore[no-untyped-call,unused-ignore]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
