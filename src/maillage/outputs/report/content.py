"""What the report says: every figure and table of it, computed from a :class:`Diagnostic`.

The tables here are the ones the exports write (same functions, same rounding), so that a
figure read in the report can be found in ``diagnostic.xlsx`` and the CSV files.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from maillage._data import data_path
from maillage._progress import progress
from maillage.indicators.access import weighted_median
from maillage.indicators.diagnostic import Diagnostic
from maillage.network.model import Method
from maillage.outputs.french import export_table, method_label, note_text, notes_text
from maillage.outputs.report import maps
from maillage.services.typology import FAMILIES, load_typology
from maillage.sources.communes import read_departements, read_epci

#: The radius of the opening-hours indicators (as in :func:`run_diagnostic`'s default).
HOURS_WITHIN_MINUTES = 20.0


@dataclass
class Figure:
    """A map or chart of the report: PNG bytes and a caption."""

    png: bytes
    caption: str
    id: str

    @property
    def data_uri(self) -> str:
        """The PNG as a ``data:`` URI, so the HTML stands alone."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class Table:
    """A table of the report: French headers, already formatted cells."""

    id: str
    caption: str
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)


@dataclass
class ReportSection:
    """A section of the report (families, scenarios and siting add their own).

    Attributes
    ----------
    id
        The HTML anchor (``famille-soins``, ``enjeux``...).
    title
        The French heading.
    paragraphs
        Text paragraphs (plain text: escaped when rendered).
    figures, tables
        Maps and tables, in order.
    warning
        A highlighted warning paragraph (straight-line estimate, missing data).
    """

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    warning: str | None = None


def french_number(value: object, decimals: int = 0) -> str:
    """A number the French way: thin spaces between thousands, decimal comma.

    Examples
    --------
    >>> french_number(42946), french_number(3.389, 1), french_number(float("nan"))
    ('42\\u202f946', '3,4', '–')
    """
    if value is None or value is pd.NA:
        return "–"
    number = float(value)  # type: ignore[arg-type]
    if np.isnan(number):
        return "–"
    text = f"{number:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return "0" if text in ("-0", "-0,0") else text


def french_percent(share: object, decimals: int = 1) -> str:
    """A share in [0, 1] as a French percentage: ``8,7 %``."""
    number = french_number(100 * float(share), decimals)  # type: ignore[arg-type]
    return number if number == "–" else f"{number}\u00a0%"


def build_sections(
    diagnostic: Diagnostic,
    services: gpd.GeoDataFrame,
    *,
    extra_sections: Sequence[ReportSection] = (),
) -> list[ReportSection]:
    """Every section of the report, in reading order.

    Parameters
    ----------
    diagnostic
        The computed diagnostic.
    services
        The services it used (counted per family and source).
    extra_sections
        Sections of scenarios or siting, placed before the method.
    """
    layers = maps.map_layers(diagnostic.territory, diagnostic.communes)
    sections = [territory_section(diagnostic, services, layers)]
    labels = load_typology().family_labels
    families = progress(FAMILIES, description="Rapport : cartes par famille", unit="famille")
    sections += [
        family_section(diagnostic, services, layers, family, labels.get(family, family))
        for family in families
    ]
    sections += [
        hours_section(diagnostic),
        seasons_section(diagnostic),
        bassins_section(diagnostic, layers),
        enjeux_section(diagnostic, layers),
        *extra_sections,
        method_section(diagnostic, services),
    ]
    return sections


def straight_line_warning(diagnostic: Diagnostic) -> str | None:
    """The warning every page with times carries when they are straight-line estimates."""
    if diagnostic.method is not Method.STRAIGHT_LINE:
        return None
    return (
        "Temps estimés à vol d'oiseau (distance × coefficient de détour, à vitesse moyenne), "
        "faute de réseau routier : ils sous-estiment les temps en montagne. Relancez avec un "
        "extrait OpenStreetMap (--reseau) pour des temps par la route."
    )


