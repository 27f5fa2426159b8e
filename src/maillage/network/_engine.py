"""Shortest-path plumbing: degree-2 chain contraction and multi-source searches (private).

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
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numba
import numpy as np
import numpy.typing as npt
import scipy.sparse

from maillage._progress import progress
from maillage.network import _buckets, _hierarchy, _prepared
from maillage.network.graph import RoadGraph

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Work (core nodes × types) above which the types are shared between threads.
PARALLEL_MIN_WORK = 5_000_000
#: Groups from which building the graph's contraction hierarchy (then cached with it,
#: :mod:`maillage.network._prepared`) and sweeping it for several groups at once
#: (:mod:`maillage.network._hierarchy`) beats one bucket search a group. On a
#: 173 k-core-node partition of ``benchmarks/partition.py`` its build cost as much as
#: 50 to 80 bucket searches, and a group then 0.2 to 0.3 of one: even at about 100.
HIERARCHY_MIN_GROUPS = 100
#: The same once the graph's hierarchy is built (cached with the graph,
#: :mod:`maillage.network._prepared`): a block of groups' sweeps then already costs less
#: than its bucket searches.
CACHED_HIERARCHY_MIN_GROUPS = 16
#: Groups swept together, and the memory their times may take (bytes).
BLOCK_GROUPS = 16
BLOCK_BYTES = 128 * 2**20

Method = Literal["auto", "buckets", "hierarchy"]


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


def _structure(graph: RoadGraph) -> dict[str, Any]:
    """Terminal-independent part of the contraction, cached on the graph."""
    cached = graph._cache.get("structure")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    n = graph.n_nodes
    indptr = graph.indptr
    heads = graph.indices.astype(np.int64)
    tails = graph.tails()
    m = heads.size
    out_degree = np.diff(indptr)
    # tails by head, in tail order within a head (a CSR to CSC conversion: a counting
    # sort, where a stable argsort of the heads took a quarter of the contraction)
    ones = np.ones(m, dtype=np.int8)
    in_tails = scipy.sparse.csr_matrix((ones, heads, indptr), shape=(n, n)).tocsc().indices
    in_tails = in_tails.astype(np.int64)
    in_degree = np.bincount(heads, minlength=n)
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(in_degree, out=in_ptr[1:])
    last = max(m - 1, 0)
    start = np.minimum(indptr[:-1], last)
    in_start = np.minimum(in_ptr[:-1], last)
    second = np.minimum(start + 1, last)
    in_second = np.minimum(in_start + 1, last)
    if m == 0:
        one_way = two_way = np.zeros(n, dtype=bool)
    else:
        one_way = (out_degree == 1) & (in_degree == 1) & (heads[start] != in_tails[in_start])
        two_way = (
            (out_degree == 2)
            & (in_degree == 2)
            & (heads[start] == in_tails[in_start])
            & (heads[second] == in_tails[in_second])
        )
    # successor of an edge entering a degree-2 node: the way on, not the way back
    successor = np.full(m, -1, dtype=np.int64)
    into = np.flatnonzero((one_way | two_way)[heads])
    v = heads[into]
    out_first = indptr[v]
    successor[into] = np.where(
        two_way[v] & (heads[np.minimum(out_first, last)] == tails[into]), out_first + 1, out_first
    )
    cached = {
        "heads": heads,
        "tails": tails,
        "one_way": one_way,
        "two_way": two_way,
        "successor": successor,
    }
    graph._cache["structure"] = cached
    return cached


def contract(graph: RoadGraph, terminals: IntArray | None = None) -> Contraction:
    """Contract the degree-2 chains of ``graph``, keeping ``terminals`` as core nodes."""
    n = graph.n_nodes
    indptr = graph.indptr
    weights = graph.minutes
    structure = _structure(graph)
    heads, tails = structure["heads"], structure["tails"]
    one_way, two_way = structure["one_way"], structure["two_way"]
    keep_core = np.zeros(n, dtype=bool)
    if terminals is not None and len(terminals):
        keep_core[np.asarray(terminals, dtype=np.int64)] = True
    while True:
        interior = (one_way | two_way) & ~keep_core
        result = _chains(indptr, heads, weights, tails, interior, structure["successor"])
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
    key = src * core.size + dst
    order = np.argsort(key, kind="stable")
    key, minutes = key[order], minutes[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts_at = np.flatnonzero(first)
    minutes = np.minimum.reduceat(minutes, starts_at) if key.size else minutes
    key = key[starts_at]
    src, dst = key // core.size, key % core.size
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
    # Dead-end trees (cul-de-sacs) hang from the rest by one node: left out of searches.
    anchor, offset = _dead_end_anchors(src, dst, minutes, core.size, keep_core[core])
    survivor = anchor == np.arange(core.size)
    final_of = np.full(core.size + 1, -1, dtype=np.int64)
    final_of[np.flatnonzero(survivor)] = np.arange(int(survivor.sum()), dtype=np.int64)
    kept = survivor[src] & survivor[dst]
    forward = _csr(final_of[src[kept]], final_of[dst[kept]], minutes[kept], int(survivor.sum()))
    padded_anchor = np.append(anchor, core.size)
    padded_offset = np.append(offset, np.inf)
    exit_end = np.where(exit_end < 0, core.size, exit_end)
    exit_minutes = exit_minutes + padded_offset[exit_end]
    exit_end = final_of[padded_anchor[exit_end]]
    pruned = np.flatnonzero(~survivor)
    pruned_end = np.vstack([final_of[anchor[pruned]], np.full(pruned.size, -1, dtype=np.int64)])
    pruned_minutes = np.vstack([offset[pruned], np.full(pruned.size, np.inf)])
    outside = np.concatenate([inner, core[pruned]])
    order = np.argsort(outside)
    final_core = core[survivor]
    exit_end = np.hstack([exit_end, pruned_end])[:, order]
    # Number the core along a Hilbert curve: nodes close on the ground come close in
    # memory, and searches on large graphs run ~1.5-2x faster (fewer cache misses).
    spatial = np.argsort(_hilbert_keys(graph)[final_core], kind="stable")
    renumber = np.empty(final_core.size, dtype=np.int64)
    renumber[spatial] = np.arange(final_core.size, dtype=np.int64)
    final_core = final_core[spatial]
    forward = forward[spatial][:, spatial].tocsr()
    exit_end = np.where(exit_end >= 0, renumber[np.maximum(exit_end, 0)], -1)
    core_of = np.full(n, -1, dtype=np.int64)
    core_of[final_core] = np.arange(final_core.size, dtype=np.int64)
    return Contraction(
        n_nodes=n,
        core=final_core,
        core_of=core_of,
        forward=forward,
        interior=outside[order],
        exit_end=exit_end,
        exit_minutes=np.hstack([exit_minutes, pruned_minutes])[:, order],
    )


def _hilbert_keys(graph: RoadGraph, order: int = 16) -> IntArray:
    """Position of every node along a Hilbert curve over the graph's extent (cached).

    The classic iterative mapping of a ``2**order`` grid cell to its distance along the
    curve, vectorised over nodes (Hilbert 1891; Skilling 2004 for the bit form).
    """
    cached = graph._cache.get("hilbert")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    side = 1 << order
    keys: IntArray = _hilbert(_grid(graph.x, side), _grid(graph.y, side), side)
    graph._cache["hilbert"] = keys
    return keys


@numba.njit(cache=True, nogil=True)
def _hilbert(x, y, side):  # type: ignore[no-untyped-def]
    keys = np.zeros(x.size, dtype=np.int64)
    for i in range(x.size):
        a = x[i]
        b = y[i]
        step = side >> 1
        key = 0
        while step > 0:
            rx = 1 if a & step else 0
            ry = 1 if b & step else 0
            key += step * step * ((3 * rx) ^ ry)
            if ry == 0:
                if rx == 1:
                    a = side - 1 - a
                    b = side - 1 - b
                a, b = b, a
            step >>= 1
        keys[i] = key
    return keys


def _grid(values: FloatArray, side: int) -> IntArray:
    """Coordinates scaled to the integer cells ``0 .. side - 1`` (NaN to 0)."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    unit = np.nan_to_num((values - low) / max(high - low, 1e-9))
    return (unit * (side - 1)).astype(np.int64)


