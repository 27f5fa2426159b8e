"""Benchmark: one change of the workshop (a closure, an opening) answered incrementally
against a full recomputation, on the built-in territory and on a département-size graph.

* **Built-in territory** (Pays de Maurienne, straight-line times as its diagnostic):
  the 53 communes and their services of each family; one service closed (the nearest of
  the most communes) and one France Services opened at the territory's centre,
  :class:`maillage.network.incremental.IncrementalStraightLine` against
  :func:`maillage.network.straight_line.nearest_services_straight_line` from scratch.
* **Département-size graph**: the Malta graph (``tests/data/osm``) tiled to about 1 M
  nodes (``benchmarks/_tiling.py``), ``--services`` services on random nodes (seeded),
  every node an origin. One closure (a random service, and the one with the largest
  catchment), one opening (a random node), each by
  :class:`maillage.network.incremental.IncrementalNearest` against (a) the same engine's
  full search from scratch and (b) the production engine
  (``maillage.network._engine.nearest_by_group``, contraction + bucket queue); results
  asserted identical (exactly to the full search; to 1e-9 min to the production
  engine, whose contracted paths add the same edges in another order).

Not a timed test: it prints the times and ratios; the target is under 1 s per change on
the département graph. Usage::

    python benchmarks/scenario.py [--tiles 5] [--services 150]

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from _tiling import tile
from maillage.network import _engine
from maillage.network.graph import build_graph
from maillage.network.incremental import IncrementalNearest, IncrementalStraightLine

ROOT = Path(__file__).resolve().parents[1]
MALTA = ROOT / "tests" / "data" / "osm" / "malta-2018-08-29.osm.pbf"
T = TypeVar("T")


def timed(function: Callable[[], T], repeat: int = 1) -> tuple[T, float]:
    """Result and best wall time (seconds) of ``repeat`` runs."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


def builtin_territory() -> dict[str, Any]:
    """Closure and opening on the Pays de Maurienne (straight line), per family."""
    import geopandas as gpd
    from shapely.geometry import Point

    from maillage.network.straight_line import nearest_services_straight_line
    from maillage.services.catalogue import territory_services
    from maillage.territory.builtin import pays_de_maurienne

    territory = pays_de_maurienne()
    services = territory_services(territory)
    communes = territory.communes.rename(columns={"commune": "origin_id"}).to_crs(2154)
    out: dict[str, Any] = {}
    for family in sorted(services["family"].dropna().unique()):
        chosen = services[services["family"] == family].to_crs(2154).reset_index(drop=True)
        origins_xy = np.column_stack([communes.geometry.x, communes.geometry.y])
        services_xy = np.column_stack([chosen.geometry.x, chosen.geometry.y])
        state, build_s = timed(lambda: IncrementalStraightLine(origins_xy, services_xy))  # noqa: B023
        busiest = int(np.bincount(state.nearest).argmax())
        change, close_s = timed(lambda: state.close_service(busiest))  # noqa: B023
        centre = origins_xy.mean(axis=0)
        (_, opened), open_s = timed(lambda: state.open_service(*centre))  # noqa: B023
        # Full recomputation by the library's straight-line function, from scratch.
        kept = chosen.drop(index=busiest).reset_index(drop=True)
        new = gpd.GeoDataFrame(
            {"service_id": ["nouveau"], "family": [family]},
            geometry=[Point(*centre)],
            crs=2154,
        )
        after = gpd.GeoDataFrame(
            [
                *kept[["service_id", "family", "geometry"]].to_dict("records"),
                *new.to_dict("records"),
            ],
            crs=2154,
        )
        full, full_s = timed(
            lambda: nearest_services_straight_line(communes, after, type_column="family"),  # noqa: B023
            repeat=3,
        )
        np.testing.assert_allclose(state.minutes, full["minutes"].to_numpy(), rtol=1e-9)
        out[family] = {
            "communes": len(communes),
            "services": len(chosen),
            "closure_s": close_s,
            "closure_origins": change.size,
            "opening_s": open_s,
            "opening_origins": opened.size,
            "full_s": full_s,
            "build_s": build_s,
        }
        print(
            f"territoire intégré, {family}: {len(chosen)} services, "
            f"fermeture {close_s * 1e3:.2f} ms ({change.size} communes), "
            f"ouverture {open_s * 1e3:.2f} ms ({opened.size}), "
            f"recalcul complet {full_s * 1e3:.1f} ms — identiques"
        )
    return out


