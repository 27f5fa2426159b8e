"""Tests of the generic reader (a user's CSV / GeoJSON / GeoPackage) and of the dispatcher.

Data: ``tests/data/generic/creches-maurienne.csv`` is INVENTED (see its README); commune
codes are REAL (COG 2024). Files written in ``tmp_path`` are INVENTED variants.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point

from maillage._errors import InputFileError
from maillage.sources.communes import read_communes
from maillage.sources.dispatch import guess_format, read_service_file
from maillage.sources.generic import read_generic

FIXTURE = Path(__file__).parents[1] / "data" / "generic" / "creches-maurienne.csv"
BPE = Path(__file__).parents[1] / "data" / "bpe" / "bpe-maurienne-extrait.csv"
OSM = Path(__file__).parents[1] / "data" / "osm" / "saint-barthelemy-2014.osm.pbf"


def rejected_lines(result: object, text: str) -> list[int]:
    table = result.rejected  # type: ignore[attr-defined]
    return table.loc[table["raison"].str.contains(text, regex=False), "ligne"].tolist()


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return read_generic(FIXTURE)


def test_accepted_rows(result) -> None:  # type: ignore[no-untyped-def]
    s = result.services.set_index("line")
    assert s.index.tolist() == [2, 3, 4, 5, 7, 13]
    assert s.loc[2, ["service_id", "type", "commune", "capacity"]].tolist() == [
        "creches-maurienne:C1",
        "D502",
        "73248",
        40,
    ]
    assert s.loc[2, "hours_per_week"] == 55.0
    assert (s.loc[3, "type"], s.loc[3, "source_type"]) == ("D502", "amenity=childcare")
    assert bool(s.loc[3, "open_saturday"]) is True  # hours with ";" inside quotes
    assert result.rows_read == 13


def test_row_without_coordinates_is_placed_at_its_commune(result) -> None:  # type: ignore[no-untyped-def]
    row = result.services.set_index("line").loc[4]
    val_cenis = read_communes().set_index("commune").loc["73290"]
    assert row["position"] == "commune"
    assert (row["lon"], row["lat"]) == (val_cenis["lon"], val_cenis["lat"])
    assert any(
        w.line == 4 and "placé(s) au point de leur commune" in w.reason for w in result.warnings
    )


def test_row_without_commune_gets_the_nearest(result) -> None:  # type: ignore[no-untyped-def]
    assert result.services.set_index("line").loc[5, "commune"] == "73135"
    assert any(
        w.line == 5 and "point de commune le plus proche" in w.reason for w in result.warnings
    )


def test_four_digit_code_is_padded(result) -> None:  # type: ignore[no-untyped-def]
    assert result.services.set_index("line").loc[13, "commune"] == "01004"
    assert any(w.line == 13 and "4 chiffres" in w.reason for w in result.warnings)


def test_unreadable_capacity_and_hours_keep_the_service(result) -> None:  # type: ignore[no-untyped-def]
    row = result.services.set_index("line").loc[7]
    assert row.isna()["capacity"] and row.isna()["hours_per_week"]
    reasons = {w.column: w.reason for w in result.warnings if w.line == 7}
    assert "capacité illisible" in reasons["capacite"]
    assert "horaires ignorés" in reasons["horaires"]


def test_bad_rows_are_rejected_with_their_lines(result) -> None:  # type: ignore[no-untyped-def]
    assert rejected_lines(result, "identifiant en double") == [6]
    assert rejected_lines(result, "longitude et latitude inversées") == [8]
    assert rejected_lines(result, "point hors de France") == [9]
    # 73203: Pontamafrey-Montpascal, merged into La Tour-en-Maurienne; 73999: a typo.
    assert rejected_lines(result, "code commune inconnu") == [10, 11]
    assert "73203" not in set(read_communes()["commune"])
    assert rejected_lines(result, "type d'équipement inconnu") == [12]
    assert rejected_lines(result, "9 champs au lieu de 8") == [14]
    assert result.rejected["ligne"].tolist() == [6, 8, 9, 10, 11, 12, 14]


def test_mapping_and_aliases(tmp_path: Path) -> None:
    f = tmp_path / "liste.csv"
    f.write_text("code_bpe;structure;longitude;latitude\nD307;Pharmacie;6.3475;45.278\n")
    r = read_generic(f, mapping={"type": "code_bpe", "nom": "structure"})
    assert r.services.loc[0, ["service_id", "name", "commune"]].tolist() == [
        "liste:2",
        "Pharmacie",
        "73248",
    ]


def test_mapping_to_a_missing_column_is_named(tmp_path: Path) -> None:
    f = tmp_path / "liste.csv"
    f.write_text("type;lon;lat\nD307;6.3475;45.278\n")
    with pytest.raises(InputFileError, match="colonne « code_bpe » \\(champ type\\) absente"):
        read_generic(f, mapping={"type": "code_bpe"})


def test_missing_type_column_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "liste.csv"
    f.write_text("nom;lon;lat\nPharmacie;6.3475;45.278\n")
    with pytest.raises(InputFileError, match="colonne du type d'équipement absente") as err:
        read_generic(f)
    assert err.value.line == 1 and err.value.column == "type"


def test_lambert93_xy_with_crs(tmp_path: Path) -> None:
    # REAL: Saint-Jean-de-Maurienne's town hall (DILA), in Lambert-93.
    f = tmp_path / "mairies.csv"
    f.write_text("id,type,x,y\n1,A129,962168.9,6469703.8\n")
    r = read_generic(f, separator=",", crs="EPSG:2154")
    assert (r.services.loc[0, "lon"], r.services.loc[0, "lat"]) == pytest.approx(
        (6.344557, 45.27671), abs=1e-5
    )
    assert r.warnings == [] or all("séparateur" not in w.reason for w in r.warnings)
    with pytest.raises(InputFileError, match="sans système de coordonnées"):
        read_generic(f, separator=",")
    with pytest.raises(InputFileError, match="système de coordonnées « EPSG:99999 » inconnu"):
        read_generic(f, separator=",", crs="EPSG:99999")


def test_degrees_in_lambert_columns_are_rejected(tmp_path: Path) -> None:
    f = tmp_path / "mairies.csv"
    f.write_text("id;type;x;y\n1;A129;6.3446;45.2767\n2;A129;962168.9;6469703.8\n")
    r = read_generic(f, crs="EPSG:2154")
    assert r.services["line"].tolist() == [3]
    assert rejected_lines(r, "coordonnées en degrés") == [2]


def test_geojson_in_lambert93_is_honoured(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame(
        {"id": ["a", "b"], "type": ["A129", "amenity=pharmacy"], "commune": ["73248", None]},
        geometry=[Point(962168.9, 6469703.8), None],
        crs="EPSG:2154",
    )
    f = tmp_path / "services.geojson"
    layer.to_file(f, driver="GeoJSON")
    r = read_generic(f)
    assert r.services["service_id"].tolist() == ["services:a"]
    assert r.services.loc[0, "lon"] == pytest.approx(6.344557, abs=1e-5)
    # Object 2: no geometry, no commune: it cannot be placed.
    assert rejected_lines(r, "ni coordonnées ni code commune") == [2]


def test_geopackage_without_crs_is_an_error(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame({"type": ["A129"]}, geometry=[Point(962168.9, 6469703.8)])
    f = tmp_path / "services.gpkg"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        layer.to_file(f, driver="GPKG")
    with pytest.raises(InputFileError, match="n'indique pas son système de coordonnées"):
        read_generic(f)


def test_empty_csv(tmp_path: Path) -> None:
    f = tmp_path / "vide.csv"
    f.write_text("\n")
    with pytest.raises(InputFileError, match="le fichier est vide"):
        read_generic(f)


def test_guess_format() -> None:
    assert guess_format(BPE) == "bpe"
    assert guess_format(FIXTURE) == "csv"
    assert guess_format(OSM) == "osm"


def test_read_service_file_dispatches() -> None:
    assert read_service_file(BPE).services["source"].eq("bpe").all()
    assert len(read_service_file(FIXTURE, format="csv").services) == 6
    assert read_service_file(OSM).rows_read == 0
    with pytest.raises(InputFileError, match="format « xls » inconnu"):
        read_service_file(BPE, format="xls")
