"""Tell what a file really is before parsing it, whatever its name says.

Territories' staff hand over what their software exports: an Excel workbook renamed
``.csv``, a UTF-16 "Unicode text" export, a ZIP archive, a Parquet table. Reading such
a file as CSV gives "missing columns" and binary garbage. :func:`read_text` looks at the
first bytes (the file's *magic number*, its byte-order mark, the pattern of zero
bytes), refuses what is not text with a French message saying what the file is and how
to save it as CSV, decodes UTF-16/32 with a warning, and cleans NUL bytes and control
characters with a warning naming the first line.
"""

from __future__ import annotations

import codecs
import gzip
import re
import zipfile
from os import PathLike
from pathlib import Path
from typing import Any

from maillage._errors import InputFileError
from maillage.sources._report import Rejections

#: Share of NUL and control bytes in the first 64 KiB above which a file is binary.
BINARY_SHARE = 0.05
_HEAD = 65536
_SAVE_AS_CSV = (
    "ouvrez-le dans votre tableur (Excel, LibreOffice) et enregistrez la feuille au format "
    "« CSV UTF-8 (délimité par des points-virgules) », puis passez ce fichier .csv"
)
#: What each non-text kind is, in French, and its fix.
REFUSED_KINDS: dict[str, tuple[str, str]] = {
    "xlsx": ("ce fichier est un classeur Excel (.xlsx), pas un fichier CSV", _SAVE_AS_CSV),
    "xls": ("ce fichier est un classeur Excel 97-2003 (.xls), pas un fichier CSV", _SAVE_AS_CSV),
    "ods": (
        "ce fichier est un classeur OpenDocument (.ods, LibreOffice Calc), pas un fichier CSV",
        _SAVE_AS_CSV,
    ),
    "docx": (
        "ce fichier est un document Word ou OpenDocument texte, pas un tableau CSV",
        "copiez le tableau dans un tableur et enregistrez-le au format « CSV UTF-8 »",
    ),
    "parquet": (
        "ce fichier est une table Parquet (format binaire en colonnes), pas un fichier CSV",
        "exportez-la en CSV, ex. en Python : pandas.read_parquet(f).to_csv('f.csv', sep=';', "
        "index=False)",
    ),
    "sqlite": (
        "ce fichier est une base SQLite ou un GeoPackage, pas un fichier CSV",
        "s'il s'agit d'un GeoPackage, nommez-le .gpkg ; sinon exportez la table en CSV",
    ),
    "pdf": (
        "ce fichier est un document PDF, pas un fichier CSV",
        "demandez à la source le fichier de données (CSV) dont le PDF est tiré",
    ),
    "binary": (
        "ce fichier est binaire (octets nuls et caractères de contrôle), pas un texte CSV",
        "exportez les données au format « CSV UTF-8 » depuis le logiciel qui les a produites",
    ),
}
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
#: Control characters that have no place in a CSV (tab, line feed, carriage return do).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sniff(head: bytes) -> str:
    """The kind of a file from its first bytes.

    Returns one of ``"gzip"``, ``"zip"`` (refined by :func:`_zip_kind`), ``"xls"``,
    ``"parquet"``, ``"sqlite"``, ``"pdf"``, an encoding with a byte-order mark or a
    zero-byte pattern (``"utf-8-sig"``, ``"utf-16-le"``, ``"utf-16-be"``,
    ``"utf-32-le"``, ``"utf-32-be"``), ``"binary"`` or ``"text"``.

    Examples
    --------
    >>> sniff(b"PAR1\\x15\\x04"), sniff(bytes.fromhex("d0cf11e0a1b11ae1")), sniff(b"a;b\\n")
    ('parquet', 'xls', 'text')
    >>> sniff("id;nom\\n1;Modane\\n".encode("utf-16-le"))
    'utf-16-le'
    >>> sniff("id;nom\\n".encode("utf-16"))[:6]
    'utf-16'
    """
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head.startswith(b"%PDF"):
        return "pdf"
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    sample = head[:4096]
    if len(sample) >= 8 and sample.count(0) > len(sample) // 4:
        by_position = [sample[k::4].count(0) for k in range(4)]
        quarter = len(sample) // 4
        if by_position[1] > 0.8 * quarter and by_position[2] > 0.8 * quarter:
            return "utf-32-le" if by_position[3] > 0.8 * quarter else "utf-32-be"
        odd, even = sample[1::2].count(0), sample[0::2].count(0)
        half = len(sample) // 2
        if odd > 0.6 * half and even < 0.1 * half:
            return "utf-16-le"
        if even > 0.6 * half and odd < 0.1 * half:
            return "utf-16-be"
    controls = sum(1 for byte in head[:_HEAD] if byte < 32 and byte not in (9, 10, 12, 13))
    if head and controls > BINARY_SHARE * len(head[:_HEAD]):
        return "binary"
    return "text"


