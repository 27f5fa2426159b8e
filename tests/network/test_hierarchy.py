"""The contraction hierarchy's sweeps equal the bucket search and scipy's Dijkstra.

On the real extracts (Monaco, Andorra, Malta) and on 3 × 3 copies of Malta joined at
their edges (``benchmarks/_tiling.py``, as the France-size benchmark builds them): the
same times to 1e-9 minutes, the same nodes unreachable, and a service named that is
at that time (the same one as the bucket search's but for ties). The hierarchy is the
graph's, built with no service and cached beside its file: a hierarchy read back from
the cache gives the same figures as one built afresh, services inside degree-2 chains
and dead-end trees (outside the cached hierarchy) included, and a cache written for
another graph or other rules is never read.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import scipy.sparse
from scipy.sparse.csgraph import dijkstra

from maillage.network import _engine, _hierarchy, _prepared
from maillage.network.graph import RoadGraph

from .conftest import benchmark_module

TOLERANCE = 1e-9  # minutes


def _tiling() -> ModuleType:
    return benchmark_module("_tiling")


@pytest.fixture(scope="module")
def tiled_malta(graphs: dict[str, RoadGraph]) -> RoadGraph:
    graph: RoadGraph = _tiling().tile(graphs["malta"], 3)
    return graph


def _types(
    graph: RoadGraph, n_types: int, seed: int
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:  # type: ignore[type-arg]
    """Services of ``n_types`` types (1 to 60 each; two services at one node) with
    off-road legs, some infinite (such a service is ignored; the last type has only
    one, so that no origin reaches it: the graphs are strongly connected)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 60, n_types)
    sizes[-1] = 1
    nodes = rng.integers(0, graph.n_nodes, sizes.sum())
    nodes[1] = nodes[0]
    legs = rng.uniform(0.0, 4.0, nodes.size)
    legs[2] = legs[-1] = np.inf
    ends = np.cumsum(sizes)
    groups = [np.arange(end - size, end) for size, end in zip(sizes, ends, strict=True)]
    return nodes, legs, groups


def _compare(graph: RoadGraph, n_types: int, seed: int) -> None:
    nodes, legs, groups = _types(graph, n_types, seed)
    origins = np.arange(graph.n_nodes)
    expected, expected_seed = _engine.nearest_by_group(
        graph, nodes, legs, groups, origins, n_jobs=1, method="buckets"
    )
    minutes, seed_of = _engine.nearest_by_group(
        graph, nodes, legs, groups, origins, n_jobs=1, method="hierarchy"
    )
    reached = np.isfinite(expected)
    assert reached[:-1].all() and not reached[-1].any()
    np.testing.assert_array_equal(np.isfinite(minutes), reached)
    np.testing.assert_allclose(minutes[reached], expected[reached], rtol=0, atol=TOLERANCE)
    assert np.all(seed_of[~reached] == -1)
    differs = (seed_of != expected_seed) & reached
    # a different service only at the same time: check each one against scipy
    if differs.any():
        rows, columns = np.nonzero(differs)
        chosen = np.unique(nodes[seed_of[rows, columns]])
        direct = dijkstra(graph.csr().T.tocsr(), indices=chosen)
        at = direct[np.searchsorted(chosen, nodes[seed_of[rows, columns]]), origins[columns]]
        at = at + legs[seed_of[rows, columns]]
        np.testing.assert_allclose(at, minutes[rows, columns], rtol=0, atol=TOLERANCE)
    assert np.mean(differs[reached]) < 0.01


@pytest.mark.parametrize("name", ["monaco", "andorra", "malta"])
def test_sweeps_equal_bucket_searches_on_real_extracts(
    graphs: dict[str, RoadGraph], name: str
) -> None:
    _compare(graphs[name], 20, seed=len(name))


def test_sweeps_equal_bucket_searches_on_tiled_malta(tiled_malta: RoadGraph) -> None:
    # 40 types: three blocks of 16, the last one short
    _compare(tiled_malta, 40, seed=11)


