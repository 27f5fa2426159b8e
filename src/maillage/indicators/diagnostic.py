"""The diagnostic of a territory, end to end: from communes and services to indicators.

:func:`run_diagnostic` chains the stages: origins (commune points, with IRIS age bands
and seasonal population) → travel times to the nearest service of every type (road
graph, or the labelled straight-line estimate when no road network is given) → access
per family, opening-hours access, bassins de services, territoires à enjeux; with a
winter road graph, the same times in winter side by side.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from maillage._errors import MaillageError
from maillage.indicators.access import (
    access_summary,
    nearest_by_family,
    services_per_10000,
)
from maillage.indicators.bassins import (
    bassin_agreement,
    catchments,
    commune_adjacency,
    contiguous_bassins,
    delineate_bassins,
    edge_communes,
    select_poles,
)
from maillage.indicators.e2sfca import e2sfca
from maillage.indicators.enjeux import enjeux_by_zone, enjeux_scores
from maillage.indicators.official import (
    cite_needs,
    need_indicators,
    official_by_commune,
    official_by_zone,
)
from maillage.indicators.opening import hours_access
from maillage.indicators.seasonal import BEDS_PER_SECONDARY_RESIDENCE, seasonal_population
from maillage.indicators.settings import DiagnosticSettings
from maillage.network.model import Method, NetworkPair, StraightLineModel, TravelTimeModel
from maillage.network.snapping import located
from maillage.network.zones import per_zone
from maillage.notes import Note
from maillage.schema import FRANCE, SEASONS, SUMMER, TERRITORY, WINTER
from maillage.services.typology import TOWN_HALL_TYPE, Typology, load_typology
from maillage.sources.communes import polygons_of
from maillage.sources.mairies import at_chef_lieu
from maillage.sources.population import population_by_commune
from maillage.territory.territory import Territory

#: Zonings the access indicators are aggregated by (plus the whole territory).
ZONE_LEVELS = ("epci", "bassin_vie", "canton")
#: The age band whose demand each family serves (E2SFCA demand weighting).
DEMAND_BAND = {
    "social_emploi": "population",
    "soins": "population_65_plus",
    "domicile": "population_65_plus",
    "jeunesse_parents": "population_0_19",
    "petite_enfance": "population_0_19",
}


@dataclass
class Diagnostic:
    """Every table of a territory's diagnostic (tidy, units in column names).

    Attributes
    ----------
    method
        How the times were computed (:class:`~maillage.network.model.Method`; a
        straight-line estimate must be said by every output that uses it).
    communes
        The territory's communes: population, age bands, secondary residences,
        ``population_peak`` (peak-season estimate), zonings, point geometry.
    nearest
        ``origin_id, type, service_id, minutes, season`` (``summer``/``winter``); the
        columns of every table are named in :mod:`maillage.schema`.
    family_times
        ``origin_id, family, service_id, minutes, season``.
    access
        Access per zone, family, season and threshold (long): ``level`` (``territory``,
        ``epci``...), ``zone``, ``family``, ``season``, population, times,
        ``threshold_minutes``, ``population_beyond``, ``share_beyond`` (see
        :func:`~maillage.indicators.access.access_summary`).
    density
        Services per 10,000 inhabitants per EPCI and family.
    hours
        Opening-hours access per commune and family within ``hours_within_minutes``.
    catchments
        Nearest pole of each commune per family and per type (``level``, ``key``).
    bassins
        Delineation of bassins de services and its agreement with INSEE's BV2022.
    enjeux
        Territoires à enjeux: score, rank, class, reasons.
    enjeux_epci
        EPCI ranked by the population-weighted mean score of their communes.
    e2sfca
        Supply versus demand per commune and family (E2SFCA, DREES APL steps):
        ``origin_id, family, accessibility_per_10000, demand_band, capacity_unit``.
    comparison
        The territory against its départements and metropolitan France, on equal terms
        (built-in national sources, straight-line estimate, residents): ``level, zone,
        family, method`` and the access columns. Empty outside metropolitan France.
    official
        The official indicators of each commune beside our times, as published: DREES
        APL (general practitioners and other professions, under-served flag), CAF
        coverage rate of early childhood care, step-free public buildings (Acceslibre).
    official_zones
        The same for the whole territory and each EPCI (APL weighted by DREES's
        population, share of it in under-served communes; ERP counts summed).

    Examples
    --------
    >>> from maillage.study import Study
    >>> d = Study.builtin(buffer_km=0, builtin_sources=["france_services"],
    ...                   settings=DiagnosticSettings(comparison=False)).diagnostic()
    >>> d.method, d.thresholds_minutes
    (<Method.STRAIGHT_LINE: 'straight_line'>, (7.0, 15.0, 20.0, 30.0))
    >>> sorted(d.access["level"].unique())
    ['bassin_vie', 'canton', 'epci', 'territory']
    >>> d.family_times.columns.tolist()
    ['origin_id', 'family', 'service_id', 'minutes', 'season']
    """

    territory: Territory
    method: Method
    communes: gpd.GeoDataFrame
    nearest: pd.DataFrame
    family_times: pd.DataFrame
    access: pd.DataFrame
    density: pd.DataFrame
    hours: pd.DataFrame
    catchments: pd.DataFrame
    bassins: pd.DataFrame
    enjeux: pd.DataFrame
    enjeux_epci: pd.DataFrame
    e2sfca: pd.DataFrame
    comparison: pd.DataFrame
    settings: DiagnosticSettings = field(default_factory=DiagnosticSettings)
    bassin_agreement: float = float("nan")
    notes: list[Note] = field(default_factory=list)
    #: Grid-level run: the origins (200 m cells) behind ``access``; ``None`` at commune level.
    cells: gpd.GeoDataFrame | None = None
    official: pd.DataFrame = field(default_factory=pd.DataFrame)
    official_zones: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def thresholds_minutes(self) -> tuple[float, ...]:
        """The thresholds of the population beyond (``settings.thresholds_minutes``)."""
        return self.settings.thresholds_minutes


def territory_origins(territory: Territory) -> gpd.GeoDataFrame:
    """The territory's communes as origins, with IRIS age bands and seasonal population.

    Each commune's origin is its chef-lieu, the town hall's location (INSEE's method),
    or its polygon's point where the town hall is not located (``origin_position``).

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> o = territory_origins(pays_de_maurienne(buffer_km=0))
    >>> int(o["population"].sum()), bool((o["population_peak"] >= o["population"]).all())
    (42946, True)
    """
    communes = at_chef_lieu(territory.communes)
    counts, _ = population_by_commune(communes["commune"])
    # Population municipale (COG) is the reference; IRIS 2021 gives the age structure.
    shares = counts.drop(columns="population").div(counts["population"], axis=0)
    origins = communes.rename(columns={"commune": "origin_id"})
    origins = origins.join(shares, on="origin_id")
    population = origins["population"].astype(float)
    for column in ("population_0_19", "population_20_64", "population_65_plus"):
        origins[column] = (origins[column] * population).round()
    origins["secondary_residences"] = origins["origin_id"].map(counts["secondary_residences"])
    origins["population_peak"] = seasonal_population(
        origins.assign(population=population).fillna({"secondary_residences": 0})
    )
    return origins


def run_diagnostic(
    territory: Territory,
    services: gpd.GeoDataFrame,
    *,
    network: NetworkPair | None = None,
    typology: Typology | None = None,
    settings: DiagnosticSettings | None = None,
    origins: gpd.GeoDataFrame | None = None,
) -> Diagnostic:
    """Compute the diagnostic of a territory.

    Parameters
    ----------
    territory
        The study territory (its buffer ring's services count).
    services
        Services of the territory and its ring (:func:`maillage.services.catalogue.
        territory_services`): ``service_id, type, family, commune, hours_per_week,
        opening_hours``, point geometry.
    network
        The summer and winter travel-time models; the straight-line estimate in both
        seasons by default (said in ``notes``).
    typology
        Families of types (the shipped typology by default).
    settings
        Thresholds, opening-hours budget, comparison (:class:`~maillage.indicators.
        settings.DiagnosticSettings`; defaults when ``None``).
    origins
        Population grid cells (:func:`maillage.sources.filosofi.read_filosofi`): the
        population beyond thresholds (``access``) is computed per cell, calibrated on each
        commune's population (:func:`grid_origins`); the commune-level tables aggregate
        the cells (population-weighted). ``None``: commune points.

    Returns
    -------
    Diagnostic

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> from maillage.services.catalogue import territory_services
    >>> t = pays_de_maurienne(buffer_km=5)
    >>> d = run_diagnostic(t, territory_services(t, builtin=["france_services"]),
    ...                    settings=DiagnosticSettings(comparison=False))
    >>> d.method, [note.code for note in d.notes][:3]
    (<Method.STRAIGHT_LINE: 'straight_line'>, ['chef_lieu', 'straight_line', 'winter'])
    """
    network = NetworkPair.straight_line() if network is None else network
    settings = DiagnosticSettings() if settings is None else settings
    typology = load_typology() if typology is None else typology
    communes = territory_origins(territory)
    cells = None if origins is None else grid_origins(territory, origins, communes=communes)
    origins = communes if cells is None else cells
    notes = method_notes(network)
    nearest, matrix, snap_notes = season_times(
        origins, services, network=network, hours_within_minutes=settings.hours_within_minutes
    )
    notes += snap_notes
    return assemble_diagnostic(
        territory,
        services,
        origins,
        nearest,
        matrix,
        network=network,
        typology=typology,
        settings=settings,
        notes=notes,
        communes=None if cells is None else communes,
    )


def method_notes(network: NetworkPair) -> list[Note]:
    """The notes that say how the times were computed (straight line, winter).

    Examples
    --------
    >>> [note.code for note in method_notes(NetworkPair.straight_line())]
    ['chef_lieu', 'straight_line', 'winter']
    """
    notes: list[Note] = [Note("chef_lieu")]
    if network.method is Method.STRAIGHT_LINE:
        notes.append(Note("straight_line"))
    # Two seasons side by side: summer (residents, summer roads) and winter (peak
    # population of the ski season, roads with the winter closures when given).
    notes.append(
        Note(
            "winter",
            {
                "beds_per_secondary_residence": BEDS_PER_SECONDARY_RESIDENCE,
                "winter_model": network.winter is not None,
            },
        )
    )
    return notes


def unplaced_notes(
    model: TravelTimeModel, origins: gpd.GeoDataFrame, services: gpd.GeoDataFrame
) -> list[Note]:
    """Notes naming the origins and services ``model`` leaves without time.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> o = gpd.GeoDataFrame({"origin_id": ["a", "b"]}, geometry=[Point(6, 45), Point()],
    ...                      crs=4326)
    >>> s = gpd.GeoDataFrame({"service_id": ["s"]}, geometry=[Point(6, 45)], crs=4326)
    >>> unplaced_notes(StraightLineModel(), o, s)
    [Note(code='unplaced', params={'what': 'origins', 'reason': 'no_coordinates', \
'count': 1, 'ids': ['b']})]
    """
    notes = []
    for what, points, column in (
        ("origins", origins, "origin_id"),
        ("services", services, "service_id"),
    ):
        table = model.unplaced(points, id_column=column)
        for reason, part in table.groupby("reason", sort=False):
            ids = part[column].astype(str).tolist()
            params = {"what": what, "reason": str(reason), "count": len(ids), "ids": ids[:10]}
            limit = getattr(model, "max_snap_m", None)
            if reason == "too_far" and limit is not None:
                params["max_snap_m"] = float(limit)
            notes.append(Note("unplaced", params))
    return notes


def season_times(
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    network: NetworkPair,
    hours_within_minutes: float,
) -> tuple[pd.DataFrame, pd.DataFrame, list[Note]]:
    """Nearest service of every type in summer and winter, and the pairs within reach.

    A service open in one season only (``seasonal``) counts in that season alone; the
    winter uses ``network.winter`` (winter closures) when given.

    Returns
    -------
    nearest, matrix, notes
        ``origin_id, type, service_id, minutes, season``; ``origin_id, service_id,
        minutes`` within ``hours_within_minutes`` (summer); the points left without time
        (:func:`unplaced_notes`), once each. An origin without coordinates has no row.
        With the straight-line estimate, metropolitan France and each DOM are computed
        apart, each in its own metric CRS (:func:`~maillage.network.zones.per_zone`).

    Examples
    --------
    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> t = pays_de_maurienne(buffer_km=0)
    >>> nearest, matrix, notes = season_times(
    ...     territory_origins(t), territory_services(t, builtin=["france_services"]),
    ...     network=NetworkPair.straight_line(), hours_within_minutes=20)
    >>> nearest.groupby("season").size().to_dict(), bool((matrix["minutes"] <= 20).all())
    ({'summer': 53, 'winter': 53}, True)
    """
    pools = season_services(services)
    summer_services, winter_services = pools[SUMMER], pools[WINTER]
    # Points left without time are reported once in the notes, not lost silently.
    notes = unplaced_notes(network.summer, origins, services)
    if network.winter is not None:
        notes += [n for n in unplaced_notes(network.winter, origins, services) if n not in notes]
    # An origin without coordinates has no time at all: no rows (it is in the notes).
    origins = origins[located(origins)]
    summer_nearest = _nearest(network.summer, origins, summer_services)
    winter_nearest = (
        _nearest(network.winter_or_summer, origins, winter_services)
        if network.winter is not None or len(winter_services) < len(services)
        else summer_nearest
    )
    matrix = _matrix(network.summer, origins, services, cutoff_minutes=hours_within_minutes)
    nearest = pd.concat(
        [summer_nearest.assign(season=SUMMER), winter_nearest.assign(season=WINTER)],
        ignore_index=True,
    )
    return nearest, matrix, notes


def season_services(services: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The services open in each season: those open all year, and those of the season only.

    Examples
    --------
    >>> import geopandas as gpd
    >>> s = gpd.GeoDataFrame({"service_id": ["a", "b", "c"],
    ...                       "seasonal": ["summer", "winter", None]}, geometry=[None] * 3)
    >>> {season: part["service_id"].tolist() for season, part in season_services(s).items()}
    {'summer': ['a', 'c'], 'winter': ['b', 'c']}
    """
    season = (
        services["seasonal"] if "seasonal" in services else pd.Series(pd.NA, index=services.index)
    )
    return {name: services[((season == name) | season.isna()).astype(bool)] for name in SEASONS}


def assemble_diagnostic(
    territory: Territory,
    services: gpd.GeoDataFrame,
    origins: gpd.GeoDataFrame,
    nearest: pd.DataFrame,
    matrix: pd.DataFrame,
    *,
    network: NetworkPair,
    typology: Typology,
    settings: DiagnosticSettings,
    notes: list[Note],
    communes: gpd.GeoDataFrame | None = None,
) -> Diagnostic:
    """Every indicator of the diagnostic from the travel times already computed.

    What :func:`run_diagnostic` and the partitioned run
    (:func:`maillage.scale.merge.merge_partitions`) share once the times are known.

    Parameters
    ----------
    territory, services
        The territory and its services (ring included).
    origins
        The origins of the times: commune points, or grid cells when ``communes`` is given.
    nearest
        ``origin_id, type, service_id, minutes, season`` (both seasons).
    matrix
        ``origin_id, service_id, minutes`` within ``hours_within_minutes``.
    network
        The models the times were computed with: their method, and the summer model for
        the times from the communes to the poles of the bassins de services.
    typology, settings
        As in :func:`run_diagnostic`.
    notes
        The notes so far (a new list, completed, goes to the result).
    communes
        With grid-cell origins: the communes the commune-level tables aggregate to.

    Raises
    ------
    MaillageError
        No time at all: no located service in the territory or its ring (a study
        without services, or a scenario that closes them all).

    Examples
    --------
    The times computed once, the indicators assembled: what :func:`run_diagnostic` does.

    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> t = pays_de_maurienne(buffer_km=0)
    >>> s = territory_services(t, builtin=["france_services"])
    >>> pair, settings = NetworkPair.straight_line(), DiagnosticSettings(comparison=False)
    >>> origins = territory_origins(t)
    >>> nearest, matrix, notes = season_times(origins, s, network=pair, hours_within_minutes=20)
    >>> d = assemble_diagnostic(t, s, origins, nearest, matrix, network=pair,
    ...                         typology=load_typology(), settings=settings, notes=notes)
    >>> d.access.equals(run_diagnostic(t, s, settings=settings).access)
    True
    """
    if nearest.empty:
        raise MaillageError(
            f"{territory.name} : aucun service localisé dans le territoire ni dans sa couronne, "
            "aucun temps d'accès à calculer. Correction : ajoutez une source de services "
            "(--sources, ou la BPE par maillage telecharger) ou élargissez la couronne "
            "(--tampon-km)"
        )
    notes = list(notes)
    thresholds_minutes = settings.thresholds_minutes
    hours_within_minutes = settings.hours_within_minutes
    cells = None if communes is None else origins
    family_times = pd.concat(
        [
            nearest_by_family(part, typology).assign(season=season)
            for season, part in nearest.groupby("season", sort=False)
        ],
        ignore_index=True,
    )
    population = pd.DataFrame(origins.drop(columns="geometry"))
    unknown = population.loc[population["population"].isna(), "origin_id"].astype(str)
    if len(unknown):
        notes.append(
            Note("unknown_population", {"count": len(unknown), "ids": sorted(unknown)[:10]})
        )
    access = _access_by_zone(family_times, population, thresholds_minutes)
    if cells is not None:
        # Commune-level tables from the cells, population-weighted.
        nearest = _per_commune(nearest, population, ["type", "season"])
        family_times = _per_commune(family_times, population, ["family", "season"])
        matrix = _per_commune(matrix, population, ["service_id"], complete=False)
        origins = communes
        population = pd.DataFrame(origins.drop(columns="geometry"))
        notes.append(_grid_note(cells))
    # The two tables of the origin × service pairs (millions nationally) are computed by a
    # second thread while this one computes the others: numpy, pandas and Arrow release
    # the GIL in their sorts, takes and hashes, so the machine's second core takes part.
    pool = ThreadPoolExecutor(max_workers=1)
    hours = pool.submit(hours_access, matrix, services, within_minutes=hours_within_minutes)
    supply_demand = pool.submit(_e2sfca_by_family, matrix, services, population)
    pool.shutdown(wait=False)  # its thread ends with these two tasks
    compared = (
        _comparison(territory, typology, thresholds_minutes)
        if settings.comparison
        else pd.DataFrame()
    )
    with_zone = services.merge(territory.communes[["commune", "epci"]], on="commune", how="inner")
    density = services_per_10000(with_zone.dropna(subset=["family"]), population, by="epci")
    summer = family_times[family_times["season"] == SUMMER]
    summer_by_type = nearest[nearest["season"] == SUMMER]
    poles = pd.concat(
        [
            catchments(summer, services, population)
            .rename(columns={"family": "key"})
            .assign(level="family"),
            catchments(summer_by_type, services, population, key="type")
            .rename(columns={"type": "key"})
            .assign(level="type"),
        ],
        ignore_index=True,
    )
    intermediate = set(typology.types.loc[typology.types["gamme"] == "intermediaire", "type"])
    summer_types = summer_by_type[summer_by_type["type"].isin(intermediate)]
    if summer_types.empty:
        # No intermediate-range equipment at hand (no BPE): delineate on every type but
        # the town hall, which every commune has, and say so.
        summer_types = summer_by_type[summer_by_type["type"] != TOWN_HALL_TYPE]
        if len(summer_types):
            notes.append(
                Note(
                    "bassins_without_intermediate",
                    {"types": sorted(str(t) for t in summer_types["type"].unique())},
                )
            )
    bassins = delineated_bassins(
        territory,
        origins,
        summer_types,
        services,
        model=network.summer,
        notes=notes,
    )
    agreement = float("nan")
    if len(bassins):
        agreement = float(bassin_agreement(bassins, population)["agreement_rate"].iloc[0])
    else:
        notes.append(Note("bassins_not_delineated"))
    enjeux = enjeux_scores(summer[["origin_id", "family", "minutes"]], population)
    # The need behind the reasons, cited from the official figures (Filosofi, RP).
    enjeux = cite_needs(enjeux, need_indicators(population))
    enjeux_epci = enjeux_by_zone(enjeux, population, by="epci")
    # The figures the ARS, the CAF and Acceslibre publish, beside our times.
    official = official_by_commune(population)
    official_zones = official_by_zone(population, levels=("epci",))
    return Diagnostic(
        territory=territory,
        method=network.method,
        communes=origins,
        nearest=nearest,
        family_times=family_times,
        access=access,
        density=density,
        hours=hours.result(),
        catchments=poles,
        bassins=bassins,
        enjeux=enjeux,
        enjeux_epci=enjeux_epci,
        e2sfca=supply_demand.result(),
        comparison=compared,
        settings=settings,
        bassin_agreement=agreement,
        notes=notes,
        cells=cells,
        official=official,
        official_zones=official_zones,
    )


#: How far the bassins' poles are looked for (travel time from a commune to a pole).
POLE_CUTOFF_MINUTES = 120.0


def delineated_bassins(
    territory: Territory,
    communes: gpd.GeoDataFrame,
    nearest_types: pd.DataFrame,
    services: gpd.GeoDataFrame,
    *,
    model: TravelTimeModel,
    notes: list[Note],
) -> pd.DataFrame:
    """Bassins de services of the territory's communes, one contiguous piece per pole.

    Poles: the communes where some commune finds most of its nearest equipment types
    (:func:`~maillage.indicators.bassins.select_poles`). Each commune then joins the
    pole it reaches fastest (times between the commune points of the COG, with ``model``),
    or its second fastest where that keeps every bassin in one piece
    (:func:`~maillage.indicators.bassins.contiguous_bassins`, on the shipped commune
    polygons; without polygons, the fastest pole, said in ``notes``).

    Returns
    -------
    pandas.DataFrame
        ``origin_id, bassin, minutes, pole_rank`` (empty without equipment).

    Examples
    --------
    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> t = pays_de_maurienne(buffer_km=0)
    >>> s = territory_services(t, builtin=["mairies", "france_services"])
    >>> origins = territory_origins(t)
    >>> nearest = StraightLineModel().nearest(origins, s[s["type"] == "A128"])
    >>> notes = []
    >>> bassins = delineated_bassins(t, origins, nearest, s, model=StraightLineModel(),
    ...                              notes=notes)
    >>> len(bassins), bassins.columns.tolist()
    (53, ['origin_id', 'bassin', 'minutes', 'pole_rank'])
    """
    columns = ["origin_id", "bassin", "minutes", "pole_rank"]
    if nearest_types.empty:
        return pd.DataFrame(columns=columns)
    poles = select_poles(delineate_bassins(nearest_types, services))
    places = pd.concat([territory.communes, territory.buffer], ignore_index=True)
    places = places[places["commune"].isin(poles)].drop_duplicates("commune")
    sites = gpd.GeoDataFrame(
        {"service_id": places["commune"].to_numpy(), "commune": places["commune"].to_numpy()},
        geometry=gpd.points_from_xy(places["lon"], places["lat"]),
        crs="EPSG:4326",
    )
    zoning = [c for c in ("departement",) if c in communes.columns]
    points = communes[["origin_id", *zoning, "geometry"]]
    codes = communes["origin_id"].astype(str).tolist()
    shapes = polygons_of(codes)
    if shapes is None:
        notes.append(Note("bassins_not_contiguous"))
    if shapes is None and isinstance(model, StraightLineModel):
        # Without polygons each commune simply joins its fastest pole: its nearest one,
        # not the whole commune × pole matrix (ten million pairs for France).
        times = _fastest_pole(model, points, sites)
    else:
        times = _matrix(model, points, sites, cutoff_minutes=POLE_CUTOFF_MINUTES)
    bassins = contiguous_bassins(
        times.rename(columns={"service_id": "pole"}).assign(
            origin_id=lambda t: t["origin_id"].astype(str)
        ),
        None if shapes is None else commune_adjacency(shapes.to_crs("EPSG:2154")),
        edge=None if shapes is None else edge_communes(shapes.to_crs("EPSG:2154")),
    )
    missing = sorted(set(codes) - set(bassins["origin_id"]))
    return (
        pd.concat(
            [bassins, pd.DataFrame({"origin_id": missing, "bassin": pd.NA})], ignore_index=True
        )[columns]
        if missing
        else bassins[columns]
    )


def _fastest_pole(
    model: StraightLineModel, points: gpd.GeoDataFrame, sites: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Each point's fastest pole within :data:`POLE_CUTOFF_MINUTES` (straight line).

    Of poles at the same place, the smallest code, as
    :func:`~maillage.indicators.bassins.contiguous_bassins` breaks ties.
    """
    sites = sites[located(sites)]
    places = sites.assign(_x=sites.geometry.x, _y=sites.geometry.y).sort_values("service_id")
    sites = sites.loc[places.drop_duplicates(["_x", "_y"]).index].assign(type="pole")
    nearest = _nearest(model, points[located(points)], sites)
    nearest = nearest[nearest["minutes"] <= POLE_CUTOFF_MINUTES]
    return nearest[["origin_id", "service_id", "minutes"]].reset_index(drop=True)


def grid_origins(
    territory: Territory,
    cells: gpd.GeoDataFrame,
    *,
    communes: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Grid cells as origins, calibrated on the communes' population.

    Each cell takes its commune's zonings; its population (and age bands, secondary
    residences, peak-season population) is its share of the commune's — the grid says
    where people live, the population municipale how many — so totals equal the
    commune-level ones. A commune without any inhabited cell keeps its point.

    Parameters
    ----------
    territory
        The study territory.
    cells
        ``origin_id, commune, population`` (+ ``population_0_19``, ``population_20_64``,
        ``population_65_plus``), point geometry (:func:`maillage.sources.filosofi.
        read_filosofi`).
    communes
        The commune origins (:func:`territory_origins`, computed when not given).

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :func:`territory_origins` plus ``commune`` and
        ``population_filosofi`` (the grid's own count).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> t = pays_de_maurienne(buffer_km=0)
    >>> c = gpd.GeoDataFrame({"origin_id": ["a", "b"], "commune": "73248",
    ...     "population": [30.0, 10.0]}, geometry=[Point(6.35, 45.28), Point(6.36, 45.27)],
    ...     crs="EPSG:4326")
    >>> o = grid_origins(t, c)
    >>> o.loc[o["commune"] == "73248", "population"].tolist(), len(o)
    ([5809.5, 1936.5], 54)
    """
    communes = territory_origins(territory) if communes is None else communes
    inside = cells[cells["commune"].isin(communes["origin_id"])]
    by_commune = communes.set_index("origin_id")
    weight = inside["population"].astype(float)
    total = weight.groupby(inside["commune"]).transform("sum")
    share = (weight / total).where(total > 0)
    covered = set(inside.loc[share.notna(), "commune"])
    counts = [
        "population",
        "population_0_19",
        "population_20_64",
        "population_65_plus",
        "secondary_residences",
        "population_peak",
    ]
    grid = pd.DataFrame(
        {"origin_id": inside["origin_id"], "commune": inside["commune"]}, index=inside.index
    )[share.notna()]
    share = share[share.notna()]
    own_bands = [c for c in counts[1:4] if c in inside and inside[c].notna().all()]
    for column in counts:
        values = grid["commune"].map(by_commune[column]).astype(float)
        if column in own_bands:
            # The cell's own age structure, scaled to the commune's population.
            band = inside.loc[grid.index, column].astype(float)
            band_total = band.groupby(grid["commune"]).transform("sum")
            grid[column] = grid["commune"].map(by_commune[column]).astype(float) * (
                band / band_total
            ).fillna(share)
        else:
            grid[column] = values * share
    grid["population_filosofi"] = inside.loc[grid.index, "population"].astype(float)
    zones = [c for c in communes.columns if c not in {*counts, "origin_id", "geometry"}]
    for zone in zones:
        grid[zone] = grid["commune"].map(by_commune[zone])
    points = communes[~communes["origin_id"].isin(covered)].assign(commune=lambda f: f["origin_id"])
    origins = pd.concat(
        [
            gpd.GeoDataFrame(grid, geometry=inside.loc[grid.index].geometry.to_crs(communes.crs)),
            points,
        ],
        ignore_index=True,
    )
    return gpd.GeoDataFrame(origins, geometry="geometry", crs=communes.crs)


def _grid_note(cells: gpd.GeoDataFrame) -> Note:
    in_grid = cells["population_filosofi"].notna()
    return Note(
        "grid",
        {
            "cells": int(in_grid.sum()),
            "communes": int(cells.loc[in_grid, "commune"].nunique()),
            "communes_without_cell": int((~in_grid).sum()),
        },
    )


def _per_commune(
    table: pd.DataFrame, population: pd.DataFrame, keys: list[str], *, complete: bool = True
) -> pd.DataFrame:
    """Cell times per commune: population-weighted mean of the cells' minutes.

    A commune reaches a key when the cells reaching it hold at least half of its
    population; ``service_id`` is the one of its most populated such cell. With
    ``complete``, every (commune, key) pair of ``table`` is kept (NaN minutes otherwise).
    """
    commune = population.set_index("origin_id")["commune"]
    weight = population.set_index("origin_id")["population"].astype(float).clip(lower=1e-9)
    frame = table.assign(commune=table["origin_id"].map(commune))
    reached = frame.dropna(subset=["minutes"]).assign(weight=lambda f: f["origin_id"].map(weight))
    reached = reached.assign(weighted=reached["weight"] * reached["minutes"])
    group = ["commune", *keys]
    result = reached.groupby(group, sort=False).agg(
        weight=("weight", "sum"), weighted=("weighted", "sum")
    )
    if "service_id" not in keys:
        top = reached.loc[reached.groupby(group, sort=False)["weight"].idxmax()]
        result["service_id"] = top.set_index(group)["service_id"]
    result["minutes"] = result["weighted"] / result["weight"]
    total = weight.groupby(commune).sum()
    result = result[
        result["weight"] >= 0.5 * total.reindex(result.index.get_level_values("commune")).to_numpy()
    ].reset_index()
    if complete:
        pairs = frame[group].drop_duplicates()
        result = pairs.merge(result, on=group, how="left")
    result = result.rename(columns={"commune": "origin_id"})
    return result[[c for c in table.columns if c in result.columns]]


def _nearest(
    model: TravelTimeModel, origins: gpd.GeoDataFrame, services: gpd.GeoDataFrame
) -> pd.DataFrame:
    services = services.dropna(subset=["type"])
    if isinstance(model, StraightLineModel):
        # Metropolitan France and each DOM apart, each in its own metric CRS.
        return per_zone(model.nearest, origins, services)
    return model.nearest(origins, services)


def _matrix(
    model: TravelTimeModel,
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    cutoff_minutes: float,
) -> pd.DataFrame:
    def pairs(own: gpd.GeoDataFrame, near: gpd.GeoDataFrame) -> pd.DataFrame:
        return model.matrix(own, near, cutoff_minutes=cutoff_minutes)

    if isinstance(model, StraightLineModel):
        return per_zone(pairs, origins, services)
    return pairs(origins, services)


def _access_by_zone(
    family_times: pd.DataFrame, population: pd.DataFrame, thresholds: tuple[float, ...]
) -> pd.DataFrame:
    tables = []
    for season, part in family_times.groupby("season", sort=False):
        if season == WINTER:
            population = population.assign(population=population["population_peak"])
        whole = access_summary(part, population, thresholds_minutes=thresholds)
        tables.append(whole.assign(level=TERRITORY, zone=TERRITORY, season=season))
        for level in ZONE_LEVELS:
            table = access_summary(part, population, by=[level], thresholds_minutes=thresholds)
            tables.append(table.rename(columns={level: "zone"}).assign(level=level, season=season))
    access = pd.concat(tables, ignore_index=True)
    first = ["level", "zone", "family", "season"]
    return access[first + [c for c in access.columns if c not in first]]


def _e2sfca_by_family(
    matrix: pd.DataFrame, services: gpd.GeoDataFrame, population: pd.DataFrame
) -> pd.DataFrame:
    """E2SFCA per family; capacity = weekly opening hours where every service has them,
    else the source's capacity where every service has one, else 1 per site."""
    tables = []
    # Each pair's family, and the canonical order below as integer codes (factorized in
    # sorted order: the same order as sorting the texts), computed once for all families.
    ids = services["service_id"]
    values, distinct = pd.factorize(matrix["service_id"])
    service_code = _sorted_ranks(distinct)[values]
    origin_values, origin_distinct = pd.factorize(matrix["origin_id"])
    origin_code = _sorted_ranks(origin_distinct)[origin_values]
    pair_family, code_of = None, {}
    if ids.is_unique:
        families = services.set_index("service_id")["family"].reindex(distinct)
        family_code, family_names = pd.factorize(families)
        pair_family = family_code[values]
        code_of = {str(name): code for code, name in enumerate(family_names)}
    for family, members in services.dropna(subset=["family"]).groupby("family"):
        band = DEMAND_BAND.get(str(family), "population")
        if members["hours_per_week"].notna().all():
            capacity, unit = members["hours_per_week"], "heures d'ouverture par semaine"
        elif members["capacity"].notna().all():
            capacity, unit = members["capacity"], "capacité de la source"
        else:
            capacity, unit = pd.Series(1.0, index=members.index), "sites"
        supply = pd.DataFrame({"service_id": members["service_id"], "capacity": capacity})
        # In a canonical order: sums of fractional capacities (pupils shared between a
        # commune's schools) then do not depend on how the pairs were gathered (partitions).
        rows = (
            np.flatnonzero(matrix["service_id"].isin(supply["service_id"]).to_numpy())
            if pair_family is None
            else np.flatnonzero(pair_family == code_of.get(str(family), -2))
        )
        pairs = matrix.iloc[rows[np.lexsort((origin_code[rows], service_code[rows]))]]
        demand = pd.DataFrame(
            {"origin_id": population["origin_id"], "population": population[band].fillna(0)}
        )
        result = e2sfca(pairs, demand, supply, per_inhabitants=10_000)
        tables.append(
            result.rename(columns={"accessibility": "accessibility_per_10000"}).assign(
                family=family, demand_band=band, capacity_unit=unit
            )
        )
    columns = ["origin_id", "family", "accessibility_per_10000", "demand_band", "capacity_unit"]
    return (
        pd.concat(tables, ignore_index=True)[columns] if tables else pd.DataFrame(columns=columns)
    )


def _sorted_ranks(distinct: pd.Index) -> npt.NDArray[np.intp]:
    """The rank of each of ``distinct`` in sorted order: with ``pd.factorize``'s codes, the
    codes of ``pd.factorize(values, sort=True)``, the millions of values hashed once and
    only the distinct ones sorted."""
    rank = np.empty(len(distinct), dtype=np.intp)
    rank[np.argsort(np.asarray(distinct, dtype=object), kind="stable")] = np.arange(len(distinct))
    return rank


def _comparison(
    territory: Territory, typology: Typology, thresholds: tuple[float, ...]
) -> pd.DataFrame:
    """Access of the territory, its départements and metropolitan France, on equal terms.

    Built-in national sources only (town halls, France Services, hospitals), straight-line
    estimate, resident population: the only method that covers the whole country offline.
    """
    from maillage.services.catalogue import BUILTIN_SOURCES, builtin_services
    from maillage.sources.communes import read_communes

    communes = read_communes()
    metro = communes[(communes["departement"].str.len() == 2) & communes["lon"].notna()]
    if not territory.communes["commune"].isin(metro["commune"]).all():
        return pd.DataFrame()
    services = pd.concat([builtin_services(name) for name in BUILTIN_SOURCES], ignore_index=True)
    services["family"] = typology.family_of(services["type"])
    services = services[services["commune"].isin(metro["commune"])].dropna(subset=["family"])
    # The same origins as the diagnostic's: each commune's chef-lieu.
    origins = at_chef_lieu(metro).rename(columns={"commune": "origin_id"})
    times = StraightLineModel().nearest(origins, services)
    family_times = nearest_by_family(times, typology)
    population = pd.DataFrame(origins[["origin_id", "departement", "population"]]).fillna(
        {"population": 0}
    )
    population["population"] = population["population"].astype(float)
    population["france"] = FRANCE
    population["in_territory"] = population["origin_id"].isin(territory.codes)
    departements = set(territory.communes["departement"])
    tables = [
        access_summary(family_times, population, by=["france"], thresholds_minutes=thresholds)
        .rename(columns={"france": "zone"})
        .assign(level=FRANCE),
    ]
    in_departements = population["departement"].isin(departements)
    part = family_times[
        family_times["origin_id"].isin(population.loc[in_departements, "origin_id"])
    ]
    tables.append(
        access_summary(
            part, population[in_departements], by=["departement"], thresholds_minutes=thresholds
        )
        .rename(columns={"departement": "zone"})
        .assign(level="departement")
    )
    own = family_times[family_times["origin_id"].isin(territory.codes)]
    tables.append(
        access_summary(
            own, population[population["in_territory"]], thresholds_minutes=thresholds
        ).assign(level=TERRITORY, zone=territory.name)
    )
    table = pd.concat(tables, ignore_index=True).assign(method=Method.STRAIGHT_LINE.value)
    first = ["level", "zone", "family", "method"]
    return table[first + [c for c in table.columns if c not in first]]
