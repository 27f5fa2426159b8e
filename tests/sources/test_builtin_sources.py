"""The shipped sources, checked against the raw files read independently."""

from __future__ import annotations

import json

from maillage.services.opening_hours import FRENCH_DAYS
from maillage.sources.communes import read_communes
from maillage.sources.france_services import read_france_services
from maillage.sources.hospitals import read_hospitals
from maillage.sources.mairies import read_mairies
from maillage.sources.population import population_by_commune


def test_savoie_has_31_france_services_in_the_anct_list(raw_france_services) -> None:
    raw = [row for row in raw_france_services if row["insee_dep"] == "73"]
    services = read_france_services().services
    savoie = services[services["commune"].str.startswith("73")]
    assert len(raw) == len(savoie) == 31
    assert set(savoie["service_id"]) == {"fs:" + row["id_fs"] for row in raw}


def test_france_services_rejects_only_unknown_or_merged_communes(raw_france_services) -> None:
    result = read_france_services()
    assert result.rows_read == len(raw_france_services)
    assert len(result.services) + len(result.rejected) == result.rows_read
    # 93059 (Pierrefitte) was merged on 2025-01-01; 97801 (Saint-Martin) is outside the COG.
    assert set(result.rejected["valeur"]) == {"49069", "93059", "97801"}
    merged = result.rejected[result.rejected["valeur"] == "93059"]
    assert merged["raison"].str.contains("commune fusionnée").all()


def test_france_services_hours_equal_hand_computed_hours(raw_france_services) -> None:
    """Hours per week recomputed from the raw text with plain arithmetic."""
    services = read_france_services().services.set_index("service_id")
    for row in raw_france_services[:200]:
        minutes = 0
        for day in FRENCH_DAYS[:6]:
            open_minutes: set[int] = set()  # overlapping ranges count once
            for part in filter(None, (row[f"h_{day}"] or "").split("/")):
                start, end = (t.strip() for t in part.split("-"))
                h0, m0 = map(int, start.split(":"))
                h1, m1 = map(int, end.split(":"))
                open_minutes |= set(range(h0 * 60 + m0, h1 * 60 + m1))
            minutes += len(open_minutes)
        key = "fs:" + row["id_fs"]
        if key in services.index:
            assert services.loc[key, "hours_per_week"] == minutes / 60
            assert bool(services.loc[key, "open_saturday"]) == bool(row["h_samedi"])


def test_every_commune_keeps_its_town_hall(raw_communes) -> None:
    result = read_mairies()
    assert len(result.services) == len(raw_communes) and result.rejected.empty
    # Impossible coordinates in the source (lon == lat) are reported, the town hall placed
    # at its commune's point.
    warned = [w for w in result.warnings if w.value == "49.207466 ; 49.207466"]
    assert warned and "placée au point de sa commune" in warned[0].reason
    moved = result.services.set_index("commune").loc["55180"]
    assert moved["position"] == "commune"


def test_town_hall_hours_from_the_annuaire_json() -> None:
    """L'Abergement-Clémenciat: Tuesday 9–12 and 14–17, Friday 9–12 and 14–18:30."""
    import csv
    import gzip

    from maillage._data import data_path

    with gzip.open(data_path("communes", "mairies-france.csv.gz"), "rt", encoding="utf-8") as f:
        raw = next(r for r in csv.DictReader(f) if r["code"] == "01001")
    assert json.loads(raw["mairie_horaires"])[0][0] == "mardi"
    hall = read_mairies().services.set_index("commune").loc["01001"]
    assert hall["hours_per_week"] == 3 + 3 + 3 + 4.5
    assert hall["opening_hours"] == "Tu 09:00-12:00,14:00-17:00; Fr 09:00-12:00,14:00-18:30"
    assert not hall["open_saturday"]


def test_hospitals_are_attached_to_their_commune() -> None:
    hospitals = read_hospitals().services
    modane = hospitals[hospitals["name"] == "CENTRE HOSPITALIER DE MODANE"]
    assert modane["commune"].tolist() == ["73157"]
    assert modane["type"].tolist() == ["D101"]


def test_hospitals_outside_every_commune_are_rejected() -> None:
    """Real defect of the Eurostat file: Saint-Pierre-et-Miquelon's two hospitals (no
    commune in the COG table) were attached to Baie-Mahault, Guadeloupe, 3,400 km away."""
    result = read_hospitals()
    spm = {"hopital:970500013", "hopital:970500039"}  # 97500 ST PIERRE ET MIQUELON
    assert not result.services["service_id"].isin(spm).any()
    assert result.rejected["ligne"].tolist() == [5367, 5368]
    assert result.rejected["raison"].str.startswith("à plus de 50 km de toute commune").all()
    assert len(result.services) == result.rows_read - 2


def test_iris_population_matches_commune_population_order_of_magnitude() -> None:
    communes = read_communes().set_index("commune")
    counts, missing = population_by_commune(
        communes.index[communes["departement"] == "73"].to_series()
    )
    assert missing.empty
    ratio = counts["population"].sum() / communes.loc[counts.index, "population"].sum()
    # IRIS census 2021 counts vs the population municipale of a later vintage.
    assert 0.95 < ratio < 1.05
    # INSEE's IRIS counts are rounded weighted estimates: age bands add up to the total
    # within rounding.
    bands = counts[["population_0_19", "population_20_64", "population_65_plus"]].sum(axis=1)
    assert abs(bands.sum() / counts["population"].sum() - 1) < 0.005
