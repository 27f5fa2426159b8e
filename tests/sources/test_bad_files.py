"""What a file really is, French numbers, headers and accounting (issue 18).

References are independent of the code under test: Python's own number formatting with
the separators French software writes, the bytes of real encoders (codecs, zipfile,
openpyxl, pyarrow), and counts made by hand on the files written here.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage._errors import InputFileError
from maillage.sources._numbers import parse_number, parse_numbers
from maillage.sources._report import Rejections
from maillage.sources._sniff import read_text, sniff
from maillage.sources.bpe import read_bpe
from maillage.sources.france_services import read_france_services
from maillage.sources.generic import read_generic

CORPUS = Path(__file__).parents[1] / "data" / "mauvais"


def french(value: float, thousands: str, decimals: int = 2) -> str:
    """``value`` as a French spreadsheet writes it (Python formats, separators replaced)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", thousands)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    value=st.floats(min_value=-1e7, max_value=1e7, allow_nan=False),
    thousands=st.sampled_from([" ", "\u00a0", "\u202f", "\u2009", "."]),
    decimals=st.integers(1, 6),
)
def test_french_numbers_read_back_as_python_wrote_them(value, thousands, decimals) -> None:  # type: ignore[no-untyped-def]
    text = french(value, thousands, decimals)
    assert parse_number(text) == pytest.approx(round(value, decimals), abs=10**-decimals)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("962 512,6", 962512.6),
        ("962\u00a0512,6", 962512.6),
        ("962\u202f512,6", 962512.6),
        ("968.702,5", 968702.5),
        ("968,702.5", 968702.5),
        ("1.234.567", 1234567.0),
        ("45,2769", 45.2769),
        ("45.2769", 45.2769),
        (" 6,35 ", 6.35),
    ],
)
def test_each_french_spelling(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("962 168 m", "caractères autres que des chiffres"),
        ("12,3,4", "plusieurs virgules"),
        ("96 25 12", "espaces ailleurs qu'entre des groupes de trois chiffres"),
        ("1.23,4.5", "séparateurs de milliers et décimal incohérents"),
        ("N/A", "texte au lieu d’un nombre"),
    ],
)
def test_unreadable_numbers_say_why(text: str, reason: str) -> None:
    assert reason in str(parse_number(text))


def test_empty_cells_stay_empty_and_are_not_reasons() -> None:
    numbers, reasons = parse_numbers(pd.Series(["", None, "  ", "inf"]))
    assert numbers.isna().all()
    assert reasons.tolist()[:3] == [pd.NA, pd.NA, pd.NA] and reasons[3] == "valeur non finie"


@pytest.mark.parametrize(
    ("encoding", "kind"),
    [
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
        ("utf-32", "utf-32"),
        ("utf-32-le", "utf-32-le"),
        ("utf-32-be", "utf-32-be"),
    ],
)
def test_unicode_exports_are_recognised_and_decoded(tmp_path: Path, encoding, kind) -> None:  # type: ignore[no-untyped-def]
    text = "id;nom\n1;Saint-Jean-de-Maurienne\n2;Lanslebourg-Mont-Cenis\n"
    raw = text.encode(encoding)
    assert sniff(raw).startswith(kind)
    path = tmp_path / "export.csv"
    path.write_bytes(raw)
    rejections = Rejections(path)
    assert read_text(path, rejections=rejections) == text
    assert f"encodé en {kind[:6].upper()}" in rejections.warnings[0].reason


def test_utf8_bom_is_plain_utf8() -> None:
    assert sniff(codecs.BOM_UTF8 + b"a;b\n") == "utf-8-sig"


def test_a_long_field_is_read_whole(tmp_path: Path) -> None:
    """Python's csv module stops at 131,072 characters by default; a real file can hold more."""
    long_name = "Permanence " * 200_000
    path = tmp_path / "creches.csv"
    path.write_text(
        f"id;type;nom;commune\n1;D502;{long_name};73248\n2;D502;Les Lutins;73157\n",
        encoding="utf-8",
    )
    before = csv.field_size_limit()
    result = read_generic(path)
    assert csv.field_size_limit() == before  # the limit is restored
    assert len(result.services) == 2 and result.services["name"][0] == long_name.strip()


def test_nul_bytes_are_removed_with_a_warning(tmp_path: Path) -> None:
    path = CORPUS / "nul-dans-nom.csv"
    raw_names = [r["lib_fs"] for r in csv.DictReader(io.StringIO(path.read_text("utf-8")))]
    result = read_france_services(path)
    assert len(result.services) == 4
    assert not result.services["name"].str.contains("\x00|\x07").any()
    assert result.services["name"][1] == raw_names[1].replace("\x00", "").replace("\x07", "")
    [warning] = result.warnings
    assert warning.line == 3 and "2 caractère(s) de contrôle" in warning.reason


