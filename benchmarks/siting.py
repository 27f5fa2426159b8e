"""Benchmark: siting on every commune of Savoie, exact (spopt + HiGHS) against greedy.

All communes of Savoie (département 73, INSEE populations) are the origins and every
commune's real town hall (Annuaire de l'administration) a candidate; Savoie's real France
Services (ANCT list, 2024-08-01) are the existing sites, kept open. Travel times are
maillage's straight-line estimate (``vol d'oiseau``; give ``--pbf`` for road times).

For each model, the exact solution (spopt model solved by HiGHS through PuLP, model
building included) and the greedy heuristic (with the time of its LP bound, HiGHS through
scipy) are timed; the gap of greedy to the LP bound and to the exact optimum is printed.

Usage::

    python benchmarks/siting.py [--dans 20] [--sites 5] [--pbf savoie.osm.pbf]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import pandas as pd

from maillage.indicators.diagnostic import territory_origins
from maillage.planning.siting import MODELS, candidate_sites, locate_sites, siting_costs
from maillage.services.catalogue import territory_services
from maillage.territory.territory import select_territory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dans", type=float, default=20.0, help="coverage threshold (minutes)")
    parser.add_argument("--sites", type=int, default=5, help="new sites (max covering, p-median)")
    parser.add_argument("--pbf", type=Path, default=None, help="OSM extract for road times")
    args = parser.parse_args()

    territory = select_territory(departements=["73"], buffer_km=0)
    services = territory_services(territory)
    origins = territory_origins(territory)
    existing = services[services["type"] == "A128"]
    fixed = pd.DataFrame(
        {
            "site_id": existing["service_id"].astype(str).to_numpy(),
            "name": existing["name"].astype(str).to_numpy(),
            "commune": existing["commune"].astype(str).to_numpy(),
            "lon": existing["lon"].to_numpy(dtype=float),
            "lat": existing["lat"].to_numpy(dtype=float),
        }
    )
    candidates = candidate_sites(services, territory.codes)
    sites = pd.concat([fixed, candidates], ignore_index=True)
    model = None
    if args.pbf is not None:
        from maillage.network.graph import build_graph
        from maillage.network.model import RoadModel

        model = RoadModel(build_graph(args.pbf))
    started = time.perf_counter()
    costs = siting_costs(origins, sites, model=model, cutoff_minutes=max(90.0, 3 * args.dans))
    cost_seconds = time.perf_counter() - started
    population = pd.DataFrame(
        {"origin_id": origins["origin_id"].astype(str), "population": origins["population"]}
    )
    print(
        f"Savoie : {len(origins)} communes, {int(population['population'].sum())} habitants, "
        f"{len(candidates)} mairies candidates, {len(fixed)} France Services gardées ; "
        f"temps {'réseau routier' if model is not None else 'vol d’oiseau'} en "
        f"{cost_seconds:.2f} s ; seuil {args.dans:g} min, {args.sites} sites ; "
        f"{platform.processor() or platform.machine()}"
    )
    figures: dict[str, Any] = {
        "communes": len(origins),
        "candidates": len(candidates),
        "fixed": len(fixed),
        "within_minutes": args.dans,
        "new_sites": args.sites,
    }
    for model in MODELS:
        common = dict(
            model=model,
            within_minutes=args.dans,
            new_sites=args.sites,
            candidates=candidates["site_id"].tolist(),
            fixed=fixed["site_id"].tolist(),
        )
        exact = locate_sites(costs, population, **common)  # type: ignore[arg-type]
        greedy = locate_sites(costs, population, heuristic=True, **common)  # type: ignore[arg-type]
        to_exact = abs(greedy.objective - exact.objective) / abs(exact.objective or 1.0)
        bound = f"≤ {greedy.gap_bound:.3f}" if greedy.gap_bound is not None else "sans garantie"
        print(
            f"{MODELS[model]:>20} : exact {exact.seconds:7.2f} s "
            f"(objectif {exact.objective:.6g}) ; "
            f"glouton + borne LP {greedy.seconds:6.2f} s (objectif {greedy.objective:.6g}, "
            f"borne LP {greedy.bound:.6g}, écart à la borne {greedy.gap:.4f} {bound}, "
            f"à l'optimum {to_exact:.4f})"
        )
        figures[model] = {
            "exact_seconds": round(exact.seconds, 3),
            "exact_objective": exact.objective,
            "greedy_seconds": round(greedy.seconds, 3),
            "greedy_objective": greedy.objective,
            "lp_bound": greedy.bound,
            "greedy_gap_to_lp": greedy.gap,
            "greedy_gap_bound": greedy.gap_bound,
            "greedy_gap_to_optimum": to_exact,
            "new_sites_exact": exact.new_sites["site_id"].tolist(),
        }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
