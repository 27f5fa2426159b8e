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

from dataclasses import dataclass
from functools import cache
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from maillage._config import read_toml, validate
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

    Examples
    --------
    >>> pharmacies = next(c for c in load_typology().counts if c.type == "D307")
    >>> pharmacies.file, pharmacies.name
    ('bpe', 'Pharmacie')
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

    Examples
    --------
    >>> t = load_typology()
    >>> t.version, t.family_labels["soins"]
    ('2025.1', 'Accès aux soins')
    >>> t.family_of(pd.Series(["D265", "A128"])).tolist()
    ['soins', 'social_emploi']
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
        Missing or unreadable TOML (with its line).
    ConfigError
        Every problem of the file at once, each with its key and line: unknown or
        missing keys, wrong value types, an OSM rule that is not ``clé=valeur``, an
        unknown family or gamme, a duplicated code.

    Examples
    --------
    >>> t = load_typology()
    >>> t.types.set_index("type").loc["D265", ["family", "gamme"]].tolist()
    ['soins', 'proximite']
    >>> t.old_code_index()["D201"]
    ['D265']
    """
    return _load(Path(path) if path is not None else DEFAULT_TYPOLOGY)


class _Family(BaseModel):
    model_config = ConfigDict(extra="forbid")
    libelle: str


class _Type(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1)
    libelle: str
    famille: str | None = None
    gamme: str | None = None
    anciens_codes: list[str] = []
    osm: list[str] = []
    eurostat: list[str] = []
    au_plus_proche: bool = True
    regle: str = ""

    @field_validator("osm")
    @classmethod
    def _osm_rules(cls, rules: list[str]) -> list[str]:
        for rule in rules:
            parts = [part.partition("=") for part in rule.split(";")]
            if not all(key.strip() and sep and value.strip() for key, sep, value in parts):
                raise ValueError(
                    f"règle OpenStreetMap « {rule} » mal formée : écrivez « clé=valeur », "
                    "plusieurs conditions séparées par « ; » (ex. « amenity=police;"
                    "police=gendarmerie »)"
                )
        return rules


class _TypologyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str | int | float
    familles: dict[str, _Family]
    gammes: dict[str, str] = {}
    types: list[_Type] = Field(min_length=1)
    comptages: list[dict[str, Any]] = []


_TYPOLOGY_FIX = (
    "corrigez chaque clé citée (modèle : src/maillage/services/typologie.toml, "
    "documentation : docs/ ; la famille d'un type se donne par « famille = » dans son [[types]])"
)


def _cross_problems(document: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems spanning several keys: unknown family or gamme, duplicated code."""
    families = document.get("familles", {})
    gammes = document.get("gammes", {})
    entries = document.get("types", [])
    if not isinstance(families, dict) or not isinstance(gammes, dict):
        return []
    if not isinstance(entries, list):
        return []
    problems: list[tuple[tuple[str | int, ...], str]] = []
    seen: dict[str, int] = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        family, gamme, code = entry.get("famille"), entry.get("gamme"), entry.get("code")
        if isinstance(family, str) and family not in families:
            problems.append(
                (
                    ("types", position, "famille"),
                    f"famille « {family} » inconnue ; familles : {', '.join(families)} "
                    f"(ou ajoutez [familles.{family}])",
                )
            )
        if isinstance(gamme, str) and gamme not in gammes:
            problems.append(
                (
                    ("types", position, "gamme"),
                    f"gamme « {gamme} » inconnue ; gammes : {', '.join(gammes)}",
                )
            )
        if isinstance(code, str):
            if code in seen:
                problems.append(
                    (
                        ("types", position, "code"),
                        f"code « {code} » en double (déjà en types[{seen[code]}]) : gardez une "
                        "seule entrée [[types]] par code",
                    )
                )
            seen.setdefault(code, position)
    return problems


@cache
def _load(path: Path) -> Typology:
    text, document = read_toml(path, what="typologie")
    checked = validate(
        _TypologyFile,
        document,
        text=text,
        path=path,
        fix=_TYPOLOGY_FIX,
        extra_problems=_cross_problems(document),
    )
    families = {k: v.libelle for k, v in checked.familles.items()}
    gammes = dict(checked.gammes)
    rows = [
        {
            "type": entry.code,
            "label": entry.libelle,
            "family": entry.famille,
            "gamme": entry.gamme,
            "old_codes": list(entry.anciens_codes),
            "osm": [";".join(p.strip() for p in rule.split(";")) for rule in entry.osm],
            "eurostat": list(entry.eurostat),
            "nearest": entry.au_plus_proche,
            "rule": entry.regle,
        }
        for entry in checked.types
    ]
    types = pd.DataFrame(rows)
    for column in ("family", "gamme"):
        types[column] = types[column].astype("string")
    counts = tuple(
        _count_rule(entry, position, set(types["type"]), path)
        for position, entry in enumerate(checked.comptages, start=1)
    )
    return Typology(str(checked.version), types, families, gammes, counts)


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
