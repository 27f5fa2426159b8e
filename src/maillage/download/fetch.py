"""Download one file safely: resume, verify, then promote it atomically.

A file is written to ``<name>.part`` beside its final place; an interrupted download is
resumed from there with an HTTP ``Range`` request. Only once its size, its checksum and
its format are verified is it renamed (:func:`os.replace`, atomic on one file system) to
its final name: a half-written or corrupted file never stands where a good one is
expected. Proxies are honoured as :mod:`urllib.request` does (``http_proxy``,
``https_proxy``, ``no_proxy``).

Every failure raises a :class:`DownloadError` in French that names the file and gives the
way forward (``--depuis DOSSIER`` when the network cannot be reached, the catalogue entry
on HTTP 404...).
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import shutil
import struct
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from maillage._errors import MaillageError
from maillage.download.catalogue import Entry

#: Seconds without any byte received before a download is abandoned.
DEFAULT_TIMEOUT_S = 60.0
#: Bytes read at a time.
CHUNK_BYTES = 1 << 20
#: First bytes of a 7-Zip archive and of a Parquet file.
SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
PARQUET_MAGIC = b"PAR1"
#: Identifies maillage to the publishers' servers.
USER_AGENT = "maillage (schéma de services à la population)"


class DownloadError(MaillageError):
    """A file could not be downloaded or imported; the message gives the way forward."""


@dataclass(frozen=True)
class Fetched:
    """A verified file in the cache.

    Attributes
    ----------
    path
        Its final place.
    size
        Its size in bytes.
    sha256
        Its SHA-256 (hex).
    status
        ``"telecharge"``, ``"reprise"`` (a resumed download), ``"importe"`` or
        ``"en cache"``.
    """

    path: Path
    size: int
    sha256: str
    status: str


class _Progress(Protocol):
    def update(self, n: int) -> object: ...

    def close(self) -> None: ...


def download(
    entry: Entry,
    destination: Path,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    retries: int = 1,
    progress: bool | None = None,
) -> Fetched:
    """Download ``entry`` to ``destination``, resuming and verifying it.

    Parameters
    ----------
    entry
        The catalogue entry (its URL, expected size, checksum and format).
    destination
        The final path; ``<destination>.part`` holds the download until it is verified.
    timeout_s
        Seconds without data before giving up (then retried ``retries`` times).
    retries
        New attempts after a cut connection, a timeout or a corrupted file.
    progress
        Show a progress bar on stderr (``tqdm``); by default only when stderr is a
        terminal.

    Returns
    -------
    Fetched

    Raises
    ------
    DownloadError
        Network unreachable, HTTP error, file cut or corrupted after the retries, disk
        full, unexpected format. The cache is left as it was, a resumable ``.part`` aside.
    """
    part = _part_path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    expected_md5 = entry.md5 or _published_md5(entry, timeout_s=timeout_s)
    resumed = part.exists() and part.stat().st_size > 0
    attempt = 0
    while True:
        try:
            _transfer(entry, part, timeout_s=timeout_s, progress=progress)
            verify_file(part, entry, md5=expected_md5, name=destination.name)
            break
        except _TransientError as err:
            if attempt >= retries:
                kept = (
                    f"Le début du fichier est gardé dans {part.name} : relancez la même "
                    "commande pour reprendre le téléchargement, ou téléchargez"
                    if part.exists() and part.stat().st_size
                    else "Correction : réessayez plus tard, ou téléchargez"
                )
                raise DownloadError(
                    f"{destination.name} : {err.reason} après {attempt + 1} tentative(s) "
                    f"({entry.url}). {kept} le fichier sur un autre poste et importez-le "
                    "avec « maillage telecharger --depuis DOSSIER »"
                ) from None
            resumed = True
        except CorruptedError as err:
            part.unlink(missing_ok=True)
            if attempt >= retries:
                raise DownloadError(
                    f"{destination.name} : {err} ; le fichier reçu a été supprimé après "
                    f"{attempt + 1} tentative(s). Correction : si l'éditeur a publié une "
                    f"nouvelle version, mettez à jour la somme de contrôle de l'entrée "
                    f"« {entry.key} » du catalogue (--catalogue), sinon réessayez plus tard"
                ) from None
            resumed = False
        except FormatChangedError as err:
            part.unlink(missing_ok=True)
            raise DownloadError(
                f"{destination.name} : {err} ; le fichier reçu a été supprimé. Correction : "
                f"l'éditeur a peut-être changé le format ou l'adresse ({entry.url}) : "
                f"vérifiez l'entrée « {entry.key} » du catalogue et mettez-la à jour avec "
                "--catalogue"
            ) from None
        attempt += 1
    size = part.stat().st_size
    digest = file_digest(part, "sha256")
    os.replace(part, destination)
    return Fetched(destination, size, digest, "reprise" if resumed else "telecharge")


def import_file(
    source: Path, entry: Entry, destination: Path, *, md5: str | None = None
) -> Fetched:
    """Copy a file downloaded by hand into the cache, with the checks of :func:`download`.

    Parameters
    ----------
    source
        The file fetched elsewhere.
    entry
        Its catalogue entry (checksum, size and format expected).
    destination
        Its place in the cache.
    md5
        An MD5 sum found beside the file (``<file>.md5``, as Geofabrik publishes).

    Raises
    ------
    DownloadError
        Wrong size or checksum, unexpected format, disk full: the cache is unchanged.
    """
    part = _part_path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _disk_errors(part, source.stat().st_size):
            _check_space(destination.parent, source.stat().st_size, shown=source.name)
            shutil.copyfile(source, part)
        verify_file(part, entry, md5=entry.md5 or md5, name=source.name)
    except (CorruptedError, FormatChangedError) as err:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{source} : {err}. Le fichier n'a pas été importé. Correction : téléchargez-le "
            f"de nouveau depuis {entry.url}"
        ) from None
    digest = file_digest(part, "sha256")
    size = part.stat().st_size
    os.replace(part, destination)
    return Fetched(destination, size, digest, "importe")


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of a file, read by chunks.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = f.write_bytes(b"maillage")
    >>> file_digest(f, "md5")
    '8d381bd1dac96379aad22f10d7f08cf3'
    """
    hasher = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            hasher.update(block)
    return hasher.hexdigest()


