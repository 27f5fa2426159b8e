"""Partitions of a large territory, each with the ring of services its communes can reach.

A partition owns some communes of the territory (those of one département, by default)
and carries the services of the territory's service set that lie within ``radius_km`` of
them (great-circle distance from the commune points): its **ring**. Its travel times are
exact up to a **guaranteed time**: a service left out of the ring lies farther than
``radius_km``, so it takes longer than

* ``radius_km × 0.99 × detour / speed`` with the straight-line estimate (1 % margin for
  the scale error of the metric CRS), 56 minutes for 30 km;
* ``(radius_km − max_snap_km) / top_speed`` on a road graph cropped to the nodes within
  ``radius_km`` of the communes (no faster path can leave the crop).

Any nearest time beyond it (or a type absent from the ring) is recomputed by
:func:`maillage.scale.merge.merge_partitions` on the whole service set: partitioning never
changes a figure, it only decides where it is computed.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from maillage._errors import MaillageError
from maillage.indicators.diagnostic import season_times
from maillage.network.graph import RoadGraph, default_cache_dir
from maillage.network.model import (
    NetworkPair,
    RingBoundedModel,
    RoadModel,
    StraightLineModel,
    TravelTimeModel,
)
from maillage.network.snapping import located
from maillage.network.zones import crs_zone
from maillage.notes import Note
from maillage.sources._locate import _unit_vectors

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class StoredRoadModel:
    """A road model whose (cropped) graph a worker reads from its ``.npz`` file.

    Attributes
    ----------
    path
        The graph's file (:meth:`~maillage.network.graph.RoadGraph.save`).
    max_snap_m, offroad_speed_kph, n_jobs
        The settings of the road model (:class:`~maillage.network.model.RoadModel`).

    Examples
    --------
    >>> import tempfile
    >>> g = RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0], lon=[0, 0.01], lat=[0, 0])
    >>> path = Path(tempfile.mkdtemp()) / "part.npz"
    >>> g.save(path)
    >>> StoredRoadModel(path, 500.0, 5.0, None).load().graph.n_edges
    2
    """

    path: Path
    max_snap_m: float
    offroad_speed_kph: float
    n_jobs: int | None

    def load(self) -> RoadModel:
        """The road model on the graph read back."""
        graph = RoadGraph.load(self.path)
        return RoadModel(graph, self.max_snap_m, self.offroad_speed_kph, self.n_jobs)


#: A travel-time model, or a road model stored for a worker to read.
ModelSource = TravelTimeModel | StoredRoadModel


@dataclass(frozen=True)
class Partition:
    """One unit of work: some communes and the services of their ring.

    Attributes
    ----------
    key
        Identifier (the département code): a task retried after a worker loss replaces
        its result under the same key, never adds a second one.
    origins
        The partition's own communes as origins (columns of
        :func:`~maillage.indicators.diagnostic.territory_origins`).
    services
        The services within ``radius_km`` of the origins.
    radius_km
        Width of the ring.
    guaranteed_minutes
        Times up to this are exact; longer ones are checked on the whole service set.
    zone
        ``"metropole"`` or the overseas département: the metric CRS the times are in.
    summer, winter
        The travel-time models of the seasons, road graphs cropped to the ring (or stored
        in ``.npz`` files); ``winter`` ``None``: the summer model serves in winter too.

    Examples
    --------
    >>> from maillage.indicators.diagnostic import territory_origins
    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.territory.territory import select_territory
    >>> t = select_territory(epci=["200070340"], buffer_km=30)
    >>> part = plan_partitions(territory_origins(t), territory_services(t, builtin=["mairies"]),
    ...                        radius_km=30)[0]
    >>> part.key, len(part.origins), part.radius_km, part.winter is None
    ('73', 10, 30.0, True)
    """

    key: str
    origins: gpd.GeoDataFrame
    services: gpd.GeoDataFrame
    radius_km: float
    guaranteed_minutes: float
    zone: str
    summer: ModelSource = field(default_factory=StraightLineModel)
    winter: ModelSource | None = None

    def network(self) -> NetworkPair:
        """The partition's models, stored graphs read back."""
        winter = None if self.winter is None else _loaded(self.winter)
        return NetworkPair(_loaded(self.summer), winter)


