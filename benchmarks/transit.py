"""Benchmark: public-transport times of every Maurienne commune to every service type.

Runs, in one process, on the shipped national SNCF TER feed (one weekday) and the
built-in territory (53 communes of the Pays de Maurienne, their services and the
services of the 30 km ring):

* load: :func:`maillage.sources.gtfs.read_gtfs` of the *national* feed for the day
  (gtfs-kit reading, calendar, stations) and RAPTOR's arrays;
* maillage: :meth:`maillage.network.transit.TransitModel.journeys`, every commune ×
  every service type, shortest journey leaving in the 7:00–9:00 window, return checked
  (the numba compilation, cached on disk after the first run, is done before timing);
* reference: the same windowed minimum with the time-expanded graph searched by networkx
  Dijkstra (:mod:`maillage.network._timeexpanded`), one search per departure instant, on
  every commune (or ``--reference-origins`` communes with a station within walking
  distance, the time for all 53 then extrapolated per commune: said in the output); the
  answers are compared with maillage's;
* r5py (Conveyal R5), only when it can run: ``r5py`` installed, its R5 jar present
  (``R5_JAR`` environment variable or r5py's own cache) and ``--osm`` given (R5 needs a
  road network). ``TravelTimeMatrix`` with ``departure_time_window`` = 2 h and
  ``percentiles=[0]`` (the best departure of the window, like maillage's minimum).

Usage::

    python benchmarks/transit.py [--day 2025-02-04] [--window 07:00-09:00]
        [--reference-origins 3] [--osm savoie.osm.pbf]

The last line printed is one JSON object with ``load_seconds``, ``query_seconds`` and
``speedup_vs_reference``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from maillage.indicators.diagnostic import territory_origins
from maillage.network._timeexpanded import TimeExpandedGraph
from maillage.network.transit import TransitModel, parse_window
from maillage.services.catalogue import territory_services
from maillage.sources.gtfs import default_feed_path, read_gtfs
from maillage.territory.builtin import pays_de_maurienne


def _reference_minutes(
    model: TransitModel, reference: TimeExpandedGraph, origins: Any, services: Any
) -> pd.DataFrame:
    """Windowed minimum per origin and type with networkx (brute force over instants)."""
    feed = model.feed
    start, end = parse_window(model.window)
    access = model.walk(origins, feed.stations)
    egress = model.walk(services, feed.stations)
    calls = feed.stop_times[feed.stop_times["pickup"]]
    types = sorted(services["type"].unique())
    rows = []
    for row in range(len(origins)):
        legs = access[access["origin"] == row]
        instants: set[float] = set()
        for station, seconds in zip(legs["destination"], legs["seconds"], strict=True):
            times = calls.loc[calls["station"] == station, "departure_s"] - seconds
            instants |= set(times[(times >= start) & (times <= end)])
        best = dict.fromkeys(types, np.inf)
        for tau in sorted(instants):
            arrival = reference.earliest_arrival_from(
                list(zip(legs["destination"], tau + legs["seconds"], strict=True))
            )
            reach = egress.assign(
                type=services["type"].to_numpy()[egress["origin"].to_numpy()],
                at=arrival[egress["destination"].to_numpy()] + egress["seconds"].to_numpy() - tau,
            )
            for kind, seconds in reach.groupby("type")["at"].min().items():
                best[kind] = min(best[kind], float(seconds))
        for kind in types:
            rows.append(
                {"origin_id": origins["origin_id"].iloc[row], "type": kind, "ref_s": best[kind]}
            )
    return pd.DataFrame(rows)


def _r5py_jar() -> str | None:
    if importlib.util.find_spec("r5py") is None:
        return None
    if os.environ.get("R5_JAR") and Path(os.environ["R5_JAR"]).exists():
        return os.environ["R5_JAR"]
    cache = Path.home() / ".cache" / "r5py"
    jars = sorted(cache.glob("*.jar")) if cache.exists() else []
    return str(jars[-1]) if jars else None


def _r5py_seconds(
    jar: str,
    osm: Path,
    feed_path: Path,
    day: dt.date,
    window: str,
    origins: Any,
    services: Any,
) -> float:
    """r5py's travel-time matrix on the same feed, day and window (guarded: see module)."""
    # r5py reads its R5 class path from the command line (configargparse, parsed at
    # import): without it, it would try to download the jar from GitHub.
    sys.argv += ["--r5-classpath", jar]
    import r5py

    start, end = parse_window(window)
    departure = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=start)
    began = time.perf_counter()
    network = r5py.TransportNetwork(osm, [str(feed_path)])
    matrix = r5py.TravelTimeMatrix(
        network,
        origins=origins.rename(columns={"origin_id": "id"}),
        destinations=services.rename(columns={"service_id": "id"}),
        departure=departure,
        departure_time_window=dt.timedelta(seconds=end - start),
        percentiles=[0],
        transport_modes=[r5py.TransportMode.TRANSIT, r5py.TransportMode.WALK],
        speed_walking=4.5,
    )
    len(matrix)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day", default="2025-02-04")
    parser.add_argument("--window", default="07:00-09:00")
    parser.add_argument(
        "--reference-origins",
        type=int,
        default=0,
        help="communes for the reference (0: all; else the first ones with a station)",
    )
    parser.add_argument("--osm", type=Path, default=None)
    args = parser.parse_args()

    territory = pays_de_maurienne()
    origins = territory_origins(territory)[["origin_id", "geometry"]]
    services = territory_services(territory)[["service_id", "type", "geometry"]]
    print(f"{len(origins)} communes, {services['type'].nunique()} types, {len(services)} services")

    began = time.perf_counter()
    feed = read_gtfs(default_feed_path(), day=args.day)
    model = TransitModel(feed, window=args.window)
    read_done = time.perf_counter()
    model.timetable  # noqa: B018 (built and cached)
    load_seconds = time.perf_counter() - began
    timetable_seconds = time.perf_counter() - read_done
    print(
        f"load national feed ({feed.n_trips} trips, {len(feed.stations)} stations on "
        f"{feed.day}): {load_seconds:.2f} s"
    )

    model.journeys(origins.iloc[:1], services)  # numba compilation (cached on disk)
    began = time.perf_counter()
    ours = model.journeys(origins, services)
    query_seconds = time.perf_counter() - began
    reached = int(ours["minutes"].notna().sum())
    within = int((ours["minutes"] <= 60).sum())
    print(
        f"maillage: {len(origins)} communes × {services['type'].nunique()} types in "
        f"{query_seconds:.2f} s ({reached} pairs reached, {within} within 60 min)"
    )

    began = time.perf_counter()
    reference = TimeExpandedGraph(feed)
    build_seconds = time.perf_counter() - began
    served = ours.loc[ours["departure"].notna(), "origin_id"].unique()
    sample = (
        origins
        if args.reference_origins <= 0
        else origins[origins["origin_id"].isin(served[: args.reference_origins])]
    )
    began = time.perf_counter()
    theirs = _reference_minutes(model, reference, sample, services)
    reference_seconds = time.perf_counter() - began
    per_origin = reference_seconds / max(len(sample), 1)
    extrapolated = build_seconds + (
        reference_seconds if len(sample) == len(origins) else per_origin * len(origins)
    )
    merged = theirs.merge(ours, on=["origin_id", "type"])
    transit = ~merged["walk_only"]
    agree = np.isclose(
        merged.loc[transit, "minutes"].fillna(np.inf) * 60,
        merged.loc[transit, "ref_s"].where(merged.loc[transit, "ref_s"] <= 180 * 60, np.inf),
        atol=1e-6,
    )
    print(
        f"networkx reference: graph {build_seconds:.1f} s, {len(sample)} communes in "
        f"{reference_seconds:.1f} s ({per_origin:.1f} s each) → {extrapolated:.0f} s for "
        f"{len(origins)}{'' if len(sample) == len(origins) else ' (extrapolated)'}; "
        f"agreement {int(agree.sum())}/{len(agree)} pairs"
    )
    # Each side's own preparation counted: RAPTOR's arrays, the time-expanded graph.
    speedup = extrapolated / (timetable_seconds + query_seconds)
    query_only = (extrapolated - build_seconds) / query_seconds
    print(
        f"speed-up vs the networkx reference: {speedup:.0f}× with each side's preparation "
        f"(RAPTOR arrays {timetable_seconds:.2f} s, graph {build_seconds:.1f} s), "
        f"{query_only:.0f}× on the queries alone"
    )

    r5py_seconds = None
    jar = _r5py_jar()
    if jar is not None and args.osm is not None:
        r5py_seconds = _r5py_seconds(
            jar,
            args.osm,
            default_feed_path(),
            feed.day,
            args.window,
            origins,
            services.rename(columns={"service_id": "service_id"}),
        )
        print(
            f"r5py: {r5py_seconds:.1f} s (network build included), "
            f"ratio {r5py_seconds / query_seconds:.1f}×"
        )
    else:
        print("r5py: not run (needs r5py, its R5 jar and --osm; see docs/transports.md)")

    print(
        json.dumps(
            {
                "load_seconds": round(load_seconds, 3),
                "query_seconds": round(query_seconds, 3),
                "speedup_vs_reference": round(speedup, 1),
                "speedup_queries_only": round(query_only, 1),
                "timetable_seconds": round(timetable_seconds, 3),
                "reference_seconds_extrapolated": round(extrapolated, 1),
                "reference_origins": len(sample),
                "reference_agreement": f"{int(agree.sum())}/{len(agree)}",
                "r5py_seconds": r5py_seconds,
                "communes": len(origins),
                "types": int(services["type"].nunique()),
                "day": str(feed.day),
                "window": args.window,
                "machine": platform.machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
