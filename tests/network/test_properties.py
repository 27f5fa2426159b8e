"""Property tests (hypothesis, derandomized): closures, nearest, and the contraction."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from maillage.network import _engine
from maillage.network.graph import RoadGraph

SETTINGS = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(data=st.data())
def test_closing_roads_never_shortens_a_time(
    graphs: dict[str, RoadGraph], data: st.DataObject
) -> None:
    graph = graphs["andorra"]
    closed = data.draw(
        st.lists(st.integers(0, graph.way_id.size - 1), min_size=1, max_size=6, unique=True)
    )
    services = np.array(
        data.draw(st.lists(st.integers(0, graph.n_nodes - 1), min_size=1, max_size=8, unique=True))
    )
    winter = graph.without_ways([int(w) for w in graph.way_id[closed]])
    group = [np.arange(services.size)]
    legs = np.zeros(services.size)
    everyone = np.arange(graph.n_nodes)
    summer_minutes, _ = _engine.nearest_by_group(graph, services, legs, group, everyone, n_jobs=1)
    winter_minutes, _ = _engine.nearest_by_group(winter, services, legs, group, everyone, n_jobs=1)
    assert np.all(winter_minutes >= summer_minutes - 1e-9)


@SETTINGS
@given(data=st.data())
def test_nearest_never_exceeds_any_one_service(
    graphs: dict[str, RoadGraph], data: st.DataObject
) -> None:
    graph = graphs["monaco"]
    services = np.array(
        data.draw(st.lists(st.integers(0, graph.n_nodes - 1), min_size=1, max_size=10, unique=True))
    )
    legs = np.array(
        data.draw(st.lists(st.floats(0, 5), min_size=services.size, max_size=services.size))
    )
    origins = np.array(
        data.draw(st.lists(st.integers(0, graph.n_nodes - 1), min_size=1, max_size=10))
    )
    minutes, labels = _engine.nearest_by_group(
        graph, services, legs, [np.arange(services.size)], origins, n_jobs=1
    )
    each = dijkstra(graph.csr(), indices=origins)[:, services] + legs[None, :]
    assert np.all(minutes[0][:, None] <= each + 1e-9)
    np.testing.assert_allclose(minutes[0], each.min(axis=1), atol=1e-9)
    np.testing.assert_allclose(each[np.arange(origins.size), labels[0]], minutes[0], atol=1e-9)


@st.composite
def small_graphs(draw: st.DrawFn) -> tuple[RoadGraph, np.ndarray, np.ndarray]:
    """Random small road-like graphs: chains, two-way and one-way edges, dead ends, cycles."""
    n = draw(st.integers(2, 25))
    edges = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.sampled_from([0.0, 0.5, 1.0, 2.5, 7.0]),
                st.booleans(),
            ),
            min_size=1,
            max_size=3 * n,
        )
    )
    src, dst, minutes = [], [], []
    for a, b, w, two_way in edges:
        src.append(a), dst.append(b), minutes.append(w)
        if two_way:
            src.append(b), dst.append(a), minutes.append(w)
    lon = np.linspace(0.0, 0.1, n)
    graph = RoadGraph.from_edges(src, dst, minutes, lon=lon, lat=np.zeros(n))
    services = np.array(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4)))
    legs = np.array(
        draw(
            st.lists(
                st.sampled_from([0.0, 0.3, 1.0]), min_size=services.size, max_size=services.size
            )
        )
    )
    return graph, services, legs


@settings(max_examples=200, derandomize=True, deadline=None)
@given(case=small_graphs())
def test_contracted_search_equals_networkx_on_any_graph(
    case: tuple[RoadGraph, np.ndarray, np.ndarray],
) -> None:
    graph, services, legs = case
    minutes, labels = _engine.nearest_by_group(
        graph, services, legs, [np.arange(services.size)], np.arange(graph.n_nodes), n_jobs=1
    )
    reverse = nx.DiGraph()
    reverse.add_nodes_from(range(graph.n_nodes))
    edges = graph.edges()
    reverse.add_weighted_edges_from(zip(edges.target, edges.source, edges.minutes, strict=True))
    for s, leg in zip(services.tolist(), legs.tolist(), strict=True):
        if reverse.has_edge("source", s):
            leg = min(leg, reverse["source"][s]["weight"])
        reverse.add_edge("source", s, weight=leg)
    truth = nx.single_source_dijkstra_path_length(reverse, "source")
    expected = np.array([truth.get(v, np.inf) for v in range(graph.n_nodes)])
    np.testing.assert_allclose(minutes[0], expected, atol=1e-12)
    assert np.all((labels[0] >= 0) == np.isfinite(expected))


def test_processes_give_the_same_answer(graphs: dict[str, RoadGraph]) -> None:
    graph = graphs["saint-barthelemy"]
    rng = np.random.default_rng(4)
    seeds = rng.choice(graph.n_nodes, 12, replace=False)
    groups = [np.arange(0, 4), np.arange(4, 12), np.arange(0, 0)]
    legs = rng.uniform(0, 2, seeds.size)
    everyone = np.arange(graph.n_nodes)
    serial = _engine.nearest_by_group(graph, seeds, legs, groups, everyone, n_jobs=1)
    shared = _engine.nearest_by_group(graph, seeds, legs, groups, everyone, n_jobs=2)
    np.testing.assert_array_equal(serial[0], shared[0])
    np.testing.assert_array_equal(serial[1], shared[1])
    assert np.all(np.isinf(serial[0][2])) and np.all(serial[1][2] == -1)
