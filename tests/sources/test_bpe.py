"""Tests of the BPE reader.

Data: ``tests/data/bpe/bpe-maurienne-extrait.csv`` is INVENTED data in the real format
(see its README), except the commune codes and the town hall of row 2 (REAL: DILA's
published WGS84 position). The reference points of the projection test are REAL and
independent of maillage: Lambert-93's projection origin, by definition of EPSG:2154, and
DILA's town hall position.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from pyproj import Transformer

from maillage._data import data_path
from maillage._errors import InputFileError
from maillage.sources.bpe import read_bpe
from maillage.sources.communes import read_communes

FIXTURE = Path(__file__).parents[1] / "data" / "bpe" / "bpe-maurienne-extrait.csv"
HEADER = "AN;DEPCOM;DEP;TYPEQU;LAMBERT_X;LAMBERT_Y;QUALITE_XY"


def rejected_lines(result: object, text: str) -> list[int]:
    table = result.rejected  # type: ignore[attr-defined]
    return table.loc[table["raison"].str.contains(text, regex=False), "ligne"].tolist()


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return read_bpe(FIXTURE)


def test_valid_rows_are_read_with_types_and_communes(result) -> None:  # type: ignore[no-untyped-def]
    s = result.services.set_index("line")
    assert s.index.tolist() == [2, 3, 4, 5, 6, 7, 8]
    assert s.loc[2, ["service_id", "type", "commune", "name"]].tolist() == [
        "bpe:2",
        "A129",
        "73248",
        "MAIRIE",
    ]
    assert s.loc[5, "name"] is pd.NA or pd.isna(s.loc[5, "name"])
    assert s["source"].eq("bpe").all()
    assert s["capacity"].isna().all()
    assert result.services.crs.to_epsg() == 4326
    assert result.rows_read == 14  # 14 data lines, accepted + rejected


def test_town_hall_matches_dila_position_within_one_metre(result) -> None:  # type: ignore[no-untyped-def]
    # REAL: DILA publishes 6.344557 E, 45.27671 N for Saint-Jean-de-Maurienne's town hall;
    # the fixture carries its Lambert-93 rounded to 0.1 m.
    town_hall = result.services.set_index("line").loc[2]
    assert town_hall["lon"] == pytest.approx(6.344557, abs=1e-5)
    assert town_hall["lat"] == pytest.approx(45.27671, abs=1e-5)
    mairies = pd.read_csv(data_path("communes", "mairies-france.csv.gz"), dtype={"code": str})
    dila = mairies.set_index("code").loc["73248"]
    assert (float(dila["mairie_lon"]), float(dila["mairie_lat"])) == (6.344557, 45.27671)


def test_lambert93_projection_origin(tmp_path: Path) -> None:
    # REAL, by definition of EPSG:2154: X=700000, Y=6600000 is 3° E, 46.5° N.
    communes = read_communes()
    near = communes.loc[((communes.lon - 3) ** 2 + (communes.lat - 46.5) ** 2).idxmin()]
    f = tmp_path / "bpe.csv"
    f.write_text(f"{HEADER}\n2024;{near.commune};{near.departement};D307;700000;6600000;Bonne\n")
    s = read_bpe(f).services
    assert s.loc[0, "lon"] == pytest.approx(3.0, abs=1e-7)
    assert s.loc[0, "lat"] == pytest.approx(46.5, abs=1e-7)


def test_overseas_row_uses_local_utm(tmp_path: Path) -> None:
    # REAL: Saint-Denis (La Réunion) town hall, DILA: 55.448634 E, 20.878974 S; its UTM 40S
    # coordinates are computed here, the file has no EPSG column: DEP 974 chooses the CRS.
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:2975", always_xy=True).transform(
        55.448634, -20.878974
    )
    f = tmp_path / "bpe.csv"
    f.write_text(f"AN;DEPCOM;DEP;TYPEQU;LAMBERT_X;LAMBERT_Y\n2024;97411;974;A129;{x:.1f};{y:.1f}\n")
    s = read_bpe(f).services
    assert (s.loc[0, "lon"], s.loc[0, "lat"]) == pytest.approx((55.448634, -20.878974), abs=1e-5)


def test_non_geolocated_row_is_placed_at_its_commune(result) -> None:  # type: ignore[no-untyped-def]
    row = result.services.set_index("line").loc[7]
    belleville = read_communes().set_index("commune").loc["73257"]
    assert row["position"] == "commune"
    assert (row["lon"], row["lat"]) == (belleville["lon"], belleville["lat"])
    warning = next(w for w in result.warnings if "non géolocalisé" in w.reason)
    assert warning.line == 7
    assert "placé(s) au point de leur commune" in str(warning)


def test_old_code_is_mapped_with_warning(result) -> None:  # type: ignore[no-untyped-def]
    row = result.services.set_index("line").loc[6]
    assert (row["type"], row["source_type"]) == ("D265", "D201")
    warning = next(w for w in result.warnings if "D201" in w.reason)
    assert warning.line == 6 and "code 2025 D265" in warning.reason


def test_poor_quality_is_kept_with_warning(result) -> None:  # type: ignore[no-untyped-def]
    assert result.services.set_index("line").loc[8, "position"] == "source"
    warning = next(w for w in result.warnings if w.column == "QUALITE_XY")
    assert warning.line == 8 and "Mauvaise" in warning.reason


def test_bad_rows_are_rejected_with_their_lines(result) -> None:  # type: ignore[no-untyped-def]
    assert rejected_lines(result, "type d'équipement inconnu") == [9]
    # 73143 (Lanslebourg-Mont-Cenis, merged into Val-Cenis) and the typo 73999.
    assert rejected_lines(result, "code commune inconnu") == [10, 15]
    assert "73143" not in set(read_communes()["commune"])
    assert rejected_lines(result, "coordonnées en degrés") == [11]
    assert rejected_lines(result, "X et Y inversés") == [12]
    assert rejected_lines(result, "hors de France") == [13]
    assert rejected_lines(result, "12 champs au lieu de 14") == [14]
    assert result.rejected["ligne"].tolist() == list(range(9, 16))
    assert result.rejected["correction"].notna().all()


def test_wrong_separator_is_read_with_warning(tmp_path: Path) -> None:
    f = tmp_path / "bpe.csv"
    f.write_text(FIXTURE.read_text(encoding="utf-8").replace(";", ","), encoding="utf-8")
    r = read_bpe(f)
    assert len(r.services) == 7
    assert "séparateur « virgule » trouvé au lieu de « point-virgule »" in str(r.warnings[0])
    assert r.rejected["ligne"].tolist() == list(range(9, 16))


def test_windows_1252_file_is_read_with_warning(tmp_path: Path) -> None:
    f = tmp_path / "bpe.csv"
    f.write_bytes(FIXTURE.read_text(encoding="utf-8").encode("cp1252"))
    r = read_bpe(f)
    assert "n'est pas encodé en UTF-8" in r.warnings[0].reason
    assert r.warnings[0].line == 7  # first non-ASCII byte: "Non géolocalisé"
    assert len(r.services) == 7


def test_lower_case_columns_are_accepted(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    f = tmp_path / "bpe.csv"
    f.write_text(header.lower() + "\n" + rest, encoding="utf-8")
    assert len(read_bpe(f).services) == 7


def test_missing_column_is_named(tmp_path: Path) -> None:
    f = tmp_path / "bpe.csv"
    f.write_text("AN;DEPCOM;TYPEQU;LAMBERT_X\n2024;73248;D307;962393\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="colonne\\(s\\) manquante\\(s\\) : LAMBERT_Y") as err:
        read_bpe(f)
    assert err.value.line == 1 and "fichier « ensemble » de la BPE" in str(err.value)


def test_empty_file(tmp_path: Path) -> None:
    f = tmp_path / "bpe.csv"
    f.write_text("")
    with pytest.raises(InputFileError, match="le fichier est vide"):
        read_bpe(f)


def test_gzip_copy_reads_the_same(tmp_path: Path) -> None:
    import gzip

    f = tmp_path / "bpe.csv.gz"
    with FIXTURE.open("rb") as src, gzip.open(f, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert len(read_bpe(f).services) == 7
