"""Scenarios on the real Maurienne: a no-op changes nothing, a closure matches a direct count."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from maillage._errors import InputFileError
from maillage.notes import Note
from maillage.outputs.french import notes_text
from maillage.outputs.scenario import write_scenario
from maillage.planning.scenario import (
    Scenario,
    apply_scenario,
    read_scenario,
    run_scenario,
)
from maillage.schema import TERRITORY

EXAMPLE = Path(__file__).parents[2] / "exemples" / "scenario-maurienne.toml"


@pytest.fixture(scope="module")
def before(maurienne, maurienne_services):  # type: ignore[no-untyped-def]
    from maillage.indicators.diagnostic import run_diagnostic

    return run_diagnostic(maurienne, maurienne_services)


def test_a_scenario_that_changes_nothing_changes_no_figure(  # type: ignore[no-untyped-def]
    maurienne, maurienne_services, before
) -> None:
    result = run_scenario(Scenario(name="rien"), maurienne, maurienne_services, before=before)
    assert (result.access[["population_gaining", "population_losing"]] == 0).all().all()
    assert (
        result.access["population_within_before"] == result.access["population_within_after"]
    ).all()
    assert (result.communes["change_minutes"].fillna(0) == 0).all()
    assert (
        result.communes["minutes_before"].isna() == result.communes["minutes_after"].isna()
    ).all()
    pd.testing.assert_frame_equal(result.before.access, result.after.access)
    pd.testing.assert_frame_equal(result.before.family_times, result.after.family_times)
    assert result.changes.empty


def test_closing_a_france_services_matches_a_direct_count(  # type: ignore[no-untyped-def]
    maurienne, maurienne_services, maurienne_population, before
) -> None:
    from maillage.network.straight_line import nearest_services_straight_line

    closed = "fs:1570"  # France services Modane (ANCT list, 2024-08-01)
    result = run_scenario(
        Scenario("Modane ferme", close=(closed,)), maurienne, maurienne_services, before=before
    )
    fs = maurienne_services[maurienne_services["type"] == "A128"]
    old = nearest_services_straight_line(maurienne_population, fs).set_index("origin_id")["minutes"]
    new = nearest_services_straight_line(
        maurienne_population, fs[fs["service_id"] != closed]
    ).set_index("origin_id")["minutes"]
    population = maurienne_population.set_index("origin_id")["population"]
    rows = result.access[(result.access["season"] == "summer") & (result.access["key"] == "A128")]
    for threshold in (7.0, 15.0, 20.0, 30.0):
        losing = population[(old <= threshold) & (new > threshold)].sum()
        row = rows[rows["threshold_minutes"] == threshold].iloc[0]
        assert row["population_losing"] == pytest.approx(losing)
        assert row["population_gaining"] == 0
    assert rows["population_losing"].sum() > 0  # someone does lose access
    communes = result.communes[
        (result.communes["season"] == "summer") & (result.communes["key"] == "A128")
    ].set_index("origin_id")
    np.testing.assert_allclose(communes["minutes_after"].loc[new.index], new.to_numpy())
    assert (communes["change_minutes"] >= -1e-9).all()  # closing never shortens a time
    # The social family also has the town halls, which stay: its times do not move.
    social = result.communes[
        (result.communes["season"] == "summer") & (result.communes["key"] == "social_emploi")
    ]
    assert (social["change_minutes"].abs() < 1e-9).all()


def test_the_example_scenario_reads_applies_and_writes(  # type: ignore[no-untyped-def]
    maurienne, maurienne_services, before, tmp_path
) -> None:
    scenario = read_scenario(EXAMPLE)
    assert scenario.close == ("fs:1570",) and scenario.close_roads == ("Col du Galibier",)
    assert scenario.open[0].type == "A128" and scenario.open[0].commune == "73290"
    after, changes = apply_scenario(scenario, maurienne_services, maurienne)
    assert sorted(changes["action"]) == ["close", "merge", "open"]
    opened = after[after["service_id"] == "scenario:1"].iloc[0]
    assert opened["name"] == "France services Val-Cenis" and opened["zone"] == TERRITORY
    assert opened["family"] == "social_emploi"
    assert len(after) == len(maurienne_services) - 2 + 1
    result = run_scenario(scenario, maurienne, maurienne_services, before=before)
    assert (
        Note("road_closures_not_applied", {"roads": ["Col du Galibier"], "method": "straight_line"})
        in result.notes
    )
    assert any("Col du Galibier" in t and "vol d'oiseau" in t for t in notes_text(result.notes))
    folder = write_scenario(result, tmp_path / "sortie")
    assert {"scenario_acces.parquet", "scenario_communes.csv", "scenario.gpkg"} <= {
        p.name for p in folder.iterdir()
    }


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('nom = "x"\nfermr = ["fs:1570"]\n', "clé « fermr » : clé inconnue", 2),
        (
            'nom = "x"\n[[ouvrir]]\ntype = "boulangerie-xyz"\ncommune = "73290"\n',
            "type de service « boulangerie-xyz » inconnu",
            3,
        ),
        (
            'nom = "x"\n[[fusionner]]\nservices = ["fs:428"]\ngarder = "fs:428"\n',
            "clé « fusionner[0].services » : au moins 2 élément(s)",
            3,
        ),
        ('nom = "x\n', "TOML illisible", 1),
    ],
)
def test_bad_scenario_files_name_the_line_and_the_fix(tmp_path, text, message, line) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=re.escape(message)) as caught:
        read_scenario(path)
    assert caught.value.line == line
    assert str(path) in str(caught.value)


def test_an_unknown_service_id_is_reported_with_its_line(  # type: ignore[no-untyped-def]
    tmp_path, maurienne, maurienne_services
) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text('nom = "x"\n\nfermer = ["fs:99999"]\n', encoding="utf-8")
    with pytest.raises(
        InputFileError, match=re.escape("service(s) inconnu(s) du territoire : fs:99999")
    ) as caught:
        apply_scenario(read_scenario(path), maurienne_services, maurienne)
    assert caught.value.line == 3