def _dead_end_anchors(
    src: IntArray,
    dst: IntArray,
    minutes: FloatArray,
    n: int,
    terminal: npt.NDArray[np.bool_],
) -> tuple[IntArray, FloatArray]:
    """Peel the trees of non-terminal nodes hanging from the graph by a single node.

    Returns, for every node, the node kept in the search graph that it leads to
    (itself when kept) and the time to get there (``inf`` when it cannot leave).
    """
    low, high = np.minimum(src, dst), np.maximum(src, dst)
    pairs = np.sort(low * n + high)
    pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])] if pairs.size else pairs
    a, b = pairs // n, pairs % n
    degree = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
    neighbour_sum = np.bincount(a, weights=b, minlength=n) + np.bincount(b, weights=a, minlength=n)
    neighbour_sum = neighbour_sum.astype(np.int64)
    parent = np.arange(n, dtype=np.int64)
    removed = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero((degree == 1) & ~terminal)
    while candidates.size:
        neighbour = neighbour_sum[candidates]
        # two leaves hanging from each other (a lone pair): keep the smaller one
        mutual = (degree[neighbour] == 1) & ~terminal[neighbour] & (neighbour < candidates)
        candidates, neighbour = candidates[~mutual], neighbour[~mutual]
        removed[candidates] = True
        parent[candidates] = neighbour
        np.subtract.at(degree, neighbour, 1)
        np.subtract.at(neighbour_sum, neighbour, candidates)
        degree[candidates] = 0
        fresh = np.unique(neighbour)
        candidates = fresh[(degree[fresh] == 1) & ~terminal[fresh] & ~removed[fresh]]
    offset = np.zeros(n)
    leaves = np.flatnonzero(removed)
    if leaves.size:
        keys = src * n + dst
        wanted = leaves * n + parent[leaves]
        position = np.searchsorted(keys, wanted)
        position = np.minimum(position, keys.size - 1)
        found = keys[position] == wanted
        offset[leaves] = np.where(found, minutes[position], np.inf)
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            break
        offset = np.where(parent != grand, offset + offset[parent], offset)
        parent = grand
    return parent, offset