def territory_section(
    diagnostic: Diagnostic, services: gpd.GeoDataFrame, layers: maps.MapLayers
) -> ReportSection:
    """The territory in numbers: population, communes, EPCI, area, services."""
    communes = diagnostic.communes
    population = int(communes["population"].sum())
    paragraphs = [
        f"{diagnostic.territory.name} : {french_number(population)} habitants "
        f"dans {len(communes)} communes et {communes['epci'].nunique()} intercommunalités."
    ]
    if layers.polygons:
        area_km2 = float(layers.communes.area.sum()) / 1e6
        paragraphs.append(
            f"Superficie : {french_number(area_km2)} km², soit "
            f"{french_number(population / area_km2, 1)} habitants par km²."
        )
    season = communes["population_peak"].sum()
    paragraphs.append(
        f"Population de pointe en saison touristique (résidences secondaires comprises) : "
        f"{french_number(season)} personnes, {french_number(season / population, 1)} fois "
        "la population résidente."
    )
    epci_names = read_epci().set_index("epci")["name"]
    by_epci = communes.groupby("epci").agg(
        communes=("origin_id", "size"),
        population=("population", "sum"),
        population_peak=("population_peak", "sum"),
    )
    epci_rows = [
        [
            str(epci_names.get(code, code)),
            code,
            french_number(row.communes),
            french_number(row.population),
            french_number(row.population_peak),
        ]
        for code, row in by_epci.sort_values("population", ascending=False).iterrows()
    ]
    epci_table = Table(
        "territoire-epci",
        "Intercommunalités du territoire",
        ["Intercommunalité", "SIREN", "Communes", "Population", "Population de pointe"],
        epci_rows,
        [False, False, True, True, True],
    )
    inside = services[services["zone"] == "territoire"] if "zone" in services else services
    labels = load_typology().family_labels
    counts = inside.groupby("family").size()
    ring = services.groupby("family").size()
    service_rows = [
        [
            labels.get(family, family),
            french_number(counts.get(family, 0)),
            french_number(ring.get(family, 0) - counts.get(family, 0)),
        ]
        for family in FAMILIES
    ]
    services_table = Table(
        "territoire-services",
        "Services recensés par famille (dans le territoire et dans la couronne voisine)",
        ["Famille de services", "Dans le territoire", "Dans la couronne"],
        service_rows,
        [False, True, True],
    )
    return ReportSection(
        "territoire",
        "Le territoire en chiffres",
        paragraphs=paragraphs,
        tables=[epci_table, services_table],
        warning=straight_line_warning(diagnostic),
    )


def access_rows(diagnostic: Diagnostic, family: str, season: str = "ete") -> pd.DataFrame:
    """Access per zone (territory then EPCI) for a family: the report's threshold table."""
    access = export_table(diagnostic.access)
    part = access[
        (access["family"] == family)
        & (access["saison"] == season)
        & access["niveau"].isin(["territoire", "epci"])
    ]
    order = part["niveau"].map({"territoire": 0, "epci": 1})
    return part.assign(_order=order).sort_values(["_order", "zone"]).drop(columns="_order")


def family_section(
    diagnostic: Diagnostic,
    services: gpd.GeoDataFrame,
    layers: maps.MapLayers,
    family: str,
    label: str,
) -> ReportSection:
    """Time to the nearest service, population beyond thresholds, comparison, E2SFCA."""
    section = ReportSection(f"famille-{family}", label)
    times = export_table(diagnostic.family_times)
    times = times[(times["family"] == family) & (times["saison"] == "ete")]
    if times.empty:
        section.warning = (
            "Aucun service de cette famille dans les données utilisées : ajoutez la Base "
            "permanente des équipements de l'INSEE (maillage telecharger, ou --sources BPE) "
            "ou une liste locale (--sources fichier.csv)."
        )
        return section
    section.warning = straight_line_warning(diagnostic)
    minutes = times.set_index("origin_id")["minutes"]
    thresholds = diagnostic.thresholds_minutes
    classes, class_labels = maps.time_classes(minutes, thresholds)
    territory = access_rows(diagnostic, family).iloc[0]
    section.paragraphs.append(
        f"Temps médian au service le plus proche : {french_number(territory['median_minutes'], 1)} "
        f"min (moyenne {french_number(territory['mean_minutes'], 1)} min, pondérée par la "
        f"population). {french_number(territory[f'population_beyond_{max(thresholds):g}min'])} "
        f"habitants ({french_percent(territory[f'share_beyond_{max(thresholds):g}min'])}) sont à "
        f"{max(thresholds):g} minutes ou plus."
    )
    figure = maps.class_map(
        layers,
        minutes,
        classes,
        class_labels,
        title=f"{label} : temps au service le plus proche",
        legend_title="Temps d'accès (communes)",
        note=_method_note(diagnostic),
    )
    section.figures.append(
        Figure(
            maps.figure_png(figure),
            f"Temps d'accès au service le plus proche ({label.lower()}), depuis le centre de "
            "chaque commune.",
            f"carte-temps-{family}",
        )
    )
    section.tables.append(threshold_table(diagnostic, family))
    comparison = comparison_table(diagnostic, family)
    if comparison is not None:
        section.tables.append(comparison)
    supply = diagnostic.e2sfca[diagnostic.e2sfca["family"] == family]
    if not supply.empty and supply["accessibility_per_10000"].notna().any():
        values = supply.set_index("origin_id")["accessibility_per_10000"]
        classes, class_labels = maps.quantile_classes(values)
        figure = maps.class_map(
            layers,
            values,
            classes,
            class_labels,
            title=f"{label} : offre accessible (E2SFCA)",
            legend_title="Services pour 10 000 hab.",
            palette=maps.SUPPLY_PALETTE,
            note=_method_note(diagnostic),
        )
        section.figures.append(
            Figure(
                maps.figure_png(figure),
                "Accessibilité potentielle localisée (E2SFCA, comme l'APL de la DREES) : "
                "services accessibles pour 10 000 habitants, en tenant compte de la demande "
                "concurrente.",
                f"carte-e2sfca-{family}",
            )
        )
        section.tables.append(e2sfca_table(diagnostic, family))
    return section


