"""Benchmark: the origin × service matrix within 30 min, maillage against OSRM and scipy.

The graph: ``--tiles × --tiles`` shifted copies of the real Malta extract joined by road
links, written as one PBF (``benchmarks/_pbf_tiling.py``; 4 × 4 ≈ 0.9 M nodes), read by
maillage's :func:`~maillage.network.graph.build_graph`. Origins and services: ``--origins``
and ``--services`` graph nodes drawn at random (seeded), given as points.

Timed, each on the same graph with the same speeds:

* **maillage** :func:`~maillage.network.nearest.travel_time_matrix` (snapping, contraction
  of the graph around the points, one search bounded at 30 min per service on the
  reversed graph, numba bucket queue on threads, long table out);
* **OSRM** (``osrm-bindings``), contraction hierarchies: the preprocessing
  (``osrm-extract`` + ``osrm-contract``, fed maillage's ways and speeds by
  ``maillage.network._osrm``, no turn penalty; writing that file is not counted) and the
  ``Table`` query of all origins × services (CH many-to-many, no bound);
* **scipy** ``dijkstra(limit=30)`` from every service on the reversed graph (in batches of
  100 services to bound memory).

Agreement: maillage equals scipy (same pairs, times within 1e-9 min); OSRM within the
tolerance of ``tests/network/test_osrm.py`` (``|Δ| ≤ max(1 % × t, 0.25 min)`` on every pair
maillage finds, median relative gap under 0.5 %), and every pair OSRM puts under 29.5 min
is found by maillage.

Usage::

    python benchmarks/matrix.py [--tiles 4] [--origins 2000] [--services 1000]

The last line printed is one JSON object (``speedup_vs_osrm_ch_including_preprocessing``:
OSRM's preprocessing + query over maillage's matrix; target ≥ 1).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
from scipy.sparse.csgraph import dijkstra

from _pbf_tiling import tile_pbf
from maillage.network._osrm import contract_osrm, write_osrm_input
from maillage.network.graph import build_graph
from maillage.network.nearest import travel_time_matrix

ROOT = Path(__file__).resolve().parents[1]
MALTA = ROOT / "tests" / "data" / "osm" / "malta-2018-08-29.osm.pbf"
CUTOFF_MINUTES = 30.0
RELATIVE_TOLERANCE = 0.01
ABSOLUTE_TOLERANCE_MINUTES = 0.25

T = TypeVar("T")


def timed(label: str, work: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(f"{label}: {seconds:.2f} s", flush=True)
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=4)
    parser.add_argument("--origins", type=int, default=2000)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    args = parser.parse_args()
    os.environ.setdefault("MAILLAGE_PROGRESS", "0")
    import osrm

    work = Path(tempfile.mkdtemp(prefix="maillage-matrix-", dir=args.workdir))
    try:
        malta = build_graph(MALTA, cache_dir=work / "cache")
        pbf = work / f"malta-{args.tiles}x{args.tiles}.osm.pbf"
        tile_pbf(MALTA, pbf, args.tiles, args.tiles, malta)
        graph, build_s = timed(
            "maillage: PBF → graph", lambda: build_graph(pbf, cache_dir=work / "cache")
        )
        print(f"graph: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges")
        rng = np.random.default_rng(args.seed)
        o_nodes = rng.choice(graph.n_nodes, args.origins, replace=False)
        s_nodes = rng.choice(graph.n_nodes, args.services, replace=False)
        origins = gpd.GeoDataFrame(
            {"origin_id": np.arange(args.origins)},
            geometry=gpd.points_from_xy(graph.lon[o_nodes], graph.lat[o_nodes]),
            crs=4326,
        )
        services = gpd.GeoDataFrame(
            {"service_id": np.arange(args.services)},
            geometry=gpd.points_from_xy(graph.lon[s_nodes], graph.lat[s_nodes]),
            crs=4326,
        )
        ours_table, ours_s = timed(
            "maillage travel_time_matrix (30 min)",
            lambda: travel_time_matrix(graph, origins, services, cutoff_minutes=CUTOFF_MINUTES),
        )
        ours = np.full((args.origins, args.services), np.inf)
        ours[ours_table.origin_id.to_numpy(), ours_table.service_id.to_numpy()] = (
            ours_table.minutes.to_numpy()
        )
        print(f"  {len(ours_table):,} pairs within {CUTOFF_MINUTES:g} min")

        def scipy_matrix() -> np.ndarray:  # type: ignore[type-arg]
            reverse = graph.csr().T.tocsr()
            out = np.empty((args.services, args.origins))
            for begin in range(0, args.services, 100):
                batch = s_nodes[begin : begin + 100]
                dist = dijkstra(reverse, indices=batch, limit=CUTOFF_MINUTES)
                out[begin : begin + batch.size] = dist[:, o_nodes]
            return out.T

        theirs_scipy, scipy_s = timed("scipy dijkstra(limit=30), reversed graph", scipy_matrix)
        scipy_equal = bool(
            np.array_equal(np.isfinite(ours), np.isfinite(theirs_scipy))
            and np.allclose(ours[np.isfinite(ours)], theirs_scipy[np.isfinite(ours)], atol=1e-9)
        )
        print(f"  maillage = scipy: {scipy_equal}")

        folder = work / "osrm"
        roads, export_s = timed(
            "OSRM input (maillage's ways and speeds; not counted)",
            lambda: write_osrm_input(pbf, folder),
        )
        base, osrm_prep_s = timed(
            "OSRM preprocessing (extract + contract)", lambda: contract_osrm(roads)
        )
        engine = osrm.OSRM(storage_config=str(base), use_shared_memory=False)
        coordinates = [
            (float(graph.lon[i]), float(graph.lat[i])) for i in np.concatenate([o_nodes, s_nodes])
        ]

        def osrm_table() -> Any:
            result = engine.Table(
                osrm.TableParameters(
                    coordinates=coordinates,
                    sources=list(range(args.origins)),
                    destinations=list(range(args.origins, args.origins + args.services)),
                )
            )
            return np.array(result["durations"], dtype=np.float64) / 60.0

        theirs_osrm, osrm_query_s = timed("OSRM Table (CH many-to-many)", osrm_table)
        found = np.isfinite(ours)
        gap = np.abs(theirs_osrm[found] - ours[found])
        within = bool(
            np.all(gap <= np.maximum(RELATIVE_TOLERANCE * ours[found], ABSOLUTE_TOLERANCE_MINUTES))
        )
        long_enough = ours[found] > 1.0
        median_gap = float(np.median(gap[long_enough] / ours[found][long_enough]))
        missed = int(np.sum((theirs_osrm < CUTOFF_MINUTES - 0.5) & ~found))
        print(
            f"  OSRM vs maillage: within tolerance {within}, median relative gap "
            f"{median_gap:.4%}, worst {gap.max():.3f} min, pairs OSRM < 29.5 min missed: {missed}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    osrm_total = osrm_prep_s + osrm_query_s
    print(
        f"maillage {ours_s:.1f} s; OSRM CH {osrm_total:.1f} s with preprocessing "
        f"({osrm_prep_s:.1f} + {osrm_query_s:.1f}); scipy {scipy_s:.1f} s"
    )
    print(
        json.dumps(
            {
                "nodes": graph.n_nodes,
                "edges": graph.n_edges,
                "origins": args.origins,
                "services": args.services,
                "pairs_within_cutoff": len(ours_table),
                "maillage_seconds": round(ours_s, 2),
                "maillage_graph_build_seconds": round(build_s, 2),
                "osrm_preprocessing_seconds": round(osrm_prep_s, 2),
                "osrm_query_seconds": round(osrm_query_s, 2),
                "osrm_input_export_seconds": round(export_s, 2),
                "scipy_seconds": round(scipy_s, 2),
                "speedup_vs_osrm_ch_including_preprocessing": round(osrm_total / ours_s, 2),
                "speedup_vs_osrm_ch_query_only": round(osrm_query_s / ours_s, 2),
                "speedup_vs_osrm_ch_including_both_preprocessings": round(
                    osrm_total / (ours_s + build_s), 2
                ),
                "speedup_vs_scipy": round(scipy_s / ours_s, 2),
                "agrees_with_scipy": scipy_equal,
                "agrees_with_osrm": within and median_gap < 0.005 and missed == 0,
                "osrm_median_relative_gap": round(median_gap, 5),
            }
        )
    )


if __name__ == "__main__":
    main()
