"""Partitioned diagnostic: identical to a single run over the union (real data, straight line).

"Identical" (docs/echelle.md): every per-commune table equal, value for value — the one
freedom is which of several services at the very same place is named nearest (equal
time, equal pole); the aggregates recomputed from the merged tables equal the single
run's.
"""

from __future__ import annotations

import os
import signal
import time

import pandas as pd
import pytest

from maillage.indicators.diagnostic import Diagnostic, run_diagnostic, territory_origins
from maillage.scale.partition import (
    PartitionResult,
    located,
    plan_partitions,
    straight_line_guarantee,
    within_radius,
)
from maillage.scale.run import Execution, partitioned_diagnostic
from maillage.services.catalogue import territory_services
from maillage.territory.territory import select_territory

PER_COMMUNE = ["communes", "nearest", "family_times", "hours", "catchments", "bassins", "e2sfca"]
AGGREGATES = ["access", "density", "enjeux", "enjeux_epci", "comparison"]


@pytest.fixture(scope="module")
def savoies():  # type: ignore[no-untyped-def]
    territory = select_territory(departements=["73", "74"])
    services = territory_services(territory)
    return territory, services, run_diagnostic(territory, services)


def _same_place(services: pd.DataFrame, a: pd.Series, b: pd.Series) -> bool:
    where = services.set_index("service_id").geometry
    return bool(where.loc[a.to_numpy()].geom_equals(where.loc[b.to_numpy()], align=False).all())


def assert_identical(single: Diagnostic, split: Diagnostic, services: pd.DataFrame) -> None:
    for name in PER_COMMUNE + AGGREGATES:
        expected = pd.DataFrame(getattr(single, name)).reset_index(drop=True)
        got = pd.DataFrame(getattr(split, name)).reset_index(drop=True)
        if "service_id" in expected:
            differ = expected["service_id"].ne(got["service_id"]) & expected["service_id"].notna()
            # Ties: services at the same point, equally near; the pick is arbitrary.
            assert _same_place(
                services, expected.loc[differ, "service_id"], got.loc[differ, "service_id"]
            ), name
            got.loc[differ, "service_id"] = expected.loc[differ, "service_id"]
        pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=name)
    assert split.bassin_agreement == single.bassin_agreement
    assert split.method == single.method


def test_rings_are_every_service_within_the_radius(savoies) -> None:  # type: ignore[no-untyped-def]
    """The plan tests each distinct point once; the ring is still every service (own test)."""
    territory, services, _ = savoies
    origins = territory_origins(territory)
    parts = plan_partitions(origins, services, radius_km=30.0)
    placed = services[located(services)]
    assert placed["geometry"].duplicated().sum() > 1000  # counts share the chef-lieu
    for part in parts:
        own = part.origins[located(part.origins)]
        expected = placed[within_radius(placed, own, 30.0)]
        assert part.services["service_id"].tolist() == expected["service_id"].tolist()
        assert 0 < len(expected) < len(placed)


def test_partitioned_savoies_identical_to_union_run(savoies) -> None:  # type: ignore[no-untyped-def]
    territory, services, single = savoies
    parts: list[str] = []
    split = partitioned_diagnostic(
        territory,
        services,
        execution=Execution(dask=False),
        on_result=lambda key, _: parts.append(key),
    )
    assert parts == ["73", "74"]
    assert_identical(single, split, services)
    assert len(split.communes) == len(territory.communes) == 552
    assert split.notes[-1].code == "partitioned"
    assert split.notes[-1].params["partitions"] == 2


def test_narrow_rings_still_identical(savoies) -> None:  # type: ignore[no-untyped-def]
    """15 km rings (guarantee 28 min): more times completed on the whole set, same result."""
    territory, services, single = savoies
    split = partitioned_diagnostic(
        territory, services, execution=Execution(dask=False, by="epci", radius_km=15)
    )
    assert_identical(single, split, services)
    assert round(straight_line_guarantee(15), 1) == 27.7


def test_dask_worker_killed_mid_run(savoies) -> None:  # type: ignore[no-untyped-def]
    """A worker dies after the first partition: its tasks run again, nothing lost or doubled."""
    distributed = pytest.importorskip("distributed")
    territory, services, single = savoies
    arrived: list[str] = []
    killed: list[int] = []

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):

        def kill_once(key: str, result: PartitionResult) -> None:
            arrived.append(key)
            if killed:
                return
            busy = {}
            for _ in range(200):  # the other worker is busy within a few ms
                busy = {a: k for a, k in client.processing().items() if k}
                if busy:
                    break
                time.sleep(0.01)
            victim = next(iter(busy)) if busy else next(iter(client.scheduler_info()["workers"]))
            pid = client.run(os.getpid, workers=[victim])[victim]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        split = partitioned_diagnostic(
            territory,
            services,
            execution=Execution(by="epci"),
            client=client,
            on_result=kill_once,
        )
        assert killed
        # The nanny restarts the killed worker.
        client.wait_for_workers(2, timeout=60)
    assert len(arrived) == len(set(arrived)) == territory.communes["epci"].nunique()
    assert_identical(single, split, services)


def test_france_every_commune_once_and_as_departement_runs(france_diagnostic) -> None:  # type: ignore[no-untyped-def]
    """``--france``: the 34,875 communes, once each; per-commune times as département runs.

    By straight line ``--france`` runs in one block (no partitions), metropolitan France
    and each DOM in its own metric CRS; about 40 s on 2 cores (shared with
    tests/test_reference.py).
    """
    result = france_diagnostic
    assert not any(note.code == "partitioned" for note in result.notes)
    unplaced = [n.params for n in result.notes if n.code == "unplaced"]
    assert {"what": "origins", "reason": "no_coordinates", "count": 5} in [
        {k: p[k] for k in ("what", "reason", "count")} for p in unplaced
    ]
    assert len(result.communes) == result.communes["origin_id"].nunique() == 34_875
    located = result.nearest["origin_id"].unique()
    assert len(located) == 34_875 - 5  # five communes have no coordinates in the COG
    keys = ["origin_id", "type", "season"]
    assert not result.nearest.duplicated(keys).any()
    assert not result.enjeux["origin_id"].duplicated().any()
    guarantee = straight_line_guarantee(30.0)
    # 971 also checks that no far-away service (Saint-Pierre-et-Miquelon's hospitals, once
    # attached to Guadeloupe: see read_hospitals) moves its own run to another UTM zone.
    for code in ("73", "2A", "971"):
        alone = select_territory(departements=[code])
        own = run_diagnostic(alone, territory_services(alone))
        both = own.nearest.merge(result.nearest, on=keys, suffixes=("", "_fr"))
        assert len(both) == len(own.nearest)
        within = both["minutes"] <= guarantee
        # Within the département's own 30 km ring, the same figures...
        assert (both.loc[within, "minutes"] == both.loc[within, "minutes_fr"]).all()
        # ...beyond it, France may only find nearer services.
        assert (both.loc[~within, "minutes_fr"] <= both.loc[~within, "minutes"]).all()
        hours = own.hours.merge(result.hours, on=["origin_id", "family"], suffixes=("", "_fr"))
        assert len(hours) == len(own.hours)
        assert (hours["hours_per_week_within"] == hours["hours_per_week_within_fr"]).all()
