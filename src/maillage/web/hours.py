"""Opening hours and yes/no/unknown flags as the directory says them, in French.

:func:`french_hours` writes OpenStreetMap's ``opening_hours`` (the form stored in service
tables, read with :class:`maillage.services.opening_hours.WeeklyHours`) the French way:
``lun.–ven. 9 h–12 h, 14 h–17 h ; sam. 9 h–12 h``. :func:`tristate` reads a flag that
may have been written as text (``"False"``) into ``True``, ``False`` or ``None``.
"""

from __future__ import annotations

import math
from typing import Any

from maillage.services.opening_hours import OpeningHoursError, WeeklyHours

FRENCH_DAYS_SHORT = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
#: Texts that mean "no value" in tables written by pandas or GDAL.
MISSING_TEXTS = {"", "<na>", "nan", "none", "null", "nat"}
_TRUE = {"true", "1", "oui", "yes", "vrai", "o", "y"}
_FALSE = {"false", "0", "non", "no", "faux", "n"}


def is_missing_text(value: Any) -> bool:
    """Whether a cell is empty or a written-out missing value (``"<NA>"``, ``"nan"``).

    Examples
    --------
    >>> is_missing_text("<NA>"), is_missing_text(float("nan")), is_missing_text("Mo 9:00")
    (True, True, False)
    """
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return str(value).strip().lower() in MISSING_TEXTS


def tristate(value: Any) -> bool | None:
    """``True``, ``False`` or ``None`` (unknown) from a bool, a number or a text.

    ``bool("False")`` is ``True``: flags read from a GeoPackage arrive as text.

    Examples
    --------
    >>> tristate("False"), tristate("True"), tristate("<NA>"), tristate(0), tristate(None)
    (False, True, None, False, None)
    """
    if is_missing_text(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _clock(minute: int) -> str:
    hours, minutes = divmod(minute, 60)
    return f"{hours}\u00a0h" if not minutes else f"{hours}\u00a0h\u00a0{minutes:02d}"


def french_hours(osm: str) -> str:
    """OpenStreetMap hours in French; the text itself when it cannot be read.

    Consecutive days with the same hours are grouped (``lun.–ven.``).

    Examples
    --------
    >>> french_hours("Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00").replace("\\xa0", " ")
    'lun.–ven. 9 h–12 h, 14 h–17 h 30 ; sam. 9 h–12 h'
    >>> french_hours("Mo 08:15-12:00; We 08:15-12:00").replace("\\xa0", " ")
    'lun. 8 h 15–12 h ; mer. 8 h 15–12 h'
    >>> french_hours("24/7").replace("\xa0", " ")
    'tous les jours, 24 h sur 24'
    """
    if is_missing_text(osm):
        return ""
    try:
        hours = WeeklyHours.from_osm(str(osm))
    except (OpeningHoursError, ValueError, KeyError, IndexError):
        return str(osm)
    if not hours.intervals:
        return "fermé"
    if hours.hours_per_week() == 168.0:
        return "tous les jours, 24\u00a0h sur 24"
    per_day: dict[int, str] = {}
    for day, start, end in hours.intervals:
        text = f"{_clock(start)}–{_clock(end)}"
        per_day[day] = f"{per_day[day]}, {text}" if day in per_day else text
    rules: list[str] = []
    day = 0
    while day < 7:
        if day not in per_day:
            day += 1
            continue
        last = day
        while last + 1 < 7 and per_day.get(last + 1) == per_day[day]:
            last += 1
        days = (
            FRENCH_DAYS_SHORT[day]
            if last == day
            else f"{FRENCH_DAYS_SHORT[day]}–{FRENCH_DAYS_SHORT[last]}"
        )
        rules.append(f"{days} {per_day[day]}")
        day = last + 1
    return " ; ".join(rules)
