"""Scenarios and siting in the report and the exports (``maillage rapport --scenario --implanter``).

The figures shown are checked against the stand-alone commands (``maillage implanter
--json``, ``maillage scenario --json``), run separately on the same territory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from maillage.cli.main import cli
from maillage.outputs.report.content import french_number

from .test_report import _tables

SCENARIO = Path(__file__).resolve().parents[2] / "exemples" / "scenario-maurienne.toml"


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("etude-planning")
    args = ["rapport", "--sortie", str(folder), "--sans-pdf", "--json"]
    args += ["--scenario", str(SCENARIO), "--implanter", "france-services:20:2"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return folder


def test_siting_section_equals_the_implanter_command(study) -> None:
    alone = CliRunner().invoke(
        cli, ["implanter", "france-services", "--dans", "20", "--sites", "2", "--json"]
    )
    assert alone.exit_code == 0, alone.output
    expected = json.loads(alone.stdout)
    html = (study / "rapport.html").read_text(encoding="utf-8")
    assert 'id="implantation-a128-20"' in html
    assert 'id="carte-implantation-a128-20"' in html
    rows = _tables(study)["implantation-a128-20-sites"][1:]
    assert [r[1] for r in rows] == [s["nom"] for s in expected["sites_choisis"]]
    assert [r[3] for r in rows] == [
        french_number(s["population_nouvellement_couverte"]) for s in expected["sites_choisis"]
    ]
    assert f"+{french_number(expected['population_nouvellement_couverte'])}" in html
    # Exported for GIS and spreadsheets too.
    layers = dict(pyogrio.list_layers(study / "implantations.gpkg"))
    assert layers == {"a128_20min": "Point"}
    table = pd.read_csv(study / "csv" / "implantation_a128_20min.csv", sep=";", decimal=",")
    assert set(table.loc[~table["existing"], "name"]) == {
        s["nom"] for s in expected["sites_choisis"]
    }


def test_scenario_section_equals_the_scenario_command(study) -> None:
    alone = CliRunner().invoke(cli, ["scenario", str(SCENARIO), "--json"])
    assert alone.exit_code == 0, alone.output
    expected = json.loads(alone.stdout)
    tables = _tables(study)
    [key] = [k for k in tables if k.startswith("scenario-acces-")]
    shown = {
        (r[0], r[2], r[5], r[6]) for r in tables[key][1:]
    }  # season, threshold, gaining, losing
    wanted = {
        (
            "été" if row["saison"] == "ete" else "hiver",
            f"{row['seuil_minutes']:g} min",
            french_number(row["population_gagnant_acces"]),
            french_number(row["population_perdant_acces"]),
        )
        for row in expected["acces"]
    }
    assert shown == wanted and wanted
    folder = study / "scenarios"
    [scenario] = list(folder.iterdir())
    assert (scenario / "scenario.png").stat().st_size > 10_000
    assert "communes_ecarts" in dict(pyogrio.list_layers(scenario / "scenario.gpkg"))
