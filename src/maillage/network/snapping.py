"""Join points (communes, IRIS, grid cells, services) to the road graph.

Each point is joined to the nearest node of the graph in the graph's metric CRS
(Lambert-93 in metropolitan France). OSM nodes are dense along roads (a node every few
tens of metres on a bend), so the nearest node is close to the nearest edge. The
off-network leg, from the point to its node, is counted at :data:`OFFROAD_SPEED_KPH`.
A point farther than ``max_snap_m`` from any road is *not* snapped: it is flagged
``too_far`` and gets no travel time.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from maillage._errors import MaillageError
from maillage.network.graph import RoadGraph

__all__ = ["DEFAULT_MAX_SNAP_M", "OFFROAD_SPEED_KPH", "SnapWarning", "located", "snap_points"]

#: Speed of the off-network leg (km/h): a mix of private driveway, track and walking
#: from the point to the road. 15 km/h, i.e. 4 minutes per km (a maillage assumption;
#: OSRM counts no time for this leg, r5py counts walking at 3.6 km/h).
OFFROAD_SPEED_KPH = 15.0

#: Distance (m) beyond which a point is reported instead of being snapped.
DEFAULT_MAX_SNAP_M = 2000.0


class SnapWarning(UserWarning):
    """Some points lie too far from the road network to be snapped.

    Only with ``warn=True`` of the engine functions; the travel-time models list those
    points instead (:meth:`~maillage.network.model.TravelTimeModel.unplaced`).

    Examples
    --------
    >>> issubclass(SnapWarning, UserWarning)
    True
    """


def snap_points(
    graph: RoadGraph,
    points: gpd.GeoDataFrame,
    *,
    id_column: str,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    offroad_speed_kph: float = OFFROAD_SPEED_KPH,
) -> pd.DataFrame:
    """Nearest graph node of every point, with the off-network leg.

    Parameters
    ----------
    graph
        The road graph.
    points
        Points in any CRS (reprojected to the graph's metric CRS). Lines and polygons
        are represented by a point inside them (``representative_point``).
    id_column
        Column identifying the points.
    max_snap_m
        Farther than this from every node, a point is flagged ``too_far``.
    offroad_speed_kph
        Speed of the off-network leg.

    Returns
    -------
    pandas.DataFrame
        One row per point, in input order: ``<id_column>``, ``node`` (position in the
        graph), ``snap_m``, ``snap_minutes`` and ``too_far`` (bool; when true, do not
        use the node).

    Raises
    ------
    MaillageError
        If the points have no CRS, lack ``id_column``, or have empty geometries.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0], lon=[0, 0.01], lat=[0, 0])
    >>> pts = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(0.0095, 0.0)], crs=4326)
    >>> snapped = snap_points(g, pts, id_column="id")
    >>> snapped[["id", "node", "too_far"]].to_dict("records")
    [{'id': 'a', 'node': 1, 'too_far': False}]
    >>> round(float(snapped.snap_m.iloc[0]), 1)
    55.7
    """
    _check_points(points, id_column)
    projected = points.geometry.to_crs(graph.crs)
    if not (projected.geom_type == "Point").all():
        projected = projected.representative_point()
    xy = np.column_stack([projected.x.to_numpy(), projected.y.to_numpy()])
    tree, usable = _tree(graph)
    if len(xy):
        distance, position = tree.query(xy)
    else:
        distance, position = np.zeros(0), np.zeros(0, dtype=np.int64)
    node = usable[np.asarray(position, dtype=np.int64)]
    distance = np.asarray(distance, dtype=np.float64)
    return pd.DataFrame(
        {
            id_column: points[id_column].to_numpy(),
            "node": node.astype(np.int64),
            "snap_m": distance,
            "snap_minutes": distance * 60.0 / (offroad_speed_kph * 1000.0),
            "too_far": distance > max_snap_m,
        }
    )


def _tree(graph: RoadGraph) -> tuple[Any, npt.NDArray[np.int64]]:
    cached = graph._cache.get("kdtree")
    if cached is None:
        from scipy.spatial import cKDTree

        usable = np.flatnonzero(graph.has_edges())
        cached = (cKDTree(np.column_stack([graph.x[usable], graph.y[usable]])), usable)
        graph._cache["kdtree"] = cached
    return cached  # type: ignore[no-any-return,unused-ignore]


def _check_points(points: gpd.GeoDataFrame, id_column: str) -> None:
    if not isinstance(points, gpd.GeoDataFrame):
        raise MaillageError(
            "Les points doivent être un GeoDataFrame (geopandas). Correction : construisez-le "
            "avec geopandas.points_from_xy(lon, lat) et crs='EPSG:4326'."
        )
    if points.crs is None:
        raise MaillageError(
            "Les points n'ont pas de système de coordonnées (CRS). Correction : déclarez-le, "
            "par ex. points.set_crs('EPSG:4326') pour des lon/lat ou 'EPSG:2154' pour du "
            "Lambert-93."
        )
    if id_column not in points.columns:
        raise MaillageError(
            f"Colonne d'identifiant « {id_column} » absente des points (colonnes : "
            f"{', '.join(map(str, points.columns))}). Correction : indiquez la bonne colonne."
        )
    empty = points.geometry.is_empty | points.geometry.isna()
    if empty.any():
        ids = ", ".join(map(str, points.loc[empty, id_column].head(5)))
        raise MaillageError(
            f"{int(empty.sum())} point(s) sans géométrie (identifiants : {ids}). "
            "Correction : renseignez leurs coordonnées ou retirez-les."
        )


def warn_too_far(ids: Sequence[object], *, what: str, max_snap_m: float) -> None:
    """Warn (in French) that some points were not snapped."""
    if not len(ids):
        return
    shown = ", ".join(map(str, list(ids)[:10])) + (" …" if len(ids) > 10 else "")
    warnings.warn(
        f"{len(ids)} {what} à plus de {max_snap_m:.0f} m de toute route, non rattaché(s) au "
        f"réseau : {shown}. Correction : vérifiez leurs coordonnées, ou augmentez "
        "max_snap_m si l'écart est réel.",
        SnapWarning,
        stacklevel=3,
    )


def located(frame: gpd.GeoDataFrame) -> npt.NDArray[np.bool_]:
    """Whether each point has finite coordinates (a few communes of the COG have none).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> located(gpd.GeoDataFrame(geometry=[Point(6.3, 45.2), Point()], crs=4326)).tolist()
    [True, False]
    """
    geometry = frame.geometry
    if len(frame) == 0:
        return np.zeros(0, dtype=bool)
    present = ~np.asarray(geometry.array.isna()) & ~np.asarray(geometry.is_empty)
    points = geometry[present]
    if not (points.geom_type == "Point").all():
        points = points.representative_point()
    finite = np.array(present, dtype=np.bool_)
    finite[present] = np.isfinite(points.x.to_numpy(float)) & np.isfinite(points.y.to_numpy(float))
    return finite
