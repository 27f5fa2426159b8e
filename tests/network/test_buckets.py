"""The bucket-queue search equals scipy's Dijkstra on real graphs, whatever the width."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from scipy.sparse.csgraph import dijkstra

from maillage.network import _buckets, _engine
from maillage.network.graph import RoadGraph

TOLERANCE = 1e-9  # minutes


def _reference(
    graph: scipy.sparse.csr_matrix, starts: np.ndarray, offsets: np.ndarray
) -> np.ndarray:
    """scipy with one source node per start, linked to it by its offset."""
    augmented = _engine.with_sources(graph, starts, offsets)
    n = graph.shape[0]
    return np.asarray(dijkstra(augmented, indices=np.arange(n, n + starts.size), min_only=True)[:n])


@pytest.mark.parametrize("name", ["monaco", "andorra"])
@pytest.mark.parametrize("width", [0.001, 0.05, 2.0, 500.0])
def test_search_equals_scipy_and_names_a_start_that_reaches(
    graphs: dict[str, RoadGraph], name: str, width: float
) -> None:
    # Widths from far below the shortest edge to wider than every time (one bucket:
    # pure label-correcting); starting times spread beyond the longest edge.
    graph = graphs[name].csr()
    rng = np.random.default_rng(7)
    starts = rng.choice(graph.shape[0], size=12, replace=False)
    offsets = rng.uniform(0.0, 40.0, size=starts.size)
    offsets[0] = np.inf  # an unreachable start is ignored
    indices = graph.indices.astype(np.int32)
    times, start = _buckets.search(
        graph.indptr.astype(np.int64), indices, graph.data, starts, offsets, width
    )
    expected = _reference(graph, starts, offsets)
    # the longest edge read once by the caller gives the very same search
    given = _buckets.search(
        graph.indptr.astype(np.int64),
        indices,
        graph.data,
        starts,
        offsets,
        width,
        float(graph.data.max()),
    )
    assert np.array_equal(given[0], times) and np.array_equal(given[1], start)
    assert times[-1] == np.inf and start[-1] == -1  # the spare slot
    times, start = times[:-1], start[:-1]
    assert np.array_equal(np.isinf(times), np.isinf(expected))
    reached = np.isfinite(expected)
    np.testing.assert_allclose(times[reached], expected[reached], rtol=0, atol=TOLERANCE)
    assert (start[reached] >= 1).all() and (start[~reached] == -1).all()
    # the start named for a node does reach it in that time
    sample = rng.choice(np.flatnonzero(reached), size=40, replace=False)
    for node in sample:
        s = start[node]
        alone = dijkstra(graph, indices=starts[s])[node] + offsets[s]
        assert abs(alone - times[node]) <= TOLERANCE


def test_search_without_any_usable_start() -> None:
    graph = scipy.sparse.csr_matrix(([1.0], [1], [0, 1, 1]), shape=(2, 2))
    times, start = _buckets.search(
        graph.indptr.astype(np.int64),
        graph.indices.astype(np.int32),
        graph.data,
        np.array([0]),
        np.array([np.nan]),
        0.05,
    )
    assert np.isinf(times).all() and (start == -1).all()
