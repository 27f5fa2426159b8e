"""Exports of a diagnostic for GIS users and élus: GeoPackage layers, CSV and an XLSX workbook.

Every exported file speaks French (field names and values from
:mod:`maillage.outputs.dictionary`, names beside codes) and says an unknown value
``non renseigné`` or leaves it empty, never 0 nor *False*.

* ``diagnostic.gpkg``: one layer per result, each with its geometry in Lambert-93 (the
  commune's polygon where shipped, else its point; the zone's outline for zone tables),
  and a default QGIS style per layer in ``layer_styles`` with the report's classes
  and colours (see ``docs/rapport.md``);
* ``csv/*.csv``: the same tables for spreadsheets (``;`` separator, decimal comma,
  UTF-8 with BOM, as French Excel expects);
* ``diagnostic.xlsx``: the territory's summary, one sheet per family, the
  intercommunalités, the bassins de services, the territoires à enjeux, the comparison
  and the data dictionary (French headers, formatted numbers, column widths).
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from maillage.indicators.classes import ENJEU_CLASSES, time_class_labels
from maillage.indicators.diagnostic import Diagnostic
from maillage.outputs.dictionary import dictionary, field_name, french_table, with_names
from maillage.outputs.french import (
    EXPORT_CODES,
    UNKNOWN,
    beyond_column,
    enjeux_french,
    export_table,
    method_label,
    notes_text,
    write_csv,
)
from maillage.outputs.palettes import (
    OKABE_ITO,
    SUPPLY_PALETTE,
    TIME_PALETTE,
    category_colours,
    class_colours,
)
from maillage.outputs.qgis_styles import (
    OPEN_END,
    Style,
    categorized_qml,
    graduated_qml,
    write_layer_styles,
)
from maillage.outputs.workbook import Sheet, workbook_writer
from maillage.services.typology import FAMILIES, load_typology
from maillage.sources.communes import polygons_of, read_epci

LAMBERT93 = "EPSG:2154"

#: Tables of the GeoPackage and the CSV files: layer name → attribute of :class:`Diagnostic`.
TABLE_LAYERS = {
    "acces_par_zone": "access",
    "temps_par_famille": "family_times",
    "horaires_accessibles": "hours",
    "offre_demande_e2sfca": "e2sfca",
    "bassins_de_services": "bassins",
    "enjeux": "enjeux",
    "enjeux_epci": "enjeux_epci",
}
#: Tables without a place (the territory against its département and France): CSV and
#: XLSX only.
CSV_ONLY = {"comparaison": "comparison"}

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
    "epci_name": "Intercommunalité",
    "epci": "SIREN de l'EPCI",
    "population": "Population",
    "minutes_ete": "Temps au plus proche, été (min)",
    "minutes_hiver": "Temps au plus proche, hiver (min)",
    "accessibility_per_10000": "Offre pour 10 000 hab. (E2SFCA)",
    "hours_per_week_within": "Heures d'ouverture cumulées des services à moins de 20 min",
    "saturday_within": "Service ouvert le samedi à moins de 20 min",
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
    names = commune_names(diagnostic)
    places = commune_places(diagnostic)
    # The communes layer of the study, again, in French; and on polygons for choropleths.
    communes = pyogrio.read_dataframe(gpkg, layer="communes")
    attributes = pd.DataFrame(communes.drop(columns="geometry"))
    points = services.drop(columns=["line"], errors="ignore").to_crs(LAMBERT93)
    points.to_parquet(folder / "services.parquet", index=False)  # the study's own table
    points = points.rename(
        columns={"zone": "service_zone", "name": "service_name", "commune": "origin_id"}
    )
    if "service_zone" in points:
        points["service_zone"] = points["service_zone"].replace(EXPORT_CODES["service_zone"])
    points.insert(
        points.columns.get_loc("type") + 1,
        "type_label",
        points["type"].map(load_typology().types.set_index("type")["label"])
        if "label" in load_typology().types
        else points["type"],
    )
    tables = exported_tables(diagnostic)
    extra_layers = {
        "communes": with_names(attributes, names),
        "services": with_names(pd.DataFrame(points.drop(columns="geometry")), names),
    }
    xlsx = folder / "diagnostic.xlsx"
    # The workbook is written (in a second process when large) while the layers are.
    with workbook_writer(xlsx, _sheets(diagnostic, tables, names, extra_layers)):
        styles: dict[str, Style] = {}
        _write(gpkg, "communes", attributes, communes.geometry.to_crs(LAMBERT93), names)
        styles["communes"] = _enjeux_style(attributes, "point")
        if places.geom_type.isin(["Polygon", "MultiPolygon"]).all():
            contours = places.reindex(attributes["origin_id"])
            _write(gpkg, "communes_contours", attributes, contours, names)
            styles["communes_contours"] = _enjeux_style(attributes, "polygon")
        geometry_kind = "polygon" if places.geom_type.str.contains("Polygon").all() else "point"
        service_table = pd.DataFrame(points.drop(columns="geometry"))
        _write(gpkg, "services", service_table, points.geometry, names)
        styles["services"] = _families_style(points)
        csv_folder = folder / "csv"
        csv_folder.mkdir(exist_ok=True)
        write_csv(french_table(service_table, names), csv_folder / "services.csv")
        for layer, table in tables.items():
            if table.empty:
                continue
            if layer in TABLE_LAYERS:
                geometry = _geometry_of(layer, table, diagnostic, places)
                _write(gpkg, layer, table, geometry, names)
                styles[layer] = _style(layer, table, diagnostic, geometry_kind)
            write_csv(french_table(table, names), csv_folder / f"{layer}.csv")
        write_layer_styles(gpkg, styles)
    return {"gpkg": gpkg, "xlsx": xlsx, "csv": csv_folder}


def exported_tables(diagnostic: Diagnostic) -> dict[str, pd.DataFrame]:
    """The diagnostic's tables as exported (internal columns), unknown hours said so.

    Opening-hours figures of a commune whose services within reach publish no hours are
    unknown (NaN, ``non renseigné``), not 0 hours nor "closed on Saturday".
    """
    tables = {
        layer: export_table(getattr(diagnostic, attribute))
        for layer, attribute in {**TABLE_LAYERS, **CSV_ONLY}.items()
    }
    hours = tables["horaires_accessibles"].copy()
    if not hours.empty:
        unknown = (hours["services_within"] > 0) & (hours["services_with_hours"] == 0)
        hours["hours_per_week_within"] = (
            hours["hours_per_week_within"].astype(float).where(~unknown)
        )
        for column in ("saturday_within", "after_18h_within"):
            hours[column] = hours[column].astype(object).where(~unknown, None)
        tables["horaires_accessibles"] = hours
    return tables


def commune_names(diagnostic: Diagnostic) -> dict[str, str]:
    """Names of the territory's and the ring's communes, by code."""
    ring = diagnostic.territory.buffer
    names = dict(zip(ring["commune"].astype(str), ring["name"].astype(str), strict=True))
    names.update(
        zip(
            diagnostic.communes["origin_id"].astype(str),
            diagnostic.communes["name"].astype(str),
            strict=True,
        )
    )
    return names


def commune_places(diagnostic: Diagnostic) -> gpd.GeoSeries:
    """Each commune's place in Lambert-93, by code: its polygon where shipped, else its point."""
    codes = diagnostic.communes["origin_id"].astype(str).tolist()
    shapes = polygons_of(codes)
    if shapes is not None:
        return shapes.to_crs(LAMBERT93)
    points = diagnostic.communes.set_index(diagnostic.communes["origin_id"].astype(str)).geometry
    return gpd.GeoSeries(points, crs=diagnostic.communes.crs).to_crs(LAMBERT93)