def _chains(
    indptr: IntArray,
    heads: IntArray,
    weights: FloatArray,
    tails: IntArray,
    interior: npt.NDArray[np.bool_],
    successor: IntArray,
) -> tuple[IntArray, FloatArray] | IntArray:
    """For every edge, the core node ending its chain and the time to it.

    Returns the nodes to make core instead when some chains are pure cycles.
    """
    m = heads.size
    successor = np.where(interior[heads], successor, -1)
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
    steps = np.arange(1, k + 1)
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + steps])
    indices = np.concatenate([graph.indices, targets.astype(graph.indices.dtype)])
    data = np.concatenate([graph.data, minutes])
    return scipy.sparse.csr_matrix((data, indices, indptr), shape=(n + k, n + k))


@dataclass
class Expansion:
    """Where to read the times of some nodes from the core times (prepared once).

    Node ``i`` leaves by one of two exits: core node ``exit_end[j, i]`` reached in
    ``exit_minutes[j, i]`` (a core node is its own first exit, in 0 minutes; a missing
    exit is the sentinel ``n_core``, in ``inf``).
    """

    size: int
    exit_end: IntArray
    exit_minutes: FloatArray


def plan_expansion(contraction: Contraction, nodes: IntArray) -> Expansion:
    """The two exits of ``nodes`` (any nodes of the full graph) to read their times from
    the core's (:func:`maillage.network._buckets.search_and_expand`)."""
    n_core = contraction.n_core
    position = contraction.core_of[nodes]
    is_core = position >= 0
    exit_end = np.full((2, nodes.size), n_core, dtype=np.int64)
    exit_minutes = np.full((2, nodes.size), np.inf)
    exit_end[0, is_core] = position[is_core]
    exit_minutes[0, is_core] = 0.0
    inner = np.flatnonzero(~is_core)
    slot = np.searchsorted(contraction.interior, nodes[inner])
    ends = contraction.exit_end[:, slot]
    exit_end[:, inner] = np.where(ends < 0, n_core, ends)
    exit_minutes[:, inner] = contraction.exit_minutes[:, slot]
    return Expansion(size=int(nodes.size), exit_end=exit_end, exit_minutes=exit_minutes)


_PROGRESS = "Temps d'accès par type de service"


