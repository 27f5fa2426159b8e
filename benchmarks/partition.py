"""Benchmark: where one partition's time goes, bucket searches against hierarchy sweeps.

Takes one partition of ``benchmarks/scale.py``'s France-size layout (21 × 21 copies of
the real Malta graph, 96 parts, 10 km ring; built and cached as that script does) and
its 150 service types, then times the steps of the nearest service of every type from
every node of the partition's own tiles (``maillage.network._engine``). Preprocessing,
once per graph and cached beside it (``maillage.network._prepared``): the contraction
hierarchy of the service-free core, built, written and read back. A run with bucket
searches (``method="buckets"``): the degree-2 contraction with the services kept, the
preparation (reversed core graph, origins' exits), the 150 searches. A run with the
cached hierarchy: reading it back, the contraction with the services and the ranked
nodes kept and the services outside the hierarchy contracted below it, the sweeps by
blocks of types. Reading the graph itself is timed apart (the same in both runs). Both
results are compared: the largest time difference and the share of origins given the
same service (a different one only at equal times). Each step is timed ``--repeat``
times (best kept); run it alone on the machine.

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

from maillage.network import _engine, _prepared
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
    n_groups = len(groups)

    # --- preprocessing, once per graph: the hierarchy built, written, read back ---
    hierarchy_path = _prepared.cache_path(path)
    build_s, prepared = best_of(args.repeat, lambda: _prepared.build(graph))
    save_s, _ = best_of(args.repeat, lambda: _prepared.save(prepared, hierarchy_path, graph))
    load_s, loaded = best_of(args.repeat, lambda: _prepared.load(hierarchy_path, graph))
    assert loaded is not None

    # --- a run: graph read back, then buckets, or the cached hierarchy's sweeps ---
    graph_load_s, _ = best_of(args.repeat, lambda: RoadGraph.load(path))

    def contract() -> _engine.Contraction:
        graph._cache.clear()
        return _engine.contract(graph, seed_nodes)

    contract_s, contraction = best_of(args.repeat, contract)
    prepare_s, searches = best_of(
        args.repeat,
        lambda: _engine._prepare(graph, seed_nodes, seed_minutes, origins, contraction),
    )

    def buckets() -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
        minutes = np.empty((n_groups, origins.size))
        labels = np.empty((n_groups, origins.size), dtype=np.int64)
        for k, group in enumerate(groups):
            searches.solve(group, minutes[k], labels[k])
        return minutes, labels

    buckets_s, (bucket_minutes, bucket_labels) = best_of(args.repeat, buckets)

    def ranked() -> _engine._Sweeps:
        graph._cache.clear()
        return _engine._Sweeps.of(graph, seed_nodes, seed_minutes, origins, loaded)

    ranked_s, sweeps = best_of(args.repeat, ranked)
    size = sweeps.block_size()

    def sweep() -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
        minutes = np.empty((n_groups, origins.size))
        labels = np.empty((n_groups, origins.size), dtype=np.int64)
        for block in _engine._blocks(n_groups, size):
            rows = slice(block.start, block.stop)
            sweeps.solve_block([groups[k] for k in block], minutes[rows], labels[rows])
        return minutes, labels

    sweeps_s, (sweep_minutes, sweep_labels) = best_of(args.repeat, sweep)
    finite = np.isfinite(bucket_minutes)
    same_reach = bool(np.array_equal(finite, np.isfinite(sweep_minutes)))
    max_diff = float(np.abs(sweep_minutes[finite] - bucket_minutes[finite]).max())
    same_service = float(np.mean(sweep_labels == bucket_labels))
    n_core = searches.indptr.size - 1
    buckets_run = contract_s + prepare_s + buckets_s
    hierarchy_run = load_s + ranked_s + sweeps_s
    figures: dict[str, Any] = {
        "graph_nodes": graph.n_nodes,
        "origins": int(origins.size),
        "core_nodes": int(n_core),
        "core_edges": int(searches.indices.size),
        "ranked_nodes": prepared.hierarchy.n_nodes,
        "bottom_nodes": sweeps.below.n_nodes,
        "hierarchy_edges": prepared.hierarchy.n_edges,
        "types": n_groups,
        "services": int(seed_nodes.size),
        "hierarchy_build_seconds": build_s,
        "hierarchy_save_seconds": save_s,
        "hierarchy_load_seconds": load_s,
        "graph_load_seconds": graph_load_s,
        "contraction_seconds": contract_s,
        "prepare_seconds": prepare_s,
        "buckets_seconds": buckets_s,
        "sweeps_prepare_seconds": ranked_s,
        "sweeps_seconds": sweeps_s,
        "block_types": size,
        "buckets_run_seconds": buckets_run,
        "hierarchy_run_seconds": hierarchy_run,
        "search_speedup": buckets_s / sweeps_s,
        "partition_speedup": buckets_run / hierarchy_run,
        "partition_speedup_with_build": buckets_run / (build_s + save_s + hierarchy_run),
        "same_reach": same_reach,
        "max_abs_diff_minutes": max_diff,
        "same_service_share": same_service,
    }
    print(
        f"partition {args.part}: {graph.n_nodes:,} nodes, {origins.size:,} origins, "
        f"{n_core:,} core nodes, {n_groups} types\n"
        f"preprocessing (once, cached): hierarchy of {prepared.hierarchy.n_nodes:,} nodes "
        f"({prepared.hierarchy.n_edges:,} edges) built in {build_s:.3f} s, written in "
        f"{save_s:.3f} s, read back in {load_s:.3f} s\n"
        f"graph read back in {graph_load_s:.3f} s (both runs)\n"
        f"buckets run: contraction {contract_s:.3f} s, preparation {prepare_s:.3f} s, "
        f"searches {buckets_s:.3f} s ({1000 * buckets_s / n_groups:.2f} ms a type) = "
        f"{buckets_run:.3f} s\n"
        f"hierarchy run: read {load_s:.3f} s, contraction and bottom "
        f"({sweeps.below.n_nodes:,} nodes) {ranked_s:.3f} s, sweeps {sweeps_s:.3f} s "
        f"({1000 * sweeps_s / n_groups:.2f} ms a type, blocks of {size}) = "
        f"{hierarchy_run:.3f} s\n"
        f"search speed-up {figures['search_speedup']:.2f}, partition speed-up "
        f"{figures['partition_speedup']:.2f} ({figures['partition_speedup_with_build']:.2f} "
        f"with the build); max |diff| {max_diff:.1e} min, same service {same_service:.4f}",
        flush=True,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
