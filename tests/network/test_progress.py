"""Long steps show a progress bar on stderr (forced on here: pytest's stderr is no TTY)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from maillage.network.graph import build_graph
from maillage.network.nearest import nearest_services

from .conftest import EXTRACTS


def test_reading_a_pbf_and_times_per_type_show_progress(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("MAILLAGE_PROGRESS", "1")
    graph = build_graph(EXTRACTS["saint-barthelemy"], use_cache=False)
    read = capsys.readouterr().err
    # one bar a pass over the file, in bytes (octets)
    assert "Lecture de saint-barthelemy-2014.osm.pbf (voies)" in read
    assert "Lecture de saint-barthelemy-2014.osm.pbf (nœuds)" in read
    assert "o/s" in read
    # Three service types at real graph nodes, one origin per node sample.
    rng = np.random.default_rng(0)
    nodes = rng.choice(graph.n_nodes, size=9, replace=False)
    points = [Point(x, y) for x, y in zip(graph.lon[nodes], graph.lat[nodes], strict=True)]
    services = gpd.GeoDataFrame(
        {"service_id": [f"s{i}" for i in range(6)], "type": ["A", "A", "B", "B", "C", "C"]},
        geometry=points[:6],
        crs="EPSG:4326",
    )
    origins = gpd.GeoDataFrame(
        {"origin_id": ["o1", "o2", "o3"]}, geometry=points[6:], crs="EPSG:4326"
    )
    times = nearest_services(graph, origins, services, n_jobs=1)
    assert len(times) == 9
    bar = capsys.readouterr().err
    assert "Temps d'accès par type de service" in bar
    assert "/3 " in bar  # the total: one step per service type


@pytest.mark.parametrize("setting", ["0", ""])
def test_no_bar_when_off_or_not_a_terminal(monkeypatch, capsys, setting) -> None:
    monkeypatch.setenv("MAILLAGE_PROGRESS", setting)
    build_graph(EXTRACTS["saint-barthelemy"], use_cache=False)
    assert "Lecture" not in capsys.readouterr().err
