"""The map of an itinerant service's tour (``maillage tournee --carte``)."""

from __future__ import annotations

import geopandas as gpd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from maillage.outputs.report import maps
from maillage.planning.tour import Tour

__all__ = ["tour_map"]

_LAMBERT93 = 2154
#: Communes that gain access (blue), still without (red), already served (light).
_GAIN, _STILL, _ALREADY = "#2166ac", "#d6604d", "#ece7d8"
_WEEKDAYS = {
    "Mo": "lundi",
    "Tu": "mardi",
    "We": "mercredi",
    "Th": "jeudi",
    "Fr": "vendredi",
    "Sa": "samedi",
    "Su": "dimanche",
}


def tour_map(tour: Tour, layers: maps.MapLayers, *, label: str) -> Figure:
    """Communes that gain access, those still far and those already served; the stops
    numbered in their order, joined in that order, and their timetable beside the map.

    Parameters
    ----------
    tour
        The designed tour (:func:`~maillage.planning.tour.design_tour`).
    layers
        The territory's map layers (:func:`~maillage.outputs.report.maps.map_layers`).
    label
        The service's name in French (``"France Services"``).

    Examples
    --------
    >>> from maillage.study import Study
    >>> from maillage.indicators.diagnostic import territory_origins
    >>> study = Study.builtin(builtin_sources=["france_services"])
    >>> tour = study.tour("france-services", stops=2, candidates=["73040", "73290", "73013"])
    >>> layers = maps.map_layers(study.territory, territory_origins(study.territory))
    >>> figure = tour_map(tour, layers, label="France Services")
    >>> [t.get_text() for t in figure.axes[0].get_legend().get_texts()][0]
    '1. 09:00-10:00 Bessans'
    """
    threshold = f"{float(tour.parameters['threshold_minutes']):g}"
    gained = set(tour.gains["commune"].astype(str))
    without = set(tour.without_access)
    codes = layers.communes["origin_id"].astype(str)
    colours = [_GAIN if c in gained else _STILL if c in without else _ALREADY for c in codes]
    figure, ax = maps._frame(layers)
    maps._draw_communes(ax, layers, colours)
    stops = gpd.GeoDataFrame(
        tour.stops,
        geometry=gpd.points_from_xy(tour.stops["lon"], tour.stops["lat"]),
        crs=4326,
    ).to_crs(_LAMBERT93)
    x, y = stops.geometry.x.to_numpy(), stops.geometry.y.to_numpy()
    ax.plot(x, y, color="#222222", linewidth=1.2, linestyle="--", zorder=4)
    ax.scatter(x, y, s=130, c="white", edgecolors="#222222", linewidths=1.3, zorder=5)
    for number, px, py in zip(stops["order"], x, y, strict=True):
        ax.annotate(
            str(number), (px, py), ha="center", va="center", fontsize=7.5, fontweight="bold"
        ).set_zorder(6)
    n_gain = sum(c == _GAIN for c in colours)
    n_still = sum(c == _STILL for c in colours)
    handles: list[Artist] = [
        Patch(facecolor=_GAIN, edgecolor="#555555", label=f"gagne l’accès ({n_gain})"),
        Patch(facecolor=_STILL, edgecolor="#555555", label=f"reste sans accès ({n_still})"),
        Patch(
            facecolor=_ALREADY,
            edgecolor="#555555",
            label=f"déjà desservie ({len(colours) - n_gain - n_still})",
        ),
    ]
    weekday = _WEEKDAYS.get(str(tour.parameters["weekday"]), str(tour.parameters["weekday"]))
    maps._finish(
        figure,
        ax,
        layers,
        f"Tournée {label} du {weekday} : {len(tour.stops)} arrêts",
        f"{label} à moins de {threshold} min",
        handles,
        "Numéros : arrêts dans l'ordre de passage (trait : l'ordre, pas le tracé de la route).",
    )
    categories = ax.get_legend()
    if categories is not None:
        ax.add_artist(categories)  # kept when the timetable's legend is added
    timetable = [
        Line2D([], [], linestyle="", label=f"{s.order}. {s.arrival}-{s.departure} {s.name}")
        for s in tour.stops.itertuples(index=False)
    ]
    ax.legend(
        handles=timetable,
        title="Arrêts",
        loc="upper left",
        bbox_to_anchor=(1.0, 0.62),
        fontsize=8,
        title_fontsize=8.5,
        frameon=False,
        alignment="left",
        handlelength=0,
        handletextpad=0,
    )
    return figure
