"""A scenario's result in French: JSON summary, and its files (tables, GeoPackage, map).

What ``maillage scenario`` prints and writes, and what the report's scenario sections
reuse; the scenario itself is run by :func:`maillage.planning.scenario.run_scenario`.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure as MplFigure
from shapely.geometry import Point

from maillage.outputs.french import export_table, method_label, notes_text, write_csv
from maillage.outputs.report import maps
from maillage.planning.scenario import CLOSE, MERGE, OPEN, ScenarioResult
from maillage.services.schema import SERVICE_CRS
from maillage.services.typology import load_typology

__all__ = ["key_labels", "scenario_change_map", "scenario_summary", "write_scenario"]

#: Classes of a time change (minutes, after − before), from gain to loss.
CHANGE_EDGES_MINUTES = (-5.0, -0.05, 0.05, 5.0)
CHANGE_LABELS = (
    "gagne plus de 5 min",
    "gagne jusqu'à 5 min",
    "inchangé",
    "perd jusqu'à 5 min",
    "perd plus de 5 min",
)


def scenario_change_map(result: ScenarioResult, layers: maps.MapLayers) -> MplFigure | None:
    """Map of the summer time change per commune for the family the scenario moves most."""
    summer = export_table(result.communes).query("saison == 'ete'")
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
    label = key_labels().get(key, key)
    return maps.class_map(
        layers,
        change,
        classes,
        list(CHANGE_LABELS),
        title=f"{result.scenario.name}\n{label} : écart de temps (été)",
        legend_title="Temps au plus proche",
        palette="RdYlBu_r",
        note=f"Temps : {method_label(result.method)}.",
        markers=_change_markers(result),
    )


#: How each action of a scenario is drawn (Okabe–Ito colours).
ACTION_MARKERS = {
    CLOSE: ("X", "#D55E00", "service fermé"),
    MERGE: ("X", "#E69F00", "service regroupé"),
    OPEN: ("P", "#009E73", "service ouvert"),
}
#: The French word of each action (exports, summary, report).
ACTION_LABELS = {CLOSE: "fermeture", MERGE: "fusion", OPEN: "ouverture"}


def french_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """The changes of a scenario with their actions in French.

    Examples
    --------
    >>> french_changes(pd.DataFrame({"action": [CLOSE, OPEN]}))["action"].tolist()
    ['fermeture', 'ouverture']
    """
    return changes.assign(action=changes["action"].map(lambda a: ACTION_LABELS.get(a, a)))


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


def key_labels() -> dict[str, str]:
    """French labels of families and of service types.

    Examples
    --------
    >>> labels = key_labels()
    >>> labels["soins"], labels["A128"]
    ('Accès aux soins', 'FRANCE SERVICES')
    """
    typology = load_typology()
    types = typology.types
    labels = {str(k): str(v) for k, v in zip(types["type"], types["label"], strict=True)}
    return labels | typology.family_labels


def scenario_summary(result: ScenarioResult, *, changed_only: bool = True) -> dict[str, Any]:
    """The before/after difference as JSON-ready French keys (what ``maillage scenario`` prints).

    ``acces`` lists, per season, family or type and threshold, the inhabitants gaining or
    losing access (only non-zero rows with ``changed_only``); ``communes`` the communes
    whose time changed.
    """
    access = export_table(result.access)
    communes = export_table(result.communes)
    if changed_only:
        access = access[(access["population_gaining"] > 0) | (access["population_losing"] > 0)]
        moved = (communes["change_minutes"].abs() > 1e-9) | (
            communes["minutes_before"].isna() != communes["minutes_after"].isna()
        )
        communes = communes[moved]
    return {
        "scenario": result.scenario.name,
        "description": result.scenario.description,
        "territoire": result.before.territory.name,
        "temps_trajet": method_label(result.method),
        "changements": [
            {k: _json(v) for k, v in row.items()}
            for row in french_changes(result.changes)
            .rename(columns={"service_id": "id", "name": "nom"})
            .to_dict("records")
        ],
        "routes_fermees": list(result.scenario.close_roads),
        "acces": [
            {
                "saison": row["saison"],
                "niveau": row["niveau"],
                "cle": row["key"],
                "seuil_minutes": row["seuil_minutes"],
                "population_avant": row["population_within_before"],
                "population_apres": row["population_within_after"],
                "population_gagnant_acces": row["population_gaining"],
                "population_perdant_acces": row["population_losing"],
            }
            for row in access.to_dict("records")
        ],
        "communes": [
            {
                "saison": row["saison"],
                "niveau": row["niveau"],
                "cle": row["key"],
                "commune": row["origin_id"],
                "nom": row["name"],
                "population": _json(row["population"]),
                "minutes_avant": _json(row["minutes_before"]),
                "minutes_apres": _json(row["minutes_after"]),
                "ecart_minutes": _json(row["change_minutes"]),
                "service_avant": _json(row["service_before"]),
                "service_apres": _json(row["service_after"]),
            }
            for row in communes.to_dict("records")
        ],
        "notes": notes_text(result.notes),
    }


def _json(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    return round(value, 2) if isinstance(value, float) else value


def write_scenario(result: ScenarioResult, folder: str | PathLike[str]) -> Path:
    """Write the scenario's tables and map into ``folder``.

    Files: ``scenario_acces`` and ``scenario_communes`` (Parquet, and CSV with ``;`` and
    decimal comma for French spreadsheets), ``scenario_changements.csv``,
    ``scenario.gpkg`` (Lambert-93 layers ``communes_ecarts`` — summer time change of each
    commune for every family and type touched — and ``services_changes``), and
    ``scenario.png`` (the report's map of the time change, when a family's times move).
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in (
        ("scenario_acces", export_table(result.access)),
        ("scenario_communes", export_table(result.communes)),
        ("scenario_changements", french_changes(result.changes)),
    ):
        table.to_parquet(out / f"{name}.parquet", index=False)
        write_csv(table, out / f"{name}.csv")
    layer = _map_layer(result)
    layer.to_file(out / "scenario.gpkg", layer="communes_ecarts", driver="GPKG")
    services = french_changes(result.changes).dropna(subset=["lon", "lat"])
    if len(services):
        gpd.GeoDataFrame(
            services,
            geometry=[Point(x, y) for x, y in zip(services["lon"], services["lat"], strict=True)],
            crs=SERVICE_CRS,
        ).to_crs("EPSG:2154").to_file(
            out / "scenario.gpkg", layer="services_changes", driver="GPKG"
        )
    figure = scenario_change_map(
        result, maps.map_layers(result.before.territory, result.before.communes)
    )
    if figure is not None:
        (out / "scenario.png").write_bytes(maps.figure_png(figure))
    return out


