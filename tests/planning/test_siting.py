"""Siting models on the real Maurienne: exact = brute force, fixed sites, greedy bounds.

Travel times are maillage's straight-line estimate between real commune points and real
town halls / France Services; populations are INSEE's.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from maillage._errors import MaillageError
from maillage.planning.siting import locate_sites, siting_costs

WITHIN_MINUTES = 15.0


@pytest.fixture(scope="module")
def small(maurienne_population, town_hall_sites, france_services_sites):  # type: ignore[no-untyped-def]
    """12 candidate town halls (every 4th commune of the Maurienne), the territory's own 5
    France Services fixed, all 53 communes as origins."""
    candidates = town_hall_sites.iloc[::4].head(12).reset_index(drop=True)
    fixed = france_services_sites[
        france_services_sites["site_id"].isin(["fs:428", "fs:965", "fs:1570", "fs:1579", "fs:2823"])
    ]
    sites = pd.concat([fixed, candidates], ignore_index=True)
    costs = siting_costs(maurienne_population, sites, cutoff_minutes=240)
    population = maurienne_population[["origin_id", "population"]].astype({"population": float})
    return costs, population, candidates["site_id"].tolist(), fixed["site_id"].tolist(), sites


def _matrix(costs, population, ids):  # type: ignore[no-untyped-def]
    table = costs.pivot_table(index="origin_id", columns="site_id", values="minutes", aggfunc="min")
    table = table.reindex(index=population["origin_id"], columns=ids)
    return table.to_numpy(dtype=float), population["population"].to_numpy(dtype=float)


def _covered(cost, weights, columns):  # type: ignore[no-untyped-def]
    return weights[
        (np.nan_to_num(cost[:, columns], nan=np.inf) <= WITHIN_MINUTES).any(axis=1)
    ].sum()


def test_max_covering_equals_brute_force(small) -> None:  # type: ignore[no-untyped-def]
    costs, population, candidates, fixed, sites = small
    cost, weights = _matrix(costs, population, fixed + candidates)
    base = list(range(len(fixed)))
    for p in (1, 2, 3):
        best = max(
            _covered(cost, weights, base + [len(fixed) + j for j in combo])
            for combo in itertools.combinations(range(len(candidates)), p)
        )
        result = locate_sites(
            costs,
            population,
            model="max_covering",
            within_minutes=WITHIN_MINUTES,
            new_sites=p,
            candidates=candidates,
            fixed=fixed,
            sites=sites,
        )
        assert result.objective == pytest.approx(best)
        assert result.population_covered_after == pytest.approx(best)
        assert len(result.new_sites) == p and result.gap == 0.0


def test_set_covering_equals_brute_force(small) -> None:  # type: ignore[no-untyped-def]
    costs, population, candidates, fixed, _ = small
    cost, weights = _matrix(costs, population, fixed + candidates)
    coverable = (np.nan_to_num(cost, nan=np.inf) <= WITHIN_MINUTES).any(axis=1)
    target = weights[coverable].sum()
    fewest = next(
        k
        for k in range(len(candidates) + 1)
        if any(
            _covered(cost, weights, list(range(len(fixed))) + [len(fixed) + j for j in combo])
            == target
            for combo in itertools.combinations(range(len(candidates)), k)
        )
    )
    result = locate_sites(
        costs,
        population,
        model="set_covering",
        within_minutes=WITHIN_MINUTES,
        candidates=candidates,
        fixed=fixed,
    )
    assert len(result.new_sites) == fewest
    assert result.population_covered_after == pytest.approx(target)
    # Communes no site can reach within 15 min are listed, not dropped in silence.
    assert set(result.uncoverable) == set(population["origin_id"][~coverable])
    assert result.notes[0].code == "uncoverable"
    assert result.notes[0].params["ids"] == result.uncoverable


def test_p_median_equals_brute_force(small) -> None:  # type: ignore[no-untyped-def]
    costs, population, candidates, fixed, _ = small
    cost, weights = _matrix(costs, population, fixed + candidates)
    assert np.isfinite(cost).all()
    for p in (1, 2):
        best = min(
            float(
                weights
                @ cost[:, list(range(len(fixed))) + [len(fixed) + j for j in combo]].min(axis=1)
            )
            for combo in itertools.combinations(range(len(candidates)), p)
        )
        result = locate_sites(
            costs,
            population,
            model="p_median",
            within_minutes=WITHIN_MINUTES,
            new_sites=p,
            candidates=candidates,
            fixed=fixed,
        )
        assert result.objective == pytest.approx(best, rel=1e-7)
        assert result.mean_minutes_after == pytest.approx(best / weights.sum(), rel=1e-7)


@pytest.mark.parametrize("model", ["max_covering", "set_covering", "p_median"])
@pytest.mark.parametrize("heuristic", [False, True])
def test_fixed_sites_stay_chosen(small, model, heuristic) -> None:  # type: ignore[no-untyped-def]
    costs, population, candidates, fixed, _ = small
    # Also fix a remote town hall that no model would pick by itself.
    forced = [*fixed, candidates[-1]]
    result = locate_sites(
        costs,
        population,
        model=model,
        within_minutes=WITHIN_MINUTES,
        new_sites=2,
        candidates=candidates,
        fixed=forced,
        heuristic=heuristic,
    )
    existing = result.sites[result.sites["existing"]]
    assert set(existing["site_id"]) == set(forced)
    assert not set(result.new_sites["site_id"]) & set(forced)
    assert result.population_covered_after >= result.population_covered_before


def test_greedy_gap_to_lp_bound_is_within_its_documented_bound(  # type: ignore[no-untyped-def]
    maurienne_population, town_hall_sites
) -> None:
    """All 53 town halls as candidates, no existing site: greedy against the LP bound."""
    costs = siting_costs(maurienne_population, town_hall_sites, cutoff_minutes=240)
    population = maurienne_population[["origin_id", "population"]]
    for model, p in (("max_covering", 2), ("max_covering", 4), ("set_covering", None)):
        greedy = locate_sites(
            costs, population, model=model, within_minutes=10, new_sites=p, heuristic=True
        )
        exact = locate_sites(costs, population, model=model, within_minutes=10, new_sites=p)
        print(
            f"{model} p={p}: glouton {greedy.objective:g}, exact {exact.objective:g}, "
            f"borne LP {greedy.bound:g}, écart {greedy.gap:.4f} ≤ {greedy.gap_bound:.4f}"
        )
        assert greedy.gap_bound is not None
        assert 0.0 <= greedy.gap <= greedy.gap_bound
        if model == "max_covering":
            assert greedy.bound >= exact.objective - 1e-6 >= greedy.objective - 1e-6
        else:
            assert greedy.bound <= exact.objective + 1e-6 <= greedy.objective + 1e-6
    greedy = locate_sites(
        costs, population, model="p_median", within_minutes=10, new_sites=3, heuristic=True
    )
    exact = locate_sites(costs, population, model="p_median", within_minutes=10, new_sites=3)
    print(
        f"p_median p=3: glouton {greedy.objective:.1f}, exact {exact.objective:.1f}, "
        f"borne LP {greedy.bound:.1f}, écart {greedy.gap:.4f} (aucune garantie)"
    )
    assert greedy.gap_bound is None
    assert greedy.bound <= exact.objective * (1 + 1e-7) <= greedy.objective * (1 + 1e-7)


def test_capacities_are_respected(small) -> None:  # type: ignore[no-untyped-def]
    costs, population, candidates, fixed, _ = small
    capacity = 12_000.0
    result = locate_sites(
        costs,
        population,
        model="p_median",
        within_minutes=WITHIN_MINUTES,
        new_sites=1,
        candidates=candidates,
        fixed=fixed,
        capacities=dict.fromkeys(fixed + candidates, capacity),
    )
    assert (result.sites["population_assigned"] <= capacity).all()
    assert result.sites["population_assigned"].sum() == pytest.approx(
        population["population"].sum()
    )


def test_bad_requests_fail_in_french(small) -> None:  # type: ignore[no-untyped-def]
    costs, population, candidates, fixed, _ = small
    with pytest.raises(MaillageError, match="13 sites demandés pour 12 candidats"):
        locate_sites(
            costs,
            population,
            model="max_covering",
            within_minutes=20,
            new_sites=13,
            candidates=candidates,
            fixed=fixed,
        )
    with pytest.raises(MaillageError, match="modèle « median » inconnu"):
        locate_sites(costs, population, model="median", within_minutes=20, new_sites=1)
    with pytest.raises(MaillageError, match="ne prend pas de capacités"):
        locate_sites(
            costs, population, model="max_covering", within_minutes=20, new_sites=1, capacities={}
        )
