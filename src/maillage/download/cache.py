"""The download cache: where each dataset lies, and what a territory can use from it.

Layout: ``<cache>/<jeu>/<millésime>/<fichier>``, e.g.
``~/.cache/maillage/osm/latest/rhone-alpes-latest.osm.pbf``, each file with a
``<fichier>.json`` beside it (address, licence, vintage, size, SHA-256, date). The cache
folder is ``~/.cache/maillage`` (``$XDG_CACHE_HOME/maillage`` when set), or the
``MAILLAGE_CACHE`` environment variable, or ``--cache DOSSIER``.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import os
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import IO, Any

from maillage._cache import cache_root
from maillage._errors import MaillageError
from maillage.download.catalogue import DATASETS, Catalogue, Entry, load_catalogue
from maillage.download.fetch import DEFAULT_TIMEOUT_S, DownloadError, Fetched, download

#: Environment variable overriding the cache folder.


def default_cache_dir() -> Path:
    """The cache folder: ``MAILLAGE_CACHE``, else ``$XDG_CACHE_HOME/maillage``, else
    ``~/.cache/maillage`` (see :func:`maillage._cache.cache_root`)."""
    return cache_root()


def cached_path(entry: Entry, cache: str | PathLike[str] | None = None) -> Path:
    """Where ``entry``'s file lies in the cache.

    Examples
    --------
    >>> e = load_catalogue().entries["osm"].for_region("corse")
    >>> cached_path(e, "/c").as_posix()
    '/c/osm/latest/corse-latest.osm.pbf'
    """
    root = Path(cache) if cache is not None else default_cache_dir()
    return root / entry.key / entry.vintage / entry.filename


def cached_file(entry: Entry, cache: str | PathLike[str] | None = None) -> Path | None:
    """The entry's file in the cache: its catalogue name, or a variant imported by hand
    (a name of ``motifs_import``, e.g. the grid's CSV); ``None`` when absent."""
    target = cached_path(entry, cache)
    if target.exists():
        return target
    if not target.parent.is_dir():
        return None
    stem = target.name.split(".")[0]
    for pattern in entry.import_patterns:
        for path in sorted(target.parent.iterdir()):
            if (
                path.is_file()
                and fnmatch.fnmatch(path.name.lower(), pattern.lower())
                and not path.name.endswith((".part", ".json", ".md5"))
                and not path.name.startswith(stem + "-")  # a BPE extract made here
            ):
                return path
    return None


def study_departements(territory: Any) -> list[str]:
    """Départements of a territory and of its buffer ring (whose services count).

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> study_departements(pays_de_maurienne())
    ['05', '38', '73', '74']
    """
    codes = set(territory.communes["departement"].dropna())
    codes |= set(territory.buffer["departement"].dropna())
    return sorted(str(code) for code in codes)


@dataclass(frozen=True)
class Obtained:
    """A dataset file ready in the cache, and how it got there."""

    entry: Entry
    fetched: Fetched


def ensure_datasets(
    departements: Iterable[str],
    *,
    keys: Sequence[str] = DATASETS,
    cache: str | PathLike[str] | None = None,
    catalogue: Catalogue | None = None,
    source: str | PathLike[str] | None = None,
    refresh: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    progress: bool | None = None,
) -> list[Obtained]:
    """Download (or import from ``source``) the files of ``keys`` for ``departements``.

    A file already in the cache is kept (``status="en cache"``) unless ``refresh``.

    Parameters
    ----------
    departements
        Codes of the départements to cover (the territory's and its buffer's).
    keys
        Datasets of the catalogue.
    cache
        The cache folder (:func:`default_cache_dir` by default).
    catalogue
        The catalogue (:func:`~maillage.download.catalogue.load_catalogue` by default).
    source
        A folder of files downloaded by hand (``--depuis``): imported with the same checks,
        no network used.
    refresh
        Download again files already in the cache.
    timeout_s, progress
        See :func:`~maillage.download.fetch.download`.

    Raises
    ------
    DownloadError
        The first file that could not be obtained (the ones before it stay in the cache).
    """
    from maillage.download.importing import import_entry

    catalogue = catalogue or load_catalogue()
    codes = list(departements)
    done: list[Obtained] = []
    for key in keys:
        for entry in catalogue.files_for(key, codes):
            target = cached_path(entry, cache)
            present = cached_file(entry, cache)
            if present is not None and not refresh:
                fetched = Fetched(
                    present, present.stat().st_size, _recorded_sha256(present), "en cache"
                )
            elif source is not None:
                fetched = import_entry(Path(source), entry, target)
            else:
                fetched = download(entry, target, timeout_s=timeout_s, progress=progress)
            if fetched.status != "en cache":
                _write_manifest(entry, fetched)
            done.append(Obtained(entry, fetched))
    return done


def _write_manifest(entry: Entry, fetched: Fetched) -> None:
    record = {
        "jeu": entry.key,
        "titre": entry.title,
        "editeur": entry.publisher,
        "url": entry.url,
        "licence": entry.licence,
        "millesime": entry.vintage,
        "region": entry.region,
        "taille_octets": fetched.size,
        "sha256": fetched.sha256,
        "obtenu": fetched.status,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    manifest = fetched.path.with_name(fetched.path.name + ".json")
    temporary = manifest.with_name(manifest.name + ".part")
    temporary.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temporary, manifest)


def _recorded_sha256(path: Path) -> str:
    manifest = path.with_name(path.name + ".json")
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["sha256"])
    except (OSError, ValueError, KeyError):
        return ""


