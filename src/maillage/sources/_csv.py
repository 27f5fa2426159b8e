"""Read a delimited text file as published, checking encoding, separator and columns.

Every record keeps the physical line number it starts on (column ``line``), so that
any later check can name the line of the file a user opens in a text editor.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
from collections.abc import Iterator, Sequence
from os import PathLike
from pathlib import Path

import pandas as pd

from maillage._errors import InputFileError
from maillage.sources._report import Rejections
from maillage.sources._sniff import decode_text, read_text

__all__ = ["decode_text", "field_limit", "read_checked_csv", "suggest_column"]

SEPARATOR_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation", "|": "barre verticale"}


def _sniff_separator(header: str, expected: str) -> str:
    if expected in header:
        return expected
    counts = {sep: header.count(sep) for sep in SEPARATOR_NAMES}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > 0 else expected


def _refuse_title_lines(text: str, *, path: Path) -> None:
    """Refuse a file whose column names are not on its first line (a title or an export
    date above the table), naming the line where they seem to be.

    Examples
    --------
    >>> _refuse_title_lines("Export du 12/03/2024\\n\\nid;type;commune\\n1;D307;73248\\n",
    ...                     path=Path("export.csv"))
    Traceback (most recent call last):
    ...
    maillage._errors.InputFileError: export.csv, ligne 1 : la ligne 1 (« Export du 12/03/2024 ») n'est pas la ligne des noms de colonnes : le tableau semble commencer ligne 3. Correction : supprimez la ou les 2 ligne(s) au-dessus des noms de colonnes (titre, date d'export…).
    >>> _refuse_title_lines("id;type\\n1;D307\\n", path=Path("ok.csv"))
    """  # noqa: E501
    lines = text.split("\n", 21)[:20]
    first = {sep: lines[0].count(sep) for sep in SEPARATOR_NAMES}
    if max(first.values()) >= 2:
        return
    for number, line in enumerate(lines[1:], start=2):
        following = lines[number] if number < len(lines) else None
        for sep in SEPARATOR_NAMES:
            count = line.count(sep)
            table = following is None or following.count(sep) == count  # not a stray line
            if count >= 2 and count > first[sep] and table:
                raise InputFileError(
                    f"la ligne 1 (« {lines[0].strip()[:60]} ») n'est pas la ligne des noms "
                    f"de colonnes : le tableau semble commencer ligne {number}",
                    path=path,
                    line=1,
                    fix=f"supprimez la ou les {number - 1} ligne(s) au-dessus des noms de "
                    "colonnes (titre, date d'export…)",
                )


def read_checked_csv(
    path: str | PathLike[str],
    *,
    separator: str,
    required: Sequence[str],
    rejections: Rejections,
    fix_columns: str = "",
    upper_columns: bool = False,
    known: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a delimited file into a DataFrame of strings with a ``line`` column.

    Parameters
    ----------
    path
        The file, plain or gzip-compressed.
    separator
        The separator of the official format. A file that uses another one is read
        with it, and a warning says so.
    required
        Columns that must be present; a missing one raises :class:`InputFileError`
        listing the columns found.
    rejections
        Collector of rejected rows and warnings for this file.
    fix_columns
        What the user should do when columns are missing (format-specific advice).
    upper_columns
        Match column names case-insensitively and return them upper-case (INSEE's
        files changed case across vintages).
    known
        Other columns the caller may use: a duplicated one is refused, like a
        duplicated required column (other duplicates are warned about, the first kept).

    Returns
    -------
    pandas.DataFrame
        One row per record, every value a string (empty cells are ``NA``), plus
        ``line``: the physical line the record starts on (the header is line 1).
        Records with the wrong number of fields are rejected, never dropped silently.

    Raises
    ------
    InputFileError
        Missing, empty, non-text file (see :func:`~maillage.sources._sniff.read_text`),
        header only, missing or duplicated used column (with the closest name found).
    """
    path = Path(path)
    text = read_text(path, rejections=rejections)
    header_line = text.split("\n", 1)[0]
    _refuse_title_lines(text, path=path)
    sep = _sniff_separator(header_line, separator)
    if sep != separator:
        rejections.warn(
            f"séparateur « {SEPARATOR_NAMES[sep]} » trouvé au lieu de "
            f"« {SEPARATOR_NAMES[separator]} » attendu par ce format ; fichier lu avec ce "
            "séparateur",
            line=1,
            fix=f"utilisez le séparateur « {separator} » du format officiel",
        )
    with field_limit(len(text)):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        try:
            header = next(reader)
        except (StopIteration, csv.Error) as err:
            raise InputFileError(
                f"en-tête illisible ({err})",
                path=path,
                line=1,
                fix="vérifiez les guillemets de la première ligne",
            ) from None
        header = [h.strip() for h in header]
        names = [h.upper() for h in header] if upper_columns else header
        wanted = [c.upper() for c in required] if upper_columns else list(required)
        _check_header(names, wanted, known=known, path=path, rejections=rejections, fix=fix_columns)
        records: list[list[str]] = []
        lines: list[int] = []
        malformed = 0
        padded = 0
        start = reader.line_num + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as err:  # e.g. a quote left open at the end of the file
                raise InputFileError(
                    f"fichier CSV mal formé ({err})",
                    path=path,
                    line=start,
                    fix="vérifiez les guillemets à partir de cette ligne",
                ) from None
            end = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                start = end + 1
                continue
            if len(row) > len(names) and not "".join(row[len(names) :]).strip():
                padded += 1  # empty cells after the last column (a spreadsheet's export)
                row = row[: len(names)]
            if len(row) != len(names):
                malformed += 1
                rejections.reject(
                    line=start,
                    reason=f"{len(row)} champs au lieu de {len(names)}",
                    value=sep.join(row)[:80],
                    fix=f"vérifiez les guillemets et le séparateur « {sep} » sur cette ligne",
                )
            else:
                records.append(row)
                lines.append(start)
            start = end + 1
    if not records and not malformed:
        raise InputFileError(
            "le fichier ne contient que sa ligne d'en-tête, aucune ligne de données",
            path=path,
            line=2,
            fix="exportez de nouveau le fichier avec ses données",
        )
    if padded:
        rejections.warn(
            f"{padded} ligne(s) finissent par des cellules vides au-delà de la dernière "
            "colonne (ajoutées par le tableur) : ignorées",
            line=1,
            fix="rien à faire ; supprimez les colonnes vides à droite du tableau pour les éviter",
        )
    _warn_unnamed(names, records, lines, rejections)
    first = ~pd.Index(names).duplicated()
    frame = pd.DataFrame(
        {
            name: pd.Series([row[position] for row in records], dtype="string").str.strip()
            for position, (name, keep) in enumerate(zip(names, first, strict=True))
            if keep and name
        },
        index=pd.RangeIndex(len(records)),
    ).replace("", pd.NA)
    frame["line"] = pd.array(lines, dtype="int64")
    rejections.rows_read += len(records) + malformed
    return frame


