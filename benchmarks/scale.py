"""Benchmark: a France-size road graph, partitioned, on Dask with 1 and 2 workers.

The graph is ``--tiles × --tiles`` copies of the real Malta graph (57,634 nodes each;
21 × 21 ≈ 25.4 M nodes, France's size), split into ``--parts`` rectangular blocks of
tiles. Each partition's graph — its own tiles, plus the nodes of the neighbouring tiles
within ``--ring-km`` of them — is built once by a Dask task from the Malta graph and
saved as ``.npz`` (no process ever holds the whole graph; a later run with the same
layout reuses the files, as maillage caches its graphs). Unless ``--method buckets``, a
second Dask task then preprocesses each part once, as ``osrm-contract`` does: the
contraction hierarchy of its graph, cached beside its ``.npz``
(``maillage.network._prepared``; timed apart, and skipped for the parts an earlier run
prepared). The timed runs then load only their part (and its hierarchy). Task: the
nearest service of each of ``--types`` types (services placed per tile, seeded, 0.2 to
50 per tile and type) from every node of the partition's own tiles
(``maillage.network._engine.iter_nearest_by_group``, one process per worker). Each task
reduces each type's times as they come (sums, counts beyond 30 min), so that its memory
stays one partition's graph and one block of rows of times.

Printed: time and peak memory (sum of the resident sets of the workers and of this
process, sampled every 0.2 s) with 1 and 2 workers, the speed-up, and the ratios to the
targets (5 minutes, 8 GB). ``--check`` also compares the partitioned times with a search
on the whole tiled graph (small ``--tiles`` only).

Usage::

    python benchmarks/scale.py [--tiles 21] [--parts 96] [--types 150] [--ring-km 10]
        [--workers 1,2] [--check] [--method auto|buckets|hierarchy]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from _tiling import tile, tile_size
from maillage.network import _engine, _prepared
from maillage.network.graph import RoadGraph, build_graph
from maillage.scale.partition import crop_graph

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PBF = ROOT / "tests" / "data" / "osm" / "malta-2018-08-29.osm.pbf"
TARGET_SECONDS = 300.0
TARGET_GIB = 8.0


def blocks(side: int, parts: int) -> list[list[tuple[int, int]]]:
    """``parts`` rectangular blocks of the ``side × side`` grid (rows × columns bands)."""
    rows = max(1, int(np.sqrt(parts)))
    while parts % rows:
        rows -= 1
    columns = parts // rows
    row_cuts = np.array_split(np.arange(side), rows)
    column_cuts = np.array_split(np.arange(side), columns)
    return [
        [(int(i), int(j)) for i in band for j in cut]
        for band in row_cuts
        for cut in column_cuts
        if len(band) and len(cut)
    ]


def services_of_tile(
    k: int, n_nodes: int, n_types: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    """Local nodes and types of the services of tile ``k`` (the same in every partition)."""
    rates = np.exp(np.random.default_rng(seed).uniform(np.log(0.2), np.log(50.0), n_types))
    rng = np.random.default_rng([seed, k])
    counts = rng.poisson(rates)
    nodes = rng.integers(0, n_nodes, counts.sum())
    return nodes, np.repeat(np.arange(n_types), counts)


def build_part(
    base_path: str, side: int, own: list[tuple[int, int]], ring_km: float, folder: str
) -> dict[str, Any]:
    """Dask task: the partition's graph (own tiles + ring), saved as ``.npz``."""
    start = time.perf_counter()
    path = Path(folder) / f"part-{own[0][0]}-{own[0][1]}.npz"
    if path.exists():  # cached by an earlier run with the same layout
        with np.load(path) as stored:
            nodes = int(stored["node_id"].size)
        return {"path": str(path), "nodes": nodes, "seconds": time.perf_counter() - start}
    base = RoadGraph.load(base_path)
    width, height = tile_size(base)
    near = {
        (i + di, j + dj)
        for i, j in own
        for di in (-1, 0, 1)
        for dj in (-1, 0, 1)
        if 0 <= i + di < side and 0 <= j + dj < side
    }
    graph = tile(base, side, cells=near)
    x0 = min(j for _, j in own) * width + float(base.x.min())
    x1 = (max(j for _, j in own) + 1) * width + float(base.x.min())
    y0 = min(i for i, _ in own) * height + float(base.y.min())
    y1 = (max(i for i, _ in own) + 1) * height + float(base.y.min())
    ring = ring_km * 1000.0
    dx = np.maximum(np.maximum(x0 - graph.x, graph.x - x1), 0.0)
    dy = np.maximum(np.maximum(y0 - graph.y, graph.y - y1), 0.0)
    part = crop_graph(graph, np.hypot(dx, dy) <= ring)
    part.save(path)
    return {"path": str(path), "nodes": part.n_nodes, "seconds": time.perf_counter() - start}


