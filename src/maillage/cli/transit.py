"""``maillage tournee``: the tour of an itinerant service (public transport options later)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click

from maillage._errors import MaillageError
from maillage.cli.options import (
    fail_on_errors,
    load_inputs,
    network_options,
    source_options,
    split_codes,
    territory_options,
)

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


def _int(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


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
    default=20.0,
    show_default=True,
    help="Minutes : une commune gagne l'accès si un arrêt est à moins de ce temps.",
)
@click.option("--debut", default="09:00", show_default=True, help="Heure du premier arrêt.")
@click.option(
    "--jour",
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
    as_json: bool,
    **options: Any,
) -> None:
    """Concevoir la tournée d'un service itinérant (bus France Services, médecin…).

    Choisit les arrêts et leur ordre pour un véhicule sur une journée, en maximisant la
    population qui gagne un service à moins de --seuil minutes.
    """
    from maillage.network.model import RoadModel, StraightLineModel
    from maillage.planning._sites import as_points, resolve_service_type, town_halls
    from maillage.planning.tour import design_tour, tour_scenario_toml

    study = load_inputs(**options)
    kind = resolve_service_type(type_service, study.typology)
    territory = study.territory
    codes = split_codes(candidats) or territory.codes
    unknown = sorted(set(codes) - set(territory.codes))
    if unknown:
        raise MaillageError(
            f"Communes candidates hors du territoire : {', '.join(unknown)}. Correction : "
            "donnez des codes INSEE de communes du territoire (--candidats)."
        )
    halls = as_points(town_halls(study.services, codes)).rename(columns={"name": "hall"})
    names = territory.communes.set_index("commune")["name"]
    halls["name"] = halls["commune"].map(names)
    model = StraightLineModel() if study.graph is None else RoadModel(study.graph)
    tour = design_tour(
        territory.communes,
        study.services,
        halls,
        model,
        service_type=kind,
        stops=arrets,
        budget_minutes=parse_duration(duree_max),
        stop_minutes=parse_duration(duree_arret),
        threshold_minutes=seuil,
        start=debut,
        weekday=jour_semaine,
        depot=depot,
        max_candidates=max_candidats,
    )
    if scenario_path is not None:
        scenario_path.write_text(tour_scenario_toml(tour), encoding="utf-8")
    summary = {
        "type": kind,
        "population_gagnee": tour.population_gained,
        "borne": tour.bound,
        "ecart": tour.gap,
        "exacte": tour.exact,
        "methode": tour.method,
        "parametres": tour.parameters,
        "arrets": tour.stops.to_dict("records"),
        "communes_gagnantes": tour.gains.to_dict("records"),
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        return
    label = "route" if study.graph is not None else "vol d'oiseau (estimation)"
    click.echo(
        f"Tournée {kind} : {len(tour.stops)} arrêts, temps {label}, "
        f"population gagnée {_int(tour.population_gained)}"
        + ("" if tour.exact else f" (borne {_int(tour.bound)}, écart {tour.gap:.1%})")
    )
    click.echo(f"Méthode : {tour.method}")
    for stop in tour.stops.itertuples(index=False):
        click.echo(
            f"  {stop.ordre}. {stop.arrivee}-{stop.depart}  {stop.nom} ({stop.commune})"
            f"  +{_int(stop.population_gagnee)} hab."
        )
    if scenario_path is not None:
        click.echo(f"Scénario : {scenario_path}")
