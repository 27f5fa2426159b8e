"""Row checks shared by the readers: coordinates and commune codes.

Each check takes a DataFrame with a ``line`` column, records the rows it refuses in a
:class:`~maillage.sources._report.Rejections` with the reason and the fix, and returns
the boolean mask of the rows that pass.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
from pyproj import Transformer

from maillage.sources._numbers import numbers_or_reject
from maillage.sources._report import Rejections

_FIX_WGS = "écrivez des degrés décimaux, ex. 45,2769 ou 45.2769 (sans unité ni symbole de degré)"
_FIX_L93 = "écrivez des mètres, ex. 962512,6 ou 962 512,6 (sans unité)"

#: WGS84 boxes (lon min, lat min, lon max, lat max) of France's territories.
FRANCE_BOXES_WGS84: dict[str, tuple[float, float, float, float]] = {
    "France métropolitaine": (-5.6, 41.2, 9.8, 51.3),
    "Guadeloupe": (-61.9, 15.8, -60.9, 16.6),
    "Martinique": (-61.3, 14.3, -60.8, 14.9),
    "Guyane": (-54.7, 2.0, -51.5, 5.9),
    "La Réunion": (55.2, -21.5, 55.9, -20.8),
    "Mayotte": (44.9, -13.1, 45.4, -12.6),
    "Saint-Pierre-et-Miquelon": (-56.5, 46.7, -56.1, 47.2),
    "Saint-Barthélemy": (-62.95, 17.85, -62.78, 17.97),
    "Saint-Martin": (-63.2, 18.0, -62.9, 18.2),
}

#: Metre coordinates of the INSEE BPE: Lambert-93 in metropolitan France, a local
#: projection in each overseas département (INSEE's documentation of the BPE).
BPE_CRS_BY_DEPARTEMENT: dict[str, str] = {
    "971": "EPSG:5490",  # RGAF09 / UTM 20N (Guadeloupe)
    "972": "EPSG:5490",  # RGAF09 / UTM 20N (Martinique)
    "973": "EPSG:2972",  # RGFG95 / UTM 22N (Guyane)
    "974": "EPSG:2975",  # RGR92 / UTM 40S (La Réunion)
    "976": "EPSG:4471",  # RGM04 / UTM 38S (Mayotte)
}
LAMBERT93 = "EPSG:2154"
_L93_X = (50_000.0, 1_300_000.0)
_L93_Y = (6_000_000.0, 7_200_000.0)

#: Paris, Lyon and Marseille: municipal arrondissements (used by IRIS and some files)
#: and the commune they belong to.
PLM_ARRONDISSEMENTS: dict[str, str] = {
    **{f"751{n:02d}": "75056" for n in range(1, 21)},
    **{f"6938{n}": "69123" for n in range(1, 10)},
    **{f"132{n:02d}": "13055" for n in range(1, 17)},
}


def in_france(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Whether each WGS84 point lies in one of :data:`FRANCE_BOXES_WGS84`.

    Examples
    --------
    >>> in_france(np.array([6.35, 45.28]), np.array([45.28, 6.35])).tolist()
    [True, False]
    """
    inside = np.zeros(len(lon), dtype=bool)
    for x0, y0, x1, y1 in FRANCE_BOXES_WGS84.values():
        inside |= (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    return inside


#: Metre systems a file from the field is written in, tried in this order.
_METRE_SYSTEMS = {
    "EPSG:2154": "Lambert-93, EPSG:2154 ?",
    "EPSG:3857": "Web Mercator, EPSG:3857 ?",
}


def metre_system(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For metre coordinates found in degree columns, the system that puts each point in
    France, said for a message (``"Lambert-93 ?"`` when none does).

    Examples
    --------
    >>> metre_system(np.array([962168.9, 706722.9, 6469703.8]),
    ...              np.array([6469703.8, 5665219.6, 962168.9])).tolist()
    ['Lambert-93, EPSG:2154 ?', 'Web Mercator, EPSG:3857 ?', 'Lambert-93 avec x et y inversés ?']
    """
    guess = np.full(len(x), "Lambert-93 ?", dtype=object)
    if not len(x):
        return guess
    found = np.zeros(len(x), dtype=bool)
    for code, label in [*_METRE_SYSTEMS.items(), ("swapped", "")]:
        a, b = (y, x) if code == "swapped" else (x, y)
        transformer = Transformer.from_crs(
            "EPSG:2154" if code == "swapped" else code, "EPSG:4326", always_xy=True
        )
        lon, lat = transformer.transform(a, b, errcheck=False)
        inside = in_france(np.asarray(lon), np.asarray(lat)) & ~found
        guess[inside] = label or "Lambert-93 avec x et y inversés ?"
        found |= inside
    return guess


def check_wgs84(
    frame: pd.DataFrame,
    *,
    lon: str,
    lat: str,
    rejections: Rejections,
    missing_ok: bool = False,
) -> pd.Series:
    """Check longitude/latitude columns; reject impossible, swapped or foreign points.

    Parameters
    ----------
    frame
        Rows to check, with a ``line`` column.
    lon, lat
        Column names (text or numbers; a decimal comma is accepted).
    rejections
        Where refused rows go, each with its reason and fix.
    missing_ok
        Rows without coordinates pass (the caller places them otherwise).

    Returns
    -------
    pandas.Series
        Boolean mask of the rows that pass; ``frame[lon]`` and ``frame[lat]`` are
        converted to floats in place.
    """
    x, bad_x = numbers_or_reject(frame, lon, rejections=rejections, what="longitude", fix=_FIX_WGS)
    y, bad_y = numbers_or_reject(frame, lat, rejections=rejections, what="latitude", fix=_FIX_WGS)
    unreadable = bad_x | bad_y
    frame[lon], frame[lat] = x, y
    missing = (x.isna() | y.isna()) & ~unreadable
    metres = ~missing & ((x.abs() > 180) | (y.abs() > 90))
    inside = pd.Series(in_france(x.to_numpy(), y.to_numpy()), index=frame.index)
    swapped_inside = pd.Series(in_france(y.to_numpy(), x.to_numpy()), index=frame.index)
    swapped = ~missing & ~unreadable & ~metres & ~inside & swapped_inside
    outside = ~missing & ~unreadable & ~metres & ~inside & ~swapped_inside

    def both(mask: pd.Series) -> pd.Series:
        return _pair(frame, mask, lon, lat)

    guesses = metre_system(x[metres].to_numpy(float), y[metres].to_numpy(float))
    for system in dict.fromkeys(guesses):
        rows = metres[metres].index[guesses == system]
        rejections.reject_rows(
            frame.loc[rows, "line"],
            both(metres).loc[rows],
            column=f"{lon}/{lat}",
            reason=f"coordonnées en mètres ({system}) dans des colonnes de degrés WGS84",
            fix="convertissez en longitude/latitude WGS84 (EPSG:4326) ou fournissez le "
            "fichier avec des colonnes x/y et son système de coordonnées (option --crs)",
        )
    rejections.reject_rows(
        frame.loc[swapped, "line"],
        both(swapped),
        column=f"{lon}/{lat}",
        reason="longitude et latitude inversées (le point tombe hors de France, "
        "il y serait en les échangeant)",
        fix=f"échangez les colonnes « {lon} » et « {lat} »",
    )
    rejections.reject_rows(
        frame.loc[outside, "line"],
        both(outside),
        column=f"{lon}/{lat}",
        reason="point hors de France",
        fix="vérifiez les coordonnées (degrés décimaux WGS84, point comme séparateur décimal)",
    )
    if not missing_ok:
        rejections.reject_rows(
            frame.loc[missing, "line"],
            [None] * int(missing.sum()),
            column=f"{lon}/{lat}",
            reason="coordonnées manquantes",
            fix="renseignez la longitude et la latitude",
        )
    ok = ~(metres | swapped | outside | unreadable)
    return ok if missing_ok else ok & ~missing


def projected_to_wgs84(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    crs_by_row: pd.Series,
    rejections: Rejections,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Convert projected metre coordinates (Lambert-93 or overseas UTM) to WGS84.

    Rows whose coordinates are missing pass with NaN (the caller decides); rows with
    degrees in metre columns, swapped X/Y, or landing outside France are rejected.

    Returns
    -------
    tuple of pandas.Series
        Longitude, latitude (WGS84) and the boolean mask of rows that pass.

    Examples
    --------
    Saint-Jean-de-Maurienne's town hall in Lambert-93:

    >>> r = Rejections("bpe.csv")
    >>> f = pd.DataFrame({"X": ["962876"], "Y": ["6469766"], "line": [2]})
    >>> lon, lat, ok = projected_to_wgs84(f, x="X", y="Y",
    ...     crs_by_row=pd.Series(["EPSG:2154"]), rejections=r)
    >>> round(float(lon[0]), 3), round(float(lat[0]), 3), bool(ok[0])
    (6.354, 45.277, True)
    """
    xs, bad_x = numbers_or_reject(frame, x, rejections=rejections, what="coordonnée", fix=_FIX_L93)
    ys, bad_y = numbers_or_reject(frame, y, rejections=rejections, what="coordonnée", fix=_FIX_L93)
    unreadable = bad_x | bad_y
    missing = (xs.isna() | ys.isna()) & ~unreadable
    lon = pd.Series(np.nan, index=frame.index)
    lat = pd.Series(np.nan, index=frame.index)
    degrees = ~missing & (xs.abs() <= 180) & (ys.abs() <= 90)
    metro = crs_by_row.to_numpy() == LAMBERT93
    in_x = xs.between(*_L93_X) & ys.between(*_L93_Y)
    swapped = ~missing & ~degrees & metro & ~in_x & ys.between(*_L93_X) & xs.between(*_L93_Y)

    def label(mask: pd.Series) -> pd.Series:
        return _pair(frame, mask, x, y)

    rejections.reject_rows(
        frame.loc[degrees, "line"],
        label(degrees),
        column=f"{x}/{y}",
        reason="coordonnées en degrés (WGS84 ?) dans des colonnes en mètres Lambert-93 (EPSG:2154)",
        fix="fournissez des coordonnées Lambert-93 en mètres, ou lisez le fichier au format "
        "csv générique avec des colonnes lon/lat",
    )
    rejections.reject_rows(
        frame.loc[swapped, "line"],
        label(swapped),
        column=f"{x}/{y}",
        reason="X et Y inversés (X ressemble à une ordonnée Lambert-93 et Y à une abscisse)",
        fix=f"échangez les colonnes « {x} » et « {y} »",
    )
    todo = ~missing & ~degrees & ~swapped & ~unreadable
    for crs in pd.unique(crs_by_row[todo]):
        rows = todo & (crs_by_row == crs)
        transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        lon[rows], lat[rows] = transformer.transform(xs[rows].to_numpy(), ys[rows].to_numpy())
    outside = todo & ~pd.Series(in_france(lon.to_numpy(), lat.to_numpy()), index=frame.index)
    rejections.reject_rows(
        frame.loc[outside, "line"],
        label(outside),
        column=f"{x}/{y}",
        reason="point hors de France après conversion depuis Lambert-93",
        fix="vérifiez les coordonnées et leur système (Lambert-93 en métropole, UTM locale "
        "outre-mer)",
    )
    return lon, lat, ~(degrees | swapped | outside | unreadable)


def check_commune_codes(
    frame: pd.DataFrame,
    *,
    column: str,
    known: Collection[str],
    rejections: Rejections,
    former: Collection[str] = (),
) -> pd.Series:
    """Normalise INSEE commune codes in place and reject unknown ones.

    A code that lost its leading zero (``1001`` for ``01001``, as spreadsheets do) is
    padded with a warning; an arrondissement of Paris, Lyon or Marseille is mapped to its
    commune; a code unknown to the commune table (a typo, or a commune merged into a
    *commune nouvelle* since) is rejected and listed; codes in ``former`` (communes of an
    older COG merged since) are rejected with that reason.

    Returns
    -------
    pandas.Series
        Boolean mask of the rows whose code is known.

    Examples
    --------
    >>> r = Rejections("f.csv")
    >>> f = pd.DataFrame({"com": ["1001", "75108", "73999"], "line": [2, 3, 4]})
    >>> check_commune_codes(f, column="com", known={"01001", "75056"}, rejections=r).tolist()
    [True, True, False]
    >>> f["com"].tolist(), r.rejected[0].line
    (['01001', '75056', '73999'], 4)
    """
    codes = frame[column].astype("string").str.strip().str.upper()
    decimal = codes.str.fullmatch(r"\d{4,5}[.,]0+").fillna(False)
    if decimal.any():
        rejections.warn(
            f"{int(decimal.sum())} code(s) commune écrit(s) comme un nombre décimal "
            "(ex. 73248.0) : la partie décimale est retirée",
            line=int(frame.loc[decimal, "line"].iloc[0]),
            column=column,
            value=codes[decimal].iloc[0],
            fix="importez ou exportez la colonne en texte",
        )
        codes = codes.where(~decimal, codes.str.replace(r"[.,]0+$", "", regex=True))
    short = codes.str.fullmatch(r"\d{4}").fillna(False)
    if short.any():
        first = frame.loc[short, "line"].iloc[0]
        rejections.warn(
            f"{int(short.sum())} code(s) commune sur 4 chiffres complété(s) par un zéro "
            "initial (perdu par un tableur)",
            line=int(first),
            column=column,
            fix="importez la colonne en texte dans votre tableur",
        )
        codes = codes.where(~short, "0" + codes)
    codes = codes.replace(PLM_ARRONDISSEMENTS)
    frame[column] = codes
    known_mask = _member(codes, known)
    missing = codes.isna()
    rejections.reject_rows(
        frame.loc[missing, "line"],
        [None] * int(missing.sum()),
        column=column,
        reason="code commune manquant",
        fix="renseignez le code INSEE de la commune (5 caractères, ex. 73248)",
    )
    merged = ~known_mask & ~missing & _member(codes, former)
    rejections.reject_rows(
        frame.loc[merged, "line"],
        codes[merged],
        column=column,
        reason="commune fusionnée : ce code du COG 2024 n'existe plus dans le code officiel "
        "géographique en vigueur",
        fix="remplacez-le par le code de la commune nouvelle (insee.fr, « Code officiel "
        "géographique », historique des communes)",
    )
    corsica = ~known_mask & ~missing & ~merged & codes.str.fullmatch(r"20\d{3}").fillna(False)
    wanted = set(known)
    for index in corsica[corsica].index:
        code = str(codes[index])
        now = [c for c in ("2A" + code[2:], "2B" + code[2:]) if c in wanted]
        if not now:
            corsica[index] = False
            continue
        rejections.reject(
            line=int(frame.loc[index, "line"]),
            column=column,
            value=code,
            reason="ancien code corse (avant 1976) : les communes de Corse ont des codes "
            "2A (Corse-du-Sud) ou 2B (Haute-Corse)",
            fix=f"remplacez-le par {' ou '.join(now)}",
        )
    unknown = ~known_mask & ~missing & ~merged & ~corsica
    rejections.reject_rows(
        frame.loc[unknown, "line"],
        codes[unknown],
        column=column,
        reason="code commune inconnu du code officiel géographique (faute de frappe, "
        "collectivité d'outre-mer hors COG, ou commune fusionnée avant 2024)",
        fix="remplacez-le par le code INSEE en vigueur (insee.fr, « Code officiel "
        "géographique », historique des communes)",
    )
    return known_mask


def _member(codes: pd.Series, values: Collection[str]) -> pd.Series:
    """``codes.isin(values)`` through a Python set (Arrow strings' ``isin`` is slow here)."""
    wanted = set(values)
    return pd.Series(
        [code in wanted for code in codes.to_numpy(dtype=object, na_value=None)],
        index=codes.index,
        dtype=bool,
    )


def _pair(frame: pd.DataFrame, mask: pd.Series, first: str, second: str) -> pd.Series:
    """The two coordinate texts of the masked rows, as ``"x ; y"`` for messages."""
    return frame.loc[mask, first].astype(str) + " ; " + frame.loc[mask, second].astype(str)
