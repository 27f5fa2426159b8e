"""Times agree exactly (float tolerance) with networkx and igraph on the same graphs."""

from __future__ import annotations

import geopandas as gpd
import igraph
import networkx as nx
import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from maillage.network import _engine
from maillage.network.graph import RoadGraph
from maillage.network.nearest import nearest_services, travel_time_matrix

from .conftest import EXTRACTS

TOLERANCE = 1e-9  # minutes


def _networkx(graph: RoadGraph) -> nx.DiGraph:
    edges = graph.edges()
    digraph = nx.DiGraph()
    digraph.add_nodes_from(range(graph.n_nodes))
    digraph.add_weighted_edges_from(
        zip(edges.source.tolist(), edges.target.tolist(), edges.minutes.tolist(), strict=True)
    )
    return digraph


def _igraph(graph: RoadGraph) -> igraph.Graph:
    edges = graph.edges()
    return igraph.Graph(
        n=graph.n_nodes,
        edges=list(zip(edges.source.tolist(), edges.target.tolist(), strict=True)),
        directed=True,
        edge_attrs={"minutes": edges.minutes.tolist()},
    )


def _random_types(graph: RoadGraph, n_types: int, seed: int) -> tuple[np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    groups, nodes, start = [], [], 0
    for _ in range(n_types):
        size = int(rng.integers(1, 30))
        nodes.append(rng.choice(graph.n_nodes, size=size, replace=False))
        groups.append(np.arange(start, start + size))
        start += size
    return np.concatenate(nodes), groups


@pytest.mark.parametrize("name", list(EXTRACTS))
def test_nearest_of_each_type_equals_networkx(graphs: dict[str, RoadGraph], name: str) -> None:
    graph = graphs[name]
    seeds, groups = _random_types(graph, 3 if name == "malta" else 6, seed=len(name))
    legs = np.random.default_rng(7).uniform(0, 3, seeds.size)
    minutes, labels = _engine.nearest_by_group(
        graph, seeds, legs, groups, np.arange(graph.n_nodes), n_jobs=1
    )
    reverse = _networkx(graph).reverse(copy=False)
    for k, group in enumerate(groups):
        # networkx: a super source linked to every service by its leg, on the reversed graph
        with_source = nx.DiGraph(reverse)
        with_source.add_weighted_edges_from(("s", int(seeds[i]), float(legs[i])) for i in group)
        expected = nx.single_source_dijkstra_path_length(with_source, "s")
        truth = np.array([expected.get(v, np.inf) for v in range(graph.n_nodes)])
        np.testing.assert_allclose(minutes[k], truth, rtol=0, atol=TOLERANCE)
        # the service named is one at that time
        chosen = seeds[labels[k]]
        direct = dijkstra(graph.csr().T.tocsr(), indices=np.unique(chosen[:50]))
        index = {node: row for row, node in enumerate(np.unique(chosen[:50]))}
        for v in range(50):
            at = direct[index[chosen[v]], v] + legs[labels[k][v]]
            assert abs(at - minutes[k][v]) < TOLERANCE


@pytest.mark.parametrize("name", ["monaco", "andorra", "malta"])
def test_matrix_equals_igraph(graphs: dict[str, RoadGraph], name: str) -> None:
    graph = graphs[name]
    rng = np.random.default_rng(3)
    origin_nodes = rng.choice(graph.n_nodes, 12, replace=False)
    service_nodes = rng.choice(graph.n_nodes, 40, replace=False)
    origins = gpd.GeoDataFrame(
        {"origin_id": [f"o{i}" for i in range(12)]},
        geometry=gpd.points_from_xy(graph.lon[origin_nodes], graph.lat[origin_nodes]),
        crs=4326,
    )
    services = gpd.GeoDataFrame(
        {"service_id": [f"s{i}" for i in range(40)], "type": ["A", "B"] * 20},
        geometry=gpd.points_from_xy(graph.lon[service_nodes], graph.lat[service_nodes]),
        crs=4326,
    )
    g = _igraph(graph)
    truth = np.array(
        g.distances(source=origin_nodes.tolist(), target=service_nodes.tolist(), weights="minutes")
    )
    matrix = travel_time_matrix(graph, origins, services, cutoff_minutes=10.0)
    got = np.full(truth.shape, np.inf)
    rows = matrix.origin_id.str[1:].astype(int).to_numpy()
    cols = matrix.service_id.str[1:].astype(int).to_numpy()
    got[rows, cols] = matrix.minutes.to_numpy()
    within = truth <= 10.0 - 1e-9
    np.testing.assert_allclose(got[within], truth[within], rtol=0, atol=1e-9)
    assert np.all(np.isinf(got[truth > 10.0 + 1e-9]))
    # more services than origins on the other side: searches run from the services
    flipped = travel_time_matrix(
        graph,
        services,
        origins,
        cutoff_minutes=10.0,
        origin_id="service_id",
        service_id="origin_id",
    )
    assert len(flipped) > 0
    nearest = nearest_services(graph, origins, services)
    for kind in ("A", "B"):
        columns = np.flatnonzero(services["type"].to_numpy() == kind)
        best = truth[:, columns].min(axis=1)
        got_kind = nearest[nearest.type == kind].minutes.to_numpy()
        np.testing.assert_allclose(got_kind, best, rtol=0, atol=1e-9)


def test_public_nearest_adds_both_legs(graphs: dict[str, RoadGraph]) -> None:
    graph = graphs["andorra"]
    rng = np.random.default_rng(11)
    nodes = rng.choice(graph.n_nodes, 30, replace=False)
    # move points 100 m east of their node, in Lambert-93
    points = gpd.GeoSeries(gpd.points_from_xy(graph.x[nodes] + 100.0, graph.y[nodes]), crs=2154)
    origins = gpd.GeoDataFrame({"commune": [f"c{i}" for i in range(10)]}, geometry=points[:10])
    services = gpd.GeoDataFrame(
        {"id": [f"s{i}" for i in range(20)], "type": ["D265"] * 10 + ["C104"] * 10},
        geometry=points[10:].to_numpy(),
        crs=2154,
    ).to_crs(4326)
    table = nearest_services(graph, origins, services, origin_id="commune", service_id="id")
    assert list(table.columns) == ["commune", "type", "id", "minutes", "method"]
    assert len(table) == 20 and set(table.type) == {"C104", "D265"}
    assert (table.method == "road").all()
    from maillage.network.snapping import snap_points

    so = snap_points(graph, origins, id_column="commune")
    ss = snap_points(graph, services, id_column="id")
    full = dijkstra(graph.csr(), indices=so.node.to_numpy())
    service_types = services["type"].to_numpy()
    for row in table.itertuples():
        i = int(np.flatnonzero(so.commune.to_numpy() == row.commune)[0])
        j = int(np.flatnonzero(ss.id.to_numpy() == row.id)[0])
        leg_o = so.snap_minutes.to_numpy()[i]
        expected = leg_o + full[i, ss.node.to_numpy()[j]] + ss.snap_minutes.to_numpy()[j]
        assert row.minutes == pytest.approx(expected, abs=1e-9)
        same = service_types == row.type
        times = leg_o + full[i, ss.node.to_numpy()[same]] + ss.snap_minutes.to_numpy()[same]
        assert row.minutes == pytest.approx(float(np.min(times)), abs=1e-9)
    assert (so.snap_m <= 100.0 + 1e-6).all() and (so.snap_m > 0).all()
