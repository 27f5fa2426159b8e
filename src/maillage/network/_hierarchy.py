"""Many multi-source searches at once: a contraction hierarchy swept linearly (private).

A contraction hierarchy (Geisberger, Sanders, Schultes, Delling 2008, "Contraction
hierarchies: faster and simpler hierarchical routing in road networks") removes the
nodes one by one, least important first, and adds a *shortcut* ``u → w`` of time
``t(u, v) + t(v, w)`` whenever contracting ``v`` would lengthen the shortest path from
``u`` to ``w`` (a bounded *witness search* from ``u`` that avoids ``v`` looks for a path
as short; when it gives up, the shortcut is added anyway, which is only redundant).
Every shortest path of the graph then has an equally short path that only climbs in
rank, then only descends. PHAST (Delling, Goldberg, Nowatzyk, Werneck 2011, "PHAST:
hardware-accelerated shortest path trees") reads every node's time from a set of sources
with no priority queue: one pass in increasing rank along the upward edges, then one in
decreasing rank along the downward edges, each node final when its turn comes.

Here both passes are plain loops over the nodes in rank order, for a block of several
groups (service types) at once: a node's times for the block sit side by side in memory,
so one read of an edge serves every group of the block. The times are the same as a
Dijkstra's up to the order of the additions (shortcuts add their parts first): a few
ulps, far under the 1e-9 minutes the tests allow.

The hierarchy is built once per graph (:func:`build`, node order by edge difference and
contracted neighbours, updated lazily; witness searches bounded by settled nodes; then
renumbered by level, as PHAST does), on the graph's core with no service kept, and
cached beside the graph's file (:mod:`maillage.network._prepared`): the preprocessing,
as OSRM's ``osrm-contract``. A run contracts the services that lie outside it below its
ranks (:func:`bottom`) and sweeps. ``benchmarks/partition.py``: its build costs about 60
bucket searches, but a run only reads it back; a group's sweep then costs about a
quarter of a bucket search. :mod:`maillage.network._engine` keeps the bucket search of
:mod:`maillage.network._buckets` for fewer groups, and as the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt
import scipy.sparse

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]

#: Nodes a witness search may settle before it gives up (the shortcut is then kept).
WITNESS_SETTLED = 30
#: The same bound while only estimating a node's priority (cheaper, coarser).
ESTIMATE_SETTLED = 10


@numba.njit(cache=True, nogil=True)
def _grown(array, size):  # type: ignore[no-untyped-def]
    bigger = np.empty(size, dtype=array.dtype)
    bigger[: array.size] = array
    return bigger


@numba.njit(cache=True, nogil=True, inline="always")
def _sift_up(heap, pos, key, i):  # type: ignore[no-untyped-def]
    node = heap[i]
    k = key[node]
    while i > 0:
        parent = (i - 1) >> 1
        above = heap[parent]
        if key[above] <= k:
            break
        heap[i] = above
        pos[above] = i
        i = parent
    heap[i] = node
    pos[node] = i


@numba.njit(cache=True, nogil=True, inline="always")
def _sift_down(heap, pos, key, i, size):  # type: ignore[no-untyped-def]
    node = heap[i]
    k = key[node]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and key[heap[child + 1]] < key[heap[child]]:
            child += 1
        below = heap[child]
        if key[below] >= k:
            break
        heap[i] = below
        pos[below] = i
        i = child
    heap[i] = node
    pos[node] = i


@numba.njit(cache=True, nogil=True, inline="always")
def _pop(heap, pos, key, size):  # type: ignore[no-untyped-def]
    top = heap[0]
    pos[top] = -1
    size -= 1
    if size > 0:
        heap[0] = heap[size]
        pos[heap[0]] = 0
        _sift_down(heap, pos, key, 0, size)
    return top, size


@numba.njit(cache=True, nogil=True, inline="always")
def _lower(heap, pos, key, node, size):  # type: ignore[no-untyped-def]
    """Insert ``node`` or move it up after its key decreased; returns the new size."""
    if pos[node] < 0:
        heap[size] = node
        pos[node] = size
        _sift_up(heap, pos, key, size)
        return size + 1
    _sift_up(heap, pos, key, pos[node])
    return size


@numba.njit(cache=True, nogil=True, inline="always")
def _drop(start, length, adj, wt, v, x):  # type: ignore[no-untyped-def]
    """Remove ``x`` from ``v``'s list (the last entry takes its place)."""
    s = start[v]
    last = s + length[v] - 1
    for e in range(s, last + 1):
        if adj[e] == x:
            adj[e] = adj[last]
            wt[e] = wt[last]
            length[v] -= 1
            return


