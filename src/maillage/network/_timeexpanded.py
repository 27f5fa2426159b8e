"""An independent reference for public-transport times: a time-expanded graph and Dijkstra.

Used only by the tests and ``benchmarks/transit.py`` to check the RAPTOR search
(:mod:`maillage.network._raptor`); it needs ``networkx`` (a dev/bench dependency).

It is built from the feed's stop times, not from RAPTOR's routes (Pyrga, Schulz, Wagner &
Zaroliagis 2008, "Efficient models for timetable information in public transportation
systems", *ACM J. Exp. Algorithmics* 12): one node per departure and per arrival event
of every trip, one waiting node per boardable departure time at every station, chained in
time. Edges: ride (departure → next arrival), stay on board (arrival → departure of the
same call), board (waiting → departure where boarding is allowed), alight (arrival where
alighting is allowed → first waiting node at or after the arrival plus the station's
change time, or plus the walking time of a ``transfers.txt`` link to another station).
Weights are seconds; a source node at time 0 is linked to the first waiting node at or
after the departure at each source station, so Dijkstra distances are times of day.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from typing import Any

import numpy as np
import numpy.typing as npt

from maillage.sources.gtfs import TransitFeed


class TimeExpandedGraph:
    """The day's timetable as a networkx time-expanded graph.

    Examples
    --------
    >>> from maillage.sources.gtfs import read_gtfs
    >>> feed = read_gtfs(day="2025-02-04", bounds=(6.3, 45.1, 6.7, 45.3))
    >>> reference = TimeExpandedGraph(feed)
    >>> modane = int(feed.stations.index[feed.stations["name"] == "Modane"][0])
    >>> bool(np.isfinite(reference.earliest_arrival(modane, 7 * 3600)).sum() > 5)
    True
    """

    def __init__(self, feed: TransitFeed) -> None:
        import networkx as nx

        self.n_stations = len(feed.stations)
        graph: Any = nx.DiGraph()
        calls = feed.stop_times.sort_values(["trip_id", "sequence"])
        waits: dict[int, list[float]] = defaultdict(list)
        for station, time, pickup in zip(
            calls["station"], calls["departure_s"], calls["pickup"], strict=True
        ):
            if pickup:
                waits[int(station)].append(float(time))
        self.waits = {s: sorted(set(times)) for s, times in waits.items()}
        for station, times in self.waits.items():
            for before, after in itertools.pairwise(times):
                graph.add_edge(
                    ("wait", station, before), ("wait", station, after), weight=after - before
                )
        footpaths: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for a, b, seconds in feed.footpaths.itertuples(index=False):
            footpaths[int(a)].append((int(b), float(seconds)))
        self.footpaths = footpaths
        self.arrivals: dict[int, list[tuple[Any, float]]] = defaultdict(list)
        change = feed.change_s
        for trip, group in calls.groupby("trip_id", sort=False):
            rows = list(
                zip(
                    group["station"],
                    group["arrival_s"],
                    group["departure_s"],
                    group["pickup"],
                    group["drop_off"],
                    strict=True,
                )
            )
            for i, (station, arrival, departure, pickup, drop_off) in enumerate(rows):
                station = int(station)
                if i > 0:
                    graph.add_edge(
                        ("dep", trip, i - 1), ("arr", trip, i), weight=arrival - rows[i - 1][2]
                    )
                    if i < len(rows) - 1:
                        graph.add_edge(
                            ("arr", trip, i), ("dep", trip, i), weight=departure - arrival
                        )
                    if drop_off:
                        self.arrivals[station].append((("arr", trip, i), float(arrival)))
                        self._link(
                            graph, ("arr", trip, i), station, arrival, arrival + change[station]
                        )
                        for other, seconds in footpaths[station]:
                            self._link(graph, ("arr", trip, i), other, arrival, arrival + seconds)
                if pickup and i < len(rows) - 1:
                    graph.add_edge(
                        ("wait", station, float(departure)), ("dep", trip, i), weight=0.0
                    )
        negative = [(u, v) for u, v, w in graph.edges(data="weight") if w < 0]
        if negative:
            raise ValueError(f"temps décroissants dans le flux : {negative[:3]}")
        self.graph = graph

    def _first_wait(self, station: int, time: float) -> float | None:
        times = self.waits.get(station, [])
        k = bisect.bisect_left(times, time)
        return times[k] if k < len(times) else None

    def _link(self, graph: Any, node: Any, station: int, now: float, earliest: float) -> None:
        if not np.isfinite(earliest):
            return
        first = self._first_wait(station, earliest)
        if first is not None:
            graph.add_edge(node, ("wait", station, first), weight=first - now)

    def earliest_arrival(self, station: int, depart_s: float) -> npt.NDArray[np.float64]:
        """Earliest arrival (seconds) at every station, leaving ``station`` at ``depart_s``."""
        return self.earliest_arrival_from([(station, depart_s)])

    def earliest_arrival_from(self, sources: list[tuple[int, float]]) -> npt.NDArray[np.float64]:
        """Earliest arrival at every station, being at each source station at its time.

        The source node sits at time 0, so Dijkstra distances are times of day.
        """
        import networkx as nx

        result = np.full(self.n_stations, np.inf)
        source = ("source",)
        self.graph.add_node(source)
        for station, time in sources:
            result[station] = min(result[station], time)
            first = self._first_wait(station, time)
            if first is not None:
                node = ("wait", station, first)
                weight = min(
                    first, self.graph.get_edge_data(source, node, {"weight": np.inf})["weight"]
                )
                self.graph.add_edge(source, node, weight=weight)
        try:
            distance = nx.single_source_dijkstra_path_length(self.graph, source, weight="weight")
        finally:
            self.graph.remove_node(source)
        by_vehicle = np.full(self.n_stations, np.inf)
        for target, events in self.arrivals.items():
            for node, _ in events:
                if node in distance:
                    by_vehicle[target] = min(by_vehicle[target], distance[node])
        result = np.minimum(result, by_vehicle)
        for origin, links in self.footpaths.items():
            for other, seconds in links:
                result[other] = min(result[other], by_vehicle[origin] + seconds)
        return np.asarray(result, dtype=np.float64)
