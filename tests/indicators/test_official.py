"""Official indicators equal the published files, read independently (pyarrow, plain Python)."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from maillage._data import data_path
from maillage.indicators.diagnostic import territory_origins
from maillage.indicators.enjeux import enjeux_scores
from maillage.indicators.official import (
    UNDERSERVED_APL_GP,
    apl_by_commune,
    apl_by_zone,
    childcare_coverage,
    cite_needs,
    need_indicators,
    step_free_share,
)
from maillage.outputs.french import enjeux_french
from maillage.sources.indicateurs import COMMUNE_FILES
from maillage.territory.builtin import pays_de_maurienne


def _raw(name: str) -> dict[str, dict[str, object]]:
    """Rows by code: communes padded to 5 characters, aggregates (EPCI SIREN...) as is."""
    path = data_path("indicateurs-communaux", COMMUNE_FILES[name].filename)
    rows = pq.read_table(path).to_pylist()
    return {str(r["id"]).zfill(5): r for r in rows if r["id"] is not None}


def _poverty(code: str, epci: str, filosofi: dict[str, dict[str, object]]) -> tuple[float, str]:
    own = filosofi[code]["tp6021"]
    if own != "ND":
        return float(str(own)), "commune"
    return float(str(filosofi[epci]["tp6021"])), "epci"


@pytest.fixture(scope="module")
def territory():  # type: ignore[no-untyped-def]
    return pays_de_maurienne(buffer_km=0)


def test_apl_per_commune_and_epci_equal_the_drees_file(territory) -> None:
    raw = _raw("apl")
    apl = apl_by_commune(territory.codes).set_index("commune")
    for code in territory.codes:
        assert apl.loc[code, "apl_gp"] == raw[code]["apl_gen"]
        assert apl.loc[code, "apl_nurses"] == raw[code]["apl_inf"]
        assert apl.loc[code, "apl_dentists"] == raw[code]["apl_dent"]
        assert bool(apl.loc[code, "underserved"]) == (raw[code]["apl_gen"] < 2.5)
    assert UNDERSERVED_APL_GP == 2.5
    zones = apl_by_zone(territory.communes).set_index("epci")
    assert len(zones) == 5
    for epci, part in territory.communes.groupby("epci"):
        rows = [raw[c] for c in part["commune"]]
        weight = sum(r["pop_apl"] for r in rows)
        expected = sum(r["apl_gen"] * r["pop_apl"] for r in rows) / weight
        assert zones.loc[epci, "apl_gp"] == pytest.approx(expected, rel=1e-12)
        under = sum(r["pop_apl"] for r in rows if r["apl_gen"] < 2.5) / weight
        assert zones.loc[epci, "underserved_share"] == pytest.approx(under, rel=1e-12)


def test_coverage_poverty_and_step_free_access_equal_the_files(territory) -> None:
    tcg, filosofi, erp = _raw("caf_couverture"), _raw("filosofi"), _raw("erp")
    coverage = childcare_coverage(territory.codes).set_index("commune")["childcare_coverage_pct"]
    origins = territory_origins(territory)
    needs = need_indicators(origins).set_index("origin_id")
    access = step_free_share(territory.communes).set_index("commune")
    epci = territory.communes.set_index("commune")["epci"]
    for code in territory.codes:
        published = tcg[code]["tcg"]
        assert (published == "ND" and coverage.isna()[code]) or coverage[code] == float(published)
        rate, level = _poverty(code, epci[code], filosofi)
        assert needs.loc[code, "poverty_rate_pct"] == rate
        assert needs.loc[code, "poverty_rate_level"] == level
        yes, no = erp[code]["entr_plain_pied_true"], erp[code]["entr_plain_pied_false"]
        if yes + no:
            assert access.loc[code, "step_free_share"] == pytest.approx(yes / (yes + no))
    # Only the larger communes are published; the others take their EPCI's rate.
    assert (needs["poverty_rate_level"] == "commune").sum() == 3
    by_epci = step_free_share(territory.communes, by="epci")
    assert by_epci["erp_assessed"].sum() == sum(erp[c]["nb_erp_eval"] for c in territory.codes)


def test_enjeux_reasons_cite_the_poverty_rate_of_the_source(territory) -> None:
    origins = territory_origins(territory)
    population = origins.drop(columns="geometry")
    times = population[["origin_id"]].assign(family="soins", minutes=45.0)
    enjeux = enjeux_french(
        cite_needs(enjeux_scores(times, population), need_indicators(population))
    )
    filosofi = _raw("filosofi")
    epci = territory.communes.set_index("commune")["epci"]
    published = {c: _poverty(c, epci[c], filosofi) for c in territory.codes}
    mean = sum(rate for rate, _ in published.values()) / len(published)
    cited = enjeux[enjeux["raisons"].str.contains("taux de pauvreté")]
    assert len(cited) == sum(1 for rate, _ in published.values() if rate > mean) > 0
    for row in cited.itertuples():
        rate, level = published[row.origin_id]
        suffix = " (EPCI)" if level == "epci" else ""
        assert row.raisons.endswith(f"et taux de pauvreté {rate:.0f}\u202f%{suffix}")
