"""Shortest-path plumbing: degree-2 chain contraction and multi-source Dijkstra (private).

A road graph has many nodes that only shape a road's curve: a node with exactly one
way in and one way out (one-way road) or the same two neighbours in and out (two-way
road) lies on a *chain*. Contraction replaces every chain between two *core* nodes by
one edge of the chain's total time; searches then run on the core graph only, and the
time of an interior node is recovered exactly afterwards from the ends of its chains:
``t(v) = min over out-chains c of (time from v to the end of c + t(end of c))``.
Terminals (service nodes) are always core, so no service hides inside a chain.

The chains are found with pointer jumping over edge successors (``log2`` of the longest
chain numpy passes), with no Python loop over nodes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse
from scipy.sparse.csgraph import dijkstra

from maillage.network.graph import RoadGraph

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Work (core nodes × types) above which the types are shared between processes.
PARALLEL_MIN_WORK = 20_000_000


@dataclass
class Contraction:
    """A road graph with its degree-2 chains contracted.

    ``core_of[v]`` is the core index of node ``v`` (-1 for an interior node);
    ``exit_end[:, v]`` / ``exit_minutes[:, v]`` give, for an interior node, the core
    node at the end of each of its (at most two) out-chains and the time to get there
    (``-1`` / ``inf`` when it has a single out-chain).
    """

    n_nodes: int
    core: IntArray
    core_of: IntArray
    forward: scipy.sparse.csr_matrix
    interior: IntArray
    exit_end: IntArray
    exit_minutes: FloatArray

    @property
    def n_core(self) -> int:
        """Number of core nodes."""
        return int(self.core.size)


def contract(graph: RoadGraph, terminals: IntArray | None = None) -> Contraction:
    """Contract the degree-2 chains of ``graph``, keeping ``terminals`` as core nodes."""
    n = graph.n_nodes
    indptr = graph.indptr
    heads = graph.indices.astype(np.int64)
    weights = graph.minutes
    tails = graph.tails()
    keep_core = np.zeros(n, dtype=bool)
    if terminals is not None and len(terminals):
        keep_core[np.asarray(terminals, dtype=np.int64)] = True
    out_degree = np.diff(indptr)
    in_order = np.argsort(heads, kind="stable")
    in_tails = tails[in_order]
    in_degree = np.bincount(heads, minlength=n)
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(in_degree, out=in_ptr[1:])
    start = np.minimum(indptr[:-1], max(heads.size - 1, 0))
    in_start = np.minimum(in_ptr[:-1], max(heads.size - 1, 0))
    second = np.minimum(start + 1, max(heads.size - 1, 0))
    in_second = np.minimum(in_start + 1, max(heads.size - 1, 0))
    if heads.size == 0:
        one_way = two_way = np.zeros(n, dtype=bool)
    else:
        one_way = (out_degree == 1) & (in_degree == 1) & (heads[start] != in_tails[in_start])
        two_way = (
            (out_degree == 2)
            & (in_degree == 2)
            & (heads[start] == in_tails[in_start])
            & (heads[second] == in_tails[in_second])
        )
    while True:
        interior = (one_way | two_way) & ~keep_core
        result = _chains(n, indptr, heads, weights, tails, interior, two_way)
        if isinstance(result, np.ndarray):
            keep_core[result] = True  # pure cycles of interior nodes: cut them open
            continue
        end, remaining = result
        break
    core = np.flatnonzero(~interior)
    core_of = np.full(n, -1, dtype=np.int64)
    core_of[core] = np.arange(core.size, dtype=np.int64)
    starts = np.flatnonzero(~interior[tails])
    src = core_of[tails[starts]]
    dst = core_of[end[starts]]
    minutes = remaining[starts]
    loop = src != dst
    src, dst, minutes = src[loop], dst[loop], minutes[loop]
    order = np.lexsort((minutes, dst, src))
    src, dst, minutes = src[order], dst[order], minutes[order]
    first = np.ones(src.size, dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    forward = _csr(src[first], dst[first], minutes[first], core.size)
    inner = np.flatnonzero(interior)
    first_exit = indptr[inner]
    second_exit = np.where(two_way[inner], first_exit + 1, -1)
    exit_end = np.full((2, inner.size), -1, dtype=np.int64)
    exit_minutes = np.full((2, inner.size), np.inf)
    exit_end[0] = core_of[end[first_exit]]
    exit_minutes[0] = remaining[first_exit]
    has_second = second_exit >= 0
    exit_end[1, has_second] = core_of[end[second_exit[has_second]]]
    exit_minutes[1, has_second] = remaining[second_exit[has_second]]
    return Contraction(
        n_nodes=n,
        core=core,
        core_of=core_of,
        forward=forward,
        interior=inner,
        exit_end=exit_end,
        exit_minutes=exit_minutes,
    )


def _chains(
    n: int,
    indptr: IntArray,
    heads: IntArray,
    weights: FloatArray,
    tails: IntArray,
    interior: npt.NDArray[np.bool_],
    two_way: npt.NDArray[np.bool_],
) -> tuple[IntArray, FloatArray] | IntArray:
    """For every edge, the core node ending its chain and the time to it.

    Returns the nodes to make core instead when some chains are pure cycles.
    """
    m = heads.size
    successor = np.full(m, -1, dtype=np.int64)
    into = np.flatnonzero(interior[heads])
    v = heads[into]
    out_first = indptr[v]
    other = np.where(
        two_way[v] & (heads[np.minimum(out_first, m - 1)] == tails[into]), out_first + 1, out_first
    )
    successor[into] = other
    jump = successor
    remaining = weights.copy()
    end = heads.copy()
    active = np.flatnonzero(jump >= 0)
    rounds = 0
    while active.size:
        rounds += 1
        if rounds > 2 + int(np.ceil(np.log2(max(m, 2)))):
            stuck = np.unique(tails[active])
            cycle_label = _cycle_representatives(stuck, heads, indptr, interior)
            return cycle_label
        target = jump[active]
        remaining[active] = remaining[active] + remaining[target]
        end[active] = end[target]
        jump = jump.copy()
        jump[active] = jump[target]
        active = active[jump[active] >= 0]
    return end, remaining


def _cycle_representatives(
    stuck: IntArray, heads: IntArray, indptr: IntArray, interior: npt.NDArray[np.bool_]
) -> IntArray:
    """One node per cycle of interior nodes (the stuck nodes' smallest, by propagation)."""
    from scipy.sparse.csgraph import connected_components

    sub = scipy.sparse.csr_matrix(
        (np.ones(heads.size), heads, indptr), shape=(indptr.size - 1, indptr.size - 1)
    )
    _, labels = connected_components(sub, directed=False)
    stuck_labels = labels[stuck]
    _, first = np.unique(stuck_labels, return_index=True)
    return np.asarray(stuck[first], dtype=np.int64)


def _csr(src: IntArray, dst: IntArray, data: FloatArray, n: int) -> scipy.sparse.csr_matrix:
    """CSR matrix from edges sorted by ``src`` (explicit zeros are kept as edges)."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return scipy.sparse.csr_matrix((data, dst.astype(np.int32), indptr), shape=(n, n))


def with_sources(
    graph: scipy.sparse.csr_matrix, targets: IntArray, minutes: FloatArray
) -> scipy.sparse.csr_matrix:
    """Append one source node per target, linked to it by an edge of ``minutes``.

    A search started from the new nodes gives ``min(minutes[s] + d(target[s], v))``:
    a multi-source search with a starting time per source (the off-road legs).
    """
    n = graph.shape[0]
    k = int(targets.size)
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + np.arange(1, k + 1)])
    indices = np.concatenate([graph.indices, targets.astype(graph.indices.dtype)])
    data = np.concatenate([graph.data, minutes])
    return scipy.sparse.csr_matrix((data, indices, indptr), shape=(n + k, n + k))


def expand(
    contraction: Contraction,
    core_minutes: FloatArray,
    core_label: IntArray,
    nodes: IntArray,
) -> tuple[FloatArray, IntArray]:
    """Times and labels of any nodes from those of the core nodes (exact recovery)."""
    minutes = np.full(nodes.size, np.inf)
    labels = np.full(nodes.size, -1, dtype=np.int64)
    position = contraction.core_of[nodes]
    is_core = position >= 0
    minutes[is_core] = core_minutes[position[is_core]]
    labels[is_core] = core_label[position[is_core]]
    inner_nodes = nodes[~is_core]
    if inner_nodes.size:
        slot = np.searchsorted(contraction.interior, inner_nodes)
        ends = contraction.exit_end[:, slot]
        padded = np.append(core_minutes, np.inf)
        padded_label = np.append(core_label, -1)
        candidates = contraction.exit_minutes[:, slot] + padded[ends]
        best = np.argmin(candidates, axis=0)
        columns = np.arange(inner_nodes.size)
        minutes[~is_core] = candidates[best, columns]
        labels[~is_core] = padded_label[ends[best, columns]]
    labels[~np.isfinite(minutes)] = -1
    return minutes, labels


_WORKER: dict[str, Any] = {}


def _init_worker(
    reverse: scipy.sparse.csr_matrix, contraction: Contraction, origins: IntArray
) -> None:
    _WORKER.update(reverse=reverse, contraction=contraction, origins=origins)


def _solve_group(
    reverse: scipy.sparse.csr_matrix,
    contraction: Contraction,
    origins: IntArray,
    seeds: IntArray,
) -> tuple[FloatArray, IntArray]:
    n_core = contraction.n_core
    if seeds.size == 0:
        return np.full(origins.size, np.inf), np.full(origins.size, -1, dtype=np.int64)
    dist, _, source = dijkstra(
        reverse,
        directed=True,
        indices=seeds + n_core,
        return_predecessors=True,
        min_only=True,
    )
    label = np.where(source >= n_core, source - n_core, -1)
    return expand(contraction, dist[:n_core], label[:n_core], origins)


def _solve_in_worker(seeds: IntArray) -> tuple[FloatArray, IntArray]:
    return _solve_group(_WORKER["reverse"], _WORKER["contraction"], _WORKER["origins"], seeds)


def nearest_by_group(
    graph: RoadGraph,
    seed_nodes: IntArray,
    seed_minutes: FloatArray,
    groups: Sequence[IntArray],
    origins: IntArray,
    *,
    n_jobs: int | None = None,
    contraction: Contraction | None = None,
) -> tuple[FloatArray, IntArray]:
    """Time from each origin node to the nearest seed of each group, and which seed.

    Parameters
    ----------
    seed_nodes, seed_minutes
        Node of every seed (service) and the time already spent to reach it from
        there (its off-road leg).
    groups
        For every group (service type), the positions of its seeds.
    origins
        Nodes whose times are wanted.
    n_jobs
        Processes; ``None`` uses every core when the work is large.

    Returns
    -------
    minutes, seed
        Arrays ``(groups, origins)``: time (``inf`` when unreachable) and seed position
        (-1 when unreachable).
    """
    if contraction is None:
        contraction = contract(graph, np.unique(seed_nodes))
    reverse = with_sources(
        contraction.forward.T.tocsr(), contraction.core_of[seed_nodes], seed_minutes
    )
    reverse.sort_indices()
    minutes = np.full((len(groups), origins.size), np.inf)
    labels = np.full((len(groups), origins.size), -1, dtype=np.int64)
    jobs = _jobs(n_jobs, contraction.n_core * len(groups))
    if jobs <= 1:
        for k, seeds in enumerate(groups):
            minutes[k], labels[k] = _solve_group(reverse, contraction, origins, seeds)
        return minutes, labels
    context = get_context("forkserver")
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_init_worker,
        initargs=(reverse, contraction, origins),
    ) as pool:
        for k, (times, label) in enumerate(pool.map(_solve_in_worker, groups)):
            minutes[k], labels[k] = times, label
    return minutes, labels


def _jobs(n_jobs: int | None, work: int) -> int:
    cores = os.cpu_count() or 1
    if n_jobs is None:
        return cores if work >= PARALLEL_MIN_WORK else 1
    return max(1, min(n_jobs, cores)) if n_jobs > 0 else cores


def many_to_many(
    graph: RoadGraph,
    from_nodes: IntArray,
    from_minutes: FloatArray,
    to_nodes: IntArray,
    to_minutes: FloatArray,
    *,
    cutoff_minutes: float,
    reverse: bool = False,
    batch_cells: int = 25_000_000,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Every (from, to) pair within ``cutoff_minutes``, legs included.

    With ``reverse=True`` the search runs on the reversed graph (times *to* the
    ``from`` points). Returns positions in ``from_nodes``, in ``to_nodes``, and minutes.
    """
    terminals = np.unique(np.concatenate([from_nodes, to_nodes]))
    contraction = contract(graph, terminals)
    core_graph = contraction.forward.T.tocsr() if reverse else contraction.forward
    augmented = with_sources(core_graph, contraction.core_of[from_nodes], from_minutes)
    n_core = contraction.n_core
    to_core = contraction.core_of[to_nodes]
    batch = max(1, batch_cells // max(augmented.shape[0], 1))
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    values: list[FloatArray] = []
    for begin in range(0, from_nodes.size, batch):
        sources = np.arange(begin, min(begin + batch, from_nodes.size), dtype=np.int64)
        dist = dijkstra(augmented, directed=True, indices=sources + n_core, limit=cutoff_minutes)
        total = np.atleast_2d(dist)[:, to_core] + to_minutes[None, :]
        row, col = np.nonzero(total <= cutoff_minutes)
        rows.append(sources[row])
        cols.append(col.astype(np.int64))
        values.append(total[row, col])
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(values)
