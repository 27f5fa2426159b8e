"""The common schema of service points, whatever their source.

Every source reader returns a :class:`SourceResult`: a GeoDataFrame of service
points with :data:`SERVICE_COLUMNS` (WGS84, EPSG:4326), the rejected-rows table and
the warnings.

``type`` is the INSEE BPE 2025 equipment code (``TYPEQU``) that the typology gives to
the source's own type, so that one vocabulary serves all sources (``A129`` town hall,
``A128`` France Services, ``D307`` pharmacy...); ``source_type`` keeps the source's own
code or tag. ``seasonal`` is ``"summer"`` or ``"winter"`` (:data:`maillage.schema.SEASONS`)
for a service open in one season only (OpenStreetMap's ``seasonal`` tag, a ``saison``
column), NA when open all year.
``address`` and ``accessibility`` (the source's step-free access code, as
published) are filled where the source has them. ``position`` says how the point was
located: ``"source"`` (coordinates
given by the source) or ``"commune"`` (no coordinates: placed at the commune's point).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from maillage.schema import SUMMER, WINTER
from maillage.services.opening_hours import WeeklyHours
from maillage.sources._report import Problem, Rejections

SERVICE_CRS = "EPSG:4326"

#: Columns of every service table, in order (``geometry`` last).
SERVICE_COLUMNS = [
    "service_id",
    "type",
    "source_type",
    "name",
    "commune",
    "lon",
    "lat",
    "source",
    "capacity",
    "opening_hours",
    "hours_per_week",
    "open_saturday",
    "seasonal",
    "address",
    "accessibility",
    "position",
    "line",
]


@dataclass
class SourceResult:
    """What a source reader returns.

    Attributes
    ----------
    services
        Accepted service points, :data:`SERVICE_COLUMNS` plus ``geometry`` (EPSG:4326).
    rejected
        Rows that could not be used, one per row, with ``fichier, ligne, colonne,
        valeur, raison, correction``.
    warnings
        Problems that did not prevent use (encoding, separator, approximations).
    rows_read
        Records read from the file (accepted + rejected).
    path
        The file read (``None`` when not known).

    Examples
    --------
    >>> from maillage.sources.france_services import read_france_services
    >>> result = read_france_services()
    >>> result.rows_read == len(result.services) + len(result.rejected)
    True
    >>> result.services.crs.to_epsg(), result.services["type"].unique().tolist()
    (4326, ['A128'])
    """

    services: gpd.GeoDataFrame
    rejected: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    path: str | None = None


_SEASON_WORDS = {
    SUMMER: ("summer", "ete", "été", "estival", "estivale"),
    WINTER: ("winter", "hiver", "hivernal", "hivernale"),
}


def normalize_season(values: pd.Series) -> pd.Series:
    """``"summer"``, ``"winter"`` or NA from OSM's ``seasonal`` values or French words.

    Examples
    --------
    >>> normalize_season(pd.Series(["summer", "Été", "hiver", "no", None])).tolist()
    ['summer', 'summer', 'winter', <NA>, <NA>]
    """
    text = values.astype("string").str.strip().str.lower()
    result = pd.Series(pd.NA, index=values.index, dtype="string")
    for season, words in _SEASON_WORDS.items():
        result[text.isin(words).fillna(False).astype(bool)] = season
    return result


def empty_services() -> gpd.GeoDataFrame:
    """An empty service table with the right columns and CRS.

    Examples
    --------
    >>> empty = empty_services()
    >>> len(empty), empty.crs.to_epsg(), list(empty.columns) == [*SERVICE_COLUMNS, "geometry"]
    (0, 4326, True)
    """
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype="object") for c in SERVICE_COLUMNS},
        geometry=gpd.GeoSeries([], crs=SERVICE_CRS),
        crs=SERVICE_CRS,
    )


def build_services(
    frame: pd.DataFrame,
    *,
    source: str,
    rejections: Rejections,
    hours: pd.Series | None = None,
) -> SourceResult:
    """Finish a service table: check id uniqueness, add hours columns and geometry.

    Parameters
    ----------
    frame
        At least ``service_id, type, source_type, name, commune, lon, lat, line``;
        missing optional columns are added empty.
    source
        Name of the source, written in the ``source`` column.
    rejections
        The file's collector; duplicate ids are rejected into it (the first is kept).
    hours
        Optional :class:`WeeklyHours` (or ``None``) per row, aligned on ``frame``.

    Returns
    -------
    SourceResult

    Raises
    ------
    AccountingError
        The rows read are not the accepted plus the rejected ones, each counted once.
    """
    frame = frame.copy()
    for column in SERVICE_COLUMNS:
        if column not in frame.columns:
            frame[column] = pd.NA
    frame["source"] = source
    duplicated = frame["service_id"].duplicated(keep="first")
    if duplicated.any():
        rejections.reject_rows(
            frame.loc[duplicated, "line"],
            frame.loc[duplicated, "service_id"],
            column="id",
            reason="identifiant en double (la première occurrence est gardée)",
            fix="donnez un identifiant unique à chaque service",
        )
        frame = frame.loc[~duplicated]
        if hours is not None:
            hours = hours.loc[frame.index]
    if hours is not None:
        parsed = [h if isinstance(h, WeeklyHours) else None for h in hours]
        frame["opening_hours"] = [h.to_osm() if h is not None else pd.NA for h in parsed]
        frame["hours_per_week"] = [
            h.hours_per_week() if h is not None else float("nan") for h in parsed
        ]
        frame["open_saturday"] = pd.array(
            [h.is_open_on(5) if h is not None else pd.NA for h in parsed], dtype="boolean"
        )
    frame["seasonal"] = normalize_season(frame["seasonal"])
    frame["position"] = frame["position"].fillna("source")
    frame["lon"] = frame["lon"].astype(float)
    frame["lat"] = frame["lat"].astype(float)
    frame["capacity"] = pd.to_numeric(frame["capacity"], errors="coerce")
    frame["hours_per_week"] = pd.to_numeric(frame["hours_per_week"], errors="coerce")
    rejections.check_balance(len(frame))
    services = gpd.GeoDataFrame(
        frame[SERVICE_COLUMNS].reset_index(drop=True),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=SERVICE_CRS,
    )
    return SourceResult(
        services=services,
        rejected=rejections.frame(),
        warnings=list(rejections.warnings),
        rows_read=rejections.rows_read,
        path=str(rejections.path),
    )
