"""The nodes of a partition's crop, found cell by cell, are exactly those within the ring.

Reference: the plain search (a k-d tree of the partition's points queried with every
node of the graph, the method used before the cells). Graph: the real Malta extract;
points: graph nodes drawn at random (seeded) and moved by 100 m, as commune points are
off the roads.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from scipy.spatial import cKDTree

from maillage.network.graph import build_graph
from maillage.scale.partition import _graph_nodes_within

MALTA = Path(__file__).resolve().parents[1] / "data" / "osm" / "malta-2018-08-29.osm.pbf"


@pytest.mark.parametrize(("radius_km", "points"), [(0.5, 5), (3.0, 1), (7.0, 12), (40.0, 3)])
def test_cells_find_the_nodes_the_plain_search_finds(radius_km: float, points: int) -> None:
    graph = build_graph(MALTA, cache_dir=tempfile.mkdtemp())
    rng = np.random.default_rng(points)
    pick = rng.choice(graph.n_nodes, points, replace=False)
    origins = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(graph.lon[pick] + 0.001, graph.lat[pick]), crs=4326
    )
    xy = origins.geometry.to_crs(graph.crs)
    tree = cKDTree(np.column_stack([xy.x, xy.y]))
    distance, _ = tree.query(
        np.column_stack([graph.x, graph.y]), distance_upper_bound=radius_km * 1000
    )
    found = _graph_nodes_within(graph, origins, radius_km)
    np.testing.assert_array_equal(found, np.isfinite(distance))
    assert 0 < found.sum() <= graph.n_nodes


def test_crops_of_a_cached_graph_are_kept_for_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maillage.network.graph import RoadGraph
    from maillage.network.model import RoadModel
    from maillage.scale import partition

    graph = build_graph(MALTA)  # the (test-isolated) default cache: the graph has a key
    keep = np.zeros(graph.n_nodes, dtype=bool)
    keep[: graph.n_nodes // 3] = True
    first = partition._cropped(RoadModel(graph), keep, tmp_path, "21-ete")
    assert isinstance(first, partition.StoredRoadModel)
    assert first.path.parent.name == "partitions" and first.path.is_file()
    expected = partition.crop_graph(graph, keep)

    def no_crop(*args: object) -> None:
        raise AssertionError("the crop should come from the cache")

    monkeypatch.setattr(partition, "crop_graph", no_crop)
    again = partition._cropped(RoadModel(build_graph(MALTA)), keep, tmp_path, "21-ete")
    assert isinstance(again, partition.StoredRoadModel) and again.path == first.path
    loaded = RoadGraph.load(again.path)
    for name in ("node_id", "indptr", "indices", "minutes", "way_name"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(expected, name))
    # another set of nodes, or a graph with closed roads, is another file
    other = keep.copy()
    other[-1] = True
    monkeypatch.undo()
    assert partition._cropped(RoadModel(graph), other, tmp_path, "21-ete").path != first.path
    closed = graph.without_ways([int(graph.way_id[0])])
    assert partition._cropped(RoadModel(closed), keep, tmp_path, "21-ete").path != first.path