def _zip_kind(path: Path) -> tuple[str, list[str]]:
    """``xlsx``, ``ods``, ``docx`` or ``zip``, and the archive's member names."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            mimetype = (
                archive.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
            )
    except (zipfile.BadZipFile, OSError):
        return "binary", []
    if any(name.startswith("xl/") for name in names):
        return "xlsx", names
    if mimetype.startswith("application/vnd.oasis.opendocument.spreadsheet"):
        return "ods", names
    if any(name.startswith("word/") for name in names) or mimetype.startswith(
        "application/vnd.oasis.opendocument"
    ):
        return "docx", names
    return "zip", names


def read_text(path: str | Path, *, rejections: Rejections) -> str:
    """The text of a delimited file, after checking what the file really is.

    A gzip file is decompressed; a workbook, archive, Parquet table, PDF or binary file
    is refused with what it is and how to save it as CSV; UTF-16/32 is decoded with a
    warning; UTF-8 is tried, then Windows-1252 with a warning; NUL bytes and control
    characters are removed with a warning naming the first line.

    Raises
    ------
    InputFileError
        Missing, empty or non-text file.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "export.csv"
    >>> _ = f.write_bytes("id;nom\\n1;Modane\\n".encode("utf-16"))
    >>> r = Rejections(f)
    >>> read_text(f, rejections=r)
    'id;nom\\n1;Modane\\n'
    >>> r.warnings[0].reason
    'le fichier est encodé en UTF-16 et non en UTF-8 ; il a été lu comme tel'
    """
    path = Path(path)
    check_file(path)
    raw = path.read_bytes()
    kind = sniff(raw[:_HEAD])
    if kind == "gzip":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise InputFileError(
                f"archive gzip abîmée ({err})",
                path=path,
                fix="téléchargez ou compressez de nouveau le fichier",
            ) from None
        kind = sniff(raw[:_HEAD])
    if kind == "zip":
        kind, names = _zip_kind(path)
        if kind == "zip":
            shown = ", ".join(names[:10]) + (" …" if len(names) > 10 else "")
            raise InputFileError(
                f"ce fichier est une archive ZIP (contenu : {shown or 'vide'}), pas un fichier CSV",
                path=path,
                fix="décompressez l'archive et passez le fichier CSV qu'elle contient",
            )
    if kind in REFUSED_KINDS:
        reason, fix = REFUSED_KINDS[kind]
        raise InputFileError(reason, path=path, fix=fix)
    if not raw.strip():
        raise InputFileError(
            "le fichier est vide", path=path, fix="exportez de nouveau le fichier depuis sa source"
        )
    if kind.startswith(("utf-16", "utf-32")):
        name = kind[:6].upper()
        try:
            text = raw.decode(_codec(kind, raw))
        except UnicodeDecodeError as err:
            raise InputFileError(
                f"fichier {name} illisible (octet {err.start})",
                path=path,
                fix="enregistrez le fichier au format « CSV UTF-8 »",
            ) from None
        text = text.lstrip("\ufeff")
        rejections.warn(
            f"le fichier est encodé en {name} et non en UTF-8 ; il a été lu comme tel",
            fix="enregistrez le fichier au format « CSV UTF-8 »"
            + (" (le « Texte Unicode » d'Excel est de l'UTF-16)" if name == "UTF-16" else ""),
        )
    else:
        text = decode_text(raw, path=path, rejections=rejections)
    return clean_controls(text, rejections=rejections)


def _codec(kind: str, raw: bytes) -> str:
    """The codec for a UTF-16/32 ``kind``: ``utf-16`` reads (and drops) its own BOM."""
    if kind.startswith("utf-16") and raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    return kind


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
    if raw.startswith(codecs.BOM_UTF8):
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


def clean_controls(text: str, *, rejections: Rejections) -> str:
    """``text`` without NUL bytes and control characters, with one warning if any.

    Examples
    --------
    >>> r = Rejections("f.csv")
    >>> clean_controls("id;nom\\n1;Mod\\x00ane\\n", rejections=r)
    'id;nom\\n1;Modane\\n'
    >>> r.warnings[0].line, r.warnings[0].value
    (2, 'U+0000')
    """
    found = _CONTROL.search(text)
    if found is None:
        return text
    count = len(_CONTROL.findall(text))
    rejections.warn(
        f"{count} caractère(s) de contrôle (octets nuls, etc.) retiré(s) du fichier",
        line=text.count("\n", 0, found.start()) + 1,
        value=f"U+{ord(found.group()):04X}",
        fix="vérifiez l'export : ces caractères invisibles viennent souvent d'un copier-coller "
        "ou d'un logiciel qui écrit en binaire",
    )
    return _CONTROL.sub("", text)


def refuse_non_text(head: bytes, *, path: str | Path) -> None:
    """Refuse, saying what it is, a file whose first bytes are not text (or are UTF-16/32,
    which a streamed reader cannot take).

    Examples
    --------
    >>> refuse_non_text(b"idcar_200m;ind\\n", path="grille.csv")
    >>> refuse_non_text(b"PAR1\\x15", path="grille.csv")
    Traceback (most recent call last):
    ...
    maillage._errors.InputFileError: grille.csv : ce fichier est une table Parquet (format binaire en colonnes), pas un fichier CSV. Correction : exportez-la en CSV, ex. en Python : pandas.read_parquet(f).to_csv('f.csv', sep=';', index=False).
    """  # noqa: E501
    kind = sniff(head)
    if kind == "zip":
        raise InputFileError(
            "ce fichier est une archive ZIP ou un classeur, pas un fichier CSV",
            path=path,
            fix="décompressez l'archive, ou enregistrez la feuille au format « CSV UTF-8 »",
        )
    if kind in REFUSED_KINDS:
        reason, fix = REFUSED_KINDS[kind]
        raise InputFileError(reason, path=path, fix=fix)
    if kind.startswith(("utf-16", "utf-32")):
        raise InputFileError(
            f"le fichier est encodé en {kind[:6].upper()}, pas en UTF-8",
            path=path,
            fix="enregistrez le fichier au format « CSV UTF-8 »",
        )


def check_file(path: Path) -> None:
    """Refuse a path that is missing or a folder, in French.

    Examples
    --------
    >>> import tempfile
    >>> check_file(Path(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    maillage._errors.InputFileError: ... : c'est un dossier, pas un fichier. Correction : indiquez le fichier lui-même.
    """  # noqa: E501
    if not path.exists():
        raise InputFileError(
            "fichier introuvable", path=path, fix="vérifiez le chemin et le nom du fichier"
        )
    if path.is_dir():
        raise InputFileError(
            "c'est un dossier, pas un fichier", path=path, fix="indiquez le fichier lui-même"
        )


def read_head_text(path: Path, size: int = _HEAD) -> str:
    """The first bytes of a text file, decoded as :func:`read_text` would (for guessing).

    Raises the same refusals as :func:`read_text` for non-text files.
    """
    check_file(path)
    with path.open("rb") as handle:
        head = handle.read(size)
    kind = sniff(head)
    if kind == "gzip":
        try:
            with gzip.open(path, "rb") as handle:
                head = handle.read(size)
        except (OSError, EOFError):
            return ""
        kind = sniff(head)
    if kind == "zip":
        kind, _ = _zip_kind(path)
    if kind in REFUSED_KINDS or kind == "zip":
        return ""
    if kind.startswith(("utf-16", "utf-32")):
        return head.decode(_codec(kind, head), errors="replace").lstrip("\ufeff")
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def parquet_schema(path: str | PathLike[str]) -> Any:
    """The ``pyarrow`` schema of a Parquet table, refusing in French a file that is not one.

    An empty, truncated or mis-named file (a CSV saved as ``.parquet``) gives pyarrow's
    English "magic bytes not found"; this says what the file is instead.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "BPE25.parquet"
    >>> _ = f.write_text("DEPCOM;TYPEQU\\n73248;D307\\n", encoding="utf-8")
    >>> parquet_schema(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    maillage._errors.InputFileError: ...BPE25.parquet : ce fichier n'est pas une table Parquet mais un texte (CSV ?). Correction : donnez-lui l'extension de ce qu'il est (.csv pour un texte), ou téléchargez de nouveau la table Parquet.
    """  # noqa: E501
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    check_file(path)
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    if not head:
        raise InputFileError(
            "le fichier est vide", path=path, fix="téléchargez ou exportez de nouveau la table"
        )
    kind = sniff(head)
    if kind != "parquet":
        if kind == "zip":
            kind = _zip_kind(path)[0]
        what = (
            "un texte (CSV ?)"
            if kind in ("text", "utf-8-sig") or kind.startswith(("utf-16", "utf-32"))
            else REFUSED_KINDS[kind][0].removeprefix("ce fichier est ").split(", pas ")[0]
            if kind in REFUSED_KINDS
            else f"une archive {kind.upper()}"
        )
        raise InputFileError(
            f"ce fichier n'est pas une table Parquet mais {what}",
            path=path,
            fix="donnez-lui l'extension de ce qu'il est (.csv pour un texte), ou téléchargez "
            "de nouveau la table Parquet",
        )
    try:
        return pq.read_schema(path)
    except (pa.ArrowException, OSError) as err:
        raise InputFileError(
            f"table Parquet illisible, tronquée ou abîmée ({err})",
            path=path,
            fix="téléchargez ou exportez de nouveau le fichier en entier",
        ) from None
