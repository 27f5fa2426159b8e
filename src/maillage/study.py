"""A study: a territory, its services, its travel-time models and settings, built once.

:class:`Study` is maillage's Python API (the command line and the web app call it)::

    import maillage
    study = maillage.Study.builtin()          # the Pays de Maurienne, built-in data
    diagnostic = study.diagnostic()           # every table of the diagnostic
    diagnostic.access                         # population beyond each threshold

A study is a frozen value: :meth:`Study.replace` gives a changed copy (other thresholds,
another network, a partitioned execution...), which computes the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import geopandas as gpd
import pandas as pd

from maillage.indicators.diagnostic import Diagnostic
from maillage.indicators.settings import DiagnosticSettings
from maillage.indicators.transit import TransitAccess
from maillage.network.coverage import Coverage
from maillage.network.model import NetworkPair
from maillage.network.transit import TransitModel
from maillage.planning.scenario import Scenario, ScenarioResult, read_scenario, run_scenario
from maillage.planning.territory_siting import TerritorySiting, site_on_territory
from maillage.planning.tour import Tour
from maillage.scale.run import Execution, run
from maillage.services.schema import SourceResult
from maillage.services.typology import Typology, load_typology
from maillage.territory.spec import TerritorySpec
from maillage.territory.territory import Territory

__all__ = ["Study"]


@dataclass(frozen=True, eq=False)
class Study:
    """A territory's study: what every diagnostic, scenario and siting is computed from.

    Attributes
    ----------
    territory
        The territory and its buffer ring.
    services
        The services of the territory and its ring, with family and zone
        (:func:`~maillage.services.catalogue.territory_services`).
    typology
        Types and families of services.
    network
        The summer and winter travel-time models (straight line by default).
    settings
        Thresholds, opening-hours budget, level, comparison.
    execution
        In this process, or partitioned on Dask (same figures).
    origins
        Population grid cells for a grid-level study (:class:`~maillage.indicators.
        settings.Level`), ``None`` at commune level.
    sources
        The user files read (their rejected rows and warnings), in order.

    Examples
    --------
    >>> study = Study.builtin(buffer_km=5)
    >>> study.territory.name, study.network.method.value
    ('Pays de Maurienne', 'straight_line')
    >>> study.replace(settings=DiagnosticSettings(thresholds_minutes=(10,))).settings
    DiagnosticSettings(thresholds_minutes=(10.0,), hours_within_minutes=20.0, \
level=<Level.COMMUNE: 'commune'>, comparison=True)
    """

    territory: Territory
    services: gpd.GeoDataFrame
    typology: Typology
    network: NetworkPair = field(default_factory=NetworkPair.straight_line)
    settings: DiagnosticSettings = field(default_factory=DiagnosticSettings)
    execution: Execution = field(default_factory=Execution)
    origins: gpd.GeoDataFrame | None = None
    sources: tuple[SourceResult, ...] = ()

    @classmethod
    def load(
        cls,
        territory: TerritorySpec | Territory | None = None,
        *,
        sources: Sequence[str | PathLike[str]] = (),
        typology: str | PathLike[str] | Typology | None = None,
        builtin_sources: Sequence[str] | None = None,
        network: NetworkPair | None = None,
        settings: DiagnosticSettings | None = None,
        execution: Execution | None = None,
        origins: gpd.GeoDataFrame | None = None,
    ) -> Study:
        """Read a territory, its services (built-in sources and the user's files).

        Parameters
        ----------
        territory
            The territory or its spec (the built-in territory when ``None``).
        sources
            Service files of the user (BPE, OpenStreetMap PBF, CSV/GeoJSON...).
        typology
            A typology, or its TOML file (the shipped one by default).
        builtin_sources
            Names of the shipped sources to include (all of them by default).
        network
            Travel-time models (:meth:`NetworkPair.from_pbf
            <maillage.network.model.NetworkPair.from_pbf>` for road times).
        settings, execution, origins
            See the attributes.

        Examples
        --------
        >>> study = Study.load(TerritorySpec(bassins_vie=("73248",), buffer_km=0),
        ...                    builtin_sources=["france_services"])
        >>> len(study.territory.communes), sorted(set(study.services["type"]))
        (33, ['A128'])
        """
        from maillage.services.catalogue import BUILTIN_SOURCES, territory_services
        from maillage.sources.dispatch import read_service_file

        if not isinstance(territory, Territory):
            territory = (TerritorySpec() if territory is None else territory).build()
        if not isinstance(typology, Typology):
            typology = load_typology(typology)
        extra = tuple(read_service_file(path, typology=typology) for path in sources)
        services = territory_services(
            territory,
            extra=extra,
            builtin=tuple(BUILTIN_SOURCES) if builtin_sources is None else builtin_sources,
            typology=typology,
        )
        return cls(
            territory=territory,
            services=services,
            typology=typology,
            network=NetworkPair.straight_line() if network is None else network,
            settings=DiagnosticSettings() if settings is None else settings,
            execution=Execution() if execution is None else execution,
            origins=origins,
            sources=extra,
        )

    @classmethod
    def builtin(cls, *, buffer_km: float = 30.0, **options: Any) -> Study:
        """The study of the built-in territory, the Pays de Maurienne (offline data).

        ``options`` are those of :meth:`load`.

        Examples
        --------
        >>> study = Study.builtin(buffer_km=0, builtin_sources=["france_services"])
        >>> len(study.territory.communes), int(study.territory.population)
        (53, 42946)
        >>> sorted(study.services["service_id"])
        ['fs:1570', 'fs:1579', 'fs:2823', 'fs:428', 'fs:965']
        """
        return cls.load(TerritorySpec.builtin(buffer_km=buffer_km), **options)

    def replace(self, **changes: Any) -> Study:
        """A copy with some attributes changed (``dataclasses.replace``).

        Examples
        --------
        >>> study = Study.builtin(buffer_km=0, builtin_sources=["france_services"])
        >>> by_road = study.replace(execution=Execution(partitions=False))
        >>> by_road.execution.partitions, study.execution.partitions
        (False, None)
        """
        return dataclasses.replace(self, **changes)

    def diagnostic(self) -> Diagnostic:
        """The diagnostic: travel times, access, opening hours, seasons, bassins, enjeux.

        Run in this process or partitioned, as :attr:`execution` says (same figures).

        Examples
        --------
        >>> d = Study.builtin(buffer_km=5, builtin_sources=["france_services"],
        ...                   settings=DiagnosticSettings(comparison=False)).diagnostic()
        >>> int(d.communes["population"].sum())
        42946
        """
        return run(
            self.territory,
            self.services,
            network=self.network,
            typology=self.typology,
            settings=self.settings,
            origins=self.origins,
            execution=self.execution,
        )

    def scenario(
        self, scenario: Scenario | str | PathLike[str], *, before: Diagnostic | None = None
    ) -> ScenarioResult:
        """Apply a scenario (or its TOML file) and compare the diagnostic before and after.

        ``before``: the study's diagnostic when already computed.

        Examples
        --------
        Closing the France Services of Modane (summer, straight-line times):

        >>> from maillage.planning.scenario import Scenario
        >>> study = Study.builtin(
        ...     buffer_km=0, builtin_sources=["france_services"],
        ...     settings=DiagnosticSettings(thresholds_minutes=(20,), comparison=False))
        >>> result = study.scenario(Scenario(name="Modane ferme", close=("fs:1570",)))
        >>> row = result.access.query("season == 'summer' and key == 'A128'").iloc[0]
        >>> int(row["population_within_before"]), int(row["population_within_after"])
        (40244, 34315)
        """
        if not isinstance(scenario, Scenario):
            scenario = read_scenario(scenario, self.typology)
        return run_scenario(
            scenario,
            self.territory,
            self.services,
            network=self.network,
            typology=self.typology,
            settings=self.settings,
            before=before,
        )

    def site(
        self,
        service_type: str,
        *,
        within_minutes: float,
        new_sites: int | None = None,
        model: str = "max_covering",
        candidates: str | PathLike[str] = "mairies",
        capacity: float | None = None,
        heuristic: bool = False,
    ) -> TerritorySiting:
        """Where to open ``new_sites`` services of a type, existing ones kept (summer times).

        See :func:`~maillage.planning.territory_siting.site_on_territory` for the options.

        Examples
        --------
        >>> study = Study.builtin(buffer_km=10, builtin_sources=["mairies", "france_services"])
        >>> siting = study.site("france-services", within_minutes=20, new_sites=1)
        >>> siting.service_type, len(siting.result.new_sites)
        ('A128', 1)
        """
        return site_on_territory(
            self.territory,
            self.services,
            service_type,
            within_minutes=within_minutes,
            new_sites=new_sites,
            model=model,
            candidates=candidates,
            capacity=capacity,
            heuristic=heuristic,
            travel_times=self.network.summer,
            typology=self.typology,
        )

    def rejects(self) -> pd.DataFrame:
        """Every row the user's files had rejected: ``fichier, ligne, colonne, valeur, raison,
        correction`` (one row per rejected line, all its reasons joined).

        Examples
        --------
        >>> Study.builtin(buffer_km=0, builtin_sources=["mairies"]).rejects().columns.tolist()
        ['fichier', 'ligne', 'colonne', 'valeur', 'raison', 'correction']
        """
        from maillage.sources.accounting import rejects_table

        return rejects_table(self.sources)

    def types_without_data(self) -> dict[str, list[str]]:
        """The types of the families with no service at all in the territory or its ring,
        by family (their times are unknown, not long).

        Examples
        --------
        >>> study = Study.builtin(buffer_km=0, builtin_sources=["france_services"])
        >>> "A128" in study.types_without_data()["social_emploi"]  # the France Services
        False
        >>> study.types_without_data()["petite_enfance"][:2]
        ['C107', 'D115']
        """
        from maillage.services.catalogue import types_without_data

        return types_without_data(self.services, self.typology)

    def coverage(self) -> Coverage | None:
        """How much of the territory and its services the road extract reaches (``None``
        without a road network); :func:`~maillage.network.coverage.check_extract_coverage`
        refuses an extract under its thresholds, as the command line does.

        Examples
        --------
        >>> Study.builtin(buffer_km=0, builtin_sources=["mairies"]).coverage() is None
        True
        """
        from maillage.network.coverage import extract_coverage
        from maillage.network.model import RoadModel

        if not isinstance(self.network.summer, RoadModel):
            return None
        return extract_coverage(self.network.summer.graph, self.territory, self.services)

    def transit(self, model: TransitModel) -> TransitAccess:
        """Access without a car: public transport + walking, beside the study's car times.

        ``model``: a :class:`~maillage.network.transit.TransitModel` (GTFS feed, day,
        departure window); see :func:`~maillage.indicators.transit.transit_access`.

        Examples
        --------
        By the shipped SNCF TER feed, on a Tuesday morning:

        >>> from maillage.sources.gtfs import read_gtfs
        >>> study = Study.builtin(buffer_km=0, builtin_sources=["hopitaux"])
        >>> feed = read_gtfs(day="2025-02-04", bounds=(6.0, 45.1, 7.2, 45.6))
        >>> access = study.transit(TransitModel(feed)).access
        >>> soins = access.set_index(["zone", "family", "threshold_minutes"])
        >>> int(soins.loc[("territory", "soins", 60.0), "population"])
        42946
        """
        from maillage.indicators.diagnostic import territory_origins
        from maillage.indicators.transit import transit_access

        return transit_access(
            territory_origins(self.territory),
            self.services,
            model,
            car=self.network.summer,
            typology=self.typology,
        )

    def itinerant(
        self,
        path: str | PathLike[str] | None = None,
        *,
        threshold_minutes: float = 20.0,
    ) -> pd.DataFrame:
        """Hours per week of itinerant services within ``threshold_minutes`` of each commune.

        ``path``: a TOML of itinerant services
        (:func:`~maillage.planning.itinerant.read_itinerant`); ``None``: the mobile France
        Services (bus, itinerant) of the study's sources. Times
        are the study's summer model; see
        :func:`~maillage.planning.itinerant.itinerant_access`.

        Examples
        --------
        A France services bus at Val-Cenis' town hall on Tuesday mornings (hours invented):

        >>> import pathlib, tempfile
        >>> bus = pathlib.Path(tempfile.mkdtemp()) / "bus.toml"
        >>> _ = bus.write_text('''
        ... [[itinerant]]
        ... type = "france-services"
        ... [[itinerant.arrets]]
        ... commune = "73290"
        ... horaires = "Tu 09:00-12:00"
        ... ''', encoding="utf-8")
        >>> study = Study.builtin(buffer_km=0, builtin_sources=["mairies"])
        >>> table = study.itinerant(bus)
        >>> table[table["stops"] > 0].sort_values("origin_id")["origin_id"].tolist()
        ['73023', '73026', '73290']
        >>> table.loc[table["origin_id"] == "73290", "hours_per_week"].item()
        3.0
        """
        from maillage.indicators.diagnostic import territory_origins
        from maillage.planning.itinerant import (
            itinerant_access,
            itinerant_from_france_services,
            read_itinerant,
        )

        stops = (
            itinerant_from_france_services(self.services)
            if path is None
            else read_itinerant(path, services=self.services, typology=self.typology)
        )
        return itinerant_access(
            territory_origins(self.territory),
            stops,
            self.network.summer,
            threshold_minutes=threshold_minutes,
        )

    def tour(
        self,
        service_type: str,
        *,
        stops: int,
        candidates: Sequence[str] | None = None,
        **options: Any,
    ) -> Tour:
        """The tour of an itinerant service of a type: stops among the communes' town halls.

        ``candidates``: INSEE codes (every commune of the territory by default); ``options``
        are those of :func:`~maillage.planning.tour.design_tour` (budget, stop time,
        threshold, start, weekday, depot...). Times are the study's summer model.

        Examples
        --------
        >>> study = Study.builtin(buffer_km=0, builtin_sources=["france_services", "mairies"])
        >>> tour = study.tour("france-services", stops=3)
        >>> tour.exact, tour.population_gained, len(tour.stops)
        (True, 3434.0, 3)
        """
        from maillage._errors import MaillageError
        from maillage.planning._sites import as_points, resolve_service_type, town_halls
        from maillage.planning.tour import design_tour

        codes = list(candidates) if candidates else self.territory.codes
        unknown = sorted(set(codes) - set(self.territory.codes))
        if unknown:
            raise MaillageError(
                f"Communes candidates hors du territoire : {', '.join(unknown)}. Correction : "
                "donnez des codes INSEE de communes du territoire."
            )
        halls = as_points(town_halls(self.services, codes))
        names = self.territory.communes.set_index("commune")["name"]
        halls["name"] = halls["commune"].map(names)
        return design_tour(
            self.territory.communes,
            self.services,
            halls,
            self.network.summer,
            service_type=resolve_service_type(service_type, self.typology),
            stops=stops,
            **options,
        )
