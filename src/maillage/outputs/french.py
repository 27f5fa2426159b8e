"""The French words of the library's codes: methods, seasons, notes.

Computation layers return codes (:class:`~maillage.network.model.Method`, ``"ete"``,
:class:`~maillage.notes.Note`); the exports, the report, the command line and the web app
say them in French with the functions of this module, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from maillage.network.model import Method
from maillage.notes import Note
from maillage.schema import SUMMER, TERRITORY, WINTER

__all__ = [
    "METHOD_LABELS",
    "SEASON_LABELS",
    "export_table",
    "method_label",
    "note_text",
    "notes_text",
]

#: French label of each travel-time method (the ``methode`` of the exports).
METHOD_LABELS = {
    Method.ROAD: "réseau routier",
    Method.STRAIGHT_LINE: "vol d'oiseau",
    Method.TRANSIT: "transports en commun",
}
_WHAT = {"origins": "origine(s)", "services": "service(s)"}

#: French words of the seasons, in sentences and table cells.
SEASON_LABELS = {SUMMER: "été", WINTER: "hiver"}
#: Column names of the exported tables (CSV, GeoPackage, workbook) and their codes.
EXPORT_COLUMNS = {
    "season": "saison",
    "level": "niveau",
    "method": "methode",
    "threshold_minutes": "seuil_minutes",
    "poverty_rate_pct": "taux_pauvrete_pct",
    "poverty_rate_level": "taux_pauvrete_niveau",
    "share_65_plus_pct": "part_65_ans_et_plus_pct",
}
EXPORT_CODES: dict[str, dict[str, str]] = {
    "saison": {SUMMER: "ete", WINTER: "hiver"},
    "niveau": {TERRITORY: "territoire", "family": "famille"},
    "zone": {TERRITORY: "territoire"},
}


def export_table(table: pd.DataFrame) -> pd.DataFrame:
    """A table of the library in the form of the exports (French column names and codes).

    A long table with ``threshold_minutes, population_beyond, share_beyond`` is widened
    to one ``population_beyond_{t}min`` and ``share_beyond_{t}min`` pair per threshold;
    ``season``, ``level`` and ``method`` become ``saison`` (``ete``/``hiver``),
    ``niveau`` (``territoire``...) and ``methode`` (French label).

    Examples
    --------
    >>> long = pd.DataFrame({"level": "territory", "zone": "territory", "season": "summer",
    ...     "threshold_minutes": [15.0, 30.0], "population_beyond": [10, 4],
    ...     "share_beyond": [0.5, 0.2]})
    >>> export_table(long).to_dict("records")
    [{'niveau': 'territoire', 'zone': 'territoire', 'saison': 'ete', \
'population_beyond_15min': 10, 'share_beyond_15min': 0.5, 'population_beyond_30min': 4, \
'share_beyond_30min': 0.2}]
    """
    if {"threshold_minutes", "population_beyond", "share_beyond"} <= set(table.columns):
        table = _wide(table)
    table = table.rename(columns=EXPORT_COLUMNS)
    for column, codes in EXPORT_CODES.items():
        if column in table:
            table[column] = table[column].replace(codes)
    if "methode" in table:
        table["methode"] = table["methode"].map(method_label)
    return table


def _wide(table: pd.DataFrame) -> pd.DataFrame:
    """One row per group, the thresholds' figures side by side (the rows of each threshold
    come in the same order, as :func:`~maillage.indicators.access.access_summary` gives)."""
    keys = [
        c
        for c in table.columns
        if c not in {"threshold_minutes", "population_beyond", "share_beyond"}
    ]
    thresholds = list(dict.fromkeys(table["threshold_minutes"]))
    if not thresholds:
        return table[keys].reset_index(drop=True)
    first = table["threshold_minutes"] == thresholds[0]
    wide = table.loc[first, keys].reset_index(drop=True)
    for threshold in thresholds:
        part = table[table["threshold_minutes"] == threshold]
        wide[f"population_beyond_{threshold:g}min"] = part["population_beyond"].to_numpy()
        wide[f"share_beyond_{threshold:g}min"] = part["share_beyond"].to_numpy()
    return wide


def method_label(method: Method | str) -> str:
    """The French label of a method (``Method`` or its value).

    Examples
    --------
    >>> method_label(Method.STRAIGHT_LINE), method_label("road")
    ("vol d'oiseau", 'réseau routier')
    """
    return METHOD_LABELS[Method(method)]


def _ids(params: Mapping[str, Any], more: str = " …") -> str:
    ids = [str(code) for code in params.get("ids", [])]
    return ", ".join(ids) + (more if int(params.get("count", len(ids))) > len(ids) else "")


def _unplaced(p: Mapping[str, Any]) -> str:
    what = _WHAT.get(str(p["what"]), str(p["what"]))
    if p["reason"] == "too_far":
        far = f"à plus de {p['max_snap_m']:.0f} m de" if "max_snap_m" in p else "loin de"
        return (
            f"{p['count']} {what} {far} toute route, non rattaché(s) au réseau : "
            f"{_ids(p)}. Correction : vérifiez leurs coordonnées, ou augmentez max_snap_m si "
            "l'écart est réel."
        )
    return (
        f"{p['count']} {what} sans coordonnées ({_ids(p, '…')}) : aucun temps n'est calculé "
        "depuis ou vers ces points."
    )


def _grid(p: Mapping[str, Any]) -> str:
    return (
        f"Diagnostic au carreau de 200 m (Filosofi) : {p['cells']} carreaux habités, "
        f"{p['communes']} communes ({p['communes_without_cell']} sans carreau, prises à leur "
        "point) ; population des carreaux recalée sur la population municipale de chaque "
        "commune ; temps par commune = moyenne des carreaux pondérée par la population."
    )


def _uncoverable(p: Mapping[str, Any]) -> str:
    limit = (
        "dans la table" if p["model"] == "p_median" else f"à moins de {p['within_minutes']:g} min"
    )
    return (
        f"{p['count']} commune(s) qu'aucun site candidat ou existant ne dessert {limit}, "
        f"laissée(s) hors du modèle : {', '.join(p['ids'])} ({p['population']:g} habitants)."
    )


_TEMPLATES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "chef_lieu": lambda p: (
        "Origine de chaque commune : son chef-lieu (la mairie), ou le point de la commune "
        "quand la mairie n'est pas localisée ; services comptés par commune placés au même "
        "chef-lieu (méthode communale de l'INSEE)."
    ),
    "straight_line": lambda p: (
        "Temps estimés à vol d'oiseau (distance × coefficient de détour, à vitesse moyenne) "
        "faute de réseau routier : indiquez un extrait OpenStreetMap avec --reseau pour des "
        "temps par la route."
    ),
    "winter": lambda p: (
        "Hiver : population de pointe (résidents + résidences secondaires × "
        f"{p['beds_per_secondary_residence']:g} lits)"
        + ("" if p["winter_model"] else " ; routes de l'été (aucune fermeture appliquée)")
        + "."
    ),
    "unplaced": _unplaced,
    "unknown_population": lambda p: (
        f"{p['count']} origine(s) sans population connue ({_ids(p, ', …')}) : comptée(s) pour "
        "0 habitant dans les moyennes, médianes et parts ; leurs temps figurent dans les tables."
    ),
    "grid": _grid,
    "bassins_without_intermediate": lambda p: (
        "Bassins de services délimités sans la gamme intermédiaire de l'INSEE (pas de BPE) : "
        f"sur les équipements disponibles ({', '.join(p['types'])})."
    ),
    "bassins_not_delineated": lambda p: (
        "Bassins de services non délimités : aucun équipement hors mairies (ajoutez la BPE "
        "avec --sources)."
    ),
    "communes_without_coordinates": lambda p: (
        f"{p['count']} commune(s) sans coordonnées dans le COG, sans temps d'accès : "
        f"{', '.join(p['ids'])}."
    ),
    "partitioned": lambda p: (
        f"Calcul réparti en {p['partitions']} partitions (couronne de services par partition) "
        f"; {p['recomputed']} temps au-delà de la garantie d'une partition recalculés sur "
        "l'ensemble des services."
    ),
    "road_closures_not_applied": lambda p: (
        f"Fermetures de routes non appliquées ({', '.join(p['roads'])}) : "
        + (
            "temps estimés à vol d'oiseau, sans réseau routier. Indiquez un extrait "
            "OpenStreetMap avec --reseau."
            if p["method"] == Method.STRAIGHT_LINE.value
            else f"les temps « {method_label(p['method'])} » n'ont pas de routes à fermer."
        )
    ),
    "empty_scenario": lambda p: "Scénario sans changement : les chiffres sont ceux du diagnostic.",
    "straight_line_before_after": lambda p: (
        "Temps estimés à vol d'oiseau (distance × 1,4 à 45 km/h), avant comme après."
    ),
    "uncoverable": _uncoverable,
    "p_median_unreached": lambda p: (
        f"Avec {p['sites']} site(s), commune(s) sans site accessible dans la table : "
        f"{', '.join(p['ids'])}."
    ),
}


def note_text(note: Note) -> str:
    """A note as a French sentence.

    Examples
    --------
    >>> note_text(Note("unknown_population", {"count": 1, "ids": ["97601"]}))[:42]
    '1 origine(s) sans population connue (97601'
    >>> note_text(Note("straight_line"))[:26]
    "Temps estimés à vol d'oise"
    """
    template = _TEMPLATES.get(note.code)
    if template is None:
        details = ", ".join(f"{key} = {value}" for key, value in note.params.items())
        return f"{note.code}" + (f" ({details})" if details else "") + "."
    return template(note.params)


def notes_text(notes: Iterable[Note]) -> list[str]:
    """Every note as a French sentence, in order."""
    return [note_text(note) for note in notes]