@dataclass
class CachedData:
    """The cached files a territory's study can use.

    Attributes
    ----------
    bpe
        The BPE file (national), or ``None``.
    pbf
        The OpenStreetMap extracts of the territory's regions (the region holding most of
        the territory's communes first).
    grid
        The Filosofi 200 m grid (national), or ``None``.
    missing
        French lines naming what is not in the cache.
    """

    bpe: Path | None = None
    pbf: list[Path] = field(default_factory=list)
    grid: Path | None = None
    missing: list[str] = field(default_factory=list)


def find_cached(
    territory: Any,
    *,
    cache: str | PathLike[str] | None = None,
    catalogue: Catalogue | None = None,
) -> CachedData:
    """The cached BPE, PBF and grid for a territory (its and its buffer's départements).

    Examples
    --------
    >>> import tempfile
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> found = find_cached(pays_de_maurienne(), cache=tempfile.mkdtemp())
    >>> found.bpe, found.pbf, found.grid
    (None, [], None)
    """
    catalogue = catalogue or load_catalogue()
    found = CachedData()
    departements = study_departements(territory)
    for key in DATASETS:
        if key not in catalogue.entries:
            continue
        try:
            entries = catalogue.files_for(key, departements)
        except MaillageError:
            continue
        files = {e: cached_file(e, cache) for e in entries}
        present = [path for path in files.values() if path is not None]
        absent = [e for e, path in files.items() if path is None]
        found.missing += [
            f"{e.key}{' ' + e.region if e.region else ''} ({e.filename})" for e in absent
        ]
        if key == "bpe" and present:
            found.bpe = present[0]
        elif key == "filosofi" and present:
            found.grid = present[0]
        elif key == "osm":
            own = [catalogue.regions.get(str(c)) for c in territory.communes["departement"]]
            found.pbf = sorted(
                present, key=lambda p: -sum(r is not None and p.name.startswith(r) for r in own)
            )
    return found


