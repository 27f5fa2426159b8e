"""RAPTOR earliest-arrival search over one day's timetable (private, numba-compiled).

Delling, Pajor & Werneck (2015), "Round-Based Public Transit Routing", *Transportation
Science* 49(3):591-604. Routes are groups of trips with the same calls (stations, and
whether boarding/alighting is allowed) that never overtake one another, so the earliest
catchable trip at a station is found by binary search. Each round scans the routes
serving the stations improved in the previous round, then the walking links; rounds go
on until nothing improves (no limit on the number of changes).

Two labels per station: ``arrival`` (when one can be there, to walk on to a service)
and ``ready`` (when one can board there: the arrival by vehicle plus the station's change
time; a station reached on foot is ready at once). The range variant (rRAPTOR) runs the
departures of a window from the latest to the earliest, keeping the labels: a label
found for a later departure is a valid journey for an earlier one, and labels are a
fixed point of the relaxation after each run, so every run ends exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt
import pandas as pd

from maillage.sources.gtfs import TransitFeed

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Timetable:
    """The day's trips in RAPTOR's arrays (see :func:`build_timetable`)."""

    n_stations: int
    route_stop_ptr: I64
    route_stops: I64
    route_pick: npt.NDArray[np.bool_]
    route_drop: npt.NDArray[np.bool_]
    route_trips: I64
    route_time_ptr: I64
    arrival_s: F64
    departure_s: F64
    station_route_ptr: I64
    station_route: I64
    station_route_pos: I64
    foot_ptr: I64
    foot_to: I64
    foot_s: F64
    change_s: F64
    departures_ptr: I64
    departures_s: F64


def build_timetable(feed: TransitFeed) -> Timetable:
    """Group the day's trips into non-overtaking routes and lay them out in flat arrays."""
    table = feed.stop_times.sort_values(["trip_id", "sequence"], kind="stable")
    trip_codes, _ = pd.factorize(table["trip_id"])
    bounds = np.flatnonzero(np.diff(trip_codes)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(table)]])
    station = table["station"].to_numpy(np.int64)
    pick = table["pickup"].to_numpy(bool)
    drop = table["drop_off"].to_numpy(bool)
    arrival = table["arrival_s"].to_numpy(np.float64)
    departure = table["departure_s"].to_numpy(np.float64)
    patterns: dict[bytes, list[int]] = {}
    for number, (first, last) in enumerate(zip(starts, ends, strict=True)):
        if last - first < 2:
            continue
        key = (
            station[first:last].tobytes() + pick[first:last].tobytes() + drop[first:last].tobytes()
        )
        patterns.setdefault(key, []).append(number)
    stops_parts: list[I64] = []
    pick_parts: list[npt.NDArray[np.bool_]] = []
    drop_parts: list[npt.NDArray[np.bool_]] = []
    arr_parts: list[F64] = []
    dep_parts: list[F64] = []
    n_trips: list[int] = []
    for trips in patterns.values():
        first = starts[trips[0]]
        length = ends[trips[0]] - first
        times = [
            (arrival[starts[t] : ends[t]], departure[starts[t] : ends[t]])
            for t in sorted(trips, key=lambda t: (departure[starts[t]], arrival[ends[t] - 1]))
        ]
        for group in _fifo_groups(times):
            stops_parts.append(station[first : first + length])
            pick_parts.append(pick[first : first + length])
            drop_parts.append(drop[first : first + length])
            arr_parts.append(np.concatenate([times[i][0] for i in group]))
            dep_parts.append(np.concatenate([times[i][1] for i in group]))
            n_trips.append(len(group))
    lengths = np.array([len(part) for part in stops_parts], dtype=np.int64)
    route_stop_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    route_trips = np.array(n_trips, dtype=np.int64)
    route_time_ptr = np.concatenate([[0], np.cumsum(lengths * route_trips)]).astype(np.int64)
    route_stops = np.concatenate(stops_parts) if stops_parts else np.zeros(0, np.int64)
    n_stations = len(feed.stations)
    route_of_call = np.repeat(np.arange(len(lengths)), lengths)
    position = np.arange(len(route_stops)) - route_stop_ptr[route_of_call]
    order = np.lexsort((position, route_of_call, route_stops))
    counts = np.bincount(route_stops, minlength=n_stations)
    feet = feed.footpaths.sort_values(["from_station", "to_station"])
    foot_from = feet["from_station"].to_numpy(np.int64)
    all_dep = np.concatenate(dep_parts) if dep_parts else np.zeros(0)
    boardable = _boardable_departures(
        route_stops,
        np.concatenate(pick_parts) if pick_parts else np.zeros(0, bool),
        route_stop_ptr,
        route_trips,
        route_time_ptr,
        all_dep,
        n_stations,
    )
    return Timetable(
        n_stations=n_stations,
        route_stop_ptr=route_stop_ptr,
        route_stops=route_stops.astype(np.int64),
        route_pick=np.concatenate(pick_parts) if pick_parts else np.zeros(0, bool),
        route_drop=np.concatenate(drop_parts) if drop_parts else np.zeros(0, bool),
        route_trips=route_trips,
        route_time_ptr=route_time_ptr,
        arrival_s=np.concatenate(arr_parts) if arr_parts else np.zeros(0),
        departure_s=all_dep,
        station_route_ptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        station_route=route_of_call[order].astype(np.int64),
        station_route_pos=position[order].astype(np.int64),
        foot_ptr=np.concatenate(
            [[0], np.cumsum(np.bincount(foot_from, minlength=n_stations))]
        ).astype(np.int64),
        foot_to=feet["to_station"].to_numpy(np.int64),
        foot_s=feet["seconds"].to_numpy(np.float64),
        change_s=np.asarray(feed.change_s, dtype=np.float64),
        departures_ptr=boardable[0],
        departures_s=boardable[1],
    )