def test_streaming_sweeps_yield_the_same_rows(graphs: dict[str, RoadGraph]) -> None:
    graph = graphs["andorra"]
    nodes, legs, groups = _types(graph, 18, seed=5)
    origins = np.random.default_rng(2).choice(graph.n_nodes, 500, replace=False)
    whole, labels = _engine.nearest_by_group(
        graph, nodes, legs, groups, origins, n_jobs=2, method="hierarchy"
    )
    rows = [
        (k, m.copy(), s.copy())  # the rows are overwritten by the next block's
        for k, m, s in _engine.iter_nearest_by_group(
            graph, nodes, legs, groups, origins, method="hierarchy"
        )
    ]
    assert [k for k, _, _ in rows] == list(range(len(groups)))
    np.testing.assert_array_equal(np.vstack([m for _, m, _ in rows]), whole)
    np.testing.assert_array_equal(np.vstack([s for _, _, s in rows]), labels)


@pytest.mark.parametrize("name", ["andorra", "malta"])
def test_hierarchy_sweep_equals_scipy_on_the_core_graph(
    graphs: dict[str, RoadGraph], name: str
) -> None:
    # Straight on the reversed core graph: every core node, one block of 5 groups.
    graph = graphs[name]
    rng = np.random.default_rng(3)
    terminals = rng.choice(graph.n_nodes, 40, replace=False)
    contraction = _engine.contract(graph, terminals)
    core = contraction.forward.T.tocsr()
    core.sort_indices()
    hierarchy = _hierarchy.build(
        core.indptr.astype(np.int64), core.indices.astype(np.int32), core.data
    )
    assert hierarchy.n_nodes == core.shape[0]
    starts = contraction.core_of[terminals]
    offsets = rng.uniform(0.0, 10.0, starts.size)
    start_ptr = np.array([0, 1, 8, 20, 21, 40])
    n = core.shape[0]
    exits = np.vstack([hierarchy.rank, np.full(n, n)])
    legs = np.vstack([np.zeros(n), np.full(n, np.inf)])
    minutes = np.empty((5, n))
    ids = np.empty((5, n), dtype=np.int64)
    below = _hierarchy.Bottom.empty(n)
    _hierarchy.nearest_block(
        hierarchy,
        below,
        start_ptr,
        hierarchy.rank[starts],
        offsets,
        np.arange(40),
        exits,
        legs,
        minutes,
        ids,
    )
    for j in range(5):
        group = slice(start_ptr[j], start_ptr[j + 1])
        augmented = _engine.with_sources(core, starts[group], offsets[group])
        sources = np.arange(n, n + start_ptr[j + 1] - start_ptr[j])
        truth = dijkstra(scipy.sparse.csr_matrix(augmented), indices=sources, min_only=True)[:n]
        np.testing.assert_array_equal(np.isfinite(minutes[j]), np.isfinite(truth))
        finite = np.isfinite(truth)
        np.testing.assert_allclose(minutes[j][finite], truth[finite], rtol=0, atol=TOLERANCE)
        assert np.all((ids[j][finite] >= start_ptr[j]) & (ids[j][finite] < start_ptr[j + 1]))