def threshold_table(diagnostic: Diagnostic, family: str) -> Table:
    """Population beyond each threshold, territory then each EPCI (summer)."""
    rows = access_rows(diagnostic, family)
    epci_names = read_epci().set_index("epci")["name"]
    thresholds = diagnostic.thresholds_minutes
    body = []
    for row in rows.itertuples():
        zone = (
            diagnostic.territory.name
            if row.niveau == "territoire"
            else str(epci_names.get(row.zone, row.zone))
        )
        cells = [zone, french_number(row.population), french_number(row.median_minutes, 1)]
        for t in thresholds:
            cells.append(french_number(getattr(row, f"population_beyond_{t:g}min")))
            cells.append(french_percent(getattr(row, f"share_beyond_{t:g}min")))
        body.append(cells)
    headers = ["Zone", "Population", "Temps médian (min)"]
    for t in thresholds:
        headers += [f"Hab. à {t:g} min ou plus", "Part"]
    return Table(
        f"acces-{family}",
        "Population au-delà des seuils de temps",
        headers,
        body,
        [False] + [True] * (len(headers) - 1),
    )


def comparison_table(diagnostic: Diagnostic, family: str) -> Table | None:
    """The territory against its département(s) and France, same method."""
    table = export_table(diagnostic.comparison)
    part = table[table["family"] == family] if not table.empty else table
    if part.empty:
        return None
    last = max(diagnostic.thresholds_minutes)
    names = read_departements().set_index("departement")["name"]
    order = {"territoire": 0, "departement": 1, "france": 2}
    body = []
    for row in part.sort_values("niveau", key=lambda c: c.map(order)).itertuples():
        zone = str(row.zone)
        if row.niveau == "departement":
            zone = f"{names.get(zone, zone)} ({zone})"
        body.append(
            [
                zone,
                french_number(row.median_minutes, 1),
                french_number(row.mean_minutes, 1),
                french_percent(getattr(row, f"share_beyond_{last:g}min")),
            ]
        )
    return Table(
        f"comparaison-{family}",
        "Comparaison avec le département et la France (même méthode de calcul)",
        ["Zone", "Temps médian (min)", "Temps moyen (min)", f"Part à {last:g} min ou plus"],
        body,
        [False, True, True, True],
    )


def e2sfca_table(diagnostic: Diagnostic, family: str) -> Table:
    """E2SFCA per EPCI: population-weighted mean, least and best served commune."""
    supply = diagnostic.e2sfca[diagnostic.e2sfca["family"] == family]
    communes = diagnostic.communes[["origin_id", "name", "epci", "population"]]
    frame = communes.merge(supply, on="origin_id", how="inner")
    epci_names = read_epci().set_index("epci")["name"]
    body = []
    for code, part in frame.groupby("epci"):
        weights = part["population"].astype(float)
        values = part["accessibility_per_10000"].astype(float)
        mean = float(np.average(values, weights=weights)) if weights.sum() else float("nan")
        low = part.loc[values.idxmin()]
        body.append(
            [
                str(epci_names.get(code, code)),
                french_number(mean, 1),
                f"{low['name']} ({french_number(low['accessibility_per_10000'], 1)})",
            ]
        )
    return Table(
        f"e2sfca-{family}",
        "Offre accessible (E2SFCA) par intercommunalité",
        ["Intercommunalité", "Moyenne pondérée (pour 10 000 hab.)", "Commune la moins dotée"],
        body,
        [False, True, False],
    )


