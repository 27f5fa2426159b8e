"""Numbers as French files write them: decimal comma, grouped thousands.

A spreadsheet in French writes ``962 512,6`` (the space may be a no-break space U+00A0
or a narrow no-break space U+202F), ``968.702,5`` (dot between thousands, comma before
the decimals) or plainly ``962512.6``. :func:`parse_numbers` reads all of them, and for
a value it cannot read gives the exact reason instead of turning it into an empty cell.

Rules, for a text stripped of surrounding spaces:

* ``,`` alone is the decimal separator (``45,28``); two commas or more are refused;
* ``.`` alone is the decimal separator (``45.28``), except when it separates several
  groups of three digits (``1.234.567``);
* with both, the last one is the decimal separator and the other must separate groups
  of three digits (``968.702,5``, ``968,702.5``);
* spaces (ordinary, U+00A0, U+202F, U+2009) may separate groups of three digits;
* an exponent (``6.47e6``) is read.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from maillage.sources._report import Rejections

_SPACES = "\u0020\u00a0\u202f\u2009"
_SIGN = r"[+-]?"
_PATTERNS: list[tuple[re.Pattern[str], str, str]] = [
    # (pattern, thousands separator to drop, decimal separator)
    (re.compile(rf"{_SIGN}\d+(?:[.,]\d+)?"), "", ""),
    (re.compile(rf"{_SIGN}(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d+"), "", "."),
    (re.compile(rf"{_SIGN}\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?:[.,]\d+)?"), _SPACES, ""),
    (re.compile(rf"{_SIGN}\d{{1,3}}(?:\.\d{{3}}){{2,}}"), ".", ","),
    (re.compile(rf"{_SIGN}\d{{1,3}}(?:\.\d{{3}})+,\d+"), ".", ","),
    (re.compile(rf"{_SIGN}\d{{1,3}}(?:,\d{{3}}){{2,}}"), ",", "."),
    (re.compile(rf"{_SIGN}\d{{1,3}}(?:,\d{{3}})+\.\d+"), ",", "."),
]


def parse_number(text: str) -> float | str:
    """The number written in ``text``, or the French reason it cannot be read.

    Examples
    --------
    >>> [parse_number(t) for t in ["45,28", "962 512,6", "962\\u00a0512,6", "968.702,5",
    ...                            "1.234.567", "6.47e6", "-0,5"]]
    [45.28, 962512.6, 962512.6, 968702.5, 1234567.0, 6470000.0, -0.5]
    >>> parse_number("12,3,4")
    'plusieurs virgules : séparateur décimal ambigu'
    >>> parse_number("N/A")
    'texte au lieu d’un nombre'
    """
    value = text.strip()
    for pattern, thousands, decimal in _PATTERNS:
        if pattern.fullmatch(value):
            for char in thousands:
                value = value.replace(char, "")
            return float(value.replace(",", ".") if decimal in ("", ",") else value)
    return _reason(value)


def _reason(value: str) -> str:
    if not any(c.isdigit() for c in value):
        return "texte au lieu d’un nombre"
    if re.search(r"[^\d\s.,+\-\u00a0\u202f\u2009]", value):
        return "caractères autres que des chiffres (unité, lettre, symbole ?)"
    if value.count(",") > 1 and "." not in value:
        return "plusieurs virgules : séparateur décimal ambigu"
    if any(c in value for c in _SPACES):
        return "espaces ailleurs qu'entre des groupes de trois chiffres"
    return "séparateurs de milliers et décimal incohérents"


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column of texts as numbers: the floats, and the reason of each failure.

    Returns
    -------
    tuple of pandas.Series
        The numbers (NaN for empty or unreadable cells) and, aligned, the reason for each
        non-empty unreadable cell (NA elsewhere).

    Examples
    --------
    >>> numbers, reasons = parse_numbers(pd.Series(["962 512,6", None, "abc", "45.2"]))
    >>> numbers.tolist()[0], numbers.tolist()[3], reasons.notna().tolist()
    (962512.6, 45.2, [False, False, True, False])
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype(float)
        return numbers, pd.Series(pd.NA, index=values.index, dtype="string")
    text = values.astype("string").str.strip()
    text = text.where(text != "", pd.NA)
    numbers = pd.to_numeric(text, errors="coerce").astype(float)
    reasons = pd.Series(pd.NA, index=values.index, dtype="string")
    todo = text.notna() & numbers.isna()
    if todo.any():
        for value in pd.unique(text[todo]):
            parsed = parse_number(str(value))
            rows = todo & (text == value)
            if isinstance(parsed, float):
                numbers[rows] = parsed
            else:
                reasons[rows] = parsed
    # pandas reads "inf" and "nan" as numbers; a file's coordinates never are
    odd = text.notna() & ~np.isfinite(numbers) & numbers.notna()
    numbers[odd] = np.nan
    reasons[odd] = "valeur non finie"
    nan_text = text.notna() & numbers.isna() & reasons.isna()
    reasons[nan_text] = "texte au lieu d’un nombre"
    return numbers, reasons


def numbers_or_reject(
    frame: pd.DataFrame, column: str, *, rejections: Rejections, what: str, fix: str
) -> tuple[pd.Series, pd.Series]:
    """Parse ``frame[column]``; reject each unreadable cell with its exact reason.

    Returns
    -------
    tuple of pandas.Series
        The floats (NaN when empty or unreadable) and the mask of unreadable rows.

    Examples
    --------
    >>> r = Rejections("bpe.csv")
    >>> f = pd.DataFrame({"X": ["962 512,6", "9x"], "line": [2, 3]})
    >>> values, bad = numbers_or_reject(f, "X", rejections=r, what="coordonnée", fix="…")
    >>> values.tolist()[0], bad.tolist(), r.rejected[0].reason
    (962512.6, [False, True], 'coordonnée illisible : caractères autres que des chiffres (unité, lettre, symbole ?)')
    """  # noqa: E501
    numbers, reasons = parse_numbers(frame[column])
    bad = reasons.notna()
    for reason in pd.unique(reasons[bad]):
        rows = bad & (reasons == reason)
        rejections.reject_rows(
            frame.loc[rows, "line"],
            frame.loc[rows, column],
            column=column,
            reason=f"{what} illisible : {reason}",
            fix=fix,
        )
    return numbers, bad.astype(bool)
