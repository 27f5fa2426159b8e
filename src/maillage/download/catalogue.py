"""The catalogue of official datasets ``maillage telecharger`` fetches from their publishers.

The shipped catalogue (``catalogue.toml`` beside this module) names, for each dataset, its
publisher's address, the expected format, the licence, the vintage and, when the
publisher gives one, a checksum. A user overrides any key with a TOML file of the same
shape (``--catalogue FICHIER`` or the ``MAILLAGE_CATALOGUE`` environment variable): a new
vintage, an internal mirror, a checksum.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from maillage._config import read_toml, validate
from maillage._errors import InputFileError, MaillageError

#: Environment variable naming a user catalogue (same shape as the shipped one).
CATALOGUE_ENV = "MAILLAGE_CATALOGUE"
#: The datasets of the shipped catalogue, in download order.
DATASETS = ("bpe", "osm", "filosofi")
#: Formats a dataset's content may have.
CONTENT_FORMATS = ("csv", "gpkg", "pbf", "parquet")

_REQUIRED_KEYS = ("url", "fichier", "contenu", "licence", "millesime")


@dataclass(frozen=True)
class Entry:
    """One dataset of the catalogue, for one file (a region is filled in for OSM).

    Attributes
    ----------
    key
        Catalogue key: ``"bpe"``, ``"osm"``, ``"filosofi"``.
    title, publisher, licence, vintage
        What the user is told (French), and the cache folder (``vintage``).
    url
        The publisher's address of the file.
    filename
        The file's name in the cache.
    content
        Accepted formats of the content (``"csv"``, ``"gpkg"``, ``"pbf"``, ``"parquet"``).
    archive
        ``"zip"`` when the published file is a ZIP archive holding the content.
    columns
        Columns a CSV content must have (case-insensitive).
    sha256, md5, size
        Checksums and size in bytes, when known.
    md5_url
        Address of a published MD5 sum (Geofabrik publishes one beside each PBF).
    coverage
        ``"france"`` (one national file) or ``"region"`` (one file per Geofabrik region).
    region
        The Geofabrik region of a regional entry, else ``None``.
    import_patterns
        File name patterns accepted by ``--depuis DOSSIER``.
    """

    key: str
    title: str
    publisher: str
    url: str
    filename: str
    content: tuple[str, ...]
    licence: str
    vintage: str
    archive: str | None = None
    columns: tuple[str, ...] = ()
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None
    md5_url: str | None = None
    coverage: str = "france"
    region: str | None = None
    import_patterns: tuple[str, ...] = ()

    def for_region(self, region: str) -> Entry:
        """This entry with ``{region}`` filled in.

        Examples
        --------
        >>> load_catalogue().entries["osm"].for_region("corse").url
        'https://download.geofabrik.de/europe/france/corse-latest.osm.pbf'
        """

        def fill(text: str | None) -> str | None:
            return None if text is None else text.replace("{region}", region)

        return replace(
            self,
            url=str(fill(self.url)),
            filename=str(fill(self.filename)),
            md5_url=fill(self.md5_url),
            region=region,
            import_patterns=tuple(str(fill(p)) for p in self.import_patterns),
        )

    def describe(self) -> str:
        """A one-line French description: title, publisher, vintage, licence."""
        where = f", {self.region}" if self.region else ""
        return (
            f"{self.title}{where} — {self.publisher}, millésime {self.vintage}, "
            f"licence {self.licence}"
        )


@dataclass(frozen=True)
class Catalogue:
    """The datasets and the département → Geofabrik region table.

    Attributes
    ----------
    entries
        Datasets by key.
    regions
        Département code → Geofabrik region name.
    source
        The files it was read from (shipped catalogue first).
    """

    entries: Mapping[str, Entry]
    regions: Mapping[str, str]
    source: tuple[str, ...]

    def files_for(self, key: str, departements: Iterable[str]) -> list[Entry]:
        """The files of dataset ``key`` covering ``departements`` (one per region for OSM).

        Raises
        ------
        MaillageError
            Unknown dataset, or a département without a Geofabrik region.

        Examples
        --------
        >>> c = load_catalogue()
        >>> [e.region for e in c.files_for("osm", ["73", "05", "74"])]
        ['provence-alpes-cote-d-azur', 'rhone-alpes']
        >>> [e.filename for e in c.files_for("bpe", ["73"])]
        ['BPE25.zip']
        """
        if key not in self.entries:
            raise MaillageError(
                f"jeu de données « {key} » inconnu du catalogue. Correction : choisissez "
                f"parmi {', '.join(self.entries)}"
            )
        entry = self.entries[key]
        if entry.coverage != "region":
            return [entry]
        codes = sorted({str(code) for code in departements})
        missing = [code for code in codes if code not in self.regions]
        if missing:
            raise MaillageError(
                f"département(s) {', '.join(missing)} sans région Geofabrik dans le catalogue "
                f"« {key} ». Correction : ajoutez-les sous [{key}.regions] d'un catalogue "
                "personnel (--catalogue)"
            )
        regions = sorted({self.regions[code] for code in codes})
        return [entry.for_region(region) for region in regions]


def shipped_catalogue_path() -> Path:
    """The path of the catalogue shipped with maillage.

    Examples
    --------
    >>> shipped_catalogue_path().name
    'catalogue.toml'
    """
    return Path(str(resources.files("maillage.download") / "catalogue.toml"))


_HEX = "^[0-9a-fA-F]{%d}$"
_Format = Literal["csv", "gpkg", "pbf", "parquet"]


class _EntryTable(BaseModel):
    """One table of a catalogue file; every key optional (a user file overrides some)."""

    model_config = ConfigDict(extra="forbid")
    titre: str | None = None
    editeur: str | None = None
    url: str | None = Field(default=None, pattern=r"^(https?|file)://")
    url_md5: str | None = Field(default=None, pattern=r"^(https?|file)://")
    fichier: str | None = Field(default=None, min_length=1)
    archive: Literal["zip"] | None = None
    contenu: list[_Format] | None = None
    colonnes: list[str] = []
    licence: str | None = None
    millesime: str | int | None = None
    sha256: str | None = Field(default=None, pattern=_HEX % 64)
    md5: str | None = Field(default=None, pattern=_HEX % 32)
    taille: int | None = Field(default=None, ge=0)
    couverture: Literal["france", "region"] | None = None
    motifs_import: list[str] = []
    regions: dict[str, list[str]] = {}

    @field_validator("contenu", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class _CatalogueFile(RootModel[dict[str, _EntryTable]]):
    """A catalogue file: one table per dataset."""


_CATALOGUE_FIX = (
    "corrigez chaque clé citée (catalogue livré et clés commentées : "
    "src/maillage/download/catalogue.toml ; docs/telechargement.md)"
)


def load_catalogue(path: str | PathLike[str] | None = None) -> Catalogue:
    """The shipped catalogue, with a user's overrides merged in.

    Parameters
    ----------
    path
        A user TOML file; by default the ``MAILLAGE_CATALOGUE`` environment variable, else
        none. Its tables replace the shipped keys one by one (``[osm.regions]`` too).

    Raises
    ------
    InputFileError
        Missing or unreadable TOML (with its line).
    ConfigError
        Every problem of the user's file at once, each with its key and line: unknown
        keys, wrong types, a checksum that is not hexadecimal, an unknown format, a new
        entry without ``url``, ``fichier``, ``contenu``, ``licence`` or ``millesime``.

    Examples
    --------
    >>> c = load_catalogue()
    >>> c.entries["bpe"].vintage, c.entries["bpe"].licence
    ('2025', 'Licence Ouverte 2.0 (Etalab)')
    >>> c.regions["73"], c.regions["2A"], len(c.regions)
    ('rhone-alpes', 'corse', 101)
    """
    shipped = shipped_catalogue_path()
    text, data = read_toml(shipped, what="catalogue")
    validate(_CatalogueFile, data, text=text, path=shipped, fix=_CATALOGUE_FIX)
    sources = [str(shipped)]
    user = path if path is not None else os.environ.get(CATALOGUE_ENV) or None
    if user is not None:
        user_text, override = read_toml(Path(user), what="catalogue")
        sources.append(str(user))
        for key, table in override.items():
            if not isinstance(table, dict):
                continue  # reported by the validation below
            merged = dict(data.get(key, {}))
            for name, value in table.items():
                if isinstance(value, dict) and isinstance(merged.get(name), dict):
                    merged[name] = {**merged[name], **value}
                else:
                    merged[name] = value
            data[key] = merged
        missing = [
            ((key,), f"entrée nouvelle sans clé {', '.join(absent)} (obligatoires)")
            for key, table in data.items()
            if isinstance(table, dict)
            and (absent := [name for name in _REQUIRED_KEYS if name not in table])
        ]
        validate(
            _CatalogueFile,
            override,
            text=user_text,
            path=str(user),
            fix=_CATALOGUE_FIX,
            extra_problems=missing,
        )
    entries: dict[str, Entry] = {}
    regions: dict[str, str] = {}
    for key, table in data.items():
        entries[key] = _entry(key, table, path=sources[-1])
        for region, codes in dict(table.get("regions", {})).items():
            for code in codes:
                regions[str(code)] = str(region)
    return Catalogue(entries=entries, regions=regions, source=tuple(sources))


def _entry(key: str, table: Mapping[str, Any], *, path: str) -> Entry:
    missing = [name for name in _REQUIRED_KEYS if name not in table]
    if missing:
        raise InputFileError(
            f"l'entrée [{key}] n'a pas de clé {', '.join(missing)}",
            path=path,
            fix="complétez l'entrée (voir le catalogue livré, download/catalogue.toml)",
        )
    content = table["contenu"]
    formats = (content,) if isinstance(content, str) else tuple(content)
    unknown = [f for f in formats if f not in CONTENT_FORMATS]
    if unknown:
        raise InputFileError(
            f"format « {', '.join(unknown)} » inconnu dans l'entrée [{key}]",
            path=path,
            column="contenu",
            fix=f"choisissez parmi {', '.join(CONTENT_FORMATS)}",
        )
    size = table.get("taille")
    return Entry(
        key=key,
        title=str(table.get("titre", key)),
        publisher=str(table.get("editeur", "")),
        url=str(table["url"]),
        filename=str(table["fichier"]),
        content=formats,
        licence=str(table["licence"]),
        vintage=str(table["millesime"]),
        archive=table.get("archive"),
        columns=tuple(str(c) for c in table.get("colonnes", ())),
        sha256=_lower(table.get("sha256")),
        md5=_lower(table.get("md5")),
        size=None if size is None else int(size),
        md5_url=table.get("url_md5"),
        coverage=str(table.get("couverture", "france")),
        import_patterns=tuple(str(p) for p in table.get("motifs_import", ())),
    )


def _lower(value: object) -> str | None:
    return None if value in (None, "") else str(value).strip().lower()
