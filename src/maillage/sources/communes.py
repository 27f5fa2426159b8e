"""The French commune reference: communes, polygons, EPCI, départements and INSEE zonings.

All tables come from the real public data shipped in ``maillage/data`` (see its README
for provenance, licence and vintage). Codes are kept as text (``"01001"``, ``"2A004"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import geopandas as gpd
import pandas as pd

from maillage._data import data_path

#: INSEE zoning columns of the *table d'appartenance géographique* and their names here.
ZONING_COLUMNS = {
    "BV2022": "bassin_vie",
    "CANOV": "canton",
    "ZE2020": "zone_emploi",
    "ARR": "arrondissement",
    "UU2020": "unite_urbaine",
    "AAV2020": "aire_attraction",
}
#: ``NIVGEO`` of each zoning in the labels table.
ZONING_LEVELS = {
    "bassin_vie": "BV2022",
    "canton": "CANOV",
    "zone_emploi": "ZE2020",
    "arrondissement": "ARR",
    "unite_urbaine": "UU2020",
    "aire_attraction": "AAV2020",
    "epci": "EPCI",
    "departement": "DEP",
}


@cache
def _communes() -> gpd.GeoDataFrame:
    table = pd.read_csv(
        data_path("communes", "communes-france.csv.gz"),
        dtype={"code": str, "departement": str, "epci": str},
    ).rename(columns={"code": "commune", "nom": "name", "population_municipale": "population"})
    zonings = pd.read_csv(
        data_path("zonings", "insee-appartenance-communes-2024.csv"),
        dtype=str,
        usecols=["CODGEO", "LIBGEO", *ZONING_COLUMNS],
    ).rename(columns={"CODGEO": "commune", **ZONING_COLUMNS})
    table = table.merge(zonings, on="commune", how="left", validate="one_to_one")
    # The COG's official label keeps the article ("La Chambre", not "Chambre").
    table["name"] = table.pop("LIBGEO").fillna(table["name"])
    table["population"] = table["population"].astype("Int64")  # NA for Mayotte
    # A few communes nouvelles have no point in the source: use their town hall's.
    town_halls = pd.read_csv(
        data_path("communes", "mairies-france.csv.gz"),
        dtype={"code": str},
        usecols=["code", "mairie_lon", "mairie_lat"],
    ).set_index("code")
    no_point = table["lon"].isna() | table["lat"].isna()
    table.loc[no_point, "lon"] = table.loc[no_point, "commune"].map(town_halls["mairie_lon"])
    table.loc[no_point, "lat"] = table.loc[no_point, "commune"].map(town_halls["mairie_lat"])
    return gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326"
    )


def read_communes() -> gpd.GeoDataFrame:
    """Every commune of France with its population, point and zonings.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per commune (34,875), EPSG:4326 points inside each commune:
        ``commune`` (INSEE code), ``name`` (official COG label, article included),
        ``departement``, ``epci`` (SIREN),
        ``population`` (population municipale), ``lon``, ``lat`` (a point inside the
        commune; its town hall for the few communes nouvelles the source gives none,
        NaN if neither is known), and the INSEE
        zonings ``bassin_vie`` (BV2022), ``canton``, ``zone_emploi``,
        ``arrondissement``, ``unite_urbaine``, ``aire_attraction`` (COG 2024; missing
        for the few communes whose code differs between the two vintages).

    Examples
    --------
    >>> c = read_communes()
    >>> c.set_index("commune").loc["73248", ["name", "epci", "bassin_vie"]].tolist()
    ['Saint-Jean-de-Maurienne', '200070464', '73248']
    """
    return _communes().copy()


@cache
def former_commune_codes() -> frozenset[str]:
    """Codes of communes of the COG 2024 that the current commune table no longer has.

    They were merged into *communes nouvelles* since (e.g. ``93059`` Pierrefitte-sur-Seine,
    merged into Saint-Denis on 1 January 2025); readers report them as merged rather than
    unknown.

    Examples
    --------
    >>> "93059" in former_commune_codes()
    True
    """
    zonings = pd.read_csv(
        data_path("zonings", "insee-appartenance-communes-2024.csv"),
        dtype=str,
        usecols=["CODGEO"],
    )
    return frozenset(set(zonings["CODGEO"]) - set(_communes()["commune"]))


@cache
def _polygons() -> gpd.GeoDataFrame:
    path = data_path("communes", "communes-73-and-neighbours.geojson.gz")
    frame = gpd.read_file(f"/vsigzip/{path}", columns=["code", "nom", "departement", "epci"])
    return frame.rename(columns={"code": "commune", "nom": "name"})


def read_commune_polygons() -> gpd.GeoDataFrame:
    """Commune polygons of Savoie and its neighbours (73, 74, 38, 05, 01), EPSG:4326.

    Examples
    --------
    >>> p = read_commune_polygons()
    >>> sorted(p["departement"].unique())
    ['01', '05', '38', '73', '74']
    """
    return _polygons().copy()


def polygons_of(codes: Sequence[str]) -> gpd.GeoSeries | None:
    """The shipped polygons of these communes, in their order, or ``None`` if any is missing.

    Polygons are shipped for Savoie and its neighbours only; elsewhere callers fall back
    to commune points.

    Examples
    --------
    >>> polygons_of(["73248", "73011"]).index.tolist()
    ['73248', '73011']
    >>> polygons_of(["75056"]) is None
    True
    """
    shapes = _polygons().set_index("commune")["geometry"]
    if not set(codes) <= set(shapes.index):
        return None
    return gpd.GeoSeries(shapes.loc[list(codes)], crs=_polygons().crs)


@cache
def _epci() -> pd.DataFrame:
    return pd.read_csv(data_path("communes", "epci-france.csv"), dtype=str).rename(
        columns={"code": "epci", "nom": "name"}
    )


def read_epci() -> pd.DataFrame:
    """Intercommunalités: ``epci`` (SIREN), ``name``, ``type`` (CC, CA, CU, ME).

    Examples
    --------
    >>> read_epci().set_index("epci").loc["200070340", "name"]
    'Communauté de communes Haute Maurienne Vanoise'
    """
    return _epci().copy()


@cache
def _departements() -> pd.DataFrame:
    return pd.read_csv(data_path("communes", "departements.csv"), dtype=str).rename(
        columns={"code": "departement", "nom": "name"}
    )


def read_departements() -> pd.DataFrame:
    """Départements: ``departement`` (code), ``name``, ``region`` (code).

    Examples
    --------
    >>> read_departements().set_index("departement").loc["73", "name"]
    'Savoie'
    """
    return _departements().copy()


@cache
def _zoning_labels() -> pd.DataFrame:
    return pd.read_csv(data_path("zonings", "insee-zones-supra-communales-2024.csv"), dtype=str)


def zoning_labels(zoning: str) -> pd.Series:
    """Labels of the zones of one zoning, indexed by zone code.

    Parameters
    ----------
    zoning
        One of ``bassin_vie``, ``canton``, ``zone_emploi``, ``arrondissement``,
        ``unite_urbaine``, ``aire_attraction``, ``epci``, ``departement``.

    Examples
    --------
    >>> zoning_labels("bassin_vie")["73248"]
    'Saint-Jean-de-Maurienne'
    """
    level = ZONING_LEVELS[zoning]
    table = _zoning_labels()
    rows = table[table["NIVGEO"] == level]
    return pd.Series(rows["LIBGEO"].to_numpy(), index=rows["CODGEO"].to_numpy(), name=zoning)
