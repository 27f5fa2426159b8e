"""Benchmark: where one partition's time goes, bucket searches against hierarchy sweeps.

Takes one partition of ``benchmarks/scale.py``'s France-size layout (21 × 21 copies of
the real Malta graph, 96 parts, 10 km ring; built and cached as that script does) and
its 150 service types, then times the steps of the nearest service of every type from
every node of the partition's own tiles (``maillage.network._engine``): the degree-2
contraction, the preparation (reversed core graph, origins' exits), the 150 bucket
searches (one a type, ``method="buckets"``), and the contraction hierarchy's build and
its sweeps by blocks of types (``method="hierarchy"``). Both results are compared: the
largest time difference and the share of origins given the same service (a different
one only at equal times). Each step is timed ``--repeat`` times (best kept); run it
alone on the machine.

Usage::

    python benchmarks/partition.py [--part 40] [--types 150] [--repeat 3]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from maillage.network import _engine
from maillage.network.graph import RoadGraph, build_graph
from scale import blocks, build_part, layout_arguments, part_layout


def best_of(repeat: int, step: Callable[[], Any]) -> tuple[float, Any]:
    """Shortest wall time of ``repeat`` runs of ``step``, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = layout_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    parser.add_argument("--part", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "maillage-bench-cache"
    base = build_graph(args.pbf, cache_dir=cache)
    base_path = cache / "scale-base.npz"
    if not base_path.exists():
        base.save(base_path)
    n_base = base.n_nodes
    own = blocks(args.tiles, args.parts)[args.part]
    folder = cache / f"scale-{args.tiles}-{args.parts}-{args.ring_km:g}"
    folder.mkdir(parents=True, exist_ok=True)
    path = build_part(str(base_path), args.tiles, own, args.ring_km, str(folder))["path"]
    graph = RoadGraph.load(path)
    seed_nodes, groups, origins = part_layout(graph, args.tiles, own, n_base, args.types, args.seed)
    seed_minutes = np.zeros(seed_nodes.size)

    def contract() -> _engine.Contraction:
        graph._cache.clear()
        return _engine.contract(graph, seed_nodes)

    contract_s, contraction = best_of(args.repeat, contract)
    prepare_s, searches = best_of(
        args.repeat,
        lambda: _engine._prepare(graph, seed_nodes, seed_minutes, origins, contraction),
    )
    n_groups = len(groups)

    def buckets() -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
        minutes = np.empty((n_groups, origins.size))
        labels = np.empty((n_groups, origins.size), dtype=np.int64)
        for k, group in enumerate(groups):
            searches.solve(group, minutes[k], labels[k])
        return minutes, labels

    buckets_s, (bucket_minutes, bucket_labels) = best_of(args.repeat, buckets)
    build_s, sweeps = best_of(args.repeat, lambda: _engine._Sweeps.of(searches))
    size = sweeps.block_size()

    def sweep() -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
        minutes = np.empty((n_groups, origins.size))
        labels = np.empty((n_groups, origins.size), dtype=np.int64)
        for block in _engine._blocks(n_groups, size):
            rows = slice(block.start, block.stop)
            sweeps.solve([groups[k] for k in block], minutes[rows], labels[rows])
        return minutes, labels

    sweeps_s, (sweep_minutes, sweep_labels) = best_of(args.repeat, sweep)
    finite = np.isfinite(bucket_minutes)
    same_reach = bool(np.array_equal(finite, np.isfinite(sweep_minutes)))
    max_diff = float(np.abs(sweep_minutes[finite] - bucket_minutes[finite]).max())
    same_service = float(np.mean(sweep_labels == bucket_labels))
    n_core = searches.indptr.size - 1
    figures: dict[str, Any] = {
        "graph_nodes": graph.n_nodes,
        "origins": int(origins.size),
        "core_nodes": int(n_core),
        "core_edges": int(searches.indices.size),
        "hierarchy_edges": sweeps.hierarchy.n_edges,
        "types": n_groups,
        "services": int(seed_nodes.size),
        "contraction_seconds": contract_s,
        "prepare_seconds": prepare_s,
        "buckets_seconds": buckets_s,
        "hierarchy_build_seconds": build_s,
        "sweeps_seconds": sweeps_s,
        "block_types": size,
        "search_speedup": buckets_s / (build_s + sweeps_s),
        "partition_speedup": (contract_s + prepare_s + buckets_s)
        / (contract_s + prepare_s + build_s + sweeps_s),
        "same_reach": same_reach,
        "max_abs_diff_minutes": max_diff,
        "same_service_share": same_service,
    }
    print(
        f"partition {args.part}: {graph.n_nodes:,} nodes, {origins.size:,} origins, "
        f"{n_core:,} core nodes, {n_groups} types\n"
        f"contraction {contract_s:.3f} s, preparation {prepare_s:.3f} s\n"
        f"buckets: {buckets_s:.3f} s ({1000 * buckets_s / n_groups:.2f} ms a type)\n"
        f"hierarchy: build {build_s:.3f} s ({sweeps.hierarchy.n_edges:,} edges for "
        f"{searches.indices.size:,}), sweeps {sweeps_s:.3f} s "
        f"({1000 * sweeps_s / n_groups:.2f} ms a type, blocks of {size})\n"
        f"search speed-up {figures['search_speedup']:.2f}, "
        f"partition speed-up {figures['partition_speedup']:.2f}; "
        f"max |diff| {max_diff:.1e} min, same service {same_service:.4f}",
        flush=True,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
