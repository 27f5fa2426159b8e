"""The diagnostic of a territory, end to end: from communes and services to indicators.

:func:`run_diagnostic` chains the stages: origins (commune points, with IRIS age bands
and seasonal population) → travel times to the nearest service of every type (road
graph, or the labelled straight-line estimate when no road network is given) → access
per family, opening-hours access, bassins de services, territoires à enjeux; with a
winter road graph, the same times in winter side by side.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from maillage.indicators.access import (
    DEFAULT_THRESHOLDS_MINUTES,
    access_summary,
    nearest_by_family,
    services_per_10000,
)
from maillage.indicators.bassins import agreement_rate, catchments, delineate_bassins
from maillage.indicators.e2sfca import e2sfca
from maillage.indicators.enjeux import enjeux_by_zone, enjeux_scores
from maillage.indicators.opening import hours_access
from maillage.indicators.seasonal import BEDS_PER_SECONDARY_RESIDENCE, seasonal_population
from maillage.network.graph import RoadGraph
from maillage.network.nearest import METHOD as ROAD
from maillage.network.nearest import nearest_services, travel_time_matrix
from maillage.network.snapping import SnapWarning
from maillage.network.straight_line import (
    METHOD as STRAIGHT_LINE,
)
from maillage.network.straight_line import (
    nearest_services_straight_line,
    travel_time_matrix_straight_line,
)
from maillage.services.typology import TOWN_HALL_TYPE, Typology, load_typology
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
        ``"réseau routier"`` (OpenStreetMap road graph) or ``"vol d'oiseau"`` (straight-line
        estimate: every output that uses it must say so).
    communes
        The territory's communes: population, age bands, secondary residences,
        ``population_saison`` (peak-season estimate), zonings, point geometry.
    nearest
        ``origin_id, type, service_id, minutes`` (+ ``saison``: ``"ete"``/``"hiver"``).
    family_times
        ``origin_id, family, service_id, minutes, saison``.
    access
        Access per zone and family: ``niveau`` (``territoire``, ``epci``...), ``zone``,
        ``family``, ``saison``, population and thresholds (see
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
        (built-in national sources, straight-line estimate, residents): ``niveau, zone,
        family, methode`` and the access columns. Empty outside metropolitan France.
    """

    territory: Territory
    method: str
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
    thresholds_minutes: tuple[float, ...] = DEFAULT_THRESHOLDS_MINUTES
    bassin_agreement: float = float("nan")
    notes: list[str] = field(default_factory=list)
    #: Grid-level run: the origins (200 m cells) behind ``access``; ``None`` at commune level.
    cells: gpd.GeoDataFrame | None = None


def territory_origins(territory: Territory) -> gpd.GeoDataFrame:
    """The territory's communes as origins, with IRIS age bands and seasonal population.

    Each commune's origin is its chef-lieu, the town hall's location (INSEE's method),
    or its polygon's point where the town hall is not located (``origin_position``).

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> o = territory_origins(pays_de_maurienne(buffer_km=0))
    >>> int(o["population"].sum()), bool((o["population_saison"] >= o["population"]).all())
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
    origins["population_saison"] = seasonal_population(
        origins.assign(population=population).fillna({"secondary_residences": 0})
    )
    return origins


def run_diagnostic(
    territory: Territory,
    services: gpd.GeoDataFrame,
    *,
    graph: RoadGraph | None = None,
    winter_graph: RoadGraph | None = None,
    typology: Typology | None = None,
    thresholds_minutes: tuple[float, ...] = DEFAULT_THRESHOLDS_MINUTES,
    hours_within_minutes: float = 20.0,
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
    graph
        Road graph; ``None`` uses the straight-line estimate (said in ``notes``).
    winter_graph
        The road graph with winter closures, for the seasonal comparison.
    typology
        Families of types (the shipped typology by default).
    thresholds_minutes
        Thresholds of the population beyond.
    hours_within_minutes
        Time budget of the opening-hours indicators.
    origins
        Population grid cells (:func:`maillage.sources.filosofi.read_filosofi`): the
        population beyond thresholds (``access``) is computed per cell, calibrated on each
        commune's population (:func:`grid_origins`); the commune-level tables aggregate
        the cells (population-weighted). ``None``: commune points.

    Returns
    -------
    Diagnostic
    """
    typology = load_typology() if typology is None else typology
    communes = territory_origins(territory)
    cells = None if origins is None else grid_origins(territory, origins, communes=communes)
    origins = communes if cells is None else cells
    method = ROAD if graph is not None else STRAIGHT_LINE
    notes = method_notes(graph, winter_graph)
    nearest, matrix, snap_notes = season_times(
        origins,
        services,
        graph=graph,
        winter_graph=winter_graph,
        hours_within_minutes=hours_within_minutes,
    )
    notes += snap_notes
    return assemble_diagnostic(
        territory,
        services,
        origins,
        nearest,
        matrix,
        method=method,
        typology=typology,
        thresholds_minutes=thresholds_minutes,
        hours_within_minutes=hours_within_minutes,
        notes=notes,
        communes=None if cells is None else communes,
    )


