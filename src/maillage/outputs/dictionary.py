"""The exports' data dictionary: French field names, French values, names beside codes.

The diagnostic's tables keep English column names (``origin_id``, ``mean_minutes``...);
every exported file (GeoPackage, CSV, XLSX) says them in French through
:func:`french_table`, and :func:`dictionary` lists each field with its meaning (the
``Dictionnaire des données`` sheet of the workbook and ``docs/rapport.md``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from maillage.outputs.french import SEASON_LABELS, UNKNOWN
from maillage.services.typology import load_typology
from maillage.sources.communes import read_departements, read_epci

#: Internal column → (French field, meaning). ``{t}`` stands for a threshold in minutes.
FIELDS: dict[str, tuple[str, str]] = {
    "origin_id": ("code_commune", "code INSEE de la commune (COG)"),
    "name": ("commune", "nom de la commune (COG)"),
    "departement": ("code_departement", "code du département"),
    "epci": ("code_epci", "SIREN de l'intercommunalité"),
    "epci_name": ("epci", "nom de l'intercommunalité"),
    "bassin_vie": ("code_bassin_vie", "bassin de vie 2022 de l'INSEE (code de sa commune pôle)"),
    "canton": ("code_canton", "code du canton"),
    "population": ("population", "population municipale (recensement) ; en hiver, de pointe"),
    "population_0_19": ("population_0_19_ans", "habitants de 0 à 19 ans (IRIS 2021)"),
    "population_65_plus": ("population_65_ans_plus", "habitants de 65 ans et plus (IRIS 2021)"),
    "population_saison": (
        "population_de_pointe",
        "résidents et résidences secondaires × 5 lits (saison touristique)",
    ),
    "family": ("famille", "famille de services"),
    "saison": ("saison", "été (résidents, routes d'été) ou hiver (population de pointe)"),
    "minutes": ("temps_min", "temps au service le plus proche, en minutes (vide : inaccessible)"),
    "service_id": ("identifiant_service", "identifiant du service le plus proche"),
    "niveau": ("niveau", "échelle : territoire, EPCI, bassin de vie ou canton"),
    "zone": ("code_zone", "code de la zone (SIREN, bassin de vie, canton)"),
    "zone_name": ("zone", "nom de la zone"),
    "mean_minutes": ("temps_moyen_min", "temps moyen pondéré par la population (minutes)"),
    "median_minutes": ("temps_median_min", "temps médian pondéré par la population (minutes)"),
    "unreachable_population": ("population_sans_acces", "habitants sans service atteignable"),
    "population_beyond_{t}min": (
        "population_a_{t}_min_ou_plus",
        "habitants à {t} minutes ou plus du service le plus proche",
    ),
    "share_beyond_{t}min": (
        "part_a_{t}_min_ou_plus",
        "part de la population à {t} minutes ou plus (0 à 1)",
    ),
    "services_within": ("services_a_moins_de_20_min", "services de la famille à moins de 20 min"),
    "services_with_hours": ("services_aux_horaires_connus", "dont services aux horaires publiés"),
    "hours_per_week_within": (
        "heures_ouverture_cumulees",
        "heures d'ouverture par semaine, additionnées sur les services à moins de 20 min "
        "(vide : horaires non renseignés)",
    ),
    "saturday_within": (
        "samedi_a_moins_de_20_min",
        "un service à moins de 20 min ouvre le samedi (oui, non, non renseigné)",
    ),
    "after_18h_within": (
        "apres_18h_a_moins_de_20_min",
        "un service à moins de 20 min ouvre après 18 h (oui, non, non renseigné)",
    ),
    "accessibility_per_10000": (
        "offre_pour_10000_hab",
        "offre accessible pour 10 000 habitants (E2SFCA, méthode de l'APL de la DREES)",
    ),
    "demand_band": ("demande", "public dont la demande est comptée"),
    "capacity_unit": ("unite_de_capacite", "capacité de chaque service (heures, places, sites)"),
    "bassin": ("code_pole", "code de la commune pôle du bassin de services"),
    "bassin_name": ("bassin", "bassin de services, nommé d'après sa commune pôle"),
    "pole_rank": (
        "rang_du_pole",
        "rang du pôle parmi les pôles que la commune atteint (1 : le plus rapide)",
    ),
    "score": ("score_enjeu", "score d'enjeu (temps rapportés aux seuils × besoin)"),
    "rank": ("rang", "rang (1 : le plus à enjeu)"),
    "classe": ("niveau_enjeu", "niveau d'enjeu : faible, modéré, fort, très fort (critères fixes)"),
    "raisons": ("raisons", "raisons du niveau d'enjeu"),
    "communes_tres_fort": ("communes_enjeu_tres_fort", "communes au niveau d'enjeu très fort"),
    # Need indicators of the enjeux (named in French by outputs.french.export_table).
    "taux_pauvrete_pct": ("taux_pauvrete_pct", "taux de pauvreté (Filosofi 2021 de l'INSEE, %)"),
    "taux_pauvrete_niveau": (
        "taux_pauvrete_niveau",
        "échelle du taux de pauvreté : commune, ou EPCI quand la commune n'est pas publiée",
    ),
    "part_65_ans_et_plus_pct": ("part_65_ans_et_plus_pct", "part des 65 ans et plus (RP 2021, %)"),
    "poverty_rate_pct": ("taux_pauvrete_pct", "taux de pauvreté (Filosofi 2021 de l'INSEE, %)"),
    "poverty_rate_level": (
        "taux_pauvrete_niveau",
        "échelle du taux de pauvreté : commune, ou EPCI quand la commune n'est pas publiée",
    ),
    "share_65_plus_pct": ("part_65_ans_et_plus_pct", "part des 65 ans et plus (RP 2021, %)"),
    "methode": ("methode", "méthode des temps : réseau routier ou vol d'oiseau"),
    "type": ("type_equipement", "type d'équipement (code BPE de l'INSEE)"),
    "type_label": ("equipement", "libellé du type d'équipement"),
    "source_type": ("nature", "nature de la source (mairie, france_services…)"),
    "source": ("source", "jeu de données d'origine"),
    "capacity": ("capacite", "capacité déclarée (vide : non renseignée)"),
    "opening_hours": ("horaires", "horaires d'ouverture (vide : non renseignés)"),
    "hours_per_week": ("heures_par_semaine", "heures d'ouverture par semaine"),
    "open_saturday": ("ouvert_le_samedi", "ouvert le samedi (oui, non, non renseigné)"),
    "seasonal": ("saison_d_ouverture", "ouvert en une saison seulement (été ou hiver)"),
    "address": ("adresse", "adresse postale"),
    "accessibility": ("accessibilite", "accessibilité aux personnes handicapées (source)"),
    "position": ("positionnement", "origine des coordonnées (source ou centre de la commune)"),
    "gamme": ("gamme", "gamme INSEE (proximité, intermédiaire, supérieure)"),
    "lon": ("longitude", "longitude (WGS 84)"),
    "lat": ("latitude", "latitude (WGS 84)"),
    "service_zone": ("situation", "dans le territoire ou dans la couronne voisine"),
    "service_name": ("nom", "nom du service"),
    "arrondissement": ("code_arrondissement", "code de l'arrondissement"),
    "zone_emploi": ("code_zone_emploi", "zone d'emploi 2020"),
    "unite_urbaine": ("code_unite_urbaine", "unité urbaine 2020"),
    "aire_attraction": ("code_aire_attraction", "aire d'attraction des villes 2020"),
    "geometry": ("geometry", "géométrie (Lambert-93, EPSG:2154)"),
}
#: Values said in French, per internal column.
LEVELS = {
    "territoire": "territoire",
    "epci": "EPCI",
    "bassin_vie": "bassin de vie",
    "canton": "canton",
}
SEASONS = {"ete": "été", "hiver": "hiver"}
DEMAND = {
    "population": "population totale",
    "population_65_plus": "65 ans et plus",
    "population_0_19": "0 à 19 ans",
}
BOOLEAN_COLUMNS = ("saturday_within", "after_18h_within", "open_saturday")


def field_name(column: str) -> str:
    """The French field of an internal column (unchanged when not in :data:`FIELDS`).

    Examples
    --------
    >>> field_name("share_beyond_30min"), field_name("origin_id")
    ('part_a_30_min_ou_plus', 'code_commune')
    """
    return _field(column)[0]


def _field(column: str) -> tuple[str, str]:
    if column in FIELDS:
        return FIELDS[column]
    match = re.fullmatch(r"(population|share)_beyond_(\d+(?:\.\d+)?)min", column)
    if match:
        name, meaning = FIELDS[f"{match.group(1)}_beyond_{{t}}min"]
        return name.format(t=match.group(2)), meaning.format(t=match.group(2))
    match = re.fullmatch(r"minutes_(\w+)_(ete|hiver)", column)
    if match:
        label = load_typology().family_labels.get(match.group(1), match.group(1))
        season = SEASONS[match.group(2)]
        return (
            f"temps_{match.group(1)}_{match.group(2)}_min",
            f"temps au service le plus proche, {label.lower()}, {season} (minutes)",
        )
    return column, ""


def french_values(table: pd.DataFrame) -> pd.DataFrame:
    """Values said in French: families, seasons, levels, oui/non/non renseigné.

    Examples
    --------
    >>> t = pd.DataFrame({"saison": ["ete"], "saturday_within": [None], "seasonal": ["winter"]})
    >>> french_values(t).to_dict("records")
    [{'saison': 'été', 'saturday_within': 'non renseigné', 'seasonal': 'hiver'}]
    """
    table = table.copy()
    labels = load_typology().family_labels
    if "family" in table:
        table["family"] = table["family"].map(lambda f: labels.get(f, f))
    if "saison" in table:
        table["saison"] = table["saison"].map(lambda s: SEASONS.get(s, s))
    if "seasonal" in table:  # the services' season of opening (``summer``, ``winter``)
        table["seasonal"] = table["seasonal"].map(lambda s: SEASON_LABELS.get(s, s))
    if "niveau" in table:
        table["niveau"] = table["niveau"].map(lambda s: LEVELS.get(s, s))
    if "demand_band" in table:
        table["demand_band"] = table["demand_band"].map(lambda s: DEMAND.get(s, s))
    for column in BOOLEAN_COLUMNS:
        if column in table:
            table[column] = [
                UNKNOWN
                if value is None or value is pd.NA or value != value
                else ("oui" if bool(value) else "non")
                for value in table[column].astype(object)
            ]
    return table


def with_names(table: pd.DataFrame, commune_names: Mapping[str, str]) -> pd.DataFrame:
    """Names beside codes: commune after ``origin_id``, EPCI after ``epci``, bassin after
    its pole.

    Examples
    --------
    >>> t = pd.DataFrame({"origin_id": ["73248"], "epci": ["200070464"]})
    >>> list(with_names(t, {"73248": "Saint-Jean-de-Maurienne"}).iloc[0])
    ['73248', 'Saint-Jean-de-Maurienne', '200070464',
     'Communauté de communes Cœur de Maurienne Arvan']

    A commune in no bassin (no coordinates, or no pole within reach) has no bassin name:

    >>> b = pd.DataFrame({"bassin": ["73248", None]})
    >>> with_names(b, {"73248": "Saint-Jean-de-Maurienne"})["bassin_name"].tolist()
    ['Bassin de Saint-Jean-de-Maurienne', nan]
    """
    table = table.copy()
    epci_names = read_epci().set_index("epci")["name"]
    if "origin_id" in table and "name" not in table:
        table.insert(
            table.columns.get_loc("origin_id") + 1,
            "name",
            table["origin_id"].map(commune_names),
        )
    if "epci" in table and "epci_name" not in table:
        table.insert(table.columns.get_loc("epci") + 1, "epci_name", table["epci"].map(epci_names))
    if "bassin" in table and "bassin_name" not in table:
        table.insert(
            table.columns.get_loc("bassin") + 1,
            "bassin_name",
            table["bassin"].map(
                lambda c: f"Bassin de {commune_names.get(c, c)}", na_action="ignore"
            ),
        )
    if {"niveau", "zone"} <= set(table.columns) and "zone_name" not in table:
        departements = read_departements().set_index("departement")["name"]
        zone_names = table["zone"].astype(str)
        for level, found in (
            ("epci", table["zone"].map(epci_names)),
            ("departement", table["zone"].map(departements)),
            ("bassin_vie", table["zone"].map(lambda c: commune_names.get(c))),
        ):
            rows = (table["niveau"] == level) & found.notna()
            zone_names = zone_names.where(~rows, found)
        table.insert(table.columns.get_loc("zone") + 1, "zone_name", zone_names)
    return table


def french_table(table: pd.DataFrame, commune_names: Mapping[str, str]) -> pd.DataFrame:
    """An internal table as exported: names beside codes, French values and fields.

    Examples
    --------
    >>> t = pd.DataFrame({"origin_id": ["73248"], "family": ["soins"], "saison": ["ete"],
    ...                   "minutes": [1.5]})
    >>> french_table(t, {"73248": "Saint-Jean-de-Maurienne"}).iloc[0].to_dict()
    {'code_commune': '73248', 'commune': 'Saint-Jean-de-Maurienne', \
'famille': 'Accès aux soins', 'saison': 'été', 'temps_min': 1.5}
    """
    table = french_values(with_names(table, commune_names))
    return table.rename(columns=field_name)


def dictionary(layers: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The data dictionary of exported tables (internal columns): layer, field, meaning.

    Examples
    --------
    >>> dictionary({"enjeux": pd.DataFrame(columns=["origin_id", "rank"])}).values.tolist()
    [['enjeux', 'code_commune', 'code INSEE de la commune (COG)'], \
['enjeux', 'rang', 'rang (1 : le plus à enjeu)']]
    """
    rows = [
        [layer, *_field(column)]
        for layer, table in layers.items()
        for column in table.columns
        if column != "geometry"
    ]
    return pd.DataFrame(rows, columns=["couche", "champ", "signification"])
