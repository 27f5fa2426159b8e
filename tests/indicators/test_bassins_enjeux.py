"""Bassins de services and territoires à enjeux on the Maurienne's real communes and sites.

Travel times come from the test-only straight-line proxy (see conftest); the checks are
brute force over those times and published INSEE zonings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from maillage.indicators.access import nearest_by_family
from maillage.indicators.bassins import (
    agreement_rate,
    bassin_agreement,
    catchments,
    delineate_bassins,
)
from maillage.indicators.enjeux import (
    CAP,
    NEAR_LIMIT,
    NEED_BAND,
    NEED_WEIGHT,
    enjeux_scores,
    load_reasons,
)
from maillage.outputs.french import enjeux_french
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
    reasons = scores["enjeu_reasons"].map(load_reasons)
    # Bonneval-sur-Arc, at the head of the valley, against Saint-Jean-de-Maurienne.
    assert scores.loc["73047", "rank"] < scores.loc["73248", "rank"]
    assert ("far", "soins") in {(code, p["family"]) for code, p in reasons["73047"]}
    assert reasons["73248"] == []
    # Levels follow the stated criteria, not the rank: within every threshold is never
    # "high", whatever the commune's rank.
    within = reasons.map(len) == 0
    assert set(scores.loc[within, "enjeu_level"]) == {"low"}
    far = reasons.map(lambda r: bool(r) and r[0][0] == "far")
    assert scores.loc[far, "enjeu_level"].isin(["high", "very_high"]).all()
    assert set(scores["enjeu_level"]) == {"low", "moderate", "high", "very_high"}
    assert sorted(scores["rank"])[0] == 1


# Shares of an unknown population are NaN by design (numpy says so when dividing).
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_a_territory_without_known_population_still_gets_its_diagnostic() -> None:
    """Real defect of the shipped table: Mayotte's communes have no population (NA)."""
    from maillage.indicators.diagnostic import run_diagnostic
    from maillage.indicators.settings import DiagnosticSettings
    from maillage.services.catalogue import territory_services
    from maillage.territory.territory import select_territory

    mayotte = select_territory(departements=["976"], buffer_km=0)
    assert mayotte.communes["population"].isna().all()
    result = run_diagnostic(
        mayotte,
        territory_services(mayotte),
        settings=DiagnosticSettings(thresholds_minutes=(15.0,)),
    )
    assert len(result.communes) == len(mayotte.communes)
    assert result.enjeux_epci["rank"].isna().all()
    assert result.enjeux_epci["score"].isna().all()


#: The French words of the reasons, written out here as the report shows them.
FAMILY_LABEL = {
    "social_emploi": "des services publics",
    "soins": "des soins",
    "domicile": "des services à domicile",
    "jeunesse_parents": "des services jeunesse",
    "petite_enfance": "de la petite enfance",
}
NEED_LABEL = {"population_65_plus": "population âgée", "population_0_19": "population jeune"}


def _plain_reasons(part: pd.DataFrame) -> str:
    """The reasons of one commune, row by row, in French."""
    texts = []
    for row in part[part["far"]].itertuples():
        minutes = "inaccessible" if pd.isna(row.minutes) else f"{row.minutes:.0f} min"
        text = f"loin {FAMILY_LABEL.get(row.family, row.family)} ({minutes})"
        band = NEED_BAND.get(row.family)
        if band and row.needy:
            text += f" et {NEED_LABEL[band]}"
        texts.append(text)
    if texts:
        return " ; ".join(texts)
    near_limit = part[part["minutes"] >= NEAR_LIMIT * part["threshold"]]
    if len(near_limit):
        return "proche des seuils : " + " ; ".join(
            f"{row.minutes:.0f} min {FAMILY_LABEL.get(row.family, row.family)}"
            + (f" et {NEED_LABEL[b]}" if (b := NEED_BAND.get(row.family)) and row.needy else "")
            for row in near_limit.itertuples()
        )
    return "accès dans les seuils"