def method_notes(graph: RoadGraph | None, winter_graph: RoadGraph | None) -> list[str]:
    """The notes that say how the times were computed (straight line, winter).

    Examples
    --------
    >>> method_notes(None, None)[1][:32]
    "Temps estimés à vol d'oiseau (di"
    """
    notes: list[str] = [
        "Origine de chaque commune : son chef-lieu (la mairie), ou le point de la commune "
        "quand la mairie n'est pas localisée ; services comptés par commune placés au "
        "même chef-lieu."
    ]
    if graph is None:
        notes.append(
            "Temps estimés à vol d'oiseau (distance × coefficient de détour, à vitesse "
            "moyenne) faute de réseau routier : indiquez un extrait OpenStreetMap avec "
            "--reseau pour des temps par la route."
        )
    # Two seasons side by side: summer (residents, summer roads) and winter (peak
    # population of the ski season, roads with the winter closures when given).
    notes.append(
        "Hiver : population de pointe (résidents + résidences secondaires × "
        f"{BEDS_PER_SECONDARY_RESIDENCE:g} lits)"
        + ("" if winter_graph is not None else " ; routes de l'été (aucune fermeture appliquée)")
        + "."
    )
    return notes


def season_times(
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    graph: RoadGraph | None,
    winter_graph: RoadGraph | None,
    hours_within_minutes: float,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Nearest service of every type in summer and winter, and the pairs within reach.

    A service open in one season only (``seasonal``) counts in that season alone; the
    winter uses ``winter_graph`` (winter closures) when given.

    Returns
    -------
    nearest, matrix, notes
        ``origin_id, type, service_id, minutes, saison``; ``origin_id, service_id,
        minutes`` within ``hours_within_minutes`` (summer); the points too far from the
        roads or without coordinates, said once each.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SnapWarning)
        season = (
            services["seasonal"]
            if "seasonal" in services
            else pd.Series(pd.NA, index=services.index)
        )
        summer_services = services[(season != "hiver").fillna(True).astype(bool)]
        winter_services = services[(season != "ete").fillna(True).astype(bool)]
        summer_nearest = _nearest(graph, origins, summer_services)
        winter_nearest = (
            _nearest(winter_graph if winter_graph is not None else graph, origins, winter_services)
            if winter_graph is not None or len(winter_services) < len(services)
            else summer_nearest
        )
        matrix = _matrix(graph, origins, services, hours_within_minutes)
    # Points too far from the roads are reported once in the notes, not lost silently.
    notes = list(dict.fromkeys(str(w.message) for w in caught if w.category is SnapWarning))
    nearest = pd.concat(
        [summer_nearest.assign(saison="ete"), winter_nearest.assign(saison="hiver")],
        ignore_index=True,
    )
    return nearest, matrix, notes


