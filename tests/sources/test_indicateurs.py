"""The shipped per-commune files and the services counted from them, against the raw files.

The raw files are read independently with pyarrow and plain Python (codes padded by hand).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from maillage._data import data_path
from maillage.indicators.access import nearest_by_family
from maillage.network.straight_line import nearest_services_straight_line
from maillage.services.catalogue import territory_services
from maillage.services.typology import load_typology
from maillage.sources.bpe import read_bpe
from maillage.sources.indicateurs import COMMUNE_FILES, read_commune_counts, read_commune_file
from maillage.sources.mairies import read_mairies, town_hall_points
from maillage.territory.builtin import pays_de_maurienne

BPE_FIXTURE = Path(__file__).parents[1] / "data" / "bpe" / "bpe-maurienne-extrait.csv"


def _raw(name: str) -> list[dict[str, object]]:
    path = data_path("indicateurs-communaux", COMMUNE_FILES[name].filename)
    return pq.read_table(path).to_pylist()  # type: ignore[no-any-return]


def _code(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return "0" + text if len(text) == 4 and text.isdigit() else text


@pytest.fixture(scope="module")
def maurienne():  # type: ignore[no-untyped-def]
    return pays_de_maurienne()


@pytest.fixture(scope="module")
def counted():  # type: ignore[no-untyped-def]
    return read_commune_counts()


def test_every_count_type_equals_the_raw_sum_over_the_53_communes(maurienne, counted) -> None:
    codes = set(maurienne.codes)
    assert len(codes) == 53
    services = counted.services[counted.services["commune"].isin(codes)]
    for rule in load_typology().counts:
        rows = [r for r in _raw(rule.file) if _code(r["id"]) in codes]
        assert len(rows) == 53
        if rule.count:
            expected = sum(round(sum(float(r[c]) for c in rule.count)) for r in rows)
        else:
            expected = sum(1 for r in rows if sum(float(r[c]) for c in rule.places) > 0)
        assert (services["type"] == rule.type).sum() == expected, rule.type
        if rule.capacity or rule.places:
            columns = rule.capacity or rule.places
            capacity = services.loc[services["type"] == rule.type, "capacity"].sum()
            raw = sum(
                sum(float(r[c]) for c in columns)
                for r in rows
                if (sum(float(r[c]) for c in rule.count) if rule.count else 1) > 0
            )
            assert capacity == pytest.approx(raw), rule.type
    pharmacies = sum(float(r["pharma"]) for r in _raw("bpe") if _code(r["id"]) in codes)
    assert pharmacies > 10  # a real figure, not an empty territory


def test_counted_services_stand_at_their_commune_town_hall(counted) -> None:
    halls = town_hall_points()
    services = counted.services[counted.services["commune"].str.startswith("73")]
    assert (services["position"] == "commune").all()
    expected = halls.loc[services["commune"], ["lon", "lat"]].to_numpy()
    assert (services[["lon", "lat"]].to_numpy() == expected).all()


def test_rows_without_a_code_are_rejected_and_listed() -> None:
    for name in COMMUNE_FILES:
        raw = _raw(name)
        missing = [i + 1 for i, row in enumerate(raw) if row["id"] is None]
        table = read_commune_file(name)
        lost = table.rejected[table.rejected["raison"] == "code commune manquant"]
        assert lost["ligne"].tolist() == missing == [118, 1385], name
        assert table.rows_read == len(raw)


def test_commune_values_equal_the_raw_file() -> None:
    raw = {_code(r["id"]): r for r in _raw("apl")}
    values = read_commune_file("apl").values
    for code in ("73248", "73290", "01004", "05061"):
        assert values.loc[code, "apl_gen"] == raw[code]["apl_gen"]
    # "ND" (not published) is unknown, not zero.
    tcg = {_code(r["id"]): r["tcg"] for r in _raw("caf_couverture")}
    nd = next(code for code, value in tcg.items() if value == "ND" and code and code[:2] == "73")
    assert pd.isna(read_commune_file("caf_couverture").values.loc[nd, "tcg"])


def test_paris_is_its_arrondissements() -> None:
    """Counts add up; rates are the arrondissements' mean weighted by their population."""
    raw = [r for r in _raw("apl") if str(r["id"]).startswith("751")]
    assert len(raw) == 20
    weight = sum(r["pop_apl"] for r in raw)
    expected = sum(r["apl_gen"] * r["pop_apl"] for r in raw) / weight
    values = read_commune_file("apl").values
    assert values.loc["75056", "apl_gen"] == pytest.approx(expected, rel=1e-12)
    assert values.loc["75056", "pop_apl"] == weight
    pharma = sum(float(r["pharma"]) for r in _raw("bpe") if str(r["id"]).startswith("751"))
    assert read_commune_file("bpe").values.loc["75056", "pharma"] == pharma


