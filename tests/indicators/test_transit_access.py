"""Access without a car on the built-in territory and the shipped SNCF TER feed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from maillage.cli.main import cli
from maillage.indicators.diagnostic import territory_origins
from maillage.network.model import StraightLineModel
from maillage.network.transit import TransitModel
from maillage.sources.gtfs import default_feed_path, read_gtfs
from maillage.study import Study

FEED = str(default_feed_path())


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    study = Study.builtin(builtin_sources=["france_services", "hopitaux"])
    feed = read_gtfs(day="2025-02-04", bounds=(5.7, 44.9, 7.3, 45.8))
    return study, study.transit(TransitModel(feed))


def test_population_without_access_recomputed_from_the_times(result) -> None:  # type: ignore[no-untyped-def]
    study, access = result
    origins = territory_origins(study.territory)
    population = origins.set_index("origin_id")["population"].astype(float)
    territory = access.access[access.access["niveau"] == "territoire"].set_index("family")
    for family, part in access.families.groupby("family"):
        for t in (30, 45, 60):
            without = part.loc[~(part["minutes"] <= t), "origin_id"]
            expected = float(population.loc[without].sum())
            assert territory.loc[family, f"population_sans_acces_{t}min"] == expected
    # Without a car most of the Maurienne is far from care: a real, non-trivial figure.
    soins = territory.loc["soins"]
    assert 0 < soins["population_sans_acces_60min"] < soins["population"]


def test_car_gap_uses_the_study_car_model(result) -> None:  # type: ignore[no-untyped-def]
    study, access = result
    origins = territory_origins(study.territory)
    car = StraightLineModel().nearest(origins, study.services.dropna(subset=["type"]))
    merged = access.times.merge(car, on=["origin_id", "type"], suffixes=("", "_car"))
    pd.testing.assert_series_equal(
        merged["minutes_voiture"], merged["minutes_car"], check_names=False
    )
    reached = merged["minutes"].notna()
    assert np.allclose(
        merged.loc[reached, "ecart_minutes"],
        merged.loc[reached, "minutes"] - merged.loc[reached, "minutes_car"],
    )
    # Public transport never beats the straight-line car estimate by much in a valley.
    assert (merged.loc[reached & ~merged["a_pied"], "ecart_minutes"] > -15).all()


def test_france_services_by_train_within_60_min(result) -> None:  # type: ignore[no-untyped-def]
    _, access = result
    times = access.times[access.times["type"] == "A128"].set_index("origin_id")
    # Modane and Saint-Jean-de-Maurienne have a France Services near their station.
    for code in ("73157", "73248"):
        assert times.loc[code, "minutes"] <= 60
    # Bonneval-sur-Arc (73047): no station within walking distance.
    assert np.isnan(times.loc["73047", "minutes"])
    reached = times[times["minutes"] <= 60]
    assert reached["retour"].all()  # a return the same day exists from each of them


def test_cli_diagnostic_with_transports(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "diagnostic",
            "--transports",
            FEED,
            "--jour",
            "2025-02-04",
            "--depart",
            "07:00-09:00",
            "--sortie",
            str(tmp_path),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    block = json.loads(result.output)["transports_en_commun"]
    assert block["jour"] == "2025-02-04" and block["depart"] == "07:00-09:00"
    assert block["marche"] == "straight_line"
    assert "73157" in block["communes_a_moins_de_60_min"]["A128"]
    written = json.loads((tmp_path / "resume.json").read_text(encoding="utf-8"))
    assert written["transports_en_commun"] == block
    csv = pd.read_csv(tmp_path / "exports" / "transports_en_commun_communes.csv")
    assert {"commune", "famille", "minutes_tc", "minutes_voiture", "retour_meme_jour"} <= set(
        csv.columns
    )


def test_cli_day_outside_the_feed(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["diagnostic", "--transports", FEED, "--jour", "2025-06-10", "--sortie", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "hors de la période de validité du flux" in result.output


def test_report_section_sans_voiture(result) -> None:  # type: ignore[no-untyped-def]
    from maillage.outputs.report import maps
    from maillage.outputs.report.transit import transit_section

    study, access = result
    layers = maps.map_layers(study.territory, territory_origins(study.territory))
    section = transit_section(access, layers)
    families = sorted(access.families["family"].unique())
    assert [f.id for f in section.figures] == [f"carte-sans-voiture-{f}" for f in families]
    assert all(f.png.startswith(b"\x89PNG") for f in section.figures)
    assert "vol d'oiseau" in (section.warning or "")
    (table,) = section.tables
    soins = access.access[
        (access.access["niveau"] == "territoire") & (access.access["family"] == "soins")
    ].iloc[0]
    row = next(r for r in table.rows if r[0] == "Accès aux soins")
    expected = f"{soins['population_sans_acces_60min']:,.0f}".replace(",", "\u202f")
    assert row[3].split(" (")[0].replace("\u00a0", "\u202f") == expected
