"""Attach points to the commune they lie in (polygons) or, failing that, the nearest one."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon_r, lat_r = np.radians(lon), np.radians(lat)
    return np.column_stack(
        [np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r)]
    )


def nearest_commune(
    lon: np.ndarray, lat: np.ndarray, communes: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """The commune whose point is nearest to each WGS84 point, and the distance to it.

    Distances are great-circle (spherical Earth, radius 6,371 km): a k-d tree on unit
    vectors orders points exactly as the great-circle distance does.

    Returns
    -------
    tuple of numpy.ndarray
        Commune codes and distances in metres.

    Examples
    --------
    >>> from maillage.sources.communes import read_communes
    >>> codes, dist_m = nearest_commune(np.array([6.3536]), np.array([45.2770]), read_communes())
    >>> codes[0]
    '73248'
    """
    if len(lon) == 0:
        return np.array([], dtype=object), np.array([], dtype=float)
    communes = communes.dropna(subset=["lon", "lat"])
    tree = cKDTree(_unit_vectors(communes["lon"].to_numpy(float), communes["lat"].to_numpy(float)))
    chord, index = tree.query(_unit_vectors(np.asarray(lon, float), np.asarray(lat, float)))
    distance_m = 2 * 6_371_000.0 * np.arcsin(np.clip(chord / 2, 0, 1))
    return communes["commune"].to_numpy()[index], distance_m
