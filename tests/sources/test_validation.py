"""Bad input in the France Services format: each case names file, line, column and fix.

The files are built from the first real Savoie rows of ANCT's list; each test then
breaks them in one way (invented edge cases, as real data cannot show them on demand).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from maillage import InputFileError
from maillage.sources.france_services import read_france_services


@pytest.fixture(scope="module")
def savoie_rows(raw_france_services) -> list[dict[str, str]]:
    return [dict(r) for r in raw_france_services if r["insee_dep"] == "73"][:5]


def write(
    path: Path,
    rows: list[dict[str, str]],
    *,
    sep: str = ",",
    encoding: str = "utf-8",
    drop: str | None = None,
) -> Path:
    fields = [f for f in rows[0] if f != drop]
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=fields, delimiter=sep, extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def test_clean_rows_all_load(tmp_path, savoie_rows) -> None:
    result = read_france_services(write(tmp_path / "fs.csv", savoie_rows))
    assert len(result.services) == 5 and result.rejected.empty and not result.warnings


def test_windows_1252_file_is_read_with_a_warning(tmp_path, savoie_rows) -> None:
    rows = [dict(r) for r in savoie_rows]
    rows[2]["lib_fs"] = "France services Saint-Étienne-de-Cuines"
    path = write(tmp_path / "fs.csv", rows, encoding="cp1252")
    first_accent = next(
        n
        for n, line in enumerate(path.read_bytes().splitlines(), start=1)
        if any(byte > 127 for byte in line)
    )
    result = read_france_services(path)
    assert "France services Saint-Étienne-de-Cuines" in set(result.services["name"])
    [warning] = result.warnings
    assert "pas encodé en UTF-8" in warning.reason and warning.line == first_accent
    assert "CSV UTF-8" in str(warning)


def test_wrong_separator_is_detected(tmp_path, savoie_rows) -> None:
    result = read_france_services(write(tmp_path / "fs.csv", savoie_rows, sep=";"))
    assert len(result.services) == 5
    assert "séparateur « point-virgule » trouvé au lieu de « virgule »" in result.warnings[0].reason


def test_missing_column_names_it_and_the_fix(tmp_path, savoie_rows) -> None:
    path = write(tmp_path / "fs.csv", savoie_rows, drop="latitude")
    with pytest.raises(
        InputFileError,
        match=r"fs\.csv, ligne 1 : colonne\(s\) manquante\(s\) : "
        r"latitude.*Correction : utilisez la liste publiée par l'ANCT",
    ):
        read_france_services(path)


def test_empty_file(tmp_path) -> None:
    (tmp_path / "vide.csv").write_text("\n")
    with pytest.raises(InputFileError, match=r"vide\.csv : le fichier est vide"):
        read_france_services(tmp_path / "vide.csv")


def test_bad_rows_are_rejected_with_their_line_and_none_is_lost(tmp_path, savoie_rows) -> None:
    rows = [dict(r) for r in savoie_rows]
    rows[0]["latitude"], rows[0]["longitude"] = rows[0]["longitude"], rows[0]["latitude"]
    rows[1]["latitude"], rows[1]["longitude"] = "6600000", "700000"  # Lambert-93 metres
    rows[2]["insee_com"] = "73999"  # unknown commune
    rows[3]["latitude"], rows[3]["longitude"] = "40.4", "-3.7"  # Madrid
    rows.append(dict(rows[4]))  # duplicate id
    rows.append(dict(rows[4], id_fs="9999", insee_com="93059"))  # merged commune
    result = read_france_services(write(tmp_path / "fs.csv", rows))
    rejected = result.rejected.set_index("ligne")
    assert result.rows_read == 7
    assert len(result.services) + len(result.rejected) == 7
    assert "inversées" in rejected.loc[2, "raison"]
    assert "en mètres (Lambert-93, EPSG:2154 ?)" in rejected.loc[3, "raison"]
    assert rejected.loc[4, ["colonne", "valeur"]].tolist() == ["insee_com", "73999"]
    assert rejected.loc[5, "raison"] == "point hors de France"
    assert "identifiant en double" in rejected.loc[7, "raison"]
    assert "commune fusionnée" in rejected.loc[8, "raison"]
    assert rejected["correction"].notna().all()


def test_row_with_wrong_field_count_is_rejected(tmp_path, savoie_rows) -> None:
    path = write(tmp_path / "fs.csv", savoie_rows)
    lines = path.read_text().splitlines()
    lines[3] = lines[3] + ",champ en trop"
    path.write_text("\n".join(lines) + "\n")
    result = read_france_services(path)
    assert result.rejected["ligne"].tolist() == [4]
    assert "champs au lieu de" in result.rejected["raison"][0]
    assert len(result.services) == 4
