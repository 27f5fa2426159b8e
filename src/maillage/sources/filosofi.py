"""Read INSEE's Filosofi 200 m population grid (*données carroyées*) as origins.

INSEE publishes, for each inhabited 200 m × 200 m cell of France, the number of
individuals (``ind``), of households (``men``) and individuals by age band
(``ind_0_3`` … ``ind_80p``), with ``lcog_geo``, the commune code(s) of the cell (several
codes, concatenated, when a cell straddles communes). The 2019 vintage comes as a
ZIP holding a 7-Zip archive holding three GeoPackages of square polygons:
``carreaux_200m_met.gpkg`` in ETRS89-LAEA (EPSG:3035), ``carreaux_200m_mart.gpkg``
(Martinique, EPSG:5490) and ``carreaux_200m_reun.gpkg`` (La Réunion, EPSG:2975) — the ids
say so (``CRS5490RES200m…``); the 7-Zip archive is extracted once, beside the ZIP — or as a
CSV (``Idcar_200m``,
``Ind``…, column case varies). The cell id gives the cell without geometry:
``CRS3035RES200mN2570600E4240800`` is the cell whose lower-left corner is at northing
2,570,600 m and easting 4,240,800 m.

Where the people of a mountain commune live — a valley town and hamlets kilometres
apart — matters for travel times: the cells become origins weighted by their
population, each attached to one commune: the only one of ``lcog_geo``, or among several
the one whose polygon holds the cell's centre (where maillage ships polygons), else the
first one.
"""

from __future__ import annotations

import gzip
import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from maillage._errors import InputFileError
from maillage.sources._numbers import numbers_or_reject, parse_numbers
from maillage.sources._report import Rejections
from maillage.sources._sniff import refuse_non_text

#: Coordinate system of the grid (2019+ vintages) in metropolitan France.
GRID_CRS = "EPSG:3035"
#: Every coordinate system of the published grids: metropolitan France, Martinique
#: (and the Antilles), La Réunion, Guyane, Mayotte.
GRID_EPSG = (3035, 5490, 2975, 2972, 4471)
#: INSEE's age bands, in years (lowest, highest) — ``ind_80p`` is 80 and over.
AGE_BANDS = {
    "ind_0_3": (0, 3),
    "ind_4_5": (4, 5),
    "ind_6_10": (6, 10),
    "ind_11_17": (11, 17),
    "ind_18_24": (18, 24),
    "ind_25_39": (25, 39),
    "ind_40_54": (40, 54),
    "ind_55_64": (55, 64),
    "ind_65_79": (65, 79),
    "ind_80p": (80, 120),
}
#: maillage's age bands (those of :func:`~maillage.indicators.diagnostic.territory_origins`).
MAILLAGE_BANDS = {
    "population_0_19": (0, 19),
    "population_20_64": (20, 64),
    "population_65_plus": (65, 120),
}
_IDCAR = re.compile(r"^CRS(\d{4,5})RES(\d+)mN(\d+)E(\d+)$")
_COLUMNS = ["origin_id", "commune", "lcog_geo", "population", *MAILLAGE_BANDS, "households"]


@dataclass
class GridResult:
    """Grid cells of a territory, and the rows that could not be used.

    Attributes
    ----------
    cells
        One row per cell: ``origin_id`` (the cell id), ``commune``, ``lcog_geo``,
        ``population`` (``ind``), ``population_0_19``, ``population_20_64``,
        ``population_65_plus``, ``households`` (``men``); the cell's centre as a point,
        EPSG:4326.
    rejections
        Rejected rows and warnings, with their lines.
    """

    cells: gpd.GeoDataFrame
    rejections: Rejections

    @property
    def rejected(self) -> pd.DataFrame:
        """The rejected rows (``fichier, ligne, colonne, valeur, raison, correction``)."""
        return self.rejections.frame()


def parse_cell_ids(ids: pd.Series) -> pd.DataFrame:
    """Centre of each cell from its id (``CRS3035RES200mN…E…``), in the id's CRS.

    Returns
    -------
    pandas.DataFrame
        ``epsg``, ``size_m``, ``x``, ``y`` (centre, metres); NaN where the id is not in
        INSEE's format.

    Examples
    --------
    >>> parse_cell_ids(pd.Series(["CRS3035RES200mN2570600E4240800", "abc"])).to_dict("records")
    [{'epsg': 3035.0, 'size_m': 200.0, 'x': 4240900.0, 'y': 2570700.0}, {'epsg': nan, 'size_m': nan, 'x': nan, 'y': nan}]
    """  # noqa: E501
    parts = ids.astype("string").str.strip().str.extract(_IDCAR).astype(float)
    size = parts[1]
    return pd.DataFrame(
        {
            "epsg": parts[0],
            "size_m": size,
            "x": parts[3] + size / 2,
            "y": parts[2] + size / 2,
        },
        index=ids.index,
    )


