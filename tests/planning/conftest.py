"""Fixtures of the planning tests: the real Maurienne, its France Services and town halls."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def maurienne_services(maurienne):  # type: ignore[no-untyped-def]
    from maillage.services.catalogue import territory_services

    return territory_services(maurienne)


@pytest.fixture(scope="session")
def maurienne_population(maurienne):  # type: ignore[no-untyped-def]
    from maillage.indicators.diagnostic import territory_origins

    return territory_origins(maurienne)


@pytest.fixture(scope="session")
def france_services_sites(maurienne_services) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The real France Services of the territory and its ring (ANCT list, 2024-08-01)."""
    fs = maurienne_services[maurienne_services["type"] == "A128"]
    return pd.DataFrame(
        {
            "site_id": fs["service_id"].astype(str).to_numpy(),
            "name": fs["name"].astype(str).to_numpy(),
            "commune": fs["commune"].astype(str).to_numpy(),
            "lon": fs["lon"].to_numpy(dtype=float),
            "lat": fs["lat"].to_numpy(dtype=float),
        }
    )


@pytest.fixture(scope="session")
def town_hall_sites(maurienne, maurienne_services) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The 53 real town halls of the Maurienne (Annuaire de l'administration)."""
    from maillage.planning.siting import candidate_sites

    return candidate_sites(maurienne_services, maurienne.codes)
