"""Times agree with OSRM (``osrm-bindings``) fed the same ways and the same speeds.

OSRM gets an OSM file of exactly the ways maillage keeps, each tagged with maillage's
forward / backward speed, and a profile that reads them with no turn, signal or
U-turn penalty. Stated tolerance: ``|Δ| ≤ max(1 % × t, 0.25 min)`` on every pair, and a
median relative gap under 0.5 %. OSRM rounds each segment to 0.1 s (at least 0.1 s)
and measures lengths on a slightly larger sphere, hence the gap; measured here: median
0.08-0.26 %, worst 0.14 min (Monaco's tiny segments).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from maillage.network._osrm import prepare_osrm
from maillage.network.graph import RoadGraph

from .conftest import EXTRACTS

osrm = pytest.importorskip(
    "osrm",
    reason="osrm-bindings absent (wheels for CPython ≥ 3.12 only: pip install osrm-bindings)",
)

RELATIVE_TOLERANCE = 0.01
ABSOLUTE_TOLERANCE_MINUTES = 0.25


@pytest.mark.parametrize("name", list(EXTRACTS))
def test_times_agree_with_osrm_table(
    graphs: dict[str, RoadGraph], name: str, tmp_path: Path
) -> None:
    graph = graphs[name]
    engine = osrm.OSRM(
        storage_config=str(prepare_osrm(EXTRACTS[name], tmp_path)), use_shared_memory=False
    )
    rng = np.random.default_rng(0)
    sources = rng.choice(graph.n_nodes, 20, replace=False)
    targets = rng.choice(graph.n_nodes, 50, replace=False)
    coordinates = [
        (float(graph.lon[i]), float(graph.lat[i])) for i in np.concatenate([sources, targets])
    ]
    result = engine.Table(
        osrm.TableParameters(
            coordinates=coordinates, sources=list(range(20)), destinations=list(range(20, 70))
        )
    )
    assert max(w["distance"] for w in result["sources"]) < 0.5  # OSRM snapped to our nodes
    theirs = np.array(result["durations"], dtype=np.float64) / 60.0
    ours = dijkstra(graph.csr(), indices=sources)[:, targets]
    gap = np.abs(theirs - ours)
    assert np.all(gap <= np.maximum(RELATIVE_TOLERANCE * ours, ABSOLUTE_TOLERANCE_MINUTES))
    relative = gap[ours > 1.0] / ours[ours > 1.0]
    assert np.median(relative) < 0.005
