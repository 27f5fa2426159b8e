"""Read INSEE's Base permanente des équipements (BPE), the "ensemble" file as published.

The file (``BPE25.csv``, ``BPE24.csv``...) has one row per equipment, ``;``-separated
(INSEE also publishes it as ``BPE25.parquet``, read the same way, ``line`` being then the
row number), with, among many others, the columns ``AN, NOMRS, DEPCOM, DEP, REG, DOM, SDOM, TYPEQU,
LAMBERT_X, LAMBERT_Y, QUALITE_XY, EPSG, DCIRIS, EPCI``. Column names are matched
case-insensitively (their case changed across vintages); only ``DEPCOM, TYPEQU,
LAMBERT_X, LAMBERT_Y`` are required.

Coordinates are in metres: Lambert-93 (EPSG:2154) in metropolitan France and a local
UTM projection overseas. The projection of a row is its ``EPSG`` column when the file
has one (recent vintages), else the one of its département
(:data:`~maillage.sources._checks.BPE_CRS_BY_DEPARTEMENT`, from ``DEP`` or the first
three characters of ``DEPCOM``).

How the reader treats each row:

* no coordinates (``QUALITE_XY`` "Non géolocalisé", or ``_U`` unknown / ``_Z`` not
  applicable in 2024–2025): kept, placed at its commune's point, ``position="commune"``,
  with a warning listing the lines;
* ``QUALITE_XY`` "Mauvaise" (code ``M`` since 2024): kept at its coordinates
  (``position="source"``), with a warning listing the lines (the other qualities, "Bonne"
  / ``A`` and "Acceptable" / ``B``, need none);
* ``QUALITE_GEOLOC = 33`` (INSEE placed the equipment at a random position inside its
  commune): placed at the commune's chef-lieu, ``position="commune"``, warning;
* an old ``TYPEQU`` of the 2021 gammes (``D201``): replaced by its 2025 code, warning;
* an unknown ``TYPEQU``, an unknown or merged ``DEPCOM``, impossible coordinates:
  rejected with the reason and the fix.

``service_id`` is ``bpe:<line>`` (the BPE has no identifier; the physical line is
stable for a given file), ``source_type`` the file's ``TYPEQU``, ``name`` the
``NOMRS`` when the file has it, ``capacity`` NA (not in the ensemble file).
"""

from __future__ import annotations

from os import PathLike

import numpy as np
import pandas as pd

from maillage._errors import InputFileError
from maillage.services.schema import SourceResult, build_services
from maillage.services.typology import Typology, load_typology
from maillage.sources._checks import (
    BPE_CRS_BY_DEPARTEMENT,
    LAMBERT93,
    check_commune_codes,
    projected_to_wgs84,
)
from maillage.sources._csv import read_checked_csv
from maillage.sources._report import Rejections
from maillage.sources._sniff import parquet_schema
from maillage.sources.generic import _lines_text, commune_points, resolve_types

#: Columns the reader needs; the others of the published file are ignored.
BPE_REQUIRED = ["DEPCOM", "TYPEQU", "LAMBERT_X", "LAMBERT_Y"]
#: Optional columns the reader uses when present.
BPE_OPTIONAL = ["AN", "NOMRS", "DEP", "QUALITE_XY", "QUALITE_GEOLOC", "EPSG"]
SOURCE = "bpe"
#: ``QUALITE_XY`` of a poor position: the text of older vintages, the code of 2024–2025.
POOR_QUALITY = ("mauvaise", "m")
#: ``QUALITE_GEOLOC`` of an equipment placed at random inside its commune.
RANDOM_IN_COMMUNE = "33"