def bpe_extract(path: Path, departements: Iterable[str]) -> Path:
    """The rows of the national BPE for ``departements``, in a CSV beside it (made once).

    The national file (≈ 2.7 million equipments) is read as a stream; the extract keeps
    the header and the rows whose ``DEP`` (else the start of ``DEPCOM``) is one of
    ``departements``, unchanged, ``;``-separated, in the file's own encoding.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "BPE24.csv"
    >>> _ = f.write_text("AN;DEPCOM;DEP;TYPEQU\\n2024;73248;73;D307\\n2024;01001;01;A129\\n")
    >>> e = bpe_extract(f, ["73"])
    >>> e.name, e.read_text().splitlines()
    ('BPE24-73.csv', ['AN;DEPCOM;DEP;TYPEQU', '2024;73248;73;D307'])
    """
    codes = sorted({str(code) for code in departements})
    parquet = path.name.lower().endswith(".parquet")
    suffix = "parquet" if parquet else "csv"
    target = path.with_name(f"{path.name.split('.')[0]}-{'-'.join(codes)}.{suffix}")
    if target.exists() and target.stat().st_mtime >= path.stat().st_mtime:
        return target
    temporary = target.with_name(target.name + ".part")
    if parquet:
        _parquet_extract(path, codes, temporary)
        os.replace(temporary, target)
        return target
    with _open_csv(path) as raw:
        # Latin-1 maps every byte to one character: the rows are written back unchanged.
        text = io.TextIOWrapper(raw, encoding="latin-1", newline="")
        reader = csv.reader(text, delimiter=";")
        header = next(reader, None)
        if header is None:
            raise DownloadError(
                f"{path} : fichier BPE vide. Correction : téléchargez-le de nouveau"
            )
        upper = [name.strip().lstrip("\ufeff").lstrip("ï»¿").upper() for name in header]
        dep = upper.index("DEP") if "DEP" in upper else None
        depcom = upper.index("DEPCOM") if "DEPCOM" in upper else None
        if dep is None and depcom is None:
            raise DownloadError(
                f"{path} : ni colonne DEP ni colonne DEPCOM : ce n'est pas le fichier "
                "« ensemble » de la BPE. Correction : vérifiez l'entrée « bpe » du catalogue"
            )
        wanted = set(codes)
        with temporary.open("w", encoding="latin-1", newline="") as out:
            writer = csv.writer(out, delimiter=";", lineterminator="\n")
            writer.writerow(header)
            for row in reader:
                if dep is not None and dep < len(row):
                    code = row[dep].strip()
                elif depcom is not None and depcom < len(row):
                    value = row[depcom].strip()
                    code = value[:3] if value.startswith("97") else value[:2]
                else:
                    code = ""
                if code in wanted:
                    writer.writerow(row)
    os.replace(temporary, target)
    return target


def _parquet_extract(path: Path, codes: list[str], target: Path) -> None:
    """The rows of ``codes``' départements of the BPE's Parquet file, in a Parquet file."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    names = {name.upper(): name for name in source.schema_arrow.names}
    if "DEP" not in names and "DEPCOM" not in names:
        raise DownloadError(
            f"{path} : ni colonne DEP ni colonne DEPCOM : ce n'est pas le fichier "
            "« ensemble » de la BPE. Correction : vérifiez l'entrée « bpe » du catalogue"
        )
    with pq.ParquetWriter(target, source.schema_arrow) as writer:
        for group in range(source.num_row_groups):
            table = source.read_row_group(group)
            if "DEP" in names:
                dep = pc.cast(table[names["DEP"]], "string")
            else:
                depcom = pc.cast(table[names["DEPCOM"]], "string")
                dep = pc.if_else(
                    pc.starts_with(depcom, "97"),
                    pc.utf8_slice_codeunits(depcom, 0, 3),
                    pc.utf8_slice_codeunits(depcom, 0, 2),
                )
            writer.write_table(table.filter(pc.is_in(dep, value_set=_string_array(codes))))


def _string_array(values: list[str]) -> Any:
    import pyarrow as pa

    return pa.array(values, type=pa.string())


@contextmanager
def _open_csv(path: Path) -> Iterator[IO[bytes]]:
    """The CSV of a file: itself, or the largest ``.csv`` member of a ZIP archive."""
    if not zipfile.is_zipfile(path):
        with path.open("rb") as handle:
            yield handle
        return
    with zipfile.ZipFile(path) as archive:
        members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
        if not members:
            raise DownloadError(
                f"{path} : l'archive ne contient aucun CSV. Correction : vérifiez l'entrée "
                "« bpe » du catalogue"
            )
        with archive.open(max(members, key=lambda n: archive.getinfo(n).file_size)) as member:
            yield member
