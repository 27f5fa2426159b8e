"""Import paper or LimeSurvey answers of the satisfaction survey from a CSV file.

Columns (header names compared without case, accents, spaces, ``_`` or brackets, so
``soins_usage``, ``SOINS USAGE`` and LimeSurvey's ``soins[usage]`` are the same):

* ``commune``: INSEE code or name of a commune of the territory (may be empty);
* ``tranche_age``: ``0-19``, ``20-39``, ``40-59``, ``60-74``, ``75+`` or the label;
* per family (``social_emploi``, ``soins``, ``domicile``, ``jeunesse_parents``,
  ``petite_enfance``): ``<famille>_usage`` (``jamais``, ``rarement``, ``mois``,
  ``semaine``), ``<famille>_satisfaction`` (1 to 4), ``<famille>_distance`` (``proche``,
  ``acceptable``, ``loin``, ``trop_loin``), ``<famille>_besoins`` (free text).

Other columns (LimeSurvey's ``id``, ``submitdate``...) are ignored. The file may be UTF-8,
Windows-1252 or UTF-16 (LimeSurvey's and Excel's "Unicode text"), separated by ``;``,
``,`` or tabs. A row must answer at least one question of one family.

The import is all or nothing: every problem is reported (line, column, value, fix) with
the count of lines read, accepted, rejected and blank, and nothing is saved until the
file is correct. A file is imported once: the same file again (same SHA-256) is refused
with the date of its first import, so answers are never doubled.
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from maillage.services.typology import FAMILIES
from maillage.web.models import (
    AGE_BANDS,
    DISTANCE_CHOICES,
    SATISFACTION_CHOICES,
    USE_CHOICES,
    Commune,
    SurveyAnswer,
    SurveyImport,
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
    """Outcome of an import: responses saved, or the problems found, and the counts."""

    saved: int = 0
    errors: list[str] = field(default_factory=list)
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    blank: int = 0

    def summary(self) -> str:
        """``12 lignes lues : 10 acceptées, 2 rejetées ; 1 ligne vide ignorée.``"""
        text = (
            f"{self.read} ligne(s) de réponses lue(s) : {self.accepted} acceptée(s), "
            f"{self.rejected} rejetée(s)"
        )
        if self.blank:
            text += f" ; {self.blank} ligne(s) vide(s) ignorée(s)"
        return text + "."


def _utf16_without_bom(raw: bytes) -> str | None:
    sample = raw[:4096]
    even, odd = sample[0::2], sample[1::2]
    if odd and odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even and even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if b"\x00" in raw[:4096]:
        encoding = _utf16_without_bom(raw)
        if encoding is not None:
            return raw.decode(encoding)
        raise ValueError(
            "Ce fichier n'est pas un texte CSV (contenu binaire). Correction : enregistrez-le "
            "au format CSV depuis votre tableur ou LimeSurvey."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="strict")


def _delimiter(header: str) -> str:
    """The separator of the header line among ``;``, ``,`` and tab (the most frequent)."""
    counts = {sep: header.count(sep) for sep in (";", "\t", ",")}
    return max(counts, key=lambda sep: counts[sep])


def parse_rows(raw: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    """Parse and check the file: ``(rows ready to save, problems in French)``."""
    rows, errors, _ = parse_file(raw)
    return rows, errors


def parse_file(raw: bytes) -> tuple[list[dict[str, Any]], list[str], ImportResult]:
    """Parse and check the file: rows ready to save, problems in French, and the counts."""
    counts = ImportResult()
    try:
        text = _decode(raw)
    except (ValueError, UnicodeDecodeError) as error:
        message = str(error) if isinstance(error, ValueError) else ""
        if isinstance(error, UnicodeDecodeError) or not message:
            message = "Encodage illisible. Correction : enregistrez le fichier en CSV UTF-8."
        return [], [message], counts
    if not text.strip():
        return [], ["Fichier vide : il doit contenir une ligne d'en-tête et des réponses."], counts
    delimiter = _delimiter(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as error:
        return [], [f"CSV illisible ({error}). Correction : vérifiez les guillemets."], counts
    columns = {_key(name): index for index, name in enumerate(header)}
    missing = [name for name in ("commune", "tranche_age") if _key(name) not in columns]
    if missing:
        return (
            [],
            [
                f"Colonne(s) manquante(s) : {', '.join(missing)}. Correction : ajoutez-les à "
                "l'en-tête (séparateur « ; », « , » ou tabulation ; voir la liste des colonnes "
                "attendues)."
            ],
            counts,
        )
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
                counts.blank += 1
                continue
            counts.read += 1
            before = len(errors)
            if len(record) != len(header):
                errors.append(
                    f"Ligne {line} : {len(record)} champs au lieu de {len(header)}. Correction :"
                    " vérifiez le séparateur et les guillemets de cette ligne."
                )
                counts.rejected += 1
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
            if not answers and len(errors) == before:
                errors.append(
                    f"Ligne {line} : aucune réponse aux questions des familles de services. "
                    "Correction : remplissez au moins une colonne <famille>_usage, "
                    "_satisfaction, _distance ou _besoins, ou supprimez la ligne."
                )
            if len(errors) > before:
                counts.rejected += 1
                continue
            counts.accepted += 1
            rows.append({"commune": commune, "age_band": age, "answers": answers})
    except csv.Error as error:
        errors.append(f"CSV illisible ({error}). Correction : vérifiez les guillemets.")
    if not rows and not errors:
        errors.append("Aucune réponse dans le fichier (seulement l'en-tête).")
    return rows, errors, counts


def import_survey_csv(raw: bytes, *, source: str, filename: str = "") -> ImportResult:
    """Check then save every response of the file, or none (see the module docstring)."""
    digest = hashlib.sha256(raw).hexdigest()
    previous = SurveyImport.objects.filter(sha256=digest).first()
    if previous is not None:
        when = timezone.localtime(previous.imported_at).strftime("%d/%m/%Y à %H:%M")
        return ImportResult(
            errors=[
                f"Ce fichier a déjà été importé le {when} ({previous.filename or 'sans nom'}, "
                f"{previous.accepted} réponse(s)) : rien n'a été ajouté, pour ne pas compter "
                "deux fois les mêmes réponses. Correction : importez seulement les nouvelles "
                "réponses, dans un autre fichier."
            ]
        )
    rows, errors, counts = parse_file(raw)
    if errors:
        counts.errors = errors
        return counts
    try:
        with transaction.atomic():
            batch = SurveyImport.objects.create(
                sha256=digest,
                filename=filename[:255],
                source=source,
                rows_read=counts.read,
                accepted=counts.accepted,
                blank_lines=counts.blank,
            )
            for row in rows:
                response = SurveyResponse.objects.create(
                    commune_id=row["commune"],
                    age_band=row["age_band"],
                    source=source,
                    imported_from=batch,
                )
                SurveyAnswer.objects.bulk_create(
                    [SurveyAnswer(response=response, **answer) for answer in row["answers"]]
                )
    except IntegrityError:  # the same file imported at the same moment by someone else
        return ImportResult(errors=["Ce fichier vient d'être importé : rien n'a été ajouté."])
    counts.saved = len(rows)
    return counts
