"""Opening hours: each source's format into one weekly structure."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.services.opening_hours import OpeningHoursError, WeeklyHours


def test_osm_rules_override_earlier_days() -> None:
    h = WeeklyHours.from_osm("Mo-Fr 09:00-18:30; We 09:00-12:00; PH off")
    assert h.hours_per_week() == 4 * 9.5 + 3
    assert h.is_open_after(18 * 60) and not h.is_open_on(5)


def test_additional_rules_after_a_comma_add_hours() -> None:
    """Seen in the real Malta extract: rules joined by ", " instead of "; "."""
    h = WeeklyHours.from_osm("Mo-Fr 07:30-19:00, Sa 06:30-23:00")
    assert h.to_osm() == "Mo-Fr 07:30-19:00; Sa 06:30-23:00"
    assert WeeklyHours.from_osm("Mo-Fr 08:00-12:00, We 14:00-18:00").hours_per_week() == 24


def test_unreadable_texts_raise_with_the_text() -> None:
    with pytest.raises(OpeningHoursError, match="jours illisibles : « Lu-Ve »"):
        WeeklyHours.from_osm("Lu-Ve 09:00-12:00")
    with pytest.raises(OpeningHoursError, match="heure impossible : « 25:00 »"):
        WeeklyHours.from_osm("Mo 09:00-25:00")


intervals = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 1439), st.integers(1, 1440)).filter(
        lambda t: t[1] < t[2]
    ),
    max_size=12,
)


@settings(max_examples=200, derandomize=True)
@given(intervals)
def test_osm_text_round_trips_and_hours_equal_brute_force(raw) -> None:
    hours = WeeklyHours.from_intervals(raw)
    minutes = {day * 1440 + m for day, start, end in raw for m in range(start, end)}
    assert hours.hours_per_week() == len(minutes) / 60
    assert WeeklyHours.from_osm(hours.to_osm()) == hours