def hours_section(diagnostic: Diagnostic) -> ReportSection:
    """Opening-hours access: who reaches a service open on Saturday, after 18:00."""
    section = ReportSection("horaires", "Horaires d'ouverture accessibles")
    hours = diagnostic.hours.merge(diagnostic.communes[["origin_id", "population"]], on="origin_id")
    section.paragraphs.append(
        f"Pour chaque commune, les services de chaque famille à moins de "
        f"{HOURS_WITHIN_MINUTES:g} minutes et leurs horaires publiés : heures d'ouverture "
        "cumulées par semaine, ouverture le samedi, après 18 h."
    )
    labels = load_typology().family_labels
    body = []
    for family in [f for f in FAMILIES if f in set(hours["family"])]:
        part = hours[hours["family"] == family]
        population = part["population"].astype(float)
        # No known population (Mayotte in the shipped table): shares are unknown.
        total = float(diagnostic.communes["population"].sum()) or float("nan")
        known = part["services_with_hours"] > 0
        body.append(
            [
                labels.get(family, family),
                french_percent(population[known].sum() / total),
                french_number(
                    weighted_median(
                        part["hours_per_week_within"].to_numpy(float), population.to_numpy()
                    ),
                    1,
                ),
                french_percent(population[part["saturday_within"].astype(bool)].sum() / total),
                french_percent(population[part["after_18h_within"].astype(bool)].sum() / total),
            ]
        )
    section.tables.append(
        Table(
            "horaires-familles",
            f"Accès aux horaires d'ouverture à moins de {HOURS_WITHIN_MINUTES:g} minutes",
            [
                "Famille",
                "Population avec horaires connus",
                "Heures par semaine (médiane)",
                "Population avec ouverture le samedi",
                "Population avec ouverture après 18 h",
            ],
            body,
            [False, True, True, True, True],
        )
    )
    if not body:
        section.warning = "Aucun horaire publié pour les services utilisés."
    return section


def seasons_section(diagnostic: Diagnostic) -> ReportSection:
    """Summer against winter: peak population and times (winter roads when given)."""
    section = ReportSection("saisons", "Saisonnalité : été et hiver")
    access = export_table(diagnostic.access)
    access = access[access["niveau"] == "territoire"]
    seasons = set(access["saison"])
    labels = load_typology().family_labels
    last = max(diagnostic.thresholds_minutes)
    if "hiver" not in seasons:
        section.warning = "Pas de calcul d'hiver pour ce diagnostic."
        return section
    section.paragraphs += [note_text(n) for n in diagnostic.notes if n.code == "winter"]
    body = []
    for family in [f for f in FAMILIES if f in set(access["family"])]:
        rows = access[access["family"] == family].set_index("saison")
        summer, winter = rows.loc["ete"], rows.loc["hiver"]
        body.append(
            [
                labels.get(family, family),
                french_number(summer["population"]),
                french_number(winter["population"]),
                french_number(summer["median_minutes"], 1),
                french_number(winter["median_minutes"], 1),
                french_number(summer[f"population_beyond_{last:g}min"]),
                french_number(winter[f"population_beyond_{last:g}min"]),
            ]
        )
    section.tables.append(
        Table(
            "saisons-familles",
            "Population et temps d'accès, été et hiver",
            [
                "Famille",
                "Population (été)",
                "Population de pointe (hiver)",
                "Temps médian été (min)",
                "Temps médian hiver (min)",
                f"Hab. à {last:g} min ou plus (été)",
                f"Hab. à {last:g} min ou plus (hiver)",
            ],
            body,
            [False] + [True] * 6,
        )
    )
    communes = diagnostic.communes.assign(
        ratio=diagnostic.communes["population_peak"] / diagnostic.communes["population"]
    ).nlargest(8, "ratio")
    section.tables.append(
        Table(
            "saisons-communes",
            "Communes dont la population varie le plus avec la saison",
            ["Commune", "Population", "Population de pointe", "Rapport"],
            [
                [
                    str(row.name),
                    french_number(row.population),
                    french_number(row.population_peak),
                    french_number(row.ratio, 1),
                ]
                for row in communes.itertuples()
            ],
            [False, True, True, True],
        )
    )
    return section


