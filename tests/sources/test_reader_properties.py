"""Property tests (hypothesis, derandomized): random rows into every reader of a user's file.

Whatever the rows, a reader either refuses the whole file with maillage's own error, or
accounts for every row once: ``lues = acceptées + rejetées``. Cells are drawn from real
values (commune codes, coordinates and types of the Maurienne) mixed with the defects
seen in files from the field (French numbers, swapped or metre coordinates, unknown
codes, stray quotes, control characters, separators inside a cell).

Readers covered: BPE (CSV and Parquet), France Services, the generic reader (CSV and
GeoJSON), hospitals, town halls, the Filosofi grid (CSV), and the configuration files
(typology, scenario, catalogue), which must refuse any document with maillage's own
error only; and the reader of the per-commune indicator files that maillage ships (CAF
places here), fed random rows in place of the shipped file. Not here: OpenStreetMap extracts
(``tests/sources/test_osm_pois.py``, bad PBFs in ``tests/network``) and GTFS feeds
(``tests/sources/test_gtfs.py``), which are not tables of rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage._errors import AccountingError, MaillageError
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
    """Rows as a CSV; every third row written as a hand-made export would, without quoting
    (a separator or a quote inside a cell then breaks the row: too many fields, a quote
    left open)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    for number, row in enumerate(rows):
        if number % 3 == 2:
            buffer.write(sep.join(str(cell) for cell in row) + "\n")
        else:
            writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _check(read: Callable[[Path], SourceResult], path: Path) -> None:
    try:
        result = read(path)
    except AccountingError:  # the readers' own check of lues = acceptées + rejetées
        raise
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


@SETTINGS
@given(rows=st.lists(st.tuples(CODES, TYPES, L93_X, L93_Y, TEXT), min_size=0, max_size=8))
def test_bpe_parquet_accounts_for_every_row(tmp_path: Path, communes, rows) -> None:  # type: ignore[no-untyped-def]
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = ["DEPCOM", "TYPEQU", "LAMBERT_X", "LAMBERT_Y", "NOMRS"]
    table = pa.table({n: pa.array([r[i] for r in rows], pa.string()) for i, n in enumerate(names)})
    pq.write_table(table, tmp_path / "BPE25.parquet")
    _check(lambda p: read_bpe(p, communes=communes), tmp_path / "BPE25.parquet")


NUMBERS = st.sampled_from([6.3486, 45.2769, 962168.9, 6469703.8, 706722.9, -181.0, 0.0, 1e300])


@SETTINGS
@given(
    rows=st.lists(
        st.tuples(
            TEXT,
            TYPES,
            CODES,
            st.one_of(st.none(), st.tuples(NUMBERS, NUMBERS)),
            st.sampled_from(["40", "4,5", "-2", *JUNK]),
        ),
        min_size=0,
        max_size=8,
    ),
)
def test_generic_geojson_accounts_for_every_row(tmp_path: Path, communes, rows) -> None:  # type: ignore[no-untyped-def]
    features = [
        {
            "type": "Feature",
            "properties": {"id": ident, "type": kind, "commune": code, "capacite": capacity},
            "geometry": None if xy is None else {"type": "Point", "coordinates": list(xy)},
        }
        for ident, kind, code, xy, capacity in rows
    ]
    path = tmp_path / "services.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    _check(lambda p: read_generic(p, communes=communes), path)


CELLS = st.sampled_from(
    [
        "CRS3035RES200mN2520400E4073800",
        "CRS3035RES200mN2520400E4074000",
        "CRS3035RES200mN2520600E4073800",
        "CRS3035RES200mN2520400E4073800",  # the same cell twice
        "CRS2154RES200mN6469600E962000",
        "N2520400E4073800",
        *JUNK,
    ]
)


