"""QGIS styles stored in the GeoPackage, so that each layer opens classed like the report.

QGIS reads a layer's default style from the GeoPackage table ``layer_styles`` (columns
``f_table_name``, ``f_geometry_column``, ``styleName``, ``styleQML``, ``styleSLD``,
``useAsDefault``...), the table QGIS itself writes with *Save as default → Datasource
database*. :func:`categorized_qml` and :func:`graduated_qml` write the QML of a
categorised and a graduated renderer with the report's classes, labels and colours;
:func:`write_layer_styles` stores them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from xml.sax.saxutils import quoteattr

import pandas as pd
import pyogrio
from matplotlib.colors import to_rgba

#: Upper bound of an open last class (a time "30 min and more").
OPEN_END = 1e9


@dataclass(frozen=True)
class Style:
    """The default QGIS style of a layer: its QML and a French description."""

    qml: str
    description: str


def _rgba(colour: str) -> str:
    red, green, blue, alpha = (round(255 * c) for c in to_rgba(colour))
    return f"{red},{green},{blue},{alpha}"


def _symbol(name: str, colour: str, geometry: str) -> str:
    if geometry == "point":
        options = {
            "name": "circle",
            "color": _rgba(colour),
            "outline_color": "35,35,35,255",
            "size": "2.4",
        }
        kind, layer = "marker", "SimpleMarker"
    else:
        options = {
            "color": _rgba(colour),
            "outline_color": "127,127,127,255",
            "outline_width": "0.2",
            "style": "solid",
        }
        kind, layer = "fill", "SimpleFill"
    body = "".join(
        f'<Option name={quoteattr(k)} type="QString" value={quoteattr(v)}/>'
        for k, v in options.items()
    )
    return (
        f'<symbol type="{kind}" name={quoteattr(name)} alpha="1" clip_to_extent="1">'
        f'<layer class="{layer}" enabled="1" locked="0" pass="0">'
        f'<Option type="Map">{body}</Option></layer></symbol>'
    )


def _document(renderer: str) -> str:
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="3.28.0" styleCategories="Symbology">{renderer}</qgis>\n'
    )


def categorized_qml(
    field: str, categories: Sequence[tuple[str, str, str]], *, geometry: str = "polygon"
) -> str:
    """QML of a categorised renderer: ``(value, label, colour)`` per category.

    Examples
    --------
    >>> qml = categorized_qml("niveau_enjeu", [("fort", "enjeu fort", "#fd8d3c")])
    >>> 'attr="niveau_enjeu"' in qml and 'value="fort"' in qml and "253,141,60,255" in qml
    True
    """
    rows = "".join(
        f'<category value={quoteattr(value)} label={quoteattr(label)} symbol="{i}" render="true"/>'
        for i, (value, label, _) in enumerate(categories)
    )
    symbols = "".join(_symbol(str(i), c, geometry) for i, (_, _, c) in enumerate(categories))
    return _document(
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" '
        f'enableorderby="0" forceraster="0"><categories>{rows}</categories>'
        f"<symbols>{symbols}</symbols></renderer-v2>"
    )


def graduated_qml(
    field: str,
    ranges: Sequence[tuple[float, float, str, str]],
    *,
    geometry: str = "polygon",
) -> str:
    """QML of a graduated renderer: ``(lower, upper, label, colour)`` per class.

    Examples
    --------
    >>> qml = graduated_qml("temps_min", [(0, 7, "moins de 7 min", "#ffffb2")])
    >>> '<range lower="0" upper="7" label="moins de 7 min"' in qml
    True
    """
    rows = "".join(
        f'<range lower="{lower:g}" upper="{upper:g}" label={quoteattr(label)} symbol="{i}" '
        'render="true"/>'
        for i, (lower, upper, label, _) in enumerate(ranges)
    )
    symbols = "".join(_symbol(str(i), c, geometry) for i, (_, _, _, c) in enumerate(ranges))
    return _document(
        f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(field)} '
        'graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" '
        f'forceraster="0"><ranges>{rows}</ranges><symbols>{symbols}</symbols></renderer-v2>'
    )


def write_layer_styles(
    gpkg: str | PathLike[str], styles: Mapping[str, Style], *, geometry_column: str = "geom"
) -> None:
    """Store each layer's default style in the GeoPackage's ``layer_styles`` table.

    The table is written as QGIS writes it (registered in ``gpkg_contents``, one row
    per layer, ``useAsDefault`` true), replacing an earlier one.
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    table = pd.DataFrame(
        {
            "f_table_catalog": "",
            "f_table_schema": "",
            "f_table_name": list(styles),
            "f_geometry_column": geometry_column,
            "styleName": list(styles),
            "styleQML": [s.qml for s in styles.values()],
            "styleSLD": "",
            "useAsDefault": True,
            "description": [s.description for s in styles.values()],
            "owner": "maillage",
            "ui": "",
            "update_time": pd.Series([now] * len(styles), dtype="datetime64[ms]"),
        }
    )
    pyogrio.write_dataframe(table, gpkg, layer="layer_styles", driver="GPKG")
