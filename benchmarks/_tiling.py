"""Bigger real road graphs for the benchmarks: copies of one OSM graph, tiled and joined.

Shared by ``benchmarks/nearest.py`` (the whole tiled graph) and ``benchmarks/scale.py``
(only the tiles of one partition and of its ring, so that no process ever holds the
France-size graph).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from maillage.network.graph import RoadGraph


def tile_size(graph: RoadGraph) -> tuple[float, float]:
    """Width and height (metres) of one tile: the graph's extent plus a 500 m gap."""
    return float(np.ptp(graph.x)) + 500.0, float(np.ptp(graph.y)) + 500.0


def tile(
    graph: RoadGraph,
    side: int,
    links: int = 25,
    *,
    cells: Iterable[tuple[int, int]] | None = None,
) -> RoadGraph:
    """``side × side`` copies of ``graph`` joined at their edges by two-way roads.

    Between two neighbouring copies, the ``links`` easternmost (northernmost) nodes of
    one are joined to the westernmost (southernmost) of the other, by rank of their
    other coordinate, at 50 km/h over their distance; the road structure stays real.

    ``cells`` (row ``i``, column ``j``) builds only those copies of the grid, joined where
    they are neighbours; ``node_id`` then holds each node's number in the whole grid
    (``(i · side + j) · n + local``), ``x, y`` its place in it.
    """
    chosen = (
        [(i, j) for i in range(side) for j in range(side)] if cells is None else sorted(set(cells))
    )
    slot = {cell: position for position, cell in enumerate(chosen)}
    edges = graph.edges()
    src0, dst0 = edges.source.to_numpy(), edges.target.to_numpy()
    minutes0, length0 = edges.minutes.to_numpy(), edges.length_m.to_numpy()
    n = graph.n_nodes
    width, height = tile_size(graph)
    east = np.argsort(graph.x)[-links:]
    west = np.argsort(graph.x)[:links]
    north = np.argsort(graph.y)[-links:]
    south = np.argsort(graph.y)[:links]
    east, west = east[np.argsort(graph.y[east])], west[np.argsort(graph.y[west])]
    north, south = north[np.argsort(graph.x[north])], south[np.argsort(graph.x[south])]
    sources, targets, minutes, lengths, xs, ys = [], [], [], [], [], []
    for (i, j), k in slot.items():
        sources.append(src0 + k * n)
        targets.append(dst0 + k * n)
        minutes.append(minutes0)
        lengths.append(length0)
        xs.append(graph.x + j * width)
        ys.append(graph.y + i * height)
    x, y = np.concatenate(xs), np.concatenate(ys)
    for (i, j), k in slot.items():
        pairs = []
        if (i, j + 1) in slot:
            pairs.append((east + k * n, west + slot[(i, j + 1)] * n))
        if (i + 1, j) in slot:
            pairs.append((north + k * n, south + slot[(i + 1, j)] * n))
        for a, b in pairs:
            distance = np.hypot(x[a] - x[b], y[a] - y[b])
            for s, t in ((a, b), (b, a)):
                sources.append(s)
                targets.append(t)
                minutes.append(distance * 60.0 / 50_000.0)
                lengths.append(distance)
    lon = np.tile(graph.lon, len(slot))
    lat = np.tile(graph.lat, len(slot))
    tiled = RoadGraph.from_edges(
        np.concatenate(sources),
        np.concatenate(targets),
        np.concatenate(minutes),
        lon=lon,
        lat=lat,
        length_m=np.concatenate(lengths),
        way_id=np.zeros(sum(s.size for s in sources), dtype=np.int64),
    )
    grid_ids = np.concatenate(
        [(i * side + j) * n + np.arange(n, dtype=np.int64) for (i, j) in slot]
    )
    return replace(tiled, x=x, y=y, crs=graph.crs, node_id=grid_ids)
