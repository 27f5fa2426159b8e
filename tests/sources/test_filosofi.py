"""The Filosofi 200 m grid reader: INSEE's layouts (GeoPackage, CSV, zipped), checks."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import box

from maillage._errors import InputFileError
from maillage.sources.communes import read_commune_polygons, read_communes
from maillage.sources.filosofi import parse_cell_ids, read_filosofi

BANDS = [
    "ind_0_3",
    "ind_4_5",
    "ind_6_10",
    "ind_11_17",
    "ind_18_24",
    "ind_25_39",
    "ind_40_54",
    "ind_55_64",
    "ind_65_79",
    "ind_80p",
]


def cell_at(code: str, *, north_m: float = 0.0) -> tuple[str, tuple[float, float]]:
    """The id and lower-left corner of the cell holding commune ``code``'s real point."""
    row = read_communes().set_index("commune").loc[code]
    east, north = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True).transform(
        row["lon"], row["lat"] + north_m / 111_000
    )
    e, n = east // 200 * 200, north // 200 * 200
    return f"CRS3035RES200mN{int(n)}E{int(e)}", (e, n)


def grid(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    table = pd.DataFrame(rows)
    for band in BANDS:
        table[band] = table["ind"].astype(float) / 10
    corners = table["idcar_200m"].str.extract(r"N(\d+)E(\d+)").astype(float)
    shapes = [box(e, n, e + 200, n + 200) for n, e in corners.itertuples(index=False)]
    return gpd.GeoDataFrame(table, geometry=shapes, crs="EPSG:3035")


@pytest.fixture
def cells() -> gpd.GeoDataFrame:
    """Saint-Jean-de-Maurienne (73248): its centre, and a cell straddling Saint-Julien
    (73249) listed first; plus a cell of Albertville (73011), outside the territory."""
    centre, _ = cell_at("73248")
    hamlet, _ = cell_at("73248", north_m=1200)
    other, _ = cell_at("73011")
    return grid(
        [
            {"idcar_200m": centre, "ind": 500.0, "men": 200.0, "lcog_geo": "7324973248"},
            {"idcar_200m": hamlet, "ind": 40.0, "men": 15.0, "lcog_geo": "73248"},
            {"idcar_200m": other, "ind": 300.0, "men": 120.0, "lcog_geo": "73011"},
        ]
    )


def test_geopackage_in_a_zip_as_published(cells: gpd.GeoDataFrame, tmp_path: Path) -> None:
    gpkg = tmp_path / "Filosofi2019_carreaux_200m_met.gpkg"
    cells.to_file(gpkg, driver="GPKG")
    archive = tmp_path / "Filosofi2019_carreaux_200m_gpkg.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(gpkg, gpkg.name)
    result = read_filosofi(archive, communes=["73248", "73249"])
    table = result.cells.set_index("origin_id")
    assert len(table) == 2 and result.rejected.empty
    # The straddling cell goes to the commune whose polygon holds its centre, not the first.
    assert set(table["commune"]) == {"73248"}
    assert table["population"].sum() == 540.0
    row = table.iloc[0]
    assert row["population_0_19"] + row["population_20_64"] + row["population_65_plus"] == (
        pytest.approx(row["population"])
    )
    assert result.cells.crs == "EPSG:4326"
    polygon = read_commune_polygons().set_index("commune").geometry["73248"]
    assert result.cells.geometry.within(polygon).iloc[0]


def test_csv_variant_with_insee_capitals(cells: gpd.GeoDataFrame, tmp_path: Path) -> None:
    table = pd.DataFrame(cells.drop(columns="geometry"))
    table.columns = [c.capitalize() if c != "lcog_geo" else c for c in table.columns]
    assert "Idcar_200m" in table.columns
    path = tmp_path / "carreaux.csv"
    table.to_csv(path, index=False)
    result = read_filosofi(path, communes=["73011"])
    assert result.cells["origin_id"].tolist() == [cells["idcar_200m"].iloc[2]]
    # Without a geometry, the centre comes from the id.
    centre = parse_cell_ids(result.cells["origin_id"]).iloc[0]
    assert centre["x"] % 200 == 100 and centre["epsg"] == 3035


def test_another_crs_is_refused_with_the_fix(cells: gpd.GeoDataFrame, tmp_path: Path) -> None:
    path = tmp_path / "carreaux_l93.gpkg"
    cells.to_crs("EPSG:2154").to_file(path, driver="GPKG")
    with pytest.raises(InputFileError, match=r"EPSG:2154 au lieu d'EPSG:3035.*ogr2ogr"):
        read_filosofi(path, communes=["73248"])


def test_missing_columns_and_foreign_archive(tmp_path: Path) -> None:
    path = tmp_path / "carreaux.csv"
    path.write_text("Idcar_200m,Men\nCRS3035RES200mN2520400E4073800,5\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"colonne\(s\) ind, lcog_geo absente\(s\)"):
        read_filosofi(path, communes=["73248"])
    archive = tmp_path / "Filosofi2019.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("Filosofi2019_carreaux_200m_gpkg.7z", b"7z")  # a damaged 7-Zip archive
    with pytest.raises(InputFileError, match=r"archive 7z illisible.*telecharger"):
        read_filosofi(archive, communes=["73248"])


def overseas_cells(code: str, epsg: int) -> gpd.GeoDataFrame:
    """One cell holding commune ``code``'s real point, in the overseas grid's own CRS."""
    row = read_communes().set_index("commune").loc[code]
    east, north = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True).transform(
        row["lon"], row["lat"]
    )
    e, n = east // 200 * 200, north // 200 * 200
    table = pd.DataFrame(
        [{"idcar_200m": f"CRS{epsg}RES200mN{int(n)}E{int(e)}", "ind": 80.0, "lcog_geo": code}]
    )
    for band in BANDS:
        table[band] = 8.0
    return gpd.GeoDataFrame(table, geometry=[box(e, n, e + 200, n + 200)], crs=f"EPSG:{epsg}")


def test_the_published_zip_holds_a_7z_of_three_grids(
    cells: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    """As INSEE publishes Filosofi 2019: ZIP → .7z → met (3035), mart (5490), reun (2975)."""
    import py7zr

    inner = tmp_path / "inner"
    inner.mkdir()
    cells.to_file(inner / "carreaux_200m_met.gpkg", driver="GPKG")
    overseas_cells("97209", 5490).to_file(inner / "carreaux_200m_mart.gpkg", driver="GPKG")
    overseas_cells("97411", 2975).to_file(inner / "carreaux_200m_reun.gpkg", driver="GPKG")
    seven = tmp_path / "Filosofi2019_carreaux_200m_gpkg.7z"
    with py7zr.SevenZipFile(seven, "w") as archive:
        for name in ("met", "mart", "reun"):
            archive.write(inner / f"carreaux_200m_{name}.gpkg", f"carreaux_200m_{name}.gpkg")
    published = tmp_path / "Filosofi2019_carreaux_200m_gpkg.zip"
    with zipfile.ZipFile(published, "w") as z:
        z.write(seven, seven.name)
    result = read_filosofi(published, communes=["73248", "97209", "97411"])
    found = result.cells.set_index("commune")
    assert sorted(found.index.unique()) == ["73248", "97209", "97411"]
    communes = read_communes().set_index("commune")
    for code in ("97209", "97411"):
        # The cell's centre is within 150 m of the commune's point it was built around.
        cell = found.loc[code].geometry
        point = communes.loc[code]
        assert abs(cell.x - point["lon"]) < 0.002 and abs(cell.y - point["lat"]) < 0.002
    # Read a second time from the extraction kept beside the ZIP.
    again = read_filosofi(published, communes=["97411"])
    assert again.cells["origin_id"].tolist() == found.loc[["97411"], "origin_id"].tolist()


def test_bad_rows_are_rejected_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "carreaux.csv"
    path.write_text(
        "Idcar_200m,Ind,lcog_geo\n"
        "CRS3035RES200mN2520400E4073800,12.5,73248\n"
        "N2520400E4074000,3,73248\n"
        "CRS3035RES200mN2520600E4074000,,73248\n",
        encoding="utf-8",
    )
    result = read_filosofi(path, communes=["73248"])
    assert len(result.cells) == 1
    assert result.rejected[["ligne", "colonne"]].to_dict("records") == [
        {"ligne": 3, "colonne": "idcar_200m"},
        {"ligne": 4, "colonne": "ind"},
    ]


def test_french_numbers_and_unreadable_counts_in_a_csv_grid(tmp_path: Path) -> None:
    """A grid re-saved by a French spreadsheet: "1 234,5" read; "12 hab." rejected with
    its reason, never read as empty; every row accounted for."""
    centre, _ = cell_at("73248")
    hamlet, _ = cell_at("73248", north_m=1200)
    path = tmp_path / "grille.csv"
    path.write_text(
        f"idcar_200m;ind;men;lcog_geo\n{centre};1\u202f234,5;500;73248\n{hamlet};12 hab.;5;73248\n",
        encoding="utf-8",
    )
    result = read_filosofi(path, communes=["73248"])
    assert result.cells["population"].tolist() == [1234.5]
    [row] = result.rejections.frame().to_dict("records")
    assert row["ligne"] == 3 and row["valeur"] == "12 hab."
    assert row["raison"].startswith("nombre d'individus illisible : caractères autres")
    assert result.rejections.rows_read == 2


def test_a_workbook_renamed_as_a_grid_is_refused(tmp_path: Path) -> None:
    corpus = Path(__file__).parents[1] / "data" / "mauvais" / "parquet-renomme.csv"
    with pytest.raises(InputFileError, match="table Parquet"):
        read_filosofi(corpus, communes=["73248"])


def test_a_ragged_or_windows_1252_csv_grid_is_refused_in_french(tmp_path: Path) -> None:
    """A decimal comma in a comma-separated grid (a row with one field too many) and a
    Windows-1252 file stopped the reader with pandas' ParserError and Python's
    UnicodeDecodeError (found by the property test, issue 18 audit)."""
    centre, _ = cell_at("73248")
    hamlet, _ = cell_at("73248", north_m=1200)
    path = tmp_path / "grille.csv"
    path.write_text(
        f"idcar_200m,ind,lcog_geo\n{centre},12.5,73248\n{hamlet},12,5,73248\n", encoding="utf-8"
    )
    with pytest.raises(InputFileError, match="4 champs au lieu de 3") as error:
        read_filosofi(path, communes=["73248"])
    assert error.value.line == 3
    path.write_bytes(f"idcar_200m;ind;lcog_geo\n{centre};12,5;73248 Modane é\n".encode("cp1252"))
    with pytest.raises(InputFileError, match="pas encodé en UTF-8"):
        read_filosofi(path, communes=["73248"])
