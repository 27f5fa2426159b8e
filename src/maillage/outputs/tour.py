"""The outputs of a tour (``maillage tournee``): its JSON with French keys and its scenario.

:func:`~maillage.planning.tour.design_tour` returns a :class:`~maillage.planning.tour.Tour`
with English tables and parameters (:data:`maillage.schema.TABLES` ``tour_stops``,
``tour_gains``); here they get the French keys of the command's ``--json`` and of the
scenario TOML (``maillage scenario``).
"""

from __future__ import annotations

from typing import Any

from maillage.outputs.french import note_text
from maillage.planning.tour import Tour

__all__ = [
    "GAIN_FIELDS",
    "PARAMETER_KEYS",
    "STOP_FIELDS",
    "method_text",
    "tour_scenario_toml",
    "tour_summary",
]

#: Column of ``Tour.stops`` → key of each stop of the JSON (``arrets``).
STOP_FIELDS = {
    "order": "ordre",
    "commune": "commune",
    "name": "nom",
    "lon": "lon",
    "lat": "lat",
    "drive_minutes": "minutes_route",
    "arrival": "arrivee",
    "departure": "depart",
    "population_gained": "population_gagnee",
}
#: Column of ``Tour.gains`` → key of each commune of the JSON (``communes_gagnantes``).
GAIN_FIELDS = {"commune": "commune", "name": "nom", "population": "population", "stop": "arret"}
#: Key of ``Tour.parameters`` → key of the JSON's ``parametres``.
PARAMETER_KEYS = {
    "stops": "arrets",
    "budget_minutes": "duree_max_minutes",
    "stop_minutes": "duree_arret_minutes",
    "threshold_minutes": "seuil_minutes",
    "start": "debut",
    "weekday": "jour",
    "depot": "depot",
    "time_method": "methode_temps",
    "total_drive_minutes": "minutes_route_total",
}


def method_text(tour: Tour) -> str:
    """How the tour was found, in French: ``"exact"``, or how the heuristic was applied.

    Examples
    --------
    >>> import pandas as pd
    >>> from maillage.notes import Note
    >>> tour = Tour("A128", pd.DataFrame(), pd.DataFrame(), 120.0, 150.0, False, "heuristic",
    ...             {}, notes=(Note("tour_preselection", {"kept": 30, "candidates": 41}),
    ...                        Note("tour_time_limit", {"seconds": 60.0})))
    >>> method_text(tour)
    'heuristique : présélection des 30 communes qui apportent le plus seules (sur 41), \
puis programme exact ; HiGHS arrêté à 60 s (borne du solveur)'
    """
    if not tour.notes:
        return tour.method
    return " ; ".join(note_text(note) for note in tour.notes)


def tour_summary(tour: Tour, *, label: str) -> dict[str, Any]:
    """The tour as the JSON of ``maillage tournee --json`` (French keys).

    ``label``: the service's name in French (``"France Services"``).

    Examples
    --------
    >>> import pandas as pd
    >>> stops = pd.DataFrame({"order": [1], "commune": ["73011"], "name": ["Aiton"],
    ...                       "arrival": ["09:00"], "departure": ["10:00"]})
    >>> tour = Tour("A128", stops, pd.DataFrame(), 120.0, 120.0, True, "exact",
    ...             {"weekday": "Tu", "stop_minutes": 60.0})
    >>> summary = tour_summary(tour, label="France Services")
    >>> summary["parametres"], summary["arrets"]
    ({'jour': 'Tu', 'duree_arret_minutes': 60.0}, [{'ordre': 1, 'commune': '73011', \
'nom': 'Aiton', 'arrivee': '09:00', 'depart': '10:00'}])
    """
    return {
        "type": tour.service_type,
        "service": label,
        "population_gagnee": tour.population_gained,
        "population_sans_acces_avant": tour.population_without_access,
        "borne": tour.bound,
        "ecart": tour.gap,
        "exacte": tour.exact,
        "methode": method_text(tour),
        "parametres": {PARAMETER_KEYS.get(k, k): v for k, v in tour.parameters.items()},
        "arrets": tour.stops.rename(columns=STOP_FIELDS).to_dict("records"),
        "communes_gagnantes": tour.gains.rename(columns=GAIN_FIELDS).to_dict("records"),
    }


def tour_scenario_toml(tour: Tour, *, name: str | None = None) -> str:
    """The tour as a scenario (``maillage scenario``): one ``[[ouvrir]]`` per stop, open on
    the tour's weekday at its timetable.

    Examples
    --------
    >>> import pandas as pd
    >>> stops = pd.DataFrame({"order": [1], "commune": ["73011"], "name": ["Aiton"],
    ...                       "arrival": ["09:00"], "departure": ["10:00"]})
    >>> tour = Tour("A128", stops, pd.DataFrame(), 120.0, 120.0, True, "exact",
    ...             {"weekday": "Tu", "stop_minutes": 60.0})
    >>> print(tour_scenario_toml(tour, name="Bus France Services"))  # doctest: +ELLIPSIS
    nom = "Bus France Services"
    ...
    [[ouvrir]]
    type = "A128"
    commune = "73011"
    nom = "Bus France Services – arrêt 1 (Aiton)"
    heures_par_semaine = 1.0
    horaires = "Tu 09:00-10:00"
    """
    title = name or f"Tournée itinérante {tour.service_type}"
    lines = [
        f'nom = "{title}"',
        f'description = "Tournée de {len(tour.stops)} arrêts, population gagnée '
        f'{tour.population_gained:.0f} ({method_text(tour)})."',
        "",
    ]
    hours = float(tour.parameters["stop_minutes"]) / 60.0
    for stop in tour.stops.itertuples(index=False):
        lines += [
            "[[ouvrir]]",
            f'type = "{tour.service_type}"',
            f'commune = "{stop.commune}"',
            f'nom = "{title} – arrêt {stop.order} ({stop.name})"',
            f"heures_par_semaine = {hours:g}" + (".0" if float(hours).is_integer() else ""),
            f'horaires = "{tour.parameters["weekday"]} {stop.arrival}-{stop.departure}"',
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"
