"""A commune that hosts a service reaches it in its snapping legs alone (real town halls)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from maillage.network.nearest import nearest_services, travel_time_matrix
from maillage.network.snapping import snap_points
from maillage.sources.mairies import read_mairies


def test_time_to_a_service_at_the_origin_is_its_snapping_legs(graphs) -> None:
    """Origins placed on the real town halls of the French communes around Monaco."""
    halls = read_mairies().services
    halls = halls[halls["commune"].isin(["06012", "06032", "06150"])].reset_index(drop=True)
    origins = gpd.GeoDataFrame(
        {"origin_id": halls["commune"]}, geometry=halls.geometry.values, crs=halls.crs
    )
    graph = graphs["monaco"]
    pairs = travel_time_matrix(graph, origins, halls, cutoff_minutes=60).set_index(
        ["origin_id", "service_id"]
    )["minutes"]
    nearest = nearest_services(graph, origins, halls).set_index("origin_id")["minutes"]
    legs = snap_points(graph, origins, id_column="origin_id").set_index("origin_id")
    for commune in origins["origin_id"]:
        # Same point: the off-network leg out to the road and back from it.
        own = pairs.loc[(commune, f"mairie:{commune}")]
        np.testing.assert_allclose(own, 2 * legs.loc[commune, "snap_minutes"], rtol=1e-12)
        # Another town hall can be nearer only through a shorter road leg than ours.
        assert nearest.loc[commune] <= own
