"""``maillage itinerance``: hours per week of itinerant services within reach of each commune."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pandas as pd

from maillage._errors import MaillageError
from maillage.cli.options import (
    fail_on_errors,
    load_study,
    network_options,
    quiet_libraries,
    source_options,
    territory_options,
)
from maillage.outputs.french import method_label, plural, write_csv
from maillage.outputs.french import number as _number


@click.command("itinerance")
@click.argument("fichier", required=False, type=click.Path(path_type=Path))
@click.option(
    "--dans",
    "minutes",
    type=float,
    default=20,
    show_default=True,
    help="Un arrêt compte pour une commune s'il est à moins de tant de minutes.",
)
@click.option(
    "--sortie",
    type=click.Path(path_type=Path),
    default=None,
    help="Écrire la table par commune en CSV (séparateur ;, virgule décimale).",
)
@click.option("--json", "as_json", is_flag=True, help="Écrire le résultat en JSON.")
@territory_options
@source_options
@network_options
@fail_on_errors
def itinerance(
    fichier: Path | None, minutes: float, sortie: Path | None, as_json: bool, **options: Any
) -> None:
    """Heures par semaine de services itinérants à portée de chaque commune.

    FICHIER : les services itinérants en TOML (arrêts et horaires, voir
    docs/transports.md). Sans FICHIER : les France Services mobiles (bus, itinérantes)
    de la liste de l'ANCT. Un arrêt compte les jours où il est servi.
    """
    quiet_libraries()
    study = load_study(**options)
    table = study.itinerant(fichier, threshold_minutes=minutes)
    source = str(fichier) if fichier is not None else "France Services mobiles (liste de l'ANCT)"
    if table.empty:
        raise MaillageError(
            f"aucun service itinérant dans {source} pour {study.territory.name}. Correction : "
            "décrivez la tournée dans un fichier TOML (arrêts et horaires, voir "
            "docs/transports.md) et donnez-le : maillage itinerance bus.toml"
        )
    communes = study.territory.communes.set_index("commune")
    table = table.assign(
        name=table["origin_id"].map(communes["name"]),
        population=table["origin_id"].map(communes["population"]).fillna(0),
    )
    labels = study.typology.types.set_index("type")["label"]
    summary = _summary(study, table, labels, minutes=minutes, source=source)
    if sortie is not None:
        write_csv(_french(table, labels, minutes), sortie)
        summary["fichier_csv"] = str(sortie)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    _print(summary, minutes)


def _french(table: pd.DataFrame, labels: pd.Series, minutes: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code_commune": table["origin_id"],
            "commune": table["name"],
            "population": table["population"],
            "type_equipement": table["type"],
            "libelle_type": table["type"].map(labels).fillna(table["type"]),
            "heures_par_semaine": table["hours_per_week"],
            f"arrets_a_moins_de_{minutes:g}_min": table["stops"],
        }
    )


def _summary(
    study: Any, table: pd.DataFrame, labels: pd.Series, *, minutes: float, source: str
) -> dict[str, Any]:
    by_type = []
    for kind, rows in table.groupby("type", sort=True):
        served = rows[rows["stops"] > 0]
        by_type.append(
            {
                "type": str(kind),
                "libelle": str(labels.get(kind, kind)),
                "communes_desservies": len(served),
                "population_desservie": float(served["population"].sum()),
                "population_non_desservie": float(rows.loc[rows["stops"] == 0, "population"].sum()),
                "heures_par_semaine_min": float(served["hours_per_week"].min())
                if len(served)
                else 0.0,
                "heures_par_semaine_max": float(served["hours_per_week"].max())
                if len(served)
                else 0.0,
            }
        )
    return {
        "territoire": study.territory.name,
        "source": source,
        "seuil_minutes": minutes,
        "temps_trajet": method_label(study.network.method),
        "par_type": by_type,
        "communes": [
            {
                "code": str(row.origin_id),
                "nom": None if pd.isna(row.name) else str(row.name),
                "type": str(row.type),
                "heures_par_semaine": float(row.hours_per_week),
                "arrets": int(row.stops),
            }
            for row in table.itertuples(index=False)
        ],
    }


def _print(summary: dict[str, Any], minutes: float) -> None:
    click.echo(
        f"{summary['territoire']} : services itinérants ({summary['source']}), arrêts à moins "
        f"de {minutes:g} min, temps {summary['temps_trajet']}."
    )
    for entry in summary["par_type"]:
        hours = (
            f"{_number(entry['heures_par_semaine_min'], 1)} h par semaine"
            if entry["heures_par_semaine_min"] == entry["heures_par_semaine_max"]
            else f"de {_number(entry['heures_par_semaine_min'], 1)} à "
            f"{_number(entry['heures_par_semaine_max'], 1)} h par semaine selon la commune"
        )
        click.echo(
            f"{entry['libelle']} ({entry['type']}) : "
            f"{plural(round(entry['population_desservie']), 'habitant')} de "
            f"{plural(entry['communes_desservies'], 'commune')} ont un arrêt à portée "
            f"({hours}) ; {plural(round(entry['population_non_desservie']), 'habitant')} "
            "n'en ont pas."
        )
    served = [c for c in summary["communes"] if c["arrets"] > 0]
    for commune in sorted(served, key=lambda c: (-c["heures_par_semaine"], c["code"])):
        click.echo(
            f"  {commune['code']}  {(commune['nom'] or ''):<32} {commune['type']:<8} "
            f"{_number(commune['heures_par_semaine'], 1):>6} h/semaine, "
            f"{plural(commune['arrets'], 'arrêt')}"
        )
    if "fichier_csv" in summary:
        click.echo(f"Table par commune : {summary['fichier_csv']}")
