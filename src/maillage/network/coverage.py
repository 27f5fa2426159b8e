"""Does a road extract cover the territory? Checked before any travel time is computed.

An OpenStreetMap extract of the wrong region (Saint-Barthélemy's for the Maurienne) gives
every commune and every service "no road within 2 km": the diagnostic would then report
100 % of inhabitants beyond every threshold. :func:`extract_coverage` measures the share
of the territory's origins (commune points, weighted by population too) and of the
services of the territory and its ring that lie within
:data:`~maillage.network.snapping.DEFAULT_MAX_SNAP_M` of a road of the extract;
:func:`check_extract_coverage` refuses an extract under the documented thresholds
(:data:`MIN_ORIGIN_SHARE`, :data:`MIN_SERVICE_SHARE`) unless the user forces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

import geopandas as gpd
import numpy as np

from maillage._errors import MaillageError
from maillage.network.graph import RoadGraph
from maillage.network.snapping import DEFAULT_MAX_SNAP_M, snap_points
from maillage.territory.territory import Territory

__all__ = [
    "MIN_ORIGIN_SHARE",
    "MIN_SERVICE_SHARE",
    "Coverage",
    "CoverageError",
    "check_extract_coverage",
    "coverage_text",
    "extract_coverage",
]

#: Least share of the territory's communes (origins) within reach of a road of the
#: extract. Under it, the extract does not cover the territory.
MIN_ORIGIN_SHARE = 0.9
#: Least share of the services of the territory and its ring within reach of a road. The
#: ring may straddle a border the extract stops at, hence a lower bar than for origins.
MIN_SERVICE_SHARE = 0.5


class CoverageError(MaillageError):
    """A road extract does not cover the territory's origins or services.

    Examples
    --------
    >>> issubclass(CoverageError, MaillageError)
    True
    """


@dataclass(frozen=True)
class Coverage:
    """How much of a study a road extract covers.

    Attributes
    ----------
    origins, origins_snapped
        Communes of the territory, and those within ``max_snap_m`` of a road.
    population_share
        Share of the territory's inhabitants living in the snapped communes.
    services, services_snapped
        Services of the territory and its ring, and those within ``max_snap_m``.
    max_snap_m
        The distance used.

    Examples
    --------
    >>> c = Coverage(origins=10, origins_snapped=9, population_share=0.99, services=20,
    ...              services_snapped=20, max_snap_m=500.0)
    >>> c.origin_share, c.sufficient()
    (0.9, True)
    """

    origins: int
    origins_snapped: int
    population_share: float
    services: int
    services_snapped: int
    max_snap_m: float

    @property
    def origin_share(self) -> float:
        """Share of the territory's communes within reach of a road."""
        return self.origins_snapped / self.origins if self.origins else 1.0

    @property
    def service_share(self) -> float:
        """Share of the services within reach of a road."""
        return self.services_snapped / self.services if self.services else 1.0

    def sufficient(self) -> bool:
        """Whether both shares reach :data:`MIN_ORIGIN_SHARE` and :data:`MIN_SERVICE_SHARE`."""
        return self.origin_share >= MIN_ORIGIN_SHARE and self.service_share >= MIN_SERVICE_SHARE


def coverage_text(coverage: Coverage) -> str:
    """The shares of a :class:`Coverage` in French, for the error below and the CLI.

    Examples
    --------
    >>> coverage_text(Coverage(10, 9, 0.99, 20, 20, 500.0))[:54]
    '90,0 % des communes du territoire (9/10, 99,0 % des ha'
    """
    return (
        f"{_pct(coverage.origin_share)} des communes du territoire "
        f"({coverage.origins_snapped}/{coverage.origins}, {_pct(coverage.population_share)} "
        f"des habitants) et {_pct(coverage.service_share)} des services du territoire et de "
        f"sa couronne ({coverage.services_snapped}/{coverage.services}) sont à moins de "
        f"{coverage.max_snap_m:g} m d'une route de l'extrait"
    )


def _pct(share: float) -> str:
    return f"{100 * share:.1f} %".replace(".", ",")


