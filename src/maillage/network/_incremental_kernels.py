"""Compiled kernels of :mod:`maillage.network.incremental` (private).

A search here runs on the *reversed* road graph from the services outward, so that
``dist[u]`` is the time from node ``u`` to its nearest open service. Every search is
"pruned": it starts from given nodes with given times and only visits a node when it
improves that node's current time (strictly), so that, started from the times of a
previous state, it touches only what changes. With all times at infinity it is plain
multi-source Dijkstra (binary heap, lazy deletion).
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@numba.njit(cache=True, nogil=True)
def _push(keys, vals, size, key, val):  # type: ignore[no-untyped-def]
    if size == keys.size:
        bigger_keys = np.empty(2 * keys.size, dtype=keys.dtype)
        bigger_vals = np.empty(2 * vals.size, dtype=vals.dtype)
        bigger_keys[:size] = keys[:size]
        bigger_vals[:size] = vals[:size]
        keys, vals = bigger_keys, bigger_vals
    i = size
    keys[i] = key
    vals[i] = val
    while i > 0:
        parent = (i - 1) // 2
        if keys[parent] <= keys[i]:
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        vals[parent], vals[i] = vals[i], vals[parent]
        i = parent
    return keys, vals, size + 1


@numba.njit(cache=True, nogil=True)
def _pop(keys, vals, size):  # type: ignore[no-untyped-def]
    key = keys[0]
    val = vals[0]
    size -= 1
    keys[0] = keys[size]
    vals[0] = vals[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and keys[left + 1] < keys[left]:
            child = left + 1
        if keys[i] <= keys[child]:
            break
        keys[child], keys[i] = keys[i], keys[child]
        vals[child], vals[i] = vals[i], vals[child]
        i = child
    return key, val, size


@numba.njit(cache=True, nogil=True)
def _record(changed, previous, count, node, value):  # type: ignore[no-untyped-def]
    if count == changed.size:
        bigger = np.empty(2 * changed.size, dtype=np.int64)
        bigger[:count] = changed[:count]
        changed = bigger
        more = np.empty(2 * previous.size, dtype=np.float64)
        more[:count] = previous[:count]
        previous = more
    changed[count] = node
    previous[count] = value
    return changed, previous


@numba.njit(cache=True, nogil=True)
def pruned_search(
    rev_indptr: IntArray,
    rev_indices: npt.NDArray[np.int32],
    rev_minutes: FloatArray,
    rev_edge: IntArray,
    edge_open: npt.NDArray[np.bool_],
    dist: FloatArray,
    label: npt.NDArray[np.int32],
    parent_edge: IntArray,
    start_nodes: IntArray,
    start_minutes: FloatArray,
    start_labels: npt.NDArray[np.int32],
    start_parent_edges: IntArray,
    touched: npt.NDArray[np.bool_],
) -> tuple[IntArray, FloatArray]:
    """Improve ``dist``/``label``/``parent_edge`` in place from the starts; the nodes
    changed and their times before.

    A start improves its node when its time is strictly lower than the node's. Then, from
    each improved node ``v``, every open edge ``u -> v`` of the road graph improves ``u``
    when ``dist[v] + minutes < dist[u]``. ``touched`` (all ``False`` on entry, reset on
    exit) marks the changed nodes, which are returned with their previous times.
    """
    capacity = max(16, 2 * start_nodes.size)
    keys = np.empty(capacity, dtype=np.float64)
    vals = np.empty(capacity, dtype=np.int64)
    size = 0
    changed = np.empty(max(16, start_nodes.size), dtype=np.int64)
    previous = np.empty(changed.size, dtype=np.float64)
    n_changed = 0
    for s in range(start_nodes.size):
        node = start_nodes[s]
        t = start_minutes[s]
        if t < dist[node]:
            if not touched[node]:
                touched[node] = True
                changed, previous = _record(changed, previous, n_changed, node, dist[node])
                n_changed += 1
            dist[node] = t
            label[node] = start_labels[s]
            parent_edge[node] = start_parent_edges[s]
            keys, vals, size = _push(keys, vals, size, t, node)
    while size > 0:
        t, v, size = _pop(keys, vals, size)
        if t > dist[v]:
            continue
        for k in range(rev_indptr[v], rev_indptr[v + 1]):
            e = rev_edge[k]
            if not edge_open[e]:
                continue
            u = rev_indices[k]
            candidate = t + rev_minutes[k]
            if candidate < dist[u]:
                if not touched[u]:
                    touched[u] = True
                    changed, previous = _record(changed, previous, n_changed, u, dist[u])
                    n_changed += 1
                dist[u] = candidate
                label[u] = label[v]
                parent_edge[u] = e
                keys, vals, size = _push(keys, vals, size, candidate, u)
    out = changed[:n_changed].copy()
    for i in range(n_changed):
        touched[out[i]] = False
    return out, previous[:n_changed].copy()


@numba.njit(cache=True, nogil=True)
def invalid_from_label(label: npt.NDArray[np.int32], service: int) -> IntArray:
    """Nodes whose nearest service is ``service``."""
    count = 0
    for i in range(label.size):
        if label[i] == service:
            count += 1
    out = np.empty(count, dtype=np.int64)
    j = 0
    for i in range(label.size):
        if label[i] == service:
            out[j] = i
            j += 1
    return out


@numba.njit(cache=True, nogil=True)
def invalid_from_edges(
    parent_edge: IntArray,
    fwd_indices: npt.NDArray[np.int32],
    edge_open: npt.NDArray[np.bool_],
) -> IntArray:
    """Nodes whose path to their service uses a closed edge (walk up the search tree).

    ``parent_edge[u]`` is the edge ``u -> v`` of ``u``'s path (``-1`` at a service);
    states are memoised, so the walk is linear in the number of nodes.
    """
    n = parent_edge.size
    state = np.zeros(n, dtype=np.int8)  # 0 unknown, 1 valid, 2 invalid
    stack = np.empty(64, dtype=np.int64)
    count = 0
    for start in range(n):
        if state[start] != 0:
            continue
        depth = 0
        node = start
        verdict = 1
        while True:
            if state[node] != 0:
                verdict = state[node]
                break
            e = parent_edge[node]
            if depth == stack.size:
                bigger = np.empty(2 * stack.size, dtype=np.int64)
                bigger[:depth] = stack[:depth]
                stack = bigger
            stack[depth] = node
            depth += 1
            if e < 0:
                verdict = 1
                break
            if not edge_open[e]:
                verdict = 2
                break
            node = fwd_indices[e]
        for i in range(depth):
            state[stack[i]] = verdict
            if verdict == 2:
                count += 1
    out = np.empty(count, dtype=np.int64)
    j = 0
    for i in range(n):
        if state[i] == 2:
            out[j] = i
            j += 1
    return out


@numba.njit(cache=True, nogil=True)
def boundary_starts(
    invalid: IntArray,
    fwd_indptr: IntArray,
    fwd_indices: npt.NDArray[np.int32],
    fwd_minutes: FloatArray,
    edge_open: npt.NDArray[np.bool_],
    dist: FloatArray,
    label: npt.NDArray[np.int32],
    is_invalid: npt.NDArray[np.bool_],
) -> tuple[IntArray, FloatArray, npt.NDArray[np.int32], IntArray]:
    """Best entry of every invalid node from a valid neighbour (its out-edges).

    Returns starts (node, minutes, label, edge) for :func:`pruned_search`; the invalid
    nodes' times must already be reset to infinity.
    """
    nodes = np.empty(invalid.size, dtype=np.int64)
    minutes = np.empty(invalid.size, dtype=np.float64)
    labels = np.empty(invalid.size, dtype=np.int32)
    edges = np.empty(invalid.size, dtype=np.int64)
    m = 0
    for i in range(invalid.size):
        u = invalid[i]
        best = np.inf
        best_label = -1
        best_edge = -1
        for e in range(fwd_indptr[u], fwd_indptr[u + 1]):
            if not edge_open[e]:
                continue
            v = fwd_indices[e]
            if is_invalid[v]:
                continue
            candidate = dist[v] + fwd_minutes[e]
            if candidate < best:
                best = candidate
                best_label = label[v]
                best_edge = e
        if best < np.inf:
            nodes[m] = u
            minutes[m] = best
            labels[m] = best_label
            edges[m] = best_edge
            m += 1
    return nodes[:m], minutes[:m], labels[:m], edges[:m]
