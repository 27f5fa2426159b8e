"""E2SFCA on real Savoie data, against PySAL's ``access`` and a hand-written double loop.

Inputs are the shipped real tables: the communes of Savoie (demand: population
municipale), its France Services sites (supply: opening hours per week, a real capacity)
and its hospitals (no capacity in the source: one per site). Travel times are a
TEST-ONLY PROXY, not maillage's model: great-circle distance × 1.3 (detour factor) at
60 km/h, so minutes = 1.3 × kilometres.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.indicators.e2sfca import (
    DEFAULT_STEPS_MINUTES,
    CatchmentInputError,
    e2sfca,
    service_ratios,
    step_weights,
    two_sfca,
)
from maillage.sources.communes import read_communes
from maillage.sources.france_services import read_france_services
from maillage.sources.hospitals import read_hospitals

SAVOIE = "73"
ROUTER_LIMIT_MINUTES = 60.0  # beyond it the proxy "router" reports NaN (unreachable)


def all_pairs(origins: pd.DataFrame, sites: pd.DataFrame, proxy_minutes) -> pd.DataFrame:
    """``origin_id, service_id, minutes`` for every origin × site (the conftest's test-only
    proxy), NaN beyond the limit."""
    o = origins.loc[origins.index.repeat(len(sites))].reset_index(drop=True)
    s = pd.concat([sites] * len(origins), ignore_index=True)
    minutes = proxy_minutes(
        o["lon"].to_numpy(float),
        o["lat"].to_numpy(float),
        s["lon"].to_numpy(float),
        s["lat"].to_numpy(float),
    )
    minutes[minutes > ROUTER_LIMIT_MINUTES] = np.nan
    return pd.DataFrame(
        {"origin_id": o["origin_id"], "service_id": s["service_id"], "minutes": minutes}
    )


@pytest.fixture(scope="module")
def communes() -> pd.DataFrame:
    table = read_communes()
    savoie = table[table["departement"] == SAVOIE]
    return pd.DataFrame(
        {
            "origin_id": savoie["commune"].to_numpy(),
            "population": savoie["population"].to_numpy(dtype=float),
            "lon": savoie["lon"].to_numpy(),
            "lat": savoie["lat"].to_numpy(),
        }
    )


@pytest.fixture(scope="module")
def france_services() -> pd.DataFrame:
    services = read_france_services().services
    savoie = services[services["commune"].str.startswith(SAVOIE)]
    return pd.DataFrame(
        {
            "service_id": savoie["service_id"].to_numpy(),
            "capacity": savoie["hours_per_week"].to_numpy(dtype=float),
            "lon": savoie["lon"].to_numpy(),
            "lat": savoie["lat"].to_numpy(),
        }
    )


@pytest.fixture(scope="module")
def hospitals() -> pd.DataFrame:
    services = read_hospitals().services
    savoie = services[services["commune"].str.startswith(SAVOIE)]
    return pd.DataFrame(
        {
            "service_id": savoie["service_id"].to_numpy(),
            "capacity": 1.0,  # the source gives no beds for Savoie: count sites
            "lon": savoie["lon"].to_numpy(),
            "lat": savoie["lat"].to_numpy(),
        }
    )


@pytest.fixture(scope="module")
def times(communes: pd.DataFrame, france_services: pd.DataFrame, proxy_minutes) -> pd.DataFrame:
    return all_pairs(communes, france_services, proxy_minutes)


@pytest.fixture(scope="module")
def demand(communes: pd.DataFrame) -> pd.DataFrame:
    return communes[["origin_id", "population"]]


@pytest.fixture(scope="module")
def supply(france_services: pd.DataFrame) -> pd.DataFrame:
    return france_services[["service_id", "capacity"]]


def test_real_inputs_are_what_the_tests_expect(
    communes: pd.DataFrame, france_services: pd.DataFrame, hospitals: pd.DataFrame
) -> None:
    assert len(communes) == 273
    assert len(france_services) == 31
    assert len(hospitals) == 39
    assert (communes["population"] > 0).all()


# --- PySAL's access --------------------------------------------------------------------


def pysal_access(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame, method: str, **kwargs: Any
) -> pd.Series:
    """PySAL's score for the same tables (``access`` names the result ``<name>_<supply>``)."""
    access = pytest.importorskip("access")
    with warnings.catch_warnings():
        # access 1.1 calls set_index(inplace=True), deprecated by pandas 3: not ours to fix.
        warnings.filterwarnings("ignore", "The inplace keyword", DeprecationWarning)
        return _pysal_score(access, times, demand, supply, method, **kwargs)