def bassins_section(diagnostic: Diagnostic, layers: maps.MapLayers) -> ReportSection:
    """Bassins de services: map and the pole of each bassin."""
    section = ReportSection("bassins", "Bassins de services")
    bassins = diagnostic.bassins
    if bassins.empty:
        section.warning = "Bassins de services non calculés (aucun service de gamme)."
        return section
    names = _commune_names(diagnostic)
    categories = bassins.set_index("origin_id")["bassin"].astype(str)
    labels = {code: f"Pôle : {names.get(code, code)}" for code in set(categories)}
    figure = maps.category_map(
        layers,
        categories,
        labels,
        title="Bassins de services",
        legend_title="Bassin (commune pôle)",
        note=_method_note(diagnostic),
    )
    section.figures.append(
        Figure(
            maps.figure_png(figure),
            "Chaque commune est rattachée au pôle où ses habitants trouvent au plus vite le "
            "plus de services.",
            "carte-bassins",
        )
    )
    if not np.isnan(diagnostic.bassin_agreement):
        section.paragraphs.append(
            f"Ces bassins coïncident à {french_percent(diagnostic.bassin_agreement, 0)} (part "
            "des communes) avec les bassins de vie 2022 de l'INSEE."
        )
    section.paragraphs += [note_text(n) for n in diagnostic.notes if n.code.startswith("bassins")]
    frame = diagnostic.communes[["origin_id", "population"]].merge(bassins, on="origin_id")
    grouped = frame.groupby("bassin").agg(
        communes=("origin_id", "size"), population=("population", "sum")
    )
    section.tables.append(
        Table(
            "bassins-poles",
            "Bassins de services et leur pôle",
            ["Pôle", "Communes", "Population"],
            [
                [
                    str(names.get(code, code)),
                    french_number(row.communes),
                    french_number(row.population),
                ]
                for code, row in grouped.sort_values("population", ascending=False).iterrows()
            ],
            [False, True, True],
        )
    )
    return section


def enjeux_section(diagnostic: Diagnostic, layers: maps.MapLayers) -> ReportSection:
    """Territoires à enjeux: map of classes, ranked communes with their reasons, EPCI."""
    section = ReportSection("enjeux", "Territoires à enjeux")
    enjeux = diagnostic.enjeux
    section.paragraphs.append(
        "Communes où l'accès est le plus difficile et le besoin le plus fort : score croisant "
        "les temps d'accès par famille et la part des publics concernés (personnes âgées, "
        "enfants), classé en cinq niveaux."
    )
    order = ["très fort", "fort", "moyen", "faible", "très faible"]
    present = [c for c in order if c in set(enjeux["classe"])]
    classes = enjeux.set_index("origin_id")["classe"].map({c: i for i, c in enumerate(present)})
    figure = maps.class_map(
        layers,
        enjeux.set_index("origin_id")["score"],
        classes.astype(float),
        [f"enjeu {c}" for c in present],
        title="Territoires à enjeux",
        legend_title="Niveau d'enjeu",
        palette="YlOrRd_r",
        note=_method_note(diagnostic),
    )
    section.figures.append(
        Figure(maps.figure_png(figure), "Niveau d'enjeu de chaque commune.", "carte-enjeux")
    )
    names = _commune_names(diagnostic)
    population = diagnostic.communes.set_index("origin_id")["population"]
    section.tables.append(
        Table(
            "enjeux-communes",
            "Communes classées par enjeu (les 15 premières)",
            ["Rang", "Commune", "Population", "Score", "Niveau", "Raisons"],
            [
                [
                    str(int(row.rank)),
                    str(names.get(row.origin_id, row.origin_id)),
                    french_number(population.get(row.origin_id)),
                    french_number(row.score, 2),
                    str(row.classe),
                    str(row.raisons),
                ]
                for row in enjeux.sort_values("rank").head(15).itertuples()
            ],
            [True, False, True, True, False, False],
        )
    )
    epci_names = read_epci().set_index("epci")["name"]
    section.tables.append(
        Table(
            "enjeux-epci",
            "Intercommunalités classées par enjeu",
            ["Rang", "Intercommunalité", "Population", "Score", "Communes à enjeu très fort"],
            [
                [
                    "–" if pd.isna(row.rank) else str(int(row.rank)),
                    str(epci_names.get(row.epci, row.epci)),
                    french_number(row.population),
                    french_number(row.score, 2),
                    french_number(row.communes_tres_fort),
                ]
                for row in diagnostic.enjeux_epci.sort_values("rank").itertuples()
            ],
            [True, False, True, True, True],
        )
    )
    return section


