"""Exports of a diagnostic for GIS users and élus: GeoPackage layers, CSV and an XLSX workbook.

* ``diagnostic.gpkg``: one layer per result, French layer names (``communes``,
  ``communes_contours`` where commune polygons are shipped, ``services``,
  ``acces_par_zone``, ``enjeux``...), Lambert-93 for the spatial ones (see
  ``docs/rapport.md``);
* ``csv/*.csv``: the same tables for spreadsheets (``;`` separator, decimal comma,
  UTF-8 with BOM, as French Excel expects);
* ``diagnostic.xlsx``: one sheet per family (French headers, formatted numbers), plus the
  territory's summary and the territoires à enjeux.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from maillage.indicators.diagnostic import Diagnostic
from maillage.outputs.french import export_table, method_label, notes_text
from maillage.services.typology import FAMILIES, load_typology
from maillage.sources.communes import polygons_of

LAMBERT93 = "EPSG:2154"

#: Non-spatial layers of the GeoPackage: layer name → attribute of :class:`Diagnostic`.
TABLE_LAYERS = {
    "acces_par_zone": "access",
    "temps_par_famille": "family_times",
    "horaires_accessibles": "hours",
    "offre_demande_e2sfca": "e2sfca",
    "bassins_de_services": "bassins",
    "enjeux": "enjeux",
    "enjeux_epci": "enjeux_epci",
    "comparaison": "comparison",
}

#: Sheet titles of the families (Excel allows 31 characters).
SHEET_TITLES = {
    "social_emploi": "Services publics et emploi",
    "soins": "Accès aux soins",
    "domicile": "Services à domicile",
    "jeunesse_parents": "Jeunesse et parents",
    "petite_enfance": "Petite enfance et famille",
}

#: French headers of the family sheets, by column.
FAMILY_SHEET_HEADERS = {
    "origin_id": "Code commune",
    "name": "Commune",
    "epci": "EPCI (SIREN)",
    "population": "Population",
    "minutes_ete": "Temps au plus proche, été (min)",
    "minutes_hiver": "Temps au plus proche, hiver (min)",
    "accessibility_per_10000": "Offre pour 10 000 hab. (E2SFCA)",
    "hours_per_week_within": "Heures d'ouverture à moins de 20 min",
    "saturday_within": "Ouvert le samedi à moins de 20 min",
}


def write_exports(
    diagnostic: Diagnostic, services: gpd.GeoDataFrame, folder: str | PathLike[str]
) -> dict[str, Path]:
    """Write the GeoPackage layers, the CSV files and the XLSX workbook into ``folder``.

    Parameters
    ----------
    diagnostic
        The computed diagnostic.
    services
        The services used (written as the ``services`` layer).
    folder
        The study folder (``diagnostic.gpkg`` there is completed, not replaced).

    Returns
    -------
    dict
        ``{"gpkg": ..., "xlsx": ..., "csv": ...}`` paths.
    """
    folder = Path(folder)
    gpkg = folder / "diagnostic.gpkg"
    points = services.drop(columns=["line"], errors="ignore").to_crs(LAMBERT93)
    pyogrio.write_dataframe(points, gpkg, layer="services", driver="GPKG")
    shapes = polygons_of(diagnostic.communes["origin_id"].tolist())
    if shapes is not None:
        # The communes layer again, as polygons, for choropleths in QGIS.
        outlines = pyogrio.read_dataframe(gpkg, layer="communes")
        outlines = gpd.GeoDataFrame(
            outlines.drop(columns="geometry"),
            geometry=shapes.reindex(outlines["origin_id"]).to_numpy(),
            crs=shapes.crs,
        ).to_crs(LAMBERT93)
        pyogrio.write_dataframe(outlines, gpkg, layer="communes_contours", driver="GPKG")
    csv_folder = folder / "csv"
    csv_folder.mkdir(exist_ok=True)
    for layer, attribute in TABLE_LAYERS.items():
        table = export_table(getattr(diagnostic, attribute))
        if table.empty:
            continue
        pyogrio.write_dataframe(pd.DataFrame(table), gpkg, layer=layer, driver="GPKG")
        table.to_csv(
            csv_folder / f"{layer}.csv", sep=";", decimal=",", index=False, encoding="utf-8-sig"
        )
    xlsx = folder / "diagnostic.xlsx"
    _workbook(diagnostic).save(xlsx)
    return {"gpkg": gpkg, "xlsx": xlsx, "csv": csv_folder}


def family_sheet(diagnostic: Diagnostic, family: str) -> pd.DataFrame:
    """One row per commune for one family, with the columns of :data:`FAMILY_SHEET_HEADERS`."""
    communes = diagnostic.communes[["origin_id", "name", "epci", "population"]]
    family_times = export_table(diagnostic.family_times)
    times = (
        family_times[family_times["family"] == family]
        .pivot_table(index="origin_id", columns="saison", values="minutes")
        .add_prefix("minutes_")
    )
    table = communes.join(times, on="origin_id")
    supply = diagnostic.e2sfca[diagnostic.e2sfca["family"] == family]
    table = table.merge(
        supply[["origin_id", "accessibility_per_10000"]], on="origin_id", how="left"
    )
    hours = diagnostic.hours[diagnostic.hours["family"] == family]
    table = table.merge(
        hours[["origin_id", "hours_per_week_within", "saturday_within"]], on="origin_id", how="left"
    )
    for column in FAMILY_SHEET_HEADERS:
        if column not in table:
            table[column] = pd.NA
    return pd.DataFrame(table[list(FAMILY_SHEET_HEADERS)]).sort_values("origin_id")


def _workbook(diagnostic: Diagnostic) -> Workbook:
    typology = load_typology()
    book = Workbook()
    summary = book.active
    summary.title = "Territoire"
    summary.append([diagnostic.territory.name])
    summary.append(["Méthode des temps", method_label(diagnostic.method)])
    summary.append(["Population", int(diagnostic.communes["population"].sum())])
    for note in notes_text(diagnostic.notes):
        summary.append(["Note", note])
    summary["A1"].font = Font(bold=True, size=14)
    present = {str(f) for f in diagnostic.family_times["family"]}
    # The families in the schéma's order (that of the report), then any other.
    for family in [f for f in FAMILIES if f in present] + sorted(present - set(FAMILIES)):
        label = SHEET_TITLES.get(family, typology.family_labels.get(family, family))
        sheet = book.create_sheet(_sheet_title(label))
        table = family_sheet(diagnostic, family)
        sheet.append([FAMILY_SHEET_HEADERS[c] for c in table.columns])
        for row in table.itertuples(index=False):
            sheet.append([_cell(value) for value in row])
        _format(sheet, table)
    enjeux = book.create_sheet("Territoires à enjeux")
    names = diagnostic.communes.set_index("origin_id")["name"]
    enjeux.append(["Rang", "Code commune", "Commune", "Score", "Classe", "Raisons"])
    for row in diagnostic.enjeux.itertuples():
        enjeux.append(
            [
                int(row.rank),
                row.origin_id,
                names.get(row.origin_id),
                float(row.score),
                row.classe,
                row.raisons,
            ]
        )
    for cell in enjeux["D"][1:]:
        cell.number_format = "0.00"
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    return book


def _format(sheet: object, table: pd.DataFrame) -> None:
    formats = {
        "population": "# ##0",
        "minutes_ete": "0.0",
        "minutes_hiver": "0.0",
        "accessibility_per_10000": "0.0",
        "hours_per_week_within": "0.0",
    }
    for position, column in enumerate(table.columns, start=1):
        letter = get_column_letter(position)
        width = max(12, len(FAMILY_SHEET_HEADERS[column]) + 2)
        sheet.column_dimensions[letter].width = width  # type: ignore[attr-defined]
        if column in formats:
            for cell in sheet[letter][1:]:  # type: ignore[index]
                cell.number_format = formats[column]


def _sheet_title(label: str) -> str:
    """Excel sheet titles: at most 31 characters, no ``[]:*?/\\``."""
    for character in "[]:*?/\\":
        label = label.replace(character, " ")
    return label[:31]


def _cell(value: object) -> object:
    if value is pd.NA or value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()  # numpy scalar → Python
    return value
