"""Incremental nearest-service times equal a full recomputation, on real road graphs.

The reference is SciPy's Dijkstra (another engine) run from scratch on the reversed graph
after each change (closed ways removed with ``RoadGraph.without_ways``, an independent
path), and the engine's own full search (``recompute``). Services are placed on random
nodes (seeded): invented positions on real roads, for the edge cases of closures and
openings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from scipy.sparse.csgraph import dijkstra

from maillage.network.graph import RoadGraph
from maillage.network.incremental import IncrementalNearest, IncrementalStraightLine


def scipy_nearest(
    graph: RoadGraph, service_nodes: np.ndarray, open_: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Time from every node to the nearest open service, and which (SciPy, from scratch)."""
    reverse = scipy.sparse.csr_matrix(
        (graph.minutes, graph.indices, graph.indptr), shape=(graph.n_nodes, graph.n_nodes)
    ).T.tocsr()
    nodes = service_nodes[open_]
    dist, _, sources = dijkstra(reverse, indices=nodes, min_only=True, return_predecessors=True)
    service_of_node = dict(zip(nodes.tolist(), np.flatnonzero(open_).tolist(), strict=True))
    labels = np.array([service_of_node.get(int(s), -1) for s in sources])
    return dist, labels


def check(state: IncrementalNearest, graph: RoadGraph) -> None:
    dist, labels = scipy_nearest(graph, state.service_node, state.service_open)
    np.testing.assert_allclose(state.minutes, dist, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(state.nearest, labels)
    again, again_labels = state.recompute()
    np.testing.assert_array_equal(state.minutes, again)
    np.testing.assert_array_equal(state.nearest, again_labels)


@pytest.mark.parametrize("name", ["monaco", "andorra", "malta"])
def test_closures_and_openings_equal_a_full_recomputation(
    graphs: dict[str, RoadGraph], name: str
) -> None:
    graph = graphs[name]
    rng = np.random.default_rng(19)
    services = rng.choice(graph.n_nodes, size=25, replace=False)
    state = IncrementalNearest(graph, services)
    check(state, graph)
    for service in rng.choice(25, size=6, replace=False):
        before = state.minutes
        change = state.close_service(int(service))
        check(state, graph)
        after = state.minutes
        # Only the searched region moved, and it is the closed service's catchment.
        outside = np.setdiff1d(np.arange(graph.n_nodes), change.nodes)
        np.testing.assert_array_equal(before[outside], after[outside])
        np.testing.assert_array_equal(change.before_minutes, before[change.nodes])
        assert change.size < graph.n_nodes
    for node in rng.choice(graph.n_nodes, size=6, replace=False):
        before = state.minutes
        _, change = state.open_service(int(node))
        check(state, graph)
        after = state.minutes
        moved = np.flatnonzero(before != after)
        assert set(moved.tolist()) <= set(change.nodes.tolist())
        assert np.all(change.after_minutes < change.before_minutes)
    # A service closed then reopened gives back the same times.
    closed = int(np.flatnonzero(state.service_open)[0])
    reference = state.minutes
    state.close_service(closed)
    state.reopen_service(closed)
    np.testing.assert_array_equal(state.minutes, reference)
    check(state, graph)


@pytest.mark.parametrize("name", ["andorra", "malta"])
def test_closing_and_reopening_roads(graphs: dict[str, RoadGraph], name: str) -> None:
    graph = graphs[name]
    rng = np.random.default_rng(7)
    services = rng.choice(graph.n_nodes, size=15, replace=False)
    state = IncrementalNearest(graph, services)
    initial = state.minutes
    # Close the ways carrying the most search-tree edges (the busiest roads), as a pass.
    parents = state._parent[state._parent >= 0]
    busiest_ways = np.bincount(graph.edge_way[parents]).argsort()[-3:]
    way_ids = graph.way_id[busiest_ways]
    edges = state.edges_of_ways(way_ids.tolist())
    assert edges.size > 0
    change = state.close_edges(edges)
    assert change.size > 0
    closed_graph = graph.without_ways([int(w) for w in way_ids])
    dist, labels = scipy_nearest(closed_graph, state.service_node, state.service_open)
    np.testing.assert_allclose(state.minutes, dist, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(state.nearest, labels)
    # Opening a service while the pass is closed, then reopening the pass.
    state.open_service(int(rng.integers(graph.n_nodes)))
    dist, labels = scipy_nearest(closed_graph, state.service_node, state.service_open)
    np.testing.assert_allclose(state.minutes, dist, rtol=1e-12, atol=1e-12)
    state.open_edges(edges)
    check(state, graph)
    assert np.all(state.minutes <= initial)


def test_straight_line_equals_brute_force() -> None:
    rng = np.random.default_rng(3)
    origins = rng.uniform(0, 50_000, size=(300, 2))
    services = rng.uniform(0, 50_000, size=(20, 2))
    state = IncrementalStraightLine(origins, services)
    for service in (3, 7, 11):
        state.close_service(service)
        np.testing.assert_array_equal(state.minutes, state.recompute()[0])
    for x, y in rng.uniform(0, 50_000, size=(3, 2)):
        state.open_service(float(x), float(y))
        minutes, labels = state.recompute()
        np.testing.assert_array_equal(state.minutes, minutes)
        np.testing.assert_array_equal(state.nearest, labels)
    # Brute force, independent of the class: detour 1.4 at 45 km/h.
    open_ = np.flatnonzero(state.service_open)
    gaps = origins[:, None, :] - state.services[None, open_, :]
    expected = np.hypot(gaps[..., 0], gaps[..., 1]).min(axis=1) * 1.4 * 60 / 45_000
    np.testing.assert_allclose(state.minutes, expected, rtol=1e-12)


def test_road_state_of_points_equals_the_road_model(graphs: dict[str, RoadGraph]) -> None:
    """:class:`IncrementalRoad` (points snapped, off-road legs) against ``RoadModel.nearest``
    (the production engine, from scratch) after a closure, an opening and a road closure;
    points near random nodes of the real Andorra graph (seeded), one origin and one service
    far from every road (edge cases)."""
    import geopandas as gpd
    from shapely.geometry import Point

    from maillage.network.incremental import IncrementalRoad, incremental_times
    from maillage.network.model import RoadModel

    graph = graphs["andorra"]
    rng = np.random.default_rng(11)
    nodes = rng.choice(np.flatnonzero(graph.has_edges()), size=70, replace=False)
    xy = np.column_stack([graph.x[nodes], graph.y[nodes]]) + rng.uniform(-100, 100, (70, 2))
    far = xy.max(axis=0) + 20_000  # 20 km beyond the extract
    points = [Point(x, y) for x, y in [*xy, far, far]]
    origins = gpd.GeoDataFrame(
        {"id": range(51)}, geometry=[*points[:50], points[70]], crs=graph.crs
    )
    services = gpd.GeoDataFrame(
        {"service_id": range(21), "kind": "x"}, geometry=[*points[50:70], points[71]], crs=graph.crs
    )
    model = RoadModel(graph)
    state = incremental_times(model, origins, services)
    assert isinstance(state, IncrementalRoad) and state.closes_roads

    def expect(kept: np.ndarray, extra: list[Point], closed: list[str]) -> np.ndarray:
        chosen = services[kept]
        chosen = pd.concat(
            [
                chosen,
                gpd.GeoDataFrame(
                    {"service_id": [99] * len(extra), "kind": "x"}, geometry=extra, crs=graph.crs
                ),
            ],
            ignore_index=True,
        )
        road = model.without_ways(closed) if closed else model
        table = road.nearest(origins, chosen, groups="kind", origin_id="id")
        return table["minutes"].fillna(np.inf).to_numpy()

    kept = np.ones(21, dtype=bool)
    np.testing.assert_allclose(state.minutes, expect(kept, [], []), rtol=1e-9)
    assert np.isinf(state.minutes[-1]) and state.nearest[-1] == -1
    before = state.copy()
    busiest = int(np.bincount(state.nearest[state.nearest >= 0]).argmax())
    state.close_service(busiest)
    kept[busiest] = False
    np.testing.assert_allclose(state.minutes, expect(kept, [], []), rtol=1e-9)
    np.testing.assert_array_equal(before.minutes, before.recompute()[0])  # the copy kept
    site = points[int(np.argmax(np.where(np.isfinite(state.minutes), state.minutes, -1)))]
    assert state.crs == "EPSG:2154"  # coordinates of openings: Lambert-93 by default
    lambert = gpd.GeoSeries([site], crs=graph.crs).to_crs(2154)[0]
    state.open_service(lambert.x, lambert.y)
    np.testing.assert_allclose(state.minutes, expect(kept, [site], []), rtol=1e-9)
    names = pd.Series(
        graph.way_name[graph.edge_way[state.network._parent[state.network._parent >= 0]]]
    )
    road = str(names[names.astype(str).str.len() > 2].value_counts().index[0])
    assert state.knows_road(road) and not state.knows_road("Route qui n'existe pas")
    change = state.close_roads([road])
    assert change.size > 0
    np.testing.assert_allclose(state.minutes, expect(kept, [site], [road]), rtol=1e-9)
    # Points whose node the closed road took away were snapped again (as on the graph
    # without that road): the edge case this checks.
    assert (state._origin_node != state._origin_first[0]).any()
    state.open_roads([road])
    np.testing.assert_allclose(state.minutes, expect(kept, [site], []), rtol=1e-9)
    minutes, nearest = state.recompute()
    np.testing.assert_array_equal(state.minutes, minutes)
    np.testing.assert_array_equal(state.nearest, nearest)
