"""Access without a car on the built-in territory and the shipped SNCF TER feed."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from maillage.cli.main import cli
from maillage.indicators.diagnostic import territory_origins
from maillage.network.model import StraightLineModel
from maillage.network.transit import TransitModel
from maillage.outputs.transit import transit_zones
from maillage.schema import columns
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
    territory = access.access[access.access["level"] == "territory"]
    territory = territory.set_index(["family", "threshold_minutes"])
    for family, part in access.families.groupby("family"):
        for t in (30, 45, 60):
            without = part.loc[~(part["minutes"] <= t), "origin_id"]
            expected = float(population.loc[without].sum())
            assert territory.loc[(family, t), "population_beyond"] == expected
    # Without a car most of the Maurienne is far from care: a real, non-trivial figure.
    soins = territory.loc[("soins", 60.0)]
    assert 0 < soins["population_beyond"] < soins["population"]


def test_car_gap_uses_the_study_car_model(result) -> None:  # type: ignore[no-untyped-def]
    study, access = result
    origins = territory_origins(study.territory)
    car = StraightLineModel().nearest(origins, study.services.dropna(subset=["type"]))
    merged = access.times.merge(car, on=["origin_id", "type"], suffixes=("", "_car"))
    pd.testing.assert_series_equal(merged["car_minutes"], merged["minutes_car"], check_names=False)
    reached = merged["minutes"].notna()
    assert np.allclose(
        merged.loc[reached, "gap_minutes"],
        merged.loc[reached, "minutes"] - merged.loc[reached, "minutes_car"],
    )
    # Public transport never beats the straight-line car estimate by much in a valley.
    assert (merged.loc[reached & ~merged["walk_only"], "gap_minutes"] > -15).all()


def test_france_services_by_train_within_60_min(result) -> None:  # type: ignore[no-untyped-def]
    _, access = result
    times = access.times[access.times["type"] == "A128"].set_index("origin_id")
    # Modane and Saint-Jean-de-Maurienne have a France Services near their station.
    for code in ("73157", "73248"):
        assert times.loc[code, "minutes"] <= 60
    # Bonneval-sur-Arc (73047): no station within walking distance.
    assert np.isnan(times.loc["73047", "minutes"])
    reached = times[times["minutes"] <= 60]
    assert reached["return_same_day"].all()  # a return the same day exists from each of them


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
    path = tmp_path / "exports" / "transports_en_commun_communes.csv"
    assert path.read_bytes().startswith("\ufeffcode_commune;commune;type;".encode())
    csv = pd.read_csv(path, sep=";", decimal=",", dtype={"code_commune": str})
    assert {"famille", "minutes_tc", "minutes_voiture", "retour_meme_jour"} <= set(csv.columns)
    modane = csv[(csv["code_commune"] == "73157") & (csv["type"] == "A128")].iloc[0]
    assert (modane["commune"], modane["libelle_type"]) == ("Modane", "FRANCE SERVICES")
    assert 0 < modane["minutes_tc"] <= 60  # decimal commas read back as numbers


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
    ids = [f.id for f in section.figures]
    # France Services first (no pharmacy or collège among this study's sources), then families.
    assert set(access.times["type"]).isdisjoint({"D307", "C201"})
    assert ids == [f"carte-sans-voiture-{f}" for f in ("A128", *families)]
    assert all(f.png.startswith(b"\x89PNG") for f in section.figures)
    assert "vol d'oiseau" in (section.warning or "")
    assert "le mardi 04/02/2025, départ entre 07:00 et 09:00" in section.paragraphs[0]
    fs = access.times[(access.times["type"] == "A128") & (access.times["minutes"] <= 60)]
    assert section.paragraphs[1] == (
        f"Sans voiture, en moins de 60 min, sur 53 communes : France Services : {len(fs)} communes."
    )
    assert section.paragraphs[2].startswith("Lecture des cartes : en violet")
    (table,) = section.tables
    soins = access.access.set_index(["level", "family", "threshold_minutes"])
    soins = soins.loc[("territory", "soins", 60.0)]
    row = next(r for r in table.rows if r[0] == "Accès aux soins")
    expected = f"{soins['population_beyond']:,.0f}".replace(",", "\u202f")
    assert row[3].split(" (")[0].replace("\u00a0", "\u202f") == expected


def test_families_leave_out_types_never_nearest(result) -> None:  # type: ignore[no-untyped-def]
    from maillage.indicators.access import nearest_by_family

    study, access = result
    # The car diagnostic's rule, applied to the transit times: psychiatric, SSR and
    # long-term care hospitals are never the nearest "soins".
    expected = nearest_by_family(access.times, study.typology).set_index(["origin_id", "family"])
    ours = access.families.set_index(["origin_id", "family"]).loc[expected.index]
    pd.testing.assert_series_equal(ours["minutes"], expected["minutes"], check_names=False)
    never = study.typology.types.loc[~study.typology.types["nearest"].astype(bool), "type"]
    kinds = access.times.set_index("service_id")["type"].dropna()
    chosen = access.families["service_id"].dropna().map(kinds.groupby(level=0).first())
    assert not chosen.isin(set(never)).any()


def test_cli_text_names_the_services(result, capsys, english_words) -> None:  # type: ignore[no-untyped-def]
    from maillage.cli.transit import print_transit
    from maillage.outputs.transit import transit_summary

    study, access = result
    names = study.territory.communes.set_index("commune")["name"].to_dict()
    print_transit(transit_summary(access), names, study.typology)
    text = capsys.readouterr().out
    assert "mardi 04/02/2025, départ entre 07:00 et 09:00" in text
    assert "Accès aux soins : " in text
    line = next(x for x in text.splitlines() if x.strip().startswith("France Services (A128)"))
    assert "Modane" in line and "Saint-Jean-de-Maurienne" in line
    assert "Bonneval-sur-Arc" not in line
    assert not english_words.search(text)


def test_cli_not_a_gtfs_stops_before_the_diagnostic(tmp_path: Path) -> None:
    feed = tmp_path / "horaires.zip"
    feed.write_text("pas un zip", encoding="utf-8")
    out = tmp_path / "etude"
    result = CliRunner().invoke(
        cli, ["diagnostic", "--transports", str(feed), "--sortie", str(out)]
    )
    assert result.exit_code == 2
    assert "horaires.zip : ce n'est pas une archive zip" in result.output
    assert "Correction : téléchargez le flux GTFS publié" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()  # stopped before computing or writing anything


def test_cli_no_stop_in_the_territory(tmp_path: Path) -> None:
    # An invented feed (not real data): two stops in Brittany, far from the Maurienne.
    feed = tmp_path / "bretagne.zip"
    files = {
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nA,Quimper,47.99,-4.09\n"
        "B,Brest,48.39,-4.48\n",
        "routes.txt": "route_id,route_short_name,route_type\nR,1,3\n",
        "trips.txt": "route_id,service_id,trip_id\nR,S,t\n",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "t,07:00:00,07:00:00,A,1\nt,08:10:00,08:10:00,B,2\n",
        "calendar_dates.txt": "service_id,date,exception_type\nS,20250204,1\n",
    }
    with zipfile.ZipFile(feed, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    out = tmp_path / "etude"
    result = CliRunner().invoke(
        cli, ["diagnostic", "--transports", str(feed), "--sortie", str(out)]
    )
    assert result.exit_code == 2
    assert "bretagne.zip : aucun arrêt desservi ce jour-là dans le territoire" in result.output
    assert "Correction : vérifiez que le flux couvre le territoire" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_tables_have_the_columns_of_the_schema(result) -> None:  # type: ignore[no-untyped-def]
    _, access = result
    assert list(access.times.columns) == columns("transit_times")
    assert list(access.families.columns) == columns("transit_families")
    assert list(access.access.columns) == columns("transit_access")


def test_zones_export_is_the_long_table_in_french_wide(result) -> None:  # type: ignore[no-untyped-def]
    _, access = result
    zones = transit_zones(access.access)
    # One row per level, zone and family; one pair of columns per threshold.
    assert len(zones) * 3 == len(access.access)
    assert list(zones.columns[:4]) == ["niveau", "zone", "famille", "population"]
    assert zones.columns[-2:].tolist() == ["mediane_minutes", "ecart_median_minutes"]
    assert set(zones["niveau"]) == {"territoire", "epci"}
    long = access.access.set_index(["level", "zone", "family", "threshold_minutes"])
    for row in zones.itertuples(index=False):
        level = "territory" if row.niveau == "territoire" else row.niveau
        zone = "territory" if row.zone == "territoire" else row.zone
        for t in (30, 45, 60):
            figures = long.loc[(level, zone, row.famille, float(t))]
            assert getattr(row, f"population_sans_acces_{t}min") == figures["population_beyond"]
            assert getattr(row, f"part_sans_acces_{t}min") == pytest.approx(
                figures["share_beyond"], nan_ok=True
            )