@dataclass
class PartitionResult:
    """Per-commune tables of one partition (what a Dask task sends back).

    Attributes
    ----------
    key
        The partition's key.
    origin_ids
        Its communes.
    nearest
        ``origin_id, type, service_id, minutes, season`` (both seasons).
    matrix
        ``origin_id, service_id, minutes``: pairs within the opening-hours budget.
    guaranteed_minutes, zone
        As in :class:`Partition`.
    notes
        The points left without time (:func:`~maillage.indicators.diagnostic.unplaced_notes`).
    seconds
        Computing time.

    Examples
    --------
    See :func:`diagnose_partition`, which returns it.
    """

    key: str
    origin_ids: list[str]
    nearest: pd.DataFrame
    matrix: pd.DataFrame
    guaranteed_minutes: float
    zone: str
    notes: list[Note] = field(default_factory=list)
    seconds: float = 0.0


def straight_line_guarantee(radius_km: float, model: StraightLineModel | None = None) -> float:
    """Minutes within which straight-line times of a ring of ``radius_km`` are exact.

    Examples
    --------
    >>> round(straight_line_guarantee(30.0), 1)
    55.4
    """
    return (StraightLineModel() if model is None else model).guaranteed_minutes(radius_km)


def model_guarantee(model: TravelTimeModel, radius_km: float) -> float:
    """Minutes within which ``model``'s times in a ring of ``radius_km`` are exact.

    The model says it (:class:`~maillage.network.model.RingBoundedModel`), so that a new
    model plugs in without a new ``if`` here.

    Raises
    ------
    MaillageError
        A model the partitioned run cannot bound (not a ``RingBoundedModel``).

    Examples
    --------
    >>> model_guarantee(StraightLineModel(), 30.0) == straight_line_guarantee(30.0)
    True
    """
    if isinstance(model, RingBoundedModel):
        return model.guaranteed_minutes(radius_km)
    raise MaillageError(
        f"le calcul réparti ne sait pas borner les temps du modèle « {model.method.value} ». "
        "Correction : lancez le diagnostic sans partitions (--sans-partitions)"
    )


def road_guarantee(graph: RoadGraph, radius_km: float) -> float:
    """Minutes within which road times on a graph cropped at ``radius_km`` are exact.

    A path of ``t`` minutes at the graph's top speed ``v`` stays within ``v·t`` of its
    start, and the off-network leg within :data:`~maillage.network.model.MAX_SNAP_KM`.

    Examples
    --------
    >>> g = RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0], lon=[0, 0.01], lat=[0, 0])
    >>> round(road_guarantee(g, 30.0), 1)  # 1.1 km per minute: 67 km/h
    25.2
    """
    return RoadModel(graph).guaranteed_minutes(radius_km)


def _lonlat(frame: gpd.GeoDataFrame) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    points = frame.geometry.to_crs(4326)
    if not (points.geom_type == "Point").all():
        points = points.representative_point()
    return points.x.to_numpy(float), points.y.to_numpy(float)


def within_radius(
    points: gpd.GeoDataFrame, centres: gpd.GeoDataFrame, radius_km: float
) -> npt.NDArray[np.bool_]:
    """Whether each of ``points`` lies within ``radius_km`` (great circle) of a centre.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> c = gpd.GeoDataFrame(geometry=[Point(6.35, 45.27)], crs=4326)
    >>> p = gpd.GeoDataFrame(geometry=[Point(6.45, 45.27), Point(7.5, 45.27)], crs=4326)
    >>> within_radius(p, c, 30.0).tolist()
    [True, False]
    """
    if len(points) == 0 or len(centres) == 0:
        return np.zeros(len(points), dtype=bool)
    return _vectors_within(_unit_vectors(*_lonlat(points)), centres, radius_km)