def _outside_services(
    graph: RoadGraph, prepared: _prepared.GraphHierarchy, seed: int
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:  # type: ignore[type-arg]
    """Services at nodes the cached hierarchy leaves out (inside chains, in dead-end
    trees), two of them on consecutive nodes of one chain, mixed with ranked ones."""
    rng = np.random.default_rng(seed)
    contraction = _engine.contract(graph)
    outside = np.flatnonzero(prepared.rank_of < 0)
    in_tree = np.setdiff1d(outside, contraction.interior)  # pruned core nodes
    chain_node = contraction.interior[rng.integers(contraction.interior.size)]
    neighbour = graph.indices[graph.indptr[chain_node]]  # the next node on its chain
    nodes = np.concatenate(
        [
            [chain_node, neighbour],
            rng.choice(outside, 150, replace=False),
            rng.choice(in_tree, min(30, in_tree.size), replace=False),
            rng.choice(prepared.core_nodes(), 40, replace=False),
        ]
    )
    legs = rng.uniform(0.0, 3.0, nodes.size)
    order = rng.permutation(nodes.size)
    groups = [np.sort(order[k::18]) for k in range(18)]
    groups[0] = np.array([0, 1])  # the two neighbours on one chain, and nothing else
    return nodes, legs, groups


@pytest.mark.parametrize("name", ["andorra", "malta"])
def test_cached_hierarchy_equals_fresh_one_and_buckets(
    graphs: dict[str, RoadGraph], name: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{name}.npz"
    graphs[name].save(path)
    cached_file = _prepared.preprocess(path)  # what a partition's writer runs once
    assert cached_file == _prepared.cache_path(path) and cached_file.is_file()
    graph = RoadGraph.load(path)  # a later run: the hierarchy is only read
    read = _prepared.cached(graph)
    fresh = _prepared.build(RoadGraph.load(path))
    assert read is not None
    np.testing.assert_array_equal(read.rank_of, fresh.rank_of)
    for field in ("up_ptr", "up_to", "up_minutes", "down_ptr", "down_from", "down_minutes"):
        np.testing.assert_array_equal(
            getattr(read.hierarchy, field), getattr(fresh.hierarchy, field)
        )
    nodes, legs, groups = _outside_services(graph, read, seed=len(name))
    origins = np.arange(graph.n_nodes)
    expected, expected_seed = _engine.nearest_by_group(
        graph, nodes, legs, groups, origins, n_jobs=1, method="buckets"
    )
    # "auto" sweeps from 16 groups once the hierarchy is cached; the services outside
    # it are contracted below it
    engine = _engine._engines(graph, nodes, legs, origins, len(groups), "auto", None)
    assert isinstance(engine, _engine._Sweeps) and engine.below.n_nodes >= 150
    minutes, seed_of = _engine.nearest_by_group(graph, nodes, legs, groups, origins, n_jobs=1)
    np.testing.assert_array_equal(np.isfinite(minutes), np.isfinite(expected))
    reached = np.isfinite(expected)
    np.testing.assert_allclose(minutes[reached], expected[reached], rtol=0, atol=TOLERANCE)
    assert np.mean(seed_of[reached] != expected_seed[reached]) < 0.01
    # and against scipy on the whole graph, for the two services on one chain
    truth = dijkstra(graph.csr().T.tocsr(), indices=nodes[:2])
    best = np.minimum(truth[0] + legs[0], truth[1] + legs[1])
    np.testing.assert_allclose(minutes[0], best, rtol=0, atol=TOLERANCE)


def test_cached_hierarchy_is_not_read_for_another_graph_or_rules(
    graphs: dict[str, RoadGraph], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = graphs["monaco"]
    path = tmp_path / "monaco.npz"
    graph.save(path)
    _prepared.preprocess(path)
    assert _prepared.cached(RoadGraph.load(path)) is not None
    # the same file name, another graph (slower roads): its hierarchy is built again
    slower = RoadGraph.load(path)
    slower.minutes = slower.minutes * 2.0
    slower.save(path)
    assert _prepared.cached(RoadGraph.load(path)) is None
    rebuilt = _prepared.prepared(RoadGraph.load(path))
    assert _prepared.cached(RoadGraph.load(path)) is not None
    assert rebuilt.hierarchy.up_minutes.sum() == pytest.approx(
        2.0 * _prepared.build(graph).hierarchy.up_minutes.sum()
    )
    # other build rules: another file name, so the old hierarchy is not read
    before = _prepared.cache_path(path)
    monkeypatch.setattr(_hierarchy, "WITNESS_SETTLED", _hierarchy.WITNESS_SETTLED + 1)
    assert _prepared.cache_path(path) != before
    assert _prepared.cached(RoadGraph.load(path)) is None
