"""Public-transport travel times (walk + train/coach + walk) behind the travel-time protocol.

A journey walks from the origin (town hall, grid cell) to a station, rides one or more
trips of the day's timetable with changes, then walks from a station to the service:

* **walking** at :data:`WALK_SPEED_KPH` (4.5 km/h, the usual pedestrian speed of journey
  planners: R5/r5py's default walking speed is 5 km/h, OpenTripPlanner's 4.8 km/h; 4.5
  allows for the slopes of mountain villages), along the road graph when one is given
  (every road walkable both ways, length at 4.5 km/h, the leg off the road too), else
  by straight line × :data:`~maillage.network.straight_line.DETOUR_COEFFICIENT` (1.4), an
  estimate the outputs label as such. Each walking leg is at most ``max_walk_minutes``;
* **riding**: the RAPTOR search (:mod:`maillage.network._raptor`) over a departure
  window, by default a weekday 7:00–9:00.

``minutes`` is the **shortest journey that leaves in the window**: for every departure
time ``τ`` in the window, the earliest arrival ``EA(τ)`` at the service, and

.. math:: \\text{minutes} = \\min_{\\tau \\in [t_0, t_1]} \\big(EA(\\tau) - \\tau\\big)

— one leaves home at the best moment, so waiting at home is not counted, waiting at a
station is. Only departures that meet a train or coach at an access station matter, so
the window is scanned at those instants, from the latest to the earliest, keeping the
labels (rRAPTOR). A service within walking distance is reached on foot when that is
faster. The journey also says whether a **return the same day** exists: leaving the
service ``stay_minutes`` after arriving and home before ``return_before``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from maillage._errors import MaillageError
from maillage.network import _raptor
from maillage.network.graph import RoadGraph
from maillage.network.model import Method, RoadModel, StraightLineModel, _no_coordinates
from maillage.network.snapping import _check_points
from maillage.network.straight_line import DETOUR_COEFFICIENT
from maillage.sources.gtfs import TransitFeed

__all__ = [
    "DEFAULT_WINDOW",
    "MAX_WALK_MINUTES",
    "WALK_SPEED_KPH",
    "TransitModel",
    "parse_clock",
    "parse_window",
    "walking_graph",
]

#: Walking speed (km/h), see the module docstring.
WALK_SPEED_KPH = 4.5
#: Longest walk from the origin to a station, and from a station to the service (minutes).
MAX_WALK_MINUTES = 30.0
#: Default departure window: a weekday morning.
DEFAULT_WINDOW = "07:00-09:00"

#: ``07:00``, ``7:00``, and the French ``7h``, ``7h30``.
_TIME = re.compile(r"^\s*(\d{1,2})\s*(?::(\d{2})|[hH](\d{2})?)\s*$")


def parse_clock(text: str) -> float:
    """``"07:00"``, ``"7h30"`` → seconds after midnight (French error when unreadable).

    Examples
    --------
    >>> parse_clock("7h30"), parse_clock("09:00")
    (27000.0, 32400.0)
    """
    match = _TIME.match(text)
    minutes = 0 if match is None else int(match.group(2) or match.group(3) or 0)
    if match is None or minutes >= 60:
        raise MaillageError(
            f"Heure « {text} » illisible. Correction : écrivez-la HH:MM (ex. 07:00) ou 7h30."
        )
    return int(match.group(1)) * 3600.0 + minutes * 60.0


def parse_window(text: str) -> tuple[float, float]:
    """``"07:00-09:00"`` → seconds after midnight of the window's start and end.

    Examples
    --------
    >>> parse_window("07:00-09:00"), parse_window("7h-9h30")
    ((25200.0, 32400.0), (25200.0, 34200.0))
    >>> parse_window("7-9")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    maillage._errors.MaillageError: Heure « 7 » illisible. Correction : écrivez-la HH:MM ...
    """
    parts = text.split("-")
    if len(parts) != 2:
        raise MaillageError(
            f"Plage de départ « {text} » illisible. Correction : écrivez-la HH:MM-HH:MM "
            "(ex. 07:00-09:00)."
        )
    start, end = parse_clock(parts[0]), parse_clock(parts[1])
    if end < start:
        raise MaillageError(
            f"Plage de départ « {text} » : la fin précède le début. Correction : "
            "écrivez l'heure la plus tôt d'abord (ex. 07:00-09:00)."
        )
    return start, end


def _hhmm(seconds: float) -> str | None:
    if not np.isfinite(seconds):
        return None
    minutes = round(seconds / 60.0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def walking_graph(graph: RoadGraph, *, speed_kph: float = WALK_SPEED_KPH) -> RoadGraph:
    """The road graph for pedestrians: every edge both ways, its length at ``speed_kph``.

    Examples
    --------
    >>> g = RoadGraph.from_edges([0], [1], [0.1], lon=[0, 0.01], lat=[0, 0])
    >>> w = walking_graph(g)
    >>> w.n_edges, round(float(w.minutes[0]), 1)  # 1,113 m at 4.5 km/h
    (2, 14.8)
    """
    tails = graph.tails()
    heads = graph.indices.astype(np.int64)
    length = np.concatenate([graph.length_m, graph.length_m])
    way = graph.way_id[graph.edge_way]
    return RoadGraph.from_edges(
        np.concatenate([tails, heads]),
        np.concatenate([heads, tails]),
        length * 60.0 / (speed_kph * 1000.0),
        lon=graph.lon,
        lat=graph.lat,
        length_m=length,
        way_id=np.concatenate([way, way]),
        node_id=graph.node_id,
    )


@dataclass(frozen=True, eq=False)
class TransitModel:
    """Travel times by public transport and walking, for one day and a departure window.

    Implements :class:`~maillage.network.model.TravelTimeModel`; :meth:`journeys` gives
    the detail (departure, arrival, walk only, return the same day).

    Parameters
    ----------
    feed
        The day's timetable (:func:`~maillage.sources.gtfs.read_gtfs`).
    graph
        The road graph, for walking along the roads; ``None``: straight line × detour.
    window
        Departure window, ``"HH:MM-HH:MM"``.
    max_walk_minutes
        Longest walking leg at each end.
    max_journey_minutes
        Longer journeys count as no access.
    stay_minutes, return_before
        Time spent at the service before the return, and latest arrival home
        (``"HH:MM"``) for the return to count.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from maillage.sources.gtfs import read_gtfs
    >>> model = TransitModel(read_gtfs(day="2025-02-04", bounds=(6.0, 45.1, 7.2, 45.6)))
    >>> home = gpd.GeoDataFrame({"origin_id": ["Modane"]}, geometry=[Point(6.6665, 45.1925)],
    ...                         crs=4326)
    >>> hospital = gpd.GeoDataFrame({"service_id": ["CH"], "type": ["D106"]},
    ...                             geometry=[Point(6.3495, 45.2740)], crs=4326)
    >>> trip = model.journeys(home, hospital)
    >>> trip[["service_id", "departure", "arrival", "return_arrival"]].iloc[0].tolist()
    ['CH', '07:41', '08:39', '10:58']
    >>> bool(trip["return_same_day"].iloc[0])
    True
    >>> round(float(trip["minutes"].iloc[0]))  # walk, train to Saint-Jean-de-Maurienne, walk
    58
    >>> model.method, model.walk_method
    (<Method.TRANSIT: 'transit'>, <Method.STRAIGHT_LINE: 'straight_line'>)
    """

    feed: TransitFeed
    graph: RoadGraph | None = None
    window: str = DEFAULT_WINDOW
    max_walk_minutes: float = MAX_WALK_MINUTES
    max_journey_minutes: float = 180.0
    stay_minutes: float = 30.0
    return_before: str = "23:59"

    @property
    def method(self) -> Method:
        """:attr:`Method.TRANSIT`."""
        return Method.TRANSIT

    @property
    def walk_method(self) -> Method:
        """How walking legs are computed: along the roads, or straight line × detour."""
        return Method.STRAIGHT_LINE if self.graph is None else Method.ROAD

    @cached_property
    def timetable(self) -> _raptor.Timetable:
        """The feed in RAPTOR's arrays (built once)."""
        return _raptor.build_timetable(self.feed)

    @cached_property
    def walker(self) -> RoadModel | StraightLineModel:
        """The walking model (road graph at 4.5 km/h, or straight line × 1.4 at 4.5 km/h)."""
        if self.graph is None:
            return StraightLineModel(
                detour_coefficient=DETOUR_COEFFICIENT, speed_kph=WALK_SPEED_KPH
            )
        return RoadModel(walking_graph(self.graph), offroad_speed_kph=WALK_SPEED_KPH)

    def walk(self, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame) -> pd.DataFrame:
        """Walking legs within ``max_walk_minutes``: ``origin, destination, seconds`` (rows)."""
        left = gpd.GeoDataFrame(
            {"o": np.arange(len(origins))}, geometry=origins.geometry.values, crs=origins.crs
        )
        right = gpd.GeoDataFrame(
            {"d": np.arange(len(destinations))},
            geometry=destinations.geometry.values,
            crs=destinations.crs,
        )
        if left.empty or right.empty:
            return pd.DataFrame({"origin": [], "destination": [], "seconds": []})
        table = self.walker.matrix(
            left, right, cutoff_minutes=self.max_walk_minutes, origin_id="o", destination_id="d"
        )
        return pd.DataFrame(
            {
                "origin": table["o"].to_numpy(np.int64),
                "destination": table["d"].to_numpy(np.int64),
                "seconds": table["minutes"].to_numpy(np.float64) * 60.0,
            }
        )

    def journeys(
        self,
        origins: gpd.GeoDataFrame,
        services: gpd.GeoDataFrame,
        *,
        groups: str = "type",
        origin_id: str = "origin_id",
        service_id: str = "service_id",
    ) -> pd.DataFrame:
        """The best journey from every origin to the nearest service of every group.

        Returns
        -------
        pandas.DataFrame
            One row per origin × group (origins in input order, groups sorted):
            ``<origin_id>, <groups>, <service_id>, minutes`` (NaN when unreachable),
            ``departure``, ``arrival`` (``"HH:MM"``), ``walk_only``, ``return_same_day``
            (a return the same day exists), ``return_arrival``.
        """
        _check_points(origins, origin_id)
        _check_points(services, service_id)
        if groups not in services.columns:
            raise MaillageError(
                f"Colonne « {groups} » absente des services. Correction : indiquez la colonne "
                "qui groupe les services (type, family...)."
            )
        labels = services[groups].to_numpy()
        group_names = sorted(pd.unique(labels[pd.notna(labels)]), key=str)
        group_of = pd.Series(np.arange(len(group_names)), index=pd.Index(group_names, dtype=object))
        service_group = services[groups].map(group_of).to_numpy(dtype=np.float64)
        result = self._search(origins, services, service_group, len(group_names))
        table = pd.DataFrame(
            {
                origin_id: np.repeat(origins[origin_id].to_numpy(), len(group_names)),
                groups: np.tile(np.array(group_names, dtype=object), len(origins)),
            }
        )
        ids = services[service_id].to_numpy()
        best = result["service"].ravel()
        table[service_id] = np.where(best >= 0, ids[np.maximum(best, 0)], None)
        table["minutes"] = result["seconds"].ravel() / 60.0
        table["departure"] = [_hhmm(s) for s in result["departure"].ravel()]
        table["arrival"] = [_hhmm(s) for s in result["arrival"].ravel()]
        table["walk_only"] = result["walk_only"].ravel()
        table["return_same_day"] = result["return"].ravel()
        table["return_arrival"] = [_hhmm(s) for s in result["return_arrival"].ravel()]
        return table

    def _search(
        self,
        origins: gpd.GeoDataFrame,
        services: gpd.GeoDataFrame,
        service_group: npt.NDArray[np.float64],
        n_groups: int,
    ) -> dict[str, npt.NDArray[Any]]:
        start_s, end_s = parse_window(self.window)
        stations = self.feed.stations
        access = self.walk(origins, stations)
        egress = self.walk(services, stations)
        direct = self.walk(origins, services)
        n_origins = len(origins)
        shape = (n_origins, n_groups)
        out: dict[str, npt.NDArray[Any]] = {
            "seconds": np.full(shape, np.inf),
            "service": np.full(shape, -1, dtype=np.int64),
            "departure": np.full(shape, np.nan),
            "arrival": np.full(shape, np.nan),
            "walk_only": np.zeros(shape, dtype=bool),
            "return": np.zeros(shape, dtype=bool),
            "return_arrival": np.full(shape, np.nan),
        }
        grouped = egress.rename(columns={"origin": "service", "destination": "station"})
        grouped = grouped.assign(group=service_group[grouped["service"].to_numpy()])
        grouped = grouped[np.isfinite(grouped["group"])]
        # For each group and station: the nearest service of the group on foot.
        grouped = grouped.sort_values(["group", "station", "seconds"]).drop_duplicates(
            ["group", "station"]
        )
        eg_station = grouped["station"].to_numpy(np.int64)
        eg_group = grouped["group"].to_numpy(np.int64)
        eg_seconds = grouped["seconds"].to_numpy(np.float64)
        eg_service = grouped["service"].to_numpy(np.int64)
        table = self.timetable
        latest = self.max_journey_minutes * 60.0
        for row, legs in access.groupby("origin"):
            walk_to = legs["destination"].to_numpy(np.int64)
            walk_s = legs["seconds"].to_numpy(np.float64)
            departures = _departures(table, walk_to, walk_s, start_s, end_s)
            arrival = np.full(table.n_stations, np.inf)
            ready = np.full(table.n_stations, np.inf)
            for tau in departures:
                _raptor.run(table, arrival, ready, walk_to, tau + walk_s, tau + latest)
                reach = arrival[eg_station] + eg_seconds - tau
                for k in np.flatnonzero(reach < out["seconds"][row, eg_group]):
                    group = eg_group[k]
                    if reach[k] < out["seconds"][row, group]:
                        out["seconds"][row, group] = reach[k]
                        out["service"][row, group] = eg_service[k]
                        out["departure"][row, group] = tau
                        out["arrival"][row, group] = tau + reach[k]
        for o, s, seconds in direct.itertuples(index=False):
            group = service_group[s]
            if np.isfinite(group) and seconds <= out["seconds"][o, int(group)]:
                out["seconds"][o, int(group)] = seconds
                out["service"][o, int(group)] = s
                out["walk_only"][o, int(group)] = True
                out["departure"][o, int(group)] = np.nan
                out["arrival"][o, int(group)] = np.nan
        out["seconds"][out["seconds"] > latest] = np.inf
        lost = ~np.isfinite(out["seconds"])
        out["service"][lost] = -1
        out["departure"][lost] = np.nan
        out["arrival"][lost] = np.nan
        self._returns(out, access, egress)
        out["seconds"][~np.isfinite(out["seconds"])] = np.nan
        return out

    def _returns(
        self, out: dict[str, npt.NDArray[Any]], access: pd.DataFrame, egress: pd.DataFrame
    ) -> None:
        """Fill ``return``/``return_arrival``: home the same day after ``stay_minutes``."""
        out["return"][out["walk_only"]] = True
        deadline = parse_clock(self.return_before)
        table = self.timetable
        home = {
            o: (g["destination"].to_numpy(np.int64), g["seconds"].to_numpy(np.float64))
            for o, g in access.groupby("origin")
        }
        near = {
            s: (g["destination"].to_numpy(np.int64), g["seconds"].to_numpy(np.float64))
            for s, g in egress.groupby("origin")
        }
        cache: dict[tuple[int, float], npt.NDArray[np.float64]] = {}
        for o, group in zip(*np.nonzero(np.isfinite(out["arrival"])), strict=True):
            service = int(out["service"][o, group])
            leave = float(out["arrival"][o, group]) + self.stay_minutes * 60.0
            key = (service, leave)
            if key not in cache:
                stations, seconds = near[service]
                arrival = np.full(table.n_stations, np.inf)
                ready = np.full(table.n_stations, np.inf)
                _raptor.run(table, arrival, ready, stations, leave + seconds, deadline)
                cache[key] = arrival
            stations, seconds = home[o]
            back = float(np.min(cache[key][stations] + seconds))
            if back <= deadline:
                out["return"][o, group] = True
                out["return_arrival"][o, group] = back

    def nearest(
        self,
        origins: gpd.GeoDataFrame,
        services: gpd.GeoDataFrame,
        *,
        groups: str = "type",
        origin_id: str = "origin_id",
        service_id: str = "service_id",
    ) -> pd.DataFrame:
        """See :meth:`~maillage.network.model.TravelTimeModel.nearest`."""
        table = self.journeys(
            origins, services, groups=groups, origin_id=origin_id, service_id=service_id
        )
        return table[[origin_id, groups, service_id, "minutes"]]

    def matrix(
        self,
        origins: gpd.GeoDataFrame,
        destinations: gpd.GeoDataFrame,
        *,
        cutoff_minutes: float | None = None,
        origin_id: str = "origin_id",
        destination_id: str = "service_id",
    ) -> pd.DataFrame:
        """See :meth:`~maillage.network.model.TravelTimeModel.matrix`."""
        _check_points(destinations, destination_id)
        each = destinations.assign(_each=np.arange(len(destinations)))
        table = self.journeys(
            origins, each, groups="_each", origin_id=origin_id, service_id=destination_id
        )
        table = table.assign(_row=np.repeat(np.arange(len(origins)), len(destinations)))
        keep = table["minutes"].notna()
        if cutoff_minutes is not None:
            keep &= table["minutes"] <= cutoff_minutes
        table = table[keep].sort_values(["_row", "minutes"], kind="stable")
        return table[[origin_id, destination_id, "minutes"]].reset_index(drop=True)

    def unplaced(self, points: gpd.GeoDataFrame, *, id_column: str) -> pd.DataFrame:
        """Points without coordinates (``no_coordinates``); a point far from every station
        is placed: it simply has no access (NaN)."""
        return _no_coordinates(points, id_column)


def _departures(
    table: _raptor.Timetable,
    stations: npt.NDArray[np.int64],
    walk_s: npt.NDArray[np.float64],
    start_s: float,
    end_s: float,
) -> npt.NDArray[np.float64]:
    """Departure instants from home that meet a boardable call, latest first."""
    instants = []
    for station, seconds in zip(stations, walk_s, strict=True):
        times = table.departures_s[
            table.departures_ptr[station] : table.departures_ptr[station + 1]
        ]
        lo = np.searchsorted(times, start_s + seconds, side="left")
        hi = np.searchsorted(times, end_s + seconds, side="right")
        instants.append(times[lo:hi] - seconds)
    if not instants:
        return np.zeros(0)
    return np.unique(np.concatenate(instants))[::-1]
