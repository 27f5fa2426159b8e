"""Straight-line times zone by zone: metropolitan France and each DOM apart (real communes)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from maillage.indicators.diagnostic import territory_origins
from maillage.network.model import StraightLineModel
from maillage.network.straight_line import metric_xy
from maillage.network.zones import crs_zone, per_zone, zone_split
from maillage.services.catalogue import territory_services
from maillage.territory.territory import select_territory


def _two_zones():  # type: ignore[no-untyped-def]
    territory = select_territory(departements=["971", "972", "05"], buffer_km=0)
    origins = territory_origins(territory)
    services = territory_services(territory, builtin=["mairies", "france_services"])
    return origins, services


def test_each_zone_gets_its_own_services_and_crs() -> None:
    origins, services = _two_zones()
    parts = zone_split(origins, services)
    zones = [crs_zone(str(own["departement"].iloc[0])) for own, _ in parts]
    assert sorted(zones) == ["971", "972", "metropole"]
    assert sum(len(o) for o, _ in parts) == len(origins)
    assert sum(len(s) for _, s in parts) == len(services)  # none lost
    for zone, (own, near) in zip(zones, parts, strict=True):
        assert {crs_zone(str(d)) for d in own["departement"]} == {zone}
        overseas = near["commune"].str.startswith("97")
        assert (
            (near["commune"].str[:3] == zone).all() if zone != "metropole" else not overseas.any()
        )
        # The zone's own metric CRS: Lambert-93 in metropolitan France, UTM overseas.
        crs = metric_xy(own, near)[2]
        assert (crs == "EPSG:2154") == (own["departement"].str.len() <= 2).all()


def test_per_zone_equals_each_zone_alone() -> None:
    """Independent reference: each zone's own run, in its own CRS; rows in origin order."""
    origins, services = _two_zones()
    model = StraightLineModel()
    services = services.dropna(subset=["type"])
    got = per_zone(model.nearest, origins, services)
    alone = pd.concat(
        [model.nearest(own, near) for own, near in zone_split(origins, services)],
        ignore_index=True,
    )
    key = ["origin_id", "type"]
    both = got.merge(alone, on=key, suffixes=("", "_alone"))
    assert len(both) == len(got) == len(alone)
    assert np.array_equal(both["minutes"], both["minutes_alone"])
    order = pd.Index(origins["origin_id"]).get_indexer(got["origin_id"])
    assert (np.diff(order) >= 0).all()
    # One projection for the three zones (what per_zone avoids) distorts the distances.
    whole = model.nearest(origins, services)
    assert not np.allclose(whole["minutes"], got["minutes"].to_numpy())


def test_unknown_commune_takes_the_nearest_origins_zone() -> None:
    """Invented: a service without commune code, off Fort-de-France (Martinique)."""
    origins, services = _two_zones()
    extra = gpd.GeoDataFrame(
        {"service_id": ["invented"], "commune": [None], "type": ["A129"]},
        geometry=gpd.points_from_xy([-61.05], [14.6]),
        crs="EPSG:4326",
    )
    parts = zone_split(origins, pd.concat([services, extra], ignore_index=True))
    (martinique,) = [s for o, s in parts if o["departement"].iloc[0] == "972"]
    assert "invented" in set(martinique["service_id"])
    assert sum(len(s) for _, s in parts) == len(services) + 1
