"""What each family counts, and the official indicators beside our times, in words.

Everything here is read off the diagnostic's tables (``official``, ``official_zones``,
``family_times``, ``access``) and the services the study used: the report renders, it
does not compute. The figures are those DREES, the CAF and Acceslibre publish
(:mod:`maillage.indicators.official`).
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd

from maillage.indicators.diagnostic import Diagnostic
from maillage.indicators.official import UNDERSERVED_APL_GP
from maillage.outputs.french import beyond_column, plural
from maillage.outputs.report.content import (
    ReportSection,
    Table,
    access_rows,
    french_number,
    french_percent,
)
from maillage.schema import SUMMER, TERRITORY
from maillage.services.catalogue import counted_by_family, types_without_data
from maillage.services.typology import Typology, load_typology
from maillage.sources.communes import read_epci

#: The type of general practitioners (BPE), whose APL DREES publishes.
GP_TYPE = "D265"
#: How many types without data a family's paragraph names (the others are counted).
NAMED_MISSING_TYPES = 6
#: Order of the BPE ranges (gammes) when types are named.
GAMME_ORDER = {"proximite": 0, "intermediaire": 1, "superieure": 2}
#: Acronyms and proper names kept as written when a BPE label is put in lower case.
_KEPT = {"caf": "CAF", "france services": "France Services", "ssr": "SSR", "pmi": "PMI"}
#: Coverage rate (places per 100 children under 3) under which a commune is named.
LOW_CHILDCARE_COVERAGE_PCT = 50
#: How many of the lowest-covered communes the petite enfance paragraph names.
NAMED_LOW_COMMUNES = 5
#: APL of the professions other than general practitioners (FTE per 100,000 inhabitants).
OTHER_PROFESSIONS = {
    "apl_nurses": "Infirmiers",
    "apl_physiotherapists": "Masseurs-kinésithérapeutes",
    "apl_dentists": "Chirurgiens-dentistes",
    "apl_midwives": "Sages-femmes",
}


def type_label(label: object) -> str:
    """A BPE label (in capitals) as a lower-case noun, acronyms kept.

    Examples
    --------
    >>> type_label("ASSISTANTS MATERNELS (PLACES CAF)"), type_label("FRANCE SERVICES")
    ('assistants maternels (places CAF)', 'France Services')
    """
    text = str(label).lower()
    for lower, kept in _KEPT.items():
        text = re.sub(rf"\b{lower}\b", kept, text)
    return text


def counted_paragraphs(
    services: gpd.GeoDataFrame, family: str, typology: Typology | None = None
) -> list[str]:
    """What a family counts in the territory: types, source and vintage, points or
    commune counts; then, in one sentence, the family's types without any data.

    Examples
    --------
    >>> import geopandas as gpd
    >>> s = gpd.GeoDataFrame({"type": ["D307"], "family": ["soins"], "zone": ["territory"],
    ...     "source": ["comptages_bpe"]}, geometry=gpd.points_from_xy([6.3], [45.3]), crs=4326)
    >>> print(counted_paragraphs(s, "soins")[0])  # doctest: +ELLIPSIS
    Ce qui est compté : pharmacie, 1 dans le territoire (INSEE, BPE 2024 (comptages par ...
    """
    typology = load_typology() if typology is None else typology
    table = counted_by_family(services, typology)
    rows = table[(table["family"] == family) & table["type"].notna()]
    nearest = typology.types.set_index("type")["nearest"]
    parts = []
    for row in rows.itertuples():
        how = (
            "comptage par commune, au chef-lieu"
            if row.counted == "comptages communaux"
            else "points localisés"
        )
        aside = "" if nearest.get(row.type, True) else " ; type à part, jamais le plus proche"
        parts.append(
            f"{type_label(row.label)}, {french_number(row.services)} dans le territoire "
            f"({str(row.source_label).replace('~', 'vers ')} ; {how}{aside})"
        )
    paragraphs = [
        "Ce qui est compté : " + " ; ".join(parts) + "."
        if parts
        else "Ce qui est compté : aucun service de cette famille dans les données utilisées."
    ]
    missing = types_without_data(services, typology).get(family, [])
    if missing:
        types = typology.types.set_index("type")
        labels = types["label"]
        # The everyday types first (gamme de proximité), as élus look for them.
        rank = types["gamme"].map(GAMME_ORDER).fillna(len(GAMME_ORDER))
        missing = sorted(missing, key=lambda code: (rank.get(code, len(GAMME_ORDER)), code))
        named = [type_label(labels.get(code, code)) for code in missing[:NAMED_MISSING_TYPES]]
        more = len(missing) - len(named)
        paragraphs.append(
            f"Sans donnée dans les sources utilisées (temps inconnus, non comptés) : "
            f"{plural(len(missing), 'type')}, "
            + ", ".join(named)
            + (f" et {plural(more, 'autre')}" if more > 0 else "")
            + " ; la Base permanente des équipements (maillage telecharger) les localise."
        )
    return paragraphs


def nearest_care(diagnostic: Diagnostic) -> tuple[pd.Series, str]:
    """Summer minutes of each commune to the nearest general practitioner when the data
    locate them, else to the nearest service of the "soins" family; and what they are."""
    nearest = diagnostic.nearest
    gp = nearest[(nearest["type"] == GP_TYPE) & (nearest["season"] == SUMMER)]
    if len(gp) and gp["minutes"].notna().any():
        return gp.set_index("origin_id")["minutes"], "médecin généraliste le plus proche"
    times = diagnostic.family_times
    care = times[(times["family"] == "soins") & (times["season"] == SUMMER)]
    return care.set_index("origin_id")["minutes"], "service de soins le plus proche"


def apl_paragraph(diagnostic: Diagnostic) -> str | None:
    """The territory's APL to general practitioners and its under-served communes."""
    zones, communes = diagnostic.official_zones, diagnostic.official
    if zones.empty or communes["apl_gp"].isna().all():
        return None
    whole = zones[zones["level"] == TERRITORY].iloc[0]
    under = communes["underserved"].fillna(False).astype(bool)
    threshold = french_number(UNDERSERVED_APL_GP, 1)
    return (
        "Accessibilité potentielle localisée (APL) aux médecins généralistes publiée par la "
        f"DREES (2023), en consultations par habitant et par an : "
        f"{french_number(whole['apl_gp'], 2)} sur le territoire (moyenne des communes "
        "pondérée par leur population). "
        f"{plural(int(under.sum()), 'commune')} sous le seuil de {threshold} de la DREES "
        f"(zones sous-denses), soit {french_percent(whole['underserved_share'])} de la "
        "population. Nos temps d'accès figurent à côté."
    )


def apl_epci_table(diagnostic: Diagnostic) -> Table | None:
    """APL per EPCI (weighted by DREES's population) beside our times to care."""
    zones = diagnostic.official_zones
    if zones.empty or zones["apl_gp"].isna().all():
        return None
    access = access_rows(diagnostic, "soins")
    last = max(diagnostic.thresholds_minutes)
    times = access.set_index("zone") if len(access) else pd.DataFrame()
    names = read_epci().set_index("epci")["name"]
    body = []
    ordered = pd.concat([zones[zones["level"] == TERRITORY], zones[zones["level"] == "epci"]])
    for row in ordered.itertuples():
        territory = row.level == TERRITORY
        zone = "territoire" if territory else row.zone
        own = times.loc[zone] if zone in times.index else None
        body.append(
            [
                diagnostic.territory.name if territory else str(names.get(row.zone, row.zone)),
                french_number(row.apl_gp, 2),
                french_percent(row.underserved_share),
                *(french_number(getattr(row, column), 0) for column in OTHER_PROFESSIONS),
                french_number(None if own is None else own["median_minutes"], 1),
                french_percent(None if own is None else own[beyond_column("share", last)]),
            ]
        )
    headers = [
        "Zone",
        "APL généralistes (consultations par hab. et par an)",
        f"Population en commune sous-dense (APL < {french_number(UNDERSERVED_APL_GP, 1)})",
        *(f"APL {label.lower()} (ETP pour 100 000 hab.)" for label in OTHER_PROFESSIONS.values()),
        "Soins : temps médian (min)",
        f"Soins : part à {last:g} min ou plus",
    ]
    return Table(
        "apl-epci",
        "APL de la DREES (2023) par intercommunalité, moyennes pondérées par la population, "
        "et nos temps d'accès aux soins",
        headers,
        body,
        [False] + [True] * (len(headers) - 1),
    )


def apl_communes_table(diagnostic: Diagnostic) -> Table | None:
    """APL to general practitioners of each commune, under-served flagged, beside our time."""
    official = diagnostic.official
    if official.empty or official["apl_gp"].isna().all():
        return None
    minutes, what = nearest_care(diagnostic)
    communes = diagnostic.communes.set_index("origin_id")
    table = official.assign(
        name=official["origin_id"].map(communes["name"]),
        minutes=official["origin_id"].map(minutes),
    ).sort_values(["apl_gp", "name"], na_position="last")
    body = [
        [
            str(row.name),
            str(row.origin_id),
            french_number(row.population_apl),
            french_number(row.apl_gp, 2),
            "–" if pd.isna(row.underserved) else ("oui" if row.underserved else "non"),
            french_number(row.minutes, 1),
        ]
        for row in table.itertuples()
    ]
    return Table(
        "apl-communes",
        "APL aux médecins généralistes de chaque commune (DREES 2023), de la moins à la mieux "
        f"dotée, et notre temps au {what}",
        [
            "Commune",
            "Code",
            "Population (DREES)",
            "APL généralistes",
            f"Sous-dense (APL < {french_number(UNDERSERVED_APL_GP, 1)})",
            f"Temps au {what} (min)",
        ],
        body,
        [False, False, True, True, False, True],
    )


def step_free_paragraph(diagnostic: Diagnostic) -> str | None:
    """Share of assessed public buildings with a step-free entrance (Acceslibre 2024)."""
    zones = diagnostic.official_zones
    if zones.empty:
        return None
    whole = zones[zones["level"] == TERRITORY].iloc[0]
    if pd.isna(whole["erp_assessed"]) or not whole["erp_assessed"]:
        return None
    return (
        "Accessibilité des établissements recevant du public (Acceslibre, 2024) : "
        f"{plural(whole['erp_assessed'], 'établissement évalué', 'établissements évalués')}, "
        f"dont {french_percent(whole['step_free_share'])} de plain-pied parmi les "
        f"{french_number(whole['erp_entrance_known'])} dont l'entrée est décrite."
    )


def childcare_paragraph(diagnostic: Diagnostic) -> str | None:
    """CNAF's coverage rate of early childhood care (2021) across the territory's communes.

    The rate is published per commune only (places for 100 children under 3), so the
    paragraph gives the median commune, the lowest ones and the communes under half.
    """
    official = diagnostic.official
    if official.empty or official["childcare_coverage_pct"].isna().all():
        return None
    names = diagnostic.communes.set_index("origin_id")["name"]
    rates = official.set_index("origin_id")["childcare_coverage_pct"].dropna().sort_values()
    low = rates[rates < LOW_CHILDCARE_COVERAGE_PCT]
    lowest = ", ".join(
        f"{names.get(code, code)} ({french_number(rate, 0)}\u202f%)"
        for code, rate in low.head(NAMED_LOW_COMMUNES).items()
    )
    unknown = len(official) - len(rates)
    return (
        "Taux de couverture global de l'accueil du jeune enfant publié par la CNAF (2021), "
        "en places pour 100 enfants de moins de 3 ans : "
        f"{french_number(rates.median(), 0)}\u202f% pour la commune médiane du territoire ; "
        f"{plural(len(low), 'commune')} sous {LOW_CHILDCARE_COVERAGE_PCT}\u202f%"
        + (f", dont {lowest}{' …' if len(low) > NAMED_LOW_COMMUNES else ''}" if len(low) else "")
        + "."
        + (f" Taux non publié pour {plural(unknown, 'commune')}." if unknown else "")
    )


def add_official(section: ReportSection, diagnostic: Diagnostic, family: str) -> None:
    """The official indicators of a family's section: APL in "soins", the CAF's coverage
    rate in "petite_enfance"."""
    if family == "petite_enfance":
        childcare = childcare_paragraph(diagnostic)
        if childcare is not None:
            section.paragraphs.append(childcare)
        return
    if family != "soins":
        return
    paragraph = apl_paragraph(diagnostic)
    if paragraph is not None:
        section.paragraphs.append(paragraph)
    for table in (apl_epci_table(diagnostic), apl_communes_table(diagnostic)):
        if table is not None:
            section.tables.append(table)


def epci_official_rows(diagnostic: Diagnostic, code: str) -> list[list[str]]:
    """The fiche intercommunale's rows of official indicators: the EPCI, the territory."""
    zones = diagnostic.official_zones
    if zones.empty:
        return []
    own = zones[(zones["level"] == "epci") & (zones["zone"] == code)]
    whole = zones[zones["level"] == TERRITORY]
    if own.empty or whole.empty:
        return []
    epci, territory = own.iloc[0], whole.iloc[0]
    return [
        [
            "APL aux médecins généralistes (DREES 2023, consultations par hab. et par an)",
            french_number(epci["apl_gp"], 2),
            french_number(territory["apl_gp"], 2),
        ],
        [
            f"Habitants en commune sous-dense (APL < {french_number(UNDERSERVED_APL_GP, 1)})",
            french_percent(epci["underserved_share"]),
            french_percent(territory["underserved_share"]),
        ],
        [
            "Établissements recevant du public de plain-pied (Acceslibre 2024)",
            french_percent(epci["step_free_share"]),
            french_percent(territory["step_free_share"]),
        ],
    ]