@numba.njit(cache=True, nogil=True, inline="always")
def _witness(  # type: ignore[no-untyped-def]
    source, skip, bound, limit, targets, out_start, out_len, out_adj, out_wt,
    dist, heap, pos, touched, mark, stamp,
):  # fmt: skip
    """Dijkstra from ``source`` avoiding ``skip``, up to ``bound`` minutes, ``limit``
    settled nodes or every node marked ``stamp`` settled; returns the nodes touched
    (their ``dist`` set, to be reset by the caller)."""
    dist[source] = 0.0
    touched[0] = source
    n_touched = 1
    size = _lower(heap, pos, dist, source, 0)
    settled = 0
    while size > 0:
        u, size = _pop(heap, pos, dist, size)
        du = dist[u]
        if du > bound:
            break
        if mark[u] == stamp:
            targets -= 1
            if targets == 0:
                break
        settled += 1
        if settled > limit:
            break
        for e in range(out_start[u], out_start[u] + out_len[u]):
            w = out_adj[e]
            if w == skip:
                continue
            dw = du + out_wt[e]
            if dw < dist[w]:
                if dist[w] == np.inf:
                    touched[n_touched] = w
                    n_touched += 1
                dist[w] = dw
                size = _lower(heap, pos, dist, w, size)
    for i in range(size):
        pos[heap[i]] = -1
    return n_touched


@numba.njit(cache=True, nogil=True, inline="always")
def _shortcuts(  # type: ignore[no-untyped-def]
    v, limit, out_start, out_len, out_adj, out_wt, in_start, in_len, in_adj, in_wt,
    dist, heap, pos, touched, mark, stamp, found_from, found_to, found_minutes,
):  # fmt: skip
    """The shortcuts that contracting ``v`` needs, written to ``found_*``; returns
    ``(count, stamp)``."""
    count = 0
    out_s = out_start[v]
    out_n = out_len[v]
    for i in range(in_start[v], in_start[v] + in_len[v]):
        u = in_adj[i]
        a = in_wt[i]
        stamp += 1
        longest = -1.0
        targets = 0
        for j in range(out_s, out_s + out_n):
            w = out_adj[j]
            if w != u:
                longest = max(longest, out_wt[j])
                if mark[w] != stamp:
                    mark[w] = stamp
                    targets += 1
        if targets == 0:
            continue
        n_touched = _witness(
            u, v, a + longest, limit, targets, out_start, out_len, out_adj, out_wt,
            dist, heap, pos, touched, mark, stamp,
        )  # fmt: skip
        for j in range(out_s, out_s + out_n):
            w = out_adj[j]
            via = a + out_wt[j]
            if w != u and dist[w] > via:
                if count == found_from.size:
                    count = -1
                    break
                found_from[count] = u
                found_to[count] = w
                found_minutes[count] = via
                count += 1
        for k in range(n_touched):
            dist[touched[k]] = np.inf
        if count < 0:
            break
    return count, stamp


@numba.njit(cache=True, nogil=True, inline="always")
def _add(start, length, capacity, adj, wt, used, v, w, minutes):  # type: ignore[no-untyped-def]
    """Add the edge ``v - w`` to ``v``'s list (or lower its time); returns the pool's
    new end, or -1 when the pool has no room for the list to move (grow it and retry).
    Arrays are never returned (returning them costs atomic reference counts)."""
    s = start[v]
    for e in range(s, s + length[v]):
        if adj[e] == w:
            if minutes < wt[e]:
                wt[e] = minutes
            return used
    if length[v] == capacity[v]:
        size = max(4, 2 * capacity[v])
        if used + size > adj.size:
            return -1
        adj[used : used + length[v]] = adj[s : s + length[v]]
        wt[used : used + length[v]] = wt[s : s + length[v]]
        start[v] = used
        capacity[v] = size
        used += size
        s = used - size
    adj[s + length[v]] = w
    wt[s + length[v]] = minutes
    length[v] += 1
    return used


@numba.njit(cache=True, nogil=True, inline="always")
def _insert(start, length, capacity, adj, wt, used, v, w, minutes):  # type: ignore[no-untyped-def]
    """:func:`_add`, growing the pool until the list fits; returns ``(used, adj, wt)``."""
    grown = _add(start, length, capacity, adj, wt, used, v, w, minutes)
    while grown < 0:
        adj = _grown(adj, 2 * adj.size + 64)
        wt = _grown(wt, adj.size)
        grown = _add(start, length, capacity, adj, wt, used, v, w, minutes)
    return grown, adj, wt


@numba.njit(cache=True, nogil=True, inline="always")
def _file(start, length, adj, wt, v, ends, minutes, count):  # type: ignore[no-untyped-def]
    """Append ``v``'s list to ``ends``/``minutes`` (grown if need be) from ``count``;
    returns ``(count, ends, minutes)``."""
    if count + length[v] > ends.size:
        ends = _grown(ends, 2 * (count + length[v]))
        minutes = _grown(minutes, ends.size)
    for e in range(start[v], start[v] + length[v]):
        ends[count] = adj[e]
        minutes[count] = wt[e]
        count += 1
    return count, ends, minutes