def _fifo_groups(times: list[tuple[F64, F64]]) -> list[list[int]]:
    """Split trips (sorted by first departure) into groups where none overtakes another."""
    groups: list[list[int]] = []
    for number, (arr, dep) in enumerate(times):
        for group in groups:
            last_arr, last_dep = times[group[-1]]
            if (arr >= last_arr).all() and (dep >= last_dep).all():
                group.append(number)
                break
        else:
            groups.append([number])
    return groups


def _boardable_departures(
    route_stops: I64,
    route_pick: npt.NDArray[np.bool_],
    route_stop_ptr: I64,
    route_trips: I64,
    route_time_ptr: I64,
    departure_s: F64,
    n_stations: int,
) -> tuple[I64, F64]:
    """Sorted departure times of boardable calls at every station (CSR)."""
    lengths = np.diff(route_stop_ptr)
    stations_parts = []
    times_parts = []
    for route in range(len(lengths)):
        calls = route_stops[route_stop_ptr[route] : route_stop_ptr[route + 1]]
        ok = route_pick[route_stop_ptr[route] : route_stop_ptr[route + 1]]
        grid = departure_s[route_time_ptr[route] : route_time_ptr[route + 1]].reshape(
            route_trips[route], lengths[route]
        )
        stations_parts.append(
            np.broadcast_to(calls[ok], (route_trips[route], int(ok.sum()))).ravel()
        )
        times_parts.append(grid[:, ok].ravel())
    stations = np.concatenate(stations_parts) if stations_parts else np.zeros(0, np.int64)
    times = np.concatenate(times_parts) if times_parts else np.zeros(0)
    order = np.lexsort((times, stations))
    ptr = np.concatenate([[0], np.cumsum(np.bincount(stations, minlength=n_stations))])
    return ptr.astype(np.int64), times[order].astype(np.float64)


@numba.njit(cache=True, nogil=True)
def _earliest_trip(
    departure_s: F64, base: int, n_trips: int, length: int, position: int, ready: float
) -> int:
    lo = 0
    hi = n_trips
    while lo < hi:
        mid = (lo + hi) // 2
        if departure_s[base + mid * length + position] >= ready:
            hi = mid
        else:
            lo = mid + 1
    return lo if lo < n_trips else -1


