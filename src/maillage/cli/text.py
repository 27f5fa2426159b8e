"""Plain-text (French) rendering of the command summaries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from maillage.outputs.french import number as _number
from maillage.outputs.french import percent, plural

WINTER_LABEL = "  hiver (pointe saisonnière)"


def _minutes_or_dash(median: float | None) -> str:
    return "—" if median is None else f"{median:.0f} min"


def print_territory(summary: dict[str, Any]) -> None:
    """Print the summary of ``maillage territoire``."""
    echo = click.echo
    echo(
        f"{summary['territoire']} : {len(summary['communes'])} communes, "
        f"{len(summary['epci'])} EPCI, {_number(summary['population'])} habitants "
        "(population municipale)"
    )
    echo("")
    echo("EPCI")
    for epci in summary["epci"]:
        echo(
            f"  {epci['code']}  {epci['nom']:<55} {epci['communes']:>3} communes "
            f"{_number(epci['population']):>9} hab."
        )
    ring = summary["couronne"]
    echo("")
    echo(
        f"Couronne de {ring['largeur_km']:g} km ({ring['methode']}) : {ring['communes']} "
        f"communes voisines, {_number(ring['population'])} hab. ; leurs services comptent "
        "pour les habitants du territoire."
    )
    echo("")
    echo(f"{'Services par famille':<48} {'territoire':>10} {'couronne':>10}")
    for family, label in summary["familles"].items():
        echo(
            f"  {label:<46} {summary['services_par_famille'][family]:>10} "
            f"{summary['services_couronne_par_famille'][family]:>10}"
        )
    print_counted(summary["ce_qui_est_compte"], summary["familles"])
    echo("")
    echo("Services par source (territoire)")
    for source, count in summary["services_par_source"].items():
        echo(f"  {source:<46} {count:>10}")
    for entry in summary["fichiers"]:
        echo(
            f"Fichier {entry['fichier']} : "
            f"{_counts(entry['lues'], entry['acceptees'], entry['rejetees'])}"
            " (détail : maillage verifier)."
        )
    echo("")
    echo("Communes")
    for commune in summary["communes"]:
        echo(f"  {commune['code']}  {commune['nom']:<40} {_number(commune['population']):>8} hab.")


def _counts(read: int, accepted: int, rejected: int) -> str:
    """``1 ligne lue, 1 acceptée, 0 rejetée`` with French agreement."""
    return (
        f"{plural(read, 'ligne lue', 'lignes lues')}, {plural(accepted, 'acceptée')}, "
        f"{plural(rejected, 'rejetée')}"
    )


def print_counted(counted: dict[str, list[dict[str, Any]]], labels: dict[str, str]) -> None:
    """Print what each family counts: types, source and vintage, points or commune counts."""
    echo = click.echo
    echo("")
    echo("Ce qui est compté, par famille (territoire)")
    for family, entries in counted.items():
        echo(f"  {labels.get(family, family)}")
        if not entries:
            echo("    aucune donnée pour cette famille (ajoutez la BPE avec --sources)")
        for entry in entries:
            echo(
                f"    {entry['type']:<7} {entry['libelle'][:44]:<44} {entry['services']:>6}  "
                f"{entry['forme']:<20} {entry['source']}"
            )


def print_verification(summary: dict[str, Any]) -> None:
    """Print the result of ``maillage verifier``, line by line."""
    echo = click.echo
    rejected = summary["rejetees"]
    echo(f"{summary['fichier']} : {_counts(summary['lues'], summary['acceptees'], len(rejected))}.")
    for warning in summary["avertissements"]:
        echo(f"Avertissement : {warning}")
    for row in rejected:
        where = f"ligne {row['ligne']}" if row["ligne"] is not None else "objet"
        detail = ""
        if row["valeur"] is not None:
            detail = (
                f" [{row['colonne']} = {row['valeur']}]"
                if row["colonne"]
                else f" [{row['valeur']}]"
            )
        fix = f" Correction : {row['correction']}" if row["correction"] else ""
        echo(f"  Rejet {where} : {row['raison']}{detail}.{fix}")
    if summary["types"]:
        echo(
            "Types de services acceptés : "
            + ", ".join(f"{code} ({count})" for code, count in summary["types"].items())
        )


def print_diagnostic(summary: dict[str, Any], folder: Path) -> None:
    """Print the short summary of ``maillage diagnostic``."""
    echo = click.echo
    echo(
        f"Diagnostic — {summary['territoire']} : {summary['communes']} communes, "
        f"{_number(summary['population'])} habitants ; temps : {summary['methode']}."
    )
    for note in summary["notes"]:
        echo(f"Attention : {note}")
    thresholds = summary["seuils_minutes"]
    echo("")
    echo(f"{'Famille':<42} {'médiane':>8}  " + "  ".join(f"> {t:g} min" for t in thresholds))
    for family, values in summary["familles"].items():
        beyond = "  ".join(
            f"{_number(values['population_au_dela'][f'{t:g}']):>8}" for t in thresholds
        )
        median_text = _minutes_or_dash(values["mediane_minutes"])
        echo(f"  {summary['libelles'].get(family, family):<40} {median_text:>8}  {beyond}")
        if "hiver" in values:
            winter = values["hiver"]
            beyond = "  ".join(
                f"{_number(winter['population_au_dela'][f'{t:g}']):>8}" for t in thresholds
            )
            echo(f"  {WINTER_LABEL:<40} {_minutes_or_dash(winter['mediane_minutes']):>8}  {beyond}")
    if "ce_qui_est_compte" in summary:
        print_counted(summary["ce_qui_est_compte"], summary["libelles"])
    if "indicateurs_officiels" in summary:
        apl = summary["indicateurs_officiels"]
        under_served = percent(apl["part_population_sous_dense"])
        echo("")
        echo(
            f"APL aux médecins généralistes ({apl['source']}) : "
            f"{_number(apl['apl_generalistes'], 1)} consultations par habitant et par an ; "
            f"{under_served} de la population en zone sous-dense "
            f"(APL < {_number(apl['seuil_sous_dense'], 1)})"
        )
        for epci in apl["epci"]:
            figures = f"{_number(epci['apl_generalistes'], 1):>5}  "
            echo(
                f"  {epci['code']}  {epci['nom'][:50]:<50} {figures}"
                f"{percent(epci['part_population_sous_dense']):>5} sous-dense"
            )
    echo("")
    echo("Territoires à enjeux (rang, commune, raisons)")
    for row in summary["enjeux"]:
        echo(f"  {row['rang']:>3}  {row['nom']:<32} {row['classe']:<10} {row['raisons']}")
    if summary["accord_bassins_de_vie"] is not None:
        echo(
            f"Bassins de services : {percent(summary['accord_bassins_de_vie'])} de la population "
            "dans le même bassin que dans les bassins de vie 2022 de l'INSEE."
        )
    missing = summary.get("types_sans_donnees") or {}
    if missing:
        echo("")
        echo("Types sans aucune donnée (temps inconnus ; ajoutez un fichier avec --sources) :")
        for family, codes in missing.items():
            shown = ", ".join(codes[:8]) + (" …" if len(codes) > 8 else "")
            echo(f"  {summary['libelles'].get(family, family)} : {len(codes)} type(s) ({shown})")
    echo("")
    echo(
        f"Résultats écrits dans {folder}/ (diagnostic.gpkg, diagnostic.xlsx, csv/, "
        "tables Parquet, resume.json)."
    )
