"""Tour design of an itinerant service: the HiGHS programme against brute force."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from maillage._errors import MaillageError
from maillage.cli.main import cli
from maillage.network.straight_line import (
    nearest_services_straight_line,
    travel_time_matrix_straight_line,
)
from maillage.outputs.tour import PARAMETER_KEYS, method_text, tour_summary
from maillage.planning._sites import as_points, town_halls
from maillage.planning.scenario import read_scenario
from maillage.planning.tour import brute_force_tour, solve_tour
from maillage.schema import columns
from maillage.services.catalogue import territory_services

#: Nine Maurienne communes far from today's France Services (Haute Maurienne, the Arves
#: and the Glandon valleys, the Porte de Maurienne): the reduced candidate set.
NINE = ["73040", "73290", "73013", "73116", "73318", "73280", "73235", "73224", "73177"]


def _instance(maurienne, codes: list[str], threshold: float):  # type: ignore[no-untyped-def]
    """Drive, cover and population computed directly with the straight-line functions."""
    communes = maurienne.communes
    services = territory_services(maurienne)
    fs = services[services["type"] == "A128"]
    origins = communes.rename(columns={"commune": "origin_id"})
    today = nearest_services_straight_line(origins, fs)
    need = communes[~communes["commune"].isin(today.loc[today.minutes <= threshold, "origin_id"])]
    halls = as_points(town_halls(services, codes))
    sites = halls.rename(columns={"commune": "service_id"})
    reach = travel_time_matrix_straight_line(
        need.rename(columns={"commune": "origin_id"}), sites, cutoff_minutes=threshold
    )
    cover = np.array(
        [
            [((reach.origin_id == o) & (reach.service_id == c)).any() for c in codes]
            for o in need["commune"]
        ]
    )
    legs = travel_time_matrix_straight_line(
        sites.rename(columns={"service_id": "origin_id"}), sites, cutoff_minutes=1e9
    )
    drive = np.zeros((len(codes), len(codes)))
    for row in legs.itertuples(index=False):
        drive[codes.index(row.origin_id), codes.index(row.service_id)] = row.minutes
    return drive, cover, need["population"].to_numpy(float)


@pytest.mark.parametrize("seed", range(6))
def test_highs_equals_brute_force_on_real_communes(maurienne, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    codes = list(rng.choice(maurienne.communes["commune"].to_numpy(), 9, replace=False))
    drive, cover, population = _instance(maurienne, codes, threshold=15.0)
    stops = int(rng.integers(2, 6))
    budget = float(rng.choice([240.0, 360.0, 480.0]))
    depot = drive[int(rng.integers(9))] if seed % 2 else None
    stop_minutes = (budget - 90.0) / stops  # a tight drive budget: the route matters
    ours = solve_tour(
        drive,
        cover,
        population,
        stops=stops,
        budget_minutes=budget,
        stop_minutes=stop_minutes,
        depot=depot,
    )
    brute = brute_force_tour(
        drive,
        cover,
        population,
        stops=stops,
        budget_minutes=budget,
        stop_minutes=stop_minutes,
        depot=depot,
    )
    assert ours.status == brute.status
    assert ours.population == brute.population
    assert ours.drive_minutes == pytest.approx(brute.drive_minutes, abs=1e-6)
    if brute.status == "optimal":
        assert len(ours.order) == stops


def test_cli_tour_equals_brute_force_on_reduced_candidates(maurienne, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scenario = tmp_path / "tournee.toml"
    result = CliRunner().invoke(
        cli,
        [
            "tournee",
            "france-services",
            "--arrets",
            "6",
            "--duree-max",
            "8h",
            "--candidats",
            ",".join(NINE),
            "--json",
            "--scenario",
            str(scenario),
            "--carte",
            str(tmp_path / "tournee.png"),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    drive, cover, population = _instance(maurienne, NINE, threshold=20.0)
    brute = brute_force_tour(drive, cover, population, stops=6, budget_minutes=480, stop_minutes=60)
    assert summary["population_gagnee"] == brute.population > 2000
    assert summary["population_sans_acces_avant"] == population.sum() >= brute.population
    assert summary["service"] == "France Services"
    assert (tmp_path / "tournee.png").read_bytes().startswith(b"\x89PNG")
    assert summary["exacte"] is True
    stops = summary["arrets"]
    assert len(stops) == 6 and stops[0]["arrivee"] == "09:00"
    assert sorted(NINE.index(s["commune"]) for s in stops) == sorted(brute.order)
    total = sum(s["minutes_route"] for s in stops) + 6 * 60
    assert total <= 480 + 1e-9
    # The saved scenario opens one service per stop, on Tuesdays at the timetable's hours.
    read = read_scenario(scenario)
    assert [o.commune for o in read.open] == [s["commune"] for s in stops]
    assert read.open[0].opening_hours == f"Tu {stops[0]['arrivee']}-{stops[0]['depart']}"


def test_budget_too_small_is_a_french_error() -> None:
    drive = np.zeros((3, 3))
    with pytest.raises(MaillageError, match="dépassent la journée de 120 min"):
        solve_tour(
            drive, np.eye(3, dtype=bool), np.ones(3), stops=3, budget_minutes=120, stop_minutes=60
        )
    result = CliRunner().invoke(
        cli, ["tournee", "france-services", "--arrets", "2", "--duree-max", "huit heures"]
    )
    assert result.exit_code == 2 and "Durée « huit heures » illisible" in result.output
    result = CliRunner().invoke(
        cli, ["tournee", "france-services", "--arrets", "2", "--debut", "neuf heures"]
    )
    assert result.exit_code == 2 and "Heure « neuf heures » illisible" in result.output
    assert "Traceback" not in result.output


def test_cli_tour_text_reads_in_french(maurienne, english_words) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(
        cli,
        [
            "tournee",
            "france-services",
            "--arrets",
            "3",
            "--candidats",
            ",".join(NINE[:5]),
            "--debut",
            "9h30",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[4].startswith("  1. 09:30-10:30 ")
    assert lines[0].startswith("Tournée France Services : 3 arrêts")
    _, _, population = _instance(maurienne, NINE[:5], threshold=20.0)
    assert f"{population.sum():,.0f}".replace(",", "\u202f") in lines[1].replace("\xa0", "\u202f")
    assert "n'ont pas de France Services à moins de 20 min" in lines[1]
    assert lines[2] == "Méthode : programme exact (HiGHS)"
    assert not english_words.search(result.output)


def test_heuristic_reports_its_gap_to_the_maximal_covering_bound(maurienne) -> None:  # type: ignore[no-untyped-def]
    from itertools import combinations

    from maillage.study import Study

    tour = Study.builtin(builtin_sources=["france_services"]).tour(
        "france-services", stops=3, max_candidates=4
    )
    assert tour.method == "heuristic"
    assert tour.notes[0].code == "tour_preselection" and tour.notes[0].params["kept"] == 4
    assert method_text(tour).startswith("heuristique : présélection des 4 communes")
    # The bound, by brute force: the best 3 town halls for coverage, with no route at all.
    codes = maurienne.communes["commune"].tolist()
    _, cover, population = _instance(maurienne, codes, threshold=20.0)
    best = max(
        float(population[cover[:, list(trio)].any(axis=1)].sum())
        for trio in combinations(range(len(codes)), 3)
    )
    assert tour.bound == pytest.approx(best)
    assert 0 < tour.population_gained <= tour.bound
    assert tour.gap == pytest.approx((best - tour.population_gained) / best)
    # The tables are English and tidy (schema); the JSON gives them French keys.
    assert list(tour.stops.columns) == columns("tour_stops")
    assert list(tour.gains.columns) == columns("tour_gains")
    summary = tour_summary(tour, label="France Services")
    assert [s["population_gagnee"] for s in summary["arrets"]] == tour.stops[
        "population_gained"
    ].tolist()
    assert summary["parametres"]["seuil_minutes"] == tour.parameters["threshold_minutes"] == 20.0
    assert set(summary["parametres"]) == set(PARAMETER_KEYS.values())