def _pysal_score(
    access: Any,
    times: pd.DataFrame,
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    method: str,
    **kwargs: Any,
) -> pd.Series:
    model = access.Access(
        demand_df=demand,
        demand_index="origin_id",
        demand_value="population",
        supply_df=supply,
        supply_index="service_id",
        supply_value="capacity",
        cost_df=times,
        cost_origin="origin_id",
        cost_dest="service_id",
        cost_name="minutes",
    )
    result = getattr(model, method)(name="score", **kwargs)
    return result["score_capacity"]


def assert_same_as_pysal(ours: pd.DataFrame, theirs: pd.Series) -> None:
    mine = ours.set_index("origin_id")["accessibility"]
    theirs = theirs.reindex(mine.index)
    np.testing.assert_allclose(mine.to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=0)


def test_e2sfca_equals_pysal_access_on_savoie(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    weights = pytest.importorskip("access.weights")
    ours = e2sfca(times, demand, supply)
    theirs = pysal_access(
        times,
        demand,
        supply,
        "enhanced_two_stage_fca",
        weight_fn=weights.step_fn({5: 1, 10: 0.3, 15: 0.1}),
    )
    assert_same_as_pysal(ours, theirs)
    # A meaningful comparison: many communes reach a site, some reach none within 15 min.
    reached = (ours["accessibility"] > 0).sum()
    assert 50 < reached < len(ours)


def test_e2sfca_equals_pysal_on_times_exactly_at_the_step_bounds(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    """Whole minutes (as routers often report) put many pairs exactly on 5, 10 and 15."""
    weights = pytest.importorskip("access.weights")
    rounded = times.assign(minutes=times["minutes"].round())
    on_bounds = rounded["minutes"].isin([5.0, 10.0, 15.0])
    assert on_bounds.sum() >= 10
    ours = e2sfca(rounded, demand, supply)
    theirs = pysal_access(
        rounded,
        demand,
        supply,
        "enhanced_two_stage_fca",
        weight_fn=weights.step_fn({5: 1, 10: 0.3, 15: 0.1}),
    )
    assert_same_as_pysal(ours, theirs)
    # And the bound is inclusive: moving those pairs just past their bound changes the result.
    nudged = rounded.assign(minutes=rounded["minutes"].where(~on_bounds, rounded["minutes"] + 1e-6))
    moved = e2sfca(nudged, demand, supply)["accessibility"]
    assert not np.allclose(moved, ours["accessibility"], rtol=1e-9, atol=0)


def test_custom_steps_equal_pysal(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    """Luo & Qi's original weights (10 / 20 / 30 min, 1 / 0.68 / 0.22), PySAL's default."""
    steps = ((10, 1.0), (20, 0.68), (30, 0.22))
    ours = e2sfca(times, demand, supply, steps_minutes=steps)
    theirs = pysal_access(times, demand, supply, "enhanced_two_stage_fca")
    assert_same_as_pysal(ours, theirs)


def test_two_sfca_equals_pysal_on_savoie_hospitals(
    communes: pd.DataFrame, hospitals: pd.DataFrame, demand: pd.DataFrame, proxy_minutes
) -> None:
    weights = pytest.importorskip("access.weights")
    times = all_pairs(communes, hospitals, proxy_minutes)
    supply = hospitals[["service_id", "capacity"]]
    ours = two_sfca(times, demand, supply, cutoff_minutes=30)
    pd.testing.assert_frame_equal(ours, e2sfca(times, demand, supply, steps_minutes=((30, 1.0),)))
    theirs = pysal_access(
        times, demand, supply, "two_stage_fca", weight_fn=weights.step_fn({30: 1})
    )
    assert_same_as_pysal(ours, theirs)
    # With max_cost, PySAL first drops the pairs beyond the cutoff, and an origin left
    # with no pair gets NaN; maillage gives 0 to an origin that reaches nothing.
    cut = pysal_access(times, demand, supply, "two_stage_fca", max_cost=30)
    nothing = cut.reindex(demand["origin_id"]).isna().to_numpy()
    assert 0 < nothing.sum() < len(demand)
    assert (ours["accessibility"].to_numpy()[nothing] == 0.0).all()
    assert_same_as_pysal(ours, cut.fillna(0.0))


def test_zero_population_origin_is_nan_where_pysal_is_inf() -> None:
    """The one place maillage departs from PySAL: NaN (undefined), not a sentinel ``inf``.

    ``lonely`` is reached within 15 minutes only by ``a``, which has no inhabitants: its
    weighted demand is 0 and its ratio undefined.
    """
    weights = pytest.importorskip("access.weights")
    times = pd.DataFrame(
        {
            "origin_id": ["a", "b", "b"],
            "service_id": ["lonely", "lonely", "busy"],
            "minutes": [3.0, 20.0, 4.0],
        }
    )
    demand = pd.DataFrame({"origin_id": ["a", "b"], "population": [0.0, 100.0]})
    supply = pd.DataFrame({"service_id": ["lonely", "busy"], "capacity": [10.0, 5.0]})
    ours = e2sfca(times, demand, supply).set_index("origin_id")["accessibility"]
    theirs = pysal_access(
        times,
        demand,
        supply,
        "enhanced_two_stage_fca",
        weight_fn=weights.step_fn({5: 1, 10: 0.3, 15: 0.1}),
    )
    assert math.isnan(ours["a"])
    assert math.isinf(theirs["a"])
    assert ours["b"] == pytest.approx(theirs["b"], rel=1e-12)
    assert ours["b"] == pytest.approx(0.05)
    ratios = service_ratios(times, demand, supply).set_index("service_id")
    assert math.isnan(ratios.loc["lonely", "ratio"])
    assert ratios.loc["lonely", "weighted_population"] == 0.0


# --- Brute force -------------------------------------------------------------------------


def test_brute_force_double_loop_on_five_communes_three_sites(
    communes: pd.DataFrame, france_services: pd.DataFrame, proxy_minutes
) -> None:
    """Around Chambéry: the 3 sites nearest the Hauts de Chambéry one, 5 nearest communes."""
    centre = france_services.set_index("service_id").loc["fs:2942"]
    sites = france_services.assign(
        d=proxy_minutes(
            centre["lon"], centre["lat"], france_services["lon"], france_services["lat"]
        )
    ).nsmallest(3, "d")
    towns = communes.assign(
        d=proxy_minutes(centre["lon"], centre["lat"], communes["lon"], communes["lat"])
    ).nsmallest(5, "d")
    times = all_pairs(towns, sites, proxy_minutes)

    def weight(t: float) -> float:
        if math.isnan(t):
            return 0.0
        if t <= 5:
            return 1.0
        if t <= 10:
            return 0.3
        if t <= 15:
            return 0.1
        return 0.0

    minutes = {(o, s): m for o, s, m in times.itertuples(index=False)}
    people = dict(zip(towns["origin_id"], towns["population"], strict=True))
    hours = dict(zip(sites["service_id"], sites["capacity"], strict=True))
    ratio = {}
    for s in hours:
        weighted = sum(people[o] * weight(minutes[o, s]) for o in people)
        ratio[s] = hours[s] / weighted
    expected = {o: sum(ratio[s] * weight(minutes[o, s]) for s in hours) for o in people}

    weights_used = {weight(m) for m in minutes.values()}
    assert len(weights_used) >= 3  # the subset exercises several steps
    result = e2sfca(times, towns[["origin_id", "population"]], sites[["service_id", "capacity"]])
    got = dict(zip(result["origin_id"], result["accessibility"], strict=True))
    assert got.keys() == expected.keys()
    for origin, value in expected.items():
        assert got[origin] == pytest.approx(value, rel=1e-12)
    ratios = service_ratios(times, towns, sites).set_index("service_id")["ratio"]
    for site, value in ratio.items():
        assert ratios[site] == pytest.approx(value, rel=1e-12)


# --- Properties --------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(k=st.floats(min_value=1e-3, max_value=1e3))
def test_scaling_capacities_scales_accessibility(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame, k: float
) -> None:
    base = e2sfca(times, demand, supply)["accessibility"].to_numpy()
    scaled = e2sfca(times, demand, supply.assign(capacity=supply["capacity"] * k))
    np.testing.assert_allclose(scaled["accessibility"].to_numpy(), base * k, rtol=1e-12)


def test_doubling_population_halves_accessibility(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    base = e2sfca(times, demand, supply)["accessibility"].to_numpy()
    doubled = e2sfca(times, demand.assign(population=demand["population"] * 2), supply)
    np.testing.assert_allclose(doubled["accessibility"].to_numpy(), base / 2, rtol=1e-12)


def test_capacity_is_conserved(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    """Σ population × accessibility = the capacity of the services someone reaches."""
    result = e2sfca(times, demand, supply).merge(demand, on="origin_id")
    ratios = service_ratios(times, demand, supply)
    used = ratios.loc[ratios["weighted_population"] > 0, "capacity"].sum()
    assert (result["population"] * result["accessibility"]).sum() == pytest.approx(used)
    assert used == supply["capacity"].sum()  # every Savoie site has its own commune near


def test_per_inhabitants_scales_the_result(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    base = e2sfca(times, demand, supply)["accessibility"]
    per_10000 = e2sfca(times, demand, supply, per_inhabitants=10_000)["accessibility"]
    np.testing.assert_allclose(per_10000, base * 10_000, rtol=1e-12)


def test_sparse_table_within_the_cutoff_gives_the_same_result(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    """Pairs left out, NaN and beyond the last step all weigh 0; every origin is returned."""
    sparse = times[times["minutes"] <= 15]
    full = e2sfca(times, demand, supply)
    within = e2sfca(sparse, demand, supply)
    pd.testing.assert_frame_equal(full, within)
    assert within["origin_id"].tolist() == demand["origin_id"].tolist()


def test_origin_reaching_nothing_gets_zero(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    result = e2sfca(times, demand, supply).set_index("origin_id")["accessibility"]
    nothing_within = times.groupby("origin_id")["minutes"].min().gt(15)
    assert nothing_within.any()
    assert (result[nothing_within[nothing_within].index] == 0.0).all()
    assert result.notna().all()


def test_age_band_and_column_names(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    renamed = e2sfca(
        times.rename(columns={"origin_id": "commune", "service_id": "site", "minutes": "t"}),
        demand.rename(columns={"origin_id": "commune"}).assign(
            population_65_plus=demand["population"] * 0.25
        ),
        supply.rename(columns={"service_id": "site", "capacity": "hours_per_week"}),
        origin_id="commune",
        service_id="site",
        minutes="t",
        population="population_65_plus",
        capacity="hours_per_week",
    )
    assert renamed.columns.tolist() == ["commune", "accessibility"]
    base = e2sfca(times, demand, supply)["accessibility"].to_numpy()
    np.testing.assert_allclose(renamed["accessibility"].to_numpy(), base * 4, rtol=1e-12)


def test_step_weights_bounds_are_inclusive() -> None:
    got = step_weights([0.0, 4.999, 5.0, 5.001, 10.0, 15.0, 15.001, np.nan], DEFAULT_STEPS_MINUTES)
    assert got.tolist() == [1.0, 1.0, 1.0, 0.3, 0.3, 0.1, 0.0, 0.0]


# --- Errors (French, naming what is wrong) -----------------------------------------------


def test_ids_missing_from_demand_or_supply_are_named(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    with pytest.raises(CatchmentInputError) as error:
        e2sfca(times, demand[demand["origin_id"] != "73065"], supply[1:])
    message = str(error.value)
    assert "2 problèmes" in message
    assert "73065" in message and "absent(s) de la table « demande »" in message
    assert supply["service_id"].iloc[0] in message and "« offre »" in message


def test_numeric_codes_against_text_codes_are_caught(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    numeric = demand.assign(origin_id=demand["origin_id"].astype(int))
    with pytest.raises(CatchmentInputError, match="texte « 01001 »"):
        e2sfca(times, numeric, supply)


@pytest.mark.parametrize(
    ("table", "column", "word"),
    [("demand", "population", "négative"), ("supply", "capacity", "négative")],
)
def test_negative_values_are_refused(
    times: pd.DataFrame,
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    table: str,
    column: str,
    word: str,
) -> None:
    tables = {"demand": demand.copy(), "supply": supply.copy()}
    tables[table].loc[tables[table].index[0], column] = -1.0
    with pytest.raises(CatchmentInputError, match=f"« {column} ».*{word}"):
        e2sfca(times, tables["demand"], tables["supply"])


def test_negative_minutes_and_missing_population_are_refused(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    bad_times = times.assign(minutes=times["minutes"].where(times.index != 0, -2.0))
    bad_demand = demand.assign(population=demand["population"].where(demand.index != 0))
    with pytest.raises(CatchmentInputError) as error:
        e2sfca(bad_times, bad_demand, supply)
    assert "« minutes » : 1 valeur(s) négative(s)" in str(error.value)
    assert "« population » : 1 valeur(s) manquante(s)" in str(error.value)


def test_duplicates_are_refused(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    with pytest.raises(CatchmentInputError) as error:
        e2sfca(
            pd.concat([times, times.iloc[:1]]),
            pd.concat([demand, demand.iloc[:1]]),
            pd.concat([supply, supply.iloc[:1]]),
        )
    message = str(error.value)
    assert "3 problèmes" in message
    assert f"en double ({demand['origin_id'].iloc[0]})" in message
    assert f"en double ({supply['service_id'].iloc[0]})" in message
    assert "couple(s) en double" in message


def test_missing_columns_and_bad_steps_are_refused(
    times: pd.DataFrame, demand: pd.DataFrame, supply: pd.DataFrame
) -> None:
    with pytest.raises(CatchmentInputError) as error:
        e2sfca(
            times,
            demand,
            supply,
            population="population_65_plus",
            steps_minutes=((10, 1), (5, 0.5)),
        )
    message = str(error.value)
    assert "colonne(s) absente(s) « population_65_plus »" in message
    assert "strictement croissantes" in message
    with pytest.raises(CatchmentInputError, match="aucun palier"):
        e2sfca(times, demand, supply, steps_minutes=())
    with pytest.raises(CatchmentInputError, match="per_inhabitants"):
        e2sfca(times, demand, supply, per_inhabitants=0)
    assert issubclass(CatchmentInputError, ValueError)
