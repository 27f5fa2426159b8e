"""Fixtures of the indicator tests: a test-only travel-time proxy on real places."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import pytest


def _proxy_minutes(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Great-circle km × 1.3 at 60 km/h: a test-only proxy, not maillage's own model."""
    p0, p1 = math.radians(lat0), math.radians(lat1)
    a = (
        math.sin((p1 - p0) / 2) ** 2
        + math.cos(p0) * math.cos(p1) * math.sin(math.radians(lon1 - lon0) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a)) * 1.3


@pytest.fixture(scope="session")
def proxy_minutes() -> Callable[[float, float, float, float], float]:
    return _proxy_minutes


@pytest.fixture(scope="session")
def proxy_nearest(maurienne) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Nearest service of each type from each Maurienne commune point (brute force)."""

    def nearest(sites: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for commune in maurienne.communes.itertuples():
            for kind, group in sites.groupby("type"):
                best = min(
                    (_proxy_minutes(commune.lon, commune.lat, s.lon, s.lat), s.service_id)
                    for s in group.itertuples()
                )
                rows.append(
                    {
                        "origin_id": commune.commune,
                        "type": kind,
                        "service_id": best[1],
                        "minutes": best[0],
                    }
                )
        return pd.DataFrame(rows)

    return nearest
