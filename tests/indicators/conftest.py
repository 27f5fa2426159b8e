"""Fixtures of the indicator tests: a test-only travel-time proxy on real places."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest


def _proxy_minutes(lon0, lat0, lon1, lat1):  # type: ignore[no-untyped-def]
    """Great-circle km × 1.3 at 60 km/h (haversine; scalars or arrays): a test-only proxy,
    not maillage's own model."""
    p0, p1 = np.radians(lat0), np.radians(lat1)
    a = (
        np.sin((p1 - p0) / 2) ** 2
        + np.cos(p0) * np.cos(p1) * np.sin(np.radians(np.asarray(lon1) - np.asarray(lon0)) / 2) ** 2
    )
    return 2 * 6371.0 * np.arcsin(np.sqrt(a)) * 1.3  # km × 1.3 at 1 km per minute


@pytest.fixture(scope="session")
def proxy_minutes() -> Callable[..., object]:
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


@pytest.fixture(scope="session")
def real_diagnostics() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Savoie, Mayotte (no known population) and Conques-Marcillac (Conques-en-Rouergue
    has no canton nor bassin de vie): nearest times per type and family, and origins."""
    from maillage.indicators.diagnostic import run_diagnostic
    from maillage.services.catalogue import territory_services
    from maillage.territory.territory import select_territory

    runs = []
    for territory in (
        select_territory(departements=["73"]),
        select_territory(departements=["976"], buffer_km=0),
        select_territory(epci=["241200641"], buffer_km=0),
    ):
        with np.errstate(invalid="ignore"):  # Mayotte: shares of an unknown population
            runs.append(run_diagnostic(territory, territory_services(territory)))
    nearest = pd.concat([run.nearest for run in runs], ignore_index=True)
    family_times = pd.concat([run.family_times for run in runs], ignore_index=True)
    origins = pd.concat(
        [pd.DataFrame(run.communes.drop(columns="geometry")) for run in runs], ignore_index=True
    )
    return nearest, family_times, origins