def age_bands(frame: pd.DataFrame) -> pd.DataFrame:
    """maillage's age bands from INSEE's: a band split across ours is shared by years.

    ``ind_18_24`` (7 years) gives 2/7 to ``population_0_19`` and 5/7 to
    ``population_20_64``.

    Examples
    --------
    >>> row = pd.DataFrame({"ind_0_3": [4.0], "ind_4_5": [2.0], "ind_6_10": [5.0],
    ...     "ind_11_17": [7.0], "ind_18_24": [7.0], "ind_25_39": [15.0], "ind_40_54": [15.0],
    ...     "ind_55_64": [10.0], "ind_65_79": [15.0], "ind_80p": [5.0]})
    >>> age_bands(row).to_dict("records")
    [{'population_0_19': 20.0, 'population_20_64': 45.0, 'population_65_plus': 20.0}]
    """
    result = pd.DataFrame(index=frame.index)
    for band, (low, high) in MAILLAGE_BANDS.items():
        total = pd.Series(0.0, index=frame.index)
        for column, (first, last) in AGE_BANDS.items():
            overlap = min(high, last) - max(low, first) + 1
            if overlap > 0:
                total += frame[column].astype(float) * overlap / (last - first + 1)
        result[band] = total
    return result


def read_filosofi(
    path: str | PathLike[str],
    *,
    communes: Iterable[str],
    polygons: gpd.GeoDataFrame | None = None,
) -> GridResult:
    """Read the Filosofi 200 m grid cells of some communes.

    Parameters
    ----------
    path
        The file as published: GeoPackage or CSV, or a ZIP archive holding one (all the
        GeoPackages or CSVs of the archive are read: metropolitan France and overseas).
    communes
        INSEE codes of the communes to keep (a territory's).
    polygons
        Commune polygons (``commune``, EPSG:4326) used to attach a cell that straddles
        communes; by default those shipped with maillage
        (:func:`~maillage.sources.communes.read_commune_polygons`).

    Returns
    -------
    GridResult

    Raises
    ------
    InputFileError
        Missing file, another CRS than those of :data:`GRID_EPSG`, missing ``idcar_200m``/``ind``/
        ``lcog_geo`` columns.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "carreaux.csv"
    >>> _ = f.write_text(
    ...     "Idcar_200m,Ind,Men,lcog_geo\\n"
    ...     "CRS3035RES200mN2520400E4073800,12.5,5,73248\\n"
    ...     "CRS3035RES200mN2520400E4074000,-1,0,73248\\n")
    >>> r = read_filosofi(f, communes=["73248"])
    >>> r.cells[["origin_id", "commune", "population"]].to_dict("records")
    [{'origin_id': 'CRS3035RES200mN2520400E4073800', 'commune': '73248', 'population': 12.5}]
    >>> r.rejected[["ligne", "colonne", "raison"]].to_dict("records")
    [{'ligne': 3, 'colonne': 'ind', 'raison': "nombre d'individus manquant ou négatif"}]
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(
            "fichier introuvable",
            path=str(path),
            fix="téléchargez la grille avec « maillage telecharger --jeux filosofi »",
        )
    codes = sorted({str(code) for code in communes})
    rejections = Rejections(path)
    frames = [_read_part(uri, kind, codes=codes, shown=str(path)) for uri, kind in _parts(path)]
    raw = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    cells = _cells(raw, codes, polygons, rejections)
    return GridResult(cells, rejections)


def _parts(path: Path) -> list[tuple[str, str]]:
    """(URI readable by GDAL or pandas, ``"gpkg"``/``"csv"``) of each grid file."""
    suffix = path.name.lower()
    if suffix.endswith(".gpkg"):
        return [(str(path), "gpkg")]
    if suffix.endswith((".csv", ".csv.gz")):
        return [(str(path), "csv")]
    if suffix.endswith(".7z"):
        return _parts_of_folder(_extract_7z(path, path), shown=path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            sevens = [n for n in names if n.lower().endswith(".7z")]
            if sevens and not any(n.lower().endswith((".gpkg", ".csv")) for n in names):
                folder = _extracted_folder(path)
                for name in sevens:
                    inner = folder / Path(name).name
                    if not inner.exists():
                        folder.mkdir(parents=True, exist_ok=True)
                        with archive.open(name) as member, inner.open("wb") as out:
                            shutil.copyfileobj(member, out, 1 << 20)
                    _extract_7z(inner, path)
                return _parts_of_folder(folder, shown=path)
        gpkg = [n for n in names if n.lower().endswith(".gpkg")]
        csv = [n for n in names if n.lower().endswith(".csv")]
        if gpkg:
            return [(f"/vsizip/{path.resolve()}/{name}", "gpkg") for name in gpkg]
        if csv:
            return [(f"zip::{path.resolve()}::{name}", "csv") for name in csv]
        raise InputFileError(
            f"l'archive ne contient ni GeoPackage ni CSV (contenu : {', '.join(names[:5])})",
            path=str(path),
            fix="extrayez l'archive de l'INSEE (un .7z se décompresse avec 7-Zip) et "
            "indiquez le .gpkg ou le .csv, ou importez-le avec « maillage telecharger "
            "--depuis DOSSIER »",
        )
    raise InputFileError(
        "format non reconnu",
        path=str(path),
        fix="indiquez la grille Filosofi telle que publiée par l'INSEE (.gpkg, .csv ou .zip)",
    )


def _extracted_folder(archive: Path) -> Path:
    return archive.with_name(archive.name + ".d")


def _extract_7z(path: Path, published: Path) -> Path:
    """Extract a 7-Zip archive once into ``<published>.d`` (kept: the grid is large)."""
    import py7zr

    folder = _extracted_folder(published)
    done = folder / (path.name + ".extrait")
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with py7zr.SevenZipFile(path, mode="r") as archive:
            archive.extractall(path=folder)
    except (py7zr.Bad7zFile, EOFError, OSError) as err:
        raise InputFileError(
            f"archive 7z illisible ({err})",
            path=str(published),
            fix="téléchargez de nouveau la grille (« maillage telecharger --jeux filosofi "
            "--rafraichir »)",
        ) from None
    done.write_text("ok", encoding="utf-8")
    return folder


def _parts_of_folder(folder: Path, *, shown: Path) -> list[tuple[str, str]]:
    gpkg = sorted(folder.rglob("*.gpkg"))
    csv = sorted(folder.rglob("*.csv"))
    if gpkg:
        return [(str(p), "gpkg") for p in gpkg]
    if csv:
        return [(str(p), "csv") for p in csv]
    raise InputFileError(
        "l'archive 7z ne contient ni GeoPackage ni CSV",
        path=str(shown),
        fix="indiquez la grille Filosofi telle que publiée par l'INSEE",
    )


def _read_part(uri: str, kind: str, *, codes: list[str], shown: str) -> pd.DataFrame:
    if kind == "gpkg":
        return _read_gpkg(uri, codes=codes, shown=shown)
    return _read_csv(uri, codes=codes, shown=shown)


def _read_gpkg(uri: str, *, codes: list[str], shown: str) -> pd.DataFrame:
    import pyogrio

    info = pyogrio.read_info(uri)
    crs = info.get("crs")
    if crs is None or CRS.from_user_input(crs).to_epsg() not in GRID_EPSG:
        raise InputFileError(
            f"système de coordonnées {crs or 'inconnu'} au lieu d'EPSG:3035 (ETRS89-LAEA ; "
            "EPSG:5490 aux Antilles, 2975 à La Réunion), ceux des grilles Filosofi 2019 et "
            "suivantes",
            path=shown,
            fix="utilisez la grille telle que publiée par l'INSEE, ou reprojetez-la en "
            "EPSG:3035 (ogr2ogr -t_srs EPSG:3035) sans changer les colonnes",
        )
    fields = {str(name).lower(): str(name) for name in info["fields"]}
    _require(fields, shown)
    lcog = fields["lcog_geo"]
    frames = []
    # The codes are looked for in lcog_geo in SQL (no full read of France), by batches.
    for start in range(0, len(codes), 200):
        batch = codes[start : start + 200]
        where = " OR ".join(f"\"{lcog}\" LIKE '%{code}%'" for code in batch)
        frame = pyogrio.read_dataframe(uri, where=where, fid_as_index=True)
        frames.append(frame)
    table = pd.concat(frames)
    table = table[~table.index.duplicated()]
    table.columns = [str(c).lower() if c != "geometry" else c for c in table.columns]
    table["line"] = table.index.astype(int)
    return pd.DataFrame(table.drop(columns="geometry"))


def _read_csv(uri: str, *, codes: list[str], shown: str) -> pd.DataFrame:
    if uri.startswith("zip::"):
        _, archive, member = uri.split("::", 2)
        with zipfile.ZipFile(archive) as opened, opened.open(member) as handle:
            head = handle.read(4096)
            handle.seek(0)
            return _read_csv_stream(handle, head, codes=codes, shown=shown)
    opener = gzip.open if uri.lower().endswith(".gz") else open
    with opener(uri, "rb") as handle:
        head = handle.read(4096)
    return _read_csv_stream(uri, head, codes=codes, shown=shown)


def _read_csv_stream(source: object, head: bytes, *, codes: list[str], shown: str) -> pd.DataFrame:
    refuse_non_text(head, path=shown)
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    header = text.splitlines()[0] if text else ""
    separator = max((";", ",", "\t"), key=header.count)
    names = [name.strip().strip('"') for name in header.split(separator)]
    _require({name.lower(): name for name in names}, shown)
    wanted = set(codes)
    parts = []
    reader = pd.read_csv(
        source,  # type: ignore[call-overload]
        sep=separator,
        dtype=str,
        chunksize=200_000,
        compression="infer" if isinstance(source, str) else None,
    )
    offset = 2
    try:
        for chunk in reader:
            chunk.columns = [str(c).strip().lower() for c in chunk.columns]
            chunk["line"] = np.arange(offset, offset + len(chunk))
            offset += len(chunk)
            keep = chunk["lcog_geo"].fillna("").map(lambda v: bool(wanted & set(_split(v))))
            parts.append(chunk[keep])
    except pd.errors.ParserError as err:  # a row with more fields than the header
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        raise InputFileError(
            f"{found.group(3)} champs au lieu de {found.group(1)}"
            if found
            else "fichier CSV mal formé (guillemets ?)",
            path=shown,
            line=int(found.group(2)) if found else None,
            fix=f"vérifiez le séparateur « {separator} » et les guillemets de cette ligne "
            "(une virgule décimale dans un fichier séparé par des virgules ?), ou reprenez "
            "le fichier publié par l'INSEE",
        ) from None
    except UnicodeDecodeError:
        raise InputFileError(
            "le fichier n'est pas encodé en UTF-8",
            path=shown,
            fix="reprenez le fichier publié par l'INSEE, ou enregistrez-le en « CSV UTF-8 »",
        ) from None
    if not parts:
        return pd.DataFrame(columns=["idcar_200m", "ind", "lcog_geo", "line"])
    table = pd.concat(parts, ignore_index=True)
    for column in ("men", *AGE_BANDS):  # "ind" is parsed, and checked, with the cells
        if column in table:
            table[column] = parse_numbers(table[column])[0]
    return table


def _require(fields: dict[str, str], shown: str) -> None:
    missing = [name for name in ("idcar_200m", "ind", "lcog_geo") if name not in fields]
    if missing:
        raise InputFileError(
            f"colonne(s) {', '.join(missing)} absente(s) (colonnes lues : "
            f"{', '.join(list(fields.values())[:12])})",
            path=shown,
            fix="utilisez la grille Filosofi 2019 de l'INSEE (idcar_200m, ind, lcog_geo) ; "
            "si l'INSEE a changé le format, signalez-le et indiquez le fichier du millésime "
            "2019",
        )


def _split(value: object) -> list[str]:
    """Commune codes of ``lcog_geo`` (5 characters each, concatenated)."""
    text = str(value).strip() if value is not None and not pd.isna(value) else ""
    return [text[i : i + 5] for i in range(0, len(text) - len(text) % 5, 5)]


def _cells(
    raw: pd.DataFrame,
    codes: list[str],
    polygons: gpd.GeoDataFrame | None,
    rejections: Rejections,
) -> gpd.GeoDataFrame:
    if raw.empty:
        return gpd.GeoDataFrame(
            pd.DataFrame(columns=_COLUMNS), geometry=gpd.GeoSeries([], crs="EPSG:4326")
        )
    # The SQL filter of a GeoPackage matches substrings: keep exact codes only.
    raw = raw[raw["lcog_geo"].map(lambda v: bool(set(codes) & set(_split(v))))]
    rejections.rows_read += len(raw)
    centre = parse_cell_ids(raw["idcar_200m"])
    bad_id = centre["x"].isna()
    rejections.reject_rows(
        raw.loc[bad_id, "line"],
        raw.loc[bad_id, "idcar_200m"],
        column="idcar_200m",
        reason="identifiant de carreau illisible",
        fix="l'identifiant s'écrit CRS3035RES200mN<nord>E<est>",
    )
    other_crs = ~bad_id & ~centre["epsg"].isin(GRID_EPSG)
    if other_crs.any():
        first = raw.loc[other_crs, "idcar_200m"].iloc[0]
        raise InputFileError(
            f"carreaux dans un système de coordonnées inattendu (identifiant {first})",
            path=str(rejections.path),
            fix="utilisez la grille Filosofi 2019 ou suivante (EPSG:3035 ; 5490 aux Antilles, "
            "2975 à La Réunion)",
        )
    population, unreadable = numbers_or_reject(
        raw,
        "ind",
        rejections=rejections,
        what="nombre d'individus",
        fix="reprenez la ligne du fichier publié par l'INSEE",
    )
    bad_ind = ~bad_id & ~unreadable & ~(population >= 0)
    rejections.reject_rows(
        raw.loc[bad_ind, "line"],
        raw.loc[bad_ind, "ind"],
        column="ind",
        reason="nombre d'individus manquant ou négatif",
        fix="reprenez la ligne du fichier publié par l'INSEE",
    )
    ok = ~bad_id & ~bad_ind & ~unreadable
    raw, centre, population = raw[ok], centre[ok], population[ok]
    lon = np.full(len(centre), np.nan)
    lat = np.full(len(centre), np.nan)
    for epsg in centre["epsg"].unique():
        rows = (centre["epsg"] == epsg).to_numpy()
        to_wgs84 = Transformer.from_crs(f"EPSG:{int(epsg)}", "EPSG:4326", always_xy=True)
        lon[rows], lat[rows] = to_wgs84.transform(
            centre["x"].to_numpy()[rows], centre["y"].to_numpy()[rows]
        )
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), index=raw.index, crs="EPSG:4326")
    commune = _attach(raw, points, set(codes), polygons)
    keep = commune.notna()
    # A cell listing a wanted commune but lying in another one is not the territory's:
    # it is not counted as read (the SQL filter matched it on its list of communes).
    rejections.rows_read -= int((~keep).sum())
    missing_bands = [c for c in AGE_BANDS if c not in raw]
    if missing_bands:
        rejections.warn(
            f"tranches d'âge absentes ({', '.join(missing_bands)}) : population par âge inconnue"
        )
        bands = pd.DataFrame(np.nan, index=raw.index, columns=list(MAILLAGE_BANDS))
    else:
        bands = age_bands(raw.fillna({c: 0.0 for c in AGE_BANDS}))
    table = pd.DataFrame(
        {
            "origin_id": raw["idcar_200m"].astype(str).str.strip(),
            "commune": commune,
            "lcog_geo": raw["lcog_geo"].astype("string"),
            "population": population.astype(float),
            **{band: bands[band] for band in MAILLAGE_BANDS},
            "households": pd.to_numeric(raw["men"], errors="coerce") if "men" in raw else np.nan,
        },
        index=raw.index,
    )[keep]
    rejections.check_balance(len(table))
    return gpd.GeoDataFrame(
        table.reset_index(drop=True), geometry=points[keep].reset_index(drop=True)
    )


def _attach(
    raw: pd.DataFrame,
    points: gpd.GeoSeries,
    wanted: set[str],
    polygons: gpd.GeoDataFrame | None,
) -> pd.Series:
    """The commune of each cell among ``wanted`` (NA for cells of other communes).

    One code: that commune. Several: the one whose polygon holds the cell's centre, else
    the first known one.
    """
    from maillage.sources.communes import read_commune_polygons, read_communes

    known = set(read_communes()["commune"])
    listed = raw["lcog_geo"].map(_split)
    result = pd.Series(pd.NA, index=raw.index, dtype="string")
    single = listed.map(len) == 1
    result[single] = listed[single].map(lambda c: c[0])
    several = listed.map(len) > 1
    if several.any():
        shapes = (
            (polygons if polygons is not None else read_commune_polygons())
            .set_index("commune")
            .geometry
        )
        for index in raw.index[several]:
            candidates = [c for c in listed[index] if c in known] or listed[index]
            inside = [
                c for c in candidates if c in shapes.index and shapes[c].contains(points[index])
            ]
            result[index] = inside[0] if inside else candidates[0]
    return result.where(result.isin(wanted))
