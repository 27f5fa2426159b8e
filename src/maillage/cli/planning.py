"""``maillage implanter`` and ``maillage scenario``: siting of services and what-if scenarios."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

from maillage.cli.options import (
    fail_on_errors,
    load_study,
    network_options,
    quiet_libraries,
    source_options,
    territory_options,
)
from maillage.outputs.french import minutes, plural

#: French model names of the command line → models of :mod:`maillage.planning.siting`.
MODEL_CHOICES = {
    "couverture-maximale": "max_covering",
    "couverture-totale": "set_covering",
    "p-median": "p_median",
}


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 4)


@click.command("implanter")
@click.argument("type_service", metavar="TYPE")
@click.option(
    "--dans",
    "within_minutes",
    type=float,
    required=True,
    help="Seuil de temps en minutes (ex. 20 : chacun à moins de 20 minutes).",
)
@click.option(
    "--sites",
    "new_sites",
    type=int,
    default=None,
    help="Nombre de sites à ouvrir (sauf couverture totale, qui le trouve).",
)
@click.option(
    "--modele",
    type=click.Choice(list(MODEL_CHOICES)),
    default="couverture-maximale",
    show_default=True,
    help="Modèle de localisation.",
)
@click.option(
    "--candidats",
    default="mairies",
    show_default=True,
    help="Sites candidats : « mairies » (du territoire), « batiments-publics », ou un "
    "fichier CSV (commune ou lon/lat, nom, capacite).",
)
@click.option(
    "--capacite",
    type=float,
    default=None,
    help="Habitants que chaque site peut servir (couverture totale, p-médiane).",
)
@click.option(
    "--heuristique",
    is_flag=True,
    help="Heuristique gloutonne (grandes instances) ; écart à la borne LP indiqué.",
)
@territory_options
@source_options
@network_options
@click.option("--json", "as_json", is_flag=True, help="Écrire le résultat en JSON.")
@fail_on_errors
def implanter(
    type_service: str,
    within_minutes: float,
    new_sites: int | None,
    modele: str,
    candidats: str,
    capacite: float | None,
    heuristique: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """Proposer où implanter TYPE (france-services, mairie, code BPE…) : sites existants
    gardés, population nouvellement à moins de --dans minutes."""
    from maillage.outputs.french import method_label, note_text, notes_text
    from maillage.planning.siting import MODELS
    from maillage.services.catalogue import no_data_note
    from maillage.sources.accounting import files_summary

    model = MODEL_CHOICES[modele]
    if model != "set_covering" and new_sites is None:
        raise click.BadParameter("indiquez le nombre de sites à ouvrir", param_hint="--sites")
    quiet_libraries()
    study = load_study(**options)
    territory = study.territory
    siting = study.site(
        type_service,
        within_minutes=within_minutes,
        new_sites=new_sites,
        model=model,
        candidates=candidats,
        capacity=capacite,
        heuristic=heuristique,
    )
    result, kind = siting.result, siting.service_type
    existing_sites, candidates = siting.existing, siting.candidates
    travel = method_label(study.network.method)
    chosen = result.new_sites
    summary: dict[str, Any] = {
        "territoire": territory.name,
        "type": kind,
        "libelle": siting.label,
        "seuil_minutes": within_minutes,
        "modele": MODELS[model],
        "sites_existants": len(existing_sites),
        "candidats": len(candidates),
        "sites_choisis": [
            {
                "id": row["site_id"],
                "nom": row["name"],
                "commune": row["commune"],
                "nom_commune": _commune_name(territory, row["commune"]),
                "lon": _number(row["lon"]),
                "lat": _number(row["lat"]),
                "ordre": int(row["order"]),
                "population_affectee": row["population_assigned"],
                "population_a_moins_du_seuil": row["population_covered"],
                "population_nouvellement_couverte": row["population_newly_covered"],
            }
            for row in chosen.to_dict("records")
        ],
        "population": result.population_total,
        "population_couverte_avant": result.population_covered_before,
        "population_couverte_apres": result.population_covered_after,
        "population_nouvellement_couverte": result.population_newly_covered,
        "temps_moyen_avant_minutes": _number(result.mean_minutes_before),
        "temps_moyen_apres_minutes": _number(result.mean_minutes_after),
        "methode": {
            "modele": MODELS[model],
            "resolution": "exacte" if result.method == "exact" else "heuristique gloutonne",
            "solveur": result.solver,
            "temps_trajet": travel,
        },
        "objectif": _number(result.objective),
        "borne_lp": _number(result.bound),
        "ecart_optimalite": _number(result.gap),
        "ecart_maximal_garanti": _number(result.gap_bound)
        if result.gap_bound is not None
        else None,
        "temps_trajet": travel,
        "communes_hors_d_atteinte": result.uncoverable,
        "secondes": round(result.seconds, 3),
        "notes": notes_text(result.notes),
        "fichiers_lus": files_summary(study.sources),
        "types_sans_donnees": [kind] if not len(existing_sites) else [],
    }
    if not len(existing_sites):
        summary["notes"].insert(0, note_text(no_data_note(kind, study.typology)))
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    _print_siting(summary)


def _commune_name(territory: Any, code: Any) -> str | None:
    names = territory.all_communes().set_index("commune")["name"]
    return str(names.get(code)) if code in names.index else None


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def _print_siting(summary: dict[str, Any]) -> None:
    method = summary["methode"]
    click.echo(
        f"{summary['territoire']} : implanter {summary['libelle'] or summary['type']} "
        f"({summary['type']}) à moins de {summary['seuil_minutes']:g} min — "
        f"{method['modele']}, résolution {method['resolution']} ({method['solveur']})."
    )
    notes = list(summary["notes"])
    if summary["types_sans_donnees"]:  # said first: the sites below ignore what exists
        click.echo(f"Note : {notes.pop(0)}")
    click.echo(f"Temps de trajet : {summary['temps_trajet']}.")
    click.echo(
        f"{summary['sites_existants']} site(s) existant(s) gardé(s), "
        f"{summary['candidats']} candidat(s)."
    )
    click.echo("Sites proposés :")
    for site in summary["sites_choisis"]:
        click.echo(
            f"  {site['nom']} ({site['nom_commune'] or site['commune']}, {site['id']}) : "
            f"{_fmt(site['population_nouvellement_couverte'])} habitants nouvellement à moins "
            f"de {summary['seuil_minutes']:g} min"
        )
    click.echo(
        f"Population à moins de {summary['seuil_minutes']:g} min : "
        f"{_fmt(summary['population_couverte_avant'])} avant, "
        f"{_fmt(summary['population_couverte_apres'])} après, sur {_fmt(summary['population'])} "
        f"(+{_fmt(summary['population_nouvellement_couverte'])} nouvellement couverts)."
    )
    gap = summary["ecart_optimalite"]
    line = (
        f"Écart à l'optimum : {100 * gap:.2f} %".replace(".", ",")
        if gap is not None
        else "Écart à l'optimum : inconnu"
    )
    if summary["borne_lp"] is not None:
        line += f" (borne LP par HiGHS : {summary['borne_lp']:g}"
        if summary["ecart_maximal_garanti"] is not None:
            garanti = f"{100 * summary['ecart_maximal_garanti']:.1f}".replace(".", ",")
            line += f", écart garanti ≤ {garanti} %"
        line += ")"
    click.echo(line + ".")
    for note in notes:
        click.echo(f"Note : {note}")


@click.command("scenario")
@click.argument("fichier", type=click.Path(path_type=Path))
@territory_options
@source_options
@network_options
@click.option(
    "--sortie",
    type=click.Path(path_type=Path),
    default=None,
    help="Dossier où écrire tables (Parquet, CSV), couche GPKG et carte PNG.",
)
@click.option("--json", "as_json", is_flag=True, help="Écrire la différence en JSON.")
@fail_on_errors
def scenario(fichier: Path, sortie: Path | None, as_json: bool, **options: Any) -> None:
    """Appliquer le scénario FICHIER (TOML) et comparer le diagnostic avant et après."""
    from maillage.outputs.french import note_text
    from maillage.outputs.scenario import scenario_summary, write_scenario
    from maillage.services.catalogue import no_data_note, types_without_data
    from maillage.sources.accounting import files_summary, write_rejects

    study = load_study(**options)
    result = study.scenario(fichier)
    summary = scenario_summary(result)
    opened = sorted({item.type for item in result.scenario.open})
    missing = types_without_data(study.services, study.typology, codes=opened)
    summary["types_sans_donnees"] = [code for codes in missing.values() for code in codes]
    summary["notes"] = [
        *(note_text(no_data_note(c, study.typology)) for c in summary["types_sans_donnees"]),
        *summary["notes"],
    ]
    summary["fichiers_lus"] = files_summary(study.sources)
    if sortie is not None:
        summary["dossier"] = str(write_scenario(result, sortie))
        summary["rejets"] = str(write_rejects(study.sources, sortie))
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    _print_scenario(summary, study.typology)


def _print_scenario(summary: dict[str, Any], typology: Any) -> None:
    import pandas as pd

    labels = typology.types.set_index("type")["label"].to_dict() | typology.family_labels
    click.echo(f"Scénario « {summary['scenario']} » — {summary['territoire']}.")
    click.echo(f"Temps de trajet : {summary['temps_trajet']}.")
    for change in summary["changements"]:
        click.echo(f"  {change['action']} : {change['nom']} ({change['id']}, {change['commune']})")
    for road in summary["routes_fermees"]:
        click.echo(f"  route fermée : {road}")
    if not summary["acces"]:
        click.echo("Aucun habitant ne gagne ni ne perd l'accès à un service sous les seuils.")
    else:
        click.echo("Accès (habitants à moins du seuil, avant → après ; gagnent / perdent) :")
        table = pd.DataFrame(summary["acces"])
        for row in table.itertuples():
            season = "été" if row.saison == "ete" else "hiver"
            click.echo(
                f"  {season}, {labels.get(row.cle, row.cle)}, {row.seuil_minutes:g} min : "
                f"{_fmt(row.population_avant)} → {_fmt(row.population_apres)} "
                f"(+{_fmt(row.population_gagnant_acces)} / −{_fmt(row.population_perdant_acces)})"
            )
    moved = [c for c in summary["communes"] if c["saison"] == "ete" and c["niveau"] == "type"]
    if moved:
        click.echo("Communes dont le temps change (été, par type de service) :")
        for row in sorted(moved, key=lambda c: -abs(c["ecart_minutes"] or 0))[:15]:
            before = minutes(row["minutes_avant"], 1, unknown="inaccessible")
            after = minutes(row["minutes_apres"], 1, unknown="inaccessible")
            click.echo(
                f"  {row['nom']} ({labels.get(row['cle'], row['cle'])}) : {before} → {after}"
            )
        if len(moved) > 15:
            rest = plural(len(moved) - 15, "autre commune")
            click.echo(f"  … {rest} (--json ou --sortie pour tout voir)")
    if "dossier" in summary:
        click.echo(f"Tables, couche GPKG et carte : {summary['dossier']}")
    for note in summary["notes"]:
        click.echo(f"Note : {note}")
