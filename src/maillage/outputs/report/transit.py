"""The report's "sans voiture" section: access by public transport and walking."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from maillage.indicators.transit import TransitAccess
from maillage.network.model import Method
from maillage.outputs.report import maps
from maillage.outputs.report.content import (
    Figure,
    ReportSection,
    Table,
    french_number,
    french_percent,
)
from maillage.outputs.report.official import type_label
from maillage.schema import TERRITORY
from maillage.services.typology import load_typology

__all__ = ["KEY_TYPES", "NO_ACCESS_LABEL", "transit_section"]

#: Types mapped on their own before the families: France Services, pharmacie, collège.
KEY_TYPES = ("A128", "D307", "C201")
#: Legend of the communes without access: they are not without data.
NO_ACCESS_LABEL = "pas d'accès\n(pas de gare à pied,\nou plus de 3 h)"
#: Their colour: darker than the longest class (grey is the neighbouring communes).
NO_ACCESS_COLOUR = "#4a1486"

_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def transit_section(result: TransitAccess, layers: maps.MapLayers) -> ReportSection:
    """Maps of the time by public transport per family, and the population without access.

    Communes without access (no station within walking distance, or more than 3 h) are
    drawn as "no data".
    """
    settings = result.settings
    section = ReportSection("sans-voiture", "Sans voiture : transports en commun et marche")
    day = dt.date.fromisoformat(settings["day"])
    section.paragraphs.append(
        f"Horaires du flux {settings['feed']}, le {_WEEKDAYS[day.weekday()]} "
        f"{day:%d/%m/%Y}, départ entre {settings['window'].replace('-', ' et ')} (le meilleur "
        "départ de la plage compte) ; marche à 4,5 km/h, au plus "
        f"{settings['max_walk_minutes']:g} min à chaque bout."
    )
    if settings["walk_method"] == Method.STRAIGHT_LINE.value:
        section.warning = (
            "Marche estimée à vol d'oiseau × 1,4 (aucun réseau routier donné) : donnez "
            "--reseau pour marcher le long des routes."
        )
    typology = load_typology()
    labels = typology.family_labels
    thresholds = settings["thresholds_minutes"]
    within = max(thresholds)
    n_communes = result.times["origin_id"].nunique()
    reached = []
    for code in KEY_TYPES:
        part = result.times[result.times["type"] == code]
        if not part.empty:
            name = type_label(typology.label_of(pd.Series([code])).iloc[0])
            count = int((part["minutes"] <= within).sum())
            reached.append(f"{name} : {count} commune{'s' if count > 1 else ''}")
    if reached:
        section.paragraphs.append(
            f"Sans voiture, en moins de {within:g} min, sur {n_communes} communes : "
            + " ; ".join(reached)
            + "."
        )
    section.paragraphs.append(
        "Lecture des cartes : en violet, la commune n'a pas d'accès (aucune gare ou arrêt de "
        f"car à moins de {settings['max_walk_minutes']:g} min à pied, ou plus de 3 h de "
        "trajet). Un service de la commune même est atteint à pied (0 min) : les cartes par "
        "famille, où compte le service le plus proche de la famille (souvent la mairie, "
        "l'école ou la pharmacie de la commune), montrent surtout qui n'a rien sur place ; "
        "les cartes France Services, pharmacie et collège montrent qui peut s'y rendre."
    )
    # First the services an élu asks about by name, then the families.
    for code in KEY_TYPES:
        part = result.times[result.times["type"] == code]
        if part.empty:
            continue
        name = type_label(typology.label_of(pd.Series([code])).iloc[0])
        title = f"{name[:1].upper()}{name[1:]}"
        section.figures.append(
            _time_map(
                layers,
                part.set_index("origin_id")["minutes"],
                thresholds,
                title=f"{title} : sans voiture",
                caption=f"Temps en transports en commun et à pied au plus proche service "
                f"« {name} » ; en violet, pas d'accès.",
                figure_id=f"carte-sans-voiture-{code}",
            )
        )
    for family, part in result.families.groupby("family"):
        label = labels.get(str(family), str(family))
        section.figures.append(
            _time_map(
                layers,
                part.set_index("origin_id")["minutes"],
                thresholds,
                title=f"{label} : sans voiture",
                caption=f"Temps au service le plus proche ({label.lower()}) en transports en "
                "commun et à pied ; en violet, pas d'accès.",
                figure_id=f"carte-sans-voiture-{family}",
            )
        )
    territory = result.access[result.access["level"] == TERRITORY]
    rows = []
    for family, part in territory.groupby("family", sort=False):
        first = part.iloc[0]
        rows.append(
            [
                labels.get(str(family), str(family)),
                *(
                    f"{french_number(beyond)} ({french_percent(share)})"
                    for beyond, share in zip(
                        part["population_beyond"], part["share_beyond"], strict=True
                    )
                ),
                french_number(first["median_minutes"], 1),
                french_number(first["median_gap_minutes"], 1),
            ]
        )
    section.tables.append(
        Table(
            "table-sans-voiture",
            "Population sans accès en transports en commun, par seuil",
            [
                "Famille",
                *(f"sans accès en {t:g} min" for t in thresholds),
                "médiane (min)",
                "écart médian avec la voiture (min)",
            ],
            rows,
            [False, *([True] * len(thresholds)), True, True],
        )
    )
    return section


def _time_map(
    layers: maps.MapLayers,
    minutes: pd.Series,
    thresholds: list[float],
    *,
    title: str,
    caption: str,
    figure_id: str,
) -> Figure:
    classes, class_labels = maps.time_classes(minutes, thresholds)
    figure = maps.class_map(
        layers,
        minutes,
        classes,
        class_labels,
        title=title,
        legend_title="Transports en commun + marche",
        no_data_label=NO_ACCESS_LABEL,
        no_data_colour=NO_ACCESS_COLOUR,
    )
    return Figure(maps.figure_png(figure), caption, figure_id)
