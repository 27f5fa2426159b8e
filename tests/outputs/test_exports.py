"""Exports a chargée de mission hands over as they are: QGIS-ready GeoPackage, French CSV
and workbook, a data dictionary, names beside codes, unknown said "non renseigné".

On the built-in Maurienne, as ``maillage diagnostic --sortie`` writes them; the files are
read back with GDAL (pyogrio), sqlite3, the csv reader of pandas and openpyxl.
"""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from maillage.cli.main import cli
from maillage.indicators.classes import ENJEU_CLASSES, time_class_labels
from maillage.outputs.study import read_services
from maillage.schema import RING, TERRITORY


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("etude")
    result = CliRunner().invoke(cli, ["diagnostic", "--sortie", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _styles(folder: Path) -> dict[str, ET.Element]:
    with sqlite3.connect(folder / "diagnostic.gpkg") as db:
        rows = db.execute(
            "SELECT f_table_name, styleQML, useAsDefault FROM layer_styles"
        ).fetchall()
    assert all(default for _, _, default in rows)
    return {name: ET.fromstring(qml.split("\n", 1)[1]) for name, qml, _ in rows}


def test_every_layer_has_a_geometry_and_a_qgis_style(folder: Path) -> None:
    gpkg = folder / "diagnostic.gpkg"
    layers = dict(pyogrio.list_layers(gpkg))
    styles = _styles(folder)
    data_layers = {name: kind for name, kind in layers.items() if name != "layer_styles"}
    assert len(data_layers) >= 10
    for name, kind in data_layers.items():
        assert kind is not None, name
        info = pyogrio.read_info(gpkg, layer=name)
        assert info["geometry_type"] and info["crs"] == "EPSG:2154", name
        assert name in styles, name
    assert set(styles) == set(data_layers)


def test_styles_class_the_layers_like_the_report(folder: Path) -> None:
    gpkg = folder / "diagnostic.gpkg"
    styles = _styles(folder)
    for layer in ("enjeux", "communes", "communes_contours"):
        values = set(pyogrio.read_dataframe(gpkg, layer=layer)["niveau_enjeu"])
        renderer = styles[layer].find("renderer-v2")
        assert renderer is not None and renderer.get("attr") == "niveau_enjeu"
        categories = [c.get("value") for c in renderer.iter("category")]
        assert set(categories) == values
        assert categories == [c for c in ENJEU_CLASSES if c in values]  # report's order
    bassins = pyogrio.read_dataframe(gpkg, layer="bassins_de_services")
    categories = [c.get("value") for c in styles["bassins_de_services"].iter("category")]
    assert set(categories) == set(bassins["bassin"])
    colours = [
        s.find(".//Option[@name='color']").get("value")
        for s in styles["bassins_de_services"].iter("symbol")  # type: ignore[union-attr]
    ]
    assert len(set(colours)) == len(colours)  # distinct colours
    ranges = [r.get("label") for r in styles["temps_par_famille"].iter("range")]
    assert ranges == time_class_labels([7, 15, 20, 30])


def test_exports_speak_french(folder: Path, english_words) -> None:  # type: ignore[no-untyped-def]
    texts: list[str] = []
    for path in sorted((folder / "csv").glob("*.csv")):
        table = pd.read_csv(path, sep=";", decimal=",", dtype=str)
        texts += list(table.columns)
        texts += [str(v) for v in table.to_numpy().ravel() if isinstance(v, str)]
    for layer, _ in pyogrio.list_layers(folder / "diagnostic.gpkg"):
        if layer != "layer_styles":
            texts += list(pyogrio.read_info(folder / "diagnostic.gpkg", layer=layer)["fields"])
    book = openpyxl.load_workbook(folder / "diagnostic.xlsx")
    for sheet in book.worksheets:
        texts += [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    found = {m.group(0) for t in texts for m in english_words.finditer(t)}
    assert not found
    assert not any(re.search(r"(?<!\d)0 habitants", t) for t in texts)  # not "10 000 habitants"
    access = pd.read_csv(folder / "csv" / "acces_par_zone.csv", sep=";", decimal=",")
    assert set(access["saison"]) == {"été", "hiver"}
    assert {"part_a_30_min_ou_plus", "temps_moyen_min", "zone", "code_zone"} <= set(access)


def test_codes_of_the_library_are_french_in_the_exports(folder: Path) -> None:
    # The services' zone and the comparison's France are codes inside the library (the
    # study's own services.parquet), said as before in the CSV and the GeoPackage.
    own = read_services(folder)
    assert set(own["zone"]) == {TERRITORY, RING}
    said = own["zone"].map({TERRITORY: "territoire", RING: "couronne"}).tolist()
    csv = pd.read_csv(folder / "csv" / "services.csv", sep=";", dtype=str)
    layer = pyogrio.read_dataframe(folder / "diagnostic.gpkg", layer="services")
    assert csv["situation"].tolist() == said
    assert layer["situation"].tolist() == said
    comparison = pd.read_csv(folder / "csv" / "comparaison.csv", sep=";", dtype=str)
    france = comparison[comparison["niveau"] == "france"]
    assert len(france) and set(france["zone"]) == {"France métropolitaine"}
    # A folder written before the codes (French zones) reads the same.
    legacy = folder / "ancien"
    legacy.mkdir(exist_ok=True)
    own.assign(zone=said).to_parquet(legacy / "services.parquet", index=False)
    assert read_services(legacy)["zone"].tolist() == own["zone"].tolist()


def test_names_beside_codes_and_unknown_hours(folder: Path) -> None:
    for path in (folder / "csv").glob("*.csv"):
        table = pd.read_csv(path, sep=";", dtype=str)
        if "code_commune" in table:
            assert table["commune"].notna().all(), path.name
        if "code_epci" in table:
            assert table["epci"].str.startswith("Communauté de communes").all(), path.name
    hours = pd.read_csv(folder / "csv" / "horaires_accessibles.csv", sep=";", decimal=",")
    unknown = (hours["services_a_moins_de_20_min"] > 0) & (
        hours["services_aux_horaires_connus"] == 0
    )
    assert unknown.any()  # hospitals publish no hours
    assert (hours.loc[unknown, "samedi_a_moins_de_20_min"] == "non renseigné").all()
    assert hours.loc[unknown, "heures_ouverture_cumulees"].isna().all()
    assert set(hours["samedi_a_moins_de_20_min"]) <= {"oui", "non", "non renseigné"}


def test_workbook_sheets_widths_and_dictionary(folder: Path) -> None:
    book = openpyxl.load_workbook(folder / "diagnostic.xlsx")
    assert book.sheetnames == [
        "Territoire",
        "Services publics et emploi",
        "Accès aux soins",
        "Services à domicile",
        "Jeunesse et parents",
        "Petite enfance et famille",
        "Intercommunalités",
        "Bassins de services",
        "Territoires à enjeux",
        "Comparaison",
        "Dictionnaire des données",
    ]
    epci = pd.DataFrame(list(book["Intercommunalités"].values)[1:])
    assert len(epci) == 5 and epci[1].str.startswith("Communauté de communes").all()
    for sheet in book.worksheets:
        for column in range(1, sheet.max_column + 1):
            letter = openpyxl.utils.get_column_letter(column)
            assert sheet.column_dimensions[letter].width >= 10, (sheet.title, letter)
    rows = list(book["Dictionnaire des données"].values)[1:]
    documented = {(layer, field) for layer, field, meaning in rows if meaning}
    for path in (folder / "csv").glob("*.csv"):
        for field in pd.read_csv(path, sep=";", nrows=0).columns:
            assert (path.stem, field) in documented, (path.stem, field)


def test_docs_dictionary_lists_every_exported_field(folder: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "rapport.md").read_text("utf-8")
    part = doc.split("### Dictionnaire des données")[1]
    documented = set(re.findall(r"^\| `([^`]+)` \|", part, flags=re.MULTILINE))
    fields: set[str] = set()
    for path in (folder / "csv").glob("*.csv"):
        fields |= set(pd.read_csv(path, sep=";", nrows=0).columns)
    for layer, _ in pyogrio.list_layers(folder / "diagnostic.gpkg"):
        if layer != "layer_styles":
            fields |= set(pyogrio.read_info(folder / "diagnostic.gpkg", layer=layer)["fields"])
    assert fields <= documented, sorted(fields - documented)


def test_missing_values_are_null_in_the_geopackage_as_empty_in_the_csv(folder: Path) -> None:
    """A missing address or opening hours is a NULL field, never the text "<NA>".

    Written feature by feature, pandas' missing value in a text column became the
    string "<NA>" (1 861 services of the built-in territory); the CSV wrote it empty.
    """
    services = pyogrio.read_dataframe(folder / "diagnostic.gpkg", layer="services")
    csv = pd.read_csv(folder / "csv" / "services.csv", sep=";", dtype=str)
    for column in ("horaires", "adresse", "accessibilite"):
        assert not (services[column] == "<NA>").any(), column
        assert services[column].isna().sum() == csv[column].isna().sum() > 0, column
    for layer, _ in pyogrio.list_layers(folder / "diagnostic.gpkg"):
        table = pyogrio.read_dataframe(folder / "diagnostic.gpkg", layer=layer, read_geometry=False)
        texts = table.select_dtypes(exclude="number").astype(str)
        assert not (texts == "<NA>").any().any(), layer


def test_csv_writer_equals_pandas_with_decimal_comma(tmp_path: Path) -> None:
    """``write_csv`` (numpy text of floats) writes the bytes pandas writes value by value."""
    from maillage.outputs.french import write_csv

    table = pd.DataFrame(
        {
            "code": ["73001", "73002", "73003", "73004"],
            "minutes": [12.5, float("nan"), 1e16, 0.1 + 0.2],
            "part": pd.array([0.25, None, 1.0, 1 / 3], dtype="Float64"),
            "petit": pd.Series([0.1, 2.5, float("inf"), -0.0], dtype="float32"),
            "nombre": [1, 2, 3, 4],
            "texte": ["a.b", None, "c", "1.5"],
        }
    )
    write_csv(table, tmp_path / "a.csv")
    table.to_csv(tmp_path / "b.csv", sep=";", decimal=",", index=False, encoding="utf-8-sig")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_workbook_written_by_a_second_process_equals_the_one_written_here(
    folder: Path, tmp_path: Path
) -> None:
    """France's workbook is written by a second process: the same cells as in-process."""
    from maillage.outputs.workbook import Sheet, workbook_writer

    book = openpyxl.load_workbook(folder / "diagnostic.xlsx")
    sheets = []
    for sheet in book.worksheets[1:4]:
        rows = list(sheet.values)
        table = pd.DataFrame(rows[1:], columns=[f"c{i}" for i in range(len(rows[0]))])
        sheets.append(Sheet(sheet.title, list(rows[0]), table))
    with workbook_writer(tmp_path / "ici.xlsx", sheets):
        pass
    with workbook_writer(tmp_path / "ailleurs.xlsx", sheets, background_cells=0):
        pass
    here = openpyxl.load_workbook(tmp_path / "ici.xlsx")
    there = openpyxl.load_workbook(tmp_path / "ailleurs.xlsx")
    assert here.sheetnames == there.sheetnames == book.sheetnames[1:4]
    for title in here.sheetnames:
        assert list(here[title].values) == list(there[title].values) == list(book[title].values)


def test_zone_outlines_leave_out_communes_without_coordinates(folder: Path) -> None:
    """Five communes of the COG have no coordinates (``--france``): the territory's and the
    zones' outlines are made of the others, without shapely's "invalid value" warning
    (an error under pytest) and with the same shapes as without those communes."""
    import dataclasses

    import numpy as np
    from shapely.geometry import Point

    from maillage.outputs.exports import _geometry_of, commune_places, exported_tables
    from maillage.outputs.study import read_study

    diagnostic = read_study(folder)
    lost = diagnostic.communes["origin_id"].astype(str).iloc[0]
    communes = diagnostic.communes.copy()
    communes.loc[communes["origin_id"].astype(str) == lost, "geometry"] = Point(np.nan, np.nan)
    without = dataclasses.replace(diagnostic, communes=communes)
    places = commune_places(without)
    places = places.where(places.index != lost, Point(np.nan, np.nan))
    table = exported_tables(diagnostic)["acces_par_zone"]
    shapes = _geometry_of("acces_par_zone", table, without, places)
    kept = places.drop(index=lost)
    assert len(shapes) == len(table)
    territory = shapes[(table["niveau"] == "territoire").to_numpy()]
    assert all(shape.equals(kept.union_all()) for shape in territory)


def test_a_commune_in_no_bassin_has_no_bassin_name(folder: Path) -> None:
    """A commune in no bassin (``--france``: the five without coordinates) is written
    « non renseigné » in the workbook, never « Bassin de <NA> »."""
    import dataclasses

    from maillage.outputs.exports import _sheets, commune_names, exported_tables
    from maillage.outputs.study import read_study
    from maillage.outputs.workbook import column_cells

    diagnostic = read_study(folder)
    bassins = diagnostic.bassins.copy()
    lost = str(bassins["origin_id"].iloc[0])
    bassins.loc[bassins.index[0], ["bassin", "minutes", "pole_rank"]] = [None, None, None]
    without = dataclasses.replace(diagnostic, bassins=bassins)
    tables = exported_tables(without)
    sheets = _sheets(without, tables, commune_names(without), {})
    (sheet,) = [s for s in sheets if s.title == "Bassins de services"]
    row = sheet.table[sheet.table["origin_id"].astype(str) == lost]
    assert column_cells(row["bassin_name"]) == ["non renseigné"]
    assert not sheet.table["bassin_name"].astype(str).str.contains("NA").any()
