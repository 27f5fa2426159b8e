"""Read a delimited text file as published, checking encoding, separator and columns.

Every record keeps the physical line number it starts on (column ``line``), so that
any later check can name the line of the file a user opens in a text editor.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import pandas as pd

from maillage._errors import InputFileError
from maillage.sources._report import Rejections

SEPARATOR_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation", "|": "barre verticale"}


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise InputFileError(
            "fichier introuvable", path=path, fix="vérifiez le chemin et le nom du fichier"
        )
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw


def decode_text(raw: bytes, *, path: Path, rejections: Rejections) -> str:
    """Decode ``raw`` as UTF-8, else as Windows-1252 with a warning naming the first bad line.

    Examples
    --------
    >>> r = Rejections("x.csv")
    >>> decode_text("Modane;Saint-Jean\\n".encode("cp1252"), path=Path("x.csv"), rejections=r)
    'Modane;Saint-Jean\\n'
    >>> decode_text("Bessans;Aussois\\nL\\u00e9ch\\u00e8re\\n".encode("cp1252"),
    ...             path=Path("x.csv"), rejections=r)
    'Bessans;Aussois\\nLéchère\\n'
    >>> r.warnings[0].line
    2
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        rejections.warn(
            "le fichier n'est pas encodé en UTF-8 ; il a été lu en Windows-1252 (Excel)",
            line=line,
            fix="enregistrez le fichier en « CSV UTF-8 » pour lever toute ambiguïté "
            "sur les accents",
        )
        return raw.decode("cp1252", errors="replace")


def _sniff_separator(header: str, expected: str) -> str:
    if expected in header:
        return expected
    counts = {sep: header.count(sep) for sep in SEPARATOR_NAMES}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > 0 else expected


def read_checked_csv(
    path: str | PathLike[str],
    *,
    separator: str,
    required: Sequence[str],
    rejections: Rejections,
    fix_columns: str = "",
    upper_columns: bool = False,
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

    Returns
    -------
    pandas.DataFrame
        One row per record, every value a string (empty cells are ``NA``), plus
        ``line``: the physical line the record starts on (the header is line 1).
        Records with the wrong number of fields are rejected, never dropped silently.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if not raw.strip():
        raise InputFileError(
            "le fichier est vide", path=path, fix="exportez de nouveau le fichier depuis sa source"
        )
    text = decode_text(raw, path=path, rejections=rejections)
    header_line = text.split("\n", 1)[0]
    sep = _sniff_separator(header_line, separator)
    if sep != separator:
        rejections.warn(
            f"séparateur « {SEPARATOR_NAMES[sep]} » trouvé au lieu de "
            f"« {SEPARATOR_NAMES[separator]} » attendu par ce format ; fichier lu avec « {sep} »",
            line=1,
            fix=f"utilisez le séparateur « {separator} » du format officiel",
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next(reader)
    except StopIteration:  # pragma: no cover - guarded by the emptiness check
        raise InputFileError("le fichier est vide", path=path) from None
    header = [h.strip() for h in header]
    names = [h.upper() for h in header] if upper_columns else header
    wanted = [c.upper() for c in required] if upper_columns else list(required)
    missing = [c for c in wanted if c not in names]
    if missing:
        raise InputFileError(
            f"colonne(s) manquante(s) : {', '.join(missing)} ; colonnes trouvées : "
            f"{', '.join(names) or '(aucune)'}",
            path=path,
            line=1,
            fix=fix_columns or f"ajoutez les colonnes {', '.join(missing)} en première ligne",
        )
    records: list[list[str]] = []
    lines: list[int] = []
    malformed = 0
    start = reader.line_num + 1
    for row in reader:
        end = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            start = end + 1
            continue
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
    frame = pd.DataFrame(records, columns=names, dtype="string")
    frame = frame.apply(lambda s: s.str.strip()).replace("", pd.NA)
    frame = frame.loc[:, ~pd.Index(frame.columns).duplicated()]
    frame["line"] = pd.array(lines, dtype="int64")
    rejections.rows_read += len(records) + malformed
    return frame
