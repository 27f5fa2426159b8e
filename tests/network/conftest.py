"""Road graphs of the real OSM extracts, built once per test session."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from maillage.network.graph import RoadGraph, build_graph

OSM = Path(__file__).resolve().parents[1] / "data" / "osm"
EXTRACTS = {
    "saint-barthelemy": OSM / "saint-barthelemy-2014.osm.pbf",
    "monaco": OSM / "monaco-2019-09-30.osm.pbf",
    "andorra": OSM / "andorra-graphhopper.osm.pbf",
    "malta": OSM / "malta-2018-08-29.osm.pbf",
}


@pytest.fixture(scope="session")
def graph_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("graphs")


@pytest.fixture(scope="session")
def graphs(graph_cache: Path) -> dict[str, RoadGraph]:
    return {name: build_graph(path, cache_dir=graph_cache) for name, path in EXTRACTS.items()}


BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def benchmark_module(name: str) -> ModuleType:
    """A helper module of ``benchmarks/`` (``_tiling``, ``_pbf_tiling``), imported by path."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
