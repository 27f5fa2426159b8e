"""Property tests (hypothesis, derandomized): random rows into every CSV reader.

Whatever the rows, a reader either refuses the whole file with maillage's own error, or
accounts for every row once: ``lues = acceptées + rejetées``. Cells are drawn from real
values (commune codes, coordinates and types of the Maurienne) mixed with the defects
seen in files from the field (French numbers, swapped or metre coordinates, unknown
codes, stray quotes, control characters, separators inside a cell).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage._errors import MaillageError
from maillage.services.schema import SourceResult
from maillage.sources.bpe import read_bpe
from maillage.sources.france_services import read_france_services
from maillage.sources.generic import read_generic
from maillage.sources.hospitals import read_hospitals
from maillage.sources.mairies import read_mairies

SETTINGS = settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
JUNK = ["", " ", "N/A", "abc", '"', ";", ",", "\x00", "é\u00a0", "1e400", "nan", "-", "12,3,4"]
CODES = st.sampled_from(["73248", "73157", "73290", "1001", "73999", "2A004", *JUNK])
LON = st.sampled_from(["6.3486", "6,3486", "45.2769", "962168.9", "-181", *JUNK])
LAT = st.sampled_from(["45.2769", "45,2769", "6.3486", "6469703.8", "91", *JUNK])
L93_X = st.sampled_from(["962168.9", "962 168,9", "962\u202f168,9", "1.005.776,4", "6.35", *JUNK])
L93_Y = st.sampled_from(["6469703.8", "6 469 703,8", "45.28", "962168.9", "7250000", *JUNK])
TYPES = st.sampled_from(["D307", "D201", "A129", "amenity=pharmacy", "Z999", "AR03", *JUNK])
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


def _write(path: Path, header: list[str], rows: list[list[str]], sep: str) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _check(read: Callable[[Path], SourceResult], path: Path) -> None:
    try:
        result = read(path)
    except MaillageError:
        return  # the whole file is refused, with maillage's own French message
    assert result.rows_read == len(result.services) + len(result.rejected)
    assert result.rejected["ligne"].notna().all()
    assert not result.rejected["ligne"].duplicated().any()


@SETTINGS
@given(
    rows=st.lists(st.tuples(CODES, TYPES, L93_X, L93_Y, TEXT), min_size=0, max_size=8),
)
def test_bpe_accounts_for_every_row(tmp_path: Path, communes, rows) -> None:  # type: ignore[no-untyped-def]
    path = _write(
        tmp_path / "bpe.csv",
        ["DEPCOM", "TYPEQU", "LAMBERT_X", "LAMBERT_Y", "NOMRS"],
        [list(r) for r in rows],
        ";",
    )
    _check(lambda p: read_bpe(p, communes=communes), path)


@SETTINGS
@given(rows=st.lists(st.tuples(CODES, LON, LAT, TEXT, TEXT), min_size=0, max_size=8))
def test_france_services_accounts_for_every_row(tmp_path: Path, communes, rows) -> None:  # type: ignore[no-untyped-def]
    header = ["id_fs", "lib_fs", "insee_com", "latitude", "longitude"]
    header += ["h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi"]
    table = [
        [str(n), name, code, lat, lon, hours, "", "", "", "", ""]
        for n, (code, lon, lat, name, hours) in enumerate(rows)
    ]
    path = _write(tmp_path / "fs.csv", header, table, ",")
    _check(lambda p: read_france_services(p, communes=communes), path)


@SETTINGS
@given(
    rows=st.lists(
        st.tuples(TEXT, TYPES, CODES, LON, LAT, st.sampled_from(["40", "4,5", "-2", *JUNK])),
        min_size=0,
        max_size=8,
    ),
)
def test_generic_csv_accounts_for_every_row(tmp_path: Path, communes, rows) -> None:  # type: ignore[no-untyped-def]
    path = _write(
        tmp_path / "services.csv",
        ["id", "type", "commune", "lon", "lat", "capacite"],
        [list(r) for r in rows],
        ";",
    )
    _check(lambda p: read_generic(p, communes=communes), path)


@SETTINGS
@given(rows=st.lists(st.tuples(TEXT, LON, LAT, TEXT), min_size=0, max_size=8))
def test_hospitals_accounts_for_every_row(tmp_path: Path, communes, rows) -> None:  # type: ignore[no-untyped-def]
    kinds = ["general", "psychiatric", "unknown", ""]
    table = [
        [str(n), name, lon, lat, kinds[n % len(kinds)]]
        for n, (name, lon, lat, _) in enumerate(rows)
    ]
    header = ["id", "hospital_name", "lon", "lat", "facility_type"]
    path = _write(tmp_path / "hopitaux.csv", header, table, ",")
    _check(lambda p: read_hospitals(p, communes=communes), path)


@SETTINGS
@given(rows=st.lists(st.tuples(CODES, LON, LAT, TEXT, TEXT), min_size=0, max_size=8))
def test_town_halls_account_for_every_row(tmp_path: Path, communes, rows) -> None:  # type: ignore[no-untyped-def]
    header = ["code", "nom", "mairie_lon", "mairie_lat", "mairie_horaires"]
    path = _write(tmp_path / "mairies.csv", header, [list(r) for r in rows], ",")
    _check(lambda p: read_mairies(p, communes=communes), path)


@pytest.fixture(scope="module")
def communes():  # type: ignore[no-untyped-def]
    from maillage.sources.communes import read_communes

    return read_communes()