class CorruptedError(Exception):
    """Size or checksum does not match: the file is damaged (retry)."""


class FormatChangedError(Exception):
    """The file is complete but not in the expected format (no retry)."""


def verify_file(
    path: Path, entry: Entry, *, md5: str | None = None, name: str | None = None
) -> None:
    """Check size, checksums and format of a downloaded or imported file.

    ``name`` is the file's own name (``path`` may be a ``.part``), which tells a CSV.

    Raises
    ------
    CorruptedError
        Size or checksum differs from the catalogue's (or the published MD5).
    FormatChangedError
        Not the expected format (not a ZIP, no CSV/GeoPackage inside, missing columns,
        not a PBF).
    """
    size = path.stat().st_size
    if entry.size is not None and size != entry.size:
        raise CorruptedError(f"taille {size} octets au lieu de {entry.size} attendus")
    for algorithm, expected in (("sha256", entry.sha256), ("md5", md5)):
        if expected:
            actual = file_digest(path, algorithm)
            if actual != expected:
                raise CorruptedError(
                    f"somme de contrôle {algorithm.upper()} incorrecte ({actual} au lieu de "
                    f"{expected}) : fichier tronqué ou corrompu"
                )
    check_format(path, entry, name=name)


def check_format(path: Path, entry: Entry, *, name: str | None = None) -> str:
    """Check that ``path`` holds the entry's content; return the format found.

    A ZIP archive is opened (its CRCs verified) and must hold a member of an accepted
    format, whose header is checked in turn.

    Raises
    ------
    CorruptedError
        A damaged ZIP archive.
    FormatChangedError
        No accepted format, or a CSV without the catalogue's columns.

    Examples
    --------
    >>> import tempfile
    >>> from maillage.download.catalogue import load_catalogue
    >>> f = Path(tempfile.mkdtemp()) / "BPE24.csv"
    >>> _ = f.write_text("AN;DEPCOM;TYPEQU;LAMBERT_X;LAMBERT_Y\\n", encoding="utf-8")
    >>> check_format(f, load_catalogue().entries["bpe"])
    'csv'
    """
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return _check_zip(path, entry)
    if head.startswith(SEVEN_ZIP_MAGIC):
        return _check_7z(path, entry)
    if head.startswith(PARQUET_MAGIC) and "parquet" in entry.content:
        return _check_parquet(path, entry, name or path.name.removesuffix(".part"))
    found = _sniff(head, name or path.name.removesuffix(".part"), entry)
    if found is None:
        raise FormatChangedError(
            f"format inattendu : ni {_formats(entry)}"
            + (" ni archive ZIP" if entry.archive == "zip" else "")
        )
    return found


def _check_zip(path: Path, entry: Entry) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
            if damaged is not None:
                raise CorruptedError(f"archive ZIP corrompue (membre {damaged})")
            candidates = [info for info in archive.infolist() if not info.is_dir()]
            names = [info.filename for info in candidates]
            for info in candidates:
                with archive.open(info) as member:
                    head = member.read(4096)
                if head.startswith(SEVEN_ZIP_MAGIC):
                    # Filosofi 2019: a .7z inside the ZIP, holding the GeoPackages.
                    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
                        inner = Path(folder) / Path(info.filename).name
                        with archive.open(info) as member, inner.open("wb") as out:
                            shutil.copyfileobj(member, out, CHUNK_BYTES)
                        return _check_7z(inner, entry)
                found = _sniff(head, info.filename, entry)
                if found is not None:
                    return found
    except zipfile.BadZipFile as err:
        raise CorruptedError(f"archive ZIP illisible ({err})") from None
    raise FormatChangedError(
        f"l'archive ne contient aucun fichier {_formats(entry)} reconnu (contenu : "
        f"{', '.join(names[:5]) or 'vide'})"
    )