def assemble_diagnostic(
    territory: Territory,
    services: gpd.GeoDataFrame,
    origins: gpd.GeoDataFrame,
    nearest: pd.DataFrame,
    matrix: pd.DataFrame,
    *,
    method: str,
    typology: Typology,
    thresholds_minutes: tuple[float, ...],
    hours_within_minutes: float,
    notes: list[str],
    communes: gpd.GeoDataFrame | None = None,
    comparison: bool = True,
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
        ``origin_id, type, service_id, minutes, saison`` (both seasons).
    matrix
        ``origin_id, service_id, minutes`` within ``hours_within_minutes``.
    method
        ``"réseau routier"`` or ``"vol d'oiseau"``.
    typology, thresholds_minutes, hours_within_minutes
        As in :func:`run_diagnostic`.
    notes
        The notes so far (completed here).
    communes
        With grid-cell origins: the communes the commune-level tables aggregate to.
    comparison
        Compute the comparison with the départements and France; ``False`` leaves it empty.
    """
    cells = None if communes is None else origins
    family_times = pd.concat(
        [
            nearest_by_family(part, typology).assign(saison=season)
            for season, part in nearest.groupby("saison", sort=False)
        ],
        ignore_index=True,
    )
    population = pd.DataFrame(origins.drop(columns="geometry"))
    unknown = population.loc[population["population"].isna(), "origin_id"].astype(str)
    if len(unknown):
        notes.append(
            f"{len(unknown)} origine(s) sans population connue ("
            + ", ".join(sorted(unknown)[:10])
            + (", …" if len(unknown) > 10 else "")
            + ") : comptée(s) pour 0 habitant dans les moyennes, médianes et parts ; "
            "leurs temps figurent dans les tables."
        )
    access = _access_by_zone(family_times, population, thresholds_minutes)
    if cells is not None:
        # Commune-level tables from the cells, population-weighted.
        nearest = _per_commune(nearest, population, ["type", "saison"])
        family_times = _per_commune(family_times, population, ["family", "saison"])
        matrix = _per_commune(matrix, population, ["service_id"], complete=False)
        origins = communes
        population = pd.DataFrame(origins.drop(columns="geometry"))
        notes.append(_grid_note(cells))
    compared = (
        _comparison(territory, typology, tuple(thresholds_minutes))
        if comparison
        else pd.DataFrame()
    )
    with_zone = services.merge(territory.communes[["commune", "epci"]], on="commune", how="inner")
    density = services_per_10000(with_zone.dropna(subset=["family"]), population, by="epci")
    hours = hours_access(matrix, services, within_minutes=hours_within_minutes)
    summer = family_times[family_times["saison"] == "ete"]
    summer_by_type = nearest[nearest["saison"] == "ete"]
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
                "Bassins de services délimités sans la gamme intermédiaire de l'INSEE (pas de "
                "BPE) : sur les équipements disponibles ("
                + ", ".join(sorted(summer_types["type"].unique()))
                + ")."
            )
    bassins = (
        delineate_bassins(summer_types, services)
        if len(summer_types)
        else pd.DataFrame(columns=["origin_id", "bassin", "types_at_pole", "types"])
    )
    agreement = float("nan")
    if len(bassins):
        zones = population.set_index("origin_id")
        ours = bassins.set_index("origin_id")["bassin"]
        agreement = agreement_rate(
            ours, zones.loc[ours.index, "bassin_vie"], weights=zones.loc[ours.index, "population"]
        )
    else:
        notes.append(
            "Bassins de services non délimités : aucun équipement hors mairies "
            "(ajoutez la BPE avec --sources)."
        )
    enjeux = enjeux_scores(summer[["origin_id", "family", "minutes"]], population)
    enjeux_epci = enjeux_by_zone(enjeux, population, by="epci")
    supply_demand = _e2sfca_by_family(matrix, services, population)
    return Diagnostic(
        territory=territory,
        method=method,
        communes=origins,
        nearest=nearest,
        family_times=family_times,
        access=access,
        density=density,
        hours=hours,
        catchments=poles,
        bassins=bassins,
        enjeux=enjeux,
        enjeux_epci=enjeux_epci,
        e2sfca=supply_demand,
        comparison=compared,
        thresholds_minutes=tuple(thresholds_minutes),
        bassin_agreement=agreement,
        notes=notes,
        cells=cells,
    )


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
        "population_saison",
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


def _grid_note(cells: gpd.GeoDataFrame) -> str:
    in_grid = cells["population_filosofi"].notna()
    return (
        f"Diagnostic au carreau de 200 m (Filosofi) : {int(in_grid.sum())} carreaux habités, "
        f"{cells.loc[in_grid, 'commune'].nunique()} communes "
        f"({int((~in_grid).sum())} sans carreau, prises à leur point) ; population des "
        "carreaux recalée sur la population municipale de chaque commune ; temps par "
        "commune = moyenne des carreaux pondérée par la population."
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
    graph: RoadGraph | None, origins: gpd.GeoDataFrame, services: gpd.GeoDataFrame
) -> pd.DataFrame:
    located = services.dropna(subset=["type"])
    if graph is None:
        table = nearest_services_straight_line(origins, located)
    else:
        table = nearest_services(graph, origins, located)
    return table[["origin_id", "type", "service_id", "minutes"]]


def _matrix(
    graph: RoadGraph | None,
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    cutoff_minutes: float,
) -> pd.DataFrame:
    if graph is None:
        table = travel_time_matrix_straight_line(origins, services, cutoff_minutes=cutoff_minutes)
    else:
        table = travel_time_matrix(graph, origins, services, cutoff_minutes=cutoff_minutes)
    return table[["origin_id", "service_id", "minutes"]]


def _access_by_zone(
    family_times: pd.DataFrame, population: pd.DataFrame, thresholds: tuple[float, ...]
) -> pd.DataFrame:
    tables = []
    for season, part in family_times.groupby("saison", sort=False):
        if season == "hiver":
            population = population.assign(population=population["population_saison"])
        whole = access_summary(part, population, thresholds_minutes=thresholds)
        tables.append(whole.assign(niveau="territoire", zone="territoire", saison=season))
        for level in ZONE_LEVELS:
            table = access_summary(part, population, by=[level], thresholds_minutes=thresholds)
            tables.append(table.rename(columns={level: "zone"}).assign(niveau=level, saison=season))
    access = pd.concat(tables, ignore_index=True)
    first = ["niveau", "zone", "family", "saison"]
    return access[first + [c for c in access.columns if c not in first]]


def _e2sfca_by_family(
    matrix: pd.DataFrame, services: gpd.GeoDataFrame, population: pd.DataFrame
) -> pd.DataFrame:
    """E2SFCA per family; capacity = weekly opening hours where every service has them,
    else the source's capacity where every service has one, else 1 per site."""
    tables = []
    for family, members in services.dropna(subset=["family"]).groupby("family"):
        band = DEMAND_BAND.get(str(family), "population")
        if members["hours_per_week"].notna().all():
            capacity, unit = members["hours_per_week"], "heures d'ouverture par semaine"
        elif members["capacity"].notna().all():
            capacity, unit = members["capacity"], "capacité de la source"
        else:
            capacity, unit = pd.Series(1.0, index=members.index), "sites"
        supply = pd.DataFrame({"service_id": members["service_id"], "capacity": capacity})
        pairs = matrix[matrix["service_id"].isin(supply["service_id"])]
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
    origins = metro.rename(columns={"commune": "origin_id"})
    times = nearest_services_straight_line(origins, services, type_column="type")
    family_times = nearest_by_family(times, typology)
    population = pd.DataFrame(origins[["origin_id", "departement", "population"]]).fillna(
        {"population": 0}
    )
    population["population"] = population["population"].astype(float)
    population["france"] = "France métropolitaine"
    population["territoire"] = population["origin_id"].isin(territory.codes)
    departements = set(territory.communes["departement"])
    tables = [
        access_summary(family_times, population, by=["france"], thresholds_minutes=thresholds)
        .rename(columns={"france": "zone"})
        .assign(niveau="france"),
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
        .assign(niveau="departement")
    )
    own = family_times[family_times["origin_id"].isin(territory.codes)]
    tables.append(
        access_summary(
            own, population[population["territoire"]], thresholds_minutes=thresholds
        ).assign(niveau="territoire", zone=territory.name)
    )
    table = pd.concat(tables, ignore_index=True).assign(methode=STRAIGHT_LINE)
    first = ["niveau", "zone", "family", "methode"]
    return table[first + [c for c in table.columns if c not in first]]
