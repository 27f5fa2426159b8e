"""Multi-source searches over a contracted road graph (private).

The graph's degree-2 chains are contracted first (:mod:`maillage.network._contraction`):
searches run on the core graph only, and the time of an interior node is recovered
exactly afterwards from the ends of its chains. Terminals (service nodes) are always
core, so no service hides inside a chain. The searches are bucket searches
(:mod:`maillage.network._buckets`), or, from enough groups, sweeps of the contraction
hierarchy cached with the graph (:mod:`maillage.network._prepared`,
:mod:`maillage.network._hierarchy`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse

from maillage._progress import progress
from maillage.network import _buckets, _hierarchy, _prepared

# The contraction, re-exported here where the searches that use it always were.
from maillage.network._contraction import Contraction as Contraction
from maillage.network._contraction import _csr, _structure  # noqa: F401
from maillage.network._contraction import contract as contract
from maillage.network._contraction import reversed_core as reversed_core
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