def _geometry_of(
    layer: str, table: pd.DataFrame, diagnostic: Diagnostic, places: gpd.GeoSeries
) -> gpd.GeoSeries:
    """The geometry of each row: its commune, or the outline of its zone."""
    if "origin_id" in table:
        return gpd.GeoSeries(
            places.reindex(table["origin_id"].astype(str)).to_numpy(), crs=LAMBERT93
        )
    communes = diagnostic.communes.assign(origin_id=diagnostic.communes["origin_id"].astype(str))
    geometry = gpd.GeoDataFrame(
        communes.drop(columns="geometry"),
        geometry=places.reindex(communes["origin_id"]).to_numpy(),
        crs=LAMBERT93,
    )
    # Communes without coordinates (five in the COG) have no place in any outline.
    geometry = geometry[np.isfinite(geometry.geometry.bounds.to_numpy()).all(axis=1)]
    if layer == "enjeux_epci":
        outlines = geometry.dissolve(by="epci").geometry
        return gpd.GeoSeries(outlines.reindex(table["epci"]).to_numpy(), crs=LAMBERT93)
    shapes = []
    union = geometry.union_all()
    outlines = {
        level: geometry.dissolve(by=level).geometry for level in ("epci", "bassin_vie", "canton")
    }
    for level, zone in zip(table["niveau"], table["zone"], strict=True):
        shapes.append(union if level == "territoire" else outlines[level].get(zone))
    return gpd.GeoSeries(shapes, crs=LAMBERT93)