@dataclass
class _Searches:
    """What every group's search needs: the reversed core graph and the seeds' starts."""

    indptr: IntArray
    indices: npt.NDArray[np.int32]
    minutes: FloatArray
    longest_minutes: float
    seed_core: IntArray
    seed_minutes: FloatArray
    plan: Expansion

    def solve(self, seeds: IntArray, out_minutes: FloatArray, out_seeds: IntArray) -> None:
        """Times and seeds of the planned origins for one group (GIL released)."""
        seeds = np.asarray(seeds, dtype=np.int64)
        _buckets.search_and_expand(
            self.indptr,
            self.indices,
            self.minutes,
            self.seed_core[seeds],
            self.seed_minutes[seeds],
            seeds,
            self.longest_minutes,
            self.plan.exit_end,
            self.plan.exit_minutes,
            out_minutes,
            out_seeds,
        )

    @property
    def n_nodes(self) -> int:
        """Nodes searched (the core's)."""
        return int(self.indptr.size - 1)

    def block_size(self) -> int:
        """One group a search."""
        return 1

    def solve_block(
        self, groups: Sequence[IntArray], out_minutes: FloatArray, out_seeds: IntArray
    ) -> None:
        """:meth:`solve` for a block of one group (rows of ``out_*``)."""
        self.solve(groups[0], out_minutes[0], out_seeds[0])


