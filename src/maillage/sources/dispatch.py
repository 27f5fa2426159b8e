"""Read any service file by its format, given or guessed.

Formats: ``bpe`` (INSEE's BPE ensemble CSV, or its Parquet ``BPE25.parquet``),
``france-services`` (the ANCT list), ``csv`` (a user's CSV, GeoJSON or GeoPackage read by
:func:`~maillage.sources.generic.read_generic`), ``osm`` (an OpenStreetMap extract).
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path

from maillage._errors import InputFileError
from maillage.services.schema import SourceResult
from maillage.services.typology import Typology
from maillage.sources._sniff import parquet_schema, read_head_text
from maillage.sources.generic import GEO_SUFFIXES

FORMATS = ("bpe", "france-services", "csv", "osm")
_OSM_SUFFIXES = (".pbf", ".osm", ".o5m", ".bz2")


def guess_format(path: str | PathLike[str]) -> str:
    """Guess a service file's format from its extension, then from its header line.

    Examples
    --------
    >>> from maillage._data import data_path
    >>> guess_format("monaco.osm.pbf"), guess_format("creches.geojson")
    ('osm', 'csv')
    >>> guess_format(data_path("france-services", "liste-france-services-2024-08-01.csv"))
    'france-services'
    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith(_OSM_SUFFIXES):
        return "osm"
    if name.endswith(GEO_SUFFIXES):
        return "csv"
    if name.endswith(".parquet"):
        return "bpe" if _parquet_columns(path) >= {"TYPEQU", "DEPCOM", "LAMBERT_X"} else "csv"
    header = _header(path).upper().replace('"', "")
    fields = {f.strip() for part in header.split(";") for f in part.split(",")}
    if {"TYPEQU", "DEPCOM", "LAMBERT_X"} <= fields:
        return "bpe"
    if {"ID_FS", "LIB_FS", "H_LUNDI"} <= fields:
        return "france-services"
    return "csv"


def _parquet_columns(path: Path) -> set[str]:
    return {name.upper() for name in parquet_schema(path).names}


def _header(path: Path) -> str:
    """The first line, decoded as the reader will (UTF-16 too); empty for a non-text file,
    which the reader then refuses saying what it is."""
    return read_head_text(path).split("\n", 1)[0]


def read_service_file(
    path: str | PathLike[str] | None,
    *,
    format: str | None = None,
    mapping: Mapping[str, str] | None = None,
    crs: str | None = None,
    typology: Typology | None = None,
) -> SourceResult:
    """Read a service file with the reader of its format.

    Parameters
    ----------
    path
        The file. For ``france-services``, ``None`` reads the list shipped with
        maillage.
    format
        One of :data:`FORMATS`; ``None`` guesses it (:func:`guess_format`).
    mapping, crs
        For the generic ``csv`` format: column mapping and CRS of x/y columns
        (see :func:`maillage.sources.generic.read_generic`).
    typology
        The typology that maps source types to BPE types (the shipped one by default).

    Raises
    ------
    InputFileError
        Unknown format, or the reader's own errors.

    Examples
    --------
    >>> read_service_file("x.txt", format="xls")
    Traceback (most recent call last):
    ...
    maillage._errors.InputFileError: x.txt : format « xls » inconnu. Correction : choisissez parmi bpe, france-services, csv, osm.
    """  # noqa: E501
    if format is not None and format not in FORMATS:
        raise InputFileError(
            f"format « {format} » inconnu",
            path=str(path),
            fix=f"choisissez parmi {', '.join(FORMATS)}",
        )
    kind = format or (guess_format(path) if path is not None else "france-services")
    if kind == "france-services":
        from maillage.sources.france_services import read_france_services

        return read_france_services(path)
    if path is None:
        raise InputFileError(
            "aucun fichier indiqué",
            path="(aucun)",
            fix="indiquez le chemin du fichier de services",
        )
    if kind == "bpe":
        from maillage.sources.bpe import read_bpe

        return read_bpe(path, typology=typology)
    if kind == "osm":
        from maillage.sources.osm_pois import read_osm_pois

        return read_osm_pois(path, typology=typology)
    from maillage.sources.generic import read_generic

    return read_generic(path, mapping=mapping, crs=crs, typology=typology)