def _vectors_within(
    vectors: npt.NDArray[np.float64], centres: gpd.GeoDataFrame, radius_km: float
) -> npt.NDArray[np.bool_]:
    """:func:`within_radius` of points given as unit vectors (:func:`_unit_vectors`)."""
    if len(vectors) == 0 or len(centres) == 0:
        return np.zeros(len(vectors), dtype=bool)
    tree = cKDTree(_unit_vectors(*_lonlat(centres)))
    chord = 2 * np.sin(radius_km * 1000.0 / EARTH_RADIUS_M / 2)
    distance, _ = tree.query(vectors, distance_upper_bound=chord)
    return np.asarray(np.isfinite(distance))


def _distinct_points(
    frame: gpd.GeoDataFrame,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp]]:
    """The distinct points of ``frame`` as unit vectors, and the one of each row.

    Projected once for all partitions: services often share a point (the per-commune
    counts sit at the chef-lieu), so each point is tested once per partition.
    """
    lon, lat = _lonlat(frame)
    points, row_point = np.unique(np.column_stack([lon, lat]), axis=0, return_inverse=True)
    return _unit_vectors(points[:, 0], points[:, 1]), np.asarray(row_point).ravel()


def crop_graph(graph: RoadGraph, keep: npt.NDArray[np.bool_]) -> RoadGraph:
    """The sub-graph of the kept nodes and of the edges between them (nodes renumbered).

    Examples
    --------
    >>> g = RoadGraph.from_edges([0, 1, 1, 2], [1, 0, 2, 1], [1.0, 1.0, 2.0, 2.0],
    ...                          lon=[0, 0.01, 0.02], lat=[0, 0, 0])
    >>> small = crop_graph(g, np.array([True, True, False]))
    >>> small.n_nodes, small.n_edges
    (2, 2)
    """
    position = np.cumsum(keep) - 1
    tails = graph.tails()
    heads = graph.indices.astype(np.int64)
    edge = keep[tails] & keep[heads]
    new_tails = position[tails[edge]]
    n = int(keep.sum())
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(new_tails, minlength=n), out=indptr[1:])
    return replace(
        graph,
        node_id=graph.node_id[keep],
        lon=graph.lon[keep],
        lat=graph.lat[keep],
        x=graph.x[keep],
        y=graph.y[keep],
        indptr=indptr,
        indices=position[heads[edge]].astype(np.int32),
        minutes=graph.minutes[edge],
        length_m=graph.length_m[edge],
        edge_way=graph.edge_way[edge],
        _cache={},
    )


def _graph_nodes_within(
    graph: RoadGraph, origins: gpd.GeoDataFrame, radius_km: float
) -> npt.NDArray[np.bool_]:
    """Whether each graph node lies within ``radius_km`` of one of ``origins`` (metric CRS).

    The nodes are bucketed once per graph in square cells (:data:`CELL_M`); a cell whose
    every point is nearer than the radius is taken whole, a cell wholly beyond is skipped,
    and only the nodes of the cells across the circle's edge are measured — so that a
    national graph (tens of millions of nodes) is not searched once per département.
    """
    xy = origins.geometry.to_crs(graph.crs)
    tree = cKDTree(np.column_stack([xy.x.to_numpy(float), xy.y.to_numpy(float)]))
    radius = radius_km * 1000.0
    keep = np.zeros(graph.n_nodes, dtype=bool)
    if tree.n == 0 or graph.n_nodes == 0:
        return keep
    cells = _node_cells(graph)
    lo = np.floor((tree.mins - radius - cells.origin) / CELL_M).astype(np.int64)
    hi = np.floor((tree.maxes + radius - cells.origin) / CELL_M).astype(np.int64)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, cells.shape - 1)
    if np.any(lo > hi):
        return keep
    grid_x, grid_y = np.meshgrid(
        np.arange(lo[0], hi[0] + 1), np.arange(lo[1], hi[1] + 1), indexing="ij"
    )
    ix, iy = grid_x.ravel(), grid_y.ravel()
    centres = cells.origin + (np.column_stack([ix, iy]) + 0.5) * CELL_M
    distance, _ = tree.query(centres)
    half_diagonal = CELL_M * np.sqrt(0.5)
    ids = ix * cells.shape[1] + iy
    inside = ids[distance + half_diagonal < radius]
    edge = ids[(distance + half_diagonal >= radius) & (distance - half_diagonal <= radius)]
    for chosen, exact in ((inside, False), (edge, True)):
        starts, ends = cells.start[chosen], cells.start[chosen + 1]
        counts = ends - starts
        if counts.sum() == 0:
            continue
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
        nodes = cells.order[offsets + np.arange(counts.sum())]
        if exact:
            near, _ = tree.query(
                np.column_stack([graph.x[nodes], graph.y[nodes]]), distance_upper_bound=radius
            )
            nodes = nodes[np.isfinite(near)]
        keep[nodes] = True
    return keep