@numba.njit(cache=True, nogil=True, inline="always")
def _rank(  # type: ignore[no-untyped-def]
    v, r, out_start, out_len, out_adj, out_wt, in_start, in_len, in_adj, in_wt,
    up_ptr, up_to, up_minutes, n_up, down_ptr, down_from, down_minutes, n_down,
):  # fmt: skip
    """File ``v``'s lists as the edges of rank ``r - 1``: its out-list upward, its
    in-list downward; returns the grown edge arrays and their counts."""
    n_up, up_to, up_minutes = _file(out_start, out_len, out_adj, out_wt, v, up_to, up_minutes, n_up)
    n_down, down_from, down_minutes = _file(
        in_start, in_len, in_adj, in_wt, v, down_from, down_minutes, n_down
    )
    up_ptr[r] = n_up
    down_ptr[r] = n_down
    return n_up, up_to, up_minutes, n_down, down_from, down_minutes


@numba.njit(cache=True, nogil=True, inline="always")
def _priority(  # type: ignore[no-untyped-def]
    v, limit, out_start, out_len, out_adj, out_wt, in_start, in_len, in_adj, in_wt,
    dist, heap, pos, touched, mark, stamp, found_from, found_to, found_minutes,
    deleted,
):  # fmt: skip
    """Priority of ``v``: twice the shortcuts it needs (written to ``found_*``), less
    its edges, plus its contracted neighbours; returns ``(priority, shortcuts, stamp)``
    (``inf, -1`` when ``found_*`` are too small)."""
    n_out = out_len[v]
    n_in = in_len[v]
    count, stamp = _shortcuts(
        v, limit, out_start, out_len, out_adj, out_wt, in_start, in_len, in_adj,
        in_wt, dist, heap, pos, touched, mark, stamp, found_from, found_to,
        found_minutes,
    )  # fmt: skip
    if count < 0:
        return np.inf, count, stamp
    return float(2 * count - n_in - n_out + deleted[v]), count, stamp


@numba.njit(cache=True, nogil=True, inline="always")
def _bump(v, deleted, priority, queue, queue_pos, size):  # type: ignore[no-untyped-def]
    deleted[v] += 1
    priority[v] += 1.0
    _sift_down(queue, queue_pos, priority, queue_pos[v], size)


@numba.njit(cache=True, nogil=True, inline="always")
def _lists(n):  # type: ignore[no-untyped-def]
    """Start, length and capacity of ``n`` out-lists and ``n`` in-lists (zeros)."""
    return (
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
    )


