"""Import files downloaded by hand (``maillage telecharger --depuis DOSSIER``).

Where the network cannot be reached from the study's computer, the official files are
fetched elsewhere and copied in a folder; each is found by its name (the catalogue's
``motifs_import``), then copied into the cache with the checks of a download: size and
checksum (a Geofabrik ``.md5`` file beside a PBF is used), format.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from maillage.download.catalogue import Entry
from maillage.download.fetch import DownloadError, Fetched, import_file


def find_in_folder(folder: Path, entry: Entry) -> Path | None:
    """The file of ``entry`` in ``folder`` (its cache name first, then the import patterns).

    Examples
    --------
    >>> import tempfile
    >>> from maillage.download.catalogue import load_catalogue
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "BPE24.csv").write_text("DEPCOM;TYPEQU;LAMBERT_X;LAMBERT_Y\\n")
    >>> find_in_folder(d, load_catalogue().entries["bpe"]).name
    'BPE24.csv'
    """
    if not folder.is_dir():
        raise DownloadError(
            f"{folder} : dossier introuvable. Correction : indiquez avec --depuis le dossier "
            "où sont les fichiers téléchargés à la main"
        )
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(".part"))
    for pattern in (entry.filename, *entry.import_patterns):
        matches = [p for p in files if fnmatch.fnmatch(p.name.lower(), pattern.lower())]
        matches = [p for p in matches if not p.name.lower().endswith((".md5", ".json"))]
        if matches:
            return matches[0]
    return None


def import_entry(folder: Path, entry: Entry, destination: Path) -> Fetched:
    """Import ``entry``'s file from ``folder`` into the cache at ``destination``.

    Raises
    ------
    DownloadError
        No such file in the folder (the message gives the publisher's address), or a file
        that fails the checks (the cache is unchanged).
    """
    found = find_in_folder(folder, entry)
    if found is None:
        accepted = ", ".join(dict.fromkeys((entry.filename, *entry.import_patterns)))
        raise DownloadError(
            f"{folder} : aucun fichier pour « {entry.key} »"
            + (f" ({entry.region})" if entry.region else "")
            + f" (noms acceptés : {accepted}). Correction : téléchargez {entry.url} et "
            "déposez-le dans ce dossier"
        )
    md5 = None
    beside = found.with_name(found.name + ".md5")
    if beside.exists():
        words = beside.read_text(encoding="ascii", errors="replace").split()
        md5 = words[0].lower() if words else None
    # A variant of the file (the grid's CSV instead of its zipped GeoPackage) keeps its
    # own name in the entry's cache folder, where the study looks for it.
    return import_file(found, entry, destination.with_name(found.name), md5=md5)
