"""Fiches intercommunales: one page per EPCI, to hand to each communauté de communes.

Each fiche shows the EPCI's communes on the territory's map with their enjeux level, its
figures beside the territory's (the row of the ``Intercommunalités`` sheet of
``diagnostic.xlsx``: same function, same numbers) and its communes with their level and
reasons.
"""

from __future__ import annotations

import pandas as pd

from maillage.indicators.classes import ENJEU_CLASSES, ENJEU_LABELS, enjeu_class_codes
from maillage.indicators.diagnostic import Diagnostic
from maillage.outputs.exports import epci_sheet
from maillage.outputs.french import (
    beyond_column,
    enjeux_french,
    minutes,
    number,
    percent,
    plural,
)
from maillage.outputs.report import maps
from maillage.outputs.report.content import (
    ReportSection,
    Table,
    access_rows,
    class_table,
    map_figure,
)
from maillage.outputs.report.official import epci_official_rows
from maillage.services.typology import FAMILIES, load_typology

#: The label of the territory's other communes on a fiche's map.
OTHER_COMMUNES = "autres communes du territoire"


def epci_sections(diagnostic: Diagnostic, layers: maps.MapLayers) -> list[ReportSection]:
    """One fiche per EPCI of the territory, the most populated first."""
    sheet = epci_sheet(diagnostic)
    return [epci_section(diagnostic, layers, row) for _, row in sheet.iterrows()]


def epci_section(diagnostic: Diagnostic, layers: maps.MapLayers, row: pd.Series) -> ReportSection:
    """The fiche of one EPCI (``row``: its line of :func:`~maillage.outputs.exports.epci_sheet`)."""
    code = str(row["SIREN"])
    name = str(row["Intercommunalité"])
    communes = diagnostic.communes
    own = communes[communes["epci"] == code]
    total = float(communes["population"].sum())
    section = ReportSection(f"fiche-{code}", f"Fiche intercommunale : {name}", kind="page")
    rank = row["Rang d'enjeu"]
    ranked = (
        f" Rang d'enjeu : {int(rank)} sur {len(diagnostic.enjeux_epci)}." if pd.notna(rank) else ""
    )
    section.paragraphs.append(
        f"{plural(row['Communes'], 'commune')}, {plural(row['Population'], 'habitant')} "
        f"({percent(row['Population'] / total if total else None)} du territoire), "
        f"{plural(own['population_peak'].sum(), 'personne')} en pointe de saison. "
        f"SIREN {code}.{ranked}"
    )
    levels = diagnostic.enjeux.set_index("origin_id")["enjeu_level"]
    inside = levels[levels.index.isin(own["origin_id"])]
    figure = maps.class_map(
        layers,
        diagnostic.enjeux.set_index("origin_id")["score"],
        enjeu_class_codes(inside),
        [f"enjeu {c}" for c in ENJEU_CLASSES],
        title=f"{name} : niveau d'enjeu des communes",
        legend_title="Niveau d'enjeu",
        palette=maps.TIME_PALETTE,
        no_data_label=OTHER_COMMUNES,
        compact=True,
    )
    population = communes.set_index("origin_id")["population"]
    section.figures.append(
        map_figure(
            figure,
            f"Communes de la {name} par niveau d'enjeu ; en gris, les autres communes du "
            "territoire.",
            f"carte-fiche-{code}",
            class_table(
                f"classes-fiche-{code}",
                "Communes et habitants par niveau d'enjeu",
                inside.map(lambda c: f"enjeu {ENJEU_LABELS[c]}").reindex(population.index),
                [f"enjeu {c}" for c in ENJEU_CLASSES],
                population,
                no_data_label=OTHER_COMMUNES,
            ),
        )
    )
    section.tables.append(_figures_table(diagnostic, row, code))
    section.tables.append(_communes_table(diagnostic, own, code))
    return section


def _figures_table(diagnostic: Diagnostic, row: pd.Series, code: str) -> Table:
    labels = load_typology().family_labels
    last = max(diagnostic.thresholds_minutes)
    body = []
    for family in FAMILIES:
        label = labels.get(family, family)
        median = f"{label} : temps médian (min)"
        share = f"{label} : part à {last:g} min ou plus"
        if median not in row:
            continue
        territory = access_rows(diagnostic, family).iloc[0]
        body.append(
            [
                f"{label} : temps médian",
                minutes(row[median], 1),
                minutes(territory["median_minutes"], 1),
            ]
        )
        body.append(
            [
                f"{label} : habitants à {last:g} min ou plus",
                percent(row[share], 1),
                percent(territory[beyond_column("share", last)], 1),
            ]
        )
    body += epci_official_rows(diagnostic, code)
    return Table(
        f"fiche-chiffres-{code}",
        "Ses chiffres et ceux du territoire (été)",
        ["Indicateur", "Intercommunalité", "Territoire"],
        body,
        [False, True, True],
    )


def _communes_table(diagnostic: Diagnostic, own: pd.DataFrame, code: str) -> Table:
    enjeux = enjeux_french(diagnostic.enjeux).merge(
        own[["origin_id", "name", "population"]], on="origin_id"
    )
    order = {c: i for i, c in enumerate(reversed(ENJEU_CLASSES))}
    enjeux = enjeux.assign(_order=enjeux["classe"].map(order)).sort_values(["_order", "rank"])
    return Table(
        f"fiche-communes-{code}",
        "Ses communes, de la plus à la moins à enjeu",
        ["Commune", "Population", "Niveau d'enjeu", "Raisons"],
        [
            [str(r.name), number(r.population), str(r.classe), str(r.raisons)]
            for r in enjeux.itertuples()
        ],
        [False, True, False, False],
    )
