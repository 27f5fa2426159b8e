"""Coverage of a road extract (issue 18): the share of communes and services within reach
of a road, checked against a brute-force distance to every node of the real extracts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from maillage.network.coverage import CoverageError, check_extract_coverage, extract_coverage
from maillage.network.graph import build_graph
from maillage.network.model import NetworkPair
from maillage.study import Study
from maillage.territory.spec import TerritorySpec

OSM = Path(__file__).parents[1] / "data" / "osm"


def brute_force_snapped(graph, lon, lat, max_m: float = 2000.0) -> np.ndarray:  # type: ignore[no-untyped-def]
    x, y = Transformer.from_crs("EPSG:4326", graph.crs, always_xy=True).transform(lon, lat)
    usable = graph.has_edges()
    nx, ny = graph.x[usable], graph.y[usable]
    nearest = [float(np.min(np.hypot(nx - a, ny - b))) for a, b in zip(x, y, strict=True)]
    return np.asarray(nearest) <= max_m


def test_monaco_extract_reaches_three_of_four_communes_as_brute_force_says() -> None:
    study = Study.load(
        TerritorySpec(communes=("06104", "06150", "06012", "06032"), buffer_km=3),
        network=NetworkPair.from_pbf(OSM / "monaco-2019-09-30.osm.pbf"),
    )
    coverage = study.coverage()
    assert coverage is not None
    graph = study.network.summer.graph  # type: ignore[attr-defined]
    communes = study.territory.communes
    snapped = brute_force_snapped(graph, communes["lon"].to_numpy(), communes["lat"].to_numpy())
    assert coverage.origins_snapped == int(snapped.sum()) == 3
    population = communes["population"].to_numpy(float)
    assert coverage.population_share == pytest.approx(population[snapped].sum() / population.sum())
    services = study.services
    by_service = brute_force_snapped(graph, services["lon"].to_numpy(), services["lat"].to_numpy())
    assert coverage.services_snapped == int(by_service.sum())
    with pytest.raises(CoverageError, match="75,0 % des communes"):
        check_extract_coverage(graph, study.territory, services)
    assert check_extract_coverage(graph, study.territory, services, force=True) == coverage


def test_saint_barthelemy_extract_covers_nothing_of_the_maurienne() -> None:
    study = Study.builtin(builtin_sources=["mairies", "france_services"])
    graph = build_graph(OSM / "saint-barthelemy-2014.osm.pbf")
    coverage = extract_coverage(graph, study.territory, study.services)
    assert (coverage.origins_snapped, coverage.services_snapped) == (0, 0)
    assert coverage.origins == 53 and not coverage.sufficient()
    assert Study.builtin(buffer_km=0).coverage() is None  # straight line: nothing to cover