@numba.njit(cache=True, nogil=True)
def _build(indptr, indices, minutes):  # type: ignore[no-untyped-def]
    n = indptr.size - 1
    m = indices.size
    # the graph and its reverse as per-node lists in two growable pools
    out_start, out_len, out_cap, in_start, in_len, in_cap = _lists(n)
    in_degree = np.zeros(n, dtype=np.int64)
    for e in range(m):
        in_degree[indices[e]] += 1
    pool = 2 * m + 4 * n
    out_adj = np.empty(pool, dtype=np.int64)
    out_wt = np.empty(pool, dtype=np.float64)
    in_adj = np.empty(pool, dtype=np.int64)
    in_wt = np.empty(pool, dtype=np.float64)
    out_used = 0
    in_used = 0
    for v in range(n):
        degree = indptr[v + 1] - indptr[v]
        out_start[v] = out_used
        out_len[v] = degree
        out_cap[v] = degree + 2
        out_adj[out_used : out_used + degree] = indices[indptr[v] : indptr[v + 1]]
        out_wt[out_used : out_used + degree] = minutes[indptr[v] : indptr[v + 1]]
        out_used += degree + 2
        in_start[v] = in_used
        in_cap[v] = in_degree[v] + 2
        in_used += in_degree[v] + 2
    for v in range(n):
        for e in range(indptr[v], indptr[v + 1]):
            w = indices[e]
            in_adj[in_start[w] + in_len[w]] = v
            in_wt[in_start[w] + in_len[w]] = minutes[e]
            in_len[w] += 1
    dist = np.full(n, np.inf)
    heap = np.empty(n, dtype=np.int64)
    pos = np.full(n, -1, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    mark = np.zeros(n, dtype=np.int64)
    stamp = 0
    found_from = np.empty(4096, dtype=np.int64)
    found_to = np.empty(4096, dtype=np.int64)
    found_minutes = np.empty(4096, dtype=np.float64)
    deleted = np.zeros(n, dtype=np.int64)
    priority = np.empty(n)
    queue = np.empty(n, dtype=np.int64)
    queue_pos = np.full(n, -1, dtype=np.int64)
    size = 0
    for v in range(n):
        estimate, _, stamp = _priority(
            v, ESTIMATE_SETTLED, out_start, out_len, out_adj, out_wt, in_start, in_len,
            in_adj, in_wt, dist, heap, pos, touched, mark, stamp, found_from, found_to,
            found_minutes, deleted,
        )  # fmt: skip
        priority[v] = estimate
        size = _lower(queue, queue_pos, priority, v, size)
    rank = np.empty(n, dtype=np.int64)
    # the edges of the hierarchy, filed under the node contracted first (its lower end)
    up_ptr = np.zeros(n + 1, dtype=np.int64)
    down_ptr = np.zeros(n + 1, dtype=np.int64)
    up_to = np.empty(m + n, dtype=np.int64)
    up_minutes = np.empty(m + n)
    down_from = np.empty(m + n, dtype=np.int64)
    down_minutes = np.empty(m + n)
    n_up = 0
    n_down = 0
    r = 0
    while size > 0:
        v = queue[0]
        # lazy update: the cheapest node is estimated again, with the shortcuts it
        # needs, and contracted if it stays the cheapest
        fresh, count, stamp = _priority(
            v, WITNESS_SETTLED, out_start, out_len, out_adj, out_wt, in_start, in_len,
            in_adj, in_wt, dist, heap, pos, touched, mark, stamp, found_from,
            found_to, found_minutes, deleted,
        )  # fmt: skip
        if fresh == np.inf:  # more shortcuts than room to write them
            found_from = np.empty(2 * found_from.size, dtype=np.int64)
            found_to = np.empty(found_from.size, dtype=np.int64)
            found_minutes = np.empty(found_from.size)
            continue
        if fresh > priority[v]:
            priority[v] = fresh
            _sift_down(queue, queue_pos, priority, 0, size)
            if queue[0] != v:
                continue
        v, size = _pop(queue, queue_pos, priority, size)
        for i in range(count):
            u = found_from[i]
            w = found_to[i]
            t = found_minutes[i]
            out_used, out_adj, out_wt = _insert(
                out_start, out_len, out_cap, out_adj, out_wt, out_used, u, w, t
            )
            in_used, in_adj, in_wt = _insert(
                in_start, in_len, in_cap, in_adj, in_wt, in_used, w, u, t
            )
        rank[v] = r
        r += 1
        n_up, up_to, up_minutes, n_down, down_from, down_minutes = _rank(
            v, r, out_start, out_len, out_adj, out_wt, in_start, in_len, in_adj, in_wt,
            up_ptr, up_to, up_minutes, n_up, down_ptr, down_from, down_minutes, n_down,
        )  # fmt: skip
        # v leaves its neighbours' lists, which stay free of contracted nodes
        for e in range(out_start[v], out_start[v] + out_len[v]):
            _drop(in_start, in_len, in_adj, in_wt, out_adj[e], v)
        for e in range(in_start[v], in_start[v] + in_len[v]):
            _drop(out_start, out_len, out_adj, out_wt, in_adj[e], v)
        # a neighbour lost one more: its priority goes up by one (the rest of its
        # change is caught lazily when it reaches the top)
        for e in range(out_start[v], out_start[v] + out_len[v]):
            _bump(out_adj[e], deleted, priority, queue, queue_pos, size)
        for e in range(in_start[v], in_start[v] + in_len[v]):
            _bump(in_adj[e], deleted, priority, queue, queue_pos, size)
    up_to_rank = np.empty(n_up, dtype=np.int32)
    for e in range(n_up):
        up_to_rank[e] = rank[up_to[e]]
    down_from_rank = np.empty(n_down, dtype=np.int32)
    for e in range(n_down):
        down_from_rank[e] = rank[down_from[e]]
    return (
        rank,
        up_ptr,
        up_to_rank,
        up_minutes[:n_up].copy(),
        down_ptr,
        down_from_rank,
        down_minutes[:n_down].copy(),
    )


@dataclass
class Hierarchy:
    """A contraction hierarchy of a graph, its nodes numbered by rank.

    ``rank[v]`` is node ``v``'s rank (0 contracted first). The upward edges of the node
    of rank ``r`` lead to ranks ``up_to[up_ptr[r]:up_ptr[r + 1]]`` (higher) in
    ``up_minutes``; its downward edges come from ranks
    ``down_from[down_ptr[r]:down_ptr[r + 1]]`` (higher) in ``down_minutes``.
    """

    rank: IntArray
    up_ptr: IntArray
    up_to: Int32Array
    up_minutes: FloatArray
    down_ptr: IntArray
    down_from: Int32Array
    down_minutes: FloatArray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.rank.size)

    @property
    def n_edges(self) -> int:
        """Edges of the hierarchy (the graph's and the shortcuts)."""
        return int(self.up_to.size + self.down_from.size)


