"""``maillage tournee`` (tour of an itinerant service) and the ``--transports`` options of
``maillage diagnostic`` (access without a car)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click

from maillage._errors import MaillageError
from maillage.cli.options import (
    _with_options,
    fail_on_errors,
    load_study,
    network_options,
    quiet_libraries,
    source_options,
    split_codes,
    territory_options,
)
from maillage.outputs.french import method_label, percent
from maillage.outputs.french import number as _int

_DURATION = re.compile(r"^\s*(?:(\d+(?:[.,]\d+)?)\s*h)?\s*(?:(\d+)\s*(?:min|m)?)?\s*$")


def parse_duration(text: str) -> float:
    """``"8h"``, ``"7h30"``, ``"90min"``, ``"45"`` → minutes.

    Examples
    --------
    >>> parse_duration("8h"), parse_duration("7h30"), parse_duration("90min"), parse_duration("45")
    (480.0, 450.0, 90.0, 45.0)
    """
    match = _DURATION.match(text)
    if not text.strip() or match is None or not any(match.groups()):
        raise MaillageError(
            f"Durée « {text} » illisible. Correction : écrivez-la 8h, 7h30 ou 90min."
        )
    hours = float((match.group(1) or "0").replace(",", "."))
    return hours * 60.0 + float(match.group(2) or 0)


@click.command("tournee")
@click.argument("type_service", metavar="TYPE")
@click.option("--arrets", type=int, required=True, help="Nombre d'arrêts de la tournée.")
@click.option(
    "--duree-max", default="8h", show_default=True, help="Durée de la journée (route + arrêts)."
)
@click.option("--duree-arret", default="1h", show_default=True, help="Durée de chaque arrêt.")
@click.option(
    "--seuil",
    type=float,
    default=20,
    show_default=True,
    help="Minutes : une commune gagne l'accès si un arrêt est à moins de ce temps.",
)
@click.option("--debut", default="09:00", show_default=True, help="Heure du premier arrêt.")
@click.option(
    "--jour-semaine",
    "jour_semaine",
    default="Tu",
    show_default=True,
    type=click.Choice(["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]),
    help="Jour de la tournée (syntaxe OpenStreetMap), pour les horaires du scénario.",
)
@click.option("--depot", default=None, help="Commune (code INSEE) où le véhicule est garé.")
@click.option(
    "--candidats",
    "candidats",
    multiple=True,
    help="Codes INSEE des communes candidates (virgules) ; par défaut toutes celles du territoire.",
)
@click.option(
    "--max-candidats",
    type=int,
    default=30,
    show_default=True,
    help="Au-delà, présélection heuristique (l'écart à une borne est donné).",
)
@click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Enregistrer la tournée comme scénario TOML (maillage scenario).",
)
@click.option(
    "--carte",
    "map_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Enregistrer la carte de la tournée (PNG).",
)
@click.option("--json", "as_json", is_flag=True, help="Écrire le résultat en JSON.")
@territory_options
@source_options
@network_options
@fail_on_errors
def tournee(
    type_service: str,
    arrets: int,
    duree_max: str,
    duree_arret: str,
    seuil: float,
    debut: str,
    jour_semaine: str,
    depot: str | None,
    candidats: tuple[str, ...],
    max_candidats: int,
    scenario_path: Path | None,
    map_path: Path | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Concevoir la tournée d'un service itinérant (bus France Services, médecin…).

    Choisit les arrêts et leur ordre pour un véhicule sur une journée, en maximisant la
    population qui gagne un service à moins de --seuil minutes.
    """
    from maillage.outputs.tour import method_text, tour_scenario_toml, tour_summary

    quiet_libraries()
    study = load_study(**options)
    tour = study.tour(
        type_service,
        stops=arrets,
        candidates=split_codes(candidats),
        budget_minutes=parse_duration(duree_max),
        stop_minutes=parse_duration(duree_arret),
        threshold_minutes=seuil,
        start=debut,
        weekday=jour_semaine,
        depot=depot,
        max_candidates=max_candidats,
    )
    kind = tour.service_type
    label = _type_name(kind, study.typology).removesuffix(f" ({kind})")
    if scenario_path is not None:
        scenario_path.write_text(
            tour_scenario_toml(tour, name=f"Tournée {label}"), encoding="utf-8"
        )
    if map_path is not None:
        _write_tour_map(study, tour, map_path, label)
    summary = tour_summary(tour, label=label)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        return
    threshold = f"{float(tour.parameters['threshold_minutes']):g}"
    click.echo(
        f"Tournée {label} : {len(tour.stops)} arrêts, temps {method_label(study.network.method)}"
    )
    click.echo(
        f"Aujourd'hui, {_int(tour.population_without_access)} hab. de "
        f"{len(tour.without_access)} commune(s) n'ont pas de {label} à moins de {threshold} min ; "
        f"la tournée en fait gagner {_int(tour.population_gained)}"
        + (
            " (optimum prouvé)."
            if tour.exact
            else f" (borne {_int(tour.bound)}, écart à la borne {percent(tour.gap, 1)})."
        )
    )
    click.echo(
        "Méthode : " + ("programme exact (HiGHS)" if tour.method == "exact" else method_text(tour))
    )
    drive = float(tour.parameters["total_drive_minutes"])
    day = drive + len(tour.stops) * float(tour.parameters["stop_minutes"])
    click.echo(
        f"Route : {_int(drive)} min ; journée : {_int(day)} min "
        f"sur {_int(tour.parameters['budget_minutes'])}."
    )
    for stop in tour.stops.itertuples(index=False):
        click.echo(
            f"  {stop.order}. {stop.arrival}-{stop.departure}  {stop.name} ({stop.commune})"
            f"  +{_int(stop.population_gained)} hab."
        )
    if tour.population_gained >= tour.population_without_access - 0.5:
        click.echo(
            "  (tous les habitants sans accès l'ont gagné : des arrêts n'apportent rien de plus)"
        )
    if scenario_path is not None:
        click.echo(f"Scénario : {scenario_path} (maillage scenario {scenario_path})")
    if map_path is not None:
        click.echo(f"Carte : {map_path}")


