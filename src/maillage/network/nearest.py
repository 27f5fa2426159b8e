"""Travel times on the road graph: nearest service of each type, origin × service matrix.

Every origin and service is snapped to the graph (:func:`~maillage.network.snapping.snap_points`)
and its off-network leg is added to the road time. For the nearest service of a type,
one multi-source search runs per type (a bucket queue, :mod:`maillage.network._buckets`),
from all the services of the type at once, on the reversed graph whose degree-2 chains
and dead-end trees are contracted (:mod:`maillage.network._engine`); the times of all
other nodes are then recovered exactly. Types are shared between threads when the work
is large.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from maillage._errors import MaillageError
from maillage.network import _engine
from maillage.network._method import Method
from maillage.network.graph import RoadGraph
from maillage.network.snapping import (
    DEFAULT_MAX_SNAP_M,
    OFFROAD_SPEED_KPH,
    snap_points,
    warn_too_far,
)

__all__ = ["METHOD", "nearest_services", "travel_time_matrix"]

#: The ``method`` column of the tables: the value of :attr:`Method.ROAD` (the French
#: label is added by the outputs).
METHOD = Method.ROAD.value


def nearest_services(
    graph: RoadGraph,
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    origin_id: str = "origin_id",
    service_id: str = "service_id",
    type_column: str = "type",
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    offroad_speed_kph: float = OFFROAD_SPEED_KPH,
    n_jobs: int | None = None,
    warn: bool = True,
) -> pd.DataFrame:
    """Road time from every origin to the nearest service of every type.

    Parameters
    ----------
    graph
        The road graph (:func:`~maillage.network.graph.build_graph`).
    origins, services
        Points in any CRS. ``services`` has a ``type_column``; pass
        ``type_column="family"`` (or any grouping column) for the nearest of a family.
    origin_id, service_id, type_column
        Column names.
    max_snap_m, offroad_speed_kph
        See :func:`~maillage.network.snapping.snap_points`. Origins and services too
        far from the roads are left out with a :class:`~maillage.network.snapping.SnapWarning`.
    n_jobs
        Threads to share the types between; by default every core when the work
        is large (see :data:`maillage.network._engine.PARALLEL_MIN_WORK`).
    warn
        Warn about the points too far from the roads; :class:`~maillage.network.model.
        RoadModel` lists them instead (``unplaced``).

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per origin and type (origins in input order, types sorted):
        ``<origin_id>, type, <service_id>, minutes, method``. ``minutes`` includes
        both off-network legs; it is NaN (and the service missing) when no service of
        the type can be reached. ``method`` is :data:`METHOD`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = RoadGraph.from_edges([0, 1, 1, 2], [1, 0, 2, 1], [1.0, 1.0, 2.0, 2.0],
    ...                          lon=[0, 0.01, 0.02], lat=[0, 0, 0])
    >>> origins = gpd.GeoDataFrame({"origin_id": ["o"]}, geometry=[Point(0, 0)], crs=4326)
    >>> services = gpd.GeoDataFrame({"service_id": ["s1", "s2"], "type": ["D265", "D265"]},
    ...                             geometry=[Point(0.01, 0), Point(0.02, 0)], crs=4326)
    >>> nearest_services(g, origins, services)[["origin_id", "type", "service_id", "minutes"]]
      origin_id  type service_id  minutes
    0         o  D265         s1      1.0
    """
    if type_column not in services.columns:
        raise MaillageError(
            f"Colonne de type « {type_column} » absente des services. Correction : "
            "indiquez la colonne qui porte le type d'équipement (type_column=...)."
        )
    snapped_origins, snapped_services = _snap_both(
        graph,
        origins,
        services,
        origin_id=origin_id,
        service_id=service_id,
        max_snap_m=max_snap_m,
        offroad_speed_kph=offroad_speed_kph,
        warn=warn,
    )
    usable = ~snapped_services.too_far.to_numpy()
    service_types = services[type_column].to_numpy()
    types = np.array(sorted(pd.unique(service_types[pd.notna(service_types)]), key=str))
    kept_types = service_types[usable]
    groups = [np.flatnonzero(kept_types == t) for t in types]
    seed_nodes = snapped_services.node.to_numpy()[usable]
    seed_minutes = snapped_services.snap_minutes.to_numpy()[usable]
    minutes, labels = _engine.nearest_by_group(
        graph,
        seed_nodes,
        seed_minutes,
        groups,
        snapped_origins.node.to_numpy(),
        n_jobs=n_jobs,
    )
    minutes = minutes + snapped_origins.snap_minutes.to_numpy()[None, :]
    minutes[:, snapped_origins.too_far.to_numpy()] = np.inf
    labels[~np.isfinite(minutes)] = -1
    n_origins, n_types = len(snapped_origins), types.size
    flat_labels = labels.T.reshape(-1)
    kept_ids = snapped_services[service_id].to_numpy()[usable]
    found = flat_labels >= 0
    ids = pd.Series(
        kept_ids[np.where(found, flat_labels, 0)]
        if kept_ids.size
        else np.full(flat_labels.size, None, dtype=object)
    )
    flat_minutes = minutes.T.reshape(-1)
    return pd.DataFrame(
        {
            origin_id: np.repeat(snapped_origins[origin_id].to_numpy(), n_types),
            "type": np.tile(types, n_origins),
            service_id: ids.where(found, None),
            "minutes": np.where(np.isfinite(flat_minutes), flat_minutes, np.nan),
            "method": METHOD,
        }
    )


def travel_time_matrix(
    graph: RoadGraph,
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    cutoff_minutes: float = 30.0,
    origin_id: str = "origin_id",
    service_id: str = "service_id",
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    offroad_speed_kph: float = OFFROAD_SPEED_KPH,
    warn: bool = True,
) -> pd.DataFrame:
    """Road time of every origin × service pair within ``cutoff_minutes`` (sparse, long).

    One bounded search runs from each point of the smaller side (origins, or services
    on the reversed graph), in batches, on the contracted graph.

    Parameters
    ----------
    graph
        The road graph.
    origins, services
        Points in any CRS.
    cutoff_minutes
        Pairs farther apart (legs included) are left out.
    origin_id, service_id, max_snap_m, offroad_speed_kph, warn
        As in :func:`nearest_services`.

    Returns
    -------
    pandas.DataFrame
        ``<origin_id>, <service_id>, minutes, method``, only pairs within the cutoff,
        sorted by origin then minutes.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = RoadGraph.from_edges([0, 1, 1, 2], [1, 0, 2, 1], [1.0, 1.0, 2.0, 2.0],
    ...                          lon=[0, 0.01, 0.02], lat=[0, 0, 0])
    >>> origins = gpd.GeoDataFrame({"origin_id": ["o"]}, geometry=[Point(0, 0)], crs=4326)
    >>> services = gpd.GeoDataFrame({"service_id": ["s1", "s2"]},
    ...                             geometry=[Point(0.01, 0), Point(0.02, 0)], crs=4326)
    >>> travel_time_matrix(g, origins, services, cutoff_minutes=2.5)[
    ...     ["origin_id", "service_id", "minutes"]]
      origin_id service_id  minutes
    0         o         s1      1.0
    """
    snapped_origins, snapped_services = _snap_both(
        graph,
        origins,
        services,
        origin_id=origin_id,
        service_id=service_id,
        max_snap_m=max_snap_m,
        offroad_speed_kph=offroad_speed_kph,
        warn=warn,
    )
    o = snapped_origins[~snapped_origins.too_far].reset_index(drop=True)
    s = snapped_services[~snapped_services.too_far].reset_index(drop=True)
    o_nodes, o_legs = o.node.to_numpy(), o.snap_minutes.to_numpy()
    s_nodes, s_legs = s.node.to_numpy(), s.snap_minutes.to_numpy()
    if len(o) == 0 or len(s) == 0:
        rows = cols = np.zeros(0, dtype=np.int64)
        values = np.zeros(0)
    elif len(o) <= len(s):
        rows, cols, values = _engine.many_to_many(
            graph, o_nodes, o_legs, s_nodes, s_legs, cutoff_minutes=cutoff_minutes
        )
    else:
        cols, rows, values = _engine.many_to_many(
            graph,
            s_nodes,
            s_legs,
            o_nodes,
            o_legs,
            cutoff_minutes=cutoff_minutes,
            reverse=True,
        )
    table = pd.DataFrame(
        {
            origin_id: o[origin_id].to_numpy()[rows],
            service_id: s[service_id].to_numpy()[cols],
            "minutes": values,
            "method": METHOD,
            "_row": rows,
        }
    )
    table = table.sort_values(["_row", "minutes"], kind="stable").drop(columns="_row")
    return table.reset_index(drop=True)


def _snap_both(
    graph: RoadGraph,
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    origin_id: str,
    service_id: str,
    max_snap_m: float,
    offroad_speed_kph: float,
    warn: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Snap origins and services, warning once for each side about points too far."""
    snapped = []
    for points, column, what in (
        (origins, origin_id, "origine(s)"),
        (services, service_id, "service(s)"),
    ):
        table = snap_points(
            graph,
            points,
            id_column=column,
            max_snap_m=max_snap_m,
            offroad_speed_kph=offroad_speed_kph,
        )
        if warn:
            warn_too_far(
                table.loc[table.too_far, column].tolist(), what=what, max_snap_m=max_snap_m
            )
        snapped.append(table)
    return snapped[0], snapped[1]