def build(indptr: IntArray, indices: Int32Array, minutes: FloatArray) -> Hierarchy:
    """Contraction hierarchy of the graph of edges ``v → indices[indptr[v]:indptr[v+1]]``.

    The graph must have no self-loop and no parallel edge (a contracted core graph has
    neither); times must be non-negative.

    Examples
    --------
    >>> indptr = np.array([0, 1, 2, 3])
    >>> heads = np.array([1, 2, 0], dtype=np.int32)
    >>> hierarchy = build(indptr, heads, np.array([1.0, 2.0, 4.0]))
    >>> sorted(hierarchy.rank.tolist()), hierarchy.n_edges >= 3
    ([0, 1, 2], True)
    """
    rank, up_ptr, up_to, up_minutes, down_ptr, down_from, down_minutes = _build(
        np.asarray(indptr, dtype=np.int64),
        np.asarray(indices, dtype=np.int64),
        np.asarray(minutes, dtype=np.float64),
    )
    contracted = Hierarchy(
        rank=rank,
        up_ptr=up_ptr,
        up_to=up_to,
        up_minutes=up_minutes,
        down_ptr=down_ptr,
        down_from=down_from,
        down_minutes=down_minutes,
    )
    return _by_level(contracted)


@numba.njit(cache=True, nogil=True)
def _levels(up_ptr, up_to, down_ptr, down_from):  # type: ignore[no-untyped-def]
    n = up_ptr.size - 1
    level = np.zeros(n, dtype=np.int64)
    for r in range(n):
        above = level[r] + 1
        for e in range(up_ptr[r], up_ptr[r + 1]):
            level[up_to[e]] = max(level[up_to[e]], above)
        for e in range(down_ptr[r], down_ptr[r + 1]):
            level[down_from[e]] = max(level[down_from[e]], above)
    return level


def _renumbered(
    ptr: IntArray, ends: Int32Array, minutes: FloatArray, position: IntArray
) -> tuple[IntArray, Int32Array, FloatArray]:
    """Edges filed under rank ``r`` filed again under ``position[r]``, ends renamed."""
    owner = position[np.repeat(np.arange(ptr.size - 1), np.diff(ptr))]
    order = np.argsort(owner, kind="stable")
    new_ptr = np.zeros(ptr.size, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=ptr.size - 1), out=new_ptr[1:])
    return new_ptr, position[ends[order]].astype(np.int32), minutes[order]


def _by_level(hierarchy: Hierarchy) -> Hierarchy:
    """The same hierarchy swept in another valid order: by level (1 + the highest level
    of a lower neighbour), then by node number (the core is numbered along a Hilbert
    curve, so that the many nodes of a level lie close on the ground and in memory), as
    PHAST reorders its nodes. Every edge still joins a lower position to a higher one."""
    level = _levels(hierarchy.up_ptr, hierarchy.up_to, hierarchy.down_ptr, hierarchy.down_from)
    node_level = level[hierarchy.rank]
    order = np.lexsort((np.arange(node_level.size), node_level))  # nodes in sweep order
    position = np.empty(order.size, dtype=np.int64)  # old rank -> new rank
    position[hierarchy.rank[order]] = np.arange(order.size, dtype=np.int64)
    up_ptr, up_to, up_minutes = _renumbered(
        hierarchy.up_ptr, hierarchy.up_to, hierarchy.up_minutes, position
    )
    down_ptr, down_from, down_minutes = _renumbered(
        hierarchy.down_ptr, hierarchy.down_from, hierarchy.down_minutes, position
    )
    return Hierarchy(
        rank=position[hierarchy.rank],
        up_ptr=up_ptr,
        up_to=up_to,
        up_minutes=up_minutes,
        down_ptr=down_ptr,
        down_from=down_from,
        down_minutes=down_minutes,
    )


@numba.njit(cache=True, nogil=True, inline="always")
def _copy_row(  # type: ignore[no-untyped-def]
    indptr, indices, minutes, ids, v, i, start, length, capacity, adj, wt, used,
):  # fmt: skip
    """Row ``v`` of a CSR graph as list ``i`` of a pool from ``used`` (neighbours
    renamed by ``ids``, room for two more); returns the pool's new end."""
    start[i] = used
    length[i] = indptr[v + 1] - indptr[v]
    capacity[i] = length[i] + 2
    for e in range(indptr[v], indptr[v + 1]):
        adj[used] = ids[indices[e]]
        wt[used] = minutes[e]
        used += 1
    return used + 2


