"""The partitioned diagnostic, end to end: plan, run (sequentially or on Dask), merge."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any

import geopandas as gpd

from maillage._errors import MaillageError
from maillage.indicators.access import DEFAULT_THRESHOLDS_MINUTES
from maillage.indicators.diagnostic import Diagnostic, territory_origins
from maillage.network.graph import RoadGraph
from maillage.scale.cluster import DEFAULT_WORKERS, dask_client, map_partitions
from maillage.scale.merge import merge_partitions
from maillage.scale.partition import PartitionResult, diagnose_partition, plan_partitions
from maillage.services.typology import Typology
from maillage.territory.territory import Territory

#: Partition rings on a road graph: at least this wide (km), so that the guaranteed time
#: (about 33 minutes at 104 km/h) covers most nearest services.
ROAD_RADIUS_KM = 60.0


def partitioned_diagnostic(
    territory: Territory,
    services: gpd.GeoDataFrame,
    *,
    graph: RoadGraph | None = None,
    winter_graph: RoadGraph | None = None,
    typology: Typology | None = None,
    thresholds_minutes: tuple[float, ...] = DEFAULT_THRESHOLDS_MINUTES,
    hours_within_minutes: float = 20.0,
    by: str = "departement",
    radius_km: float | None = None,
    dask: bool = True,
    scheduler: str | None = None,
    n_workers: int = DEFAULT_WORKERS,
    client: Any = None,
    on_result: Callable[[str, PartitionResult], None] | None = None,
    comparison: bool = True,
) -> Diagnostic:
    """The diagnostic of a territory computed per partition (département) and merged.

    Equal to :func:`~maillage.indicators.diagnostic.run_diagnostic` over the whole
    territory (commune level): same per-commune tables, same aggregates (see
    ``docs/echelle.md``).

    Parameters
    ----------
    territory, services
        The whole territory and its services (ring included).
    graph, winter_graph, typology, thresholds_minutes, hours_within_minutes
        As in :func:`~maillage.indicators.diagnostic.run_diagnostic`.
    by
        Column of the communes naming their partition.
    radius_km
        Ring of each partition: the territory's ``buffer_km`` (at least 15 km) with the
        straight-line estimate, at least :data:`ROAD_RADIUS_KM` on a road graph.
    dask
        Run the partitions on Dask (else one after the other in this process).
    scheduler
        Address of an existing Dask scheduler (``tcp://…``); a local cluster of
        ``n_workers`` processes otherwise.
    client
        An existing ``distributed.Client`` (takes precedence over ``scheduler``).
    on_result
        Called with each partition's key and result as it arrives.
    comparison
        Compute the comparison with the départements and France.

    Returns
    -------
    Diagnostic

    Examples
    --------
    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.territory.territory import select_territory
    >>> t = select_territory(epci=["200070340", "200070738"], buffer_km=30)
    >>> d = partitioned_diagnostic(t, territory_services(t), by="epci", dask=False,
    ...                            comparison=False)
    >>> len(d.enjeux), d.method
    (57, "vol d'oiseau")
    """
    origins = territory_origins(territory)
    if radius_km is None:
        radius_km = max(territory.buffer_km, 15.0)
        if graph is not None:
            radius_km = max(radius_km, ROAD_RADIUS_KM)
    with tempfile.TemporaryDirectory(prefix="maillage-partitions-") as folder:
        partitions = plan_partitions(
            origins,
            services,
            radius_km=radius_km,
            by=by,
            graph=graph,
            winter_graph=winter_graph,
            graph_dir=folder if graph is not None and dask else None,
            hours_within_minutes=hours_within_minutes,
        )
        items = {partition.key: partition for partition in partitions}
        if not dask:
            results = {}
            for key, partition in items.items():
                results[key] = diagnose_partition(
                    partition, hours_within_minutes=hours_within_minutes
                )
                if on_result is not None:
                    on_result(key, results[key])
        elif client is not None:
            results = map_partitions(
                diagnose_partition,
                items,
                client=client,
                on_result=on_result,
                hours_within_minutes=hours_within_minutes,
            )
        else:
            with dask_client(scheduler, n_workers=n_workers) as own:
                results = map_partitions(
                    diagnose_partition,
                    items,
                    client=own,
                    on_result=on_result,
                    hours_within_minutes=hours_within_minutes,
                )
    return merge_partitions(
        territory,
        origins,
        services,
        results,
        graph=graph,
        winter_graph=winter_graph,
        typology=typology,
        thresholds_minutes=thresholds_minutes,
        hours_within_minutes=hours_within_minutes,
        comparison=comparison,
    )


def france_options(options: dict[str, Any]) -> dict[str, Any]:
    """The command-line territory options of ``--france``: every département.

    Raises
    ------
    MaillageError
        ``--france`` given with another territory option.

    Examples
    --------
    >>> o = france_options({"communes": (), "epci": (), "departements": (), "nom": None})
    >>> len(o["departements"][0].split(",")), o["nom"]
    (101, 'France')
    """
    from maillage.sources.communes import read_communes

    chosen = [
        name
        for name in ("communes", "epci", "departements", "bassins_vie", "territoire")
        if options.get(name)
    ]
    if chosen:
        raise MaillageError(
            "--france porte sur toutes les communes : retirez "
            + ", ".join(f"--{name.replace('_', '-')}" for name in chosen)
        )
    codes = sorted(read_communes()["departement"].dropna().unique())
    return {**options, "departements": (",".join(codes),), "nom": options.get("nom") or "France"}


def cli_partitioned_diagnostic(
    territory: Territory,
    services: gpd.GeoDataFrame,
    *,
    graph: RoadGraph | None,
    winter_graph: RoadGraph | None,
    typology: Typology | None,
    thresholds_minutes: tuple[float, ...],
    origins: gpd.GeoDataFrame | None,
    partitions: bool | None,
    scheduler: str | None,
) -> Diagnostic | None:
    """The partitioned diagnostic the command line asks for, or ``None`` for a single run.

    ``partitions=None`` (the default) partitions as soon as the territory spans several
    départements; ``True`` always does; a grid-level run (``--niveau carreau``) is not
    partitioned.

    Raises
    ------
    MaillageError
        ``--partitions`` asked with ``--niveau carreau``.
    """
    several = territory.communes["departement"].nunique() > 1
    if partitions is None and (not several or origins is not None):
        return None
    if origins is not None:
        raise MaillageError(
            "le calcul réparti (--partitions) se fait à l'échelle des communes. Correction : "
            "retirez --niveau carreau ou ajoutez --sans-partitions"
        )
    return partitioned_diagnostic(
        territory,
        services,
        graph=graph,
        winter_graph=winter_graph,
        typology=typology,
        thresholds_minutes=thresholds_minutes,
        scheduler=scheduler,
    )
