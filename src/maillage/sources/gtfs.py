"""Public-transport timetables from a GTFS feed, as published, for one day.

A GTFS feed (``.zip``: ``stops.txt``, ``routes.txt``, ``trips.txt``, ``stop_times.txt`` and
``calendar.txt`` and/or ``calendar_dates.txt``) is read with `gtfs-kit
<https://github.com/mrcagney/gtfs_kit>`_ and reduced to what a journey planner needs on
one day:

* the trips running that day, from ``calendar`` (weekdays between start and end dates)
  corrected by ``calendar_dates`` (exception 1 adds the day, 2 removes it);
* ``frequencies.txt`` when present: a trip served every ``headway_secs`` is expanded into
  one trip per departure between ``start_time`` and ``end_time``;
* stop points grouped into their station (``parent_station``): a station is where a
  change is made, with :data:`DEFAULT_CHANGE_MINUTES` to change vehicles;
* ``transfers.txt`` (``min_transfer_time``): the change time inside a station when
  ``from_stop_id`` and ``to_stop_id`` belong to the same station, else a walking link
  between two stations; ``transfer_type`` 3 (no transfer possible) inside a station
  forbids changing there.

Trips that start the day before and run past midnight (times beyond 24:00 of the
previous service day) are not counted: the morning windows maillage studies are not
concerned. Times are seconds after midnight of the chosen day.

Source of the shipped feed: ``data/transport/sncf-ter-gtfs-2025-01-22.zip`` (SNCF TER,
national, valid 2025-01-22 → 2025-04-22, ODbL).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from maillage._data import data_path
from maillage._errors import InputFileError, MaillageError

__all__ = [
    "DEFAULT_CHANGE_MINUTES",
    "REQUIRED_FILES",
    "GtfsError",
    "TransitFeed",
    "default_feed_path",
    "feed_dates",
    "read_gtfs",
]

#: Files every GTFS feed has (plus ``calendar.txt`` or ``calendar_dates.txt``).
REQUIRED_FILES = ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")

#: Minutes to change vehicles inside a station when ``transfers.txt`` says nothing
#: (SNCF's own journey planner uses 3 to 10 minutes depending on the station).
DEFAULT_CHANGE_MINUTES = 3.0

_ROUTE_TYPES = {0: "tram", 1: "métro", 2: "train", 3: "car", 4: "bateau", 5: "funiculaire"}


class GtfsError(InputFileError):
    """A GTFS feed cannot be used: not a GTFS, wrong day, or no stop in the territory."""


def default_feed_path() -> Path:
    """The shipped SNCF TER feed (national, 2025-01-22 → 2025-04-22).

    Examples
    --------
    >>> default_feed_path().name
    'sncf-ter-gtfs-2025-01-22.zip'
    """
    return data_path("transport", "sncf-ter-gtfs-2025-01-22.zip")


@dataclass(frozen=True)
class TransitFeed:
    """The timetable of one day of a GTFS feed, at station level.

    Attributes
    ----------
    path
        The feed file.
    day
        The day the timetable is for.
    first_day, last_day
        The feed's validity (first and last day with a service).
    stations
        One row per station (a ``parent_station``, or a stop without parent):
        ``station_id, name, n_stop_points, modes`` (``"train, car"``), point geometry
        (EPSG:4326).
    stop_points
        ``stop_id, station_id`` for every stop point of the feed.
    stop_times
        One row per call of a trip running that day: ``trip_id, route_id, mode, sequence,
        station (row in stations), arrival_s, departure_s, pickup, drop_off`` (seconds
        after midnight; ``pickup``/``drop_off``: whether boarding/alighting is allowed).
    change_s
        Seconds to change vehicles in each station (aligned with ``stations``).
    footpaths
        ``from_station, to_station, seconds``: walking links from ``transfers.txt``.
    """

    path: Path
    day: dt.date
    first_day: dt.date
    last_day: dt.date
    stations: gpd.GeoDataFrame
    stop_points: pd.DataFrame
    stop_times: pd.DataFrame
    change_s: np.ndarray
    footpaths: pd.DataFrame

    @property
    def n_trips(self) -> int:
        """Number of trips running on :attr:`day`."""
        return int(self.stop_times["trip_id"].nunique())


def _check_zip(path: Path) -> list[str]:
    if not path.exists():
        raise GtfsError(
            "fichier introuvable", path=path, fix="indiquez le chemin du fichier GTFS (.zip)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = [Path(name).name for name in archive.namelist() if not name.endswith("/")]
    except zipfile.BadZipFile:
        raise GtfsError(
            "ce n'est pas une archive zip, donc pas un flux GTFS",
            path=path,
            fix="téléchargez le flux GTFS publié (fichier .zip contenant stops.txt, "
            "stop_times.txt, trips.txt…)",
        ) from None
    missing = [name for name in REQUIRED_FILES if name not in names]
    if "calendar.txt" not in names and "calendar_dates.txt" not in names:
        missing.append("calendar.txt ou calendar_dates.txt")
    if missing:
        raise GtfsError(
            f"ce n'est pas un flux GTFS : fichier(s) absent(s) de l'archive : {', '.join(missing)}",
            path=path,
            fix="téléchargez le flux GTFS complet publié par l'exploitant ou sur "
            "transport.data.gouv.fr",
        )
    return names


def _read(path: Path) -> object:
    import gtfs_kit as gk

    try:
        feed = gk.read_feed(path, dist_units="km")
    except (ValueError, KeyError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise GtfsError(
            f"flux GTFS illisible ({err})",
            path=path,
            fix="vérifiez que les fichiers .txt sont des CSV UTF-8 séparés par des virgules",
        ) from None
    _check_columns(feed, path)
    return feed


#: Columns of each GTFS table that maillage reads (required by the GTFS reference).
GTFS_COLUMNS = {
    "stops": ("stop_id", "stop_name", "stop_lat", "stop_lon"),
    "stop_times": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
    "trips": ("route_id", "service_id", "trip_id"),
    "routes": ("route_id", "route_type"),
}


def _check_columns(feed: object, path: Path) -> None:
    """Refuse a feed whose tables miss a column maillage reads, with the closest name."""
    from maillage.sources._csv import suggest_column

    problems = []
    for table, required in GTFS_COLUMNS.items():
        frame = getattr(feed, table, None)
        if frame is None:
            continue
        columns = [str(c) for c in frame.columns]
        for column in required:
            if column in columns:
                continue
            close = suggest_column(column, [c for c in columns if c not in required])
            hint = f" (« {close} » mal orthographiée ?)" if close else ""
            problems.append(f"{table}.txt : colonne « {column} » absente{hint}")
    if problems:
        raise GtfsError(
            "flux GTFS incomplet : " + " ; ".join(problems),
            path=path,
            fix="renommez la colonne comme la référence GTFS l'écrit (gtfs.org), ou "
            "téléchargez le flux publié par l'exploitant",
        )


def feed_dates(path: str | PathLike[str] | None = None) -> list[dt.date]:
    """Every day with at least one service in the feed, sorted.

    Examples
    --------
    >>> days = feed_dates()
    >>> days[0], days[-1]
    (datetime.date(2025, 1, 22), datetime.date(2025, 4, 22))
    """
    path = default_feed_path() if path is None else Path(path)
    _check_zip(path)
    feed = _read(path)
    return [dt.datetime.strptime(day, "%Y%m%d").date() for day in feed.get_dates()]  # type: ignore[attr-defined]


def _seconds(times: pd.Series, path: Path, column: str) -> np.ndarray:
    """``HH:MM:SS`` (hours may exceed 24) to seconds; few distinct values, parsed once each."""
    codes, uniques = pd.factorize(times.astype("string").str.strip(), use_na_sentinel=True)
    values = np.empty(len(uniques) + 1, dtype=np.float64)
    values[-1] = np.nan
    for number, text in enumerate(uniques):
        parts = str(text).split(":")
        try:
            hours, minutes, seconds = (int(part) for part in parts)
        except ValueError:
            raise GtfsError(
                f"heure « {text} » illisible",
                path=path,
                column=column,
                fix="écrivez les heures HH:MM:SS (au-delà de 24:00:00 après minuit)",
            ) from None
        values[number] = hours * 3600 + minutes * 60 + seconds
    return np.asarray(values[codes])


def _default_day(days: list[dt.date]) -> dt.date:
    """The first Tuesday with a service (a plain weekday), else the first day."""
    return next((day for day in days if day.weekday() == 1), days[0])


def read_gtfs(
    path: str | PathLike[str] | None = None,
    *,
    day: dt.date | str | None = None,
    bounds: tuple[float, float, float, float] | None = None,
) -> TransitFeed:
    """Read a GTFS feed as published and keep the timetable of one day.

    Parameters
    ----------
    path
        The GTFS ``.zip``; ``None`` for the shipped SNCF TER feed.
    day
        The day (``datetime.date`` or ``"AAAA-MM-JJ"``); by default the first Tuesday of
        the feed's validity.
    bounds
        ``(lon_min, lat_min, lon_max, lat_max)``: keep only the trips that call at least
        once inside (whole trips are kept, outside calls included). A journey leaving the
        box on one trip, changing outside it to a trip that never enters it, then coming
        back is lost: take a box with a margin around the territory.

    Returns
    -------
    TransitFeed

    Raises
    ------
    GtfsError
        The file is not a GTFS feed, the day is outside its validity or has no service,
        or no stop lies inside ``bounds``.

    Examples
    --------
    >>> feed = read_gtfs(day="2025-02-04", bounds=(6.0, 45.1, 7.2, 45.6))
    >>> feed.day, feed.n_trips > 100
    (datetime.date(2025, 2, 4), True)
    >>> "Modane" in set(feed.stations["name"])
    True
    """
    path = default_feed_path() if path is None else Path(path)
    names = _check_zip(path)
    feed = _read(path)
    days = [dt.datetime.strptime(d, "%Y%m%d").date() for d in feed.get_dates()]  # type: ignore[attr-defined]
    if not days:
        raise GtfsError(
            "aucun jour de circulation dans calendar.txt ni calendar_dates.txt",
            path=path,
            fix="utilisez un flux GTFS dont le calendrier est renseigné",
        )
    if day is None:
        day = _default_day(days)
    elif isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day)
        except ValueError:
            raise MaillageError(
                f"Jour « {day} » illisible. Correction : écrivez-le AAAA-MM-JJ (ex. 2025-02-04)."
            ) from None
    if not days[0] <= day <= days[-1]:
        raise GtfsError(
            f"le {day:%d/%m/%Y} est hors de la période de validité du flux "
            f"(du {days[0]:%d/%m/%Y} au {days[-1]:%d/%m/%Y})",
            path=path,
            fix=f"choisissez un jour dans cette période (--jour {_default_day(days).isoformat()}) "
            "ou téléchargez un flux à jour",
        )
    trips = feed.get_trips(day.strftime("%Y%m%d"))  # type: ignore[attr-defined]
    if trips.empty:
        raise GtfsError(
            f"aucune circulation le {day:%d/%m/%Y} (jour sans service dans le calendrier)",
            path=path,
            fix="choisissez un autre jour de semaine",
        )
    stops = feed.stops  # type: ignore[attr-defined]
    stations, stop_points = _stations(stops)
    stop_times = feed.stop_times  # type: ignore[attr-defined]
    stop_times = stop_times[stop_times["trip_id"].isin(trips["trip_id"])]
    frequencies = getattr(feed, "frequencies", None)
    table = _timetable(stop_times, trips, feed.routes, stop_points, path)  # type: ignore[attr-defined]
    if frequencies is not None and not frequencies.empty and "frequencies.txt" in names:
        table = _expand_frequencies(table, frequencies, path)
    if bounds is not None:
        table, stations = _within(table, stations, bounds, path)
    table, stations = _used_stations(table, stations)
    change_s, footpaths = _transfers(getattr(feed, "transfers", None), stop_points, stations)
    return TransitFeed(
        path=path,
        day=day,
        first_day=days[0],
        last_day=days[-1],
        stations=stations,
        stop_points=stop_points,
        stop_times=table,
        change_s=change_s,
        footpaths=footpaths,
    )


def _stations(stops: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    stops = stops.copy()
    parent = stops.get("parent_station", pd.Series(pd.NA, index=stops.index)).astype("string")
    parent = parent.where(parent.str.len() > 0)
    known = set(stops["stop_id"])
    parent = parent.where(parent.isin(known))
    stops["station_id"] = parent.fillna(stops["stop_id"].astype("string"))
    location = stops.get("location_type", pd.Series(0, index=stops.index)).fillna(0)
    points = stops[location.astype(int).isin([0, 1])][["stop_id", "station_id"]]
    heads = stops[stops["stop_id"] == stops["station_id"]]
    stations = heads[["stop_id", "stop_name", "stop_lon", "stop_lat"]].rename(
        columns={"stop_id": "station_id", "stop_name": "name"}
    )
    return stations.reset_index(drop=True), points.reset_index(drop=True)


def _timetable(
    stop_times: pd.DataFrame,
    trips: pd.DataFrame,
    routes: pd.DataFrame,
    stop_points: pd.DataFrame,
    path: Path,
) -> pd.DataFrame:
    arrival = _seconds(
        stop_times["arrival_time"].fillna(stop_times["departure_time"]), path, "arrival_time"
    )
    departure = _seconds(
        stop_times["departure_time"].fillna(stop_times["arrival_time"]), path, "departure_time"
    )
    mode = routes.set_index("route_id")["route_type"].astype(int).map(_ROUTE_TYPES).fillna("autre")
    route_of = trips.set_index("trip_id")["route_id"]
    station_of = stop_points.set_index("stop_id")["station_id"]
    table = pd.DataFrame(
        {
            "trip_id": stop_times["trip_id"].astype("string").to_numpy(),
            "sequence": stop_times["stop_sequence"].astype(int).to_numpy(),
            "station_id": stop_times["stop_id"].map(station_of).astype("string").to_numpy(),
            "arrival_s": arrival,
            "departure_s": departure,
            "pickup": _allowed(stop_times, "pickup_type"),
            "drop_off": _allowed(stop_times, "drop_off_type"),
        }
    )
    table["route_id"] = table["trip_id"].map(route_of).astype("string")
    table["mode"] = table["route_id"].map(mode).astype("string")
    untimed = ~np.isfinite(table["arrival_s"]) | ~np.isfinite(table["departure_s"])
    if untimed.any():
        # Untimed intermediate calls (allowed by GTFS): interpolating would invent times;
        # the call is kept for neither boarding nor alighting.
        table = table[~untimed]
    unknown = table["station_id"].isna()
    if unknown.any():
        raise GtfsError(
            f"{int(unknown.sum())} passage(s) à un arrêt absent de stops.txt",
            path=path,
            column="stop_id",
            fix="corrigez stop_times.txt ou stops.txt pour que chaque stop_id existe",
        )
    return table.sort_values(["trip_id", "sequence"], kind="stable").reset_index(drop=True)


def _allowed(stop_times: pd.DataFrame, column: str) -> np.ndarray:
    """Boarding/alighting allowed unless the optional column says 1 (not available)."""
    if column not in stop_times.columns:
        return np.ones(len(stop_times), dtype=bool)
    return np.asarray(pd.to_numeric(stop_times[column], errors="coerce").fillna(0) != 1)


def _expand_frequencies(table: pd.DataFrame, frequencies: pd.DataFrame, path: Path) -> pd.DataFrame:
    start = _seconds(frequencies["start_time"], path, "start_time")
    end = _seconds(frequencies["end_time"], path, "end_time")
    headway = frequencies["headway_secs"].astype(float).to_numpy()
    frames = [table[~table["trip_id"].isin(frequencies["trip_id"])]]
    for trip_id, first, last, step in zip(frequencies["trip_id"], start, end, headway, strict=True):
        calls = table[table["trip_id"] == trip_id]
        if calls.empty or step <= 0:
            continue
        offset = calls["departure_s"].iloc[0]
        for number, depart in enumerate(np.arange(first, last, step)):
            copy = calls.copy()
            copy["trip_id"] = f"{trip_id}#{number}"
            copy["arrival_s"] += depart - offset
            copy["departure_s"] += depart - offset
            frames.append(copy)
    return pd.concat(frames, ignore_index=True)


def _within(
    table: pd.DataFrame,
    stations: pd.DataFrame,
    bounds: tuple[float, float, float, float],
    path: Path,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    west, south, east, north = bounds
    inside = stations["stop_lon"].between(west, east) & stations["stop_lat"].between(south, north)
    called = set(table["station_id"])
    if not (inside & stations["station_id"].isin(called)).any():
        raise GtfsError(
            "aucun arrêt desservi ce jour-là dans le territoire "
            f"(longitudes {west:.3f} à {east:.3f}, latitudes {south:.3f} à {north:.3f})",
            path=path,
            fix="vérifiez que le flux couvre le territoire (un flux régional ou national, "
            "par ex. celui de la région sur transport.data.gouv.fr)",
        )
    trips = table.loc[table["station_id"].isin(stations.loc[inside, "station_id"]), "trip_id"]
    return table[table["trip_id"].isin(set(trips))].reset_index(drop=True), stations


def _used_stations(
    table: pd.DataFrame, stations: pd.DataFrame
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    used = stations[stations["station_id"].isin(set(table["station_id"]))].copy()
    used = used.sort_values("station_id").reset_index(drop=True)
    pairs = table[["station_id", "mode"]].drop_duplicates().sort_values(["station_id", "mode"])
    modes = pairs.groupby("station_id")["mode"].agg(", ".join)
    used["modes"] = used["station_id"].map(modes)
    position = pd.Series(np.arange(len(used)), index=used["station_id"])
    table = table.assign(station=table["station_id"].map(position).astype(np.int64))
    frame = gpd.GeoDataFrame(
        used.drop(columns=["stop_lon", "stop_lat"]),
        geometry=gpd.points_from_xy(used["stop_lon"], used["stop_lat"]),
        crs=4326,
    )
    return table, frame


def _transfers(
    transfers: pd.DataFrame | None, stop_points: pd.DataFrame, stations: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame]:
    change_s = np.full(len(stations), DEFAULT_CHANGE_MINUTES * 60.0)
    empty = pd.DataFrame(
        {
            "from_station": np.array([], dtype=np.int64),
            "to_station": np.array([], dtype=np.int64),
            "seconds": np.array([], dtype=np.float64),
        }
    )
    if transfers is None or transfers.empty:
        return change_s, empty
    position = pd.Series(np.arange(len(stations)), index=stations["station_id"])
    station_of = stop_points.set_index("stop_id")["station_id"]
    frame = pd.DataFrame(
        {
            "from_station": transfers["from_stop_id"].map(station_of).map(position),
            "to_station": transfers["to_stop_id"].map(station_of).map(position),
            "type": transfers["transfer_type"].fillna(0).astype(int),
            "seconds": pd.to_numeric(transfers.get("min_transfer_time"), errors="coerce"),
        }
    ).dropna(subset=["from_station", "to_station"])
    frame = frame.astype({"from_station": np.int64, "to_station": np.int64})
    same = frame["from_station"] == frame["to_station"]
    timed = frame[frame["type"].isin([0, 1, 2]) & frame["seconds"].notna() & ~same]
    inside = frame[same & frame["seconds"].notna()].groupby("from_station")["seconds"].max()
    change_s[inside.index.to_numpy()] = inside.to_numpy(dtype=float)
    forbidden = frame.loc[same & (frame["type"] == 3), "from_station"].to_numpy()
    change_s[forbidden] = np.inf
    if timed.empty:
        return change_s, empty
    footpaths = timed.groupby(["from_station", "to_station"], as_index=False)["seconds"].min()
    return change_s, footpaths.astype({"seconds": np.float64})