@numba.njit(cache=True, nogil=True)
def _bottom(  # type: ignore[no-untyped-def]
    r_indptr, r_indices, r_minutes, f_indptr, f_indices, f_minutes, ids, new, n0,
):  # fmt: skip
    n_new = new.size
    # the lists of the new nodes only: neighbours as ids (a rank below n0, n0 + i for
    # the new node i), the edges between two ranked nodes being the hierarchy's business
    out_start, out_len, out_cap, in_start, in_len, in_cap = _lists(n_new)
    pool = 4 * n_new + 64
    for i in range(n_new):
        v = new[i]
        pool += r_indptr[v + 1] - r_indptr[v] + f_indptr[v + 1] - f_indptr[v]
    out_adj = np.empty(pool, dtype=np.int64)
    out_wt = np.empty(pool)
    in_adj = np.empty(pool, dtype=np.int64)
    in_wt = np.empty(pool)
    out_used = 0
    in_used = 0
    for i in range(n_new):
        out_used = _copy_row(
            r_indptr, r_indices, r_minutes, ids, new[i], i, out_start, out_len, out_cap,
            out_adj, out_wt, out_used,
        )  # fmt: skip
        in_used = _copy_row(
            f_indptr, f_indices, f_minutes, ids, new[i], i, in_start, in_len, in_cap,
            in_adj, in_wt, in_used,
        )  # fmt: skip
    degree = np.empty(n_new)
    queue = np.empty(n_new, dtype=np.int64)
    queue_pos = np.full(n_new, -1, dtype=np.int64)
    size = 0
    for i in range(n_new):
        degree[i] = out_len[i] + in_len[i]
        size = _lower(queue, queue_pos, degree, i, size)
    rank = np.empty(n_new, dtype=np.int64)
    up_ptr = np.zeros(n_new + 1, dtype=np.int64)
    down_ptr = np.zeros(n_new + 1, dtype=np.int64)
    up_to = np.empty(out_used + 16, dtype=np.int64)
    up_minutes = np.empty(up_to.size)
    down_from = np.empty(in_used + 16, dtype=np.int64)
    down_minutes = np.empty(down_from.size)
    n_up = 0
    n_down = 0
    r = 0
    while size > 0:
        i = queue[0]
        fresh = float(out_len[i] + in_len[i])
        if fresh > degree[i]:  # lazy update, as in _build
            degree[i] = fresh
            _sift_down(queue, queue_pos, degree, 0, size)
            if queue[0] != i:
                continue
        i, size = _pop(queue, queue_pos, degree, size)
        # every shortcut through i (no witness search: a few redundant ones are harmless)
        for a_e in range(in_start[i], in_start[i] + in_len[i]):
            u = in_adj[a_e]
            a = in_wt[a_e]
            for b_e in range(out_start[i], out_start[i] + out_len[i]):
                w = out_adj[b_e]
                if w == u or (u < n0 and w < n0):
                    continue
                t = a + out_wt[b_e]
                if u >= n0:
                    out_used, out_adj, out_wt = _insert(
                        out_start, out_len, out_cap, out_adj, out_wt, out_used, u - n0, w, t
                    )
                if w >= n0:
                    in_used, in_adj, in_wt = _insert(
                        in_start, in_len, in_cap, in_adj, in_wt, in_used, w - n0, u, t
                    )
        rank[i] = r
        r += 1
        n_up, up_to, up_minutes, n_down, down_from, down_minutes = _rank(
            i, r, out_start, out_len, out_adj, out_wt, in_start, in_len, in_adj, in_wt,
            up_ptr, up_to, up_minutes, n_up, down_ptr, down_from, down_minutes, n_down,
        )  # fmt: skip
        for e in range(out_start[i], out_start[i] + out_len[i]):
            if out_adj[e] >= n0:
                _drop(in_start, in_len, in_adj, in_wt, out_adj[e] - n0, n0 + i)
        for e in range(in_start[i], in_start[i] + in_len[i]):
            if in_adj[e] >= n0:
                _drop(out_start, out_len, out_adj, out_wt, in_adj[e] - n0, n0 + i)
    for e in range(n_up):
        if up_to[e] >= n0:
            up_to[e] = n0 + rank[up_to[e] - n0]
    for e in range(n_down):
        if down_from[e] >= n0:
            down_from[e] = n0 + rank[down_from[e] - n0]
    return (
        rank,
        up_ptr,
        up_to[:n_up].copy(),
        up_minutes[:n_up].copy(),
        down_ptr,
        down_from[:n_down].copy(),
        down_minutes[:n_down].copy(),
    )


