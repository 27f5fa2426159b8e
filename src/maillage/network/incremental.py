"""Nearest-service times kept up to date as services close and open and roads close.

For a workshop where élus try a change and see its effect at once, recomputing every
origin's time after each click is wasteful: a change only moves the times of a small
part of the territory. :class:`IncrementalNearest` keeps, for every node of a road graph,
the time to its nearest open service, which service that is, and the edge its path
starts with (the search tree), and answers each change by searching only what it moves:

* **closing a service** re-searches only the nodes whose nearest service it was: their
  times are reset, and a search starts from the best entry into that region from its
  valid neighbours (and from other services standing on it);
* **opening a service** searches outward from the new site and stops wherever it does
  not improve the current time (a pruned Dijkstra search): the region it reaches is
  exactly the new site's catchment;
* **closing roads** (a pass in winter) re-searches the nodes whose path to their
  service used a closed edge (found by walking up the search tree); **reopening** them
  searches from the reopened edges, pruned like an opening.

Each answer is exact: the same times as a full recomputation from scratch
(:meth:`IncrementalNearest.recompute`, also checked against SciPy's Dijkstra and against
:func:`maillage.network.nearest.nearest_services`-style full searches in the tests),
because the times outside the searched region provably do not change (a closure only
lengthens paths through the closed element; an opening only shortens paths from it).

:class:`IncrementalStraightLine` does the same for straight-line estimates (no road
graph): a closure recomputes the origins that lost their nearest service, an opening
compares every origin with the new site only.

Both answer the :class:`IncrementalTimes` protocol for given origins (points), so that a
caller (the web app's workshop) works the same whatever the study's travel-time model:
:func:`incremental_times` builds the state of a
:class:`~maillage.network.model.TravelTimeModel` — :class:`IncrementalRoad` (origins and
services snapped to a road graph as :class:`~maillage.network.model.RoadModel` does) or
:class:`IncrementalStraightLine` — and says whether it can close roads
(:attr:`IncrementalTimes.closes_roads`: only a road graph can).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import numpy.typing as npt

from maillage._errors import MaillageError
from maillage.network import _incremental_kernels as kernels
from maillage.network.graph import RoadGraph
from maillage.network.snapping import DEFAULT_MAX_SNAP_M, OFFROAD_SPEED_KPH, snap_points
from maillage.network.snapping import _tree as snapping_tree
from maillage.network.straight_line import (
    DETOUR_COEFFICIENT,
    STRAIGHT_LINE_SPEED_KPH,
    metric_xy,
)
from maillage.network.straight_line import _minutes as straight_line_minutes

#: Nearest nodes of the snapping tree tried when a closed road takes a point's node away.
_RESNAP_NEIGHBOURS = 32

#: Why a straight-line estimate cannot close a road (a pass): it has no roads.
ROAD_CLOSURE_NEEDS_ROADS = "fermeture de col : nécessite une étude calculée sur le réseau routier"
_ROAD_CLOSURE_REFUSED = (
    f"{ROAD_CLOSURE_NEEDS_ROADS}. Correction : relancez « maillage diagnostic --reseau "
    "EXTRAIT.osm.pbf --sortie DOSSIER » et chargez ce dossier d'étude"
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Change:
    """What one change did.

    Attributes
    ----------
    nodes
        Nodes (or origins) whose time or nearest service may have changed (the searched
        region), sorted.
    before_minutes, after_minutes
        Their times before and after (``inf`` when no open service can be reached).
    """

    nodes: IntArray
    before_minutes: FloatArray
    after_minutes: FloatArray

    @property
    def size(self) -> int:
        """Number of nodes searched."""
        return int(self.nodes.size)


#: The arrays of :class:`IncrementalNearest` that change (copied by ``copy``).
_NEAREST_STATE = (
    "edge_open",
    "service_node",
    "service_minutes",
    "service_open",
    "_touched",
    "_dist",
    "_label",
    "_parent",
)


class IncrementalNearest:
    """Time from every node of a road graph to its nearest open service, kept exact
    under closures and openings (see the module docstring).

    Parameters
    ----------
    graph
        The road graph.
    service_nodes
        Node of each service (services are numbered in this order; openings append).
    service_minutes
        Time already spent to reach each service's node (the off-road leg), 0 by default.

    Examples
    --------
    A line 0 - 1 - 2 - 3 (1 minute per edge, both ways), services at 0 and 3:

    >>> g = RoadGraph.from_edges([0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2], [1.0] * 6,
    ...                          lon=[0, 0.01, 0.02, 0.03], lat=[0, 0, 0, 0])
    >>> state = IncrementalNearest(g, [0, 3])
    >>> state.minutes.tolist(), state.nearest.tolist()
    ([0.0, 1.0, 1.0, 0.0], [0, 0, 1, 1])
    >>> change = state.close_service(1)
    >>> change.nodes.tolist(), change.after_minutes.tolist()
    ([2, 3], [2.0, 3.0])
    >>> new, change = state.open_service(2)
    >>> new, change.nodes.tolist(), state.minutes.tolist()
    (2, [2, 3], [0.0, 1.0, 0.0, 1.0])
    """

    def __init__(
        self,
        graph: RoadGraph,
        service_nodes: Sequence[int] | IntArray,
        service_minutes: Sequence[float] | FloatArray | None = None,
    ) -> None:
        self.graph = graph
        n = graph.n_nodes
        self._fwd_indptr = graph.indptr.astype(np.int64)
        self._fwd_indices = graph.indices.astype(np.int32)
        self._fwd_minutes = graph.minutes.astype(np.float64)
        tails = graph.tails()
        order = np.lexsort((tails, graph.indices)).astype(np.int64)
        self._rev_indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(graph.indices, minlength=n), out=self._rev_indptr[1:])
        self._rev_indices = tails[order].astype(np.int32)
        self._rev_minutes = self._fwd_minutes[order]
        self._rev_edge = order
        self.edge_open = np.ones(graph.n_edges, dtype=np.bool_)
        nodes = np.asarray(service_nodes, dtype=np.int64)
        offsets = (
            np.zeros(nodes.size)
            if service_minutes is None
            else np.asarray(service_minutes, dtype=np.float64)
        )
        self.service_node = nodes.copy()
        self.service_minutes = offsets.copy()
        self.service_open = np.ones(nodes.size, dtype=np.bool_)
        self._touched = np.zeros(n, dtype=np.bool_)
        self._dist, self._label, self._parent = self._full()

    # --- state -----------------------------------------------------------------------
    @property
    def minutes(self) -> FloatArray:
        """Time from every node to its nearest open service (``inf`` if none reachable)."""
        return self._dist.copy()

    @property
    def nearest(self) -> IntArray:
        """Number of every node's nearest open service (-1 if none reachable)."""
        return self._label.astype(np.int64)

    @property
    def n_services(self) -> int:
        """Services known (open or closed)."""
        return int(self.service_node.size)

    def _full(self) -> tuple[FloatArray, npt.NDArray[np.int32], IntArray]:
        n = self.graph.n_nodes
        dist = np.full(n, np.inf)
        label = np.full(n, -1, dtype=np.int32)
        parent = np.full(n, -1, dtype=np.int64)
        open_ = np.flatnonzero(self.service_open)
        kernels.pruned_search(
            self._rev_indptr,
            self._rev_indices,
            self._rev_minutes,
            self._rev_edge,
            self.edge_open,
            dist,
            label,
            parent,
            self.service_node[open_],
            self.service_minutes[open_],
            open_.astype(np.int32),
            np.full(open_.size, -1, dtype=np.int64),
            self._touched,
        )
        return dist, label, parent

    def recompute(self) -> tuple[FloatArray, IntArray]:
        """Times and nearest services recomputed from scratch for the current state
        (the reference the incremental answers equal)."""
        dist, label, _ = self._full()
        return dist, label.astype(np.int64)

    def copy(self) -> IncrementalNearest:
        """An independent copy of the state; the graph and its arrays are shared (read only),
        so a copy costs a few arrays of the nodes' size, not a search."""
        twin = copy.copy(self)
        for name in _NEAREST_STATE:
            setattr(twin, name, getattr(self, name).copy())
        return twin

    # --- changes ---------------------------------------------------------------------
    def _search(
        self, nodes: IntArray, minutes: FloatArray, labels: IntArray, edges: IntArray
    ) -> tuple[IntArray, FloatArray]:
        return kernels.pruned_search(
            self._rev_indptr,
            self._rev_indices,
            self._rev_minutes,
            self._rev_edge,
            self.edge_open,
            self._dist,
            self._label,
            self._parent,
            np.asarray(nodes, dtype=np.int64),
            np.asarray(minutes, dtype=np.float64),
            np.asarray(labels, dtype=np.int32),
            np.asarray(edges, dtype=np.int64),
            self._touched,
        )

    def _research(self, invalid: IntArray) -> Change:
        """Reset the invalid nodes and search them again from their valid boundary."""
        before = self._dist[invalid].copy()
        self._dist[invalid] = np.inf
        self._label[invalid] = -1
        self._parent[invalid] = -1
        is_invalid = np.zeros(self.graph.n_nodes, dtype=np.bool_)
        is_invalid[invalid] = True
        nodes, minutes, labels, edges = kernels.boundary_starts(
            invalid,
            self._fwd_indptr,
            self._fwd_indices,
            self._fwd_minutes,
            self.edge_open,
            self._dist,
            self._label,
            is_invalid,
        )
        inside = np.flatnonzero(self.service_open & is_invalid[self.service_node])
        self._search(
            np.concatenate([nodes, self.service_node[inside]]),
            np.concatenate([minutes, self.service_minutes[inside]]),
            np.concatenate([labels.astype(np.int64), inside]),
            np.concatenate([edges, np.full(inside.size, -1, dtype=np.int64)]),
        )
        return Change(invalid, before, self._dist[invalid].copy())

    def _improve(
        self, nodes: IntArray, minutes: FloatArray, labels: IntArray, edges: IntArray
    ) -> Change:
        changed, before = self._search(nodes, minutes, labels, edges)
        order = np.argsort(changed)
        changed = changed[order]
        return Change(changed, before[order], self._dist[changed].copy())

    def close_service(self, service: int) -> Change:
        """Close a service: re-search only the nodes whose nearest service it was."""
        if not self.service_open[service]:
            return Change(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        self.service_open[service] = False
        return self._research(kernels.invalid_from_label(self._label, service))

    def reopen_service(self, service: int) -> Change:
        """Reopen a closed service (search outward from it, pruned)."""
        if self.service_open[service]:
            return Change(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        self.service_open[service] = True
        return self._improve(
            self.service_node[[service]],
            self.service_minutes[[service]],
            np.array([service]),
            np.array([-1]),
        )

    def open_service(self, node: int, minutes: float = 0.0) -> tuple[int, Change]:
        """Open a new service at ``node``; its number and what changed."""
        service = self.n_services
        self.service_node = np.append(self.service_node, np.int64(node))
        self.service_minutes = np.append(self.service_minutes, float(minutes))
        self.service_open = np.append(self.service_open, True)
        change = self._improve(
            np.array([node]), np.array([float(minutes)]), np.array([service]), np.array([-1])
        )
        return service, change

    def close_edges(self, edges: Sequence[int] | IntArray) -> Change:
        """Close road edges: re-search the nodes whose path used one of them."""
        edges = np.asarray(edges, dtype=np.int64)
        newly = edges[self.edge_open[edges]]
        if newly.size == 0:
            return Change(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        self.edge_open[newly] = False
        invalid = kernels.invalid_from_edges(self._parent, self._fwd_indices, self.edge_open)
        return self._research(invalid)

    def open_edges(self, edges: Sequence[int] | IntArray) -> Change:
        """Reopen road edges: search from their tails where they now give a better path."""
        edges = np.asarray(edges, dtype=np.int64)
        newly = edges[~self.edge_open[edges]]
        self.edge_open[newly] = True
        tails = np.searchsorted(self._fwd_indptr, newly, side="right") - 1
        heads = self._fwd_indices[newly].astype(np.int64)
        through = self._dist[heads] + self._fwd_minutes[newly]
        better = through < self._dist[tails]
        return self._improve(
            tails[better],
            through[better],
            self._label[heads[better]].astype(np.int64),
            newly[better],
        )

    def edges_of_ways(self, way_ids: Sequence[int]) -> IntArray:
        """Edges of the given OSM ways (to close a pass by its way ids), matched by
        :meth:`~maillage.network.graph.RoadGraph.edges_of`."""
        return self.graph.edges_of([int(way) for way in way_ids])


class IncrementalStraightLine:
    """Straight-line time from every origin to its nearest open service, kept exact
    under closures and openings (maillage's detour coefficient and speed).

    Parameters
    ----------
    origins_xy, services_xy
        Metric coordinates (Lambert-93 in France), shape ``(n, 2)``.
    detour_coefficient, speed_kph
        Detour coefficient and speed (those of
        :class:`maillage.network.model.StraightLineModel`; the diagnostic's by default).
    crs
        The CRS of the coordinates (said to callers, e.g. for :meth:`open_service`).

    A straight-line estimate has no roads: :attr:`closes_roads` is ``False`` and
    :meth:`close_roads` refuses (:data:`ROAD_CLOSURE_NEEDS_ROADS`).

    Examples
    --------
    >>> state = IncrementalStraightLine([[0, 0], [3000, 0]], [[0, 0], [9000, 0]])
    >>> state.nearest.tolist()
    [0, 0]
    >>> change = state.close_service(0)
    >>> change.nodes.tolist(), state.nearest.tolist()
    ([0, 1], [1, 1])
    >>> new, change = state.open_service(3000, 0)
    >>> change.nodes.tolist(), round(float(state.minutes[1]), 3)
    ([0, 1], 0.0)
    """

    def __init__(
        self,
        origins_xy: Sequence[Sequence[float]] | FloatArray,
        services_xy: Sequence[Sequence[float]] | FloatArray,
        *,
        detour_coefficient: float = DETOUR_COEFFICIENT,
        speed_kph: float = STRAIGHT_LINE_SPEED_KPH,
        crs: str = "EPSG:2154",
    ) -> None:
        self.detour_coefficient = detour_coefficient
        self.speed_kph = speed_kph
        self.crs = crs
        self.origins = np.asarray(origins_xy, dtype=np.float64).reshape(-1, 2)
        self.services = np.asarray(services_xy, dtype=np.float64).reshape(-1, 2)
        self.service_open = np.ones(len(self.services), dtype=np.bool_)
        self._dist, self._label = self._nearest(np.arange(len(self.origins)))

    def _to_minutes(self, metres: FloatArray) -> FloatArray:
        return straight_line_minutes(metres, self.detour_coefficient, self.speed_kph)

    def _nearest(self, rows: IntArray) -> tuple[FloatArray, IntArray]:
        open_ = np.flatnonzero(self.service_open)
        if open_.size == 0 or rows.size == 0:
            return np.full(rows.size, np.inf), np.full(rows.size, -1, dtype=np.int64)
        gaps = self.origins[rows, None, :] - self.services[None, open_, :]
        metres = np.hypot(gaps[..., 0], gaps[..., 1])
        best = np.argmin(metres, axis=1)
        return self._to_minutes(metres[np.arange(rows.size), best]), open_[best]

    @property
    def minutes(self) -> FloatArray:
        """Time from every origin to its nearest open service."""
        return self._dist.copy()

    @property
    def nearest(self) -> IntArray:
        """Number of every origin's nearest open service (-1 if none)."""
        return self._label.copy()

    def recompute(self) -> tuple[FloatArray, IntArray]:
        """From scratch, for the current state (the reference)."""
        return self._nearest(np.arange(len(self.origins)))

    def close_service(self, service: int) -> Change:
        """Close a service: recompute only the origins that had it as nearest."""
        self.service_open[service] = False
        rows = np.flatnonzero(self._label == service)
        before = self._dist[rows].copy()
        self._dist[rows], self._label[rows] = self._nearest(rows)
        return Change(rows, before, self._dist[rows].copy())

    def reopen_service(self, service: int) -> Change:
        """Reopen a closed service."""
        self.service_open[service] = True
        return self._improve(service)

    def open_service(self, x: float, y: float) -> tuple[int, Change]:
        """Open a new service at ``(x, y)``; its number and what changed."""
        self.services = np.vstack([self.services, [x, y]])
        self.service_open = np.append(self.service_open, True)
        service = len(self.services) - 1
        return service, self._improve(service)

    def _improve(self, service: int) -> Change:
        gaps = self.origins - self.services[service]
        minutes = self._to_minutes(np.hypot(gaps[:, 0], gaps[:, 1]))
        rows = np.flatnonzero(minutes < self._dist)
        before = self._dist[rows].copy()
        self._dist[rows] = minutes[rows]
        self._label[rows] = service
        return Change(rows, before, self._dist[rows].copy())

    #: A straight line has no roads to close.
    closes_roads = False

    def copy(self) -> IncrementalStraightLine:
        """An independent copy of the state."""
        twin = copy.copy(self)
        for name in ("services", "service_open", "_dist", "_label"):
            setattr(twin, name, getattr(self, name).copy())
        return twin

    def knows_road(self, road: str) -> bool:
        """Always ``False``: no roads."""
        return False

    def close_roads(self, roads: Sequence[str]) -> Change:
        """Refused: a straight-line estimate has no roads (:data:`ROAD_CLOSURE_NEEDS_ROADS`)."""
        raise MaillageError(_ROAD_CLOSURE_REFUSED)

    def open_roads(self, roads: Sequence[str]) -> Change:
        """Refused, as :meth:`close_roads`."""
        raise MaillageError(_ROAD_CLOSURE_REFUSED)


class IncrementalRoad:
    """Road time from given origins (points) to their nearest open service, kept exact
    under closures, openings and road closures (:class:`IncrementalNearest` on the graph).

    Origins and services are snapped as :class:`~maillage.network.model.RoadModel` does:
    to the nearest node on a road, the off-road leg counted at ``offroad_speed_kph``; a
    point farther than ``max_snap_m`` from every road gets no time (an origin: ``inf``; a
    service: it never serves). When closed roads leave a point's node without a road (a
    house on the pass), the point is snapped again to the nearest node still on an open
    road, as on the graph without those roads; so the times always equal
    ``RoadModel(graph.without_ways(closed)).nearest`` on the same points.

    Parameters
    ----------
    graph
        The road graph.
    origins, services
        Points in any declared CRS, in order (services are numbered in this order;
        openings append).
    max_snap_m, offroad_speed_kph
        As :func:`~maillage.network.snapping.snap_points`.
    crs
        CRS of the coordinates given to :meth:`open_service`.

    Examples
    --------
    A line of four nodes 1.1 km apart (1 minute per edge), services at both ends:

    >>> from shapely.geometry import Point
    >>> g = RoadGraph.from_edges([0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2], [1.0] * 6,
    ...                          lon=[0, 0.01, 0.02, 0.03], lat=[0, 0, 0, 0])
    >>> points = lambda *lon: gpd.GeoDataFrame(geometry=[Point(x, 0) for x in lon], crs=4326)
    >>> state = IncrementalRoad(g, points(0.01, 0.02), points(0.0, 0.03), crs="EPSG:4326")
    >>> state.minutes.tolist(), state.nearest.tolist()
    ([1.0, 1.0], [0, 1])
    >>> _ = state.close_service(1)
    >>> state.minutes.tolist(), state.nearest.tolist()
    ([1.0, 2.0], [0, 0])
    """

    #: A road graph can close roads (a pass in winter).
    closes_roads = True

    def __init__(
        self,
        graph: RoadGraph,
        origins: gpd.GeoDataFrame,
        services: gpd.GeoDataFrame,
        *,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        offroad_speed_kph: float = OFFROAD_SPEED_KPH,
        crs: str = "EPSG:2154",
    ) -> None:
        self.graph = graph
        self.crs = crs
        self.max_snap_m = max_snap_m
        self.offroad_speed_kph = offroad_speed_kph
        self._tails = graph.tails()
        self._origin_xy, self._origin_first = self._snap(origins)
        self._origin_node, self._origin_m = self._origin_first
        self._service_xy, (service_node, service_m) = self._snap(services)
        self._service_first = (service_node, service_m)
        self.network = IncrementalNearest(graph, service_node, self._offroad(service_m))

    def _offroad(self, metres: FloatArray) -> FloatArray:
        """Off-road minutes, ``inf`` beyond ``max_snap_m`` (the point is not placed)."""
        minutes = metres * 60.0 / (self.offroad_speed_kph * 1000.0)
        return np.where(metres > self.max_snap_m, np.inf, minutes)

    def _snap(self, points: gpd.GeoDataFrame) -> tuple[FloatArray, tuple[IntArray, FloatArray]]:
        """Coordinates in the graph's CRS, nearest node on a road and its distance (m)."""
        rows = gpd.GeoDataFrame({"row": np.arange(len(points))}, geometry=points.geometry.values)
        snapped = snap_points(self.graph, rows, id_column="row", max_snap_m=self.max_snap_m)
        xy = rows.geometry.to_crs(self.graph.crs)
        coordinates = np.column_stack([xy.x.to_numpy(), xy.y.to_numpy()]).reshape(-1, 2)
        return coordinates, (
            snapped.node.to_numpy(dtype=np.int64),
            snapped.snap_m.to_numpy(dtype=np.float64),
        )

    def _on_open_roads(self) -> npt.NDArray[np.bool_]:
        """Nodes with an open in-edge and an open out-edge (``RoadGraph.has_edges`` of the
        graph without the closed roads)."""
        open_ = self.network.edge_open
        n = self.graph.n_nodes
        out_degree = np.bincount(self._tails[open_], minlength=n) > 0
        in_degree = np.bincount(self.graph.indices[open_], minlength=n) > 0
        return np.asarray(out_degree & in_degree)

    def _resnapped(
        self, xy: FloatArray, first: tuple[IntArray, FloatArray], alive: npt.NDArray[np.bool_]
    ) -> tuple[IntArray, FloatArray]:
        """Each point's node and distance once the closed roads are gone: its first node
        when still on an open road, else the nearest node that is."""
        node, metres = first[0].copy(), first[1].copy()
        lost = np.flatnonzero(~alive[node])
        if lost.size == 0:
            return node, metres
        # The snapping tree's nearest nodes first (closing roads only removes nodes)...
        tree, usable = snapping_tree(self.graph)
        k = min(_RESNAP_NEIGHBOURS, usable.size)
        distance, position = tree.query(xy[lost], k=k)
        candidates = usable[np.asarray(position, dtype=np.int64).reshape(lost.size, k)]
        ok = alive[candidates]
        best = ok.argmax(axis=1)
        rows = np.arange(lost.size)
        node[lost] = candidates[rows, best]
        metres[lost] = np.asarray(distance).reshape(lost.size, k)[rows, best]
        missed = lost[~ok.any(axis=1)]
        if missed.size:  # ... and a tree of the open roads' nodes when none is open
            from scipy.spatial import cKDTree

            open_nodes = np.flatnonzero(alive)
            far, where = cKDTree(
                np.column_stack([self.graph.x[open_nodes], self.graph.y[open_nodes]])
            ).query(xy[missed])
            node[missed] = open_nodes[np.asarray(where, dtype=np.int64)]
            metres[missed] = far
        return node, metres

    def _follow_roads(self, change: Change, before: FloatArray) -> Change:
        """After roads closed or reopened: snap the points again, move the services whose
        node changed (a closure and a reopening of each, both exact); what changed in all
        (``before``: the nodes' times before the road change)."""
        alive = self._on_open_roads()
        self._origin_node, self._origin_m = self._resnapped(
            self._origin_xy, self._origin_first, alive
        )
        node, metres = self._resnapped(self._service_xy, self._service_first, alive)
        offroad = self._offroad(metres)
        network = self.network
        searched = [change.nodes]
        for service in np.flatnonzero(
            (node != network.service_node) | (offroad != network.service_minutes)
        ):
            was_open = bool(network.service_open[service])
            searched.append(network.close_service(int(service)).nodes)
            network.service_node[service] = node[service]
            network.service_minutes[service] = offroad[service]
            if was_open:
                searched.append(network.reopen_service(int(service)).nodes)
        nodes = np.unique(np.concatenate(searched)).astype(np.int64)
        return Change(nodes, before[nodes], network._dist[nodes].copy())

    def _at_origins(self, dist: FloatArray, label: IntArray) -> tuple[FloatArray, IntArray]:
        minutes = dist[self._origin_node] + self._offroad(self._origin_m)
        return minutes, np.where(np.isfinite(minutes), label[self._origin_node], -1)

    @property
    def minutes(self) -> FloatArray:
        """Time from every origin to its nearest open service (``inf`` if none reachable)."""
        return self._at_origins(self.network._dist, self.network.nearest)[0]

    @property
    def nearest(self) -> IntArray:
        """Number of every origin's nearest open service (-1 if none reachable)."""
        return self._at_origins(self.network._dist, self.network.nearest)[1]

    def recompute(self) -> tuple[FloatArray, IntArray]:
        """From scratch, for the current state (the reference)."""
        return self._at_origins(*self.network.recompute())

    def copy(self) -> IncrementalRoad:
        """An independent copy (the graph shared, see :meth:`IncrementalNearest.copy`)."""
        twin = copy.copy(self)
        twin.network = self.network.copy()
        return twin

    def close_service(self, service: int) -> Change:
        """Close a service (nodes re-searched: its catchment)."""
        return self.network.close_service(service)

    def reopen_service(self, service: int) -> Change:
        """Reopen a closed service (searched outward from it)."""
        return self.network.reopen_service(service)

    def open_service(self, x: float, y: float) -> tuple[int, Change]:
        """Open a new service at ``(x, y)`` (in :attr:`crs`), snapped to the open roads."""
        from shapely.geometry import Point

        xy, first = self._snap(gpd.GeoDataFrame(geometry=[Point(x, y)], crs=self.crs))
        node, metres = self._resnapped(xy, first, self._on_open_roads())
        self._service_xy = np.vstack([self._service_xy, xy])
        self._service_first = (
            np.append(self._service_first[0], first[0]),
            np.append(self._service_first[1], first[1]),
        )
        return self.network.open_service(int(node[0]), float(self._offroad(metres)[0]))

    def knows_road(self, road: str) -> bool:
        """Whether ``road`` (name, ref or OSM id) matches ways of the graph."""
        try:
            self.graph.edges_of([road])
        except MaillageError:
            return False
        return True

    def close_roads(self, roads: Sequence[str]) -> Change:
        """Close the ways named (name, ref or OSM id, as :meth:`RoadGraph.without_ways`)."""
        before = self.network._dist.copy()
        change = self.network.close_edges(self.graph.edges_of(list(roads)))
        return self._follow_roads(change, before)

    def open_roads(self, roads: Sequence[str]) -> Change:
        """Reopen the ways named."""
        before = self.network._dist.copy()
        change = self.network.open_edges(self.graph.edges_of(list(roads)))
        return self._follow_roads(change, before)


class IncrementalTimes(Protocol):
    """Nearest-service times of fixed origins, kept exact as services and roads change
    (:class:`IncrementalRoad`, :class:`IncrementalStraightLine`)."""

    #: Whether :meth:`close_roads` can close roads (only on a road graph).
    closes_roads: bool
    #: CRS of the coordinates given to :meth:`open_service`.
    crs: str

    @property
    def minutes(self) -> FloatArray:
        """Time from every origin to its nearest open service (``inf`` if none)."""
        ...

    @property
    def nearest(self) -> IntArray:
        """Number of every origin's nearest open service (-1 if none)."""
        ...

    def recompute(self) -> tuple[FloatArray, IntArray]:
        """Times and nearest services from scratch (the reference)."""
        ...

    def copy(self) -> IncrementalTimes:
        """An independent copy of the state."""
        ...

    def close_service(self, service: int) -> Change:
        """Close a service."""
        ...

    def reopen_service(self, service: int) -> Change:
        """Reopen a closed service."""
        ...

    def open_service(self, x: float, y: float) -> tuple[int, Change]:
        """Open a new service at ``(x, y)`` in :attr:`crs`: its number and what changed."""
        ...

    def knows_road(self, road: str) -> bool:
        """Whether :meth:`close_roads` can close ``road``."""
        ...

    def close_roads(self, roads: Sequence[str]) -> Change:
        """Close roads (a pass) by name, ref or OSM id."""
        ...

    def open_roads(self, roads: Sequence[str]) -> Change:
        """Reopen roads."""
        ...


@runtime_checkable
class SupportsIncremental(Protocol):
    """A travel-time model that can answer changes incrementally."""

    def incremental(
        self, origins: gpd.GeoDataFrame, services: gpd.GeoDataFrame
    ) -> IncrementalTimes:
        """The incremental state of these origins and services."""
        ...


def incremental_times(
    model: object, origins: gpd.GeoDataFrame, services: gpd.GeoDataFrame
) -> IncrementalTimes:
    """The incremental state of a model's nearest-service times.

    Parameters
    ----------
    model
        A :class:`~maillage.network.model.TravelTimeModel`: a
        :class:`~maillage.network.model.RoadModel` (times on its graph, roads can be
        closed) or a :class:`~maillage.network.model.StraightLineModel` (its detour and
        speed, in the metric CRS it computes in: Lambert-93 in France). Any model with an
        ``incremental`` method (:class:`SupportsIncremental`) answers.
    origins, services
        Points in any declared CRS; services numbered in their order.

    Raises
    ------
    MaillageError
        For a model that cannot answer incrementally (public transport).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> points = lambda *lon: gpd.GeoDataFrame(geometry=[Point(x, 45.27) for x in lon],
    ...                                        crs=4326)
    >>> from maillage.network.model import StraightLineModel
    >>> state = incremental_times(StraightLineModel(), points(6.35), points(6.45, 6.6))
    >>> round(float(state.minutes[0]), 1), state.closes_roads, state.crs
    (14.6, False, 'EPSG:2154')
    """
    if not isinstance(model, SupportsIncremental):
        method = getattr(getattr(model, "method", None), "value", type(model).__name__)
        raise MaillageError(
            f"les temps « {method} » ne se recalculent pas changement par "
            "changement. Correction : utilisez une étude calculée par la route ou à vol d'oiseau"
        )
    return model.incremental(origins, services)


def straight_line_state(
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    detour_coefficient: float = DETOUR_COEFFICIENT,
    speed_kph: float = STRAIGHT_LINE_SPEED_KPH,
) -> IncrementalStraightLine:
    """:class:`IncrementalStraightLine` of points, in the metric CRS the straight-line
    estimate computes in (:func:`~maillage.network.straight_line.nearest_services_straight_line`:
    Lambert-93 in France, the UTM zone elsewhere)."""
    origin_xy, service_xy, crs = metric_xy(origins, services)
    return IncrementalStraightLine(
        origin_xy,
        service_xy,
        detour_coefficient=detour_coefficient,
        speed_kph=speed_kph,
        crs=crs,
    )
