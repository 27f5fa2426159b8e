"""The typology of services: BPE 2025 types, the 5 families of the schéma, INSEE's gammes.

The typology is a versioned, user-editable TOML file (``typologie.toml`` beside this
module, or the user's copy). Each ``[[types]]`` entry is one INSEE BPE 2025 equipment
type (``code``, the ``TYPEQU``) with its French ``libelle``, optionally its ``famille``
among the five families of the schéma de services, its INSEE ``gamme`` (the 2021
gammes, whose older codes are listed in ``anciens_codes``: D201 → D265), and the
source types that map to it: ``osm`` tags (``"amenity=pharmacy"``; conditions joined
by ``;`` must all hold) and Eurostat hospital ``eurostat`` facility types.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from os import PathLike
from pathlib import Path

import pandas as pd

from maillage._errors import InputFileError

DEFAULT_TYPOLOGY = Path(__file__).with_name("typologie.toml")

#: The five families of services of the schéma, in the order of the report.
FAMILIES = ["social_emploi", "soins", "domicile", "jeunesse_parents", "petite_enfance"]
GAMMES = ["proximite", "intermediaire", "superieure"]

#: Types that maillage's own readers give to their sources.
TOWN_HALL_TYPE = "A129"
FRANCE_SERVICES_TYPE = "A128"


@dataclass(frozen=True)
class CountRule:
    """How one column of a per-commune file becomes services (``[[comptages]]``).

    Attributes
    ----------
    file
        Key of the per-commune file (``bpe``, ``caf_places``, ``ecoles``).
    type
        The BPE type (or maillage's own code) given to the services.
    name
        French label of one service (``"Pharmacie"``).
    count
        Columns whose sum is the number of services in the commune.
    places
        Without ``count``: columns of places; one service per commune that has some.
    capacity
        Columns whose sum, shared equally, is the services' capacity (E2SFCA).
    replaced_by
        BPE types whose points, when a user gives them, replace these counts.
    rule
        Why this column gets this type and family (French, from the file).
    """

    file: str
    type: str
    name: str
    count: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    capacity: tuple[str, ...] = ()
    replaced_by: tuple[str, ...] = ()
    rule: str = ""


@dataclass(frozen=True)
class Typology:
    """A loaded typology.

    Attributes
    ----------
    version
        The file's ``version``.
    types
        One row per type: ``type``, ``label``, ``family`` (or NA), ``gamme`` (or NA),
        ``old_codes`` (list), ``osm`` (list of tag rules), ``eurostat`` (list),
        ``nearest`` (``False``: never the nearest service of its family, e.g. a
        psychiatric hospital for "soins"), ``rule`` (why the type is where it is).
    family_labels, gamme_labels
        French labels by code.
    counts
        The ``[[comptages]]`` entries: per-commune counts that become services.
    """

    version: str
    types: pd.DataFrame
    family_labels: dict[str, str]
    gamme_labels: dict[str, str]
    counts: tuple[CountRule, ...] = ()

    def nearest_family_of(self, codes: pd.Series) -> pd.Series:
        """The family whose nearest service each type may be (NA for ``nearest = false``).

        Examples
        --------
        >>> load_typology().nearest_family_of(pd.Series(["D101", "D104", "D307"])).tolist()
        ['soins', <NA>, 'soins']
        """
        types = self.types.set_index("type")
        mapping = types["family"].where(types["nearest"])
        return codes.map(mapping).astype("string")

    def replaced_counts(self, types: set[str]) -> set[str]:
        """Types of the per-commune counts that points of ``types`` replace.

        Examples
        --------
        >>> sorted(load_typology().replaced_counts({"A207"}))
        ['A206']
        """
        return {rule.type for rule in self.counts if set(rule.replaced_by) & types}

    def family_of(self, codes: pd.Series) -> pd.Series:
        """The family of each type code (NA when the type belongs to none).

        Examples
        --------
        >>> load_typology().family_of(pd.Series(["D265", "A129", "B207"])).tolist()
        ['soins', 'social_emploi', <NA>]
        """
        mapping = self.types.set_index("type")["family"]
        return codes.map(mapping).astype("string")

    def label_of(self, codes: pd.Series) -> pd.Series:
        """The French label of each type code."""
        return codes.map(self.types.set_index("type")["label"]).astype("string")

    def old_code_index(self) -> dict[str, list[str]]:
        """Old (2021 gamme) code → 2025 codes, e.g. ``{"D201": ["D265"], ...}``."""
        index: dict[str, list[str]] = {}
        for code, olds in zip(self.types["type"], self.types["old_codes"], strict=True):
            for old in olds:
                index.setdefault(old, []).append(code)
        return index

    def osm_rules(self) -> list[tuple[dict[str, str], str]]:
        """OSM rules as ``(tags that must all match, type)``, most specific first.

        Examples
        --------
        >>> rules = load_typology().osm_rules()
        >>> ({"amenity": "pharmacy"}, "D307") in rules
        True
        """
        rules: list[tuple[dict[str, str], str]] = []
        for code, tags in zip(self.types["type"], self.types["osm"], strict=True):
            for rule in tags:
                conditions = dict(part.split("=", 1) for part in rule.split(";"))
                rules.append((conditions, code))
        return sorted(rules, key=lambda item: -len(item[0]))

    def eurostat_index(self) -> dict[str, str]:
        """Eurostat hospital ``facility_type`` → type code."""
        return {
            facility: code
            for code, facilities in zip(self.types["type"], self.types["eurostat"], strict=True)
            for facility in facilities
        }


def load_typology(path: str | PathLike[str] | None = None) -> Typology:
    """Read and check a typology file (the shipped one by default).

    Parameters
    ----------
    path
        A user's typology TOML; ``None`` for the shipped ``typologie.toml``.

    Returns
    -------
    Typology

    Raises
    ------
    InputFileError
        Unreadable TOML, an unknown family or gamme, a duplicated code.

    Examples
    --------
    >>> t = load_typology()
    >>> t.types.set_index("type").loc["D265", ["family", "gamme"]].tolist()
    ['soins', 'proximite']
    >>> t.old_code_index()["D201"]
    ['D265']
    """
    return _load(Path(path) if path is not None else DEFAULT_TYPOLOGY)


@cache
def _load(path: Path) -> Typology:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError("typologie introuvable", path=path) from None
    except tomllib.TOMLDecodeError as err:
        raise InputFileError(
            f"TOML illisible ({err})", path=path, fix="corrigez la syntaxe TOML à cet endroit"
        ) from None
    families = {k: v["libelle"] for k, v in document.get("familles", {}).items()}
    gammes = dict(document.get("gammes", {}))
    rows = []
    for position, entry in enumerate(document.get("types", []), start=1):
        where = f"type n°{position} ({entry.get('code', '?')})"
        family, gamme = entry.get("famille"), entry.get("gamme")
        if "code" not in entry or "libelle" not in entry:
            raise InputFileError(f"{where} : « code » et « libelle » sont obligatoires", path=path)
        if family is not None and family not in families:
            raise InputFileError(
                f"{where} : famille « {family} » inconnue",
                path=path,
                fix=f"choisissez parmi {', '.join(families)} ou ajoutez [familles.{family}]",
            )
        if gamme is not None and gamme not in gammes:
            raise InputFileError(
                f"{where} : gamme « {gamme} » inconnue",
                path=path,
                fix=f"choisissez parmi {', '.join(gammes)}",
            )
        rows.append(
            {
                "type": entry["code"],
                "label": entry["libelle"],
                "family": family,
                "gamme": gamme,
                "old_codes": list(entry.get("anciens_codes", [])),
                "osm": list(entry.get("osm", [])),
                "eurostat": list(entry.get("eurostat", [])),
                "nearest": bool(entry.get("au_plus_proche", True)),
                "rule": entry.get("regle", ""),
            }
        )
    types = pd.DataFrame(rows)
    duplicated = types["type"][types["type"].duplicated()]
    if not duplicated.empty:
        raise InputFileError(
            f"code(s) en double : {', '.join(duplicated)}",
            path=path,
            fix="gardez une seule entrée [[types]] par code",
        )
    for column in ("family", "gamme"):
        types[column] = types[column].astype("string")
    counts = tuple(
        _count_rule(entry, position, set(types["type"]), path)
        for position, entry in enumerate(document.get("comptages", []), start=1)
    )
    return Typology(str(document.get("version", "?")), types, families, gammes, counts)


def _count_rule(entry: dict[str, object], position: int, types: set[str], path: Path) -> CountRule:
    where = f"comptage n°{position} ({entry.get('type', '?')})"

    def names(key: str) -> tuple[str, ...]:
        value = entry.get(key, [])
        return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)

    if entry.get("type") not in types or "fichier" not in entry:
        raise InputFileError(
            f"{where} : « fichier » et un « type » de la typologie sont obligatoires",
            path=path,
            fix="ajoutez le type en [[types]] ou corrigez son code",
        )
    if bool(names("nombre")) == bool(names("places")):
        raise InputFileError(
            f"{where} : indiquez soit « nombre », soit « places »",
            path=path,
            fix="« nombre » : colonnes du nombre d'équipements ; « places » : colonnes de places",
        )
    return CountRule(
        file=str(entry["fichier"]),
        type=str(entry["type"]),
        name=str(entry.get("libelle", entry["type"])),
        count=names("nombre"),
        places=names("places"),
        capacity=names("capacite"),
        replaced_by=names("remplace_par") or (str(entry["type"]),),
        rule=str(entry.get("regle", "")),
    )