def _check_7z(path: Path, entry: Entry) -> str:
    """The format of a 7-Zip archive's members (names only: INSEE's are large)."""
    import py7zr

    try:
        with py7zr.SevenZipFile(path, mode="r") as archive:
            names = [n for n in archive.getnames() if not n.endswith("/")]
    except (py7zr.Bad7zFile, EOFError, OSError) as err:
        raise CorruptedError(f"archive 7z illisible ({err})") from None
    for fmt in entry.content:
        if any(n.lower().endswith(f".{fmt}") for n in names):
            return fmt
    raise FormatChangedError(
        f"l'archive 7z ne contient aucun fichier {_formats(entry)} (contenu : "
        f"{', '.join(names[:5]) or 'vide'})"
    )


def _check_parquet(path: Path, entry: Entry, name: str) -> str:
    import pyarrow.parquet as pq

    try:
        columns = {c.lower() for c in pq.read_schema(path).names}
    except (OSError, ValueError) as err:
        raise CorruptedError(f"fichier Parquet illisible ({err})") from None
    missing = [c for c in entry.columns if c.lower() not in columns]
    if missing:
        raise FormatChangedError(f"colonnes absentes de {name} : {', '.join(missing)}")
    return "parquet"


def _formats(entry: Entry) -> str:
    return " ou ".join(f.upper() for f in entry.content)


def _sniff(head: bytes, name: str, entry: Entry) -> str | None:
    """The accepted format ``head`` is in, or ``None``; CSV columns are checked."""
    if "gpkg" in entry.content and head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if "pbf" in entry.content and _is_pbf(head):
        return "pbf"
    if "csv" in entry.content and name.lower().endswith((".csv", ".txt")):
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
        header = text.splitlines()[0] if text else ""
        separator = max((";", ",", "\t"), key=header.count)
        columns = {c.strip().strip('"').lower() for c in header.split(separator)}
        missing = [c for c in entry.columns if c.lower() not in columns]
        if missing:
            raise FormatChangedError(
                f"colonnes absentes de {name} : {', '.join(missing)} (en-tête lu : {header[:120]})"
            )
        return "csv"
    return None


def _is_pbf(head: bytes) -> bool:
    """An OSM PBF starts with a 4-byte length and a BlobHeader of type ``OSMHeader``."""
    if len(head) < 16:
        return False
    (length,) = struct.unpack(">I", head[:4])
    return 0 < length < 64 * 1024 and head[4:5] == b"\x0a" and b"OSMHeader" in head[5 : 5 + 16]


# --- transfer ------------------------------------------------------------------------


