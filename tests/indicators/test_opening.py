"""Opening-hours access on the Maurienne's real town halls and France Services."""

from __future__ import annotations

import pandas as pd
import pytest

from maillage.indicators.opening import hours_access, hours_summary
from maillage.indicators.seasonal import seasonal_population
from maillage.schema import TERRITORY
from maillage.services.catalogue import territory_services
from maillage.sources.population import population_by_commune


def _every_pair(maurienne, proxy_minutes):  # type: ignore[no-untyped-def]
    """The territory's town halls and France Services, and every commune × service time."""
    services = territory_services(maurienne, builtin=["mairies", "france_services"])
    services = services[services["zone"] == TERRITORY]
    matrix = pd.DataFrame(
        [
            {
                "origin_id": c.commune,
                "service_id": s.service_id,
                "minutes": proxy_minutes(c.lon, c.lat, s.lon, s.lat),
            }
            for c in maurienne.communes.itertuples()
            for s in services.itertuples()
        ]
    )
    return services, matrix


def test_hours_within_20_minutes_by_brute_force(maurienne, proxy_minutes) -> None:
    services, matrix = _every_pair(maurienne, proxy_minutes)
    result = hours_access(matrix, services, within_minutes=20).set_index("origin_id")
    by_id = services.set_index("service_id")
    for commune in ["73248", "73047", "73157"]:  # Saint-Jean, Bonneval-sur-Arc, Modane
        near = matrix[(matrix["origin_id"] == commune) & (matrix["minutes"] <= 20)]
        hours = sum(h for h in by_id.loc[near["service_id"], "hours_per_week"] if h == h)
        saturday = any(
            bool(v) for v in by_id.loc[near["service_id"], "open_saturday"] if v is not pd.NA
        )
        assert result.loc[commune, "hours_per_week_within"] == pytest.approx(hours)
        assert result.loc[commune, "saturday_within"] == saturday
        assert result.loc[commune, "services_within"] == len(near)


def test_seasonal_population_swells_ski_resorts(maurienne) -> None:
    counts, missing = population_by_commune(maurienne.communes["commune"])
    assert missing.empty
    peak = seasonal_population(counts)
    ratio = peak / counts["population"]
    # Les Belleville is not in the Maurienne; Valloire (73306) and Val-Cenis (73290) are.
    assert ratio["73306"] > 5 and ratio["73290"] > 5
    assert ratio["73248"] < 1.5  # Saint-Jean-de-Maurienne, a town
    assert (peak >= counts["population"]).all()


def test_hours_summary_by_brute_force(maurienne, proxy_minutes) -> None:
    """Shares of the population and weighted median, recomputed commune by commune."""
    services, matrix = _every_pair(maurienne, proxy_minutes)
    hours = hours_access(matrix, services, within_minutes=20)
    counts, _ = population_by_commune(maurienne.communes["commune"])
    population = counts.reset_index().rename(columns={"commune": "origin_id"})
    summary = hours_summary(hours, population).set_index("family")
    people = dict(zip(population["origin_id"], population["population"], strict=True))
    total = sum(people.values())
    assert set(summary.index) == set(hours["family"])
    for family, row in summary.iterrows():
        rows = [r for r in hours.itertuples() if r.family == family]
        known = [r for r in rows if r.services_with_hours > 0]
        assert row["with_hours"] == bool(known)
        if not known:
            continue
        assert row["share_with_hours"] == pytest.approx(
            sum(people[r.origin_id] for r in known) / total
        )
        assert row["share_saturday"] == pytest.approx(
            sum(people[r.origin_id] for r in rows if r.saturday_within) / total
        )
        assert row["share_after_18h"] == pytest.approx(
            sum(people[r.origin_id] for r in rows if r.after_18h_within) / total
        )
        # Lower weighted median: the smallest value whose cumulative weight reaches half.
        half = sum(people[r.origin_id] for r in known) / 2
        cumulative = 0.0
        for r in sorted(known, key=lambda r: r.hours_per_week_within):
            cumulative += people[r.origin_id]
            if cumulative >= half:
                assert row["median_hours_per_week"] == r.hours_per_week_within
                break
    assert summary["with_hours"].any()


def test_hours_by_codes_equal_the_merge_and_ignore_the_pairs_order(
    maurienne, proxy_minutes
) -> None:
    """The integer-coded path (national scale) against the merge of the texts, on the
    Maurienne's real services; shuffled pairs give the very same sums."""
    from maillage.indicators.opening import _flags, _hours_by_merge

    services, matrix = _every_pair(maurienne, proxy_minutes)
    info = services[["service_id", "family", "hours_per_week", "opening_hours"]]
    info = info.join(_flags(info["opening_hours"])).drop(columns="opening_hours")
    near = matrix[matrix["minutes"] <= 20]
    expected = _hours_by_merge(near, info, "family")
    got = hours_access(matrix, services, within_minutes=20)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    shuffled = hours_access(matrix.sample(frac=1.0, random_state=3), services, within_minutes=20)
    pd.testing.assert_frame_equal(shuffled, got, check_exact=True)
    # Repeated service ids: the merge path, whose rows repeat with them.
    doubled = pd.concat([services, services.iloc[:1]], ignore_index=True)
    assert (
        hours_access(matrix, doubled, within_minutes=20)["services_within"].sum()
        == got["services_within"].sum()
    )
    assert hours_access(matrix.iloc[:0], services, within_minutes=20).empty
