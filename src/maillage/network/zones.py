"""Metric zones of France: straight-line times computed within each one.

Metropolitan France (Corsica included) shares one metric CRS, Lambert-93; each overseas
département (DOM) has its own UTM zone. A straight-line estimate over a territory that
spans several of them (``--france``) is computed zone by zone: the origins of a zone
reach the services of that zone only, in its own CRS, as the partitions of
:mod:`maillage.scale` do. A single projection for all of France would distort the
distances far from its centre, and would let Guadeloupe reach Martinique.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["METROPOLE", "crs_zone", "per_zone", "zone_split"]

#: Zone of the metropolitan départements (one metric CRS: Lambert-93).
METROPOLE = "metropole"


def crs_zone(departement: str) -> str:
    """The zone whose communes share one metric CRS: metropolitan France, or the DOM.

    Examples
    --------
    >>> crs_zone("73"), crs_zone("2A"), crs_zone("971")
    ('metropole', 'metropole', '971')
    """
    return METROPOLE if len(str(departement)) <= 2 else str(departement)


def zone_split(
    origins: gpd.GeoDataFrame, services: gpd.GeoDataFrame, *, commune: str = "commune"
) -> list[tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]]:
    """The origins and the services of each zone, in the order the origins' zones come.

    An origin's zone is its département's (``departement`` column); a service's, the
    département its ``commune`` code starts with (``971…`` to ``976…`` overseas); a service
    whose commune is unknown takes the zone of the nearest origin (longitude and
    latitude). Without a ``departement`` column, or when every origin is in one zone, the
    whole sets come back as one pair.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> o = gpd.GeoDataFrame({"origin_id": ["73248", "97101"], "departement": ["73", "971"]},
    ...                      geometry=[Point(6.35, 45.27), Point(-61.6, 16.2)], crs=4326)
    >>> s = gpd.GeoDataFrame({"service_id": ["a", "b", "c"],
    ...                       "commune": ["73011", "97105", None]},
    ...                      geometry=[Point(5.9, 45.6), Point(-61.7, 16.0), Point(-61.5, 16.3)],
    ...                      crs=4326)
    >>> [(z[0]["origin_id"].tolist(), z[1]["service_id"].tolist()) for z in zone_split(o, s)]
    [(['73248'], ['a']), (['97101'], ['b', 'c'])]
    """
    if "departement" not in origins.columns or origins.empty:
        return [(origins, services)]
    origin_zone = origins["departement"].astype(str).map(crs_zone)
    zones = list(dict.fromkeys(origin_zone))
    if len(zones) == 1:
        return [(origins, services)]
    codes = (
        services[commune].astype("string")
        if commune in services.columns
        else pd.Series(pd.NA, index=services.index, dtype="string")
    )
    # A commune code names its département: 971xx… overseas, the others metropolitan.
    overseas = codes.str.startswith("97").fillna(False).to_numpy(dtype=bool)
    service_zone = pd.Series(
        np.where(overseas, codes.str[:3].to_numpy(dtype=object, na_value=None), METROPOLE),
        index=services.index,
        dtype=object,
    ).where(codes.notna().to_numpy())
    unknown = service_zone.isna().to_numpy()
    if unknown.any():
        from scipy.spatial import cKDTree

        def lonlat(points: gpd.GeoDataFrame) -> np.ndarray:
            xy = points.geometry.to_crs(4326)
            return np.column_stack([xy.x.to_numpy(float), xy.y.to_numpy(float)])

        origin_xy, service_xy = lonlat(origins), lonlat(services[unknown])
        placed = np.isfinite(origin_xy).all(axis=1)
        finite = np.isfinite(service_xy).all(axis=1)
        nearest = np.zeros(len(service_xy), dtype=np.int64)
        if finite.any():
            nearest[finite] = cKDTree(origin_xy[placed]).query(service_xy[finite])[1]
        guess = origin_zone.to_numpy()[np.flatnonzero(placed)][nearest]
        # Points without coordinates get no time in any zone: kept with the first one.
        service_zone.iloc[np.flatnonzero(unknown)] = np.where(finite, guess, zones[0])
    return [
        (origins[(origin_zone == zone).to_numpy()], services[(service_zone == zone).to_numpy()])
        for zone in zones
    ]


def per_zone(
    compute: Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], pd.DataFrame],
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    origin_id: str = "origin_id",
    commune: str = "commune",
) -> pd.DataFrame:
    """``compute(origins, services)`` zone by zone (:func:`zone_split`), in origin order.

    The zones' tables are put back in the order of ``origins`` (each origin's rows in the
    order ``compute`` gave them), as if computed at once.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> from maillage.network.straight_line import nearest_services_straight_line
    >>> o = gpd.GeoDataFrame({"origin_id": ["97101", "73248"], "departement": ["971", "73"]},
    ...                      geometry=[Point(-61.6, 16.2), Point(6.35, 45.27)], crs=4326)
    >>> s = gpd.GeoDataFrame({"service_id": ["a", "b"], "commune": ["73011", "97105"],
    ...                       "type": "D265"},
    ...                      geometry=[Point(5.9, 45.6), Point(-61.7, 16.0)], crs=4326)
    >>> per_zone(nearest_services_straight_line, o, s)[["origin_id", "service_id"]].values
    array([['97101', 'b'],
           ['73248', 'a']], dtype=object)
    """
    parts = zone_split(origins, services, commune=commune)
    if len(parts) == 1:
        return compute(*parts[0])
    tables = [compute(own, near) for own, near in parts if len(own) and len(near)]
    if not tables:
        return compute(origins.iloc[:0], services.iloc[:0])
    table = pd.concat(tables, ignore_index=True)
    position = pd.Series(np.arange(len(origins)), index=origins[origin_id].to_numpy())
    order = np.argsort(position.reindex(table[origin_id].to_numpy()).to_numpy(), kind="stable")
    return table.iloc[order].reset_index(drop=True)