def extract_coverage(
    graph: RoadGraph,
    territory: Territory,
    services: gpd.GeoDataFrame,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> Coverage:
    """Measure how much of the territory and its services the road graph reaches.

    Parameters
    ----------
    graph
        The road graph built from the extract.
    territory
        The territory: its communes' points are the origins.
    services
        Services of the territory and its ring (EPSG:4326 points).
    max_snap_m
        A point farther than this from every road is not covered.

    Returns
    -------
    Coverage

    Examples
    --------
    Two road nodes in Saint-Jean-de-Maurienne reach a few of the Maurienne's 53 communes:

    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> from maillage.services.catalogue import territory_services
    >>> t = pays_de_maurienne()
    >>> g = RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0], lon=[6.345, 6.355], lat=[45.27, 45.28])
    >>> c = extract_coverage(g, t, territory_services(t))
    >>> 1 <= c.origins_snapped < 10, c.sufficient()
    (True, False)
    """
    communes = territory.communes
    origins = gpd.GeoDataFrame(
        {"commune": communes["commune"].to_numpy()},
        geometry=gpd.points_from_xy(communes["lon"], communes["lat"]),
        crs="EPSG:4326",
    )
    located = origins.geometry.notna() & ~origins.geometry.is_empty
    located &= np.isfinite(communes["lon"].to_numpy(float))
    origins = origins.loc[located.to_numpy()]
    population = communes["population"].to_numpy(float)[located.to_numpy()]
    snapped = ~snap_points(graph, origins, id_column="commune", max_snap_m=max_snap_m)[
        "too_far"
    ].to_numpy()
    total = float(np.nansum(population))
    population_share = float(np.nansum(population[snapped]) / total) if total > 0 else 1.0
    points = services.loc[services.geometry.notna() & ~services.geometry.is_empty]
    if len(points):
        service_snapped = int(
            (~snap_points(graph, points, id_column="service_id", max_snap_m=max_snap_m)["too_far"])
            .to_numpy()
            .sum()
        )
    else:
        service_snapped = 0
    return Coverage(
        origins=len(communes),
        origins_snapped=int(snapped.sum()),
        population_share=population_share,
        services=len(points),
        services_snapped=service_snapped,
        max_snap_m=max_snap_m,
    )


def check_extract_coverage(
    graph: RoadGraph,
    territory: Territory,
    services: gpd.GeoDataFrame,
    *,
    path: str | PathLike[str] | None = None,
    force: bool = False,
) -> Coverage:
    """The extract's :class:`Coverage`; refuse an extract that misses the territory.

    Parameters
    ----------
    graph, territory, services
        As :func:`extract_coverage`.
    path
        The extract, named in the message.
    force
        Go on below the thresholds (the caller says so in its notes).

    Raises
    ------
    CoverageError
        Less than :data:`MIN_ORIGIN_SHARE` of the communes or :data:`MIN_SERVICE_SHARE`
        of the services within reach of a road, and ``force`` is false.

    Examples
    --------
    Two road nodes in Saint-Jean-de-Maurienne do not cover the Maurienne:

    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> from maillage.services.catalogue import territory_services
    >>> t = pays_de_maurienne(buffer_km=0)
    >>> s = territory_services(t, builtin=["france_services"])
    >>> g = RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0], lon=[6.345, 6.355], lat=[45.27, 45.28])
    >>> check_extract_coverage(g, t, s, path="extrait.osm.pbf")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    maillage.network.coverage.CoverageError: extrait.osm.pbf ...
    >>> check_extract_coverage(g, t, s, force=True).sufficient()
    False
    """
    coverage = extract_coverage(graph, territory, services)
    if coverage.sufficient() or force:
        return coverage
    name = str(path) if path is not None else "l'extrait routier"
    raise CoverageError(
        f"{name} : l'extrait ne couvre pas le territoire « {territory.name} » : "
        f"{coverage_text(coverage)} (seuils : {_pct(MIN_ORIGIN_SHARE)} des communes, "
        f"{_pct(MIN_SERVICE_SHARE)} des services). Correction : passez l'extrait "
        "OpenStreetMap de la région du territoire (maillage telecharger, ou "
        "download.geofabrik.de), ou --forcer pour calculer malgré tout"
    )