@dataclass
class Bottom:
    """Nodes ranked below a hierarchy's: a graph's nodes that its hierarchy leaves out.

    A hierarchy built once for a graph (:mod:`maillage.network._prepared`) covers the
    nodes that do not depend on where the services are; those a search must also stop
    at (a service inside a degree-2 chain, or in a dead-end tree) are contracted here,
    below every ranked node, with every shortcut they need between them and the ranked
    nodes (none between two ranked nodes: such a path runs through nodes the hierarchy
    left out, so the hierarchy already has a path as short).

    The node of bottom rank ``b`` has id ``n_ranked + b``; its upward edges lead to ids
    ``up_to[up_ptr[b]:up_ptr[b + 1]]`` (higher bottom ranks or ranked nodes) in
    ``up_minutes``, its downward edges come from ``down_from`` likewise.
    """

    n_ranked: int
    up_ptr: IntArray
    up_to: IntArray
    up_minutes: FloatArray
    down_ptr: IntArray
    down_from: IntArray
    down_minutes: FloatArray

    @property
    def n_nodes(self) -> int:
        """Number of bottom nodes."""
        return int(self.up_ptr.size - 1)

    @classmethod
    def empty(cls, n_ranked: int) -> Bottom:
        """No bottom node (every start and exit is a ranked node)."""
        ptr = np.zeros(1, dtype=np.int64)
        none = np.zeros(0, dtype=np.int64)
        return cls(n_ranked, ptr, none, np.zeros(0), ptr.copy(), none.copy(), np.zeros(0))


def bottom(
    graph: scipy.sparse.csr_matrix, ids: IntArray, new: IntArray, n_ranked: int
) -> tuple[Bottom, IntArray]:
    """Contract the nodes ``new`` of ``graph`` below a hierarchy of ``n_ranked`` nodes.

    ``ids[v]`` is node ``v``'s rank in the hierarchy, any value for the nodes ``new``.
    The graph must have no self-loop and no parallel edge. Returns the bottom and the
    bottom rank of every node of ``new``, so that its id is ``n_ranked`` + that rank.

    Examples
    --------
    >>> import scipy.sparse
    >>> g = scipy.sparse.csr_matrix(([1.0, 1.0, 2.0, 2.0], ([0, 1, 1, 2], [1, 0, 2, 1])))
    >>> b, ranks = bottom(g, np.array([0, -1, 1]), np.array([1]), 2)
    >>> b.n_nodes, ranks.tolist(), b.up_to.tolist(), b.down_from.tolist()
    (1, [0], [0, 1], [0, 1])
    """
    forward = graph.T.tocsr()
    ids = np.array(ids, dtype=np.int64)
    ids[new] = n_ranked + np.arange(new.size)
    rank, up_ptr, up_to, up_minutes, down_ptr, down_from, down_minutes = _bottom(
        graph.indptr.astype(np.int64),
        graph.indices.astype(np.int64),
        graph.data.astype(np.float64),
        forward.indptr.astype(np.int64),
        forward.indices.astype(np.int64),
        forward.data.astype(np.float64),
        ids,
        np.asarray(new, dtype=np.int64),
        n_ranked,
    )
    return Bottom(n_ranked, up_ptr, up_to, up_minutes, down_ptr, down_from, down_minutes), rank


@numba.njit(cache=True, nogil=True, inline="always")
def _relax(times, labels, u, v, minutes, k):  # type: ignore[no-untyped-def]
    """Row ``v`` lowered by row ``u`` plus ``minutes`` (every group; selects rather than
    branches, which the compiler turns into vector instructions: ≈ 10 % faster on the
    sweeps of ``benchmarks/partition.py``'s partition, in one measurement)."""
    for j in range(k):
        t = times[u, j] + minutes
        old = times[v, j]
        better = t < old
        times[v, j] = t if better else old
        labels[v, j] = labels[u, j] if better else labels[v, j]


@numba.njit(cache=True, nogil=True)
def _sweep_bottom(  # type: ignore[no-untyped-def]
    n0, up_ptr, up_to, up_minutes, down_ptr, down_from, down_minutes, times, labels, upward,
):  # fmt: skip
    n = up_ptr.size - 1
    k = times.shape[1]
    if upward:
        for b in range(n):
            for e in range(up_ptr[b], up_ptr[b + 1]):
                _relax(times, labels, n0 + b, up_to[e], up_minutes[e], k)
        return
    for b in range(n - 1, -1, -1):
        for e in range(down_ptr[b], down_ptr[b + 1]):
            _relax(times, labels, down_from[e], n0 + b, down_minutes[e], k)


@numba.njit(cache=True, nogil=True)
def _sweep(up_ptr, up_to, up_minutes, down_ptr, down_from, down_minutes, times, labels):  # type: ignore[no-untyped-def]
    n = up_ptr.size - 1
    k = times.shape[1]
    for r in range(n):
        reached = False
        for j in range(k):
            if times[r, j] < np.inf:
                reached = True
                break
        if not reached:
            continue
        for e in range(up_ptr[r], up_ptr[r + 1]):
            _relax(times, labels, r, up_to[e], up_minutes[e], k)
    for r in range(n - 1, -1, -1):
        for e in range(down_ptr[r], down_ptr[r + 1]):
            _relax(times, labels, down_from[e], r, down_minutes[e], k)


