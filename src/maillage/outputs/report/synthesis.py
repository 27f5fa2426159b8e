"""The report's one-page synthèse: the findings that matter, each with its map or table.

Every finding is a sentence with the figure read in the report's own tables, and the id
of the map or table that shows it (its page is printed beside it in the PDF).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from maillage.indicators.classes import ENJEU_LEVELS
from maillage.indicators.diagnostic import Diagnostic
from maillage.indicators.official import UNDERSERVED_APL_GP
from maillage.outputs.french import beyond_column, minutes, number, percent, plural
from maillage.outputs.report.content import ReportSection, access_rows
from maillage.schema import TERRITORY
from maillage.services.typology import FAMILIES, load_typology
from maillage.sources.communes import read_epci

#: How many findings the synthèse holds at most (one page).
MAX_FINDINGS = 10


def synthesis_section(diagnostic: Diagnostic, sections: Sequence[ReportSection]) -> ReportSection:
    """The synthèse: five to ten findings, each referring to a map or table of ``sections``.

    Parameters
    ----------
    diagnostic
        The computed diagnostic.
    sections
        The report's other sections (findings refer only to their maps and tables).
    """
    present = (
        {f.id for s in sections for f in s.figures}
        | {t.id for s in sections for t in s.tables}
        | {s.id for s in sections}
    )
    labels = load_typology().family_labels
    communes = diagnostic.communes
    population = float(communes["population"].sum())
    findings: list[tuple[str, str, str]] = [
        (
            f"{diagnostic.territory.name} : {plural(population, 'habitant')}, "
            f"{plural(len(communes), 'commune')}, "
            f"{plural(communes['epci'].nunique(), 'intercommunalité')}.",
            "territoire-epci",
            "tableau des intercommunalités",
        )
    ]
    missing = []
    for family in FAMILIES:
        label = labels.get(family, family)
        rows = access_rows(diagnostic, family)
        if rows.empty or f"carte-temps-{family}" not in present:
            missing.append(label.lower())
            continue
        whole = rows.iloc[0]
        # The largest threshold somebody is beyond says the most; if nobody is beyond any,
        # say everyone is within the first one.
        beyond = [
            t
            for t in sorted(diagnostic.thresholds_minutes, reverse=True)
            if whole[beyond_column("population", t)] > 0
        ]
        threshold = beyond[0] if beyond else min(diagnostic.thresholds_minutes)
        share = whole[beyond_column("share", threshold)]
        if beyond:
            reach = (
                f"{plural(whole[beyond_column('population', threshold)], 'habitant')} "
                f"({percent(share)}) à plus de {threshold:g} minutes du service le plus proche"
            )
        else:
            reach = f"tous les habitants à moins de {threshold:g} minutes du service le plus proche"
        epci = rows[rows["niveau"] == "epci"].sort_values(
            beyond_column("share", threshold), ascending=False
        )
        worst = ""
        if len(epci) and epci.iloc[0][beyond_column("share", threshold)] > share:
            name = read_epci().set_index("epci")["name"].get(epci.iloc[0]["zone"], "")
            worst = (
                f" ; la part la plus forte est celle de la {name} "
                f"({percent(epci.iloc[0][beyond_column('share', threshold)])})"
            )
        median = whole["median_minutes"]
        middle = (
            "plus de la moitié des habitants l'ont dans leur commune"
            if median == 0
            else f"temps médian {_minutes(median)}"
        )
        official = _apl_text(diagnostic) if family == "soins" else ""
        findings.append(
            (
                f"{label} : {reach} ; {middle}{worst}{official}.",
                f"carte-temps-{family}",
                f"carte des temps, {label.lower()}",
            )
        )
    enjeux = diagnostic.enjeux
    top = enjeux[enjeux["enjeu_level"] == ENJEU_LEVELS[-1]].sort_values("rank")
    if "carte-enjeux" in present:
        names = communes.set_index("origin_id")["name"]
        first = ", ".join(str(names.get(c, c)) for c in top["origin_id"].head(4))
        findings.append(
            (
                f"{plural(len(top), 'commune')} en enjeu très fort (au-delà d'un seuil de "
                f"temps, public concerné plus présent qu'ailleurs)"
                + (f" : {first}{'…' if len(top) > 4 else ''}" if len(top) else "")
                + ".",
                "carte-enjeux",
                "carte des territoires à enjeux",
            )
        )
    ranked = diagnostic.enjeux_epci.dropna(subset=["rank"]).sort_values("rank")
    if len(ranked) and f"fiche-{ranked.iloc[0]['epci']}" in present:
        code = ranked.iloc[0]["epci"]
        name = read_epci().set_index("epci")["name"].get(code, code)
        findings.append(
            (
                f"Intercommunalité la plus à enjeu : {name} "
                f"({plural(ranked.iloc[0]['communes_tres_fort'], 'commune')} en enjeu très fort).",
                f"fiche-{code}",
                "sa fiche intercommunale",
            )
        )
    season = communes["population_peak"].sum()
    if "saisons-familles" in present and population:
        findings.append(
            (
                f"En saison touristique, la population atteint {plural(season, 'personne')}, "
                f"{_ratio(season / population)} la population résidente.",
                "saisons-familles",
                "tableau été et hiver",
            )
        )
    if "carte-bassins" in present and len(diagnostic.bassins):
        poles = diagnostic.bassins["bassin"].dropna().nunique()
        findings.append(
            (
                f"{plural(poles, 'bassin de services', 'bassins de services')}, chacun d'un seul "
                f"tenant autour de son pôle ; {percent(diagnostic.bassin_agreement)} de la "
                "population est dans le bassin de vie 2022 de l'INSEE apparié au sien.",
                "carte-bassins",
                "carte des bassins de services",
            )
        )
    saturday = _saturday_share(diagnostic)
    if saturday is not None and "horaires-familles" in present:
        findings.append(
            (
                f"{percent(saturday)} des habitants ont à moins de "
                f"{diagnostic.settings.hours_within_minutes:g} minutes un service "
                "public ouvert le samedi (horaires publiés).",
                "horaires-familles",
                "tableau des horaires",
            )
        )
    if missing:
        findings.append(
            (
                "Sans données dans les sources utilisées : "
                + ", ".join(missing)
                + " ; ajoutez la Base permanente des équipements (maillage telecharger).",
                "methode",
                "méthode et sources",
            )
        )
    section = ReportSection("synthese", "Synthèse", kind="page")
    section.paragraphs.append(
        "Les constats principaux du diagnostic, chacun avec la carte ou le tableau qui le montre."
    )
    section.findings = findings[:MAX_FINDINGS]
    return section


def _saturday_share(diagnostic: Diagnostic) -> float | None:
    hours = diagnostic.hours
    part = hours[(hours["family"] == "social_emploi") & (hours["services_with_hours"] > 0)]
    if part.empty:
        return None
    population = diagnostic.communes.set_index("origin_id")["population"].astype(float)
    open_on_saturday = part.loc[part["saturday_within"].astype(bool), "origin_id"]
    total = population.sum()
    return float(population.reindex(open_on_saturday).sum() / total) if total else None


def _apl_text(diagnostic: Diagnostic) -> str:
    """The DREES APL of the territory, said after the soins finding (empty without it)."""
    zones = diagnostic.official_zones
    whole = zones[zones["level"] == TERRITORY] if len(zones) else zones
    if whole.empty or pd.isna(whole.iloc[0]["apl_gp"]):
        return ""
    under = int(diagnostic.official["underserved"].fillna(False).astype(bool).sum())
    return (
        f" ; APL aux médecins généralistes (DREES) : {number(whole.iloc[0]['apl_gp'], 2)} "
        f"consultations par habitant et par an, {plural(under, 'commune')} sous le seuil "
        f"de {number(UNDERSERVED_APL_GP, 1)} ({percent(whole.iloc[0]['underserved_share'])} "
        "de la population)"
    )


def _minutes(value: object) -> str:
    return minutes(value, 1)


def _ratio(value: float) -> str:
    return f"{number(value, 1)} fois"
