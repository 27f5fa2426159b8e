"""The settings of a diagnostic, as one value."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from maillage.indicators.access import DEFAULT_THRESHOLDS_MINUTES

__all__ = ["DiagnosticSettings", "Level"]


class Level(enum.Enum):
    """The origins of the travel times: commune points or inhabited 200 m grid cells.

    Examples
    --------
    >>> Level("grid") is Level.GRID, DiagnosticSettings().level
    (True, <Level.COMMUNE: 'commune'>)
    """

    COMMUNE = "commune"
    GRID = "grid"


@dataclass(frozen=True)
class DiagnosticSettings:
    """How a diagnostic is computed (a new option is added here, in one place).

    Attributes
    ----------
    thresholds_minutes
        Thresholds of the population beyond (sorted, positive minutes).
    hours_within_minutes
        Time budget of the opening-hours indicators and of the E2SFCA pairs.
    level
        Origins: commune points, or the Filosofi grid cells (:class:`Level`).
    comparison
        Compare the territory with its départements and France (built-in sources,
        straight line).

    Examples
    --------
    >>> DiagnosticSettings(thresholds_minutes=(30, 15)).thresholds_minutes
    (15.0, 30.0)
    >>> DiagnosticSettings.from_dict(DiagnosticSettings().to_dict()) == DiagnosticSettings()
    True
    """

    thresholds_minutes: tuple[float, ...] = DEFAULT_THRESHOLDS_MINUTES
    hours_within_minutes: float = 20.0
    level: Level = Level.COMMUNE
    comparison: bool = True

    def __post_init__(self) -> None:
        thresholds = tuple(sorted({float(t) for t in self.thresholds_minutes}))
        object.__setattr__(self, "thresholds_minutes", thresholds)
        object.__setattr__(self, "level", Level(self.level))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (:meth:`from_dict` reads it back)."""
        values = asdict(self)
        values["thresholds_minutes"] = list(self.thresholds_minutes)
        values["level"] = self.level.value
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> DiagnosticSettings:
        """The settings of :meth:`to_dict`."""
        return cls(**{**values, "thresholds_minutes": tuple(values["thresholds_minutes"])})