#: Side of the cells that bucket a graph's nodes for :func:`_graph_nodes_within` (m).
CELL_M = 5_000.0


@dataclass(frozen=True)
class _Cells:
    origin: npt.NDArray[np.float64]
    shape: npt.NDArray[np.int64]
    order: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]


def _node_cells(graph: RoadGraph) -> _Cells:
    """The graph's nodes sorted by cell, computed once per graph (kept with it)."""
    cached = graph._cache.get("node_cells")
    if isinstance(cached, _Cells):
        return cached
    origin = np.array([np.min(graph.x), np.min(graph.y)])
    ix = ((graph.x - origin[0]) // CELL_M).astype(np.int64)
    iy = ((graph.y - origin[1]) // CELL_M).astype(np.int64)
    shape = np.array([ix.max() + 1, iy.max() + 1], dtype=np.int64)
    cell = ix * shape[1] + iy
    order = np.argsort(cell, kind="stable")
    start = np.zeros(int(shape.prod()) + 1, dtype=np.int64)
    np.cumsum(np.bincount(cell, minlength=int(shape.prod())), out=start[1:])
    cells = _Cells(origin, shape, order, start)
    graph._cache["node_cells"] = cells
    return cells


def plan_partitions(
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    radius_km: float,
    by: str = "departement",
    network: NetworkPair | None = None,
    graph_dir: str | Path | None = None,
    hours_within_minutes: float = 20.0,
) -> list[Partition]:
    """Split the territory's origins by ``by`` and give each part the services of its ring.

    Parameters
    ----------
    origins
        The territory's communes as origins (with ``origin_id``, ``departement`` and ``by``).
    services
        The territory's services (its own and its ring's).
    radius_km
        Width of each partition's ring; the guaranteed time must cover
        ``hours_within_minutes``.
    by
        Column of ``origins`` naming the partition of each commune.
    network
        The travel-time models (straight line by default); each partition gets road graphs
        cropped to the nodes within ``radius_km`` of its communes, saved to ``graph_dir``
        as ``.npz`` when given (workers then read only their part).
    hours_within_minutes
        Budget of the origin × service pairs (opening hours, E2SFCA).

    Returns
    -------
    list of Partition
        In the order of first appearance of each key in ``origins``.

    Raises
    ------
    MaillageError
        A ring too narrow for ``hours_within_minutes``.

    Examples
    --------
    >>> from maillage.indicators.diagnostic import territory_origins
    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.territory.territory import select_territory
    >>> t = select_territory(epci=["200070340", "200070738"], buffer_km=30)
    >>> parts = plan_partitions(territory_origins(t), territory_services(t), radius_km=30,
    ...                         by="epci")
    >>> [(p.key, len(p.origins)) for p in parts], round(parts[0].guaranteed_minutes, 1)
    ([('200070738', 47), ('200070340', 10)], 55.4)
    """
    network = NetworkPair.straight_line() if network is None else network
    models = [m for m in (network.summer, network.winter) if m is not None]
    guarantee = min(model_guarantee(model, radius_km) for model in models)
    if guarantee < hours_within_minutes:
        raise MaillageError(
            f"couronne de partition trop étroite ({radius_km:g} km) : les temps n'y sont "
            f"garantis que jusqu'à {guarantee:.0f} min, moins que le budget de "
            f"{hours_within_minutes:g} min des horaires. Correction : élargissez-la "
            "(--tampon-km)"
        )
    services = services[located(services)]
    vectors, row_point = _distinct_points(services)
    partitions = []
    for key, own in origins.groupby(by, sort=False):
        near = _vectors_within(vectors, own[located(own)], radius_km)[row_point]
        zone = crs_zone(str(own["departement"].iloc[0]))
        keep: npt.NDArray[np.bool_] | None = None
        if isinstance(network.summer, RoadModel):
            keep = _graph_nodes_within(network.summer.graph, own[located(own)], radius_km)
        part_summer = _cropped(network.summer, keep, graph_dir, f"{key}-ete")
        part_winter = (
            None
            if network.winter is None
            else _cropped(network.winter, keep, graph_dir, f"{key}-hiver")
        )
        partitions.append(
            Partition(
                key=str(key),
                origins=own,
                services=services[near],
                radius_km=float(radius_km),
                guaranteed_minutes=guarantee,
                zone=zone,
                summer=part_summer,
                winter=part_winter,
            )
        )
    return partitions


def _cropped(
    model: TravelTimeModel,
    keep: npt.NDArray[np.bool_] | None,
    folder: str | Path | None,
    name: str,
) -> ModelSource:
    """A road model cropped to the kept nodes (stored in ``folder`` when given)."""
    if not isinstance(model, RoadModel):
        return model
    if keep is None:
        raise MaillageError(
            "calcul réparti : un réseau routier en hiver sans réseau routier en été. "
            "Correction : donnez le réseau de l'été (--reseau)"
        )
    if folder is None:
        return replace(model, graph=crop_graph(model.graph, keep))
    path = Path(folder) / f"partition-{name}.npz"
    source = model.graph._cache.get("source_key")
    if source is not None:
        # A graph from the cache: its crops are kept beside it, named by the graph and the
        # nodes kept, so that a later run (same territory, same ring) only loads them.
        digest = hashlib.sha256(np.packbits(keep).tobytes()).hexdigest()[:16]
        path = default_cache_dir() / "partitions" / f"{source}-{name}-{digest}.npz"
    if not path.is_file():
        crop_graph(model.graph, keep).save(path)
    return StoredRoadModel(path, model.max_snap_m, model.offroad_speed_kph, model.n_jobs)


def _loaded(source: ModelSource) -> TravelTimeModel:
    return source.load() if isinstance(source, StoredRoadModel) else source


def diagnose_partition(
    partition: Partition, *, hours_within_minutes: float = 20.0
) -> PartitionResult:
    """The per-commune travel times of a partition: the task each Dask worker runs.

    The same computation as :func:`~maillage.indicators.diagnostic.run_diagnostic`'s:
    nearest service of every type in summer (services not closed in summer) and in winter
    (services not closed in winter, winter roads), and the pairs within
    ``hours_within_minutes``.

    Examples
    --------
    >>> from maillage.indicators.diagnostic import territory_origins
    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.territory.territory import select_territory
    >>> t = select_territory(epci=["200070340"], buffer_km=30)
    >>> part = plan_partitions(territory_origins(t), territory_services(t), radius_km=30)[0]
    >>> result = diagnose_partition(part)
    >>> result.key, len(result.origin_ids), sorted(result.nearest["season"].unique())
    ('73', 10, ['summer', 'winter'])
    """
    start = time.perf_counter()
    services = partition.services
    # Communes without coordinates get no time (said by merge_partitions).
    origins = partition.origins[located(partition.origins)]
    nearest, matrix, notes = season_times(
        origins,
        services,
        network=partition.network(),
        hours_within_minutes=hours_within_minutes,
    )
    return PartitionResult(
        key=partition.key,
        origin_ids=[str(code) for code in partition.origins["origin_id"]],
        nearest=nearest.reset_index(drop=True),
        matrix=matrix.reset_index(drop=True),
        guaranteed_minutes=partition.guaranteed_minutes,
        zone=partition.zone,
        notes=notes,
        seconds=time.perf_counter() - start,
    )
