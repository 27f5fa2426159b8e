"""Notes and problems of a computation, as data: a code and its parameters.

Computation layers (indicators, planning, scale) return :class:`Note` records; the
outputs and the command line say them in French (:func:`maillage.outputs.french.note_text`).

Codes of the diagnostic (parameters in brackets):

* ``chef_lieu`` — each commune's origin is its chef-lieu (town hall), counted services too;
* ``straight_line`` — times estimated without a road network;
* ``winter`` (``beds_per_secondary_residence``, ``winter_roads``) — how the winter is computed;
* ``unplaced`` (``what``: ``origins``/``services``, ``reason``: ``too_far``/``no_coordinates``,
  ``count``, ``ids``: the first 10) — points left without time by the travel-time model;
* ``unknown_population`` (``count``, ``ids``) — origins weighed 0 in means and shares;
* ``grid`` (``cells``, ``communes``, ``communes_without_cell``) — grid-level diagnostic;
* ``bassins_without_intermediate`` (``types``) and ``bassins_not_delineated``;
* ``type_without_data`` (``type``, ``label``) — a type sited or opened that no source has
  in the territory or its ring.

Codes of a tour (:class:`~maillage.planning.tour.Tour`):

* ``tour_preselection`` (``kept``, ``candidates``) — only the candidates that bring the most
  alone were kept for the exact program;
* ``tour_time_limit`` (``seconds``) — HiGHS stopped at its time limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Note"]


@dataclass(frozen=True)
class Note:
    """A note: what happened (``code``) and its figures (``params``, JSON-ready values).

    Examples
    --------
    >>> Note("unknown_population", {"count": 2, "ids": ["97601", "97602"]}).params["count"]
    2
    >>> Note.from_dict(Note("straight_line").to_dict())
    Note(code='straight_line', params={})
    """

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"code": ..., "params": {...}}`` (JSON-ready)."""
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Note:
        """The note of :meth:`to_dict`."""
        return cls(str(values["code"]), dict(values.get("params", {})))