@dataclass
class _Sweeps:
    """The same searches on the graph's contraction hierarchy, several groups at a time.

    The hierarchy is the graph's, service-independent and cached
    (:mod:`maillage.network._prepared`); the graph is contracted again with the seeds
    and the hierarchy's nodes kept, and the seeds outside the hierarchy (inside a chain
    or a dead-end tree) are contracted below it (:func:`maillage.network._hierarchy.bottom`).
    """

    hierarchy: _hierarchy.Hierarchy
    below: _hierarchy.Bottom
    seed_rank: IntArray
    seed_minutes: FloatArray
    exit_rank: IntArray
    exit_minutes: FloatArray
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @classmethod
    def of(
        cls,
        graph: RoadGraph,
        seed_nodes: IntArray,
        seed_minutes: FloatArray,
        origins: IntArray,
        prepared: _prepared.GraphHierarchy,
    ) -> _Sweeps:
        """Rank the seeds and the origins' exits in the graph's hierarchy."""
        seed_nodes = np.asarray(seed_nodes, dtype=np.int64)
        contraction = contract(graph, np.union1d(seed_nodes, prepared.core_nodes()))
        reverse = contraction.forward.T.tocsr()
        n_ranked = prepared.hierarchy.n_nodes
        ids = prepared.rank_of[contraction.core].astype(np.int64)
        new = np.flatnonzero(ids < 0)
        below, bottom_rank = _hierarchy.bottom(reverse, ids, new, n_ranked)
        ids[new] = n_ranked + bottom_rank
        ids = np.append(ids, n_ranked + new.size)  # the missing exit
        plan = plan_expansion(contraction, origins)
        return cls(
            hierarchy=prepared.hierarchy,
            below=below,
            seed_rank=ids[contraction.core_of[seed_nodes]],
            seed_minutes=np.asarray(seed_minutes, dtype=np.float64),
            exit_rank=ids[plan.exit_end],
            exit_minutes=plan.exit_minutes,
        )

    @property
    def n_nodes(self) -> int:
        """Nodes swept (the hierarchy's and the bottom's)."""
        return self.hierarchy.n_nodes + self.below.n_nodes

    def block_size(self) -> int:
        """Groups per sweep: ``BLOCK_GROUPS``, fewer when their times would not fit
        ``BLOCK_BYTES`` (12 bytes a swept node and 16 an origin, per group)."""
        per_group = 12 * (self.n_nodes + 1) + 16 * self.exit_rank.shape[1]
        return int(max(1, min(BLOCK_GROUPS, BLOCK_BYTES // max(per_group, 1))))

    def solve_block(
        self, groups: Sequence[IntArray], out_minutes: FloatArray, out_seeds: IntArray
    ) -> None:
        """Times and seeds (rows ``groups`` × origins) for a block (GIL released)."""
        ids = [np.asarray(g, dtype=np.int64) for g in groups]
        start_ptr = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum([g.size for g in ids], out=start_ptr[1:])
        start_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        _hierarchy.nearest_block(
            self.hierarchy,
            self.below,
            start_ptr,
            self.seed_rank[start_ids],
            self.seed_minutes[start_ids],
            start_ids,
            self.exit_rank,
            self.exit_minutes,
            out_minutes,
            out_seeds,
            self._scratch(),
        )

    def _scratch(self) -> _hierarchy.Scratch:
        """This thread's block arrays."""
        scratch: _hierarchy.Scratch | None = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = _hierarchy.Scratch()
        return scratch


def reversed_core(contraction: Contraction) -> tuple[IntArray, npt.NDArray[np.int32], FloatArray]:
    """The contraction's core graph reversed, as sorted CSR arrays (``indptr``,
    ``indices``, ``minutes``): the graph the searches from the seeds run on."""
    reverse = contraction.forward.T.tocsr()
    reverse.sort_indices()
    return (
        reverse.indptr.astype(np.int64),
        reverse.indices.astype(np.int32),
        reverse.data.astype(np.float64),
    )


def _prepare(
    graph: RoadGraph,
    seed_nodes: IntArray,
    seed_minutes: FloatArray,
    origins: IntArray,
    contraction: Contraction | None,
) -> _Searches:
    """The reversed core graph (contracted here unless given), the seeds' core nodes and
    the origins' expansion plan."""
    if contraction is None:
        contraction = contract(graph, seed_nodes)
    indptr, indices, minutes = reversed_core(contraction)
    return _Searches(
        indptr=indptr,
        indices=indices,
        minutes=minutes,
        longest_minutes=float(np.max(minutes)) if minutes.size else 0.0,
        seed_core=contraction.core_of[np.asarray(seed_nodes, dtype=np.int64)],
        seed_minutes=np.asarray(seed_minutes, dtype=np.float64),
        plan=plan_expansion(contraction, origins),
    )


def _engines(
    graph: RoadGraph,
    seed_nodes: IntArray,
    seed_minutes: FloatArray,
    origins: IntArray,
    n_groups: int,
    method: Method,
    contraction: Contraction | None,
) -> _Searches | _Sweeps:
    """Bucket searches, or the hierarchy's sweeps when ``method`` asks for them or, for
    ``"auto"``, from ``HIERARCHY_MIN_GROUPS`` groups, or ``CACHED_HIERARCHY_MIN_GROUPS``
    when the graph's hierarchy is already built (in memory or in the cache)."""
    if method != "buckets":
        found = _prepared.cached(graph)
        least = HIERARCHY_MIN_GROUPS if found is None else CACHED_HIERARCHY_MIN_GROUPS
        if method == "hierarchy" or n_groups >= least:
            found = found if found is not None else _prepared.prepared(graph)
            return _Sweeps.of(graph, seed_nodes, seed_minutes, origins, found)
    return _prepare(graph, seed_nodes, seed_minutes, origins, contraction)


def _blocks(n_groups: int, size: int) -> list[range]:
    """The groups in consecutive blocks of ``size``."""
    return [range(k, min(k + size, n_groups)) for k in range(0, n_groups, size)]


def _one_per_group(solved: Iterator[int]) -> Iterator[None]:
    """One item per group of each solved block (for the progress bar)."""
    for count in solved:
        yield from [None] * count


def nearest_by_group(
    graph: RoadGraph,
    seed_nodes: IntArray,
    seed_minutes: FloatArray,
    groups: Sequence[IntArray],
    origins: IntArray,
    *,
    n_jobs: int | None = None,
    contraction: Contraction | None = None,
    method: Method = "auto",
) -> tuple[FloatArray, IntArray]:
    """Time from each origin node to the nearest seed of each group, and which seed.

    One multi-source search per group on the contracted graph
    (:func:`maillage.network._buckets.search`) or, with many groups, sweeps of a
    contraction hierarchy for blocks of groups (:mod:`maillage.network._hierarchy`);
    the groups (or blocks) are shared between threads, which share the graph.

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
        Threads; ``None`` uses every core when the work is large.
    contraction
        The graph contracted with the seeds kept, when already done (bucket searches).
    method
        ``"buckets"``, ``"hierarchy"``, or ``"auto"``: the hierarchy from
        ``HIERARCHY_MIN_GROUPS`` groups (``CACHED_HIERARCHY_MIN_GROUPS`` when the
        graph's hierarchy is cached, :mod:`maillage.network._prepared`; else it is
        built, and cached beside the graph's file). Both give the same times (to float
        rounding) and the same seeds, up to ties.

    Returns
    -------
    minutes, seed
        Arrays ``(groups, origins)``: time (``inf`` when unreachable) and seed position
        (-1 when unreachable).
    """
    engine = _engines(graph, seed_nodes, seed_minutes, origins, len(groups), method, contraction)
    minutes = np.empty((len(groups), origins.size))
    labels = np.empty((len(groups), origins.size), dtype=np.int64)
    jobs = _jobs(n_jobs, engine.n_nodes * len(groups))
    size = engine.block_size()

    def solve(block: range) -> int:
        rows = slice(block.start, block.stop)
        engine.solve_block([groups[k] for k in block], minutes[rows], labels[rows])
        return len(block)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        solved = _one_per_group(pool.map(solve, _blocks(len(groups), size)))
        list(progress(solved, description=_PROGRESS, total=len(groups), unit="type"))
    return minutes, labels


def iter_nearest_by_group(
    graph: RoadGraph,
    seed_nodes: IntArray,
    seed_minutes: FloatArray,
    groups: Sequence[IntArray],
    origins: IntArray,
    *,
    contraction: Contraction | None = None,
    method: Method = "auto",
) -> Iterator[tuple[int, FloatArray, IntArray]]:
    """:func:`nearest_by_group` one group at a time, in this thread (streaming).

    Yields ``(k, minutes, seed)`` for every group ``k``, each array over ``origins``;
    only one group's arrays live at a time (one block's, at most ``BLOCK_BYTES``, with
    the hierarchy), so a caller that reduces them as they come (sums, counts beyond
    thresholds) keeps its memory to one graph and one block of rows. The arrays are
    overwritten by the next block's: copy those to keep.
    """
    engine = _engines(graph, seed_nodes, seed_minutes, origins, len(groups), method, contraction)
    size = engine.block_size()
    steps = _blocks(len(groups), size)
    unit = "type" if size == 1 else f"bloc de {size} types"
    blocks = progress(steps, description=_PROGRESS, total=len(steps), unit=unit)
    # one block's rows, reused: writing into fresh pages cost as much as reading the
    # origins' times (``benchmarks/partition.py``)
    block_minutes = np.empty((size, origins.size))
    block_labels = np.empty((size, origins.size), dtype=np.int64)
    for block in blocks:
        minutes, labels = block_minutes[: len(block)], block_labels[: len(block)]
        engine.solve_block([groups[k] for k in block], minutes, labels)
        for row, k in enumerate(block):
            yield k, minutes[row], labels[row]


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
    n_jobs: int | None = None,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Every (from, to) pair within ``cutoff_minutes``, legs included.

    With ``reverse=True`` the search runs on the reversed graph (times *to* the
    ``from`` points). One search bounded by the cutoff runs from each ``from`` point on
    the contracted graph (:func:`maillage.network._buckets.bounded_pairs`), the points
    shared between ``n_jobs`` threads (``None``: every core when the work is large).
    Returns positions in ``from_nodes``, in ``to_nodes``, and minutes, by position in
    ``from_nodes``.
    """
    terminals = np.unique(np.concatenate([from_nodes, to_nodes]))
    contraction = contract(graph, terminals)
    core_graph = contraction.forward.T.tocsr() if reverse else contraction.forward
    indptr = core_graph.indptr.astype(np.int64)
    indices = core_graph.indices.astype(np.int32)
    weights = np.asarray(core_graph.data, dtype=np.float64)
    n_core = contraction.n_core
    to_core = contraction.core_of[to_nodes]
    target_order = np.argsort(to_core, kind="stable").astype(np.int64)
    target_ptr = np.zeros(n_core + 1, dtype=np.int64)
    np.cumsum(np.bincount(to_core, minlength=n_core), out=target_ptr[1:])
    from_core = contraction.core_of[from_nodes].astype(np.int64)
    from_times = np.asarray(from_minutes, dtype=np.float64)
    to_times = np.asarray(to_minutes, dtype=np.float64)
    longest = float(weights.max()) if weights.size else 0.0
    jobs = _jobs(n_jobs, n_core * from_nodes.size // 100)
    chunks = [c for c in np.array_split(np.arange(from_nodes.size), jobs * 8) if c.size]

    def solve(chunk: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
        rows, cols, values = _buckets.bounded_pairs(
            indptr,
            indices,
            weights,
            from_core[chunk],
            from_times[chunk],
            target_ptr,
            target_order,
            to_times,
            float(cutoff_minutes),
            _buckets.BUCKET_MINUTES,
            longest,
        )
        return chunk[rows], cols, values

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        parts = list(pool.map(solve, chunks))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0)
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )
