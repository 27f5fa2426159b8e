"""Itinerant services: a list of stops, each served some hours of the week.

A France Services bus, an itinerant doctor or a mobile library is not a point but a
tour: it stands at each stop on given days. Two ways in:

* a TOML file (French keys)::

      [[itinerant]]
      nom = "France services itinérante de Haute Maurienne"
      type = "france-services"          # code BPE, « france-services », « mairie »…

      [[itinerant.arrets]]
      commune = "73290"                 # à la mairie, sauf lon/lat
      horaires = "Tu 09:00-12:00"       # syntaxe OpenStreetMap

      [[itinerant.arrets]]
      commune = "73040"
      heures_par_semaine = 2            # quand les horaires ne sont pas connus

* ANCT's France Services list, whose ``format_fs`` ``Bus_équivalent`` or ``Itinérante``
  sites are mobile (:data:`~maillage.sources.france_services.MOBILE_FORMATS`): each is
  read as an itinerant service whose stop is its published point and hours.

Access then counts the stops on the days they are served: for every origin, the hours
per week of the stops reachable within a threshold (20 min by default).
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from maillage._errors import InputFileError, MaillageError
from maillage.network.model import TravelTimeModel
from maillage.services.opening_hours import OpeningHoursError, WeeklyHours
from maillage.services.schema import SERVICE_CRS
from maillage.services.typology import Typology
from maillage.sources.france_services import MOBILE_FORMATS

__all__ = [
    "STOP_COLUMNS",
    "itinerant_access",
    "itinerant_from_france_services",
    "read_itinerant",
]

#: Columns of a table of itinerant stops.
STOP_COLUMNS = [
    "service_id",
    "itinerant_id",
    "name",
    "type",
    "commune",
    "opening_hours",
    "hours_per_week",
    "geometry",
]


def _line(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def read_itinerant(
    path: str | PathLike[str],
    *,
    services: gpd.GeoDataFrame | None = None,
    typology: Typology | None = None,
) -> gpd.GeoDataFrame:
    """Read itinerant services from a TOML file (see the module for the format).

    Parameters
    ----------
    path
        The TOML file.
    services
        Services with town halls (type ``mairie``), where a stop given by its commune
        stands; the shipped Annuaire de l'administration otherwise.
    typology
        Resolves each service's ``type`` (a BPE code, ``france-services``, ``mairie`` or a
        label) to its BPE code; the shipped typology by default.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per stop: :data:`STOP_COLUMNS` (``type`` as a BPE code), EPSG:4326.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = '''
    ... [[itinerant]]
    ... nom = "Bus"
    ... type = "A128"
    ... [[itinerant.arrets]]
    ... commune = "73290"
    ... horaires = "Tu 09:00-12:00"
    ... [[itinerant.arrets]]
    ... lon = 7.0
    ... lat = 45.3
    ... heures_par_semaine = 2
    ... '''
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "bus.toml"
    >>> _ = path.write_text(text, encoding="utf-8")
    >>> stops = read_itinerant(path)
    >>> stops["service_id"].tolist(), stops["hours_per_week"].tolist()
    (['itin:1:1', 'itin:1:2'], [3.0, 2.0])
    """
    from maillage._config import read_toml
    from maillage.planning._sites import resolve_service_type, town_halls
    from maillage.services.catalogue import builtin_services
    from maillage.services.typology import load_typology

    typology = load_typology() if typology is None else typology

    path = Path(path)
    text, data = read_toml(path, what="services itinérants")
    tours = data.get("itinerant")
    if not isinstance(tours, list) or not tours:
        raise InputFileError(
            "aucun service itinérant ([[itinerant]])",
            path=path,
            fix="décrivez chaque service par [[itinerant]] et ses arrêts par [[itinerant.arrets]]",
        )
    halls = builtin_services("mairies") if services is None else services
    rows: list[dict[str, Any]] = []
    for number, tour in enumerate(tours, start=1):
        where = f"service itinérant n° {number}"
        if "type" not in tour:
            raise InputFileError(
                f"{where} : « type » manquant",
                path=path,
                line=_line(text, "[[itinerant]]"),
                fix='type = "france-services" (ou un code BPE)',
            )
        try:  # « france-services », a label or a code: the BPE code
            tour = {**tour, "type": resolve_service_type(str(tour["type"]), typology)}
        except MaillageError as err:
            raise InputFileError(
                f"{where} : {err}", path=path, line=_line(text, str(tour["type"]))
            ) from None
        stops = tour.get("arrets")
        if not isinstance(stops, list) or not stops:
            raise InputFileError(
                f"{where} : aucun arrêt",
                path=path,
                line=_line(text, str(tour.get("nom", "[[itinerant]]"))),
                fix="ajoutez ses arrêts par [[itinerant.arrets]] (commune, horaires)",
            )
        for rank, stop in enumerate(stops, start=1):
            rows.append(_stop(stop, tour, number, rank, text, path, halls, town_halls))
    frame = pd.DataFrame(rows)
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=SERVICE_CRS,
    )[STOP_COLUMNS]


def _stop(
    stop: dict[str, Any],
    tour: dict[str, Any],
    number: int,
    rank: int,
    text: str,
    path: Path,
    halls: gpd.GeoDataFrame,
    town_halls: Any,
) -> dict[str, Any]:
    where = f"service itinérant n° {number}, arrêt n° {rank}"
    commune = stop.get("commune")
    lon, lat = stop.get("lon"), stop.get("lat")
    if commune is None and (lon is None or lat is None):
        raise InputFileError(
            f"{where} : ni commune ni lon/lat",
            path=path,
            line=_line(text, "[[itinerant.arrets]]"),
            fix='commune = "73290" (à sa mairie) ou lon et lat en degrés WGS84',
        )
    if lon is None or lat is None:
        try:
            hall = town_halls(halls, [str(commune)]).iloc[0]
        except MaillageError as err:
            raise InputFileError(
                f"{where} : {err}", path=path, line=_line(text, f'"{commune}"')
            ) from None
        lon, lat = float(hall["lon"]), float(hall["lat"])
    hours_text = stop.get("horaires")
    per_week = stop.get("heures_par_semaine")
    if hours_text is not None:
        try:
            hours = WeeklyHours.from_osm(str(hours_text))
        except OpeningHoursError as err:
            raise InputFileError(
                f"{where} : horaires « {hours_text} » illisibles ({err})",
                path=path,
                line=_line(text, str(hours_text)),
                fix='syntaxe OpenStreetMap, ex. horaires = "Tu 09:00-12:00"',
            ) from None
        per_week = hours.hours_per_week()
    elif not isinstance(per_week, int | float):
        raise InputFileError(
            f"{where} : ni horaires ni heures_par_semaine",
            path=path,
            line=_line(text, "[[itinerant.arrets]]"),
            fix='horaires = "Tu 09:00-12:00" ou heures_par_semaine = 3',
        )
    return {
        "service_id": f"itin:{number}:{rank}",
        "itinerant_id": f"itin:{number}",
        "name": str(tour.get("nom", f"Service itinérant {number}")),
        "type": str(tour["type"]),
        "commune": None if commune is None else str(commune),
        "opening_hours": None if hours_text is None else str(hours_text),
        "hours_per_week": float(per_week),
        "lon": float(lon),
        "lat": float(lat),
    }


def itinerant_from_france_services(services: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The mobile France Services (bus, itinerant staff) of a service table, as stops.

    Examples
    --------
    >>> from maillage.services.catalogue import builtin_services
    >>> stops = itinerant_from_france_services(builtin_services("france_services"))
    >>> len(stops) > 100, bool((stops["hours_per_week"] > 0).mean() > 0.5)
    (True, True)
    """
    form = services["source_type"].astype("string").str.split("/").str[-1]
    mobile = services[form.isin(MOBILE_FORMATS).fillna(False).to_numpy()].copy()
    mobile["itinerant_id"] = mobile["service_id"]
    return gpd.GeoDataFrame(mobile, geometry="geometry", crs=services.crs)[STOP_COLUMNS]


