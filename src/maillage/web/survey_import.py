"""Import paper or LimeSurvey answers of the satisfaction survey from a CSV file.

Columns (header names compared without case, accents, spaces, ``_`` or brackets, so
``soins_usage``, ``SOINS USAGE`` and LimeSurvey's ``soins[usage]`` are the same):

* ``commune``: INSEE code or name of a commune of the territory (may be empty);
* ``tranche_age``: ``0-19``, ``20-39``, ``40-59``, ``60-74``, ``75+`` or the label;
* per family (``social_emploi``, ``soins``, ``domicile``, ``jeunesse_parents``,
  ``petite_enfance``): ``<famille>_usage`` (``jamais``, ``rarement``, ``mois``,
  ``semaine``), ``<famille>_satisfaction`` (1 to 4), ``<famille>_distance`` (``proche``,
  ``acceptable``, ``loin``, ``trop_loin``), ``<famille>_besoins`` (free text).

Other columns (LimeSurvey's ``id``, ``submitdate``...) are ignored. The import is all or
nothing: every problem is reported (line, column, value, fix) and nothing is saved
until the file is correct.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from maillage.services.typology import FAMILIES
from maillage.web.models import (
    AGE_BANDS,
    DISTANCE_CHOICES,
    SATISFACTION_CHOICES,
    USE_CHOICES,
    Commune,
    SurveyAnswer,
    SurveyResponse,
)

MAX_ROWS = 10_000
MAX_TEXT = 1000
PARTS = {"usage": "use", "satisfaction": "satisfaction", "distance": "distance_felt"}


def _key(text: str) -> str:
    """Lower case, no accents, letters and digits only."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == "+")


def _lookup(choices: list[tuple[Any, str]]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for code, label in choices:
        table[_key(str(code))] = code
        table[_key(label)] = code
    return table


@dataclass
class ImportResult:
    """Outcome of an import: responses saved, or the problems found."""

    saved: int = 0
    errors: list[str] = field(default_factory=list)


def _decode(raw: bytes) -> str:
    if b"\x00" in raw[:4096]:
        raise ValueError(
            "Ce fichier n'est pas un texte CSV (contenu binaire). Correction : enregistrez-le "
            "au format CSV depuis votre tableur ou LimeSurvey."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="strict")


def parse_rows(raw: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    """Parse and check the file: ``(rows ready to save, problems in French)``."""
    try:
        text = _decode(raw)
    except (ValueError, UnicodeDecodeError) as error:
        message = str(error) if isinstance(error, ValueError) else ""
        if isinstance(error, UnicodeDecodeError) or not message:
            message = "Encodage illisible. Correction : enregistrez le fichier en CSV UTF-8."
        return [], [message]
    if not text.strip():
        return [], ["Fichier vide : il doit contenir une ligne d'en-tête et des réponses."]
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as error:
        return [], [f"CSV illisible ({error}). Correction : vérifiez les guillemets."]
    columns = {_key(name): index for index, name in enumerate(header)}
    missing = [name for name in ("commune", "tranche_age") if _key(name) not in columns]
    if missing:
        return [], [
            f"Colonne(s) manquante(s) : {', '.join(missing)}. Correction : ajoutez-les à "
            "l'en-tête (voir la liste des colonnes attendues)."
        ]
    communes: dict[str, str] = {}
    for code, name in Commune.objects.filter(in_territory=True).values_list("code", "name"):
        communes[_key(code)] = code
        communes[_key(name)] = code
    ages = _lookup(list(AGE_BANDS))
    lookups = {
        "usage": _lookup(list(USE_CHOICES)),
        "satisfaction": _lookup([(str(c), label) for c, label in SATISFACTION_CHOICES]),
        "distance": _lookup(list(DISTANCE_CHOICES)),
    }
    rows: list[dict[str, Any]] = []
    errors: list[str] = []

    def cell(record: list[str], name: str) -> str:
        index = columns.get(_key(name))
        return record[index].strip() if index is not None and index < len(record) else ""

    try:
        for line, record in enumerate(reader, start=2):
            if len(rows) >= MAX_ROWS:
                errors.append(f"Plus de {MAX_ROWS} réponses : découpez le fichier.")
                break
            if not any(value.strip() for value in record):
                continue
            if len(record) != len(header):
                errors.append(
                    f"Ligne {line} : {len(record)} champs au lieu de {len(header)}. Correction :"
                    " vérifiez le séparateur et les guillemets de cette ligne."
                )
                continue
            commune_text = cell(record, "commune")
            commune = communes.get(_key(commune_text)) if commune_text else None
            if commune_text and commune is None:
                errors.append(
                    f"Ligne {line}, colonne commune : « {commune_text[:60]} » n'est pas une "
                    "commune du territoire. Correction : code INSEE ou nom exact, ou vide."
                )
            age_text = cell(record, "tranche_age")
            age = ages.get(_key(age_text))
            if age is None:
                errors.append(
                    f"Ligne {line}, colonne tranche_age : « {age_text[:60]} » inconnue. "
                    f"Correction : l'une de {', '.join(code for code, _ in AGE_BANDS)}."
                )
            answers = []
            for family in FAMILIES:
                answer: dict[str, Any] = {"family": family}
                for part, attribute in PARTS.items():
                    value = cell(record, f"{family}_{part}")
                    code = lookups[part].get(_key(value)) if value else ""
                    if code is None:
                        allowed = ", ".join(sorted({str(v) for v in lookups[part].values()}))
                        errors.append(
                            f"Ligne {line}, colonne {family}_{part} : « {value[:60]} » inconnue. "
                            f"Correction : l'une de {allowed}, ou vide."
                        )
                        code = ""
                    answer[attribute] = int(code) if part == "satisfaction" and code else code
                needs = cell(record, f"{family}_besoins")
                if len(needs) > MAX_TEXT:
                    errors.append(
                        f"Ligne {line}, colonne {family}_besoins : {len(needs)} caractères "
                        f"(au plus {MAX_TEXT}). Correction : raccourcissez le texte."
                    )
                answer["unmet_needs"] = needs[:MAX_TEXT]
                if answer["use"] or answer["satisfaction"] or answer["distance_felt"] or needs:
                    answer["satisfaction"] = answer["satisfaction"] or None
                    answers.append(answer)
            rows.append({"commune": commune, "age_band": age, "answers": answers})
    except csv.Error as error:
        errors.append(f"CSV illisible ({error}). Correction : vérifiez les guillemets.")
    if not rows and not errors:
        errors.append("Aucune réponse dans le fichier (seulement l'en-tête).")
    return rows, errors


def import_survey_csv(raw: bytes, *, source: str) -> ImportResult:
    """Check then save every response of the file, or none (see the module docstring)."""
    rows, errors = parse_rows(raw)
    if errors:
        return ImportResult(0, errors)
    with transaction.atomic():
        for row in rows:
            response = SurveyResponse.objects.create(
                commune_id=row["commune"], age_band=row["age_band"], source=source
            )
            SurveyAnswer.objects.bulk_create(
                [SurveyAnswer(response=response, **answer) for answer in row["answers"]]
            )
    return ImportResult(len(rows), [])
