"""The classes of the diagnostic, defined once: time classes and enjeux levels.

The indicators compute them, and the maps, legends, tables, exports and text of the
report all read their labels and criteria from here, so that a class cannot appear on a
map that the legend or the text does not name.

* **Time classes** cut times at the study's thresholds: ``[0, t1[, [t1, t2[ … [tn, ∞[``
  (a time equal to a threshold is beyond it, as in the access indicators).
* **Enjeux levels** rest on absolute, stated criteria (not on ranks), checked family by
  family against the family's time threshold :math:`T_f` and the need of the commune:

  ============  ==============================================================
  très fort     beyond :math:`2 T_f` (or no service reachable) for a family, or
                beyond :math:`T_f` for a family whose public is over-represented
                (65+ for care and home services, 0–19 for youth and early
                childhood, share above the territory's)
  fort          beyond :math:`T_f` for at least one family
  modéré        past half of :math:`T_f` for at least one family
  faible        within half of every :math:`T_f`
  ============  ==============================================================
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Enjeux level codes, from the least to the most at stake (the tables carry these).
ENJEU_LEVELS: tuple[str, ...] = ("low", "moderate", "high", "very_high")
#: Their French labels, in the same order (the outputs show these).
ENJEU_CLASSES: tuple[str, ...] = ("faible", "modéré", "fort", "très fort")
#: The French label of each level code.
ENJEU_LABELS: dict[str, str] = dict(zip(ENJEU_LEVELS, ENJEU_CLASSES, strict=True))
#: Share of a family's threshold past which a commune is "close to the threshold".
NEAR_LIMIT = 0.5
#: The criterion of each level, in French, for legends, text and the data dictionary.
ENJEU_CRITERIA: dict[str, str] = {
    "très fort": "au-delà du double du seuil de temps pour une famille, ou au-delà du seuil "
    "pour une famille dont le public (âgés ou jeunes) est plus présent que dans le territoire",
    "fort": "au-delà du seuil de temps pour au moins une famille",
    "modéré": "au-delà de la moitié du seuil de temps pour au moins une famille",
    "faible": "en deçà de la moitié du seuil pour toutes les familles",
}


def enjeu_class(*, far_and_needy: bool, far: bool, near: bool) -> str:
    """The enjeux level code of a commune from its criteria (see the module's table).

    ``far_and_needy``: beyond twice a family's threshold (or no service), or beyond the
    threshold of a family whose public is over-represented.

    Examples
    --------
    >>> enjeu_class(far_and_needy=False, far=True, near=True)
    'high'
    >>> enjeu_class(far_and_needy=False, far=False, near=False)
    'low'
    """
    if far_and_needy:
        return ENJEU_LEVELS[3]
    if far:
        return ENJEU_LEVELS[2]
    if near:
        return ENJEU_LEVELS[1]
    return ENJEU_LEVELS[0]


def time_class_labels(thresholds_minutes: Sequence[float]) -> list[str]:
    """The French labels of the time classes at ``thresholds_minutes``.

    Examples
    --------
    >>> time_class_labels([7, 15])
    ['moins de 7 min', '7 à 15 min', '15 min et plus']
    """
    edges = sorted(float(t) for t in thresholds_minutes)
    labels = [f"moins de {edges[0]:g} min"]
    labels += [f"{low:g} à {high:g} min" for low, high in itertools.pairwise(edges)]
    labels.append(f"{edges[-1]:g} min et plus")
    return labels


def time_classes(
    values: pd.Series, thresholds_minutes: Sequence[float]
) -> tuple[pd.Series, list[str]]:
    """Class of each time by the thresholds (0 = below the first), and the labels.

    NaN (no service reachable) stays NaN.

    Examples
    --------
    >>> classes, labels = time_classes(pd.Series([3.0, 7.0, 40.0, np.nan]), [7, 15])
    >>> classes.tolist(), labels
    ([0.0, 1.0, 2.0, nan], ['moins de 7 min', '7 à 15 min', '15 min et plus'])
    """
    edges = sorted(float(t) for t in thresholds_minutes)
    classes = pd.Series(
        np.searchsorted(edges, values.to_numpy(float), side="right"), index=values.index
    )
    return classes.astype(float).where(values.notna()), time_class_labels(edges)


def enjeu_class_codes(levels: pd.Series) -> pd.Series:
    """Level codes as class numbers (0 = low … 3 = very_high), NaN when unknown.

    Examples
    --------
    >>> enjeu_class_codes(pd.Series(["high", "low", None])).tolist()
    [2.0, 0.0, nan]
    """
    return levels.map({c: float(i) for i, c in enumerate(ENJEU_LEVELS)}).astype(float)