def departement(tiles: int, n_services: int, seed: int) -> dict[str, Any]:
    """Closures and an opening on the Malta graph tiled to about a million nodes."""
    graph, parse_s = timed(lambda: build_graph(MALTA))
    big, tile_s = timed(lambda: tile(graph, tiles))
    print(f"graphe : Malte × {tiles * tiles} = {big.n_nodes:,} nœuds, {big.n_edges:,} arcs")
    rng = np.random.default_rng(seed)
    service_nodes = rng.choice(big.n_nodes, size=n_services, replace=False)
    state, build_s = timed(lambda: IncrementalNearest(big, service_nodes))
    everyone = np.arange(big.n_nodes, dtype=np.int64)

    def production() -> np.ndarray:
        open_ = np.flatnonzero(state.service_open)
        minutes, _ = _engine.nearest_by_group(
            big,
            state.service_node[open_],
            state.service_minutes[open_],
            [np.arange(open_.size)],
            everyone,
            n_jobs=1,
        )
        return minutes[0]

    # Compile and warm both engines once (numba caches on disk after the first run).
    state.recompute()
    production()
    results: dict[str, Any] = {"nodes": big.n_nodes, "edges": big.n_edges, "services": n_services}
    catchments = np.bincount(state.nearest[state.nearest >= 0], minlength=n_services)
    cases = [
        ("fermeture (service au hasard)", "close", int(rng.integers(n_services))),
        ("fermeture (plus grande aire)", "close", int(catchments.argmax())),
        ("ouverture (nœud au hasard)", "open", int(rng.integers(big.n_nodes))),
    ]
    for label, kind, target in cases:
        if kind == "close":
            change, incremental_s = timed(lambda: state.close_service(target))  # noqa: B023
        else:
            (_, change), incremental_s = timed(lambda: state.open_service(target))  # noqa: B023
        (full_minutes, full_labels), full_s = timed(state.recompute)
        production_minutes, production_s = timed(production)
        assert np.array_equal(state.minutes, full_minutes), label
        assert np.array_equal(state.nearest, full_labels), label
        np.testing.assert_allclose(state.minutes, production_minutes, rtol=1e-9, atol=1e-9)
        results[label] = {
            "incremental_s": incremental_s,
            "nodes_searched": change.size,
            "full_search_s": full_s,
            "production_engine_s": production_s,
            "speedup_vs_full": full_s / incremental_s,
            "speedup_vs_production": production_s / incremental_s,
        }
        print(
            f"{label}: incrémental {incremental_s * 1e3:.1f} ms ({change.size:,} nœuds "
            f"recherchés) ; recalcul complet {full_s * 1e3:.0f} ms (même moteur), "
            f"{production_s * 1e3:.0f} ms (moteur de production) — "
            f"× {full_s / incremental_s:.0f} / × {production_s / incremental_s:.0f} ; identiques"
        )
    results["setup_s"] = {"parse": parse_s, "tile": tile_s, "first_full_search": build_s}
    worst = max(results[label]["incremental_s"] for label, _, _ in cases)
    results["under_1_s_per_change"] = worst < 1.0
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=5, help="côté de la grille de copies")
    parser.add_argument("--services", type=int, default=150)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    report = {
        "machine": platform.processor() or platform.machine(),
        "builtin_territory": builtin_territory(),
        "departement": departement(args.tiles, args.services, args.seed),
    }
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