@SETTINGS
@given(
    rows=st.lists(
        st.tuples(CELLS, st.sampled_from(["12.5", "12,5", "-1", "0", *JUNK]), CODES),
        min_size=0,
        max_size=8,
    ),
)
def test_filosofi_grid_accounts_for_every_row(tmp_path: Path, rows) -> None:  # type: ignore[no-untyped-def]
    from maillage.sources.filosofi import read_filosofi

    path = _write(tmp_path / "carreaux.csv", ["Idcar_200m", "Ind", "lcog_geo"], rows, ",")
    try:
        grid = read_filosofi(path, communes=["73248", "73157", "73290"])
    except AccountingError:  # the readers' own check of lues = acceptées + rejetées
        raise
    except MaillageError:
        return
    assert grid.rejections.rows_read == len(grid.cells) + len(grid.rejected)


COUNTS = st.sampled_from(["3", "0", "2,5", "-1", "ND", "s", *JUNK])


@SETTINGS
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["73248", "73157", "75056", "75108", "D73", "FR", "200070464", "73"]),
            COUNTS,
            COUNTS,
            COUNTS,
        ),
        min_size=0,
        max_size=8,
    )
)
def test_commune_indicator_file_accounts_for_every_row(tmp_path: Path, rows, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from maillage.sources import indicateurs

    path = tmp_path / "caf.parquet"
    columns = ["id", "assmat", "eaje", "autr"]
    pd.DataFrame(rows, columns=columns, dtype="string").to_parquet(path)
    monkeypatch.setattr(indicateurs, "data_path", lambda *parts: path)
    try:
        table = indicateurs._read.__wrapped__("caf_places")
    except AccountingError:  # the readers' own check of lues = acceptées + rejetées
        raise
    except MaillageError:
        return
    # read_commune_file checks lues = agrégats + acceptées + rejetées itself; here, again
    assert table.rows_read == len(rows)
    assert table.rejected["ligne"].notna().all()


def _toml(value: Any) -> str:
    """A value as TOML (inline tables and arrays; strings as JSON, which TOML reads)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else "nan"
    return json.dumps(value) if isinstance(value, str) else str(value)


SCALARS = st.one_of(
    st.sampled_from(["73248", "D307", "A128", "france-services", "soins", "proximite"]),
    st.sampled_from(["amenity", "amenity=pharmacy", "=x", "a=b;c", "fs:1570", "https://x"]),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    TEXT,
)
KEYS = [
    *("code", "libelle", "famille", "gamme", "osm", "type", "commune", "lon", "lat"),
    *("services", "garder", "url", "fichier", "contenu", "sha256", "nom", "libele"),
]
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    ),
    max_leaves=8,
)


def _document(tables: dict[str, Any]) -> str:
    lines = []
    for key, value in tables.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for entry in value:  # an array of tables, as users write [[ouvrir]], [[types]]
                lines.append(f"[[{key}]]")
                lines += [f"{json.dumps(k)} = {_toml(v)}" for k, v in entry.items()]
        else:
            lines.insert(0, f"{json.dumps(key)} = {_toml(value)}")
    return "\n".join(lines) + "\n"


TOP_KEYS = st.sampled_from(
    [
        "version",
        "familles",
        "gammes",
        "types",
        "nom",
        "fermer",
        "ouvrir",
        "fusionner",
        "routes",
        "fermr",
        "bpe",
        "carroyage",
        "osm",
    ]
)


@SETTINGS
@given(
    tables=st.dictionaries(
        TOP_KEYS,
        st.one_of(
            VALUES,
            st.lists(
                st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5), min_size=1, max_size=3
            ),
        ),
        max_size=5,
    ),
    garbage=st.one_of(st.none(), st.text(max_size=40)),
)
def test_configuration_files_refuse_with_maillage_errors_only(
    tmp_path: Path, tables, garbage
) -> None:  # type: ignore[no-untyped-def]
    from maillage.download.catalogue import load_catalogue
    from maillage.planning.scenario import read_scenario
    from maillage.services.typology import load_typology

    path = tmp_path / "config.toml"
    path.write_text(_document(tables) if garbage is None else garbage, encoding="utf-8")
    for load in (load_typology, read_scenario, load_catalogue):
        try:
            load(path)
        except AccountingError:  # the readers' own check of lues = acceptées + rejetées
            raise
        except MaillageError as err:
            assert "Traceback" not in str(err)


@pytest.fixture(scope="module")
def communes():  # type: ignore[no-untyped-def]
    from maillage.sources.communes import read_communes

    return read_communes()
