"""Read a user's own list of services: CSV, GeoJSON or GeoPackage, with a column mapping.

A territory often has its own lists (crèches of the intercommunalité, permanences of
the département...). They are read here into the common service schema, with the same
checks as the official sources. The columns are matched by a documented mapping, from
maillage's field to the user's column name:

============  ==============================================================  ============
field         meaning                                                         default name
============  ==============================================================  ============
``id``        the service's identifier in the user's file (unique)            ``id``
``type``      a BPE 2025 code (``D307``) or an OSM tag (``amenity=pharmacy``)  ``type``
``nom``       the service's name                                              ``nom``
``commune``   INSEE commune code (5 characters, ``73248``)                    ``commune``
``lon``       WGS84 longitude, decimal degrees                                ``lon``
``lat``       WGS84 latitude, decimal degrees                                 ``lat``
``x``, ``y``  projected coordinates, in the system given by ``crs``            ``x``, ``y``
``capacite``  capacity (places, beds...)                                      ``capacite``
``horaires``  opening hours in OpenStreetMap syntax (``Mo-Fr 08:00-18:00``)    ``horaires``
============  ==============================================================  ============

Columns are matched case-insensitively, and ``longitude``/``latitude`` (or ``lng``,
``long``) are accepted for ``lon``/``lat``. Only ``type`` is required, plus a location:
coordinates, or a commune code (the service is then placed at the commune's point).

The shared helpers of the service readers (type resolution, nearest commune, opening
hours) live here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError

from maillage._errors import InputFileError
from maillage.services.opening_hours import OpeningHoursError, WeeklyHours
from maillage.services.schema import SERVICE_CRS, SourceResult, build_services
from maillage.services.typology import Typology, load_typology
from maillage.sources._checks import check_commune_codes, check_wgs84, projected_to_wgs84
from maillage.sources._csv import read_checked_csv, suggest_column
from maillage.sources._locate import nearest_commune
from maillage.sources._report import Rejections
from maillage.sources._sniff import REFUSED_KINDS, _zip_kind, check_file, sniff

#: maillage's fields of a user's file and their default column names.
DEFAULT_MAPPING: dict[str, str] = {
    "id": "id",
    "type": "type",
    "nom": "nom",
    "commune": "commune",
    "lon": "lon",
    "lat": "lat",
    "x": "x",
    "y": "y",
    "capacite": "capacite",
    "horaires": "horaires",
    "saison": "saison",
}
#: Other column names accepted for a field when the mapping's name is absent.
ALIASES: dict[str, tuple[str, ...]] = {
    "lon": ("longitude", "lng", "long"),
    "lat": ("latitude",),
    "nom": ("name", "libelle"),
    "commune": ("code_commune", "depcom", "codgeo", "insee"),
    "capacite": ("capacity", "places"),
    "horaires": ("opening_hours",),
    "saison": ("seasonal", "season"),
}
GEO_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb")


# --- helpers shared by the service readers -------------------------------------------


def commune_points(communes: pd.DataFrame | None) -> pd.DataFrame:
    """The commune table reduced to ``commune, lon, lat`` (the shipped one by default).

    Examples
    --------
    >>> commune_points(pd.DataFrame({"commune": ["73248"], "lon": [6.35], "lat": [45.27],
    ...                              "name": ["Saint-Jean"]})).columns.tolist()
    ['commune', 'lon', 'lat']
    """
    if communes is None:
        from maillage.sources.communes import read_communes

        communes = read_communes()
    table = pd.DataFrame(
        {
            "commune": communes["commune"].astype(str).to_numpy(),
            "lon": communes["lon"].astype(float).to_numpy(),
            "lat": communes["lat"].astype(float).to_numpy(),
        }
    )
    return table


def match_osm_tags(tags: Mapping[str, str], rules: list[tuple[dict[str, str], str]]) -> str | None:
    """The type of the first rule whose conditions all hold (rules most specific first).

    Examples
    --------
    >>> rules = [({"amenity": "police", "police": "gendarmerie"}, "A104"),
    ...          ({"amenity": "police"}, "A140")]
    >>> match_osm_tags({"amenity": "police", "police": "gendarmerie"}, rules)
    'A104'
    >>> match_osm_tags({"amenity": "bench"}, rules) is None
    True
    """
    for conditions, code in rules:
        if all(tags.get(key) == value for key, value in conditions.items()):
            return code
    return None


def resolve_types(
    frame: pd.DataFrame,
    *,
    column: str,
    typology: Typology,
    rejections: Rejections,
    allow_osm: bool = False,
) -> pd.Series:
    """Give each row its BPE 2025 type; reject unknown ones.

    A 2025 ``TYPEQU`` is kept; an older code of the 2021 gammes (``D201``) is replaced
    by its 2025 code with one warning per old code; with ``allow_osm``, an OpenStreetMap
    tag (``amenity=pharmacy``, conditions joined by ``;``) is matched with the
    typology's OSM rules. Anything else is rejected, as is an old code that became
    several 2025 codes (the choice is the user's).

    Returns
    -------
    pandas.Series
        The type of each row (string), ``NA`` for rejected rows.

    Examples
    --------
    >>> r = Rejections("f.csv")
    >>> f = pd.DataFrame({"t": ["D307", "D201", "amenity=pharmacy", "Z999"], "line": [2, 3, 4, 5]})
    >>> resolve_types(f, column="t", typology=load_typology(), rejections=r,
    ...               allow_osm=True).tolist()
    ['D307', 'D265', 'D307', <NA>]
    >>> r.rejected[0].line, len(r.warnings)
    (5, 1)
    """
    known = set(typology.types["type"])
    old = typology.old_code_index()
    rules = typology.osm_rules()
    raw = frame[column].astype("string").str.strip()
    result = pd.Series(pd.NA, index=frame.index, dtype="string")
    upper = raw.str.upper()
    is_new = upper.isin(known).fillna(False).astype(bool)
    result[is_new] = upper[is_new]
    todo = ~is_new & raw.notna()
    for value in pd.unique(raw[todo]):
        rows = todo & (raw == value)
        lines = frame.loc[rows, "line"]
        code = str(value).upper()
        if code in old and len(old[code]) == 1:
            new = old[code][0]
            result[rows] = new
            rejections.warn(
                f"ancien code d'équipement {code} (gammes 2021) remplacé par son code 2025 "
                f"{new} sur {int(rows.sum())} ligne(s)",
                line=int(lines.iloc[0]),
                column=column,
                value=code,
                fix=f"utilisez le code 2025 {new}",
            )
        elif code in old:
            rejections.reject_rows(
                lines,
                [value] * len(lines),
                column=column,
                reason=f"ancien code d'équipement {code} devenu plusieurs codes 2025 "
                f"({', '.join(old[code])})",
                fix=f"choisissez le code 2025 qui convient parmi {', '.join(old[code])}",
            )
        elif allow_osm and "=" in str(value):
            tags = dict(part.strip().split("=", 1) for part in str(value).split(";") if "=" in part)
            matched = match_osm_tags(tags, rules)
            if matched is not None:
                result[rows] = matched
            else:
                rejections.reject_rows(
                    lines,
                    [value] * len(lines),
                    column=column,
                    reason="étiquette OpenStreetMap absente de la typologie",
                    fix="utilisez un code d'équipement BPE 2025 (ex. D307 pour une pharmacie) "
                    "ou ajoutez l'étiquette dans « osm » du type voulu de la typologie",
                )
        else:
            rejections.reject_rows(
                lines,
                [value] * len(lines),
                column=column,
                reason="type d'équipement inconnu de la typologie BPE 2025",
                fix="utilisez un code TYPEQU de la BPE 2025 (ex. D307 pour une pharmacie)"
                + (" ou une étiquette OpenStreetMap (ex. amenity=pharmacy)" if allow_osm else ""),
            )
    missing = raw.isna()
    rejections.reject_rows(
        frame.loc[missing, "line"],
        [None] * int(missing.sum()),
        column=column,
        reason="type d'équipement manquant",
        fix="renseignez le code d'équipement BPE 2025 (ex. D307)",
    )
    return result


def parse_osm_hours(
    texts: pd.Series, *, where: pd.Series, column: str, rejections: Rejections
) -> pd.Series:
    """Parse opening hours in OSM syntax; an unreadable value gives ``None`` and a warning.

    Parameters
    ----------
    texts
        The hours, ``NA`` when unknown.
    where
        Per row, the line number (int) or the object's name (``"node/123"``) for the
        warning.

    Examples
    --------
    >>> r = Rejections("f.csv")
    >>> h = parse_osm_hours(pd.Series(["Mo-Fr 08:00-12:00", "à voir", None]),
    ...                     where=pd.Series([2, 3, 4]), column="horaires", rejections=r)
    >>> [x.hours_per_week() if x else None for x in h]
    [20.0, None, None]
    >>> r.warnings[0].line
    3
    """
    parsed: list[WeeklyHours | None] = []
    for text, place in zip(texts, where, strict=True):
        if text is None or pd.isna(text) or not str(text).strip():
            parsed.append(None)
            continue
        try:
            parsed.append(WeeklyHours.from_osm(str(text)))
        except OpeningHoursError as err:
            parsed.append(None)
            line = int(place) if isinstance(place, int | np.integer) else None
            prefix = "" if line is not None else f"{place} : "
            rejections.warn(
                f"{prefix}horaires ignorés ({err}) ; le service est gardé sans horaires",
                line=line,
                column=column,
                value=text,
                fix="écrivez les horaires dans la syntaxe OpenStreetMap, "
                "ex. « Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00 »",
            )
    return pd.Series(parsed, index=texts.index, dtype="object")


# --- the generic reader ------------------------------------------------------------


def _find(columns: list[str], field: str, mapping: Mapping[str, str]) -> str | None:
    lower = {c.lower(): c for c in columns}
    if field in mapping:
        return lower.get(mapping[field].lower())
    for name in (DEFAULT_MAPPING[field], *ALIASES.get(field, ())):
        if name.lower() in lower:
            return lower[name.lower()]
    return None


def _names(field: str, mapping: Mapping[str, str]) -> list[str]:
    """The column names that may hold ``field``."""
    if field in mapping:
        return [mapping[field]]
    return [DEFAULT_MAPPING[field], *ALIASES.get(field, ())]


def _check_columns(
    columns: list[str],
    found: Mapping[str, str | None],
    mapping: Mapping[str, str],
    *,
    path: Path,
    line: int | None,
    rejections: Rejections,
) -> None:
    """Refuse misspelt column names (``lattitude``), suggesting the field; list unknown ones."""
    known = {n.lower() for field in DEFAULT_MAPPING for n in _names(field, mapping)}
    unknown = [c for c in columns if c.lower() not in known]
    misspelt = []
    missing = [n for field, name in found.items() if name is None for n in _names(field, mapping)]
    for column in unknown:
        close = suggest_column(column, missing)
        if close is not None:
            misspelt.append((column, close))
    if misspelt:
        listed = " ; ".join(f"« {c} » → « {close} » ?" for c, close in misspelt)
        fields = ",".join(
            f"{next(f for f in DEFAULT_MAPPING if close in _names(f, mapping))}={c}"
            for c, close in misspelt
        )
        raise InputFileError(
            f"colonne(s) au nom inconnu, proche d'une colonne attendue : {listed} "
            "(sans correction, leurs valeurs seraient ignorées)",
            path=path,
            line=line,
            column=misspelt[0][0],
            fix=f"renommez la colonne comme suggéré, ou donnez la correspondance "
            f"(option --colonnes {fields})",
        )
    if unknown:
        rejections.warn(
            f"colonne(s) non utilisée(s) par maillage : {', '.join(unknown)}",
            line=line,
            fix="rien à faire si elles ne servent pas ; sinon renommez-les selon la "
            "correspondance documentée (id, type, nom, commune, lon, lat, x, y, capacite, "
            "horaires, saison)",
        )


def _read_table(
    path: Path,
    *,
    separator: str | None,
    rejections: Rejections,
    mapping: Mapping[str, str],
    layer: str | None = None,
) -> tuple[pd.DataFrame, str | None]:
    """The file's attributes as strings with ``line``, and its CRS for a GIS file."""
    if path.suffix.lower() not in GEO_SUFFIXES:
        known = [n for field in DEFAULT_MAPPING for n in _names(field, mapping)]
        frame = read_checked_csv(
            path, separator=separator or ";", required=[], rejections=rejections, known=known
        )
        return frame, None
    _check_geo_file(path)
    layer = _single_layer(path, layer)
    try:
        layer_frame = gpd.read_file(path, layer=layer)
    except Exception as err:  # pyogrio raises its own DataSourceError, etc.
        raise InputFileError(
            f"fichier géographique illisible ({err})",
            path=path,
            fix="ouvrez-le dans QGIS et exportez-le de nouveau en GeoJSON ou GeoPackage",
        ) from None
    return _layer_table(layer_frame, path=path, rejections=rejections)


def _check_geo_file(path: Path) -> None:
    """Refuse, saying what it is, a GIS file that is missing, empty or of another kind.

    GDAL's own answer to such a file is an English "not recognized as being in a
    supported file format".
    """
    check_file(path)
    with path.open("rb") as handle:
        head = handle.read(65536)
    if not head.strip():
        raise InputFileError(
            "le fichier est vide",
            path=path,
            fix="exportez de nouveau la couche depuis sa source (QGIS : « Exporter > "
            "Sauvegarder les entités sous »)",
        )
    kind = sniff(head)
    if kind == "zip":
        kind = _zip_kind(path)[0]
    suffix = path.suffix.lower()
    if suffix == ".gpkg" and kind != "sqlite":
        what = "un texte (CSV ?)" if kind in ("text", "utf-8-sig") else f"un fichier {kind}"
        raise InputFileError(
            f"ce fichier n'est pas un GeoPackage (base SQLite) mais {what}",
            path=path,
            fix="donnez-lui l'extension de ce qu'il est (.csv pour un texte), ou exportez "
            "la couche de nouveau en GeoPackage",
        )
    if suffix in (".geojson", ".json") and kind in (*REFUSED_KINDS, "zip", "gzip"):
        found = (
            REFUSED_KINDS[kind][0].split(", pas ")[0]
            if kind in REFUSED_KINDS
            else f"ce fichier est une archive {kind.upper()}"
        )
        raise InputFileError(
            f"{found}, pas un GeoJSON (texte)",
            path=path,
            fix="exportez la couche en GeoJSON (QGIS : « Exporter > Sauvegarder les entités "
            "sous »), ou décompressez l'archive",
        )


def _single_layer(path: Path, layer: str | None) -> str | None:
    """The layer to read: ``layer`` if the file has it, the only one, else a refusal."""
    import pyogrio

    try:
        names = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except Exception as err:  # pyogrio's DataSourceError and friends
        raise InputFileError(
            f"fichier géographique illisible ({err})",
            path=path,
            fix="ouvrez-le dans QGIS et exportez-le de nouveau en GeoJSON ou GeoPackage",
        ) from None
    if layer is not None:
        if layer not in names:
            raise InputFileError(
                f"couche « {layer} » absente ; couches du fichier : {', '.join(names)}",
                path=path,
                fix="choisissez l'une des couches listées",
            )
        return layer
    if len(names) > 1:
        raise InputFileError(
            f"le fichier contient {len(names)} couches ({', '.join(names)}) : maillage n'en lit "
            "qu'une à la fois, pour n'en perdre aucune en silence",
            path=path,
            fix="enregistrez chaque couche dans son propre fichier (QGIS : « Exporter > "
            "Sauvegarder les entités sous ») et passez-les une à une, ou indiquez la couche "
            "(read_generic(..., layer=NOM))",
        )
    return names[0] if names else None


def _layer_table(
    layer: gpd.GeoDataFrame, *, path: Path, rejections: Rejections
) -> tuple[pd.DataFrame, str | None]:
    """A GIS layer's attributes as strings, its points in WGS84 and the object numbers."""
    if layer.crs is None:
        raise InputFileError(
            "le fichier n'indique pas son système de coordonnées",
            path=path,
            fix="définissez la projection du fichier (ex. EPSG:2154) dans QGIS puis "
            "exportez-le de nouveau",
        )
    if len(layer) == 0:
        raise InputFileError(
            "le fichier ne contient aucun objet",
            path=path,
            fix="exportez de nouveau la couche depuis sa source",
        )
    rejections.rows_read += len(layer)
    geometry = layer.geometry.to_crs(SERVICE_CRS)
    not_points = ~geometry.is_empty & geometry.notna() & (geometry.geom_type != "Point")
    if not_points.any():
        rejections.warn(
            f"{int(not_points.sum())} objet(s) non ponctuel(s) (polygones, lignes) "
            "ramené(s) à un point intérieur",
            line=int(np.flatnonzero(not_points.to_numpy())[0]) + 1,
            fix="fournissez des points si l'emplacement exact de l'accueil compte",
        )
    points = geometry.where(~not_points, geometry.representative_point())
    valid = points.notna() & ~points.is_empty
    frame = pd.DataFrame(layer.drop(columns=layer.geometry.name)).astype("string")
    frame["__lon"] = np.where(valid, points.x.where(valid), np.nan)
    frame["__lat"] = np.where(valid, points.y.where(valid), np.nan)
    frame["line"] = np.arange(1, len(frame) + 1, dtype="int64")
    return frame.reset_index(drop=True), str(layer.crs)


def read_generic(
    path: str | PathLike[str],
    *,
    mapping: Mapping[str, str] | None = None,
    typology: Typology | None = None,
    communes: pd.DataFrame | None = None,
    separator: str | None = None,
    crs: str | None = None,
    source: str | None = None,
    layer: str | None = None,
) -> SourceResult:
    """Read a user's list of services (CSV, GeoJSON, GeoPackage) into the service schema.

    Parameters
    ----------
    path
        A CSV file (``;`` by default; another separator is detected with a warning),
        or a GeoJSON / GeoPackage / shapefile whose coordinate system is honoured.
    mapping
        maillage field → the file's column name, for the columns not named as in
        :data:`DEFAULT_MAPPING`, e.g. ``{"type": "code_bpe", "nom": "structure"}``.
    typology
        The typology giving the BPE 2025 types (the shipped one by default).
    communes
        Commune table with ``commune, lon, lat`` (default: :func:`read_communes`).
    separator
        The CSV's separator (default ``;``).
    crs
        For a CSV with ``x``/``y`` columns: their coordinate system (``"EPSG:2154"``
        for Lambert-93). Required with ``x``/``y``; ignored for GIS files, which carry
        their own.
    source
        Name of the source, prefix of ``service_id`` (``<source>:<id>``); default the
        file name without its extension.
    layer
        For a GeoPackage with several layers: the one to read (a file with several
        layers and no ``layer`` is refused with the list of its layers).

    Returns
    -------
    SourceResult
        ``line`` is the physical line for a CSV (header = line 1) and the object's
        number (from 1) for a GIS file. ``position`` is ``"commune"`` for rows placed at
        their commune's point (no coordinates). A row with coordinates but no commune
        code gets the commune whose point is nearest (an approximation, with a warning).

    Raises
    ------
    InputFileError
        Unreadable or empty file, no ``type`` column, no location columns, ``x``/``y``
        without ``crs``, a GIS file without coordinate system or with several layers, a
        column whose name is close to an expected one (``lattitude``).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "creches.csv").write_text(
    ...     "id;type;nom;commune;lon;lat;capacite\\n"
    ...     "1;D502;Les Marmottons;73248;6.3486;45.2769;40\\n", encoding="utf-8")
    >>> result = read_generic(folder / "creches.csv")
    >>> result.services[["service_id", "type", "commune", "capacity"]].to_dict("records")
    [{'service_id': 'creches:1', 'type': 'D502', 'commune': '73248', 'capacity': 40}]
    """
    path = Path(path)
    mapping = dict(mapping or {})
    unknown_fields = sorted(set(mapping) - set(DEFAULT_MAPPING))
    if unknown_fields:
        raise InputFileError(
            f"champ(s) de correspondance inconnu(s) : {', '.join(unknown_fields)}",
            path=path,
            fix=f"utilisez les champs {', '.join(DEFAULT_MAPPING)}",
        )
    typology = typology or load_typology()
    points = commune_points(communes)
    rejections = Rejections(path)
    frame, layer_crs = _read_table(
        path, separator=separator, rejections=rejections, mapping=mapping, layer=layer
    )
    columns = [c for c in frame.columns if c not in ("line", "__lon", "__lat")]
    found = {field: _find(columns, field, mapping) for field in DEFAULT_MAPPING}
    _check_columns(
        columns,
        found,
        mapping,
        path=path,
        line=1 if layer_crs is None else None,
        rejections=rejections,
    )
    for field, name in mapping.items():
        if found[field] is None:
            raise InputFileError(
                f"colonne « {name} » (champ {field}) absente ; colonnes trouvées : "
                f"{', '.join(columns)}",
                path=path,
                line=1 if layer_crs is None else None,
                column=name,
                fix="corrigez la correspondance des colonnes ou le nom de la colonne",
            )
    if found["type"] is None:
        raise InputFileError(
            f"colonne du type d'équipement absente ; colonnes trouvées : {', '.join(columns)}",
            path=path,
            line=1 if layer_crs is None else None,
            column=DEFAULT_MAPPING["type"],
            fix="ajoutez une colonne « type » (code BPE 2025 ou étiquette OSM) ou indiquez "
            "son nom (option --colonnes type=VOTRE_COLONNE)",
        )
    # The type is checked on every row, so that a rejected row lists all its reasons.
    all_types = resolve_types(
        frame,
        column=found["type"] or "type",
        typology=typology,
        rejections=rejections,
        allow_osm=True,
    )
    frame = _locate(frame, found, layer_crs=layer_crs, crs=crs, path=path, rejections=rejections)
    frame = _finish_communes(frame, found, points=points, rejections=rejections)
    types = all_types.loc[frame.index]
    frame = frame.loc[types.notna()]
    types = types[types.notna()]
    name = source or path.name.split(".")[0]
    ids = frame[found["id"]] if found["id"] else frame["line"].astype("string")
    no_id = ids.isna()
    if no_id.any():
        rejections.warn(
            f"{int(no_id.sum())} ligne(s) sans identifiant : le numéro de ligne en tient lieu",
            line=int(frame.loc[no_id, "line"].iloc[0]),
            column=found["id"],
            fix="donnez un identifiant à chaque service",
        )
        ids = ids.where(~no_id, frame["line"].astype("string"))
    capacity = _capacity(frame, found["capacite"], rejections)
    hours = None
    if found["horaires"]:
        hours = parse_osm_hours(
            frame[found["horaires"]],
            where=frame["line"],
            column=found["horaires"],
            rejections=rejections,
        )
    services = pd.DataFrame(
        {
            "service_id": name + ":" + ids.astype(str),
            "type": types,
            "source_type": frame[found["type"] or "type"],
            "name": frame[found["nom"]] if found["nom"] else pd.NA,
            "commune": frame["__commune"],
            "lon": frame["__lon"],
            "lat": frame["__lat"],
            "capacity": capacity,
            "seasonal": frame[found["saison"]] if found["saison"] else pd.NA,
            "position": frame["__position"],
            "line": frame["line"],
        },
        index=frame.index,
    )
    return build_services(services, source=name, rejections=rejections, hours=hours)


def _locate(
    frame: pd.DataFrame,
    found: Mapping[str, str | None],
    *,
    layer_crs: str | None,
    crs: str | None,
    path: Path,
    rejections: Rejections,
) -> pd.DataFrame:
    """Add WGS84 ``__lon``/``__lat`` (NaN when absent); reject impossible coordinates."""
    if layer_crs is not None:
        points = pd.DataFrame(
            {"longitude": frame["__lon"], "latitude": frame["__lat"], "line": frame["line"]}
        )
        ok = check_wgs84(
            points, lon="longitude", lat="latitude", rejections=rejections, missing_ok=True
        )
        return frame.loc[ok]
    lon_col, lat_col = found["lon"], found["lat"]
    x_col, y_col = found["x"], found["y"]
    if crs is not None:
        try:
            CRS.from_user_input(crs)
        except CRSError:
            raise InputFileError(
                f"système de coordonnées « {crs} » inconnu",
                path=path,
                fix="indiquez un code EPSG, ex. EPSG:2154 (Lambert-93) ou EPSG:4326 (WGS84)",
            ) from None
    geographic = crs is None or CRS.from_user_input(crs).is_geographic
    if not (x_col and y_col) or geographic:
        x_col, y_col = (lon_col, lat_col) if lon_col and lat_col else (x_col, y_col)
    if not (x_col and y_col):
        if found["commune"] is None:
            raise InputFileError(
                "ni coordonnées (lon/lat ou x/y) ni code commune : impossible de placer les "
                "services",
                path=path,
                line=1,
                fix="ajoutez des colonnes lon et lat (WGS84) ou une colonne commune (code INSEE)",
            )
        frame["__lon"], frame["__lat"] = np.nan, np.nan
        return frame
    if geographic and (x_col, y_col) != (lon_col, lat_col) and crs is None:
        raise InputFileError(
            f"colonnes « {x_col} » et « {y_col} » sans système de coordonnées",
            path=path,
            line=1,
            column=x_col,
            fix="indiquez le système de coordonnées (option crs, ex. EPSG:2154 pour "
            "Lambert-93), ou fournissez des colonnes lon/lat en degrés WGS84",
        )
    if geographic:
        ok = check_wgs84(frame, lon=x_col, lat=y_col, rejections=rejections, missing_ok=True)
        frame["__lon"], frame["__lat"] = frame[x_col], frame[y_col]
        return frame.loc[ok]
    epsg = CRS.from_user_input(crs).to_epsg()
    code = f"EPSG:{epsg}" if epsg else str(crs)
    lon, lat, ok = projected_to_wgs84(
        frame,
        x=x_col,
        y=y_col,
        crs_by_row=pd.Series(code, index=frame.index),
        rejections=rejections,
    )
    frame["__lon"], frame["__lat"] = lon, lat
    return frame.loc[ok]


def _finish_communes(
    frame: pd.DataFrame,
    found: Mapping[str, str | None],
    *,
    points: pd.DataFrame,
    rejections: Rejections,
) -> pd.DataFrame:
    """Add ``__commune`` and ``__position``; place rows without coordinates at their commune."""
    frame["__lon"] = frame["__lon"].astype(float)
    frame["__lat"] = frame["__lat"].astype(float)
    has_xy = frame["__lon"].notna() & frame["__lat"].notna()
    column = found["commune"]
    frame["__position"] = "source"
    if column is not None:
        given = frame[column].astype("string").str.strip().notna()
        checked = frame.loc[given].copy()
        ok = check_commune_codes(
            checked, column=column, known=set(points["commune"]), rejections=rejections
        )
        frame["__commune"] = pd.Series(pd.NA, index=frame.index, dtype="string")
        frame.loc[checked.index, "__commune"] = checked[column]
        keep = ~given | ok.reindex(frame.index, fill_value=True)
        frame = frame.loc[keep]
        has_xy = has_xy[keep]
    else:
        frame["__commune"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    lost = ~has_xy & frame["__commune"].isna()
    rejections.reject_rows(
        frame.loc[lost, "line"],
        [None] * int(lost.sum()),
        column=column,
        reason="ni coordonnées ni code commune : le service ne peut pas être placé",
        fix="renseignez les coordonnées ou le code INSEE de la commune",
    )
    frame = frame.loc[~lost]
    has_xy = has_xy[~lost]
    at_commune = ~has_xy
    if at_commune.any():
        where = points.set_index("commune")
        codes = frame.loc[at_commune, "__commune"]
        frame.loc[at_commune, "__lon"] = codes.map(where["lon"]).astype(float)
        frame.loc[at_commune, "__lat"] = codes.map(where["lat"]).astype(float)
        frame.loc[at_commune, "__position"] = "commune"
        rejections.warn(
            f"{int(at_commune.sum())} service(s) sans coordonnées placé(s) au point de leur "
            "commune",
            line=int(frame.loc[at_commune, "line"].iloc[0]),
            column=column,
            value=_lines_text(frame.loc[at_commune, "line"]),
            fix="ajoutez les coordonnées pour des distances exactes",
        )
    guess = has_xy & frame["__commune"].isna()
    if guess.any():
        nearest, _ = nearest_commune(
            frame.loc[guess, "__lon"].to_numpy(), frame.loc[guess, "__lat"].to_numpy(), points
        )
        frame.loc[guess, "__commune"] = nearest
        rejections.warn(
            f"{int(guess.sum())} service(s) sans code commune : commune déduite du point de "
            "commune le plus proche (approximation près des limites communales)",
            line=int(frame.loc[guess, "line"].iloc[0]),
            fix="ajoutez une colonne commune (code INSEE) pour un rattachement exact",
        )
    return frame


def _lines_text(lines: pd.Series, limit: int = 20) -> str:
    values = [str(int(v)) for v in lines.iloc[:limit]]
    more = f" ... (+{len(lines) - limit})" if len(lines) > limit else ""
    return "lignes " + ", ".join(values) + more


def _capacity(frame: pd.DataFrame, column: str | None, rejections: Rejections) -> pd.Series:
    if column is None:
        return pd.Series(np.nan, index=frame.index)
    text = frame[column].astype("string").str.strip().str.replace(",", ".", regex=False)
    values = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & (values.isna() | (values < 0))
    for line, value in zip(frame.loc[bad, "line"], frame.loc[bad, column], strict=True):
        rejections.warn(
            "capacité illisible ; le service est gardé sans capacité",
            line=int(line),
            column=column,
            value=value,
            fix="indiquez un nombre positif (ex. 24)",
        )
    return values.where(~bad)
