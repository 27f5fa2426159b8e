"""Access indicators against brute force on a real subset (Maurienne communes, real sites)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage import MaillageError
from maillage.indicators.access import access_summary, nearest_by_family, weighted_median
from maillage.services.typology import load_typology
from maillage.sources.france_services import read_france_services
from maillage.sources.hospitals import read_hospitals


@pytest.fixture(scope="module")
def real_times(maurienne, proxy_nearest) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nearest France Services and hospital (types) from each Maurienne commune point."""
    sites = pd.concat([read_france_services().services, read_hospitals().services])
    sites = sites[sites["commune"].str[:2].isin(["73", "38", "05"])]
    population = maurienne.communes.rename(columns={"commune": "origin_id"})[
        ["origin_id", "population", "epci"]
    ]
    return proxy_nearest(sites), population


def test_family_time_is_the_minimum_over_its_types(real_times) -> None:
    times, _ = real_times
    family = nearest_by_family(times, load_typology())
    # Acute care only: SSR (D102), long-term (D103), psychiatric (D104) and cancer (D105)
    # establishments are never the nearest care.
    care = times[times["type"].isin(["D101", "D107"])]
    expected = care.groupby("origin_id")["minutes"].min()
    got = family[family["family"] == "soins"].set_index("origin_id")["minutes"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_population_beyond_thresholds_by_hand(real_times) -> None:
    times, population = real_times
    family = nearest_by_family(times, load_typology())
    summary = access_summary(family, population, by=["epci"], thresholds_minutes=[15, 30])
    merged = family.merge(population, on="origin_id")
    assert len(summary) == 2 * summary.groupby(["epci", "family"]).ngroups
    for row in summary.itertuples():
        part = merged[(merged["epci"] == row.epci) & (merged["family"] == row.family)]
        t = row.threshold_minutes
        beyond = sum(p for p, m in zip(part["population"], part["minutes"], strict=True) if m > t)
        assert row.population_beyond == beyond
        assert row.share_beyond == pytest.approx(beyond / part["population"].sum())
        # Brute-force median: one value per inhabitant.
        expanded = np.repeat(part["minutes"].to_numpy(), part["population"].to_numpy())
        assert row.median_minutes == np.sort(expanded)[(len(expanded) - 1) // 2]
    # Haute Maurienne Vanoise (Bonneval, Bessans...) is far from any hospital: some
    # inhabitants must be beyond 30 minutes even by this optimistic proxy.
    hmv = summary[
        (summary["epci"] == "200070340")
        & (summary["family"] == "soins")
        & (summary["threshold_minutes"] == 30)
    ]
    assert hmv["population_beyond"].iloc[0] > 0


def test_missing_population_is_an_error() -> None:
    times = pd.DataFrame({"origin_id": ["73248"], "family": ["soins"], "minutes": [3.0]})
    with pytest.raises(MaillageError, match="origine\\(s\\) sans population : 73248"):
        access_summary(times, pd.DataFrame({"origin_id": ["73257"], "population": [10]}))


@settings(max_examples=150, derandomize=True)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.floats(0, 120)), st.integers(0, 500)),
        min_size=1,
        max_size=30,
    )
)
def test_weighted_median_equals_the_expanded_median(pairs) -> None:
    values = np.array([np.nan if v is None else v for v, _ in pairs])
    weights = np.array([w for _, w in pairs])
    expanded = np.repeat(np.where(np.isnan(values), np.inf, values), weights)
    got = weighted_median(values, weights)
    if len(expanded) == 0:
        assert math.isnan(got)
    else:
        lower = np.sort(expanded)[(len(expanded) - 1) // 2]
        assert (math.isnan(got) and lower == np.inf) or got == lower


def _reference_summary(
    times: pd.DataFrame, population: pd.DataFrame, by: list[str], key: str
) -> pd.DataFrame:
    """access_summary written plainly: one pass per group, pandas and numpy on each."""
    table = times.merge(population, on="origin_id", how="left")
    rows = []
    for group, part in table.groupby([*by, key], sort=True, dropna=False):
        values = part["minutes"].to_numpy(dtype=float)
        weights = np.nan_to_num(part["population"].to_numpy(dtype=float), nan=0.0)
        reachable = ~np.isnan(values)
        total = weights.sum()
        row: dict[str, object] = dict(zip([*by, key], group, strict=True))
        row["population"] = part["population"].sum()
        row["mean_minutes"] = (
            float(np.average(values[reachable], weights=weights[reachable]))
            if weights[reachable].sum() > 0
            else float("nan")
        )
        row["median_minutes"] = weighted_median(values, weights)
        row["unreachable_population"] = part.loc[~reachable, "population"].sum()
        for threshold in (7, 15, 20, 30):
            beyond = ~reachable | (values > threshold)
            rows.append(
                {
                    **row,
                    "threshold_minutes": float(threshold),
                    "population_beyond": part.loc[beyond, "population"].sum(),
                    "share_beyond": (
                        float(weights[beyond].sum() / total) if total > 0 else float("nan")
                    ),
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("by", [[], ["epci"], ["canton"], ["bassin_vie"], ["departement", "epci"]])
def test_summary_equals_the_plain_loop_on_real_data(real_diagnostics, by) -> None:  # type: ignore[no-untyped-def]
    """Bit for bit: integer (with NA), peak-season and fractional (grid-like) populations."""
    nearest, family_times, origins = real_diagnostics
    assert origins["population"].isna().sum() == 17  # Mayotte
    assert origins["canton"].isna().sum() == origins["bassin_vie"].isna().sum() == 1
    populations = {
        "population": origins,
        "population_peak": origins.assign(population=origins["population_peak"]),
        "fractional": origins.assign(population=origins["population"].astype(float) / 3.7),
    }
    for name, population in populations.items():
        for key, times in (("family", family_times), ("type", nearest)):
            for season, part in times.groupby("season"):
                expected = _reference_summary(part, population, by, key)
                got = access_summary(part, population, by=by, key=key)
                pd.testing.assert_frame_equal(
                    got, expected, check_exact=True, obj=f"{name} {key} {season}"
                )


def test_unknown_population_weighs_nothing(real_diagnostics) -> None:  # type: ignore[no-untyped-def]
    """Mayotte's communes (population unknown) leave the national figures as without them."""
    _, family_times, origins = real_diagnostics
    mayotte = origins.loc[origins["population"].isna(), "origin_id"]
    summer = family_times[family_times["season"] == "summer"]
    with_them = access_summary(summer, origins)
    without = access_summary(
        summer[~summer["origin_id"].isin(mayotte)], origins[~origins["origin_id"].isin(mayotte)]
    )
    assert len(mayotte) == 17 and with_them["family"].tolist() == without["family"].tolist()
    figures = [c for c in with_them.columns if c.endswith("minutes") or c.startswith("share_")]
    assert with_them[figures].notna().all().all()
    np.testing.assert_allclose(with_them[figures], without[figures], rtol=1e-12)
    counts = [c for c in with_them.columns if "population" in c]
    assert (with_them[counts].to_numpy() == without[counts].to_numpy()).all()
