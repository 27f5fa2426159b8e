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
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from matplotlib import colormaps, patheffects
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from maillage.sources.communes import polygons_of, read_commune_polygons
from maillage.territory.territory import Territory

LAMBERT93 = "EPSG:2154"
#: Okabe & Ito (2008) qualitative palette, safe for colour-vision deficiencies.
OKABE_ITO = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#999999",
)
#: Sequential palette of travel times (ColorBrewer, colour-blind safe).
TIME_PALETTE = "YlOrRd"
#: Sequential palette of supply indicators (higher is better: dark = more supply).
SUPPLY_PALETTE = "YlGnBu"
NO_DATA_COLOUR = "#d9d9d9"
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


def time_classes(
    values: pd.Series, thresholds_minutes: Sequence[float]
) -> tuple[pd.Series, list[str]]:
    """Class of each time by the report's thresholds, and the legend's labels.

    Classes are ``[0, t1[, [t1, t2[ … [tn, ∞[`` (a time equal to a threshold is beyond it,
    as in the access indicators); NaN stays NaN.

    Examples
    --------
    >>> classes, labels = time_classes(pd.Series([3.0, 7.0, 40.0, np.nan]), [7, 15])
    >>> classes.tolist(), labels
    ([0.0, 1.0, 2.0, nan], ['moins de 7 min', '7 à 15 min', '15 min et plus'])
    """
    edges = sorted(float(t) for t in thresholds_minutes)
    labels = [f"moins de {edges[0]:g} min"]
    labels += [f"{low:g} à {high:g} min" for low, high in itertools.pairwise(edges)]
    labels.append(f"{edges[-1]:g} min et plus")
    classes = pd.Series(
        np.searchsorted(edges, values.to_numpy(float), side="right"), index=values.index
    )
    return classes.astype(float).where(values.notna()), labels


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
) -> Figure:
    """A classed choropleth of communes (``values``/``classes`` indexed by ``origin_id``).

    ``markers`` are points drawn over the communes, each group with its legend entry
    (services closed or opened by a scenario, sites proposed...).
    """
    figure, ax = _frame(layers)
    colours = colormaps[palette](np.linspace(0.12, 0.92, len(labels)))
    by_commune = classes.reindex(layers.communes["origin_id"]).to_numpy(float)
    facecolours = [NO_DATA_COLOUR if np.isnan(c) else to_hex(colours[int(c)]) for c in by_commune]
    _draw_communes(ax, layers, facecolours)
    counts = np.bincount(by_commune[~np.isnan(by_commune)].astype(int), minlength=len(labels))
    handles: list[Artist] = [
        Patch(facecolor=colours[i], edgecolor="#555555", label=f"{label} ({counts[i]})")
        for i, label in enumerate(labels)
    ]
    if np.isnan(by_commune).any():
        handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#555555", label="sans donnée"))
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
    return figure


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

    Neighbouring categories get different colours (greedy colouring of the adjacency of
    the categories' areas, Okabe–Ito palette).
    """
    figure, ax = _frame(layers)
    by_commune = categories.reindex(layers.communes["origin_id"])
    colour_of = _colouring(layers, by_commune)
    facecolours = [
        NO_DATA_COLOUR if pd.isna(c) else colour_of[str(c)] for c in by_commune.to_numpy()
    ]
    _draw_communes(ax, layers, facecolours, edge="#ffffff")
    order = by_commune.dropna().astype(str).value_counts().index
    handles: list[Artist] = [
        Patch(facecolor=colour_of[c], edgecolor="#555555", label=labels.get(c, c)) for c in order
    ]
    _finish(figure, ax, layers, title, legend_title, handles, note)
    return figure


def figure_png(figure: Figure, *, dpi: int = 130) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def _frame(layers: MapLayers) -> tuple[Figure, Axes]:
    minx, miny, maxx, maxy = layers.communes.total_bounds
    # Room for the map at its aspect ratio beside the legend, plus the notes below.
    height_in = float(np.clip(7.2 * 0.68 * (maxy - miny) / max(maxx - minx, 1.0) + 1.1, 4.0, 9.5))
    figure = Figure(figsize=(7.2, height_in))
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


def _colouring(layers: MapLayers, by_commune: pd.Series) -> dict[str, str]:
    """Greedy colouring: each category gets the first colour its near neighbours don't use."""
    frame = layers.communes.assign(category=by_commune.to_numpy()).dropna(subset=["category"])
    frame["category"] = frame["category"].astype(str)
    areas = frame.dissolve(by="category")["geometry"]
    if not layers.polygons:
        areas = areas.convex_hull
    # Categories closer than 5 % of the map's extent count as neighbours: two areas of
    # one colour that nearly touch would read as one.
    minx, miny, maxx, maxy = layers.communes.total_bounds
    near_m = 0.05 * max(maxx - minx, maxy - miny, 1.0)
    order = frame["category"].value_counts().index
    colours: dict[str, str] = {}
    for category in order:
        touching = areas.index[areas.distance(areas[category]) < near_m]
        used = {colours[c] for c in touching if c in colours}
        free = [c for c in OKABE_ITO if c not in used]
        colours[category] = free[0] if free else OKABE_ITO[len(colours) % len(OKABE_ITO)]
    return colours


def _fr(value: float) -> str:
    """A number the French way, with at most one decimal: ``2,5``."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")
