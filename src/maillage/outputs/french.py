"""French for every deliverable: typography, and the French words of the library's codes.

Computation layers return numbers and codes (:class:`~maillage.network.model.Method`,
``"ete"``, :class:`~maillage.notes.Note`); the exports, the report, the command line and
the web app say them in French with the functions of this module, and nowhere else.

Typography (Imprimerie nationale's *Lexique des règles typographiques*):

* thousands separated by a narrow no-break space (U+202F), decimal comma: ``42 946``,
  ``3,4``;
* a no-break space before ``%``, ``:``, ``;``, ``?``, ``!`` and inside « guillemets »;
* 0 and 1 take the singular: ``0 habitant``, ``1 habitant``, ``2 habitants``;
* unknown values are said ``non renseigné``, never 0 nor *False*;
* opening hours as ``lun.–ven. 9 h–12 h et 14 h–17 h, sam. 9 h–12 h``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from maillage.indicators.classes import ENJEU_LABELS
from maillage.indicators.enjeux import load_reasons
from maillage.network.model import Method
from maillage.notes import Note
from maillage.schema import FRANCE, RING, SUMMER, TERRITORY, WINTER
from maillage.services.opening_hours import WeeklyHours

#: Narrow no-break space (thousands, before ``;:!?%`` and inside « »).
NNBSP = "\u202f"
#: How an unknown value is written.
UNKNOWN = "non renseigné"
#: Abbreviated weekdays (Monday first).
DAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def is_unknown(value: object) -> bool:
    """Whether ``value`` is missing (None, NA, NaN).

    Examples
    --------
    >>> is_unknown(None), is_unknown(float("nan")), is_unknown(0)
    (True, True, False)
    """
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and pandas.NA
    except TypeError:
        return True


def number(value: object, decimals: int = 0, *, unknown: str = UNKNOWN) -> str:
    """A number the French way: narrow no-break spaces between thousands, decimal comma.

    Examples
    --------
    >>> number(42946), number(3.389, 1), number(float("nan")), number(-0.01, 1)
    ('42\\u202f946', '3,4', 'non renseigné', '0,0')
    """
    if is_unknown(value):
        return unknown
    figure = float(value)  # type: ignore[arg-type]
    if math.isinf(figure):
        return "infini"
    text = f"{figure:,.{decimals}f}".replace(",", NNBSP).replace(".", ",")
    return text[1:] if re.fullmatch(r"-0(,0*)?", text) else text


def percent(share: object, decimals: int = 0, *, unknown: str = UNKNOWN) -> str:
    """A share in [0, 1] as a French percentage: ``93 %``, ``8,7 %``.

    Examples
    --------
    >>> percent(0.9346), percent(0.0871, 1), percent(None)
    ('93\\u202f%', '8,7\\u202f%', 'non renseigné')
    """
    if is_unknown(share):
        return unknown
    return f"{number(100 * float(share), decimals)}{NNBSP}%"  # type: ignore[arg-type]


def minutes(value: object, decimals: int = 0, *, unknown: str = UNKNOWN) -> str:
    """A duration in minutes: ``34 min``, ``4,8 min``; unreachable is ``inaccessible``.

    Examples
    --------
    >>> minutes(4.83, 1), minutes(float("inf")), minutes(None)
    ('4,8\\xa0min', 'inaccessible', 'non renseigné')
    """
    if is_unknown(value):
        return unknown
    if math.isinf(float(value)):  # type: ignore[arg-type]
        return "inaccessible"
    return f"{number(value, decimals)}\u00a0min"


def quote(text: str) -> str:
    """French quotation marks with narrow no-break spaces: « text ».

    Examples
    --------
    >>> quote("Bessans")
    '«\\u202fBessans\\u202f»'
    """
    return f"«{NNBSP}{text}{NNBSP}»"


def plural(count: object, singular: str, plural_form: str | None = None) -> str:
    """A count and its noun, singular for 0 and 1 as French grammar wants.

    Examples
    --------
    >>> plural(0, "habitant"), plural(1, "commune"), plural(42946, "habitant")
    ('0 habitant', '1 commune', '42\\u202f946 habitants')
    >>> plural(3, "bassin de vie", "bassins de vie")
    '3 bassins de vie'
    """
    if is_unknown(count):
        return f"{UNKNOWN} ({singular})"
    amount = float(count)  # type: ignore[arg-type]
    word = singular if abs(amount) < 2 else (plural_form or _plural(singular))
    decimals = 0 if amount == int(amount) else 1
    return f"{number(amount, decimals)} {word}"


def _plural(word: str) -> str:
    """Plural of a noun and its adjectives, up to a complement (``bassin de vie``).

    Examples
    --------
    >>> _plural("service public"), _plural("hôpital"), _plural("bassin de vie")
    ('services publics', 'hôpitaux', 'bassins de vie')
    """
    words: list[str] = []
    complement = False
    for part in word.split(" "):
        complement = complement or part in ("de", "d'", "du", "des", "à")
        if complement or part.endswith(("s", "x", "z")):
            words.append(part)
        else:
            words.append(part[:-2] + "aux" if part.endswith("al") else part + "s")
    return " ".join(words)


def yes_no(value: object) -> str:
    """``oui``, ``non``, or ``non renseigné`` when unknown (never *True*/*False*).

    Examples
    --------
    >>> yes_no(True), yes_no(False), yes_no(None)
    ('oui', 'non', 'non renseigné')
    """
    if is_unknown(value):
        return UNKNOWN
    return "oui" if bool(value) else "non"


def spaces(text: str) -> str:
    """Put the French no-break spaces before ``: ; ! ? %`` (replacing ordinary ones).

    Examples
    --------
    >>> spaces("Population : 42 ; part 93 %")
    'Population\\xa0: 42\\u202f; part 93\\u202f%'
    """
    text = re.sub(r"\s+:", "\u00a0:", text)
    return re.sub(r"\s+([;!?%])", NNBSP + r"\1", text)


def clock(minute_of_day: int) -> str:
    """A time of day the French way: ``9 h``, ``13 h 30``.

    Examples
    --------
    >>> clock(9 * 60), clock(13 * 60 + 30), clock(24 * 60)
    ('9\\xa0h', '13\\xa0h\\xa030', '24\\xa0h')
    """
    hours, rest = divmod(minute_of_day, 60)
    return f"{hours}\u00a0h" + (f"\u00a0{rest:02d}" if rest else "")


def opening_hours(hours: WeeklyHours | None) -> str:
    """Opening hours in French, consecutive identical days grouped.

    Examples
    --------
    >>> h = WeeklyHours.from_osm("Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00")
    >>> opening_hours(h).replace("\\u00a0", " ")
    'lun.–ven. 9 h–12 h et 14 h–17 h, sam. 9 h–12 h'
    >>> opening_hours(WeeklyHours.from_osm("Mo-Fr 08:30-12:00,13:30-17:00")).replace("\\u00a0", " ")
    'lun.–ven. 8 h 30–12 h et 13 h 30–17 h'
    >>> opening_hours(None), opening_hours(WeeklyHours(()))
    ('non renseigné', 'fermé')
    """
    if hours is None:
        return UNKNOWN
    if not hours.intervals:
        return "fermé"
    per_day: dict[int, str] = {}
    for day, start, end in hours.intervals:
        text = f"{clock(start)}–{clock(end)}"
        per_day[day] = f"{per_day[day]} et {text}" if day in per_day else text
    rules: list[str] = []
    day = 0
    while day < 7:
        if day not in per_day:
            day += 1
            continue
        last = day
        while last + 1 < 7 and per_day.get(last + 1) == per_day[day]:
            last += 1
        days = DAYS[day] if last == day else f"{DAYS[day]}–{DAYS[last]}"
        rules.append(f"{days} {per_day[day]}")
        day = last + 1
    return ", ".join(rules)


def opening_hours_text(osm: object) -> str:
    """Opening hours stored in OpenStreetMap syntax (service tables), said in French.

    Examples
    --------
    >>> opening_hours_text("Mo-Fr 09:00-12:00; We 14:00-16:00").replace("\\u00a0", " ")
    'lun.–mar. 9 h–12 h, mer. 14 h–16 h, jeu.–ven. 9 h–12 h'
    >>> opening_hours_text(None)
    'non renseigné'
    """
    if is_unknown(osm) or not str(osm).strip():
        return UNKNOWN
    try:
        return opening_hours(WeeklyHours.from_osm(str(osm)))
    except ValueError:
        return str(osm)


#: French label of each travel-time method (the ``methode`` of the exports).
METHOD_LABELS = {
    Method.ROAD: "réseau routier",
    Method.STRAIGHT_LINE: "vol d'oiseau",
    Method.TRANSIT: "transports en commun",
}
#: Noun, plural and agreement of the points a note is about.
_WHAT = {
    "origins": ("origine", "origines", "rattachée", "rattachées"),
    "services": ("service", "services", "rattaché", "rattachés"),
}

#: French words of the seasons, in sentences and table cells.
SEASON_LABELS = {SUMMER: "été", WINTER: "hiver"}
#: French words of how the buffer ring was drawn (``Territory.buffer_method``).
BUFFER_METHOD_LABELS = {"polygons": "polygones", "points": "points", "none": "aucune"}
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
    "zone": {TERRITORY: "territoire", FRANCE: "France métropolitaine"},
    # The services' zone (``situation`` in the exports): in the territory or its ring.
    "service_zone": {TERRITORY: "territoire", RING: "couronne"},
}


def write_csv(table: pd.DataFrame, path: str | PathLike[str]) -> None:
    """Write ``table`` as French Excel reads a CSV: ``;``, decimal comma, UTF-8 with BOM.

    The same bytes as ``table.to_csv(path, sep=";", decimal=",", index=False,
    encoding="utf-8-sig")``; float columns are turned into text by numpy, whole columns
    at once, instead of one Python call per value (17 s → 1 s for France's tables).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "exemple.csv"
    >>> write_csv(pd.DataFrame({"commune": ["Modane"], "minutes": [12.5],
    ...                         "part": [float("nan")]}), path)
    >>> path.read_text(encoding="utf-8-sig").splitlines()
    ['commune;minutes;part', 'Modane;12,5;']
    """
    text = table.copy(deep=False)
    for position, dtype in enumerate(table.dtypes):
        if pd.api.types.is_float_dtype(dtype):
            numpy_dtype = getattr(dtype, "numpy_dtype", dtype)  # nullable Float64 too
            values = table.iloc[:, position].to_numpy(dtype=numpy_dtype, na_value=np.nan)
            words = pd.Series(values.astype(str), index=table.index, dtype=object)
            words = words.str.replace(".", ",", n=1, regex=False)
            words[np.isnan(values)] = ""
            text.isetitem(position, words)
    text.to_csv(path, sep=";", index=False, encoding="utf-8-sig")


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
    table = enjeux_french(table).rename(columns=EXPORT_COLUMNS)
    for column, codes in EXPORT_CODES.items():
        if column in table:
            table[column] = table[column].replace(codes)
    if "methode" in table:
        table["methode"] = table["methode"].map(method_label)
    return table


#: The need of a reason (its age band), as said after the family.
NEED_LABELS = {
    "population_65_plus": "population âgée",
    "population_0_19": "population jeune",
}
#: The families in the reasons of the enjeux ("loin des soins").
REASON_FAMILY_LABELS = {
    "social_emploi": "des services publics",
    "soins": "des soins",
    "domicile": "des services à domicile",
    "jeunesse_parents": "des services jeunesse",
    "petite_enfance": "de la petite enfance",
}


def enjeu_reasons_text(reasons: object) -> object:
    """The reasons of a commune's enjeu level (``enjeu_reasons``) as French text.

    Missing reasons stay missing.

    Examples
    --------
    >>> from maillage.indicators.enjeux import dump_reasons
    >>> far = ("far", {"family": "soins", "minutes": 45.0, "need": "population_65_plus",
    ...                "share_65_plus_pct": 31.2})
    >>> enjeu_reasons_text(dump_reasons([far, ("poverty", {"rate_pct": 21.0, "scope": "epci"})]))
    'loin des soins (45 min) et population âgée (31\u202f% de 65 ans et plus) et taux de pauvreté 21\u202f% (EPCI)'
    >>> enjeu_reasons_text(dump_reasons([("near", {"family": "domicile", "minutes": 20.4,
    ...                                            "need": None})]))
    'proche des seuils : 20 min des services à domicile'
    >>> enjeu_reasons_text(dump_reasons([]))
    'accès dans les seuils'
    """  # noqa: E501
    if not isinstance(reasons, str):
        return reasons
    records = load_reasons(reasons)
    if not records:
        return "accès dans les seuils"
    far, near, poverty = [], [], ""
    for code, p in records:
        if code == "poverty":
            poverty = f" et taux de pauvreté {p['rate_pct']:.0f}\u202f%" + (
                " (EPCI)" if p["scope"] == "epci" else ""
            )
            continue
        need = ""
        if p.get("need"):
            need = f" et {NEED_LABELS[p['need']]}"
            if p.get("share_65_plus_pct") is not None:
                need += f" ({p['share_65_plus_pct']:.0f}\u202f% de 65 ans et plus)"
        label = REASON_FAMILY_LABELS.get(p["family"], p["family"])
        if code == "far":
            when = "inaccessible" if p["minutes"] is None else f"{p['minutes']:.0f} min"
            far.append(f"loin {label} ({when}){need}")
        else:
            near.append(f"{p['minutes']:.0f} min {label}{need}")
    text = " ; ".join(far) if far else "proche des seuils : " + " ; ".join(near)
    return text + poverty


def enjeux_french(table: pd.DataFrame) -> pd.DataFrame:
    """``enjeu_level`` and ``enjeu_reasons`` said in French: ``classe`` and ``raisons``.

    The columns keep their place; a table without them is returned as it is.

    Examples
    --------
    >>> e = pd.DataFrame({"origin_id": ["a"], "enjeu_level": ["very_high"],
    ...                   "enjeu_reasons": ["[]"], "score": [1.0]})
    >>> enjeux_french(e).to_dict("records")
    [{'origin_id': 'a', 'classe': 'très fort', 'raisons': 'accès dans les seuils', 'score': 1.0}]
    """
    if "enjeu_level" not in table and "enjeu_reasons" not in table:
        return table
    table = table.copy()
    if "enjeu_level" in table:
        table["enjeu_level"] = table["enjeu_level"].map(ENJEU_LABELS)
    if "enjeu_reasons" in table:
        # Each distinct list of reasons rendered once (tens of thousands of communes).
        reasons = table["enjeu_reasons"]
        distinct = pd.unique(reasons.dropna())
        texts = dict(zip(distinct, map(enjeu_reasons_text, distinct), strict=True))
        table["enjeu_reasons"] = reasons.map(texts)
    return table.rename(columns={"enjeu_level": "classe", "enjeu_reasons": "raisons"})


def beyond_column(measure: str, threshold_minutes: float) -> str:
    """The column of ``measure`` (population or share) beyond a threshold in the wide form.

    :func:`export_table` widens the long access tables into these columns, and every
    output reads them by this name.

    Examples
    --------
    >>> beyond_column("share", 30.0), beyond_column("population", 7.5)
    ('share_beyond_30min', 'population_beyond_7.5min')
    """
    return f"{measure}_beyond_{threshold_minutes:g}min"


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
        wide[beyond_column("population", threshold)] = part["population_beyond"].to_numpy()
        wide[beyond_column("share", threshold)] = part["share_beyond"].to_numpy()
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
    count = int(p["count"])
    noun, nouns, agreed, agreed_plural = _WHAT.get(
        str(p["what"]), (str(p["what"]), str(p["what"]), "rattaché", "rattachés")
    )
    points = plural(count, noun, nouns)
    if p["reason"] == "too_far":
        far = f"à plus de {number(p['max_snap_m'])} m de" if "max_snap_m" in p else "loin de"
        return (
            f"{points} {far} toute route, non {agreed if count < 2 else agreed_plural} au "
            f"réseau : {_ids(p)}. Correction : vérifiez leurs coordonnées ; si l'écart est "
            "réel, leurs temps ne peuvent pas être calculés par la route."
        )
    return (
        f"{points} sans coordonnées ({_ids(p, '…')}) : aucun temps n'est calculé depuis ou "
        "vers ces points."
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
    count = int(p["count"])
    return (
        f"{plural(count, 'commune')} qu'aucun site candidat ou existant ne dessert {limit}, "
        f"{'laissée' if count < 2 else 'laissées'} hors du modèle : {', '.join(p['ids'])} "
        f"({plural(p['population'], 'habitant')})."
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
    # How a tour's heuristic was applied (``Tour.notes``): parts of its ``methode``.
    "tour_preselection": lambda p: (
        f"heuristique : présélection des {p['kept']} communes qui apportent le plus "
        f"seules (sur {p['candidates']}), puis programme exact"
    ),
    "tour_time_limit": lambda p: f"HiGHS arrêté à {p['seconds']:g} s (borne du solveur)",
    "unknown_population": lambda p: (
        f"{plural(p['count'], 'origine')} sans population connue ({_ids(p, ', …')}) : "
        "comptées pour 0 habitant dans les moyennes, médianes et parts ; leurs temps figurent "
        "dans les tables."
    ),
    "grid": _grid,
    "bassins_without_intermediate": lambda p: (
        "Bassins de services délimités sans la gamme intermédiaire de l'INSEE (pas de BPE) : "
        f"sur les équipements disponibles ({', '.join(p['types'])})."
    ),
    "bassins_not_contiguous": lambda p: (
        "Bassins de services : pôle le plus rapide de chaque commune, sans contrainte de "
        "contiguïté (contours des communes non fournis pour ce territoire)."
    ),
    "bassins_not_delineated": lambda p: (
        "Bassins de services non délimités : aucun équipement hors mairies (ajoutez la BPE "
        "avec --sources)."
    ),
    "communes_without_coordinates": lambda p: (
        f"{plural(p['count'], 'commune')} sans coordonnées dans le COG, sans temps d'accès : "
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
        f"Avec {plural(p['sites'], 'site')}, communes sans site accessible dans la table : "
        f"{', '.join(p['ids'])}."
    ),
    "type_without_data": lambda p: (
        f"Aucune donnée pour le type {p['type']}"
        + (f" ({p['label']})" if p.get("label") else "")
        + " : les sources lues n'en comptent aucun dans le territoire ni dans sa couronne ; "
        "les temps d'accès à ce type sont inconnus et les sites proposés le sont comme si "
        "aucun n'existait. Ajoutez un fichier qui en contient (--sources, ex. la BPE de "
        "l'INSEE : maillage telecharger)."
    ),
}


def note_text(note: Note) -> str:
    """A note as a French sentence.

    Examples
    --------
    >>> note_text(Note("unknown_population", {"count": 1, "ids": ["97601"]}))[:39]
    '1 origine sans population connue (97601'
    >>> note_text(Note("straight_line"))[:26]
    "Temps estimés à vol d'oise"
    """
    template = _TEMPLATES.get(note.code)
    if template is None:
        details = ", ".join(f"{key} = {value}" for key, value in note.params.items())
        return f"{note.code}" + (f" ({details})" if details else "") + "."
    return template(note.params)


def notes_text(notes: Iterable[Note]) -> list[str]:
    """Every note as a French sentence, in order.

    Examples
    --------
    >>> unknown = Note("unknown_population", {"count": 2, "ids": ["97601", "97602"]})
    >>> notes_text([Note("chef_lieu"), unknown])[1]  # doctest: +ELLIPSIS
    '2 origines sans population connue (97601, 97602) : comptées pour 0 habitant dans ...'
    """
    return [note_text(note) for note in notes]