def _plain_level(part: pd.DataFrame) -> str:
    """The level of one commune, read off the criteria table of the classes module."""
    needy_band = part["family"].map(NEED_BAND).notna() & part["needy"]
    very_far = part["minutes"].isna() | (part["minutes"] > 2 * part["threshold"])
    if (part["far"] & needy_band).any() or very_far.any():
        return "très fort"
    if part["far"].any():
        return "fort"
    if (part["minutes"] >= part["threshold"] / 2).any():
        return "modéré"
    return "faible"


def _plain_enjeux(
    family_times: pd.DataFrame, population: pd.DataFrame, thresholds: dict[str, float]
) -> pd.DataFrame:
    """enjeux_scores written plainly: the reasons commune by commune (groupby.apply)."""
    table = family_times.merge(population, on="origin_id", how="left")
    table["threshold"] = table["family"].map(lambda f: thresholds.get(f, 30.0))
    remoteness = (table["minutes"] / table["threshold"]).fillna(CAP).clip(upper=CAP)
    need_ratio = pd.Series(1.0, index=table.index)
    for band in {b for b in NEED_BAND.values() if b}:
        rows = table["family"].map(NEED_BAND) == band
        share = table[band] / table["population"].replace(0, np.nan)
        mean_share = population[band].sum() / population["population"].sum()
        need_ratio[rows] = (share[rows] / mean_share).fillna(1.0).clip(upper=CAP)
    table["part"] = remoteness * (1 + NEED_WEIGHT * (need_ratio - 1))
    table["far"] = table["minutes"].isna() | (table["minutes"] > table["threshold"])
    table["needy"] = need_ratio > 1.0
    scores = table.groupby("origin_id")["part"].mean().rename("score")
    reasons = table.groupby("origin_id").apply(_plain_reasons, include_groups=False)
    result = pd.concat([scores, reasons.rename("raisons")], axis=1).reset_index()
    result["rank"] = result["score"].rank(ascending=False, method="min").astype(int)
    result["classe"] = result["origin_id"].map(
        table.groupby("origin_id").apply(_plain_level, include_groups=False)
    )
    return result.sort_values(["rank", "origin_id"])[
        ["origin_id", "score", "rank", "classe", "raisons"]
    ].reset_index(drop=True)


@pytest.mark.parametrize("thresholds", [{}, {"soins": 10.0, "social_emploi": 5.0}])
def test_reasons_as_written_commune_by_commune(real_diagnostics, thresholds) -> None:  # type: ignore[no-untyped-def]
    """Savoie, Mayotte and Conques-Marcillac: every reason (far, near the threshold,
    unreachable, with the need) as the plain commune-by-commune text."""
    _, family_times, origins = real_diagnostics
    summer = family_times[family_times["season"] == "summer"][["origin_id", "family", "minutes"]]
    expected = _plain_enjeux(summer, origins, thresholds)
    got = enjeux_french(enjeux_scores(summer, origins, thresholds_minutes=thresholds))
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    kinds = got["raisons"].str.extract(r"^(loin|proche|accès)")[0]
    assert set(kinds) == {"loin", "proche", "accès"}
    assert got["raisons"].str.contains("et population âgée").any()


def test_bassin_agreement_by_brute_force(sites, population, proxy_nearest) -> None:
    """Each bassin matched to the bassin de vie holding most of it (inhabitants, then
    communes), counted commune by commune."""
    bassins = delineate_bassins(proxy_nearest(sites[sites["type"] != "A129"]), sites)
    rates = bassin_agreement(bassins, population).set_index("weight")["agreement_rate"]
    zone = dict(zip(population["origin_id"], population["bassin_vie"], strict=True))
    people = dict(zip(population["origin_id"], population["population"], strict=True))
    ours = dict(zip(bassins["origin_id"], bassins["bassin"], strict=True))
    for weight, weights in [("population", people), ("communes", dict.fromkeys(people, 1))]:
        twin = {}
        for bassin in set(ours.values()):
            held: dict[str, float] = {}
            for origin, b in ours.items():
                if b == bassin:
                    held[zone[origin]] = held.get(zone[origin], 0) + weights[origin]
            twin[bassin] = min(held, key=lambda z: (-held[z], z))
        agree = sum(weights[o] for o, b in ours.items() if twin[b] == zone[o])
        assert rates[weight] == pytest.approx(agree / sum(weights[o] for o in ours))
    assert 0 < rates["communes"] < 1
