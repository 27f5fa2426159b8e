"""Maps of the report: classed choropleths of communes with a cartographer's furniture.

Every map is drawn in Lambert-93 (EPSG:2154) with commune and EPCI boundaries, the names
of the main towns, a scale bar, a north arrow and a classed legend (:mod:`mapclassify`),
in colour-blind-safe palettes: ColorBrewer's ``YlOrRd`` for times (sequential, safe for
the three common colour-vision deficiencies) and the Okabe–Ito qualitative palette for
categories. Neighbouring communes of the buffer ring are drawn in grey for context.

Where no commune polygons are shipped for the territory (they cover Savoie and its
neighbours), communes are drawn as circles sized by population, and the map says so.
"""

from __future__ import annotations

import io
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from maillage.indicators.classes import time_classes as time_classes  # the same classes
from maillage.outputs.palettes import (
    OKABE_ITO as OKABE_ITO,
)
from maillage.outputs.palettes import (
    SUPPLY_PALETTE as SUPPLY_PALETTE,
)
from maillage.outputs.palettes import (
    TIME_PALETTE as TIME_PALETTE,
)
from maillage.outputs.palettes import (
    category_colours as category_colours,
)
from maillage.outputs.palettes import (
    class_colours as class_colours,
)
from maillage.sources.communes import polygons_of, read_commune_polygons
from maillage.territory.territory import Territory

LAMBERT93 = "EPSG:2154"
MatplotlibFigure = Figure
NO_DATA_COLOUR = "#d9d9d9"
NO_DATA_LABEL = "sans donnée"
#: What each map's legend names and which of its classes the communes are drawn in.
_KEYS: weakref.WeakKeyDictionary[Figure, tuple[list[str], list[str]]] = weakref.WeakKeyDictionary()
CONTEXT_COLOUR = "#f2f2f2"


@dataclass
class MapLayers:
    """What every map of a territory draws, in Lambert-93.

    Attributes
    ----------
    communes
        The territory's communes (``origin_id``, ``name``, ``population``, ``epci``),
        polygons when shipped, else points.
    context
        Polygons of the buffer ring's communes (empty without polygons).
    epci
        EPCI boundaries (dissolved commune polygons; empty without polygons).
    towns
        The main towns to label (the most populated communes).
    polygons
        Whether ``communes`` holds polygons.
    """

    communes: gpd.GeoDataFrame
    context: gpd.GeoDataFrame
    epci: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame
    polygons: bool


@dataclass
class Marker:
    """Points drawn over a map with one legend entry (any CRS)."""

    points: gpd.GeoDataFrame
    symbol: str
    colour: str
    label: str


def map_layers(territory: Territory, communes: gpd.GeoDataFrame, *, towns: int = 6) -> MapLayers:
    """The layers of a territory's maps.

    Parameters
    ----------
    territory
        The territory (its buffer ring is drawn for context).
    communes
        The diagnostic's communes (``origin_id``, ``name``, ``population``, ``epci``, points).
    towns
        How many of the most populated communes to label.

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> from maillage.indicators.diagnostic import territory_origins
    >>> t = pays_de_maurienne(buffer_km=5)
    >>> layers = map_layers(t, territory_origins(t))
    >>> layers.polygons, len(layers.communes), layers.communes.crs.to_epsg()
    (True, 53, 2154)
    """
    base = communes[["origin_id", "name", "population", "epci", "geometry"]]
    shapes = polygons_of(base["origin_id"].tolist())
    if shapes is not None:
        frame = gpd.GeoDataFrame(
            base.drop(columns="geometry"), geometry=shapes.to_numpy(), crs=shapes.crs
        ).to_crs(LAMBERT93)
        polygons = read_commune_polygons()
        ring = polygons[polygons["commune"].isin(set(territory.buffer["commune"]))]
        context = ring.to_crs(LAMBERT93)
        epci = frame.dissolve(by="epci", as_index=False)[["epci", "geometry"]]
        has_polygons = True
    else:
        frame = gpd.GeoDataFrame(base, geometry="geometry", crs=communes.crs).to_crs(LAMBERT93)
        context = gpd.GeoDataFrame(geometry=[], crs=LAMBERT93)
        epci = gpd.GeoDataFrame(geometry=[], crs=LAMBERT93)
        has_polygons = False
    main = frame.nlargest(towns, "population")
    labels = gpd.GeoDataFrame(
        main[["origin_id", "name", "population"]],
        geometry=main.representative_point() if has_polygons else main.geometry,
        crs=LAMBERT93,
    )
    return MapLayers(frame.reset_index(drop=True), context, epci, labels, has_polygons)


