"""Bassins de services a geographer accepts: one piece each, around the pole reached fastest.

Real territories (the built-in Maurienne and the whole of Savoie) with the shipped
services and commune polygons. Contiguity is checked independently of the adjacency the
delineation uses: the union of each bassin's polygons (shapely) must be one polygon.
Travel times to the poles (their COG commune points) are recomputed with the
straight-line model, outside the delineation.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from maillage.indicators.bassins import _PoleMinutes, contiguous_bassins
from maillage.indicators.diagnostic import Diagnostic, run_diagnostic
from maillage.network.straight_line import travel_time_matrix_straight_line
from maillage.services.catalogue import territory_services
from maillage.sources.communes import polygons_of
from maillage.territory.builtin import pays_de_maurienne
from maillage.territory.territory import Territory, select_territory


def _diagnostic(territory: Territory) -> tuple[Diagnostic, Territory]:
    return run_diagnostic(territory, territory_services(territory)), territory


@pytest.fixture(scope="module")
def maurienne_run() -> tuple[Diagnostic, Territory]:
    return _diagnostic(pays_de_maurienne())


@pytest.fixture(scope="module", params=["maurienne", "savoie"])
def run(request: pytest.FixtureRequest) -> tuple[Diagnostic, Territory]:
    if request.param == "maurienne":
        return request.getfixturevalue("maurienne_run")  # type: ignore[no-any-return]
    return _diagnostic(select_territory(departements=["73"]))


def test_every_bassin_is_one_piece_holding_its_pole(run) -> None:  # type: ignore[no-untyped-def]
    diagnostic, _ = run
    bassins = diagnostic.bassins
    assert bassins["bassin"].notna().all()
    polygons = polygons_of(bassins["origin_id"].tolist())
    assert polygons is not None
    shapes = polygons.to_crs("EPSG:2154")
    shapes.index = bassins["origin_id"].to_numpy()
    inside = set(bassins["origin_id"])
    for pole, part in bassins.groupby("bassin"):
        union = shapely.union_all(shapes.loc[part["origin_id"]].to_numpy())
        # One piece: a single polygon (slivers of the source polygons set aside).
        pieces = [g for g in getattr(union, "geoms", [union]) if g.area > 1e4]
        assert len(pieces) == 1, (pole, len(pieces))
        if pole in inside:
            assert pole in set(part["origin_id"])


def test_each_commune_gets_one_of_the_poles_it_reaches_fastest(run) -> None:  # type: ignore[no-untyped-def]
    """One of its two fastest poles (among the poles that have a bassin), the fastest for
    at least 90 % of the communes; the ``pole_rank`` column says the same."""
    diagnostic, territory = run
    bassins = diagnostic.bassins
    poles = sorted(set(bassins["bassin"]))
    places = pd.concat([territory.communes, territory.buffer]).drop_duplicates("commune")
    places = places[places["commune"].isin(poles)]
    halls = gpd.GeoDataFrame(
        {"service_id": places["commune"].to_numpy()},
        geometry=gpd.points_from_xy(places["lon"], places["lat"]),
        crs="EPSG:4326",
    )
    times = travel_time_matrix_straight_line(
        diagnostic.communes[["origin_id", "geometry"]], halls, cutoff_minutes=240
    )
    ranks = times.assign(rank=times.groupby("origin_id")["minutes"].rank(method="min")).set_index(
        ["origin_id", "service_id"]
    )["rank"]
    got = ranks.loc[list(zip(bassins["origin_id"], bassins["bassin"], strict=True))]
    assert (got <= 2).all(), got[got > 2]
    assert (got == 1).mean() >= 0.9
    differ = got.to_numpy() != bassins["pole_rank"].to_numpy()
    assert not differ.any(), (got[differ], bassins[differ])


def test_a_faster_pole_behind_another_bassin_is_not_reached() -> None:
    """Invented row of five communes (edge case): c is nearer e as the crow flies but
    would only reach it across d, which belongs to a; c joins a through b."""
    t = pd.DataFrame(
        {
            "origin_id": list("aabbccddee"),
            "pole": list("aeaeaeaeae"),
            "minutes": [0, 20, 5, 15, 8, 6, 3, 9, 20, 0],
        }
    )
    adjacency = {"a": ["b", "d"], "b": ["a", "c"], "c": ["b"], "d": ["a", "e"], "e": ["d"]}
    result = contiguous_bassins(t, adjacency).set_index("origin_id")
    assert result.loc["c", "bassin"] == "a"
    assert result.loc["c", "pole_rank"] == 2
    assert result["bassin"].to_dict() == {"a": "a", "b": "a", "c": "a", "d": "a", "e": "e"}


def test_haute_maurienne_stays_in_the_bassin_of_modane(maurienne_run) -> None:  # type: ignore[no-untyped-def]
    """Issue 17's complaint: Bessans and Bonneval-sur-Arc fell in a bassin across the
    mountains. As the crow flies Bonneval is nearer Bozel (Tarentaise, outside the
    territory) than Modane, but Bozel's gateway into the Maurienne is elsewhere; both
    are in the bassin de vie 2022 of Modane (INSEE), and so in its bassin de services."""
    diagnostic, territory = maurienne_run
    bassins = diagnostic.bassins
    insee = territory.communes.set_index("commune")["bassin_vie"]
    got = bassins.set_index("origin_id")["bassin"]
    for commune in ("73040", "73047"):  # Bessans, Bonneval-sur-Arc
        assert got[commune] == insee[commune] == "73157"


def test_a_bridge_of_second_poles_brings_a_cut_off_commune_to_its_pole() -> None:
    """Invented row a–b–c–d (edge case, as the real Aiguebelette-le-Lac 73001 reached its
    fastest pole only through Lépin-le-Lac): c reaches pole a fastest but b, between
    them, reaches d fastest; c joining d would add 4 min, b joining a (its second pole)
    1 min: b bridges."""
    t = pd.DataFrame(
        {
            "origin_id": list("aabbccdd"),
            "pole": list("adadadad"),
            "minutes": [0, 9, 5, 4, 3, 7, 9, 0],
        }
    )
    adjacency = {"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c"]}
    result = contiguous_bassins(t, adjacency).set_index("origin_id")
    assert result["bassin"].to_dict() == {"a": "a", "b": "a", "c": "a", "d": "d"}
    assert result["pole_rank"].to_dict() == {"a": 1, "b": 2, "c": 1, "d": 1}


def test_an_enclave_whose_two_fastest_poles_are_out_of_reach_joins_its_neighbour() -> None:
    """Invented row e–d–a–b (edge case, the documented exception): b reaches e, then d,
    then a; e and d lie beyond the pole communes a and d, which never move, so no
    contiguous delineation gives b one of its two fastest poles: it joins a, the
    neighbouring bassin it reaches fastest, and its rank says so."""
    t = pd.DataFrame(
        {
            "origin_id": list("aaabbbdddeee"),
            "pole": list("adeadeadeade"),
            "minutes": [0, 5, 9, 3, 2, 1, 5, 0, 4, 9, 4, 0],
        }
    )
    adjacency = {"e": ["d"], "d": ["e", "a"], "a": ["d", "b"], "b": ["a"]}
    result = contiguous_bassins(t, adjacency).set_index("origin_id")
    assert result["bassin"].to_dict() == {"a": "a", "b": "a", "d": "d", "e": "e"}
    assert result.loc["b", "pole_rank"] == 3


def test_pole_minutes_arrays_agree_with_a_pandas_brute_force() -> None:
    """The integer-coded arrays behind :func:`contiguous_bassins` against pandas on the
    same pairs: times (a twin pair: the last counts), the two fastest poles (rank "min"),
    the gateways and the ranks. Invented pairs (edge cases: tied minutes, twin pairs,
    pairs beyond reach, an origin reaching nothing, a pole outside)."""
    rng = np.random.default_rng(5)
    origins = [f"{i:03d}" for i in range(40)]
    poles = [*origins[:8], "X1", "X2"]
    t = pd.DataFrame(
        [(o, p) for o in origins[:-1] for p in poles if rng.random() < 0.8],
        columns=["origin_id", "pole"],
    )
    t["minutes"] = rng.integers(0, 8, len(t)).astype(float)
    t.loc[t.index[::17], "minutes"] = np.nan
    t = pd.concat([t, t.iloc[[3, 30]].assign(minutes=[1.5, 2.5])], ignore_index=True)
    t = pd.concat([t, pd.DataFrame({"origin_id": [origins[-1]], "pole": ["X1"]})])
    pairs = _PoleMinutes.of(t)
    reached = t.dropna(subset=["minutes"])
    last = reached.drop_duplicates(["origin_id", "pole"], keep="last")
    for o, p, m in zip(last["origin_id"], last["pole"], last["minutes"], strict=True):
        assert pairs.get((o, p)) == m
    assert pairs.get((origins[-1], "X1")) == math.inf
    ranks = reached.groupby("origin_id")["minutes"].rank(method="min")
    assert pairs.two_fastest() == set(
        zip(reached["origin_id"][ranks <= 2], reached["pole"][ranks <= 2], strict=True)
    )
    edge = set(origins[::3])
    outside = reached[reached["origin_id"].isin(edge) & ~reached["pole"].isin(origins)]
    first = outside.sort_values(["pole", "minutes", "origin_id"]).drop_duplicates("pole")
    assert pairs.gateways(edge) == dict(zip(first["pole"], first["origin_id"], strict=True))
    own = pd.Series(rng.choice([0.0, 3.0, 5.0, np.nan], len(origins)), index=origins)
    counted = reached[reached["pole"].isin({"000", "003", "X1"})]
    faster = counted[counted["minutes"] < counted["origin_id"].map(own)]
    expected = (1 + faster.groupby("origin_id").size().reindex(origins, fill_value=0)).where(
        own.notna(), 1 + counted.groupby("origin_id").size().reindex(origins, fill_value=0)
    )
    got = pairs.ranks(own.to_numpy(), {"000", "003", "X1"})
    assert got.tolist() == expected.tolist()


def test_without_polygons_each_commune_joins_its_fastest_pole_as_the_full_matrix_says() -> None:
    """Finistère (no shipped polygons): the nearest-pole search gives the bassins the whole
    commune × pole matrix gives (``contiguous_bassins`` without adjacency)."""
    from maillage.indicators.bassins import delineate_bassins, select_poles
    from maillage.indicators.diagnostic import (
        POLE_CUTOFF_MINUTES,
        delineated_bassins,
        territory_origins,
    )
    from maillage.network.model import StraightLineModel

    territory = select_territory(departements=["29"], buffer_km=0)
    assert polygons_of(territory.codes) is None
    services = territory_services(territory, builtin=["mairies", "france_services", "hopitaux"])
    origins = territory_origins(territory)
    model = StraightLineModel()
    kinds = services[services["type"] != "A129"].dropna(subset=["type"])
    nearest = model.nearest(origins, kinds)
    notes: list = []
    got = delineated_bassins(territory, origins, nearest, services, model=model, notes=notes)
    poles = select_poles(delineate_bassins(nearest, services))
    places = territory.communes[territory.communes["commune"].isin(poles)]
    sites = gpd.GeoDataFrame(
        {"service_id": places["commune"].to_numpy()},
        geometry=gpd.points_from_xy(places["lon"], places["lat"]),
        crs="EPSG:4326",
    )
    full = travel_time_matrix_straight_line(
        origins, sites, cutoff_minutes=POLE_CUTOFF_MINUTES, warn=False
    )
    expected = contiguous_bassins(
        full.rename(columns={"service_id": "pole"})[["origin_id", "pole", "minutes"]], None
    )
    assert len(poles) > 5
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )
