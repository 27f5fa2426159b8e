"""``maillage itinerance``: hours per week of itinerant services within reach of each commune.

The stops stand at real town halls of Haute Maurienne; their hours are invented (the ANCT
list has no mobile France Services in the Maurienne), as the test says.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
from click.testing import CliRunner

from maillage.cli.main import cli
from maillage.network.model import StraightLineModel
from maillage.services.catalogue import builtin_services
from maillage.territory.builtin import pays_de_maurienne

TOML = (Path(__file__).parents[2] / "exemples" / "itinerance-haute-maurienne.toml").read_text(
    encoding="utf-8"
)


def test_hours_within_reach_equal_a_distance_computed_apart(tmp_path: Path) -> None:
    path = tmp_path / "bus.toml"
    path.write_text(TOML, encoding="utf-8")
    csv = tmp_path / "itinerance.csv"
    result = CliRunner().invoke(cli, ["itinerance", str(path), "--sortie", str(csv), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # Independently: Lambert-93 distance from each commune's town hall (its origin) to each
    # stop's town hall, × the straight-line model's detour, at its speed.
    model = StraightLineModel()
    halls = builtin_services("mairies").drop_duplicates("commune").set_index("commune")
    points = gpd.GeoSeries(
        gpd.points_from_xy(halls["lon"], halls["lat"]), index=halls.index, crs=4326
    ).to_crs(2154)
    hours = {"73290": 5.0, "73040": 2.0}  # Tu 3 h + Th 2 h; 2 h given
    communes = pays_de_maurienne().communes
    expected = {}
    for code in communes["commune"]:
        minutes = {
            stop: points[code].distance(points[stop])
            / 1000
            * model.detour_coefficient
            / model.speed_kph
            * 60
            for stop in hours
        }
        expected[code] = sum(h for stop, h in hours.items() if minutes[stop] <= 20.0)
    got = {c["code"]: c["heures_par_semaine"] for c in summary["communes"]}
    assert got == expected
    served = {c for c, h in expected.items() if h > 0}
    assert {"73290", "73040"} <= served and len(served) < len(expected)
    entry = summary["par_type"][0]
    population = communes.set_index("commune")["population"]
    assert entry["type"] == "A128" and entry["communes_desservies"] == len(served)
    assert entry["population_desservie"] == population[sorted(served)].sum()
    table = pd.read_csv(csv, sep=";", decimal=",", dtype={"code_commune": str})
    assert list(table.columns) == [
        "code_commune",
        "commune",
        "population",
        "type_equipement",
        "libelle_type",
        "heures_par_semaine",
        "arrets_a_moins_de_20_min",
    ]
    assert dict(zip(table["code_commune"], table["heures_par_semaine"], strict=True)) == expected
    text = CliRunner().invoke(cli, ["itinerance", str(path)])
    assert "ont un arrêt à portée (de 2,0 à 5,0 h par semaine selon la commune)" in text.output


def test_no_itinerant_service_and_unknown_type_say_how_to_fix(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["itinerance"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "aucun service itinérant" in result.output and "maillage itinerance bus.toml" in (
        result.output
    )
    path = tmp_path / "bus.toml"
    path.write_text(TOML.replace('"france-services"', '"bus magique"'), encoding="utf-8")
    result = CliRunner().invoke(cli, ["itinerance", str(path)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "bus.toml" in result.output and "ligne 11" in result.output  # the line of its type
    assert "type de service « bus magique » inconnu" in result.output