class _TransientError(Exception):
    """A cut connection or a timeout: worth one more attempt, resuming."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _part_path(destination: Path) -> Path:
    return destination.with_name(destination.name + ".part")


def _open(url: str, *, timeout_s: float, offset: int = 0) -> Any:
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    # build_opener() installs a ProxyHandler reading http_proxy/https_proxy/no_proxy.
    return urllib.request.build_opener().open(request, timeout=timeout_s)


def _transfer(entry: Entry, part: Path, *, timeout_s: float, progress: bool | None) -> None:
    offset = part.stat().st_size if part.exists() else 0
    name = part.name.removesuffix(".part")
    try:
        response = _open(entry.url, timeout_s=timeout_s, offset=offset)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:
            # The range starts at the end: the part file is already complete.
            return
        raise _http_error(err, entry, name) from None
    except (urllib.error.URLError, OSError) as err:
        if isinstance(getattr(err, "reason", err), TimeoutError):
            raise _TransientError(
                f"le serveur ne répond pas dans le délai de {timeout_s:g} s"
            ) from None
        raise _no_network(err, entry, name) from None
    with response:
        status = getattr(response, "status", 200)
        mode = "ab" if offset and status == 206 else "wb"
        if mode == "wb":
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        if total is not None:
            _check_space(part.parent, total - offset, shown=name)
        received = offset
        bar = _progress_bar(name, total, offset, enabled=progress)
        try:
            with _disk_errors(part, total), part.open(mode) as out:
                received = _copy(response, out, bar, received)
        except TimeoutError:
            raise _TransientError(
                f"délai de {timeout_s:g} s dépassé sans données ({received} octets reçus)"
            ) from None
        except (http.client.IncompleteRead, ConnectionError) as err:
            raise _TransientError(f"connexion coupée ({type(err).__name__})") from None
        finally:
            bar.close()
    if total is not None and received < total:
        raise _TransientError(f"connexion coupée ({received} octets reçus sur {total})")


def _copy(response: IO[bytes], out: IO[bytes], bar: _Progress, received: int) -> int:
    while True:
        block = response.read(CHUNK_BYTES)
        if not block:
            return received
        out.write(block)
        received += len(block)
        bar.update(len(block))


def _published_md5(entry: Entry, *, timeout_s: float) -> str | None:
    """The MD5 published beside the file (``<md5>  <name>``), or ``None``."""
    if not entry.md5_url:
        return None
    try:
        with _open(entry.md5_url, timeout_s=timeout_s) as response:
            text = bytes(response.read(4096)).decode("ascii", errors="replace")
    except urllib.error.HTTPError as err:
        raise _http_error(err, entry, entry.md5_url.rsplit("/", 1)[-1]) from None
    except TimeoutError:
        raise DownloadError(
            f"{entry.md5_url} : le serveur ne répond pas dans le délai. Correction : "
            "réessayez plus tard, ou importez le fichier téléchargé ailleurs avec --depuis "
            "DOSSIER"
        ) from None
    except (urllib.error.URLError, OSError) as err:
        raise _no_network(err, entry, entry.filename) from None
    words = text.split()
    if not words or len(words[0]) != 32:
        raise DownloadError(
            f"{entry.md5_url} : somme MD5 illisible ({text[:60]!r}). Correction : vérifiez "
            f"l'entrée « {entry.key} » du catalogue (url_md5)"
        )
    return str(words[0]).lower()


def _http_error(err: urllib.error.HTTPError, entry: Entry, name: str) -> DownloadError:
    if err.code == 404:
        return DownloadError(
            f"{name} : introuvable chez {entry.publisher or 'l’éditeur'} (HTTP 404 sur "
            f"{err.url}) : l'entrée « {entry.key} » du catalogue est périmée (nouveau "
            "millésime ou adresse changée). Correction : indiquez la nouvelle adresse dans "
            "un catalogue personnel (--catalogue FICHIER, voir docs/telechargement.md), ou "
            "téléchargez le fichier à la main et importez-le avec --depuis DOSSIER"
        )
    return DownloadError(
        f"{name} : le serveur a répondu HTTP {err.code} ({err.reason}) pour {err.url}. "
        "Correction : réessayez plus tard, ou téléchargez le fichier à la main et "
        "importez-le avec --depuis DOSSIER"
    )


class _NoNetworkError(DownloadError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.reason = message


def _no_network(err: BaseException, entry: Entry, name: str) -> _NoNetworkError:
    reason = getattr(err, "reason", err)
    if isinstance(reason, TimeoutError):
        return _NoNetworkError(
            f"{name} : le serveur de {entry.publisher or entry.url} ne répond pas dans le "
            f"délai ({entry.url}). Correction : réessayez plus tard, ou téléchargez le fichier "
            "sur un autre poste et importez-le avec « maillage telecharger --depuis DOSSIER »"
        )
    return _NoNetworkError(
        f"{name} : réseau injoignable ({reason}) pour {entry.url}. Correction : vérifiez la "
        "connexion et le proxy (variables https_proxy / http_proxy), ou téléchargez ce "
        "fichier sur un poste connecté et importez-le avec « maillage telecharger --depuis "
        "DOSSIER »"
    )


def _check_space(folder: Path, needed: int, *, shown: str) -> None:
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise DownloadError(_disk_full_message(folder, shown, needed, free))


def _disk_full_message(folder: Path, shown: str, needed: int | None, free: int) -> str:
    need = f"{needed / 1e6:.0f} Mo nécessaires, " if needed else ""
    return (
        f"{shown} : disque plein dans {folder} ({need}{free / 1e6:.0f} Mo libres). "
        "Correction : libérez de la place ou choisissez un autre dossier de cache "
        "(--cache DOSSIER ou variable MAILLAGE_CACHE)"
    )


@contextmanager
def _disk_errors(part: Path, needed: int | None) -> Iterator[None]:
    """Turn "no space left" into a French message; the partial file is removed."""
    try:
        yield
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        part.unlink(missing_ok=True)
        free = shutil.disk_usage(part.parent).free
        raise DownloadError(_disk_full_message(part.parent, part.name, needed, free)) from None


class _NoBar:
    def update(self, n: int) -> object:
        return None

    def close(self) -> None:
        return None


def _progress_bar(name: str, total: int | None, initial: int, *, enabled: bool | None) -> _Progress:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    bar: _Progress = tqdm(
        total=total,
        initial=initial,
        unit="o",
        unit_scale=True,
        unit_divisor=1024,
        desc=name,
        file=sys.stderr,
        leave=True,
    )
    return bar