def _write(
    gpkg: Path,
    layer: str,
    table: pd.DataFrame,
    geometry: gpd.GeoSeries,
    names: dict[str, str],
) -> None:
    french = french_table(table.drop(columns=["geometry"], errors="ignore"), names)
    frame = gpd.GeoDataFrame(
        french.reset_index(drop=True), geometry=geometry.to_numpy(), crs=LAMBERT93
    )
    # Through Arrow: the same layer, written twice as fast as feature by feature.
    pyogrio.write_dataframe(frame, gpkg, layer=layer, driver="GPKG", use_arrow=True)


def _enjeux_style(table: pd.DataFrame, geometry: str) -> Style:
    colours = class_colours(TIME_PALETTE, len(ENJEU_CLASSES))
    present = set(table["classe"].dropna()) if "classe" in table else set()
    categories = [
        (c, f"enjeu {c}", colour)
        for c, colour in zip(ENJEU_CLASSES, colours, strict=True)
        if c in present
    ]
    return Style(
        categorized_qml(field_name("classe"), categories, geometry=geometry),
        "Niveau d'enjeu (carte « Territoires à enjeux » du rapport)",
    )


def _families_style(points: gpd.GeoDataFrame) -> Style:
    labels = load_typology().family_labels
    present = [f for f in FAMILIES if f in set(points["family"].dropna())]
    categories = [
        (labels.get(f, f), labels.get(f, f), OKABE_ITO[i % len(OKABE_ITO)])
        for i, f in enumerate(present)
    ]
    return Style(
        categorized_qml(field_name("family"), categories, geometry="point"),
        "Services par famille",
    )


def time_ranges(thresholds: tuple[float, ...]) -> list[tuple[float, float, str, str]]:
    """The report's time classes as QGIS ranges (a time equal to a threshold is beyond it).

    Examples
    --------
    >>> [r[:3] for r in time_ranges((7.0, 15.0))]
    [(0.0, 6.999, 'moins de 7 min'), (7.0, 14.999, '7 à 15 min'),
     (15.0, 1000000000.0, '15 min et plus')]
    """
    edges = [0.0, *sorted(thresholds)]
    labels = time_class_labels(thresholds)
    colours = class_colours(TIME_PALETTE, len(labels))
    uppers = [t - 0.001 for t in edges[1:]] + [OPEN_END]
    return [
        (low, high, label, colour)
        for low, high, label, colour in zip(edges, uppers, labels, colours, strict=True)
    ]


