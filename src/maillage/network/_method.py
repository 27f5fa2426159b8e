"""The travel-time methods, an Enum named by the engines and the models alike.

Defined here, below the engines (:mod:`~maillage.network.nearest`,
:mod:`~maillage.network.straight_line`) that tag their tables with it; the public name is
:class:`maillage.network.model.Method` (``maillage.Method``).
"""

from __future__ import annotations

import enum

__all__ = ["Method"]


class Method(enum.Enum):
    """How travel times are computed (its French label is added when rendering).

    Examples
    --------
    >>> Method("straight_line") is Method.STRAIGHT_LINE
    True
    """

    ROAD = "road"
    STRAIGHT_LINE = "straight_line"
    TRANSIT = "transit"