def read_bpe_parquet(path: str | PathLike[str], *, rejections: Rejections) -> pd.DataFrame:
    """The BPE's Parquet file (``BPE25.parquet``) as the CSV reader gives it.

    Only the columns the reader uses are read (upper-case names, values as text);
    ``line`` is the row number (1 = first row).

    Raises
    ------
    InputFileError
        A required column is missing.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(path)
    names = {name.upper(): name for name in schema.names}
    missing = [c for c in BPE_REQUIRED if c not in names]
    if missing:
        raise InputFileError(
            f"colonne(s) absente(s) : {', '.join(missing)} (colonnes lues : "
            f"{', '.join(list(schema.names)[:12])})",
            path=str(path),
            fix="utilisez le fichier « ensemble » de la BPE tel que publié par l'INSEE "
            "(BPE25.parquet)",
        )
    wanted = [names[c] for c in (*BPE_REQUIRED, *BPE_OPTIONAL) if c in names]
    try:
        frame = pq.read_table(path, columns=wanted).to_pandas()
    except (pa.ArrowException, OSError) as err:
        raise InputFileError(
            f"table Parquet illisible, tronquée ou abîmée ({err})",
            path=str(path),
            fix="téléchargez de nouveau le fichier en entier",
        ) from None
    if frame.empty:
        raise InputFileError(
            "la table Parquet n'a aucune ligne",
            path=str(path),
            fix="utilisez le fichier « ensemble » de la BPE tel que publié par l'INSEE",
        )
    frame.columns = [str(c).upper() for c in frame.columns]
    frame = frame.astype("string")
    frame["line"] = np.arange(1, len(frame) + 1)
    rejections.rows_read = len(frame)
    return frame


def bpe_crs(frame: pd.DataFrame) -> pd.Series:
    """The coordinate system of each BPE row, as ``"EPSG:<code>"``.

    The ``EPSG`` column wins when present and filled; otherwise the département
    (``DEP``, else the start of ``DEPCOM``) gives it; Lambert-93 by default.

    Examples
    --------
    >>> f = pd.DataFrame({"DEPCOM": ["73248", "97411", "97101"], "EPSG": [None, None, "5490"]})
    >>> bpe_crs(f).tolist()
    ['EPSG:2154', 'EPSG:2975', 'EPSG:5490']
    """
    if "DEP" in frame.columns:
        dep = frame["DEP"].astype("string").fillna(frame["DEPCOM"].astype("string").str[:3])
    else:
        dep = frame["DEPCOM"].astype("string").str[:3]
    by_dep = dep.map(BPE_CRS_BY_DEPARTEMENT).fillna(LAMBERT93).astype(str)
    if "EPSG" in frame.columns:
        code = frame["EPSG"].astype("string").str.strip().str.extract(r"^(\d{4,5})$")[0]
        return ("EPSG:" + code).fillna(by_dep).astype(str)
    return by_dep


def read_bpe(
    path: str | PathLike[str],
    *,
    communes: pd.DataFrame | None = None,
    typology: Typology | None = None,
) -> SourceResult:
    """Read the BPE "ensemble" CSV into the common service schema.

    Parameters
    ----------
    path
        The CSV as downloaded from insee.fr (plain or gzip-compressed).
    communes
        Commune table with ``commune, lon, lat`` for known codes and for placing
        non-geolocated rows (default: :func:`~maillage.sources.communes.read_communes`).
    typology
        The typology (the shipped one by default).

    Returns
    -------
    SourceResult
        Points in WGS84; see the module's description for each case.

    Raises
    ------
    InputFileError
        Missing file, empty file, missing required column.

    Examples
    --------
    >>> from maillage._data import data_path
    >>> from pathlib import Path
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "BPE24.csv"
    >>> _ = f.write_text("AN;DEPCOM;DEP;TYPEQU;LAMBERT_X;LAMBERT_Y;QUALITE_XY\\n"
    ...                  "2024;73248;73;D307;962320;6469730;Bonne\\n", encoding="utf-8")
    >>> s = read_bpe(f).services
    >>> s[["service_id", "type", "commune", "position"]].to_dict("records")
    [{'service_id': 'bpe:2', 'type': 'D307', 'commune': '73248', 'position': 'source'}]
    >>> round(float(s.lon[0]), 3), round(float(s.lat[0]), 3)
    (6.346, 45.277)
    """
    typology = typology or load_typology()
    points = commune_points(communes)
    rejections = Rejections(path)
    if str(path).lower().endswith(".parquet"):
        frame = read_bpe_parquet(path, rejections=rejections)
    else:
        frame = _read_csv(path, rejections)
    known = check_commune_codes(
        frame, column="DEPCOM", known=set(points["commune"]), rejections=rejections
    )
    return _services(frame, known, points, typology, rejections)


def _read_csv(path: str | PathLike[str], rejections: Rejections) -> pd.DataFrame:
    return read_checked_csv(
        path,
        separator=";",
        required=BPE_REQUIRED,
        rejections=rejections,
        fix_columns="utilisez le fichier « ensemble » de la BPE tel que publié par l'INSEE "
        "(colonnes DEPCOM, TYPEQU, LAMBERT_X, LAMBERT_Y)",
        upper_columns=True,
    )


def _services(
    frame: pd.DataFrame,
    known: pd.Series,
    points: pd.DataFrame,
    typology: Typology,
    rejections: Rejections,
) -> SourceResult:
    # Every check runs on every row, so that a rejected row lists all its reasons.
    types = resolve_types(frame, column="TYPEQU", typology=typology, rejections=rejections)
    lon, lat, ok = projected_to_wgs84(
        frame, x="LAMBERT_X", y="LAMBERT_Y", crs_by_row=bpe_crs(frame), rejections=rejections
    )
    keep = known & types.notna() & ok
    frame = frame.loc[keep].copy()
    frame["__type"] = types[keep]
    frame["__lon"], frame["__lat"] = lon[keep], lat[keep]
    frame["__position"] = "source"
    missing = frame["__lon"].isna() | frame["__lat"].isna()
    if missing.any():
        where = points.set_index("commune")
        codes = frame.loc[missing, "DEPCOM"]
        frame.loc[missing, "__lon"] = codes.map(where["lon"]).astype(float)
        frame.loc[missing, "__lat"] = codes.map(where["lat"]).astype(float)
        frame.loc[missing, "__position"] = "commune"
        rejections.warn(
            f"{int(missing.sum())} équipement(s) non géolocalisé(s) (LAMBERT_X/LAMBERT_Y vides) "
            "placé(s) au point de leur commune (position « commune »)",
            line=int(frame.loc[missing, "line"].iloc[0]),
            column="LAMBERT_X/LAMBERT_Y",
            value=_lines_text(frame.loc[missing, "line"]),
            fix="les distances vers ces équipements sont approchées ; rien à corriger dans "
            "le fichier de l'INSEE",
        )
    if "QUALITE_GEOLOC" in frame.columns:
        random = (
            frame["QUALITE_GEOLOC"].astype("string").str.strip().eq(RANDOM_IN_COMMUNE) & ~missing
        ).fillna(False)
        random = random.astype(bool)
        if random.any():
            from maillage.sources.mairies import town_hall_points

            halls = town_hall_points()
            codes = frame.loc[random, "DEPCOM"]
            inside = codes.isin(set(halls.index))
            where = codes[inside]
            frame.loc[where.index, "__lon"] = halls["lon"].reindex(where).to_numpy()
            frame.loc[where.index, "__lat"] = halls["lat"].reindex(where).to_numpy()
            frame.loc[random, "__position"] = "commune"
            rejections.warn(
                f"{int(random.sum())} équipement(s) placé(s) par l'INSEE au hasard dans leur "
                "commune (QUALITE_GEOLOC = 33) : pris au chef-lieu (position « commune »)",
                line=int(frame.loc[random, "line"].iloc[0]),
                column="QUALITE_GEOLOC",
                value=_lines_text(frame.loc[random, "line"]),
                fix="les distances vers ces équipements sont approchées ; rien à corriger dans "
                "le fichier de l'INSEE",
            )
    if "QUALITE_XY" in frame.columns:
        quality = frame["QUALITE_XY"].astype("string").str.strip().str.lower()
        poor = quality.str.startswith(POOR_QUALITY[0]) | quality.eq(POOR_QUALITY[1])
        poor = (poor.fillna(False) & ~missing).astype(bool)
        if poor.any():
            rejections.warn(
                f"{int(poor.sum())} équipement(s) de géolocalisation « Mauvaise » (M) selon "
                "l'INSEE (QUALITE_XY), gardé(s) à leurs coordonnées",
                line=int(frame.loc[poor, "line"].iloc[0]),
                column="QUALITE_XY",
                value=_lines_text(frame.loc[poor, "line"]),
                fix="vérifiez ces points sur la carte et corrigez-les dans une copie du fichier "
                "si besoin",
            )
    names = frame["NOMRS"] if "NOMRS" in frame.columns else pd.Series(pd.NA, index=frame.index)
    services = pd.DataFrame(
        {
            "service_id": SOURCE + ":" + frame["line"].astype(str),
            "type": frame["__type"],
            "source_type": frame["TYPEQU"],
            "name": names,
            "commune": frame["DEPCOM"],
            "lon": frame["__lon"].astype(float),
            "lat": frame["__lat"].astype(float),
            "capacity": np.nan,
            "position": frame["__position"],
            "line": frame["line"],
        },
        index=frame.index,
    )
    return build_services(services, source=SOURCE, rejections=rejections)
