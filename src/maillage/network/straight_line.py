"""Travel times without a road network: a straight-line ("vol d'oiseau") estimate.

Used only when no OpenStreetMap extract is given (the built-in Maurienne territory has
none offline). Every output carries ``method = "straight_line"``
(:attr:`~maillage.network.model.Method.STRAIGHT_LINE`) so that reports can say the times
are estimates:

.. math:: \\text{minutes} = \\frac{d_\\text{straight} \\times c_\\text{detour}}{v} \\times 60

with :data:`DETOUR_COEFFICIENT` :math:`c_\\text{detour} = 1.4` and
:data:`STRAIGHT_LINE_SPEED_KPH` :math:`v = 45` km/h.

* 1.4 is the mean ratio of road to straight-line distance found by Boscoe, Henry &
  Zdeb (2012), "A nationwide comparison of driving distance versus straight-line
  distance to hospitals", *The Professional Geographer* 64(2):188-196 (1.417); Ballou,
  Rahardja & Sakai (2002), *Transportation Research Part A* 36(9):843-848, report
  circuity factors of 1.2-1.4 for most countries.
* 45 km/h is calibrated on maillage's real OSM graphs (shortest road times between
  random pairs 1-30 km apart): one straight-line km costs a median 1.91 min in
  Andorra's mountain valleys (road/straight ratio 1.79), 1.67 min in Malta and 2.20 min
  in dense Monaco; 1.4 / 45 km/h gives 1.87 min, the mountain case, for which the
  detour is highest.

Distances are computed in the metric CRS of the points' area (Lambert-93 in
metropolitan France).
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from maillage._errors import MaillageError
from maillage.network._crs import metric_crs
from maillage.network._method import Method
from maillage.network.snapping import SnapWarning, _check_points

__all__ = [
    "DETOUR_COEFFICIENT",
    "METHOD",
    "STRAIGHT_LINE_SPEED_KPH",
    "nearest_services_straight_line",
    "travel_time_matrix_straight_line",
]

#: Road distance / straight-line distance (Boscoe et al. 2012: 1.417).
DETOUR_COEFFICIENT = 1.4

#: Mean speed over the road distance (km/h), calibrated on mountain roads (see module).
STRAIGHT_LINE_SPEED_KPH = 45.0

#: The ``method`` column of the tables: the value of :attr:`Method.STRAIGHT_LINE` (the French
#: label is added by the outputs).
METHOD = Method.STRAIGHT_LINE.value


def metric_xy(
    origins: gpd.GeoDataFrame, services: gpd.GeoDataFrame
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], str]:
    """Coordinates of origins and services in the metric CRS of the estimate, and that CRS
    (Lambert-93 in metropolitan France, else the local UTM zone: ``_crs.metric_crs``)."""
    lonlat = pd.concat(
        [origins.geometry.to_crs(4326), services.geometry.to_crs(4326)], ignore_index=True
    )
    lonlat = lonlat.representative_point() if not (lonlat.geom_type == "Point").all() else lonlat
    west, south, east, north = lonlat.total_bounds
    crs = metric_crs(west, south, east, north)
    projected = lonlat.to_crs(crs)
    xy = np.column_stack([projected.x.to_numpy(), projected.y.to_numpy()])
    return xy[: len(origins)], xy[len(origins) :], crs


def _xy(
    origins: gpd.GeoDataFrame, services: gpd.GeoDataFrame, *, warn: bool = True
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    origin_xy, service_xy, _ = metric_xy(origins, services)
    if warn:
        _warn_missing(origins, origin_xy, "origine")
        _warn_missing(services, service_xy, "service")
    return origin_xy, service_xy


def _warn_missing(points: gpd.GeoDataFrame, xy: npt.NDArray[np.float64], what: str) -> None:
    """Points without coordinates get no time (NaN): said once, never dropped silently."""
    missing = ~np.isfinite(xy).all(axis=1)
    if missing.any():
        column = next((c for c in ("origin_id", "service_id", "commune") if c in points), None)
        labels = points[column] if column is not None else points.index.to_series()
        ids = labels.iloc[np.flatnonzero(missing)[:10]].astype(str).tolist()
        warnings.warn(
            f"{int(missing.sum())} {what}(s) sans coordonnées ({', '.join(ids)}"
            f"{'…' if missing.sum() > 10 else ''}) : aucun temps n'est calculé depuis ou "
            "vers ces points.",
            SnapWarning,
            stacklevel=3,
        )


def _minutes(
    distance_m: npt.NDArray[np.float64], detour: float, speed_kph: float
) -> npt.NDArray[np.float64]:
    return np.asarray(distance_m * detour * 60.0 / (speed_kph * 1000.0))


def nearest_services_straight_line(
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    origin_id: str = "origin_id",
    service_id: str = "service_id",
    type_column: str = "type",
    detour_coefficient: float = DETOUR_COEFFICIENT,
    speed_kph: float = STRAIGHT_LINE_SPEED_KPH,
    warn: bool = True,
) -> pd.DataFrame:
    """Estimated time from every origin to the nearest service of every type, no network.

    Parameters
    ----------
    origins, services
        Points in any CRS; ``services`` has a ``type_column``.
    origin_id, service_id, type_column
        Column names.
    detour_coefficient, speed_kph
        See the module docstring.
    warn
        Warn (:class:`~maillage.network.snapping.SnapWarning`) about points without
        coordinates; :class:`~maillage.network.model.StraightLineModel` lists them instead.

    Returns
    -------
    pandas.DataFrame
        ``<origin_id>, type, <service_id>, minutes, distance_m, method`` (straight-line
        ``distance_m``; ``method`` is :data:`METHOD`), one row per origin and type.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> origins = gpd.GeoDataFrame({"origin_id": ["o"]}, geometry=[Point(6.35, 45.27)], crs=4326)
    >>> services = gpd.GeoDataFrame({"service_id": ["s"], "type": ["D265"]},
    ...                             geometry=[Point(6.45, 45.27)], crs=4326)
    >>> out = nearest_services_straight_line(origins, services)
    >>> out[["origin_id", "service_id", "method"]].to_dict("records")
    [{'origin_id': 'o', 'service_id': 's', 'method': 'straight_line'}]
    >>> round(float(out.minutes.iloc[0]), 1)
    14.6
    """
    from scipy.spatial import cKDTree

    _check_points(origins, origin_id)
    _check_points(services, service_id)
    if type_column not in services.columns:
        raise MaillageError(
            f"Colonne de type « {type_column} » absente des services. Correction : "
            "indiquez la colonne qui porte le type d'équipement (type_column=...)."
        )
    origin_xy, service_xy = _xy(origins, services, warn=warn)
    service_types = services[type_column].to_numpy()
    types = sorted(pd.unique(service_types[pd.notna(service_types)]), key=str)
    service_ids = services[service_id].to_numpy()
    located = np.isfinite(service_xy).all(axis=1)
    # Origins without coordinates are placed far away and their times blanked after.
    lost = np.asarray(~np.isfinite(origin_xy).all(axis=1), dtype=np.bool_)
    origin_xy = np.where(lost[:, None], 0.0, origin_xy)
    frames = []
    for kind in types:
        members = np.flatnonzero((service_types == kind) & located)
        if members.size == 0:
            continue
        distance, position = cKDTree(service_xy[members]).query(origin_xy)
        distance = np.where(lost, np.nan, distance)
        frames.append(
            pd.DataFrame(
                {
                    origin_id: origins[origin_id].to_numpy(),
                    "type": kind,
                    service_id: np.where(
                        lost, None, service_ids[members[np.asarray(position, dtype=np.int64)]]
                    ),
                    "minutes": _minutes(np.asarray(distance), detour_coefficient, speed_kph),
                    "distance_m": np.asarray(distance, dtype=np.float64),
                    "_row": np.arange(len(origins)),
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=[origin_id, "type", service_id, "minutes", "distance_m", "method"]
        )
    table = pd.concat(frames, ignore_index=True).sort_values("_row", kind="stable")
    table["method"] = METHOD
    return table.drop(columns="_row").reset_index(drop=True)


def travel_time_matrix_straight_line(
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    cutoff_minutes: float = 30.0,
    origin_id: str = "origin_id",
    service_id: str = "service_id",
    detour_coefficient: float = DETOUR_COEFFICIENT,
    speed_kph: float = STRAIGHT_LINE_SPEED_KPH,
    warn: bool = True,
) -> pd.DataFrame:
    """Estimated time of every origin × service pair within ``cutoff_minutes``, no network.

    Returns
    -------
    pandas.DataFrame
        ``<origin_id>, <service_id>, minutes, distance_m, method`` (:data:`METHOD`),
        only pairs within the cutoff, sorted by origin then minutes.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> origins = gpd.GeoDataFrame({"origin_id": ["o"]}, geometry=[Point(6.35, 45.27)], crs=4326)
    >>> services = gpd.GeoDataFrame({"service_id": ["near", "far"]},
    ...                             geometry=[Point(6.45, 45.27), Point(7.5, 45.27)], crs=4326)
    >>> travel_time_matrix_straight_line(origins, services).service_id.tolist()
    ['near']
    """
    from scipy.spatial import cKDTree

    _check_points(origins, origin_id)
    _check_points(services, service_id)
    origin_xy, service_xy = _xy(origins, services, warn=warn)
    radius_m = cutoff_minutes * speed_kph * 1000.0 / (60.0 * detour_coefficient)
    origin_rows = np.flatnonzero(np.isfinite(origin_xy).all(axis=1))
    service_rows = np.flatnonzero(np.isfinite(service_xy).all(axis=1))
    pairs = cKDTree(origin_xy[origin_rows]).sparse_distance_matrix(
        cKDTree(service_xy[service_rows]), radius_m, output_type="ndarray"
    )
    rows = origin_rows[np.asarray(pairs["i"], dtype=np.int64)]
    cols = service_rows[np.asarray(pairs["j"], dtype=np.int64)]
    distance = np.asarray(pairs["v"], dtype=np.float64)
    minutes = _minutes(distance, detour_coefficient, speed_kph)
    kept = np.flatnonzero(minutes <= cutoff_minutes)
    # Origins in their order, each one's services by time (stable: ties in the
    # search's order), sorted on the arrays before any text column is built.
    kept = kept[np.lexsort((minutes[kept], rows[kept]))]
    # Millions of pairs nationally: the ids taken by position, in their own dtype (no
    # Python string per pair).
    table = pd.DataFrame(
        {
            origin_id: origins[origin_id].array.take(rows[kept]),
            service_id: services[service_id].array.take(cols[kept]),
            "minutes": minutes[kept],
            "distance_m": distance[kept],
            "method": METHOD,
        }
    )
    return table
