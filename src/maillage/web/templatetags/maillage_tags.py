"""Template filters: French number formats (minutes, shares, counts, indicator values)."""

from __future__ import annotations

import math
from typing import Any

from django import template

from maillage.web.hours import french_hours

register = template.Library()
NARROW_NBSP = "\u202f"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@register.filter
def minutes(value: Any) -> str:
    """``12,5 min``; ``—`` when missing.

    Examples
    --------
    >>> minutes(12.46), minutes(None)
    ('12,5\\xa0min', '—')
    """
    if _missing(value):
        return "—"
    return f"{float(value):.1f}".replace(".", ",") + "\u00a0min"


@register.filter
def percent(value: Any) -> str:
    """A share as ``34,3 %``.

    Examples
    --------
    >>> percent(0.3427)
    '34,3\\xa0%'
    """
    if _missing(value):
        return "—"
    return f"{100 * float(value):.1f}".replace(".", ",") + "\u00a0%"


@register.filter
def entier(value: Any) -> str:
    """An integer with French thousands separators: ``42 946``.

    Examples
    --------
    >>> entier(42946.0) == "42" + NARROW_NBSP + "946"
    True
    """
    if _missing(value):
        return "—"
    return f"{round(float(value)):,}".replace(",", NARROW_NBSP)


@register.filter
def decimal1(value: Any) -> str:
    """One decimal, French comma: ``2,7``."""
    if _missing(value):
        return "—"
    return f"{float(value):.1f}".replace(".", ",")


@register.filter
def valeur(value: Any, unit: str) -> str:
    """An indicator value in its unit (``min``, ``hab.`` or ``%`` for a share)."""
    if _missing(value):
        return "—"
    if unit == "min":
        return minutes(value)
    if unit == "%":
        return percent(value)
    return f"{entier(value)}\u00a0{unit}"


@register.filter
def euros(value: Any) -> str:
    """``12 500 €``."""
    if _missing(value):
        return "—"
    return f"{entier(value)}\u00a0€"


@register.filter
def horaires(value: Any) -> str:
    """OpenStreetMap hours in French (``lun.–ven. 9 h–12 h``)."""
    return french_hours(value)


@register.filter
def samedi(value: Any) -> str:
    """``ouvert le samedi``, ``fermé le samedi`` or ``samedi : non renseigné``."""
    if value is True:
        return "ouvert le samedi"
    if value is False:
        return "fermé le samedi"
    return "samedi : non renseigné"
