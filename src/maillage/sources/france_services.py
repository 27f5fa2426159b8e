"""France Services sites from ANCT's published list, with their hours per weekday.

Source: ``data/france-services/liste-france-services-2024-08-01.csv`` (ANCT,
anct-carto/france_services, Licence Ouverte 2.0): one row per site with ``latitude``,
``longitude``, ``insee_com``, ``h_lundi`` … ``h_samedi`` (``"09:00 - 12:00 / 13:30 - 17:00"``),
``type_fs`` (Principal / Antenne) and ``format_fs`` (Fixe, Bus_équivalent, Itinérante,
Multisites, Fixe_antenne(s)).
"""

from __future__ import annotations

from os import PathLike

import pandas as pd

from maillage._data import data_path
from maillage.services.opening_hours import FRENCH_DAYS, OpeningHoursError, WeeklyHours
from maillage.services.schema import SourceResult, build_services
from maillage.services.typology import FRANCE_SERVICES_TYPE
from maillage.sources._checks import check_commune_codes, check_wgs84
from maillage.sources._csv import read_checked_csv
from maillage.sources._report import Rejections
from maillage.sources.communes import former_commune_codes, read_communes

DAY_COLUMNS = {f"h_{day}": number for number, day in enumerate(FRENCH_DAYS[:6])}
COLUMNS = ["id_fs", "lib_fs", "insee_com", "latitude", "longitude", *DAY_COLUMNS]
#: Formats of sites that move (a bus, itinerant staff): their point is one stop among several.
MOBILE_FORMATS = {"Bus_équivalent", "Itinérante"}


def read_france_services(
    path: str | PathLike[str] | None = None, *, communes: pd.DataFrame | None = None
) -> SourceResult:
    """Read ANCT's list of France Services (type ``A128``).

    ``source_type`` is ``"france_services/<type_fs>/<format_fs>"`` so that antennas and
    mobile sites (bus, itinerant) can be told apart.

    Parameters
    ----------
    path
        The ANCT CSV (``,``-separated, UTF-8); ``None`` for the shipped 2024-08-01 list.
    communes
        Commune reference (``read_communes()`` by default).

    Returns
    -------
    SourceResult

    Examples
    --------
    >>> r = read_france_services()
    >>> savoie = r.services[r.services["commune"].str.startswith("73")]
    >>> len(savoie), savoie.set_index("commune").loc["73157", "name"]
    (31, 'France services Modane')
    """
    path = (
        data_path("france-services", "liste-france-services-2024-08-01.csv")
        if path is None
        else path
    )
    communes = read_communes() if communes is None else communes
    rejections = Rejections(path)
    frame = read_checked_csv(
        path,
        separator=",",
        required=COLUMNS,
        rejections=rejections,
        fix_columns="utilisez la liste publiée par l'ANCT (colonnes id_fs, lib_fs, insee_com, "
        "latitude, longitude, h_lundi … h_samedi)",
    )
    known = check_commune_codes(
        frame,
        column="insee_com",
        known=set(communes["commune"]),
        former=former_commune_codes(),
        rejections=rejections,
    )
    located = check_wgs84(frame, lon="longitude", lat="latitude", rejections=rejections)
    frame = frame[known & located].copy()
    hours = frame.apply(lambda row: _hours(row, rejections), axis=1)
    kind = frame.get("type_fs", pd.Series("", index=frame.index)).fillna("")
    form = frame.get("format_fs", pd.Series("", index=frame.index)).fillna("")
    address = frame.get("adresse", pd.Series(pd.NA, index=frame.index)).fillna("")
    town = frame.get("lib_com", pd.Series(pd.NA, index=frame.index)).fillna("")
    services = pd.DataFrame(
        {
            "service_id": "fs:" + frame["id_fs"],
            "type": FRANCE_SERVICES_TYPE,
            "source_type": "france_services/" + kind + "/" + form,
            "name": frame["lib_fs"],
            "commune": frame["insee_com"],
            "lon": frame["longitude"],
            "lat": frame["latitude"],
            "address": (address + ", " + town).str.strip(", "),
            "line": frame["line"],
        },
        index=frame.index,
    )
    return build_services(services, source="france_services", rejections=rejections, hours=hours)


def _hours(row: pd.Series, rejections: Rejections) -> WeeklyHours | None:
    days = {number: row[column] for column, number in DAY_COLUMNS.items()}
    days = {d: (None if pd.isna(v) else str(v)) for d, v in days.items()}
    try:
        return WeeklyHours.from_france_services(days)
    except OpeningHoursError as err:
        rejections.warn(
            f"horaires ignorés : {err}",
            line=int(row["line"]),
            fix="écrivez les plages sous la forme « 09:00 - 12:00 / 13:30 - 17:00 »",
        )
        return None