def itinerant_access(
    origins: gpd.GeoDataFrame,
    stops: gpd.GeoDataFrame,
    model: TravelTimeModel,
    *,
    threshold_minutes: float = 20.0,
    origin_id: str = "origin_id",
) -> pd.DataFrame:
    """Hours per week of itinerant service reachable within ``threshold_minutes``.

    Returns
    -------
    pandas.DataFrame
        ``<origin_id>, type, hours_per_week, stops`` (stops within reach), one row
        per origin and type of itinerant service (0 hours when none is in reach).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> from maillage.network.model import StraightLineModel
    >>> stops = gpd.GeoDataFrame({"service_id": ["a", "b"], "type": ["A128", "A128"],
    ...     "hours_per_week": [3.0, 4.0]}, geometry=[Point(6.35, 45.27), Point(6.9, 45.3)],
    ...     crs=4326)
    >>> homes = gpd.GeoDataFrame({"origin_id": ["o"]}, geometry=[Point(6.36, 45.27)], crs=4326)
    >>> itinerant_access(homes, stops, StraightLineModel()).to_dict("records")
    [{'origin_id': 'o', 'type': 'A128', 'hours_per_week': 3.0, 'stops': 1}]
    """
    reach = model.matrix(origins, stops, cutoff_minutes=threshold_minutes, origin_id=origin_id)
    info = stops.set_index("service_id")[["type", "hours_per_week"]]
    reach = reach.join(info, on="service_id")
    totals = reach.groupby([origin_id, "type"], as_index=False).agg(
        hours_per_week=("hours_per_week", "sum"), stops=("service_id", "nunique")
    )
    grid = pd.MultiIndex.from_product(
        [origins[origin_id].to_numpy(), sorted(stops["type"].unique())], names=[origin_id, "type"]
    ).to_frame(index=False)
    table = grid.merge(totals, on=[origin_id, "type"], how="left")
    table["hours_per_week"] = table["hours_per_week"].fillna(0.0).astype(float)
    table["stops"] = table["stops"].fillna(0).astype(np.int64)
    return table