@numba.njit(cache=True, nogil=True)
def _seed(start_ptr, start_rank, start_minutes, times, labels):  # type: ignore[no-untyped-def]
    for j in range(start_ptr.size - 1):
        for s in range(start_ptr[j], start_ptr[j + 1]):
            t = start_minutes[s]
            r = start_rank[s]
            if t < times[r, j]:
                times[r, j] = t
                labels[r, j] = s - start_ptr[j]


@numba.njit(cache=True, nogil=True)
def _expand(times, labels, exit_rank, exit_minutes, start_ptr, start_ids, out_minutes, out_ids):  # type: ignore[no-untyped-def]
    k = times.shape[1]
    for i in range(exit_rank.shape[1]):
        first = exit_rank[0, i]
        second = exit_rank[1, i]
        a = exit_minutes[0, i]
        b = exit_minutes[1, i]
        for j in range(k):
            t1 = a + times[first, j]
            t2 = b + times[second, j]
            if t1 <= t2:
                t = t1
                chosen = labels[first, j]
            else:
                t = t2
                chosen = labels[second, j]
            out_minutes[j, i] = t
            out_ids[j, i] = start_ids[start_ptr[j] + chosen] if chosen >= 0 and t < np.inf else -1


class Scratch:
    """A block's times and labels, kept between blocks (one per thread): fresh arrays of
    that size cost as much again as filling them, in page faults."""

    def __init__(self) -> None:
        self._times = np.empty(0)
        self._labels = np.empty(0, dtype=np.int32)

    def arrays(self, rows: int, k: int) -> tuple[FloatArray, Int32Array]:
        """Times (``inf``) and labels (-1), ``rows`` × ``k``."""
        size = rows * k
        if self._times.size < size:
            self._times = np.empty(size)
            self._labels = np.empty(size, dtype=np.int32)
        times = self._times[:size].reshape(rows, k)
        labels = self._labels[:size].reshape(rows, k)
        times.fill(np.inf)
        labels.fill(-1)
        return times, labels


def nearest_block(
    hierarchy: Hierarchy,
    below: Bottom,
    start_ptr: IntArray,
    start_rank: IntArray,
    start_minutes: FloatArray,
    start_ids: IntArray,
    exit_rank: IntArray,
    exit_minutes: FloatArray,
    out_minutes: FloatArray,
    out_ids: IntArray,
    scratch: Scratch | None = None,
) -> None:
    """Times from the nearest start of each group of a block, read at some nodes' exits.

    Group ``j`` of the block starts at ids ``start_rank[start_ptr[j]:start_ptr[j+1]]``
    (a rank of ``hierarchy``, or ``n_nodes`` + a bottom rank of ``below``) at
    ``start_minutes`` (non-finite: ignored). ``exit_rank``/``exit_minutes``
    (2 × origins) give each origin's two exits as such ids (``n_nodes`` +
    ``below.n_nodes`` for none) and the time to them. ``out_minutes``/``out_ids``
    (groups × origins) receive the time and the ``start_ids`` of the start reached (-1
    when none is). The sweeps run up the bottom, up then down the hierarchy, then down
    the bottom. Releases the GIL. ``scratch``: where to keep the block's times (not
    shared between threads).

    Examples
    --------
    >>> indptr = np.array([0, 1, 2, 2])
    >>> heads = np.array([1, 2], dtype=np.int32)
    >>> h = build(indptr, heads, np.array([1.0, 2.5]))
    >>> exits = np.vstack([h.rank, np.full(3, 3)])
    >>> legs = np.vstack([np.zeros(3), np.full(3, np.inf)])
    >>> minutes, ids = np.empty((1, 3)), np.empty((1, 3), dtype=np.int64)
    >>> nearest_block(h, Bottom.empty(3), np.array([0, 2]), h.rank[[0, 2]],
    ...               np.array([0.0, 3.0]), np.array([10, 11]), exits, legs, minutes, ids)
    >>> minutes.tolist(), ids.tolist()
    ([[0.0, 1.0, 3.0]], [[10, 10, 11]])
    """
    k = start_ptr.size - 1
    n = hierarchy.n_nodes + below.n_nodes
    times, labels = (scratch or Scratch()).arrays(n + 1, k)
    _seed(start_ptr, start_rank, start_minutes, times, labels)
    edges = (
        below.up_ptr,
        below.up_to,
        below.up_minutes,
        below.down_ptr,
        below.down_from,
        below.down_minutes,
    )
    _sweep_bottom(below.n_ranked, *edges, times, labels, True)
    _sweep(
        hierarchy.up_ptr,
        hierarchy.up_to,
        hierarchy.up_minutes,
        hierarchy.down_ptr,
        hierarchy.down_from,
        hierarchy.down_minutes,
        times,
        labels,
    )
    _sweep_bottom(below.n_ranked, *edges, times, labels, False)
    _expand(times, labels, exit_rank, exit_minutes, start_ptr, start_ids, out_minutes, out_ids)