def test_french_numbers_in_the_bpe_are_read_not_emptied() -> None:
    """The INSEE file with "962 168,9" etc.: same points as the plain extract's rows."""
    plain = read_bpe(Path(__file__).parents[1] / "data" / "bpe" / "bpe-maurienne-extrait.csv")
    spelled = read_bpe(CORPUS / "nombres-francais.csv")
    assert (spelled.services["position"] == "source").all()  # none placed at its commune
    same = plain.services.set_index("service_id").loc[spelled.services["service_id"]]
    assert spelled.services["lon"].to_numpy() == pytest.approx(same["lon"].to_numpy())
    assert spelled.services["lat"].to_numpy() == pytest.approx(same["lat"].to_numpy())
    [rejected] = spelled.rejected.to_dict("records")
    assert rejected["ligne"] == 6 and rejected["valeur"] == "962 168 m"
    assert "coordonnée illisible" in rejected["raison"]


def test_a_row_with_two_defects_is_counted_once_with_both_reasons() -> None:
    result = read_france_services(CORPUS / "deux-defauts.csv")
    assert (result.rows_read, len(result.services), len(result.rejected)) == (4, 3, 1)
    [row] = result.rejected.to_dict("records")
    assert row["ligne"] == 4
    assert "code commune inconnu" in row["raison"] and "en mètres" in row["raison"]
    assert row["colonne"] == "insee_com ; longitude/latitude"


def test_duplicated_unused_column_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "creches.csv"
    path.write_text("id;type;commune;remarque;remarque\n1;D502;73248;a;b\n", encoding="utf-8")
    result = read_generic(path)
    assert len(result.services) == 1
    assert any("« remarque » en double (colonnes n° 4 et 5)" in w.reason for w in result.warnings)


def test_unknown_columns_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "creches.csv"
    path.write_text("id;type;commune;telephone\n1;D502;73248;0479\n", encoding="utf-8")
    result = read_generic(path)
    assert any("non utilisée(s) par maillage : telephone" in w.reason for w in result.warnings)


def test_misspelt_bpe_column_is_suggested(tmp_path: Path) -> None:
    path = tmp_path / "bpe.csv"
    path.write_text("DEPCOM;TYPEQU;LAMBERT_X;LAMBER_Y\n73248;D307;962393;6469856\n", "utf-8")
    with pytest.raises(InputFileError) as caught:
        read_bpe(path)
    assert "colonne(s) manquante(s) : LAMBERT_Y" in str(caught.value)
    assert "« LAMBER_Y » est-elle « LAMBERT_Y » mal orthographiée" in str(caught.value)


def test_a_layer_of_a_multi_layer_geopackage_can_be_chosen() -> None:
    result = read_generic(CORPUS / "deux-couches.gpkg", layer="france_services")
    assert result.services["type"].tolist() == ["A128"]
    with pytest.raises(InputFileError, match="couche « ecoles » absente"):
        read_generic(CORPUS / "deux-couches.gpkg", layer="ecoles")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("excel-renomme.csv", "xlsx"),
        ("excel-97.csv", "xls"),
        ("classeur-libreoffice.csv", "ods"),
        ("archive.csv", "ZIP"),
        ("parquet-renomme.csv", "Parquet"),
        ("binaire.csv", "binaire"),
    ],
)
def test_non_text_files_are_named_for_what_they_are(name: str, kind: str) -> None:
    with pytest.raises(InputFileError) as caught:
        read_generic(CORPUS / name)
    assert kind in str(caught.value) and "manquante" not in str(caught.value)


def test_candidate_site_lists_go_through_the_same_checks(tmp_path: Path) -> None:
    """``implanter --candidats FICHIER``: French numbers, a workbook, a unit in a number."""
    from maillage.planning._sites import read_site_list
    from maillage.services.catalogue import territory_services
    from maillage.territory.builtin import pays_de_maurienne

    services = territory_services(pays_de_maurienne())
    good = tmp_path / "candidats.csv"
    good.write_text(
        "nom;lon;lat;capacite\nModane;6,6655;45,1990;1\u202f200\nAussois;6.74;45.23;\n",
        encoding="utf-16",
    )
    sites = read_site_list(good, services)
    assert sites[["lon", "lat", "capacity"]].iloc[0].tolist() == [6.6655, 45.199, 1200.0]
    bad = tmp_path / "unite.csv"
    bad.write_text("nom;lon;lat\nModane;6,67 E;45,20\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"ligne 2, colonne « lon ».*caractères autres"):
        read_site_list(bad, services)
    with pytest.raises(InputFileError, match="classeur Excel"):
        read_site_list(CORPUS / "excel-renomme.csv", services)
