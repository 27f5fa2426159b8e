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
from matplotlib.figure import Figure as MplFigure

from maillage.indicators.diagnostic import Diagnostic
from maillage.network.graph import RoadGraph
from maillage.outputs.french import plural
from maillage.outputs.report import maps
from maillage.outputs.report.content import (
    Figure,
    ReportSection,
    Table,
    french_number,
    french_percent,
)
from maillage.planning.scenario import ScenarioResult, read_scenario, run_scenario, write_scenario
from maillage.planning.siting import MODELS
from maillage.planning.territory_siting import TerritorySiting, site_on_territory
from maillage.services.typology import Typology, load_typology

#: Classes of a time change (minutes, after − before), from gain to loss.
CHANGE_EDGES_MINUTES = (-5.0, -0.05, 0.05, 5.0)
CHANGE_LABELS = (
    "gagne plus de 5 min",
    "gagne jusqu'à 5 min",
    "inchangé",
    "perd jusqu'à 5 min",
    "perd plus de 5 min",
)


def slug(text: str) -> str:
    """An HTML anchor from a name: ``"France Services : Modane"`` → ``"france-services-modane"``.

    Examples
    --------
    >>> slug("Maurienne : France Services en Haute Maurienne")
    'maurienne-france-services-en-haute-maurienne'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "section"


def scenario_change_map(result: ScenarioResult, layers: maps.MapLayers) -> MplFigure | None:
    """Map of the summer time change per commune for the family the scenario moves most."""
    summer = result.communes[result.communes["saison"] == "ete"]
    if summer.empty:
        return None
    moved = summer.assign(size=summer["change_minutes"].abs().fillna(np.inf))
    sizes = moved.groupby(["niveau", "key"])["size"].sum()
    if not (sizes > 0).any():
        return None
    level, key = (str(v) for v in sizes.idxmax())
    summer = summer[summer["niveau"] == level]
    part = summer[summer["key"] == key].set_index("origin_id")
    change = part["change_minutes"].astype(float)
    # A commune that loses every service within reach counts as a loss beyond 5 min.
    lost = part["minutes_after"].isna() & part["minutes_before"].notna()
    change = change.where(~lost, np.inf)
    classes = pd.Series(
        np.searchsorted(CHANGE_EDGES_MINUTES, change.fillna(0.0).to_numpy(), side="right"),
        index=change.index,
    ).astype(float)
    label = _key_labels().get(key, key)
    return maps.class_map(
        layers,
        change,
        classes,
        list(CHANGE_LABELS),
        title=f"{result.scenario.name}\n{label} : écart de temps (été)",
        legend_title="Temps au plus proche",
        palette="RdYlBu_r",
        note=f"Temps : {result.method}.",
        markers=_change_markers(result),
    )


#: How each action of a scenario is drawn (Okabe–Ito colours).
ACTION_MARKERS = {
    "fermeture": ("X", "#D55E00", "service fermé"),
    "fusion": ("X", "#E69F00", "service regroupé"),
    "ouverture": ("P", "#009E73", "service ouvert"),
}


def _change_markers(result: ScenarioResult) -> list[maps.Marker]:
    changes = result.changes.dropna(subset=["lon", "lat"])
    markers = []
    for action, (symbol, colour, label) in ACTION_MARKERS.items():
        chosen = changes[changes["action"] == action]
        if len(chosen):
            points = gpd.GeoDataFrame(
                chosen, geometry=gpd.points_from_xy(chosen["lon"], chosen["lat"]), crs="EPSG:4326"
            )
            markers.append(maps.Marker(points, symbol, colour, label))
    return markers


def _key_labels() -> dict[str, str]:
    """French labels of families and of service types."""
    typology = load_typology()
    types = typology.types
    labels = {str(k): str(v) for k, v in zip(types["type"], types["label"], strict=True)}
    return labels | typology.family_labels


def scenario_section(result: ScenarioResult, layers: maps.MapLayers) -> ReportSection:
    """Before/after of a scenario: changes, population gaining or losing access, map."""
    section = ReportSection(
        f"scenario-{slug(result.scenario.name)}", f"Scénario : {result.scenario.name}"
    )
    if result.scenario.description.strip():
        section.paragraphs.append(" ".join(result.scenario.description.split()))
    for row in result.changes.to_dict("records"):
        section.paragraphs.append(
            f"{str(row.get('action', '')).capitalize()} : {row.get('name')} ({row.get('commune')})."
        )
    for road in result.scenario.close_roads:
        section.paragraphs.append(f"Route fermée : {road}.")
    section.paragraphs += result.notes
    labels = _key_labels()
    access = result.access[
        (result.access["population_gaining"] > 0) | (result.access["population_losing"] > 0)
    ]
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
        *result.notes,
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
    services: gpd.GeoDataFrame,
    folder: str | PathLike[str],
    *,
    scenario_files: Sequence[str | PathLike[str]] = (),
    sitings: Sequence[tuple[str, float, int]] = (),
    graph: RoadGraph | None = None,
    winter: RoadGraph | None = None,
    typology: Typology | None = None,
) -> tuple[list[ReportSection], dict[str, Path]]:
    """Run scenarios and sitings on a computed diagnostic; their report sections and files.

    Each scenario's tables, GeoPackage and map go to ``scenarios/<nom>/``
    (:func:`~maillage.planning.scenario.write_scenario`); each siting's chosen sites to
    ``implantations.gpkg`` (layer ``<type>_<minutes>min``, Lambert-93) and
    ``csv/implantation_<type>_<minutes>min.csv``.

    Parameters
    ----------
    diagnostic, services
        The computed diagnostic (reused as the scenarios' "before") and its services.
    folder
        The study folder.
    scenario_files
        Scenario TOML files.
    sitings
        ``(type, minutes, sites)`` of maximal-covering sitings (town halls as candidates).
    graph, winter, typology
        The road graphs and typology the diagnostic used.
    """
    folder = Path(folder)
    layers = maps.map_layers(diagnostic.territory, diagnostic.communes)
    sections: list[ReportSection] = []
    files: dict[str, Path] = {}
    for path in scenario_files:
        plan = read_scenario(path, typology)
        result = run_scenario(
            plan,
            diagnostic.territory,
            services,
            graph=graph,
            winter_graph=winter,
            typology=typology,
            thresholds_minutes=diagnostic.thresholds_minutes,
            before=diagnostic,
        )
        target = write_scenario(result, folder / "scenarios" / slug(plan.name))
        files[f"scenario:{plan.name}"] = target
        sections.append(scenario_section(result, layers))
    for kind, minutes, count in sitings:
        siting = site_on_territory(
            diagnostic.territory,
            services,
            kind,
            within_minutes=minutes,
            new_sites=count,
            graph=graph,
            typology=typology,
        )
        name = f"{slug(siting.service_type)}_{minutes:g}min"
        chosen = siting.result.sites.assign(
            temps_trajet=diagnostic.method, seuil_minutes=minutes, type=siting.service_type
        )
        chosen.to_csv(
            _csv_folder(folder) / f"implantation_{name}.csv",
            sep=";",
            decimal=",",
            index=False,
            encoding="utf-8-sig",
        )
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