def quantile_classes(values: pd.Series, *, k: int = 5) -> tuple[pd.Series, list[str]]:
    """Natural-breaks classes (Fisher–Jenks, :mod:`mapclassify`) with French labels.

    Examples
    --------
    >>> classes, labels = quantile_classes(pd.Series([1.0, 2.0, 2.5, 10.0, 11.0, 30.0]), k=3)
    >>> classes.tolist()
    [0.0, 0.0, 0.0, 1.0, 1.0, 2.0]
    >>> labels[0]
    '1 à 2,5'
    """
    present = values.dropna()
    k = max(1, min(k, present.nunique()))
    scheme = mapclassify.FisherJenks(present.to_numpy(float), k=k)
    classes = pd.Series(np.nan, index=values.index)
    classes[present.index] = scheme.yb.astype(float)
    lows = [float(present.min()), *scheme.bins[:-1]]
    labels = [f"{_fr(low)} à {_fr(high)}" for low, high in zip(lows, scheme.bins, strict=True)]
    return classes, labels


def class_map(
    layers: MapLayers,
    values: pd.Series,
    classes: pd.Series,
    labels: Sequence[str],
    *,
    title: str,
    legend_title: str,
    palette: str = TIME_PALETTE,
    note: str | None = None,
    markers: Sequence[Marker] = (),
    no_data_label: str = NO_DATA_LABEL,
    no_data_colour: str = NO_DATA_COLOUR,
    compact: bool = False,
) -> Figure:
    """A classed choropleth of communes (``values``/``classes`` indexed by ``origin_id``).

    ``markers`` are points drawn over the communes, each group with its legend entry
    (services closed or opened by a scenario, sites proposed...). ``no_data_colour``:
    another colour for the communes without a value when that means something (no access).
    """
    figure, ax = _frame(layers, compact=compact)
    colours = class_colours(palette, len(labels))
    by_commune = classes.reindex(layers.communes["origin_id"]).to_numpy(float)
    facecolours = [no_data_colour if np.isnan(c) else to_hex(colours[int(c)]) for c in by_commune]
    _draw_communes(ax, layers, facecolours)
    counts = np.bincount(by_commune[~np.isnan(by_commune)].astype(int), minlength=len(labels))
    label_of = {to_hex(colours[i]): label for i, label in enumerate(labels)}
    label_of[no_data_colour] = no_data_label
    drawn = [label_of[c] for c in dict.fromkeys(facecolours)]
    handles: list[Artist] = [
        Patch(facecolor=colours[i], edgecolor="#555555", label=f"{label} ({counts[i]})")
        for i, label in enumerate(labels)
        if counts[i]  # the legend names the classes on the map, no more
    ]
    if np.isnan(by_commune).any():
        handles.append(Patch(facecolor=no_data_colour, edgecolor="#555555", label=no_data_label))
    for marker in markers:
        if len(marker.points):
            points = marker.points.to_crs(LAMBERT93)
            ax.scatter(
                points.geometry.x,
                points.geometry.y,
                marker=marker.symbol,
                s=90,
                c=marker.colour,
                edgecolors="black",
                linewidths=0.8,
                zorder=5,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=marker.symbol,
                    linestyle="",
                    markersize=8,
                    markerfacecolor=marker.colour,
                    markeredgecolor="black",
                    label=marker.label,
                )
            )
    _finish(figure, ax, layers, title, legend_title, handles, note)
    order = [*labels, no_data_label]
    _KEYS[figure] = (
        [str(h.get_label()) for h in handles if not isinstance(h, Line2D)],
        sorted(drawn, key=order.index),
    )
    return figure


def map_key(figure: Figure) -> tuple[list[str], list[str]]:
    """A map's legend entries (counts left out) and the classes its communes are drawn in.

    Read off the drawn map: the legend's texts and the colours given to the communes.
    Empty for a figure that is not a classed map of this module.
    """
    legend, drawn = _KEYS.get(figure, ([], []))
    return [re.sub(r" \(\d+\)$", "", text) for text in legend], drawn


def category_map(
    layers: MapLayers,
    categories: pd.Series,
    labels: dict[str, str],
    *,
    title: str,
    legend_title: str,
    note: str | None = None,
) -> Figure:
    """Communes coloured by category (``categories`` indexed by ``origin_id``).

    Every category gets its own colour (Okabe–Ito first), so that the legend reads
    without ambiguity.
    """
    figure, ax = _frame(layers)
    by_commune = categories.reindex(layers.communes["origin_id"])
    colour_of = category_colours(by_commune)
    facecolours = [
        NO_DATA_COLOUR if pd.isna(c) else colour_of[str(c)] for c in by_commune.to_numpy()
    ]
    _draw_communes(ax, layers, facecolours, edge="#ffffff")
    order = by_commune.dropna().astype(str).value_counts().index
    handles: list[Artist] = [
        Patch(facecolor=colour_of[c], edgecolor="#555555", label=labels.get(c, c)) for c in order
    ]
    _finish(figure, ax, layers, title, legend_title, handles, note)
    category_of = {colour: labels.get(c, c) for c, colour in colour_of.items()}
    drawn = [category_of[c] for c in dict.fromkeys(facecolours) if c in category_of]
    _KEYS[figure] = ([str(h.get_label()) for h in handles], drawn)
    return figure


