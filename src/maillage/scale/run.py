"""The partitioned diagnostic, end to end: plan, run (sequentially or on Dask), merge."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from maillage._errors import MaillageError
from maillage.indicators.diagnostic import Diagnostic, run_diagnostic, territory_origins
from maillage.indicators.settings import DiagnosticSettings
from maillage.network.model import ROAD_MIN_RING_KM, Method, NetworkPair, RingBoundedModel
from maillage.scale.cluster import DEFAULT_WORKERS, dask_client, map_partitions
from maillage.scale.merge import merge_partitions
from maillage.scale.partition import PartitionResult, diagnose_partition, plan_partitions
from maillage.services.typology import Typology
from maillage.territory.territory import Territory

__all__ = ["ROAD_RADIUS_KM", "Execution", "partitioned_diagnostic", "run"]

#: Partition rings on a road graph: at least this wide (km), so that the guaranteed time
#: (about 33 minutes at 104 km/h) covers most nearest services.
ROAD_RADIUS_KM = ROAD_MIN_RING_KM


@dataclass(frozen=True)
class Execution:
    """How a diagnostic is run: in this process, or partitioned and merged (same figures).

    Attributes
    ----------
    partitions
        ``None`` (default): partition a road-graph run as soon as the territory spans
        several départements (commune level only), run a straight-line estimate in one
        block (its searches need no partitions: all of France fits in one process, in
        less time); ``True``: always; ``False``: never.
    scheduler
        Address of an existing Dask scheduler (``tcp://…``); a local cluster otherwise.
    n_workers
        Processes of the local cluster.
    by
        Column of the communes naming their partition.
    radius_km
        Ring of each partition: the territory's ``buffer_km`` (at least 15 km) with the
        straight-line estimate, at least :data:`ROAD_RADIUS_KM` on a road graph.
    dask
        Run the partitions on Dask (else one after the other in this process).

    Examples
    --------
    >>> Execution().partitioned(departements=1, grid=False)
    False
    >>> Execution().partitioned(departements=2, grid=False)
    True
    >>> Execution().partitioned(departements=2, grid=False, road=False)
    False
    """

    partitions: bool | None = None
    scheduler: str | None = None
    n_workers: int = DEFAULT_WORKERS
    by: str = "departement"
    radius_km: float | None = None
    dask: bool = True

    def partitioned(self, *, departements: int, grid: bool, road: bool = True) -> bool:
        """Whether a territory of ``departements`` départements is run partitioned.

        ``road``: the times come from a road graph (else the straight-line estimate).

        Raises
        ------
        MaillageError
            Partitions asked for a grid-level run.
        """
        if self.partitions is None:
            return departements > 1 and not grid and road
        if self.partitions and grid:
            raise MaillageError(
                "le calcul réparti (--partitions) se fait à l'échelle des communes. "
                "Correction : retirez --niveau carreau ou ajoutez --sans-partitions"
            )
        return self.partitions


def run(
    territory: Territory,
    services: gpd.GeoDataFrame,
    *,
    network: NetworkPair | None = None,
    typology: Typology | None = None,
    settings: DiagnosticSettings | None = None,
    origins: gpd.GeoDataFrame | None = None,
    execution: Execution | None = None,
) -> Diagnostic:
    """The diagnostic, run in this process or partitioned as ``execution`` says.

    Parameters are those of :func:`~maillage.indicators.diagnostic.run_diagnostic`, and
    ``execution`` (:class:`Execution`; its defaults when ``None``).

    Examples
    --------
    The same figures in one block and partitioned by EPCI (one after the other here):

    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.territory.territory import select_territory
    >>> t = select_territory(epci=["200070340", "200070738"], buffer_km=30)
    >>> s = territory_services(t, builtin=["france_services"])
    >>> settings = DiagnosticSettings(comparison=False)
    >>> whole = run(t, s, settings=settings, execution=Execution(partitions=False))
    >>> parts = run(t, s, settings=settings,
    ...             execution=Execution(partitions=True, by="epci", dask=False))
    >>> whole.access.equals(parts.access)
    True
    """
    execution = Execution() if execution is None else execution
    departements = int(territory.communes["departement"].nunique())
    road = network is not None and network.method is not Method.STRAIGHT_LINE
    if execution.partitioned(departements=departements, grid=origins is not None, road=road):
        return partitioned_diagnostic(
            territory,
            services,
            network=network,
            typology=typology,
            settings=settings,
            execution=execution,
        )
    return run_diagnostic(
        territory, services, network=network, typology=typology, settings=settings, origins=origins
    )


def partitioned_diagnostic(
    territory: Territory,
    services: gpd.GeoDataFrame,
    *,
    network: NetworkPair | None = None,
    typology: Typology | None = None,
    settings: DiagnosticSettings | None = None,
    execution: Execution | None = None,
    client: Any = None,
    on_result: Callable[[str, PartitionResult], None] | None = None,
) -> Diagnostic:
    """The diagnostic of a territory computed per partition (département) and merged.

    Equal to :func:`~maillage.indicators.diagnostic.run_diagnostic` over the whole
    territory (commune level): same per-commune tables, same aggregates (see
    ``docs/echelle.md``).

    Parameters
    ----------
    territory, services
        The whole territory and its services (ring included).
    network, typology, settings
        As in :func:`~maillage.indicators.diagnostic.run_diagnostic`.
    execution
        Partitions, their rings, Dask or not (:class:`Execution`).
    client
        An existing ``distributed.Client`` (takes precedence over ``execution.scheduler``).
    on_result
        Called with each partition's key and result as it arrives.

    Returns
    -------
    Diagnostic

    Examples
    --------
    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.territory.territory import select_territory
    >>> t = select_territory(epci=["200070340", "200070738"], buffer_km=30)
    >>> d = partitioned_diagnostic(t, territory_services(t),
    ...                            settings=DiagnosticSettings(comparison=False),
    ...                            execution=Execution(by="epci", dask=False))
    >>> len(d.enjeux), d.method.value
    (57, 'straight_line')
    """
    network = NetworkPair.straight_line() if network is None else network
    settings = DiagnosticSettings() if settings is None else settings
    execution = Execution() if execution is None else execution
    hours_within_minutes = settings.hours_within_minutes
    origins = territory_origins(territory)
    radius_km = execution.radius_km
    if radius_km is None:
        radius_km = max(territory.buffer_km, 15.0)
        if isinstance(network.summer, RingBoundedModel):
            radius_km = max(radius_km, network.summer.min_ring_km)
    with tempfile.TemporaryDirectory(prefix="maillage-partitions-") as folder:
        partitions = plan_partitions(
            origins,
            services,
            radius_km=radius_km,
            by=execution.by,
            network=network,
            graph_dir=folder if execution.dask else None,
            hours_within_minutes=hours_within_minutes,
        )
        items = {partition.key: partition for partition in partitions}
        if not execution.dask:
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
            with dask_client(execution.scheduler, n_workers=execution.n_workers) as own:
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
        network=network,
        typology=typology,
        settings=settings,
    )
