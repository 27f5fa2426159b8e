"""Service types named by users, and candidate sites (town halls, public buildings, a list)."""

from __future__ import annotations

import csv
import re
import unicodedata
from os import PathLike
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from maillage._errors import InputFileError, MaillageError
from maillage.services.schema import SERVICE_CRS
from maillage.services.typology import FRANCE_SERVICES_TYPE, TOWN_HALL_TYPE, Typology

#: Columns of a table of sites (candidates or services) used by the planning models.
SITE_COLUMNS = ["site_id", "name", "commune", "lon", "lat"]

#: Words users may write for the two types maillage reads itself (besides BPE codes).
TYPE_SLUGS = {
    "france-services": FRANCE_SERVICES_TYPE,
    "france-service": FRANCE_SERVICES_TYPE,
    "msap": FRANCE_SERVICES_TYPE,
    "mairie": TOWN_HALL_TYPE,
    "mairies": TOWN_HALL_TYPE,
}


def slug(text: str) -> str:
    """Lower case, no accents, words joined by hyphens.

    Examples
    --------
    >>> slug("SAGE-FEMME / Maïeuticien")
    'sage-femme-maieuticien'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def resolve_service_type(word: str, typology: Typology) -> str:
    """The BPE type code a user means: a code (``A128``), a slug (``france-services``,
    ``mairie``) or the slug of a typology label (``pharmacie`` → ``D307``).

    Raises
    ------
    MaillageError
        The word names no type (the message lists close ones).

    Examples
    --------
    >>> from maillage.services.typology import load_typology
    >>> t = load_typology()
    >>> resolve_service_type("france-services", t), resolve_service_type("d307", t)
    ('A128', 'D307')
    >>> resolve_service_type("pharmacie", t)
    'D307'
    """
    codes = set(typology.types["type"])
    if word.upper() in codes:
        return word.upper()
    key = slug(word)
    if key in TYPE_SLUGS:
        return TYPE_SLUGS[key]
    labels = {
        slug(str(label)): str(code)
        for code, label in typology.types[["type", "label"]].itertuples(index=False)
    }
    if key in labels:
        return labels[key]
    close = sorted(label for label in labels if key and (key in label or label in key))[:5]
    hint = f" (proches : {', '.join(close)})" if close else ""
    raise MaillageError(
        f"type de service « {word} » inconnu{hint}. Correction : donnez un code BPE (A128, "
        "D307…), « france-services », « mairie » ou un libellé de la typologie"
    )


def town_halls(services: gpd.GeoDataFrame, communes: list[str]) -> pd.DataFrame:
    """The town hall of each commune (``site_id, name, commune, lon, lat``), from ``services``
    or, where absent there, from the shipped Annuaire de l'administration.

    Examples
    --------
    >>> from maillage.services.catalogue import builtin_services
    >>> town_halls(builtin_services("mairies"), ["73248"])["name"].tolist()
    ['Mairie de Saint-Jean-de-Maurienne']
    """
    from maillage.services.catalogue import builtin_services

    halls = services[services["type"] == TOWN_HALL_TYPE]
    missing = sorted(set(communes) - set(halls["commune"]))
    if missing:
        shipped = builtin_services("mairies")
        halls = pd.concat([halls, shipped[shipped["commune"].isin(missing)]], ignore_index=True)
    halls = halls.drop_duplicates("commune").set_index("commune")
    unknown = [code for code in communes if code not in halls.index]
    if unknown:
        raise MaillageError(
            f"commune(s) sans mairie connue : {', '.join(unknown)}. Correction : vérifiez le "
            "code INSEE (5 caractères, communes actuelles) ou donnez lon/lat"
        )
    table = halls.loc[communes].reset_index()
    return pd.DataFrame(
        {
            "site_id": table["service_id"].astype(str).to_numpy(),
            "name": table["name"].astype(str).to_numpy(),
            "commune": table["commune"].astype(str).to_numpy(),
            "lon": table["lon"].to_numpy(dtype=float),
            "lat": table["lat"].to_numpy(dtype=float),
        }
    )


def as_points(sites: pd.DataFrame) -> gpd.GeoDataFrame:
    """Sites as WGS84 points (``site_id`` kept), for the travel-time functions."""
    return gpd.GeoDataFrame(
        sites.copy(),
        geometry=[Point(lon, lat) for lon, lat in zip(sites["lon"], sites["lat"], strict=True)],
        crs=SERVICE_CRS,
    )


def read_site_list(path: str | PathLike[str], services: gpd.GeoDataFrame) -> pd.DataFrame:
    """Read a user's list of candidate sites (CSV, ``,`` or ``;``, UTF-8).

    Each row has ``commune`` (INSEE code: the site is its town hall) or ``lon`` and
    ``lat`` (WGS84), and optionally ``id``, ``nom`` and ``capacite`` (inhabitants).

    Raises
    ------
    InputFileError
        Unreadable file, missing columns, a bad row (named by its line).
    """
    from maillage.sources._csv import field_limit
    from maillage.sources._report import Rejections
    from maillage.sources._sniff import read_text

    path = Path(path)
    # What the file really is (an Excel workbook renamed .csv, UTF-16...) is checked first.
    text = read_text(path, rejections=Rejections(path))
    lines = text.splitlines()
    if not lines:
        raise InputFileError(
            "fichier vide", path=path, fix="une ligne d'en-tête puis un site par ligne"
        )
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    with field_limit(len(text)):
        reader = csv.DictReader(lines, delimiter=delimiter)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        records = list(reader)
    if "commune" not in header and not {"lon", "lat"} <= set(header):
        raise InputFileError(
            "colonnes « commune » ou « lon » et « lat » absentes",
            path=path,
            line=1,
            fix="ajoutez une colonne commune (code INSEE) ou les colonnes lon et lat (WGS84)",
        )
    rows = []
    for number, raw in enumerate(records, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        name = row.get("nom", "")
        capacity = _number(row.get("capacite", ""), path, number, "capacite")
        if row.get("lon") and row.get("lat"):
            lon = _number(row["lon"], path, number, "lon")
            lat = _number(row["lat"], path, number, "lat")
            if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise InputFileError(
                    "coordonnées impossibles",
                    path=path,
                    line=number,
                    column="lon",
                    fix="lon et lat en degrés WGS84 (ex. 6.34, 45.27)",
                )
            commune = row.get("commune", "")
            site = {
                "site_id": row.get("id") or f"site:{number - 1}",
                "name": name or f"Site {number - 1}",
                "commune": commune,
                "lon": lon,
                "lat": lat,
            }
        elif row.get("commune"):
            try:
                hall = town_halls(services, [row["commune"]]).iloc[0]
            except MaillageError as err:
                raise InputFileError(str(err), path=path, line=number, column="commune") from None
            site = {
                "site_id": row.get("id") or str(hall["site_id"]),
                "name": name or str(hall["name"]),
                "commune": str(hall["commune"]),
                "lon": float(hall["lon"]),
                "lat": float(hall["lat"]),
            }
        else:
            raise InputFileError(
                "ni commune ni coordonnées",
                path=path,
                line=number,
                fix="indiquez un code commune ou lon et lat",
            )
        site["capacity"] = capacity
        rows.append(site)
    if not rows:
        raise InputFileError("aucun site", path=path, fix="un site par ligne après l'en-tête")
    table = pd.DataFrame(rows)
    duplicated = table["site_id"][table["site_id"].duplicated()]
    if not duplicated.empty:
        raise InputFileError(
            f"identifiant(s) en double : {', '.join(map(str, duplicated.unique()))}",
            path=path,
            column="id",
            fix="un identifiant par site",
        )
    return table


def _number(value: str, path: Path, line: int, column: str) -> float | None:
    from maillage.sources._numbers import parse_number

    if not value:
        return None
    number = parse_number(value)
    if isinstance(number, str):
        raise InputFileError(
            f"« {value} » n'est pas un nombre ({number})",
            path=path,
            line=line,
            column=column,
            fix="écrivez un nombre (virgule ou point décimal, ex. 45,27 ou 1 200)",
        )
    return number
