"""Survey weights by raking (iterative proportional fitting) to known population margins.

A survey's respondents are rarely a miniature of the population: more retirees, fewer
young adults, a commune over-represented. Raking (Deming and Stephan 1940, "On a least
squares adjustment of a sampled frequency table when the expected marginal totals are
known") gives each respondent a weight so that the weighted sample reproduces every
known margin at once, here the INSEE population by age band and by EPCI: the weights of
each cell of the age × EPCI table are multiplied in turn by ``target / weighted count``
of each margin until both margins hold (to ``tolerance``).

For one respondent ``i`` in age band ``a`` and EPCI ``e``, at each pass:

.. math::

    w_i \\leftarrow w_i \\cdot \\frac{N_a}{\\sum_{j \\in a} w_j}, \\qquad
    w_i \\leftarrow w_i \\cdot \\frac{N_e}{\\sum_{j \\in e} w_j}

A margin category with no respondent cannot be reached: it is reported (``empty``) and
the other categories are raked to their own totals, rescaled to the same grand total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class RakingResult:
    """Weights of the respondents, and how the fit went.

    Attributes
    ----------
    weights
        One weight per respondent (same order as given); they sum to the population.
    iterations
        Passes over the margins.
    converged
        Whether every margin holds within the tolerance.
    empty
        ``(margin, category)`` pairs with a population but no respondent (not reachable).
    """

    weights: npt.NDArray[np.float64]
    iterations: int
    converged: bool
    empty: tuple[tuple[str, str], ...]


def rake(
    categories: Mapping[str, Sequence[str]],
    margins: Mapping[str, Mapping[str, float]],
    *,
    tolerance: float = 1e-9,
    max_iterations: int = 1000,
) -> RakingResult:
    """Rake respondents to population margins.

    Parameters
    ----------
    categories
        For each margin (``"age"``, ``"epci"``), the category of every respondent (all
        sequences of the same length).
    margins
        For each margin, the population of each category.
    tolerance
        Largest relative gap allowed between a weighted count and its target.
    max_iterations
        Passes before giving up (``converged`` is then ``False``).

    Returns
    -------
    RakingResult

    Examples
    --------
    Four respondents, two age bands and two EPCI; the population is 60 young / 40 old
    and 30 in EPCI A / 70 in B:

    >>> r = rake({"age": ["jeune", "jeune", "vieux", "vieux"],
    ...           "epci": ["A", "B", "A", "B"]},
    ...          {"age": {"jeune": 60, "vieux": 40}, "epci": {"A": 30, "B": 70}})
    >>> [round(float(w), 6) for w in r.weights], r.converged
    ([18.0, 42.0, 12.0, 28.0], True)
    """
    names = list(categories)
    if not names:
        raise ValueError("Aucune marge de calage.")
    size = len(categories[names[0]])
    if any(len(categories[name]) != size for name in names):
        raise ValueError("Chaque marge doit donner une catégorie par répondant.")
    if size == 0:
        return RakingResult(np.zeros(0), 0, True, ())
    codes: dict[str, npt.NDArray[np.int64]] = {}
    targets: dict[str, npt.NDArray[np.float64]] = {}
    empty: list[tuple[str, str]] = []
    total: float | None = None
    for name in names:
        labels = list(margins[name])
        index = {label: position for position, label in enumerate(labels)}
        unknown = sorted({str(c) for c in categories[name]} - set(index))
        if unknown:
            raise ValueError(
                f"Catégorie(s) sans population dans la marge « {name} » : {', '.join(unknown)}."
            )
        codes[name] = np.array([index[c] for c in categories[name]], dtype=np.int64)
        seen = np.bincount(codes[name], minlength=len(labels)) > 0
        empty.extend((name, label) for label, ok in zip(labels, seen, strict=True) if not ok)
        target = np.array(
            [
                float(margins[name][label]) if ok else 0.0
                for label, ok in zip(labels, seen, strict=True)
            ],
            dtype=np.float64,
        )
        if total is None:  # the first margin's population: the others are scaled to it
            total = float(sum(margins[name].values()))
        targets[name] = target * (total / target.sum()) if target.sum() > 0 else target
    weights = np.full(size, float(total or 0.0) / size)
    converged = False
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007 - read after the loop
        for name in names:
            current = np.bincount(codes[name], weights=weights, minlength=targets[name].size)
            factor = np.divide(targets[name], current, out=np.ones_like(current), where=current > 0)
            weights = weights * factor[codes[name]]
        gaps = [
            float(
                np.max(
                    np.abs(
                        np.bincount(codes[name], weights=weights, minlength=targets[name].size)
                        - targets[name]
                    )
                )
            )
            / max(float(np.max(targets[name])), 1e-300)
            for name in names
        ]
        if max(gaps) <= tolerance:
            converged = True
            break
    return RakingResult(weights, iteration, converged, tuple(empty))