def _style(layer: str, table: pd.DataFrame, diagnostic: Diagnostic, geometry: str) -> Style:
    thresholds = diagnostic.thresholds_minutes
    if layer == "temps_par_famille":
        return Style(
            graduated_qml(field_name("minutes"), time_ranges(thresholds), geometry=geometry),
            "Temps au service le plus proche, classes aux seuils du rapport (filtrer par "
            "famille et saison)",
        )
    if layer == "enjeux":
        return _enjeux_style(table, geometry)
    if layer == "bassins_de_services":
        names = commune_names(diagnostic)
        categories = [
            (f"Bassin de {names.get(c, c)}", f"Bassin de {names.get(c, c)}", colour)
            for c, colour in category_colours(table["bassin"]).items()
        ]
        return Style(
            categorized_qml(field_name("bassin_name"), categories, geometry=geometry),
            "Bassins de services (carte du rapport)",
        )
    if layer == "offre_demande_e2sfca":
        values = table["accessibility_per_10000"].dropna().to_numpy(float)
        edges = (
            np.unique(np.quantile(values, [0, 0.2, 0.4, 0.6, 0.8, 1.0]))
            if len(values)
            else [0.0, 1.0]
        )
        colours = class_colours(SUPPLY_PALETTE, max(len(edges) - 1, 1))
        ranges = [
            (float(lo), float(hi), f"{lo:.1f} à {hi:.1f}".replace(".", ","), c)
            for lo, hi, c in zip(edges[:-1], edges[1:], colours, strict=False)
        ]
        return Style(
            graduated_qml(field_name("accessibility_per_10000"), ranges, geometry=geometry),
            "Offre accessible pour 10 000 habitants (quintiles ; filtrer par famille)",
        )
    if layer == "horaires_accessibles":
        categories = [
            ("oui", "ouvert le samedi", "#1a9850"),
            ("non", "pas d'ouverture le samedi", "#d73027"),
            (UNKNOWN, UNKNOWN, "#bdbdbd"),
        ]
        return Style(
            categorized_qml(field_name("saturday_within"), categories, geometry=geometry),
            "Service ouvert le samedi à moins de 20 min (filtrer par famille)",
        )
    last = max(thresholds)
    if layer == "acces_par_zone":
        bounds = [0.0, 0.05, 0.15, 0.3, 0.5, 1.0]
        colours = class_colours(TIME_PALETTE, len(bounds) - 1)
        ranges = [
            (lo, hi, f"{lo:.0%} à {hi:.0%}".replace("%", "\u202f%"), c)
            for lo, hi, c in zip(bounds[:-1], bounds[1:], colours, strict=True)
        ]
        return Style(
            graduated_qml(field_name(beyond_column("share", last)), ranges, geometry="polygon"),
            f"Part de la population à {last:g} min ou plus (filtrer par niveau, famille, saison)",
        )
    scores = table["score"].dropna().to_numpy(float)
    edges = np.unique(np.quantile(scores, [0, 0.25, 0.5, 0.75, 1.0])) if len(scores) else [0.0, 1.0]
    colours = class_colours(TIME_PALETTE, max(len(edges) - 1, 1))
    ranges = [
        (float(lo), float(hi), f"{lo:.2f} à {hi:.2f}".replace(".", ","), c)
        for lo, hi, c in zip(edges[:-1], edges[1:], colours, strict=False)
    ]
    return Style(
        graduated_qml(field_name("score"), ranges, geometry="polygon"),
        "Score d'enjeu des intercommunalités",
    )