def figure_png(figure: Figure, *, dpi: int = 130) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def _frame(layers: MapLayers, *, compact: bool = False) -> tuple[Figure, Axes]:
    minx, miny, maxx, maxy = layers.communes.total_bounds
    # Room for the map at its aspect ratio beside the legend, plus the notes below.
    width_in = 6.0 if compact else 7.2
    height_in = float(
        np.clip(width_in * 0.68 * (maxy - miny) / max(maxx - minx, 1.0) + 1.1, 3.5, 9.5)
    )
    figure = Figure(figsize=(width_in, height_in))
    ax = figure.add_subplot()
    ax.set_axis_off()
    ax.set_aspect("equal")
    margin = 0.04 * max(maxx - minx, maxy - miny)
    if not layers.context.empty:
        layers.context.plot(ax=ax, facecolor=CONTEXT_COLOUR, edgecolor="#c8c8c8", linewidth=0.3)
    ax.set_xlim(minx - margin, maxx + margin)
    ax.set_ylim(miny - margin, maxy + margin)
    return figure, ax


def _draw_communes(
    ax: Axes, layers: MapLayers, facecolours: list[str], *, edge: str = "#7f7f7f"
) -> None:
    if layers.polygons:
        layers.communes.plot(ax=ax, color=facecolours, edgecolor=edge, linewidth=0.4)
        if not layers.epci.empty:
            layers.epci.boundary.plot(ax=ax, color="#252525", linewidth=1.1)
    else:
        population = layers.communes["population"].to_numpy(float)
        sizes = 12 + 300 * np.sqrt(population / max(population.max(), 1.0))
        layers.communes.plot(
            ax=ax, color=facecolours, markersize=sizes, edgecolor="#404040", linewidth=0.4
        )
    halo = [patheffects.withStroke(linewidth=2.6, foreground="white")]
    for town in layers.towns.itertuples():
        ax.annotate(
            str(town.name),
            xy=(town.geometry.x, town.geometry.y),
            ha="center",
            va="center",
            fontsize=7.5,
            fontweight="bold",
            color="#111111",
            path_effects=halo,
        )


def _finish(
    figure: Figure,
    ax: Axes,
    layers: MapLayers,
    title: str,
    legend_title: str,
    handles: Sequence[Artist],
    note: str | None,
) -> None:
    ax.set_title(title, fontsize=11, loc="left")
    ax.legend(
        handles=handles,
        title=legend_title,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        title_fontsize=8.5,
        frameon=False,
        alignment="left",
    )
    _scale_bar(ax)
    _north_arrow(ax)
    notes = ["Fonds : IGN ADMIN EXPRESS (Licence Ouverte) ; Lambert-93."]
    if layers.context.empty is False:
        notes.insert(0, "En gris : communes voisines (couronne).")
    if not layers.polygons:
        notes.insert(0, "Communes figurées par des cercles proportionnels à leur population.")
    if note:
        notes.insert(0, note)
    figure.text(0.01, 0.005, "\n".join(notes), fontsize=6.5, color="#444444", va="bottom")


def _scale_bar(ax: Axes) -> None:
    minx, maxx = ax.get_xlim()
    miny, maxy = ax.get_ylim()
    target = (maxx - minx) / 5
    length = max(
        n for n in (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000) if n <= max(target, 1_000)
    )
    x0 = minx + 0.04 * (maxx - minx)
    y0 = miny + 0.04 * (maxy - miny)
    height = 0.012 * (maxy - miny)
    for i in range(2):
        ax.add_patch(
            Rectangle(
                (x0 + i * length / 2, y0),
                length / 2,
                height,
                facecolor="#000000" if i == 0 else "#ffffff",
                edgecolor="#000000",
                linewidth=0.6,
            )
        )
    ax.text(x0, y0 + 1.8 * height, "0", fontsize=7, ha="center")
    ax.text(x0 + length, y0 + 1.8 * height, f"{length / 1000:g} km", fontsize=7, ha="center")


def _north_arrow(ax: Axes) -> None:
    ax.annotate(
        "N",
        xy=(0.95, 0.97),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 3.5, "headwidth": 10, "headlength": 9},
    )


def _fr(value: float) -> str:
    """A number the French way, with at most one decimal: ``2,5``."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")
