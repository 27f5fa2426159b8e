"""Travel-time models behind one protocol: road graph, straight line (and the next ones).

A study asks a :class:`TravelTimeModel` two questions, whatever the mode of transport:

* :meth:`~TravelTimeModel.nearest` — the time from every origin to the nearest service of
  every group (service type, family...);
* :meth:`~TravelTimeModel.matrix` — the time of every origin × destination pair, within a
  cutoff;

and which points it cannot place (:meth:`~TravelTimeModel.unplaced`: too far from the
roads, without coordinates...), so that the study reports them as data instead of warning.
Tables are tidy (r5py's travel-time matrix): one row per pair, ``minutes`` NaN when
unreachable, never a sentinel. :class:`RoadModel` (OpenStreetMap road graph) and
:class:`StraightLineModel` (labelled estimate without a network) implement it; a new model
(public transport...) implements the same four members and plugs into
:class:`NetworkPair` — the summer and winter models of a study — without a new ``if``.

Each model names its :class:`Method`; the French label of a method is added by the
outputs when rendering, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import pandas as pd

from maillage._errors import MaillageError
from maillage.network._method import Method
from maillage.network.graph import RoadGraph
from maillage.network.nearest import nearest_services, travel_time_matrix
from maillage.network.snapping import DEFAULT_MAX_SNAP_M, OFFROAD_SPEED_KPH, snap_points
from maillage.network.straight_line import (
    DETOUR_COEFFICIENT,
    STRAIGHT_LINE_SPEED_KPH,
    nearest_services_straight_line,
    travel_time_matrix_straight_line,
)

if TYPE_CHECKING:
    from maillage.network.incremental import IncrementalRoad, IncrementalStraightLine

__all__ = [
    "UNPLACED_REASONS",
    "WINTER_CLOSURES",
    "Method",
    "NetworkPair",
    "NetworkSource",
    "RingBoundedModel",
    "RoadModel",
    "StraightLineModel",
    "TravelTimeModel",
]

#: Mountain passes of the Maurienne closed in winter (OpenStreetMap names): the default
#: winter closures of :meth:`NetworkPair.from_pbf`, those absent from the extract skipped.
WINTER_CLOSURES = (
    "Col du Galibier",
    "Col de l'Iseran",
    "Col de la Croix-de-Fer",
    "Col du Mont-Cenis",
)

#: Reasons a model may give in :meth:`TravelTimeModel.unplaced`.
UNPLACED_REASONS = ("too_far", "no_coordinates")
#: Margin on a ring's radius for the metric CRS's scale error (straight-line estimate).
SCALE_MARGIN = 0.99
#: Largest off-network leg of a snapped point (``snap_points``' ``max_snap_m``), km.
MAX_SNAP_KM = 2.0
#: Narrowest ring of a partitioned run on a road graph, km (mountain detours).
ROAD_MIN_RING_KM = 60.0


@runtime_checkable
class TravelTimeModel(Protocol):
    """What every travel-time model answers (road, straight line, public transport...).

    Origins, services and destinations are GeoDataFrames of points in any declared CRS
    (a :class:`~maillage.MaillageError` otherwise). Origins or services a model cannot
    place are left without time (NaN) and listed by :meth:`unplaced`; models never warn.

    Examples
    --------
    Code written against the protocol takes any model, without an ``if``:

    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> def minutes_to_nearest(model: TravelTimeModel, origins, services) -> list[float]:
    ...     return model.nearest(origins, services)["minutes"].round(1).tolist()
    >>> origins = gpd.GeoDataFrame({"origin_id": ["o"]}, geometry=[Point(0, 0)], crs=4326)
    >>> services = gpd.GeoDataFrame({"service_id": ["s"], "type": ["D265"]},
    ...                             geometry=[Point(0.01, 0)], crs=4326)
    >>> road = RoadModel(RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0],
    ...                                       lon=[0, 0.01], lat=[0, 0]))
    >>> [minutes_to_nearest(m, origins, services) for m in (road, StraightLineModel())]
    [[1.0], [2.1]]
    >>> [isinstance(m, TravelTimeModel) for m in (road, StraightLineModel())]
    [True, True]
    >>> [m.method.value for m in (road, StraightLineModel())]
    ['road', 'straight_line']
    >>> [len(m.matrix(origins, services, cutoff_minutes=1.5)) for m in (road, StraightLineModel())]
    [1, 0]
    >>> road.unplaced(origins, id_column="origin_id").columns.tolist()
    ['origin_id', 'reason']
    """

    @property
    def method(self) -> Method:
        """The method of the times (for the outputs' labels and notes)."""
        ...

    def nearest(
        self,
        origins: gpd.GeoDataFrame,
        services: gpd.GeoDataFrame,
        *,
        groups: str = "type",
        origin_id: str = "origin_id",
        service_id: str = "service_id",
    ) -> pd.DataFrame:
        """Time from every origin to the nearest service of each group.

        Returns
        -------
        pandas.DataFrame
            Tidy: ``<origin_id>, <groups>, <service_id>, minutes`` (NaN and no service
            when unreachable), one row per origin × group of ``services[groups]``
            (origins in input order, groups sorted).
        """
        ...

    def matrix(
        self,
        origins: gpd.GeoDataFrame,
        destinations: gpd.GeoDataFrame,
        *,
        cutoff_minutes: float | None = None,
        origin_id: str = "origin_id",
        destination_id: str = "service_id",
    ) -> pd.DataFrame:
        """Time of every origin × destination pair within ``cutoff_minutes`` (``None``: all).

        Returns
        -------
        pandas.DataFrame
            Tidy long: ``<origin_id>, <destination_id>, minutes``, only the pairs within
            the cutoff, sorted by origin (input order) then minutes.
        """
        ...

    def unplaced(self, points: gpd.GeoDataFrame, *, id_column: str) -> pd.DataFrame:
        """The points the model leaves without time: ``<id_column>, reason``.

        ``reason`` is one of :data:`UNPLACED_REASONS`, in input order; empty when every
        point is placed.
        """
        ...


@runtime_checkable
class RingBoundedModel(Protocol):
    """A travel-time model whose times a partitioned run can bound (road, straight line).

    A partition computes the times of its origins with only the services (and roads)
    within a ring of ``radius_km`` around them; a model says up to which time such times
    are exact, and how wide the ring must at least be. A new model plugs into the
    partitioned run by implementing these two members.

    Examples
    --------
    >>> [isinstance(m, RingBoundedModel) for m in (StraightLineModel(), object())]
    [True, False]
    >>> round(StraightLineModel().guaranteed_minutes(30.0), 1), StraightLineModel().min_ring_km
    (55.4, 0.0)
    """

    @property
    def min_ring_km(self) -> float:
        """The narrowest ring a partitioned run should use with this model, km."""
        ...

    def guaranteed_minutes(self, radius_km: float) -> float:
        """Minutes within which times computed inside a ring of ``radius_km`` are exact."""
        ...


def _no_coordinates(points: gpd.GeoDataFrame, id_column: str) -> pd.DataFrame:
    lonlat = points.geometry.to_crs(4326)
    if not (lonlat.geom_type == "Point").all():
        lonlat = lonlat.representative_point()
    lost = ~(np.isfinite(lonlat.x.to_numpy()) & np.isfinite(lonlat.y.to_numpy()))
    return pd.DataFrame({id_column: points[id_column].to_numpy()[lost], "reason": "no_coordinates"})


@dataclass(frozen=True, eq=False)
class RoadModel:
    """Road times on an OpenStreetMap graph (:func:`~maillage.network.graph.build_graph`).

    Wraps :func:`~maillage.network.nearest.nearest_services` and
    :func:`~maillage.network.nearest.travel_time_matrix`: points are snapped to the
    nearest node and their off-network leg is counted at ``offroad_speed_kph``; points
    farther than ``max_snap_m`` from every road get no time (:meth:`unplaced`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = RoadGraph.from_edges([0, 1, 1, 2], [1, 0, 2, 1], [1.0, 1.0, 2.0, 2.0],
    ...                          lon=[0, 0.01, 0.02], lat=[0, 0, 0])
    >>> model = RoadModel(g)
    >>> origins = gpd.GeoDataFrame({"origin_id": ["o"]}, geometry=[Point(0, 0)], crs=4326)
    >>> services = gpd.GeoDataFrame({"service_id": ["s1", "s2"], "type": ["D265", "D265"]},
    ...                             geometry=[Point(0.01, 0), Point(0.02, 0)], crs=4326)
    >>> model.nearest(origins, services)
      origin_id  type service_id  minutes
    0         o  D265         s1      1.0
    >>> model.matrix(origins, services, cutoff_minutes=2.5)
      origin_id service_id  minutes
    0         o         s1      1.0
    >>> isinstance(model, TravelTimeModel), model.method
    (True, <Method.ROAD: 'road'>)
    >>> far = gpd.GeoDataFrame({"origin_id": ["far"]}, geometry=[Point(1, 1)], crs=4326)
    >>> model.unplaced(far, id_column="origin_id")
      origin_id   reason
    0       far  too_far
    >>> model.without_ways([1]).graph.n_edges  # way 1: the edge 1 → 0
    3
    >>> state = model.incremental(origins.assign(population=1.0), services)
    >>> state.minutes.tolist()
    [1.0]
    """

    graph: RoadGraph
    max_snap_m: float = DEFAULT_MAX_SNAP_M
    offroad_speed_kph: float = OFFROAD_SPEED_KPH
    n_jobs: int | None = None

    @property
    def method(self) -> Method:
        """:attr:`Method.ROAD`."""
        return Method.ROAD

    @property
    def min_ring_km(self) -> float:
        """:data:`ROAD_MIN_RING_KM` (see :class:`RingBoundedModel`).

        Examples
        --------
        >>> g = RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0], lon=[0, 0.01], lat=[0, 0])
        >>> RoadModel(g).min_ring_km
        60.0
        """
        return ROAD_MIN_RING_KM

    def guaranteed_minutes(self, radius_km: float) -> float:
        """Minutes within which road times on the graph cropped at ``radius_km`` are exact.

        A path of ``t`` minutes at the graph's top speed ``v`` stays within ``v·t`` of its
        start, and the off-network leg within :data:`MAX_SNAP_KM`.

        Examples
        --------
        >>> g = RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0], lon=[0, 0.01], lat=[0, 0])
        >>> round(RoadModel(g).guaranteed_minutes(30.0), 1)  # 1.1 km per minute: 67 km/h
        25.2
        """
        graph = self.graph
        moving = graph.minutes > 0
        top_kph = float(np.max(graph.length_m[moving] / graph.minutes[moving])) * 60.0 / 1000.0
        return max(radius_km - MAX_SNAP_KM, 0.0) * 60.0 / top_kph

    def nearest(
        self,
        origins: gpd.GeoDataFrame,
        services: gpd.GeoDataFrame,
        *,
        groups: str = "type",
        origin_id: str = "origin_id",
        service_id: str = "service_id",
    ) -> pd.DataFrame:
        """See :meth:`TravelTimeModel.nearest`."""
        table = nearest_services(
            self.graph,
            origins,
            services,
            origin_id=origin_id,
            service_id=service_id,
            type_column=groups,
            max_snap_m=self.max_snap_m,
            offroad_speed_kph=self.offroad_speed_kph,
            n_jobs=self.n_jobs,
            warn=False,
        )
        return table.rename(columns={"type": groups})[[origin_id, groups, service_id, "minutes"]]

    def matrix(
        self,
        origins: gpd.GeoDataFrame,
        destinations: gpd.GeoDataFrame,
        *,
        cutoff_minutes: float | None = None,
        origin_id: str = "origin_id",
        destination_id: str = "service_id",
    ) -> pd.DataFrame:
        """See :meth:`TravelTimeModel.matrix`."""
        table = travel_time_matrix(
            self.graph,
            origins,
            destinations,
            cutoff_minutes=np.inf if cutoff_minutes is None else cutoff_minutes,
            origin_id=origin_id,
            service_id=destination_id,
            max_snap_m=self.max_snap_m,
            offroad_speed_kph=self.offroad_speed_kph,
            warn=False,
        )
        return table[[origin_id, destination_id, "minutes"]]

    def unplaced(self, points: gpd.GeoDataFrame, *, id_column: str) -> pd.DataFrame:
        """Points farther than ``max_snap_m`` from every road (``too_far``)."""
        snapped = snap_points(
            self.graph,
            points,
            id_column=id_column,
            max_snap_m=self.max_snap_m,
            offroad_speed_kph=self.offroad_speed_kph,
        )
        return pd.DataFrame(
            {id_column: snapped.loc[snapped.too_far, id_column].to_numpy(), "reason": "too_far"}
        )

    def without_ways(self, closed: list[str]) -> RoadModel:
        """The same model on the graph without the named ways (road closures)."""
        return RoadModel(
            self.graph.without_ways(closed), self.max_snap_m, self.offroad_speed_kph, self.n_jobs
        )

    def incremental(self, origins: gpd.GeoDataFrame, services: gpd.GeoDataFrame) -> IncrementalRoad:
        """Nearest-service times of these points kept exact change by change, roads
        closable (:class:`~maillage.network.incremental.IncrementalRoad`)."""
        from maillage.network.incremental import IncrementalRoad

        return IncrementalRoad(
            self.graph,
            origins,
            services,
            max_snap_m=self.max_snap_m,
            offroad_speed_kph=self.offroad_speed_kph,
        )


@dataclass(frozen=True)
class StraightLineModel:
    """Estimated times without a network: straight-line distance × detour at a mean speed.

    Wraps :mod:`maillage.network.straight_line` (see there for the calibration of the
    defaults). Every output that uses it must say the times are estimates.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> origins = gpd.GeoDataFrame({"origin_id": ["o"]}, geometry=[Point(6.35, 45.27)], crs=4326)
    >>> services = gpd.GeoDataFrame({"service_id": ["s"], "type": ["D265"]},
    ...                             geometry=[Point(6.45, 45.27)], crs=4326)
    >>> StraightLineModel().nearest(origins, services).round(1)
      origin_id  type service_id  minutes
    0         o  D265          s     14.6
    >>> StraightLineModel(speed_kph=90).matrix(origins, services).round(1)
      origin_id service_id  minutes
    0         o          s      7.3
    >>> model = StraightLineModel()
    >>> model.method, len(model.unplaced(origins, id_column="origin_id"))
    (<Method.STRAIGHT_LINE: 'straight_line'>, 0)
    >>> state = model.incremental(origins.assign(population=1.0), services)
    >>> round(float(state.minutes[0]), 1)
    14.6
    """

    detour_coefficient: float = DETOUR_COEFFICIENT
    speed_kph: float = STRAIGHT_LINE_SPEED_KPH

    @property
    def method(self) -> Method:
        """:attr:`Method.STRAIGHT_LINE`."""
        return Method.STRAIGHT_LINE

    @property
    def min_ring_km(self) -> float:
        """No minimum: the guarantee grows with any ring (see :class:`RingBoundedModel`).

        Examples
        --------
        >>> StraightLineModel().min_ring_km
        0.0
        """
        return 0.0

    def guaranteed_minutes(self, radius_km: float) -> float:
        """Minutes within which straight-line times in a ring of ``radius_km`` are exact.

        Examples
        --------
        >>> round(StraightLineModel().guaranteed_minutes(30.0), 1)
        55.4
        """
        metres = radius_km * 1000.0 * SCALE_MARGIN
        return metres * self.detour_coefficient * 60.0 / (self.speed_kph * 1000.0)

    def nearest(
        self,
        origins: gpd.GeoDataFrame,
        services: gpd.GeoDataFrame,
        *,
        groups: str = "type",
        origin_id: str = "origin_id",
        service_id: str = "service_id",
    ) -> pd.DataFrame:
        """See :meth:`TravelTimeModel.nearest`."""
        table = nearest_services_straight_line(
            origins,
            services,
            origin_id=origin_id,
            service_id=service_id,
            type_column=groups,
            detour_coefficient=self.detour_coefficient,
            speed_kph=self.speed_kph,
            warn=False,
        )
        return table.rename(columns={"type": groups})[[origin_id, groups, service_id, "minutes"]]

    def matrix(
        self,
        origins: gpd.GeoDataFrame,
        destinations: gpd.GeoDataFrame,
        *,
        cutoff_minutes: float | None = None,
        origin_id: str = "origin_id",
        destination_id: str = "service_id",
    ) -> pd.DataFrame:
        """See :meth:`TravelTimeModel.matrix`."""
        table = travel_time_matrix_straight_line(
            origins,
            destinations,
            cutoff_minutes=np.inf if cutoff_minutes is None else cutoff_minutes,
            origin_id=origin_id,
            service_id=destination_id,
            detour_coefficient=self.detour_coefficient,
            speed_kph=self.speed_kph,
            warn=False,
        )
        return table[[origin_id, destination_id, "minutes"]]

    def unplaced(self, points: gpd.GeoDataFrame, *, id_column: str) -> pd.DataFrame:
        """Points without coordinates (``no_coordinates``)."""
        return _no_coordinates(points, id_column)

    def minutes(self, distance_m: float) -> float:
        """The estimated minutes of a straight-line distance.

        Examples
        --------
        >>> round(StraightLineModel().minutes(10_000.0), 2)
        18.67
        """
        return distance_m * self.detour_coefficient * 60.0 / (self.speed_kph * 1000.0)

    def incremental(
        self, origins: gpd.GeoDataFrame, services: gpd.GeoDataFrame
    ) -> IncrementalStraightLine:
        """Nearest-service times of these points kept exact change by change
        (:class:`~maillage.network.incremental.IncrementalStraightLine`; no roads to close)."""
        from maillage.network.incremental import straight_line_state

        return straight_line_state(
            origins, services, detour_coefficient=self.detour_coefficient, speed_kph=self.speed_kph
        )


@dataclass(frozen=True)
class NetworkSource:
    """Where a study's road models come from, so that they can be built again (the web
    app's workshop): the OpenStreetMap extract and the roads closed in winter.

    Examples
    --------
    >>> source = NetworkSource("/data/rhone-alpes.osm.pbf", ("Col du Galibier",))
    >>> NetworkSource.from_dict(source.to_dict()) == source
    True
    """

    extract: str
    winter_closures: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``etude.json``'s ``network``)."""
        return {"extract": self.extract, "winter_closures": list(self.winter_closures)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkSource:
        """From :meth:`to_dict`."""
        return cls(str(data["extract"]), tuple(str(v) for v in data.get("winter_closures", ())))


@dataclass(frozen=True, eq=False)
class NetworkPair:
    """The travel-time models of a study's two seasons.

    Attributes
    ----------
    summer
        The model of the summer (and of the whole year for one-season studies).
    winter
        The winter model (e.g. the road graph with the passes closed); ``None``: the
        summer model serves in winter too (:attr:`winter_or_summer`).
    source
        The extract and winter closures the models were built from (:meth:`from_pbf`),
        ``None`` for models built otherwise.

    Examples
    --------
    >>> pair = NetworkPair.straight_line()
    >>> pair.method, pair.winter is None, pair.winter_or_summer is pair.summer
    (<Method.STRAIGHT_LINE: 'straight_line'>, True, True)
    """

    summer: TravelTimeModel
    winter: TravelTimeModel | None = None
    source: NetworkSource | None = None

    @property
    def method(self) -> Method:
        """The summer model's method."""
        return self.summer.method

    @property
    def winter_or_summer(self) -> TravelTimeModel:
        """The winter model, or the summer one when no winter model is given."""
        return self.summer if self.winter is None else self.winter

    @classmethod
    def straight_line(cls) -> NetworkPair:
        """The straight-line estimate in both seasons (no road network at hand)."""
        return cls(StraightLineModel())

    @classmethod
    def road(cls, graph: RoadGraph, winter_graph: RoadGraph | None = None) -> NetworkPair:
        """Road models on ``graph`` and, when given, on ``winter_graph``.

        Examples
        --------
        >>> g = RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0], lon=[0, 0.01], lat=[0, 0])
        >>> pair = NetworkPair.road(g, g.without_ways([0]))
        >>> pair.method, pair.summer.graph.n_edges, pair.winter_or_summer.graph.n_edges
        (<Method.ROAD: 'road'>, 2, 1)
        """
        return cls(RoadModel(graph), None if winter_graph is None else RoadModel(winter_graph))

    @classmethod
    def from_pbf(
        cls,
        path: str | PathLike[str],
        *,
        winter_closures: Sequence[str] | None = None,
        on_parse: Callable[[float], None] | None = None,
    ) -> NetworkPair:
        """Road models of an OpenStreetMap extract, the winter one without closed roads.

        Parameters
        ----------
        path
            The ``.osm.pbf`` extract (:func:`~maillage.network.graph.build_graph`, cached).
        winter_closures
            Roads closed in winter (name, ref or OSM id), each one required in the extract;
            ``None``: the passes of :data:`WINTER_CLOSURES` present in the extract. No
            closure: the summer roads serve in winter.
        on_parse
            Called with the estimated parse time (s) when the extract is not in the cache
            (``build_graph``'s ``on_parse``).

        Examples
        --------
        Saint-Barthélemy has no mountain pass: the summer roads serve in winter.

        >>> pair = NetworkPair.from_pbf("tests/data/osm/saint-barthelemy-2014.osm.pbf")
        >>> pair.method, pair.winter is None, pair.source.winter_closures
        (<Method.ROAD: 'road'>, True, ())
        """
        from maillage.network.graph import build_graph

        graph = build_graph(path, on_parse=on_parse)
        if winter_closures is None:
            closed = [name for name in WINTER_CLOSURES if _has_way(graph, name)]
        else:
            closed = list(winter_closures)
        pair = cls.road(graph, graph.without_ways(closed) if closed else None)
        source = NetworkSource(str(Path(path).resolve()), tuple(closed))
        return cls(pair.summer, pair.winter, source)


def _has_way(graph: RoadGraph, name: str) -> bool:
    try:
        graph.without_ways([name])
    except MaillageError:
        return False
    return True
