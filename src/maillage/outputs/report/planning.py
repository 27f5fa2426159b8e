"""Report sections of the co-construction stage: what-if scenarios and siting of services."""

from __future__ import annotations

import re
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from maillage.indicators.diagnostic import Diagnostic
from maillage.outputs.french import export_table, method_label, notes_text, plural, write_csv
from maillage.outputs.report import maps
from maillage.outputs.report.content import (
    Figure,
    ReportSection,
    Table,
    french_number,
    french_percent,
)
from maillage.outputs.scenario import (
    french_changes,
    key_labels,
    scenario_change_map,
    write_scenario,
)
from maillage.planning.scenario import ScenarioResult
from maillage.planning.siting import MODELS
from maillage.planning.territory_siting import TerritorySiting


def slug(text: str) -> str:
    """An HTML anchor from a name: ``"France Services : Modane"`` → ``"france-services-modane"``.

    Examples
    --------
    >>> slug("Maurienne : France Services en Haute Maurienne")
    'maurienne-france-services-en-haute-maurienne'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "section"


def scenario_section(result: ScenarioResult, layers: maps.MapLayers) -> ReportSection:
    """Before/after of a scenario: changes, population gaining or losing access, map."""
    section = ReportSection(
        f"scenario-{slug(result.scenario.name)}", f"Scénario : {result.scenario.name}"
    )
    if result.scenario.description.strip():
        section.paragraphs.append(" ".join(result.scenario.description.split()))
    for row in french_changes(result.changes).to_dict("records"):
        section.paragraphs.append(
            f"{str(row.get('action', '')).capitalize()} : {row.get('name')} ({row.get('commune')})."
        )
    for road in result.scenario.close_roads:
        section.paragraphs.append(f"Route fermée : {road}.")
    section.paragraphs += notes_text(result.notes)
    labels = key_labels()
    access = export_table(result.access)
    access = access[(access["population_gaining"] > 0) | (access["population_losing"] > 0)]
    section.tables.append(
        Table(
            f"scenario-acces-{slug(result.scenario.name)}",
            "Habitants à moins du seuil, avant et après",
            [
                "Saison",
                "Famille ou type de service",
                "Seuil",
                "Avant",
                "Après",
                "Gagnent l'accès",
                "Perdent l'accès",
            ],
            [
                [
                    "été" if row.saison == "ete" else "hiver",
                    labels.get(row.key, str(row.key)),
                    f"{row.seuil_minutes:g} min",
                    french_number(row.population_within_before),
                    french_number(row.population_within_after),
                    french_number(row.population_gaining),
                    french_number(row.population_losing),
                ]
                for row in access.itertuples()
            ]
            or [["–", "aucun changement d'accès sous les seuils", "–", "–", "–", "–", "–"]],
            [False, False, True, True, True, True, True],
        )
    )
    figure = scenario_change_map(result, layers)
    if figure is not None:
        section.figures.append(
            Figure(
                maps.figure_png(figure),
                "Écart du temps au service le plus proche, pour la famille ou le type de "
                "service le plus touché.",
                f"carte-scenario-{slug(result.scenario.name)}",
            )
        )
    return section


def siting_section(siting: TerritorySiting, layers: maps.MapLayers) -> ReportSection:
    """Proposed sites: coverage before/after, sites with newly covered inhabitants, map."""
    result = siting.result
    within = result.within_minutes
    anchor = f"implantation-{slug(siting.service_type)}-{within:g}"
    section = ReportSection(anchor, f"Implantation : {siting.label} à moins de {within:g} minutes")
    section.paragraphs += [
        f"Modèle : {MODELS[result.model]} ; résolution "
        + (
            "exacte (" + result.solver + ")"
            if result.method == "exact"
            else "heuristique gloutonne"
        )
        + f". {plural(len(siting.existing), 'site existant gardé', 'sites existants gardés')}, "
        f"{plural(len(siting.candidates), 'candidat')}.",
        f"Habitants à moins de {within:g} min : {french_number(result.population_covered_before)} "
        f"avant, {french_number(result.population_covered_after)} après, sur "
        f"{french_number(result.population_total)} "
        f"(+{french_number(result.population_newly_covered)}).",
        "Écart à l'optimum : "
        + (french_percent(result.gap, 2) if np.isfinite(result.gap) else "inconnu")
        + ".",
        *notes_text(result.notes),
    ]
    chosen = result.new_sites
    section.tables.append(
        Table(
            f"{anchor}-sites",
            "Sites proposés",
            ["Ordre", "Site", "Commune", "Habitants nouvellement à moins du seuil"],
            [
                [
                    str(int(row.order)),
                    str(row.name),
                    str(row.commune),
                    french_number(row.population_newly_covered),
                ]
                for row in chosen.itertuples()
            ]
            or [["–", "aucun site à ouvrir", "–", "0"]],
            [True, False, False, True],
        )
    )
    origins = result.origins.set_index("origin_id")
    status = pd.Series("non couvert", index=origins.index)
    status[origins["covered_before"].astype(bool)] = "déjà couvert"
    status[origins["covered"].astype(bool) & ~origins["covered_before"].astype(bool)] = (
        "nouvellement couvert"
    )
    figure = maps.category_map(
        layers,
        status,
        {c: c for c in ("déjà couvert", "nouvellement couvert", "non couvert")},
        title=f"{siting.label} : communes couvertes à moins de {within:g} min",
        legend_title="Communes",
    )
    section.figures.append(
        Figure(
            maps.figure_png(figure),
            "Communes déjà couvertes, nouvellement couvertes par les sites proposés, et non "
            "couvertes.",
            f"carte-{anchor}",
        )
    )
    return section


def planning_outputs(
    diagnostic: Diagnostic,
    folder: str | PathLike[str],
    *,
    scenarios: Sequence[ScenarioResult] = (),
    sitings: Sequence[TerritorySiting] = (),
) -> tuple[list[ReportSection], dict[str, Path]]:
    """Files and report sections of scenarios and sitings already run on a diagnostic.

    Each scenario's tables, GeoPackage and map go to ``scenarios/<nom>/``
    (:func:`~maillage.outputs.scenario.write_scenario`); each siting's chosen sites to
    ``implantations.gpkg`` (layer ``<type>_<minutes>min``, Lambert-93) and
    ``csv/implantation_<type>_<minutes>min.csv``.

    Parameters
    ----------
    diagnostic
        The diagnostic (the scenarios' "before").
    folder
        The study folder.
    scenarios
        Results of :meth:`maillage.Study.scenario`.
    sitings
        Results of :meth:`maillage.Study.site`.
    """
    folder = Path(folder)
    layers = maps.map_layers(diagnostic.territory, diagnostic.communes)
    sections: list[ReportSection] = []
    files: dict[str, Path] = {}
    for result in scenarios:
        name = result.scenario.name
        files[f"scenario:{name}"] = write_scenario(result, folder / "scenarios" / slug(name))
        sections.append(scenario_section(result, layers))
    for siting in sitings:
        minutes = siting.result.within_minutes
        name = f"{slug(siting.service_type)}_{minutes:g}min"
        chosen = siting.result.sites.assign(
            temps_trajet=method_label(diagnostic.method),
            seuil_minutes=minutes,
            type=siting.service_type,
        )
        write_csv(chosen, _csv_folder(folder) / f"implantation_{name}.csv")
        points = gpd.GeoDataFrame(
            chosen, geometry=gpd.points_from_xy(chosen["lon"], chosen["lat"]), crs="EPSG:4326"
        ).to_crs(maps.LAMBERT93)
        pyogrio.write_dataframe(points, folder / "implantations.gpkg", layer=name, driver="GPKG")
        files[f"implantation:{name}"] = folder / "implantations.gpkg"
        sections.append(siting_section(siting, layers))
    return sections, files


def _csv_folder(folder: Path) -> Path:
    path = folder / "csv"
    path.mkdir(parents=True, exist_ok=True)
    return path
