"""Snapping rules and the labelled straight-line estimate."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from maillage._errors import MaillageError
from maillage.network import straight_line
from maillage.network.graph import RoadGraph
from maillage.network.nearest import nearest_services
from maillage.network.snapping import OFFROAD_SPEED_KPH, SnapWarning, snap_points
from maillage.network.straight_line import (
    nearest_services_straight_line,
    travel_time_matrix_straight_line,
)


def test_points_without_crs_are_refused(graphs: dict[str, RoadGraph]) -> None:
    points = gpd.GeoDataFrame({"id": [1]}, geometry=[Point(1.52, 42.51)])
    with pytest.raises(MaillageError, match=r"système de coordonnées.*Correction"):
        snap_points(graphs["andorra"], points, id_column="id")
    with pytest.raises(MaillageError, match="« code »"):
        snap_points(graphs["andorra"], points.set_crs(4326), id_column="code")


def test_far_points_are_reported_not_snapped(graphs: dict[str, RoadGraph]) -> None:
    graph = graphs["andorra"]
    node = 100
    near = Point(graph.x[node], graph.y[node])
    far = Point(graph.x[node] + 50_000.0, graph.y[node] + 50_000.0)
    points = gpd.GeoDataFrame({"id": ["near", "far"]}, geometry=[near, far], crs=2154)
    snapped = snap_points(graph, points, id_column="id")
    assert snapped.too_far.tolist() == [False, True]
    assert snapped.snap_m.iloc[0] == pytest.approx(0.0, abs=1e-6)
    one_km = snap_points(graph, points, id_column="id", max_snap_m=1e9)
    expected = one_km.snap_m.iloc[1] * 60 / (OFFROAD_SPEED_KPH * 1000)
    assert one_km.snap_minutes.iloc[1] == pytest.approx(expected)
    services = gpd.GeoDataFrame({"service_id": ["s"], "type": ["D265"]}, geometry=[near], crs=2154)
    origins = points.rename(columns={"id": "origin_id"})
    with pytest.warns(SnapWarning, match="far"):
        table = nearest_services(graph, origins, services)
    assert table.minutes.iloc[0] == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(table.minutes.iloc[1]) and table.service_id.isna().iloc[1]


def test_straight_line_is_labelled_and_follows_the_formula() -> None:
    origins = gpd.GeoDataFrame(
        {"origin_id": ["a", "b"]}, geometry=[Point(6.35, 45.27), Point(6.60, 45.20)], crs=4326
    )
    services = gpd.GeoDataFrame(
        {"service_id": ["s1", "s2", "s3"], "type": ["D265", "D265", "C104"]},
        geometry=[Point(6.40, 45.27), Point(6.62, 45.21), Point(6.50, 45.25)],
        crs=4326,
    ).to_crs(2154)
    table = nearest_services_straight_line(origins, services)
    assert (table.method == "straight_line").all()
    assert table.origin_id.tolist() == ["a", "a", "b", "b"]
    d265 = table[table["type"] == "D265"].set_index("origin_id").service_id
    assert d265.to_dict() == {"a": "s1", "b": "s2"}
    factor = straight_line.DETOUR_COEFFICIENT * 60 / (straight_line.STRAIGHT_LINE_SPEED_KPH * 1000)
    np.testing.assert_allclose(table.minutes, table.distance_m * factor)
    matrix = travel_time_matrix_straight_line(origins, services, cutoff_minutes=10.0)
    assert (matrix.minutes <= 10.0).all() and (matrix.method == "straight_line").all()
    full = travel_time_matrix_straight_line(origins, services, cutoff_minutes=1e6)
    assert len(full) == 6


def test_communes_without_coordinates_get_no_time_and_a_warning() -> None:
    """Real defect of the shipped table: 4 Cantal communes have no point (NaN)."""
    import warnings as _warnings

    from maillage.network.snapping import SnapWarning
    from maillage.network.straight_line import (
        nearest_services_straight_line,
        travel_time_matrix_straight_line,
    )
    from maillage.services.catalogue import builtin_services
    from maillage.sources.communes import read_communes

    communes = read_communes()
    chosen = communes[communes["commune"].isin(["15031", "15014"])]
    assert chosen.set_index("commune").geometry.is_empty.get("15031") or (
        chosen.set_index("commune").geometry.x.isna().get("15031")
    )
    origins = chosen.rename(columns={"commune": "origin_id"})[["origin_id", "geometry"]]
    services = builtin_services("france_services")
    services = services[services["commune"].str.startswith("15")]
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always", SnapWarning)
        nearest = nearest_services_straight_line(origins, services)
        matrix = travel_time_matrix_straight_line(origins, services, cutoff_minutes=60)
    assert any("15031" in str(w.message) for w in caught)
    by_origin = nearest.set_index("origin_id")
    assert pd.isna(by_origin.loc["15031", "minutes"])
    assert pd.isna(by_origin.loc["15031", "service_id"])
    assert by_origin.loc["15014", "minutes"] > 0
    assert "15031" not in set(matrix["origin_id"]) and "15014" in set(matrix["origin_id"])
