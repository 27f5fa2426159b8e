"""French typography: numbers, percentages, plurals and opening hours of the real sources.

Opening hours are checked by reading the French text back with an independent parser
(a regular expression over the rendered text) and comparing the intervals with those the
sources' own parser found, for every town hall and France Services of Savoie.
"""

from __future__ import annotations

import re

import pytest

from maillage.outputs import french
from maillage.services.opening_hours import WeeklyHours
from maillage.sources.france_services import read_france_services
from maillage.sources.mairies import read_mairies

DAYS = {d: i for i, d in enumerate(french.DAYS)}
_CLOCK = r"(\d{1,2})\u00a0h(?:\u00a0(\d{2}))?"


def _read_back(text: str) -> set[tuple[int, int, int]]:
    """Intervals of a French opening-hours text (an independent reading)."""
    intervals = set()
    for rule in text.split(", "):
        days_text, _, times = rule.partition(" ")
        first, _, last = days_text.partition("–")
        days = range(DAYS[first], DAYS[last or first] + 1)
        for span in times.split(" et "):
            match = re.fullmatch(_CLOCK + "–" + _CLOCK, span)
            assert match, span
            h0, m0, h1, m1 = match.groups()
            start, end = int(h0) * 60 + int(m0 or 0), int(h1) * 60 + int(m1 or 0)
            intervals |= {(day, start, end) for day in days}
    return intervals


@pytest.mark.parametrize("reader", [read_mairies, read_france_services])
def test_real_opening_hours_read_back_identical(reader) -> None:  # type: ignore[no-untyped-def]
    services = reader().services
    services = services[services["commune"].str.startswith("73")]
    known = services["opening_hours"].dropna()
    known = known[known != "off"]
    assert len(known) > 20
    for osm in known:
        text = french.opening_hours_text(osm)
        assert set(WeeklyHours.from_osm(osm).intervals) == _read_back(text), (osm, text)
        assert "Mo" not in text and ":" not in text
    assert french.opening_hours_text(None) == "non renseigné"


def test_numbers_percentages_and_plurals() -> None:
    assert french.number(1234567.891, 2) == "1\u202f234\u202f567,89"
    assert french.number(float("1e3")) == "1\u202f000"
    assert french.percent(0.934) == "93\u202f%"
    assert french.percent(1.0) == "100\u202f%"
    for count, expected in [(0, "0 habitant"), (1, "1 habitant"), (1.5, "1,5 habitant")]:
        assert french.plural(count, "habitant") == expected
    assert french.plural(2, "habitant") == "2 habitants"
    assert french.plural(2, "hôpital") == "2 hôpitaux"
    assert french.yes_no(float("nan")) == "non renseigné"
    assert "0" not in french.minutes(None) and "False" not in french.yes_no(None)
