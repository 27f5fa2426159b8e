"""Benchmark: nearest service of every type, for every node of a real road graph.

Runs, in one process, on the same graph and the same task (services of ``--types``
types placed on random nodes, seeded; the time from *every* node to the nearest
service of each type):

* maillage (``maillage.network._engine.nearest_by_group``: contracted graph, one
  multi-source bucket-queue search per type, compiled with numba; the graph's structure
  cache is timed apart as its preparation, and the compilation, cached on disk after
  the first run, is done before timing);
* raw scipy: one ``scipy.sparse.csgraph.dijkstra(min_only=True)`` per type on the full
  reversed graph (distances only, no "which service");
* igraph: one ``Graph.distances`` call from one super-source per type;
* networkx: ``multi_source_dijkstra_path_length`` per type;
* pandana: ``set_pois`` + ``nearest_pois`` per type (``maxdist`` = the largest true time);
* OSRM: ``Table`` from every node to the services of each type (CH, same speeds).

Then it tiles copies of the same real graph into a graph of several million nodes
(copies joined at their edges), times its contraction (once per graph and set of
services) and then ``--tile-types`` types on all cores, every node an origin, and
prints the time per type per million nodes, to read off the national cost (about 25 M
nodes × 150 types).

Usage::

    python benchmarks/nearest.py [--pbf tests/data/osm/malta-2018-08-29.osm.pbf]
        [--types 20] [--tiles 10] [--tile-types 16] [--skip networkx,pandana,osrm]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse.csgraph import dijkstra

from _tiling import tile
from maillage.network import _engine
from maillage.network.graph import RoadGraph, build_graph

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PBF = ROOT / "tests" / "data" / "osm" / "malta-2018-08-29.osm.pbf"


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def measure(label: str, run: Callable[[], Any], *, repeat: int = 1) -> tuple[Any, float, float]:
    """Run ``repeat`` times; the result, the best seconds and the peak extra memory (MiB)."""
    best, peak, result = float("inf"), 0.0, None
    for _ in range(repeat):
        result = None
        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")  # reset the peak resident set size (Linux)
        except OSError:
            pass
        before = _rss_kib("VmRSS:")
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
        peak = max(peak, max(_rss_kib("VmHWM:") - before, 0) / 1024)
    print(f"{label:<40} {best:9.3f} s   peak +{peak:8.1f} MiB", flush=True)
    return result, best, peak


def make_task(graph: RoadGraph, n_types: int, seed: int) -> tuple[np.ndarray, list[np.ndarray]]:  # type: ignore[type-arg]
    """Service nodes of ``n_types`` types (5 to 200 services each, as BPE types vary)."""
    rng = np.random.default_rng(seed)
    nodes, groups, start = [], [], 0
    for _ in range(n_types):
        size = int(rng.integers(5, 200))
        nodes.append(rng.choice(graph.n_nodes, size=size, replace=False))
        groups.append(np.arange(start, start + size))
        start += size
    return np.concatenate(nodes), groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", default=str(DEFAULT_PBF))
    parser.add_argument("--types", type=int, default=20)
    parser.add_argument("--tiles", type=int, default=10, help="tiled graph: tiles × tiles copies")
    parser.add_argument("--tile-types", type=int, default=16)
    parser.add_argument("--osrm-sample", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5, help="best of N for the fast engines")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--skip", default="", help="comma list: igraph,networkx,pandana,osrm")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    cache = Path(tempfile.gettempdir()) / "maillage-bench-cache"
    print(f"python {platform.python_version()}, {platform.machine()}")
    graph, build_s, _ = measure(
        "build graph (parse or cache)", lambda: build_graph(args.pbf, cache_dir=cache)
    )
    print(f"graph: {graph.n_nodes} nodes, {graph.n_edges} edges ({Path(args.pbf).name})")
    seeds, groups = make_task(graph, args.types, args.seed)
    legs = np.zeros(seeds.size)
    everyone = np.arange(graph.n_nodes)
    results: dict[str, dict[str, float]] = {}

    # Each engine: "prepare" (build its graph structure, once per graph, reported) then
    # "query" (the task, timed for the ratios).
    fresh = replace(graph, _cache={})
    _, prepare_s, _ = measure(
        "maillage prepare (chain structure)", lambda: _engine._structure(fresh)
    )
    measure(
        "maillage compile (numba, once)",
        lambda: _engine.nearest_by_group(graph, seeds, legs, groups[:1], everyone[:1], n_jobs=1),
    )
    (ours, _), seconds, peak = measure(
        "maillage query (1 core)",
        lambda: _engine.nearest_by_group(fresh, seeds, legs, groups, everyone, n_jobs=1),
        repeat=args.repeat,
    )
    results["maillage"] = {"seconds": seconds, "peak_mib": peak, "prepare_seconds": prepare_s}

    reverse, prepare_s, _ = measure("scipy prepare (transpose)", lambda: graph.csr().T.tocsr())

    def raw_scipy() -> np.ndarray:  # type: ignore[type-arg]
        out = np.empty((len(groups), graph.n_nodes))
        for k, group in enumerate(groups):
            out[k] = dijkstra(reverse, indices=seeds[group], min_only=True)
        return out

    truth, seconds, peak = measure("raw scipy dijkstra per type", raw_scipy, repeat=args.repeat)
    results["scipy"] = {"seconds": seconds, "peak_mib": peak, "prepare_seconds": prepare_s}
    results["maillage"]["max_abs_diff_minutes"] = float(np.max(np.abs(ours - truth)))
    largest = float(np.max(truth[np.isfinite(truth)]))

    edges = graph.edges()
    if "igraph" not in skip:
        import igraph

        n = graph.n_nodes
        supers = n + np.arange(len(groups))
        extra_s = np.concatenate([np.full(g.size, n + k) for k, g in enumerate(groups)])
        extra_t = np.concatenate([seeds[g] for g in groups])

        def prepare_igraph() -> Any:
            return igraph.Graph(
                n=n + len(groups),
                edges=np.column_stack(
                    [
                        np.concatenate([edges.target.to_numpy(), extra_s]),
                        np.concatenate([edges.source.to_numpy(), extra_t]),
                    ]
                ).tolist(),
                directed=True,
                edge_attrs={
                    "minutes": np.concatenate(
                        [edges.minutes.to_numpy(), np.zeros(extra_s.size)]
                    ).tolist()
                },
            )

        ig, prepare_s, _ = measure("igraph prepare (graph)", prepare_igraph)

        def run_igraph() -> np.ndarray:  # type: ignore[type-arg]
            return np.array(ig.distances(source=supers.tolist(), weights="minutes"))[:, :n]

        out, seconds, peak = measure(
            "igraph query (super-source per type)", run_igraph, repeat=args.repeat
        )
        results["igraph"] = {
            "prepare_seconds": prepare_s,
            "seconds": seconds,
            "peak_mib": peak,
            "max_abs_diff_minutes": float(np.max(np.abs(out - truth))),
        }

    if "networkx" not in skip:
        import networkx as nx

        def prepare_networkx() -> Any:
            g = nx.DiGraph()
            pairs = zip(edges.target.tolist(), edges.source.tolist(), strict=True)
            g.add_weighted_edges_from(
                (t, s, w) for (t, s), w in zip(pairs, edges.minutes.tolist(), strict=True)
            )
            return g

        g, prepare_s, _ = measure("networkx prepare (DiGraph)", prepare_networkx)

        def run_networkx() -> np.ndarray:  # type: ignore[type-arg]
            out = np.full((len(groups), graph.n_nodes), np.inf)
            for k, group in enumerate(groups):
                found = nx.multi_source_dijkstra_path_length(g, set(seeds[group].tolist()))
                out[k, list(found)] = list(found.values())
            return out

        out, seconds, peak = measure("networkx query (multi-source per type)", run_networkx)
        results["networkx"] = {
            "prepare_seconds": prepare_s,
            "seconds": seconds,
            "peak_mib": peak,
            "max_abs_diff_minutes": float(np.max(np.abs(out - truth))),
        }

    if "pandana" not in skip:
        try:
            import pandana
            import pandas as pd
        except ImportError:
            print("pandana absent: skipped")
        else:

            def prepare_pandana() -> Any:
                return pandana.Network(
                    pd.Series(graph.x),
                    pd.Series(graph.y),
                    edges.source,
                    edges.target,
                    edges[["minutes"]],
                    twoway=False,
                )

            net, prepare_s, _ = measure("pandana prepare (CH)", prepare_pandana)

            def run_pandana() -> np.ndarray:  # type: ignore[type-arg]
                out = np.empty((len(groups), graph.n_nodes))
                for k, group in enumerate(groups):
                    nodes = seeds[group]
                    net.set_pois(
                        f"t{k}", largest, 1, pd.Series(graph.x[nodes]), pd.Series(graph.y[nodes])
                    )
                    out[k] = net.nearest_pois(largest, f"t{k}", num_pois=1)[1].to_numpy()
                return out

            out, seconds, peak = measure("pandana query (nearest_pois per type)", run_pandana)
            results["pandana"] = {
                "prepare_seconds": prepare_s,
                "seconds": seconds,
                "peak_mib": peak,
                "max_abs_diff_minutes": float(np.max(np.abs(out - truth))),
            }

    if "osrm" not in skip:
        try:
            import osrm
        except ImportError:
            print("osrm-bindings absent: skipped")
        else:
            from maillage.network._osrm import prepare_osrm

            folder = Path(tempfile.mkdtemp(prefix="maillage-osrm-"))
            base, prep_s, _ = measure(
                "OSRM prepare (extract + contract)", lambda: prepare_osrm(args.pbf, folder)
            )
            engine = osrm.OSRM(storage_config=str(base), use_shared_memory=False)
            coordinates = list(zip(graph.lon.tolist(), graph.lat.tolist(), strict=True))

            # OSRM's table from every node takes minutes: time a sample of origins and
            # scale linearly to all nodes (its many-to-many cost is linear in the sources)
            sample = np.random.default_rng(args.seed).choice(
                graph.n_nodes, min(args.osrm_sample, graph.n_nodes), replace=False
            )

            def run_osrm() -> np.ndarray:  # type: ignore[type-arg]
                out = np.empty((len(groups), sample.size))
                for k, group in enumerate(groups):
                    nodes = seeds[group]
                    params = osrm.TableParameters(
                        coordinates=[coordinates[v] for v in sample]
                        + [coordinates[v] for v in nodes],
                        sources=list(range(sample.size)),
                        destinations=list(range(sample.size, sample.size + nodes.size)),
                    )
                    table = np.array(engine.Table(params)["durations"], dtype=np.float64)
                    out[k] = table.min(axis=1) / 60.0
                return out

            out, sample_s, peak = measure(f"OSRM query, {sample.size} origins (CH)", run_osrm)
            seconds = sample_s * graph.n_nodes / sample.size
            print(f"{'OSRM query scaled to every node':<40} {seconds:9.3f} s")
            sample_truth = truth[:, sample]
            close = sample_truth > 1.0
            gap = np.abs(out - sample_truth)[close] / sample_truth[close]
            results["osrm"] = {
                "sampled_origins": float(sample.size),
                "sample_seconds": sample_s,
                "seconds": seconds,
                "peak_mib": peak,
                "prepare_seconds": prep_s,
                "max_abs_diff_minutes": float(np.nanmax(np.abs(out - sample_truth))),
                "median_relative_gap": float(np.nanmedian(gap)),
            }

    # --- the tiled graph: cost per type per million nodes ---
    del ours, truth
    gc.collect()
    big, _, _ = measure(f"tile {args.tiles}x{args.tiles} copies", lambda: tile(graph, args.tiles))
    millions = big.n_nodes / 1e6
    print(f"tiled graph: {big.n_nodes} nodes, {big.n_edges} edges")
    # as many services per node as in the Malta task, type by type
    rng = np.random.default_rng(args.seed + 2)
    scale = big.n_nodes / graph.n_nodes
    big_groups, nodes, start = [], [], 0
    for k in range(args.tile_types):
        size = int(groups[k % len(groups)].size * scale)
        nodes.append(rng.choice(big.n_nodes, size=size, replace=False))
        big_groups.append(np.arange(start, start + size))
        start += size
    big_seeds = np.concatenate(nodes)
    big_seeds_per_m = big_seeds.size / args.tile_types / millions
    big_everyone = np.arange(big.n_nodes)
    big_legs = np.zeros(big_seeds.size)
    _, big_prepare_s, _ = measure("maillage prepare tiled", lambda: _engine._structure(big))
    contraction, contract_s, _ = measure(
        "maillage contract tiled", lambda: _engine.contract(big, big_seeds)
    )
    gc.collect()
    (big_ours, _), big_seconds, big_peak = measure(
        f"maillage tiled, {args.tile_types} types, all cores",
        lambda: _engine.nearest_by_group(
            big, big_seeds, big_legs, big_groups, big_everyone, contraction=contraction
        ),
    )
    big_reverse = big.csr().T.tocsr()
    big_truth, big_scipy_s, _ = measure(
        "raw scipy tiled, 1 type",
        lambda: dijkstra(big_reverse, indices=big_seeds[big_groups[0]], min_only=True),
    )
    big_diff = float(np.max(np.abs(big_ours[0] - big_truth)))
    del big_ours
    # cost model: seconds = once per graph (structure, contraction) + per type x types
    per_type_per_m = big_seconds / args.tile_types / millions
    fixed_per_m = contract_s / millions
    national_minutes = (
        big_prepare_s / millions * 25 + fixed_per_m * 25 + per_type_per_m * 25 * 150
    ) / 60
    print(
        f"tiled: {per_type_per_m:.3f} s per type per million nodes, every node an origin "
        f"(+ {fixed_per_m:.3f} s per million nodes once, contraction; raw scipy "
        f"{big_scipy_s / millions:.3f} per type); national 25 M nodes x 150 types "
        f"~ {national_minutes:.1f} min (linear extrapolation)"
    )

    base_s = results["maillage"]["seconds"]
    print()
    print(f"{'engine':<10} {'seconds':>9} {'peak MiB':>9} {'x maillage':>11}")
    for name, row in results.items():
        ratio = row["seconds"] / base_s
        print(f"{name:<10} {row['seconds']:9.3f} {row['peak_mib']:9.1f} {ratio:11.1f}")
    summary = {
        "graph": Path(args.pbf).name,
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "types": args.types,
        "build_seconds": build_s,
        "seconds": {k: v["seconds"] for k, v in results.items()},
        "prepare_seconds": {k: v.get("prepare_seconds") for k, v in results.items()},
        "peak_mib": {k: v["peak_mib"] for k, v in results.items()},
        "max_abs_diff_minutes": {
            k: v["max_abs_diff_minutes"] for k, v in results.items() if "max_abs_diff_minutes" in v
        },
        "speedup_vs_scipy": results["scipy"]["seconds"] / base_s,
        "speedup_vs_igraph": results["igraph"]["seconds"] / base_s if "igraph" in results else None,
        "speedup_vs_networkx": (
            results["networkx"]["seconds"] / base_s if "networkx" in results else None
        ),
        "speedup_vs_pandana": (
            results["pandana"]["seconds"] / base_s if "pandana" in results else None
        ),
        "speedup_vs_osrm": results["osrm"]["seconds"] / base_s if "osrm" in results else None,
        "osrm_median_relative_gap": results.get("osrm", {}).get("median_relative_gap"),
        "tiled_nodes": big.n_nodes,
        "tiled_types": args.tile_types,
        "tiled_services_per_type_per_million_nodes": big_seeds_per_m,
        "tiled_seconds": big_seconds,
        "tiled_peak_mib": big_peak,
        "tiled_prepare_seconds": big_prepare_s,
        "tiled_fixed_seconds_per_million_nodes": fixed_per_m,
        "tiled_max_abs_diff_minutes": big_diff,
        "seconds_per_type_per_million_nodes": per_type_per_m,
        "scipy_seconds_per_type_per_million_nodes": big_scipy_s / (big.n_nodes / 1e6),
        "national_estimate_minutes_25M_nodes_150_types": national_minutes,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