@numba.njit(cache=True, nogil=True)
def raptor(
    route_stop_ptr: I64,
    route_stops: I64,
    route_pick: npt.NDArray[np.bool_],
    route_drop: npt.NDArray[np.bool_],
    route_trips: I64,
    route_time_ptr: I64,
    arrival_s: F64,
    departure_s: F64,
    station_route_ptr: I64,
    station_route: I64,
    station_route_pos: I64,
    foot_ptr: I64,
    foot_to: I64,
    foot_s: F64,
    change_s: F64,
    arrival: F64,
    ready: F64,
    source_station: I64,
    source_s: F64,
    latest_s: float,
) -> int:
    """Relax ``arrival``/``ready`` in place from the sources; returns the number of rounds."""
    n_routes = route_trips.size
    n_stations = arrival.size
    marked = np.zeros(n_stations, dtype=np.bool_)
    for k in range(source_station.size):
        station = source_station[k]
        time = source_s[k]
        if time < arrival[station]:
            arrival[station] = time
        if time < ready[station]:
            ready[station] = time
            marked[station] = True
    queue = np.full(n_routes, -1, dtype=np.int64)
    rounds = 0
    while True:
        any_route = False
        for station in range(n_stations):
            if not marked[station]:
                continue
            marked[station] = False
            for j in range(station_route_ptr[station], station_route_ptr[station + 1]):
                route = station_route[j]
                position = station_route_pos[j]
                if queue[route] < 0 or position < queue[route]:
                    queue[route] = position
                    any_route = True
        if not any_route:
            break
        rounds += 1
        improved = np.zeros(n_stations, dtype=np.bool_)
        for route in range(n_routes):
            start = queue[route]
            if start < 0:
                continue
            queue[route] = -1
            first = route_stop_ptr[route]
            length = route_stop_ptr[route + 1] - first
            base = route_time_ptr[route]
            n_trips = route_trips[route]
            trip = -1
            for position in range(start, length):
                station = route_stops[first + position]
                if trip >= 0 and route_drop[first + position]:
                    time = arrival_s[base + trip * length + position]
                    if time < arrival[station] and time <= latest_s:
                        arrival[station] = time
                        improved[station] = True
                    if time + change_s[station] < ready[station] and time <= latest_s:
                        ready[station] = time + change_s[station]
                        improved[station] = True
                if (
                    route_pick[first + position]
                    and ready[station] < np.inf
                    and (trip < 0 or ready[station] <= departure_s[base + trip * length + position])
                ):
                    better = _earliest_trip(
                        departure_s, base, n_trips, length, position, ready[station]
                    )
                    if better >= 0 and (trip < 0 or better < trip):
                        trip = better
        for station in range(n_stations):
            if not improved[station]:
                continue
            marked[station] = True
            for j in range(foot_ptr[station], foot_ptr[station + 1]):
                other = foot_to[j]
                time = arrival[station] + foot_s[j]
                if time <= latest_s:
                    if time < arrival[other]:
                        arrival[other] = time
                    if time < ready[other]:
                        ready[other] = time
                        marked[other] = True
    return rounds


def run(
    table: Timetable, arrival: F64, ready: F64, stations: I64, times: F64, latest_s: float
) -> int:
    """:func:`raptor` on a :class:`Timetable` (labels relaxed in place)."""
    return int(
        raptor(
            table.route_stop_ptr,
            table.route_stops,
            table.route_pick,
            table.route_drop,
            table.route_trips,
            table.route_time_ptr,
            table.arrival_s,
            table.departure_s,
            table.station_route_ptr,
            table.station_route,
            table.station_route_pos,
            table.foot_ptr,
            table.foot_to,
            table.foot_s,
            table.change_s,
            arrival,
            ready,
            stations,
            times,
            latest_s,
        )
    )


def earliest_arrival(
    table: Timetable, station: int, depart_s: float, *, latest_s: float = np.inf
) -> F64:
    """Earliest arrival (seconds) at every station leaving ``station`` at ``depart_s``."""
    arrival = np.full(table.n_stations, np.inf)
    ready = np.full(table.n_stations, np.inf)
    run(table, arrival, ready, np.array([station]), np.array([float(depart_s)]), latest_s)
    return arrival
