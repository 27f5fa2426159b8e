"""Validate a configuration file (typology, scenario, catalogue) as a whole, on load.

A pydantic model describes each file's shape; :func:`validate` checks a parsed document
against it and, instead of stopping at the first problem, raises one
:class:`~maillage._errors.ConfigError` listing every problem in French, each with its
key (``types[4].osm[0]``) and the line of the file where that key is written. TOML
parsers give no positions, so :func:`key_lines` finds them by reading the file's table
headers and keys.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from maillage._errors import ConfigError, InputFileError

ModelT = TypeVar("ModelT", bound=BaseModel)
Location = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-.\s"']+?))\s*=""")


def read_toml(path: str | PathLike[str], *, what: str) -> tuple[str, dict[str, Any]]:
    """The text of a TOML file and its document; French errors for a missing or bad file.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "t.toml"
    >>> _ = f.write_text('version = "1"\\nnom = \\n', encoding="utf-8")
    >>> read_toml(f, what="typologie")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    maillage._errors.InputFileError: ...t.toml, ligne 2 : typologie : TOML illisible (valeur attendue après « = »). Correction : corrigez la syntaxe TOML à cette ligne.
    """  # noqa: E501
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(
            f"{what} introuvable", path=path, fix="vérifiez le chemin du fichier"
        ) from None
    except IsADirectoryError:
        raise InputFileError(
            f"{what} : c'est un dossier", path=path, fix="indiquez le fichier TOML"
        ) from None
    except UnicodeDecodeError as err:
        raise InputFileError(
            f"{what} : encodage illisible (octet {err.start})",
            path=path,
            fix="enregistrez le fichier en UTF-8",
        ) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        at = re.search(r"at line (\d+)", str(err))
        line = int(at.group(1)) if at else None
        raise InputFileError(
            f"{what} : TOML illisible ({_french_toml_error(err)})",
            path=path,
            line=line,
            fix="corrigez la syntaxe TOML à cette ligne",
        ) from None


def _french_toml_error(err: tomllib.TOMLDecodeError) -> str:
    message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)$", "", str(err))
    for english, french in _TOML_ERRORS.items():
        if message.startswith(english):
            return french
    return message


#: tomllib's messages (Python 3.11 to 3.13), in French, by their first words.
_TOML_ERRORS = {
    "Invalid value": "valeur attendue après « = »",
    "Cannot declare": "clé ou table déclarée deux fois",
    "Cannot overwrite a value": "clé déclarée deux fois",
    "Cannot mutate immutable namespace": "table déjà fermée (déclarée en ligne) modifiée",
    "Cannot redefine namespace": "table redéfinie",
    "Duplicate inline table key": "clé en double dans une table en ligne",
    "Expected '=' after a key": "« = » attendu après la clé",
    "Expected ']]' at the end of an array declaration": "« ]] » attendu à la fin de [[…]]",
    "Expected ']' at the end of a table declaration": "« ] » attendu à la fin de […]",
    "Expected newline or end of document": "un retour à la ligne est attendu après la valeur",
    "Expected": "caractère attendu absent",
    "Unterminated string": "texte non fermé (guillemet manquant)",
    "Unescaped '\\' in a string": "barre oblique inverse « \\ » à doubler dans un texte "
    "(ou texte entre apostrophes)",
    "Escaped character is not a Unicode scalar value": "caractère échappé invalide",
    "Invalid hex value": "valeur hexadécimale invalide",
    "Invalid date or datetime": "date invalide",
    "Invalid initial character for a key part": "nom de clé invalide",
    "Invalid statement": "instruction invalide",
    "Found invalid character": "caractère invalide",
    "Illegal character": "caractère interdit",
    "Unclosed array": "liste non fermée (« ] » manquant)",
    "Unclosed inline table": "table en ligne non fermée (« } » manquante)",
}


def key_lines(text: str) -> dict[Location, int]:
    """The line of each table header and key of a TOML text, by location.

    An array of tables (``[[types]]``) is numbered from 0, as in the parsed document.

    Examples
    --------
    >>> text = 'version = "1"\\n[[types]]\\ncode = "A"\\n[[types]]\\nosm = ["x"]\\n'
    >>> lines = key_lines(text)
    >>> lines[("version",)], lines[("types", 1)], lines[("types", 1, "osm")]
    (1, 4, 5)
    """
    lines: dict[Location, int] = {}
    table: Location = ()
    counts: dict[Location, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header is not None:
            names: Location = tuple(_split_key(header.group(2)))
            if header.group(1) == "[[":
                index = counts.get(names, 0)
                counts[names] = index + 1
                table = (*names, index)
            else:
                table = names
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key is not None:
            lines.setdefault((*table, *_split_key(key.group(1))), number)
    return lines


def _split_key(key: str) -> list[str]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)', key)
    return [next(p for p in groups if p) for groups in parts if any(groups)]


def line_of(lines: Mapping[Location, int], location: Sequence[str | int]) -> int | None:
    """The line of ``location``, or of its closest enclosing key or table."""
    for size in range(len(location), 0, -1):
        found = lines.get(tuple(location[:size]))
        if found is not None:
            return found
    return None