def prepare_part(path: str) -> dict[str, Any]:
    """Dask task: the preprocessing of a partition's graph, once: its contraction
    hierarchy built and cached beside its ``.npz`` (``maillage.network._prepared``),
    unless an earlier run left it there."""
    start = time.perf_counter()
    built = not _prepared.cache_path(path).is_file()
    _prepared.preprocess(path)
    return {"built": built, "seconds": time.perf_counter() - start}


def part_layout(
    graph: RoadGraph,
    side: int,
    own: list[tuple[int, int]],
    n_base: int,
    n_types: int,
    seed: int,
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:  # type: ignore[type-arg]
    """A part's services (graph nodes, positions by type) and its own tiles' nodes."""
    tiles = graph.node_id // n_base
    order = np.argsort(graph.node_id)
    sorted_ids = graph.node_id[order]
    nodes, kinds = [], []
    for k in np.unique(tiles):
        service_nodes, service_types = services_of_tile(int(k), n_base, n_types, seed)
        wanted = int(k) * n_base + service_nodes
        slot = np.minimum(np.searchsorted(sorted_ids, wanted), sorted_ids.size - 1)
        present = sorted_ids[slot] == wanted
        nodes.append(order[slot[present]])
        kinds.append(service_types[present])
    seed_nodes = np.concatenate(nodes).astype(np.int64)
    seed_types = np.concatenate(kinds)
    groups = [np.flatnonzero(seed_types == t) for t in range(n_types)]
    own_tiles = np.array([i * side + j for i, j in own])
    return seed_nodes, groups, np.flatnonzero(np.isin(tiles, own_tiles))


def run_part(
    path: str,
    side: int,
    own: list[tuple[int, int]],
    n_base: int,
    n_types: int,
    seed: int,
    keep: bool = False,
    method: str = "auto",
) -> dict[str, Any]:
    """Dask task: nearest service of every type from every node of the own tiles."""
    start = time.perf_counter()
    graph = RoadGraph.load(path)
    seed_nodes, groups, origins = part_layout(graph, side, own, n_base, n_types, seed)
    result: dict[str, Any] = {
        "origins": int(origins.size),
        "graph_nodes": graph.n_nodes,
        "reached": 0,
        "sum_minutes": 0.0,
        "beyond_30": 0,
    }
    kept = []
    found = _engine.iter_nearest_by_group(
        graph,
        seed_nodes,
        np.zeros(seed_nodes.size),
        groups,
        origins,
        method=method,  # type: ignore[arg-type]
    )
    for _, minutes, _ in found:  # streaming: one type's row at a time
        finite = np.isfinite(minutes)
        result["reached"] += int(np.count_nonzero(finite))
        result["sum_minutes"] += float(minutes.sum(where=finite))
        result["beyond_30"] += int(np.count_nonzero(finite & (minutes > 30)))
        if keep:
            kept.append(minutes.copy())  # the row is overwritten by the next block's
    result["seconds"] = time.perf_counter() - start
    if keep:
        result["node_id"] = graph.node_id[origins]
        result["minutes"] = np.vstack(kept)
    return result


class Sampler:
    """Peak of the summed resident sets of some processes, sampled in a thread."""

    def __init__(self, pids: list[int], every_s: float = 0.2) -> None:
        import psutil

        self.processes = [psutil.Process(pid) for pid in pids]
        self.every_s = every_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for process in self.processes:
                with contextlib.suppress(Exception):
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(self.every_s)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def layout_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The layout options shared with ``partition.py``: extract, tiling, parts, types."""
    parser.add_argument("--pbf", default=str(DEFAULT_PBF))
    parser.add_argument("--tiles", type=int, default=21)
    parser.add_argument("--parts", type=int, default=96)
    parser.add_argument("--types", type=int, default=150)
    parser.add_argument("--ring-km", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=2024)
    return parser


def main() -> None:
    import distributed

    parser = layout_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--method", choices=["auto", "buckets", "hierarchy"], default="auto")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "maillage-bench-cache"
    base = build_graph(args.pbf, cache_dir=cache)
    base_path = cache / "scale-base.npz"
    base.save(base_path)
    n_base = base.n_nodes
    layout = blocks(args.tiles, args.parts)
    folder = cache / f"scale-{args.tiles}-{args.parts}-{args.ring_km:g}"
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"graph: {args.tiles}x{args.tiles} copies of {Path(args.pbf).name} = "
        f"{n_base * args.tiles**2:,} nodes; {len(layout)} parts; {args.types} types; "
        f"ring {args.ring_km:g} km",
        flush=True,
    )
    figures: dict[str, Any] = {
        "nodes": n_base * args.tiles**2,
        "parts": len(layout),
        "types": args.types,
        "ring_km": args.ring_km,
        "method": args.method,
    }
    runs: dict[int, dict[str, Any]] = {}
    paths: list[str] = []
    for workers in [int(w) for w in args.workers.split(",")]:
        with (
            distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            pids = [os.getpid(), *client.run(os.getpid).values()]
            if not paths:
                start = time.perf_counter()
                built = client.gather(
                    [
                        client.submit(
                            build_part,
                            str(base_path),
                            args.tiles,
                            own,
                            args.ring_km,
                            str(folder),
                            key=f"build-{n}",
                            pure=False,
                        )
                        for n, own in enumerate(layout)
                    ]
                )
                paths = [b["path"] for b in built]
                part_nodes = sum(b["nodes"] for b in built)
                figures["build_seconds"] = time.perf_counter() - start
                figures["ring_overhead"] = part_nodes / figures["nodes"]
                print(
                    f"partition graphs built in {figures['build_seconds']:.1f} s "
                    f"(nodes searched / nodes: {figures['ring_overhead']:.2f})",
                    flush=True,
                )
                if args.method != "buckets":
                    start = time.perf_counter()
                    prepared = client.gather(
                        [
                            client.submit(prepare_part, path, key=f"prepare-{n}", pure=False)
                            for n, path in enumerate(paths)
                        ]
                    )
                    figures["preprocessing_seconds"] = time.perf_counter() - start
                    figures["preprocessing_built"] = sum(p["built"] for p in prepared)
                    figures["preprocessing_task_seconds"] = sum(p["seconds"] for p in prepared)
                    print(
                        f"preprocessing (hierarchies, once, cached): "
                        f"{figures['preprocessing_built']} of {len(paths)} built, "
                        f"{figures['preprocessing_seconds']:.1f} s on {workers} worker(s) "
                        f"({figures['preprocessing_task_seconds']:.1f} s of tasks)",
                        flush=True,
                    )
            with Sampler(pids) as sampler:
                start = time.perf_counter()
                futures = [
                    client.submit(
                        run_part,
                        path,
                        args.tiles,
                        own,
                        n_base,
                        args.types,
                        args.seed,
                        args.check,
                        args.method,
                        key=f"run-{workers}-{n}",
                        retries=2,
                        pure=False,
                    )
                    for n, (path, own) in enumerate(zip(paths, layout, strict=True))
                ]
                results = [f.result() for f in distributed.as_completed(futures)]
                seconds = time.perf_counter() - start
            origins = sum(r["origins"] for r in results)
            runs[workers] = {
                "seconds": seconds,
                "peak_gib": sampler.peak / 2**30,
                "origins": origins,
                "sum_minutes": sum(r["sum_minutes"] for r in results),
            }
            print(
                f"{workers} worker(s): {seconds:8.1f} s   peak {sampler.peak / 2**30:6.2f} GiB   "
                f"{origins:,} origins",
                flush=True,
            )
            if args.check and workers == 1:
                _check(base, args, results)
    one, many = min(runs), max(runs)
    figures["runs"] = runs
    figures["speed_up"] = runs[one]["seconds"] / runs[many]["seconds"]
    figures["time_vs_target"] = runs[many]["seconds"] / TARGET_SECONDS
    figures["memory_vs_target"] = max(r["peak_gib"] for r in runs.values()) / TARGET_GIB
    print(
        f"speed-up {one} -> {many} workers: {figures['speed_up']:.2f}; "
        f"time / 5 min: {figures['time_vs_target']:.2f}; "
        f"peak / 8 GB: {figures['memory_vs_target']:.2f}"
    )
    print(json.dumps(figures))


def _check(base: RoadGraph, args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    """Partitioned times against one search on the whole tiled graph."""
    whole = tile(base, args.tiles)
    n_base = base.n_nodes
    nodes, kinds = [], []
    for k in range(args.tiles**2):
        service_nodes, service_types = services_of_tile(k, n_base, args.types, args.seed)
        nodes.append(k * n_base + service_nodes)
        kinds.append(service_types)
    seed_nodes, seed_types = np.concatenate(nodes), np.concatenate(kinds)
    groups = [np.flatnonzero(seed_types == t) for t in range(args.types)]
    everyone = np.arange(whole.n_nodes)
    truth, _ = _engine.nearest_by_group(
        whole, seed_nodes, np.zeros(seed_nodes.size), groups, everyone, n_jobs=1
    )
    ids = np.concatenate([r["node_id"] for r in results])
    got = np.concatenate([r["minutes"] for r in results], axis=1)
    expected = truth[:, ids]
    # equal to 1e-9 min: the hierarchy's sweeps add in another order than a search
    same = np.isclose(got, expected, rtol=0, atol=1e-9) | (np.isinf(got) & np.isinf(expected))
    print(
        f"check: {same.mean():.4%} of (node, type) times equal to the whole graph's "
        "(to 1e-9 min); "
        f"nodes covered once: {np.unique(ids).size == whole.n_nodes == ids.size}",
        flush=True,
    )


if __name__ == "__main__":
    main()