def family_sheet(
    diagnostic: Diagnostic, family: str, tables: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """One row per commune for one family, with the columns of :data:`FAMILY_SHEET_HEADERS`.

    ``tables``: :func:`exported_tables` of ``diagnostic``, when already at hand.
    """
    tables = exported_tables(diagnostic) if tables is None else tables
    communes = diagnostic.communes[["origin_id", "name", "epci", "population"]].copy()
    communes.insert(2, "epci_name", communes["epci"].map(read_epci().set_index("epci")["name"]))
    family_times = tables["temps_par_famille"]
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
    hours = tables["horaires_accessibles"]
    hours = hours[hours["family"] == family] if not hours.empty else hours
    if not hours.empty:
        table = table.merge(
            hours[["origin_id", "hours_per_week_within", "saturday_within"]],
            on="origin_id",
            how="left",
        )
    for column in FAMILY_SHEET_HEADERS:
        if column not in table:
            table[column] = pd.NA
    return pd.DataFrame(table[list(FAMILY_SHEET_HEADERS)]).sort_values("origin_id")


def epci_sheet(diagnostic: Diagnostic) -> pd.DataFrame:
    """One row per intercommunalité: communes, population, enjeux, and for each family the
    median time and the share at the last threshold or more (the figures of its fiche)."""
    names = read_epci().set_index("epci")["name"]
    communes = diagnostic.communes
    frame = communes.groupby("epci").agg(
        communes=("origin_id", "size"), population=("population", "sum")
    )
    frame.insert(0, "Intercommunalité", frame.index.map(names))
    frame = frame.join(diagnostic.enjeux_epci.set_index("epci")[["score", "rank"]])
    last = max(diagnostic.thresholds_minutes)
    access = export_table(diagnostic.access)
    labels = load_typology().family_labels
    for family in FAMILIES:
        part = access[
            (access["niveau"] == "epci")
            & (access["family"] == family)
            & (access["saison"] == "ete")
        ].set_index("zone")
        if part.empty:
            continue
        label = labels.get(family, family)
        frame[f"{label} : temps médian (min)"] = part["median_minutes"]
        frame[f"{label} : part à {last:g} min ou plus"] = part[beyond_column("share", last)]
    frame = frame.reset_index().rename(
        columns={
            "epci": "SIREN",
            "communes": "Communes",
            "population": "Population",
            "score": "Score d'enjeu",
            "rank": "Rang d'enjeu",
        }
    )
    return frame.sort_values("Population", ascending=False).reset_index(drop=True)


def _sheets(
    diagnostic: Diagnostic,
    tables: dict[str, pd.DataFrame],
    names: dict[str, str],
    extra_layers: dict[str, pd.DataFrame],
) -> list[Sheet]:
    typology = load_typology()
    summary = [
        ("Méthode des temps", method_label(diagnostic.method)),
        ("Population", int(diagnostic.communes["population"].sum())),
        ("Communes", len(diagnostic.communes)),
        ("Intercommunalités", int(diagnostic.communes["epci"].nunique())),
    ] + [("Note", note) for note in notes_text(diagnostic.notes)]
    sheets = [
        Sheet(
            "Territoire",
            [diagnostic.territory.name],
            pd.DataFrame(summary, columns=["label", "value"], dtype=object),
            title_row=True,
        )
    ]
    present = {str(f) for f in diagnostic.family_times["family"]}
    # The families in the schéma's order (that of the report), then any other.
    for family in [f for f in FAMILIES if f in present] + sorted(present - set(FAMILIES)):
        label = SHEET_TITLES.get(family, typology.family_labels.get(family, family))
        table = family_sheet(diagnostic, family, tables)
        headers = [FAMILY_SHEET_HEADERS[c] for c in table.columns]
        sheets.append(Sheet(label, headers, table, frozenset({"saturday_within"})))
    epci = epci_sheet(diagnostic)
    sheets.append(Sheet("Intercommunalités", list(epci.columns), epci))
    bassins = tables["bassins_de_services"].merge(
        diagnostic.communes[["origin_id", "population"]], on="origin_id", how="left"
    )
    bassins = bassins.assign(
        name=bassins["origin_id"].map(names),
        bassin_name=bassins["bassin"].map(
            lambda c: f"Bassin de {names.get(c, c)}", na_action="ignore"
        ),
    )[["origin_id", "name", "population", "bassin_name", "bassin", "minutes", "pole_rank"]]
    sheets.append(
        Sheet(
            "Bassins de services",
            [
                "Code commune",
                "Commune",
                "Population",
                "Bassin de services",
                "Code commune pôle",
                "Temps au pôle (min)",
                "Rang du pôle (1 : le plus rapide)",
            ],
            bassins.sort_values(["bassin_name", "minutes"]),
        )
    )
    enjeux = enjeux_french(diagnostic.enjeux).merge(
        diagnostic.communes[["origin_id", "name", "epci", "population"]], on="origin_id"
    )
    enjeux = enjeux.assign(epci_name=enjeux["epci"].map(read_epci().set_index("epci")["name"]))
    sheets.append(
        Sheet(
            "Territoires à enjeux",
            [
                "Rang",
                "Code commune",
                "Commune",
                "Intercommunalité",
                "Population",
                "Score",
                "Niveau",
                "Raisons",
            ],
            enjeux.sort_values(["rank", "origin_id"])[
                [
                    *["rank", "origin_id", "name", "epci_name"],
                    *["population", "score", "classe", "raisons"],
                ]
            ],
        )
    )
    comparison = tables["comparaison"]
    if not comparison.empty:
        french = french_table(comparison, names)
        sheets.append(Sheet("Comparaison", list(french.columns), french))
    layers = {layer: with_names(t, names) for layer, t in tables.items() if not t.empty}
    meaning = dictionary({**extra_layers, **layers})
    sheets.append(
        Sheet(
            "Dictionnaire des données",
            ["Couche ou fichier", "Champ", "Signification"],
            meaning,
        )
    )
    return sheets
