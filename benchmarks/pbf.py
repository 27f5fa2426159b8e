"""Benchmark: the road graph of large OSM files (PBF → graph, then the cached reload).

Files of about ``--sizes`` MB (default 50 and 450: a département, a region) are written
under ``--workdir`` as shifted copies of the real Malta extract joined by road links
(``benchmarks/_pbf_tiling.py`` says how: new ids, copies side by side on a grid, two-node
``highway=secondary`` roads between the border nodes of neighbouring copies). Each file
is turned into maillage's road graph by :func:`maillage.network.graph.build_graph` (the
streaming two-pass reader, in a fresh process, cache in a temporary folder), then read
back from the cache by the same call in another fresh process. Each process reports its
wall time and its peak resident memory (``ru_maxrss``, which includes its threads).

Figures for France (Geofabrik's ``france-latest.osm.pbf``, about 4,500 MB) are read off
the largest file linearly in its size: build minutes at the measured MB/s, reload
seconds, and the number of graph nodes (Malta's roads per MB; France has more
buildings per MB, so fewer roads: an upper bound). Peak memory is read off the line
through the two largest sizes' (graph nodes, peak) — a fixed part (interpreter,
libraries) plus so many bytes a node — at that node count; the peak in proportion to the
file's size, which scales the fixed part too, is printed as an upper bound. The national
nearest-service run time is the cached reload plus the time ``benchmarks/scale.py``
measured for 150 types on every node (``--scale-seconds`` for ``--scale-nodes`` nodes, 2
workers), scaled to the estimated node count.

Usage::

    python benchmarks/pbf.py [--sizes 50,450] [--workdir /tmp] [--keep]

The files are deleted at the end unless ``--keep``. Targets (issue 20): France's PBF →
graph in under 15 min on 2 cores and under 12 GB; cached national graph loaded and a full
national nearest-service run in under 5 min. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _pbf_tiling import tile_pbf
from maillage.network.graph import _cache_key, build_graph

ROOT = Path(__file__).resolve().parents[1]
MALTA = ROOT / "tests" / "data" / "osm" / "malta-2018-08-29.osm.pbf"
FRANCE_MB = 4500.0
TARGET_BUILD_MINUTES = 15.0
TARGET_PEAK_GIB = 12.0
TARGET_NATIONAL_MINUTES = 5.0


def child(pbf: str, cache: str) -> None:
    """In a fresh process: build (or reload) the graph, print time and peak memory."""
    os.environ.setdefault("MAILLAGE_PROGRESS", "0")
    cached = any(Path(cache).glob("*.npz"))
    start = time.perf_counter()
    graph = build_graph(pbf, cache_dir=cache)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    key_seconds = None
    if cached:  # the file's hash, part of the reload
        start = time.perf_counter()
        _cache_key(Path(pbf))
        key_seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "hash_seconds": key_seconds,
                "peak_gib": peak_kib / 2**20,
                "nodes": graph.n_nodes,
                "edges": graph.n_edges,
                "ways": graph.report.ways_drivable,
                "nodes_before_component": graph.report.nodes_before,
            }
        )
    )


def run_child(pbf: Path, cache: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(pbf), str(cache)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def grid(copies: int) -> tuple[int, int]:
    columns = math.ceil(math.sqrt(copies))
    return columns, math.ceil(copies / columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,450", help="MB, comma separated")
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--scale-seconds", type=float, default=187.2)
    parser.add_argument("--scale-nodes", type=float, default=25_416_594)
    parser.add_argument("--child", nargs=2, metavar=("PBF", "CACHE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    work = Path(tempfile.mkdtemp(prefix="maillage-pbf-", dir=args.workdir))
    malta = build_graph(MALTA, cache_dir=work / "malta")
    probe = work / "probe.osm.pbf"
    per_copy = tile_pbf(MALTA, probe, 2, 2, malta)["megabytes"] / 4
    probe.unlink()
    print(f"Malta: {MALTA.stat().st_size / 1e6:.1f} MB; one shifted copy ≈ {per_copy:.2f} MB")
    rows: list[dict[str, Any]] = []
    try:
        for size in [float(s) for s in args.sizes.split(",")]:
            columns, lines = grid(max(1, round(size / per_copy)))
            pbf = work / f"malta-{columns}x{lines}.osm.pbf"
            start = time.perf_counter()
            written = tile_pbf(MALTA, pbf, columns, lines, malta)
            write_s = time.perf_counter() - start
            cache = work / f"cache-{columns}x{lines}"
            build = run_child(pbf, cache)
            reload = run_child(pbf, cache)
            megabytes = written["megabytes"]
            row = {
                "megabytes": round(megabytes, 1),
                "copies": columns * lines,
                "build_seconds": round(build["seconds"], 2),
                "mb_per_second": round(megabytes / build["seconds"], 2),
                "peak_gib": round(build["peak_gib"], 3),
                "reload_seconds": round(reload["seconds"], 2),
                "reload_hash_seconds": round(reload["hash_seconds"], 2),
                "reload_peak_gib": round(reload["peak_gib"], 3),
                "nodes": build["nodes"],
                "edges": build["edges"],
                "ways": build["ways"],
                "nodes_before_component": build["nodes_before_component"],
                "cache_mb": round(sum(f.stat().st_size for f in cache.glob("*.npz")) / 1e6, 1),
                "peak_bytes_per_node": round(build["peak_gib"] * 2**30 / build["nodes"]),
            }
            rows.append(row)
            print(
                f"{megabytes:7.1f} MB ({columns}×{lines} copies, written in {write_s:.0f} s): "
                f"build {row['build_seconds']:.1f} s = {row['mb_per_second']:.1f} MB/s, "
                f"peak {row['peak_gib']:.2f} GiB ({row['peak_bytes_per_node']} B a node), "
                f"{row['nodes']:,} nodes; "
                f"reload {row['reload_seconds']:.2f} s (hash {row['reload_hash_seconds']:.2f} s), "
                f"peak {row['reload_peak_gib']:.2f} GiB, cache {row['cache_mb']:.0f} MB",
                flush=True,
            )
            if not args.keep:
                pbf.unlink()
    finally:
        if not args.keep:
            for path in sorted(work.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            work.rmdir()
    largest = rows[-1]
    ratio = FRANCE_MB / largest["megabytes"]
    build_minutes = FRANCE_MB / largest["mb_per_second"] / 60
    peak_upper = largest["peak_gib"] * ratio
    reload_seconds = largest["reload_seconds"] * ratio
    nodes = largest["nodes"] * ratio
    # peak memory: the line through the two largest sizes (a fixed part, the interpreter
    # and libraries, then so many bytes a graph node), or, with one size, in proportion
    # to the file's size (an upper bound: it scales the fixed part too)
    peak = peak_upper
    marginal = None
    if len(rows) > 1:
        before = rows[-2]
        marginal = (largest["peak_gib"] - before["peak_gib"]) / (largest["nodes"] - before["nodes"])
        peak = largest["peak_gib"] + marginal * (nodes - largest["nodes"])
    national_seconds = reload_seconds + args.scale_seconds * nodes / args.scale_nodes
    print(
        f"France ({FRANCE_MB:.0f} MB) read off {largest['megabytes']:.0f} MB: build "
        f"{build_minutes:.1f} min (target {TARGET_BUILD_MINUTES:.0f}), peak {peak:.1f} GiB "
        f"(target {TARGET_PEAK_GIB:.0f}; in proportion to the size: {peak_upper:.1f} GiB), "
        f"reload {reload_seconds:.0f} s, ≈ {nodes / 1e6:.0f} M "
        f"nodes; reload + 150 types on every node ≈ {national_seconds / 60:.1f} min "
        f"(target {TARGET_NATIONAL_MINUTES:.0f}; scale.py: {args.scale_seconds:.0f} s for "
        f"{args.scale_nodes / 1e6:.1f} M nodes)"
    )
    print(
        json.dumps(
            {
                "sizes": rows,
                "mb_per_second": largest["mb_per_second"],
                "peak_gib": largest["peak_gib"],
                "reload_seconds": largest["reload_seconds"],
                "france_estimate_minutes": round(build_minutes, 1),
                "france_peak_estimate_gib": round(peak, 1),
                "france_peak_proportional_gib": round(peak_upper, 1),
                "marginal_bytes_per_node": None if marginal is None else round(marginal * 2**30),
                "france_reload_estimate_seconds": round(reload_seconds, 1),
                "france_nodes_estimate": round(nodes),
                "national_run_estimate_minutes": round(national_seconds / 60, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
