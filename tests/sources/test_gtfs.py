"""GTFS reading: the shipped SNCF TER feed as published, and the errors of bad feeds."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from maillage.network import _raptor
from maillage.network._timeexpanded import TimeExpandedGraph
from maillage.sources.gtfs import GtfsError, default_feed_path, read_gtfs

DAY = dt.date(2025, 2, 4)


def _raw(name: str) -> list[dict[str, str]]:
    """A table of the shipped feed read with the csv module alone (independent reference)."""
    with zipfile.ZipFile(default_feed_path()) as archive:
        text = archive.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_trips_of_a_day_follow_calendar_dates() -> None:
    # The feed has no calendar.txt: a service runs on the days listed with exception 1.
    running = {
        row["service_id"]
        for row in _raw("calendar_dates.txt")
        if row["date"] == DAY.strftime("%Y%m%d") and row["exception_type"] == "1"
    }
    expected = {row["trip_id"] for row in _raw("trips.txt") if row["service_id"] in running}
    feed = read_gtfs(day=DAY)
    assert feed.n_trips == len(expected) > 10_000
    assert set(feed.stop_times["trip_id"]) == expected
    assert (feed.first_day, feed.last_day) == (dt.date(2025, 1, 22), dt.date(2025, 4, 22))


def test_stop_points_are_grouped_into_their_parent_station() -> None:
    feed = read_gtfs(day=DAY, bounds=(6.0, 45.1, 7.2, 45.7))
    parents = {row["stop_id"]: row["parent_station"] for row in _raw("stops.txt")}
    calls = _raw("stop_times.txt")
    trip = feed.stop_times["trip_id"].iloc[0]
    raw_stops = [row["stop_id"] for row in calls if row["trip_id"] == trip]
    ours = feed.stop_times[feed.stop_times["trip_id"] == trip]["station_id"].tolist()
    assert ours == [parents[stop] or stop for stop in raw_stops]
    modane = feed.stations[feed.stations["name"] == "Modane"]
    assert len(modane) == 1
    assert modane["station_id"].iloc[0].startswith("StopArea:")


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "horaires.zip"
    path.write_text("stop_id,stop_name\n", encoding="utf-8")
    with pytest.raises(GtfsError, match=r"horaires\.zip : ce n'est pas une archive zip"):
        read_gtfs(path)


def test_zip_without_gtfs_files(tmp_path: Path) -> None:
    path = tmp_path / "autre.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("stops.txt", "stop_id,stop_name,stop_lat,stop_lon\n")
    with pytest.raises(GtfsError, match="ce n'est pas un flux GTFS") as error:
        read_gtfs(path)
    assert "stop_times.txt" in str(error.value)
    assert "calendar.txt ou calendar_dates.txt" in str(error.value)


def test_day_outside_validity() -> None:
    with pytest.raises(GtfsError, match=r"hors de la période de validité du flux") as error:
        read_gtfs(day="2025-06-10")
    message = str(error.value)
    assert "du 22/01/2025 au 22/04/2025" in message
    assert "--jour 2025-01-28" in message  # the first Tuesday, as a fix


def test_unreadable_day() -> None:
    with pytest.raises(Exception, match="AAAA-MM-JJ"):
        read_gtfs(day="04/02/2025")


def test_no_stop_in_the_territory() -> None:
    # A box in the Atlantic, off Brittany: no TER stop there.
    with pytest.raises(GtfsError, match="aucun arrêt desservi ce jour-là dans le territoire"):
        read_gtfs(day=DAY, bounds=(-8.0, 46.0, -7.0, 47.0))


# An invented feed (not real data) to show what the shipped one lacks: calendar.txt,
# frequencies.txt, transfers.txt (a change time and a walking link).
INVENTED = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nX,X,http://x,Europe/Paris\n",
    "stops.txt": (
        "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
        "PA,Gare A,45.0,6.0,1,\nA1,Gare A quai 1,45.0,6.0,0,PA\n"
        "B,B,45.1,6.0,0,\nC,C,45.2,6.0,0,\nD,D,45.201,6.0,0,\nE,E,45.3,6.0,0,\n"
    ),
    "routes.txt": "route_id,agency_id,route_short_name,route_type\nR1,X,1,3\nR2,X,2,3\nR3,X,3,2\n",
    "calendar.txt": (
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        "S,1,1,1,1,1,0,0,20250101,20251231\n"
    ),
    "trips.txt": "route_id,service_id,trip_id\nR1,S,t1\nR2,S,t2a\nR2,S,t2b\nR3,S,t3a\nR3,S,t3b\n",
    "stop_times.txt": (
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "t1,07:00:00,07:00:00,A1,1\nt1,07:15:00,07:15:00,B,2\n"
        "t2a,07:18:00,07:18:00,B,1\nt2a,07:33:00,07:33:00,C,2\n"
        "t2b,07:50:00,07:50:00,B,1\nt2b,08:05:00,08:05:00,C,2\n"
        "t3a,08:00:00,08:00:00,D,1\nt3a,08:20:00,08:20:00,E,2\n"
        "t3b,08:30:00,08:30:00,D,1\nt3b,08:50:00,08:50:00,E,2\n"
    ),
    "frequencies.txt": "trip_id,start_time,end_time,headway_secs\nt1,07:00:00,08:00:00,600\n",
    "transfers.txt": (
        "from_stop_id,to_stop_id,transfer_type,min_transfer_time\nB,B,2,300\nC,D,2,240\n"
    ),
}


def _invented(tmp_path: Path, *, without: tuple[str, ...] = ()) -> Path:
    path = tmp_path / "invente.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in INVENTED.items():
            if name not in without:
                archive.writestr(name, text)
    return path


def _at(feed, name: str) -> int:  # type: ignore[no-untyped-def]
    return int(feed.stations.index[feed.stations["name"] == name][0])


def test_calendar_frequencies_and_transfers(tmp_path: Path) -> None:
    feed = read_gtfs(_invented(tmp_path), day="2025-02-04")
    assert feed.n_trips == 6 + 4  # t1 every 10 min from 07:00 to 07:50, and four others
    assert set(feed.stations["name"]) == {"Gare A", "B", "C", "D", "E"}
    table = _raptor.build_timetable(feed)
    arrival = _raptor.earliest_arrival(table, _at(feed, "Gare A"), 7 * 3600)
    # B 07:15, 5 min to change: the 07:18 is missed, the 07:50 reaches C 08:05;
    # 4 min walk to D (08:09): the 08:00 is missed, the 08:30 reaches E 08:50.
    assert arrival[_at(feed, "C")] == 8 * 3600 + 5 * 60
    assert arrival[_at(feed, "D")] == 8 * 3600 + 9 * 60
    assert arrival[_at(feed, "E")] == 8 * 3600 + 50 * 60
    with pytest.raises(GtfsError, match="aucune circulation le 08/02/2025"):
        read_gtfs(_invented(tmp_path), day="2025-02-08")  # a Saturday


def test_default_change_time_without_transfers(tmp_path: Path) -> None:
    feed = read_gtfs(_invented(tmp_path, without=("transfers.txt",)), day="2025-02-04")
    table = _raptor.build_timetable(feed)
    arrival = _raptor.earliest_arrival(table, _at(feed, "Gare A"), 7 * 3600)
    assert arrival[_at(feed, "C")] == 7 * 3600 + 33 * 60  # 3 min suffice for the 07:18
    assert np.isinf(arrival[_at(feed, "D")])  # no walking link without transfers.txt


def test_raptor_equals_time_expanded_reference_on_invented_feed(tmp_path: Path) -> None:
    feed = read_gtfs(_invented(tmp_path), day="2025-02-04")
    table = _raptor.build_timetable(feed)
    reference = TimeExpandedGraph(feed)
    for station in range(len(feed.stations)):
        for depart in range(6 * 3600 + 50 * 60, 8 * 3600 + 40 * 60, 60):
            ours = _raptor.earliest_arrival(table, station, depart)
            assert np.array_equal(ours, reference.earliest_arrival(station, depart))


def test_a_misnamed_column_is_refused_in_french(tmp_path: Path) -> None:
    """stops.txt with « stop_lattitude » stopped the reader with pandas' KeyError (issue 18
    audit): the real SNCF feed with that one header renamed."""
    path = tmp_path / "ter.zip"
    with zipfile.ZipFile(default_feed_path()) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "stops.txt":
                data = data.replace(b"stop_lat", b"stop_lattitude", 1)
            target.writestr(name, data)
    with pytest.raises(GtfsError, match=r"stops\.txt : colonne « stop_lat » absente"):
        read_gtfs(path)
