"""Choice of the metric CRS of a road graph (private)."""

from __future__ import annotations

import math

#: Lambert-93's area of use (EPSG:2154: metropolitan France and Corsica, with margins), lon/lat.
LAMBERT93_BOUNDS = (-9.86, 41.15, 10.38, 51.56)


def metric_crs(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> str:
    """Metric CRS for an area: Lambert-93 in metropolitan France, else the local UTM zone.

    Lambert-93 is France's legal metric CRS, but far from its area of use (overseas
    collectivités such as Saint-Barthélemy, or Malta) its scale error reaches several
    per cent, so the UTM zone (WGS 84) of the area's centre is used there instead.

    Examples
    --------
    >>> metric_crs(6.1, 45.1, 7.2, 45.5)  # Maurienne
    'EPSG:2154'
    >>> metric_crs(-62.9, 17.87, -62.78, 17.97)  # Saint-Barthélemy
    'EPSG:32620'
    """
    west, south, east, north = LAMBERT93_BOUNDS
    if lon_min >= west and lat_min >= south and lon_max <= east and lat_max <= north:
        return "EPSG:2154"
    lon = (lon_min + lon_max) / 2
    lat = (lat_min + lat_max) / 2
    zone = min(60, math.floor((lon + 180.0) / 6.0) + 1)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"