def _touched_keys(result: ScenarioResult) -> list[tuple[str, str]]:
    summer = export_table(result.communes).query("saison == 'ete'")
    moved = summer[
        (summer["change_minutes"].abs() > 1e-9)
        | (summer["minutes_before"].isna() != summer["minutes_after"].isna())
    ]
    return sorted(
        {(str(level), str(key)) for level, key in zip(moved["niveau"], moved["key"], strict=True)}
    )


def _map_layer(result: ScenarioResult) -> gpd.GeoDataFrame:
    communes = result.before.communes[["origin_id", "name", "population", "geometry"]].copy()
    summer = export_table(result.communes).query("saison == 'ete'")
    for level, key in _touched_keys(result):
        part = summer[(summer["niveau"] == level) & (summer["key"] == key)].set_index("origin_id")
        prefix = f"{key}"
        communes[f"{prefix}_avant_min"] = communes["origin_id"].map(part["minutes_before"])
        communes[f"{prefix}_apres_min"] = communes["origin_id"].map(part["minutes_after"])
        communes[f"{prefix}_ecart_min"] = communes["origin_id"].map(part["change_minutes"])
    communes["temps_trajet"] = method_label(result.method)
    return gpd.GeoDataFrame(communes, geometry="geometry", crs=result.before.communes.crs).to_crs(
        "EPSG:2154"
    )
