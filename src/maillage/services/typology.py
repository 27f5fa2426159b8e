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

DEFAULT_TYPOLOGY = Path(__file__).with_name("typologie.toml")

#: The five families of services of the schéma, in the order of the report.
FAMILIES = ["social_emploi", "soins", "domicile", "jeunesse_parents", "petite_enfance"]
GAMMES = ["proximite", "intermediaire", "superieure"]

#: Types that maillage's own readers give to their sources.
TOWN_HALL_TYPE = "A129"
FRANCE_SERVICES_TYPE = "A128"


@dataclass(frozen=True)
class Typology:
    """A loaded typology.

    Attributes
    ----------
    version
        The file's ``version``.
    types
        One row per type: ``type``, ``label``, ``family`` (or NA), ``gamme`` (or NA),
        ``old_codes`` (list), ``osm`` (list of tag rules), ``eurostat`` (list).
    family_labels, gamme_labels
        French labels by code.
    """

    version: str
    types: pd.DataFrame
    family_labels: dict[str, str]
    gamme_labels: dict[str, str]

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
        }
        for entry in checked.types
    ]
    types = pd.DataFrame(rows)
    for column in ("family", "gamme"):
        types[column] = types[column].astype("string")
    return Typology(str(checked.version), types, families, gammes)