def _write_tour_map(study: Any, tour: Any, path: Path, label: str) -> None:
    from maillage.indicators.diagnostic import territory_origins
    from maillage.outputs.report import maps
    from maillage.outputs.report.tour import tour_map

    layers = maps.map_layers(study.territory, territory_origins(study.territory))
    path.write_bytes(maps.figure_png(tour_map(tour, layers, label=label)))


_TRANSIT_OPTIONS = [
    click.option(
        "--transports",
        type=click.Path(path_type=Path),
        default=None,
        help="Flux GTFS (.zip) : accès sans voiture, transports en commun et marche.",
    ),
    click.option(
        "--jour",
        default=None,
        help="Jour des horaires, AAAA-MM-JJ (par défaut le premier mardi du flux).",
    ),
    click.option(
        "--depart",
        default="07:00-09:00",
        show_default=True,
        help="Plage de départ HH:MM-HH:MM (le meilleur départ de la plage compte).",
    ),
]

#: ``--transports``, ``--jour``, ``--depart`` of ``maillage diagnostic``.
transit_options = _with_options(_TRANSIT_OPTIONS)

#: Margin (degrees) around the territory and its ring for the trips kept from the feed.
_MARGIN_DEGREES = 0.3


def load_feed(study: Any, *, transports: Path | None, jour: str | None, depart: str) -> Any:
    """Read the GTFS feed of ``--transports`` for the study's territory (``None``: none given).

    Called before the diagnostic, so that a feed that is not GTFS, a day outside its
    validity or a territory without stops stops the command at once, before anything is
    computed or written.
    """
    if transports is None:
        return None
    from maillage.network.transit import parse_window
    from maillage.sources.gtfs import read_gtfs

    parse_window(depart)
    points = study.territory.all_communes()
    west, south, east, north = points.to_crs(4326).total_bounds
    return read_gtfs(
        transports,
        day=jour,
        bounds=(
            west - _MARGIN_DEGREES,
            south - _MARGIN_DEGREES,
            east + _MARGIN_DEGREES,
            north + _MARGIN_DEGREES,
        ),
    )


def run_transit(study: Any, folder: Path, feed: Any, *, depart: str) -> Any:
    """Compute and write the indicators without a car (``None``: no feed given).

    ``feed`` is :func:`load_feed`'s. Returns the
    :class:`~maillage.indicators.transit.TransitAccess`; its JSON block is
    :func:`~maillage.outputs.transit.transit_summary`.
    """
    if feed is None:
        return None
    from maillage.network.transit import TransitModel
    from maillage.outputs.transit import write_transit

    # Walking along the study's road graph when it has one, else straight line × detour.
    model = TransitModel(feed, graph=getattr(study.network.summer, "graph", None), window=depart)
    result = study.transit(model)
    write_transit(result, folder)
    return result


def transit_report_section(diagnostic: Any, result: Any) -> Any:
    """The report's "sans voiture" section of :func:`run_transit`'s result."""
    from maillage.outputs.report import maps
    from maillage.outputs.report.transit import transit_section

    return transit_section(result, maps.map_layers(diagnostic.territory, diagnostic.communes))


def _type_name(code: str, typology: Any) -> str:
    """``"D307"`` → ``"Pharmacie (D307)"`` (the code alone when the typology lacks it)."""
    import pandas as pd

    from maillage.outputs.report.official import type_label

    label = typology.label_of(pd.Series([code])).iloc[0]
    if pd.isna(label):
        return code
    text = type_label(label)
    return f"{text[:1].upper()}{text[1:]} ({code})"


def print_transit(block: dict[str, Any], names: dict[str, str], typology: Any) -> None:
    """Say the ``transports_en_commun`` block in French (families and types by their labels)."""
    import datetime as dt

    walk = "le long des routes" if block["marche"] == "road" else "à vol d'oiseau × 1,4"
    day = dt.date.fromisoformat(block["jour"])
    weekday = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    start, end = block["depart"].split("-")
    click.echo(
        f"\nSans voiture (flux {block['flux']}, {weekday[day.weekday()]} {day:%d/%m/%Y}, "
        f"départ entre {start} et {end}, marche {walk}) :"
    )
    thresholds = " / ".join(f"{float(t):g}" for t in block["seuils_minutes"])
    click.echo(f"  Population sans accès en transports en commun en {thresholds} min :")
    for family, values in block["familles"].items():
        beyond = values["population_sans_acces"]
        label = typology.family_labels.get(family, family)
        click.echo(f"    {label} : " + " / ".join(_int(beyond[k] or 0) for k in beyond) + " hab.")
    key = next(k for k in block if k.startswith("communes_a_moins_de_"))
    within = key.removeprefix("communes_a_moins_de_").removesuffix("_min")
    click.echo(f"  Communes qui atteignent le service en moins de {within} min :")
    for kind, codes in block[key].items():
        listed = ", ".join(names.get(code, code) for code in codes)
        click.echo(f"    {_type_name(kind, typology)} : {len(codes)} commune(s) : {listed}")
