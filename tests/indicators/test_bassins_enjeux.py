"""Bassins de services and territoires à enjeux on the Maurienne's real communes and sites.

Travel times come from the test-only straight-line proxy (see conftest); the checks are
brute force over those times and published INSEE zonings.
"""

from __future__ import annotations

import pandas as pd
import pytest

from maillage.indicators.access import nearest_by_family
from maillage.indicators.bassins import agreement_rate, catchments, delineate_bassins
from maillage.indicators.enjeux import enjeux_scores
from maillage.services.typology import load_typology
from maillage.sources.france_services import read_france_services
from maillage.sources.hospitals import read_hospitals
from maillage.sources.mairies import read_mairies
from maillage.sources.population import population_by_commune


@pytest.fixture(scope="module")
def sites() -> pd.DataFrame:
    table = pd.concat(
        [read_france_services().services, read_hospitals().services, read_mairies().services]
    )
    return table[table["commune"].str[:2].isin(["73", "38", "05"])]


@pytest.fixture(scope="module")
def population(maurienne) -> pd.DataFrame:
    counts, _ = population_by_commune(maurienne.communes["commune"])
    table = counts.reset_index().rename(columns={"commune": "origin_id"})
    return table.merge(
        maurienne.communes[["commune", "bassin_vie"]], left_on="origin_id", right_on="commune"
    )


def test_catchments_partition_the_population(sites, population, proxy_nearest) -> None:
    nearest = proxy_nearest(sites[sites["type"] == "A128"])
    table = catchments(nearest, sites, population, key="type")
    assert table["population"].sum() == population["population"].sum()
    by_id = sites.set_index("service_id")["commune"]
    for row in table.itertuples():
        assert row.pole == by_id[nearest.set_index("origin_id").loc[row.origin_id, "service_id"]]


def test_delineation_compared_with_insee_bassins_de_vie(sites, population, proxy_nearest) -> None:
    nearest = proxy_nearest(sites[sites["type"] != "A129"])
    ours = delineate_bassins(nearest, sites).set_index("origin_id")["bassin"]
    theirs = population.set_index("origin_id")["bassin_vie"]
    rate = agreement_rate(
        ours, theirs.loc[ours.index], weights=population.set_index("origin_id")["population"]
    )
    print(f"accord avec les bassins de vie 2022 (population) : {rate:.0%}")
    assert 0 < rate <= 1
    assert agreement_rate(theirs, theirs) == 1.0


def test_remote_and_older_communes_rank_first(sites, population, proxy_nearest) -> None:
    family = nearest_by_family(proxy_nearest(sites), load_typology())
    scores = enjeux_scores(family, population).set_index("origin_id")
    # Bonneval-sur-Arc, at the head of the valley, against Saint-Jean-de-Maurienne.
    assert scores.loc["73047", "rank"] < scores.loc["73248", "rank"]
    assert "loin des soins" in scores.loc["73047", "raisons"]
    assert scores.loc["73248", "raisons"] == "accès dans les seuils"
    assert set(scores["classe"]) == {"faible", "modéré", "fort", "très fort"}
    assert sorted(scores["rank"])[0] == 1


# Shares of an unknown population are NaN by design (numpy says so when dividing).
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_a_territory_without_known_population_still_gets_its_diagnostic() -> None:
    """Real defect of the shipped table: Mayotte's communes have no population (NA)."""
    from maillage.indicators.diagnostic import run_diagnostic
    from maillage.services.catalogue import territory_services
    from maillage.territory.territory import select_territory

    mayotte = select_territory(departements=["976"], buffer_km=0)
    assert mayotte.communes["population"].isna().all()
    result = run_diagnostic(mayotte, territory_services(mayotte), thresholds_minutes=(15.0,))
    assert len(result.communes) == len(mayotte.communes)
    assert result.enjeux_epci["rank"].isna().all()
    assert result.enjeux_epci["score"].isna().all()