def test_bpe_points_replace_the_counts_of_the_same_types(maurienne) -> None:
    bpe = read_bpe(BPE_FIXTURE)
    given = set(bpe.services["type"])
    assert {"D307", "C108", "D502", "A129"} <= given
    services = territory_services(maurienne, extra=[bpe])
    counts = services[services["source"].str.startswith("comptages_")]
    assert not set(counts["type"]) & {"D307", "C108", "D502"}
    # Types the file does not give keep their counts (post offices, EHPAD, collèges).
    assert {"A206", "D401", "C201"} <= set(counts["type"])
    pharmacies = services[services["type"] == "D307"]
    assert set(pharmacies["source"]) == {"bpe"}
    without = territory_services(maurienne)
    assert (without["type"] == "D307").sum() > (pharmacies["type"] == "D307").sum()


def test_no_commune_gets_a_specialised_hospital_as_nearest_care(maurienne) -> None:
    """Maurienne communes: nearest acute-care site, and never a psychiatric/SSR/long-term one."""
    typology = load_typology()
    services = territory_services(maurienne)
    from maillage.indicators.diagnostic import territory_origins

    origins = territory_origins(maurienne)
    hospitals = services[services["source"] == "hopitaux"]
    times = nearest_services_straight_line(origins, hospitals)
    care = nearest_by_family(times[["origin_id", "type", "service_id", "minutes"]], typology)
    kinds = hospitals.set_index("service_id")["source_type"]
    nearest = care.assign(facility=care["service_id"].map(kinds))
    acute = set(typology.types.set_index("type").loc["D101", "eurostat"]) | {
        "Etablissement Soins Obstétriques Chirurgico-Gynécologiques"
    }
    assert len(nearest) == 53
    assert nearest["facility"].isin(acute).all(), nearest["facility"].value_counts()
    # Before the split, Bessans (73040), Bonneval-sur-Arc (73047) and Val-Cenis (73290) had
    # a children's diabetes home (SSR) across the Vanoise as their nearest care.
    names = hospitals.set_index("service_id")["name"]
    for code in ("73040", "73047", "73290"):
        site = nearest.set_index("origin_id").loc[code, "service_id"]
        assert "DIABETIQUES" not in str(names[site]).upper()
    specialised = typology.types.loc[~typology.types["nearest"], "type"]
    assert set(specialised) >= {"D102", "D103", "D104"}


def test_each_commune_origin_is_its_town_hall(maurienne) -> None:
    """The straight-line time from each commune to its own town hall is 0."""
    from maillage.indicators.diagnostic import territory_origins

    origins = territory_origins(maurienne)
    halls = read_mairies().services
    own = halls[halls["commune"].isin(maurienne.codes)]
    times = nearest_services_straight_line(origins, own)
    assert len(times) == 53
    by_origin = defaultdict(list)
    for row in times.itertuples():
        by_origin[row.origin_id].append((row.minutes, row.service_id))
    for code, found in by_origin.items():
        minutes, service = min(found)
        assert minutes == pytest.approx(0.0, abs=1e-9)
        assert service == f"mairie:{code}"
    assert (origins["origin_position"] == "mairie").all()
