"""Greedy siting heuristics and the LP-relaxation bounds their gaps are measured against.

Every function works on dense arrays: ``cost`` (origins × sites, minutes, ``inf`` where a
site cannot be reached), ``weights`` (population of each origin) and ``fixed`` (mask of
the sites that are open whatever happens). Indices are positions in these arrays.

* **Maximal covering** — at each step open the site that covers the most population not
  yet covered (Church & ReVelle 1974 for the model). The covered population is a monotone
  submodular function of the set of sites, so greedy reaches at least
  :math:`1 - (1 - 1/p)^p \\geq 1 - 1/e \\approx 0.632` of the optimum (Nemhauser, Wolsey &
  Fisher 1978); the classic proof only uses that some site covers at least
  :math:`1/p` of what the *fractional* optimum still covers, so the bound holds against
  the LP relaxation too (Vazirani 2001, *Approximation Algorithms*, ch. 2; Hochbaum &
  Pathria 1998). Hence :math:`(LP - G) / LP \\leq (1 - 1/p)^p \\leq 1/e`, counting the
  population the new sites cover (fixed sites only shrink that ratio).
* **Set covering** — open the site covering the most origins still uncovered until all
  coverable origins are covered (Chvátal 1979): at most :math:`H(d)` times the LP
  optimum, :math:`d` the most origins one site covers, :math:`H` the harmonic number;
  hence :math:`(G - LP) / LP \\leq H(d) - 1`.
* **p-median** — add the site that lowers the population-weighted time most (Kuehn &
  Hamburger 1963), then swap a new site for a closed one while it improves (vertex
  substitution, Teitz & Bart 1968). No worst-case bound exists: the gap to the LP
  bound is measured, never promised (p-median LPs are often tight, ReVelle & Swain 1970).

LP relaxations are solved by HiGHS through :func:`scipy.optimize.linprog` on sparse
matrices, which reaches far larger instances than a PuLP model built term by term.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def max_covering_bound(new_sites: int) -> float:
    """Documented bound of greedy maximal covering's gap to the LP bound: ``(1 - 1/p)^p``.

    Examples
    --------
    >>> round(max_covering_bound(2), 3), round(max_covering_bound(1000), 3)
    (0.25, 0.368)
    """
    return (1.0 - 1.0 / new_sites) ** new_sites if new_sites > 0 else 0.0


def set_covering_bound(max_origins_per_site: int) -> float:
    """Documented bound of greedy set covering's gap to the LP bound: ``H(d) - 1``.

    Examples
    --------
    >>> set_covering_bound(3)  # 1 + 1/2 + 1/3 - 1
    0.8333333333333333
    """
    return sum(1.0 / k for k in range(1, max_origins_per_site + 1)) - 1.0


def greedy_max_covering(
    cover: BoolArray, weights: FloatArray, fixed: BoolArray, new_sites: int
) -> IntArray:
    """Greedy maximal covering: the indices of the ``new_sites`` sites opened, in order.

    Ties go to the lowest index (deterministic).

    Examples
    --------
    >>> cover = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1]], dtype=bool)
    >>> greedy_max_covering(cover, np.array([5.0, 1.0, 10.0]), np.zeros(3, bool), 1).tolist()
    [1]
    """
    covered = cover[:, fixed].any(axis=1)
    is_open = fixed.copy()
    chosen: list[int] = []
    for _ in range(new_sites):
        gains = (weights * ~covered) @ cover
        gains = np.where(is_open, -1.0, gains)
        site = int(np.argmax(gains))
        chosen.append(site)
        is_open[site] = True
        covered |= cover[:, site]
    return np.asarray(chosen, dtype=np.int64)


def greedy_set_covering(cover: BoolArray, fixed: BoolArray) -> IntArray:
    """Greedy set covering (Chvátal): sites opened until every coverable origin is covered.

    Examples
    --------
    >>> cover = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1]], dtype=bool)
    >>> greedy_set_covering(cover, np.zeros(3, bool)).tolist()
    [0, 1]
    """
    coverable = cover.any(axis=1)
    uncovered = coverable & ~cover[:, fixed].any(axis=1)
    chosen: list[int] = []
    while uncovered.any():
        counts = uncovered.astype(np.float64) @ cover
        site = int(np.argmax(np.where(fixed, -1.0, counts)))
        chosen.append(site)
        uncovered &= ~cover[:, site]
    return np.asarray(chosen, dtype=np.int64)


def _objective(distance: FloatArray, weights: FloatArray) -> float:
    return float(weights @ distance)


def greedy_p_median(
    cost: FloatArray,
    weights: FloatArray,
    fixed: BoolArray,
    new_sites: int,
    *,
    penalty_minutes: float,
    max_swaps: int = 1000,
) -> IntArray:
    """Greedy adding then vertex substitution (Teitz & Bart) for the p-median.

    ``inf`` costs are replaced by ``penalty_minutes`` (an origin nobody can reach counts
    at that time). Returns the new sites' indices.

    Examples
    --------
    >>> cost = np.array([[0.0, 5.0, 9.0], [5.0, 0.0, 4.0], [9.0, 4.0, 0.0]])
    >>> greedy_p_median(cost, np.ones(3), np.zeros(3, bool), 1, penalty_minutes=99).tolist()
    [1]
    """
    finite = np.where(np.isfinite(cost), cost, penalty_minutes)
    n_origins = finite.shape[0]
    base = finite[:, fixed].min(axis=1) if fixed.any() else np.full(n_origins, np.inf)
    chosen: list[int] = []
    distance = base.copy()
    for _ in range(new_sites):
        totals = weights @ np.minimum(distance[:, None], finite)
        totals[fixed] = np.inf
        totals[chosen] = np.inf
        site = int(np.argmin(totals))
        chosen.append(site)
        distance = np.minimum(distance, finite[:, site])
    best = _objective(distance, weights)
    for _ in range(max_swaps):
        improved = False
        for position in range(len(chosen)):
            others = [s for k, s in enumerate(chosen) if k != position]
            without = np.minimum(base, finite[:, others].min(axis=1)) if others else base
            totals = weights @ np.minimum(without[:, None], finite)
            totals[fixed] = np.inf
            totals[others] = np.inf
            site = int(np.argmin(totals))
            if totals[site] < best - 1e-9 * max(1.0, abs(best)):
                chosen[position] = site
                best = float(totals[site])
                improved = True
        if not improved:
            break
    return np.asarray(chosen, dtype=np.int64)


def _fixed_bounds(fixed: BoolArray) -> list[tuple[float, float]]:
    return [(1.0, 1.0) if f else (0.0, 1.0) for f in fixed]


def lp_max_covering(
    cover: BoolArray, weights: FloatArray, fixed: BoolArray, total_sites: int
) -> float:
    """LP bound of maximal covering: the most population fractional sites can cover.

    Examples
    --------
    >>> cover = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    >>> lp_max_covering(cover, np.array([1.0, 1.0, 1.0]), np.zeros(2, bool), 1)
    2.0
    """
    n, m = cover.shape
    # Variables: y (m sites) then z (n origins); maximise w·z.
    objective = np.concatenate([np.zeros(m), -weights])
    a = sparse.csr_matrix(cover.astype(np.float64))
    rows = sparse.hstack([-a, sparse.identity(n, format="csr")], format="csr")  # z - A y <= 0
    equal = sparse.csr_matrix(np.concatenate([np.ones(m), np.zeros(n)])[None, :])
    result = linprog(
        objective,
        A_ub=rows,
        b_ub=np.zeros(n),
        A_eq=equal,
        b_eq=[float(total_sites)],
        bounds=_fixed_bounds(fixed) + [(0.0, 1.0)] * n,
        method="highs",
    )
    return _value(result, sign=-1.0)


def lp_set_covering(cover: BoolArray, fixed: BoolArray) -> float:
    """LP bound of set covering: fewest fractional *new* sites covering coverable origins.

    Examples
    --------
    >>> cover = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=bool)
    >>> lp_set_covering(cover, np.zeros(3, bool))
    1.5
    """
    coverable = cover.any(axis=1) & ~cover[:, fixed].any(axis=1)
    if not coverable.any():
        return 0.0
    a = sparse.csr_matrix(cover[coverable].astype(np.float64))
    objective = np.where(fixed, 0.0, 1.0)
    result = linprog(
        objective,
        A_ub=-a,
        b_ub=-np.ones(a.shape[0]),
        bounds=_fixed_bounds(fixed),
        method="highs",
    )
    return _value(result, sign=1.0)


def lp_p_median(cost: FloatArray, weights: FloatArray, fixed: BoolArray, total_sites: int) -> float:
    """LP bound of the p-median (pairs with ``inf`` cost cannot be assigned).

    Examples
    --------
    >>> cost = np.array([[0.0, 5.0], [5.0, 0.0]])
    >>> lp_p_median(cost, np.array([1.0, 3.0]), np.zeros(2, bool), 1)
    5.0
    """
    n, m = cost.shape
    origin, site = np.nonzero(np.isfinite(cost))
    k = origin.size
    # Variables: y (m) then x (one per allowed pair).
    objective = np.concatenate([np.zeros(m), weights[origin] * cost[origin, site]])
    pair = np.arange(k)
    assign = sparse.csr_matrix((np.ones(k), (origin, m + pair)), shape=(n, m + k))
    opening = sparse.csr_matrix(
        (
            np.concatenate([np.ones(k), -np.ones(k)]),
            (np.tile(pair, 2), np.concatenate([m + pair, site])),
        ),
        shape=(k, m + k),
    )
    count = sparse.csr_matrix(np.concatenate([np.ones(m), np.zeros(k)])[None, :])
    result = linprog(
        objective,
        A_ub=opening,
        b_ub=np.zeros(k),
        A_eq=sparse.vstack([assign, count], format="csr"),
        b_eq=np.concatenate([np.ones(n), [float(total_sites)]]),
        bounds=_fixed_bounds(fixed) + [(0.0, 1.0)] * k,
        method="highs",
    )
    return _value(result, sign=1.0)


def _value(result: object, *, sign: float) -> float:
    status = getattr(result, "status", 1)
    if status != 0:
        return math.nan
    return float(sign * getattr(result, "fun"))  # noqa: B009