def method_section(diagnostic: Diagnostic, services: gpd.GeoDataFrame) -> ReportSection:
    """Method, data sources with vintages and licences, and the diagnostic's notes."""
    section = ReportSection("methode", "Méthode et sources")
    section.warning = straight_line_warning(diagnostic)
    section.paragraphs += [
        f"Temps de trajet : {method_label(diagnostic.method)}. Origine : le centre de chaque "
        "commune, pondéré par sa population (recensement) ; destination : le service le plus "
        "proche de chaque type, y compris dans les communes voisines (couronne de "
        f"{diagnostic.territory.buffer_km:g} km).",
        "Seuils : " + ", ".join(f"{t:g} min" for t in diagnostic.thresholds_minutes) + ".",
        "Offre rapportée à la demande : E2SFCA (Luo et Qi, 2009), méthode de l'accessibilité "
        "potentielle localisée (APL) de la DREES, demande pondérée par la tranche d'âge "
        "servie par chaque famille.",
        f"Typologie des services : version {load_typology().version}.",
        *notes_text(diagnostic.notes),
        f"Rapport établi le {dt.date.today().strftime('%d/%m/%Y')} avec maillage.",
    ]
    used = set(services["source"]) if "source" in services else set()
    section.tables.append(sources_table(used))
    return section


#: Which shipped file each built-in source reads (rows of the data README).
SOURCE_FILES = {
    "communes": "communes/communes-france.csv.gz",
    "polygones": "communes/communes-73-and-neighbours.geojson.gz",
    "zonages": "zonings/insee-appartenance-communes-2024.csv",
    "population": "population/iris-population-2021.parquet",
    "mairies": "communes/mairies-france.csv.gz",
    "france_services": "france-services/liste-france-services-2024-08-01.csv",
    "hopitaux": "health/eurostat-hospitals-FR-2020.csv",
}


def sources_table(used_sources: set[str]) -> Table:
    """Data sources with their publisher, licence and vintage (from the data README).

    Examples
    --------
    >>> table = sources_table({"mairies"})
    >>> table.headers
    ['Données', 'Source', 'Licence', 'Millésime']
    >>> any("Licence Ouverte" in row[2] for row in table.rows)
    True
    """
    provenance = _provenance()
    always = ["communes", "polygones", "zonages", "population"]
    body = []
    for key in always + sorted(used_sources & set(SOURCE_FILES) - set(always)):
        row = provenance.get(SOURCE_FILES[key])
        if row is not None:
            body.append([row["what"], row["source"], row["licence"], row["vintage"]])
    for name in sorted(used_sources - set(SOURCE_FILES)):
        body.append([f"Fichier fourni : {name}", "utilisateur", "–", "–"])
    return Table(
        "sources", "Données utilisées", ["Données", "Source", "Licence", "Millésime"], body
    )


def _provenance() -> dict[str, dict[str, str]]:
    """Rows of the shipped data README's provenance table, by file."""
    text = data_path("README.md").read_text(encoding="utf-8")
    rows: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] not in ("file", "---") and not cells[0].startswith("-"):
            clean = [re.sub(r"\*\*|`", "", c) for c in cells]
            rows[clean[0]] = dict(
                zip(("file", "what", "source", "licence", "vintage"), clean, strict=True)
            )
    return rows


def _method_note(diagnostic: Diagnostic) -> str:
    if diagnostic.method is Method.STRAIGHT_LINE:
        return "Temps estimés à vol d'oiseau (pas de réseau routier)."
    return "Temps par la route (OpenStreetMap)."


def _commune_names(diagnostic: Diagnostic) -> dict[str, str]:
    names = dict(zip(diagnostic.communes["origin_id"], diagnostic.communes["name"], strict=True))
    ring = diagnostic.territory.buffer
    names.update(
        {c: n for c, n in zip(ring["commune"], ring["name"], strict=True) if c not in names}
    )
    return names


def context_summary(diagnostic: Diagnostic) -> dict[str, Any]:
    """Title-page facts: territory, method, date."""
    return {
        "territoire": diagnostic.territory.name,
        "methode": method_label(diagnostic.method),
        "date": dt.date.today().strftime("%d/%m/%Y"),
        "population": french_number(diagnostic.communes["population"].sum()),
        "communes": len(diagnostic.communes),
    }