def key_name(location: Sequence[str | int]) -> str:
    """``("types", 3, "osm", 0)`` → ``"types[3].osm[0]"`` (numbered from 0, as TOML tools).

    Examples
    --------
    >>> key_name(("types", 3, "osm", 0))
    'types[3].osm[0]'
    """
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(racine)"


def problem(text_lines: Mapping[Location, int], location: Sequence[str | int], what: str) -> str:
    """One problem as a French sentence: key, line, what is wrong."""
    line = line_of(text_lines, location)
    where = f"ligne {line}, " if line is not None else ""
    return f"{where}clé « {key_name(location)} » : {what}"


def validate(
    model: type[ModelT],
    document: Mapping[str, Any],
    *,
    text: str,
    path: str | PathLike[str],
    fix: str,
    extra_problems: Iterable[tuple[Location, str]] = (),
    context: Mapping[str, Any] | None = None,
) -> ModelT:
    """Check ``document`` against ``model``; raise one error listing every problem.

    Parameters
    ----------
    model
        The pydantic model of the file.
    document
        The parsed file.
    text
        The file's text, to find the line of each key.
    path
        The file, named in the message.
    fix
        The general fix (where the format is documented).
    extra_problems
        Problems found by checks that span several keys, as ``(location, French text)``.
    context
        Passed to the model's validators (e.g. the typology for service types).

    Raises
    ------
    ConfigError
        With one line per problem, ordered by line.
    """
    lines = key_lines(text)
    found: list[tuple[int, str]] = []
    result: ModelT | None = None
    try:
        result = model.model_validate(dict(document), context=dict(context or {}))
    except ValidationError as err:
        seen: set[Location] = set()
        for error in err.errors(include_url=False):
            location = _document_location(document, tuple(error["loc"]))
            if location in seen:  # the other branches of a union (str | int...)
                continue
            seen.add(location)
            found.append(
                (
                    line_of(lines, location) or 0,
                    problem(lines, location, _french(error, model, location)),
                )
            )
    for location, what in extra_problems:
        found.append((line_of(lines, location) or 0, problem(lines, location, what)))
    if found or result is None:
        found.sort(key=lambda item: item[0])
        raise ConfigError(
            [text for _, text in found],
            path=path,
            fix=fix,
            lines=[line or None for line, _ in found],
        )
    return result


def _document_location(document: Any, location: Location) -> Location:
    """``location`` without pydantic's union branch names (``str``, ``list[...]``).

    Keeps the parts that exist in the document, and the last part (a missing or
    unknown key).
    """
    kept: list[str | int] = []
    current = document
    for number, part in enumerate(location):
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            kept.append(part)
            current = current[part]
        elif number == len(location) - 1 and isinstance(current, dict):
            kept.append(part)
    return tuple(kept)


def _french(error: Any, model: type[BaseModel], location: Location) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind == "missing":
        return "clé obligatoire absente"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, location[:-1])
        close = difflib.get_close_matches(str(location[-1]), allowed, n=1, cutoff=0.7)
        hint = f" (vouliez-vous dire « {close[0]} » ?)" if close else ""
        return f"clé inconnue{hint} ; clés possibles : {', '.join(allowed)}"
    if kind in {"string_type", "string_sub_type"}:
        return f"doit être un texte entre guillemets (valeur : {given!r})"
    if kind in {"int_type", "int_parsing", "float_type", "float_parsing", "int_from_float"}:
        return f"doit être un nombre (valeur : {given!r})"
    if kind in {"list_type", "tuple_type"}:
        return 'doit être une liste entre crochets, ex. ["…", "…"]'
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return "doit être une table (section [nom] ou [[nom]])"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", " ou ")
        return f"valeur {given!r} impossible ; valeurs possibles : {expected}"
    if kind in {"greater_than_equal", "greater_than"}:
        return f"doit être ≥ {ctx.get('ge', ctx.get('gt'))} (valeur : {given!r})"
    if kind in {"less_than_equal", "less_than"}:
        return f"doit être ≤ {ctx.get('le', ctx.get('lt'))} (valeur : {given!r})"
    if kind == "too_short":
        return f"au moins {ctx.get('min_length')} élément(s)"
    if kind == "string_pattern_mismatch":
        return f"valeur {given!r} mal formée (forme attendue : {ctx.get('pattern')})"
    if kind in {"value_error", "assertion_error"}:
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


def _allowed_keys(model: type[BaseModel], location: Location) -> list[str]:
    """The field names (aliases) of the model found at ``location`` inside ``model``."""
    current: Any = model
    root = getattr(model, "model_fields", {}).get("root")
    if root is not None:
        current = _model_in(root.annotation)
    for part in location:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            by_alias = {
                f.alias: f for f in getattr(current, "model_fields", {}).values() if f.alias
            }
            field = by_alias.get(part)
        if field is None:
            break
        current = _model_in(field.annotation)
    fields = getattr(current, "model_fields", {})
    return [f.alias or name for name, f in fields.items()]


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside ``list[Model]``, ``dict[str, Model]``, ``Model | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