def _warn_unnamed(
    names: list[str], records: list[list[str]], lines: list[int], rejections: Rejections
) -> None:
    """Say which columns without a name are left out: empty ones (a spreadsheet adds them
    after the table) in one warning, one with values each with its first filled line."""
    unnamed = [position for position, name in enumerate(names) if not name]
    empty = []
    for position in unnamed:
        filled = [n for n, row in enumerate(records) if row[position].strip()]
        if not filled:
            empty.append(position + 1)
            continue
        rejections.warn(
            f"colonne n° {position + 1} sans nom : ses valeurs ne sont pas lues "
            f"({len(filled)} ligne(s) remplie(s))",
            line=lines[filled[0]],
            value=records[filled[0]][position],
            fix="donnez un nom à cette colonne en première ligne, ou supprimez-la",
        )
    if empty:
        rejections.warn(
            f"{len(empty)} colonne(s) sans nom ni valeur (n° "
            f"{', '.join(str(n) for n in empty)}) ignorée(s)",
            line=1,
            fix="rien à faire ; supprimez les colonnes vides à droite du tableau pour les éviter",
        )


@contextlib.contextmanager
def field_limit(size: int) -> Iterator[None]:
    """Let the csv module read a field as long as the whole text, then restore its limit.

    Python's csv module refuses fields over 131,072 characters by default; a real file
    (a long description, a pasted document) can hold one.
    """
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, size + 1))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def suggest_column(name: str, candidates: Sequence[str]) -> str | None:
    """The known column closest to a misspelt ``name`` (difflib), if close enough.

    Examples
    --------
    >>> suggest_column("lattitude", ["lon", "latitude", "type"])
    'latitude'
    >>> suggest_column("adresse", ["lon", "latitude", "type"]) is None
    True
    """
    if len(name) < 4:
        return None
    lowered = {c.lower(): c for c in candidates if len(c) >= 4}
    found = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.8)
    return lowered[found[0]] if found else None


def _check_header(
    names: list[str],
    required: list[str],
    *,
    known: Sequence[str],
    path: Path,
    rejections: Rejections,
    fix: str,
) -> None:
    """Refuse missing or duplicated used columns, suggesting a close name; warn on the rest."""
    positions: dict[str, list[int]] = {}
    for number, name in enumerate(names, start=1):
        if not name:
            continue  # a column without a name: see _warn_unnamed
        positions.setdefault(name.lower(), []).append(number)
    used = {c.lower() for c in [*required, *known]}
    problems = []
    for name, numbers in positions.items():
        if len(numbers) < 2:
            continue
        where = " et ".join(str(n) for n in numbers)
        label = names[numbers[0] - 1]
        if name in used:
            problems.append(f"colonne « {label} » en double (colonnes n° {where})")
        else:
            rejections.warn(
                f"colonne « {label} » en double (colonnes n° {where}) : seule la première est lue",
                line=1,
                column=label,
                fix="renommez ou supprimez les copies",
            )
    present = {n.lower() for n in names}
    missing = [c for c in required if c.lower() not in present]
    if missing:
        problems.insert(0, f"colonne(s) manquante(s) : {', '.join(missing)}")
    unknown = [n for n in names if n and n.lower() not in used]
    for column in missing:
        close = suggest_column(column, unknown)
        if close:
            problems.append(f"la colonne « {close} » est-elle « {column} » mal orthographiée ?")
    if problems:
        raise InputFileError(
            " ; ".join(problems) + f" ; colonnes trouvées : {', '.join(names) or '(aucune)'}",
            path=path,
            line=1,
            fix=fix or "renommez les colonnes en première ligne comme attendu, sans doublon",
        )
