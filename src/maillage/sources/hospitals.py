"""Hospitals of France from Eurostat's healthcare services dataset (2020).

Source: ``data/health/eurostat-hospitals-FR-2020.csv`` (Eurostat, eurostat/basic-services,
EUPL-1.2): ``id``, ``hospital_name``, ``lat``, ``lon``, ``facility_type``,
``public_private``, ``cap_beds`` (capacity, often empty). The file has no INSEE commune
code: each hospital is attached to the commune whose point is nearest (an approximation,
within a few kilometres at worst). A hospital farther than :data:`MAX_COMMUNE_KM` from
every commune point lies outside the communes of the reference and is rejected: the two
of Saint-Pierre-et-Miquelon (a collectivité, not a département: no commune in the COG
table), which would otherwise count as Guadeloupe's, 3,400 km away.
"""

from __future__ import annotations

from os import PathLike

import pandas as pd

from maillage._data import data_path
from maillage.services.schema import SourceResult, build_services
from maillage.services.typology import Typology, load_typology
from maillage.sources._checks import _pair, check_wgs84
from maillage.sources._csv import read_checked_csv
from maillage.sources._locate import nearest_commune
from maillage.sources._report import Rejections
from maillage.sources.communes import read_communes

COLUMNS = ["id", "hospital_name", "lat", "lon", "facility_type"]
#: Farthest a hospital may lie from its commune's point (km); the shipped file's farthest
#: within the communes is 24 km (Kourou, in Guiana's vast communes).
MAX_COMMUNE_KM = 50.0


def read_hospitals(
    path: str | PathLike[str] | None = None,
    *,
    communes: pd.DataFrame | None = None,
    typology: Typology | None = None,
) -> SourceResult:
    """Read Eurostat's hospitals; ``facility_type`` gives the BPE type via the typology.

    Parameters
    ----------
    path
        Eurostat's CSV; ``None`` for the shipped France 2020 file.
    communes
        Commune reference (``read_communes()`` by default).
    typology
        Maps ``facility_type`` (its ``eurostat`` lists) to BPE types; a facility type it
        does not list is rejected with the fix (add it to the typology).

    Returns
    -------
    SourceResult

    Examples
    --------
    >>> r = read_hospitals()
    >>> maurienne = r.services[r.services["commune"] == "73248"]
    >>> sorted(maurienne["type"].unique())
    ['D101', 'D103', 'D104']
    """
    path = data_path("health", "eurostat-hospitals-FR-2020.csv") if path is None else path
    communes = read_communes() if communes is None else communes
    typology = load_typology() if typology is None else typology
    rejections = Rejections(path)
    frame = read_checked_csv(path, separator=",", required=COLUMNS, rejections=rejections)
    located = check_wgs84(frame, lon="lon", lat="lat", rejections=rejections)
    types = frame["facility_type"].map(typology.eurostat_index())
    unknown = types.isna()
    rejections.reject_rows(
        frame.loc[located & unknown, "line"],
        frame.loc[located & unknown, "facility_type"],
        column="facility_type",
        reason="type d'établissement absent de la typologie",
        fix="ajoutez ce facility_type à la liste « eurostat » du type BPE voulu dans la typologie",
    )
    keep = located & ~unknown
    frame, types = frame[keep].copy(), types[keep]
    codes, distance_m = nearest_commune(
        frame["lon"].to_numpy(float), frame["lat"].to_numpy(float), communes
    )
    outside = distance_m > MAX_COMMUNE_KM * 1000
    rejections.reject_rows(
        frame.loc[outside, "line"],
        _pair(frame, pd.Series(outside, index=frame.index), "lon", "lat"),
        column="lon/lat",
        reason=(
            f"à plus de {MAX_COMMUNE_KM:g} km de toute commune du référentiel : hors des "
            "communes de France (Saint-Pierre-et-Miquelon, autre collectivité…)"
        ),
        fix="vérifiez les coordonnées, ou retirez cet établissement du fichier",
    )
    frame, types, codes = frame[~outside], types[~outside], codes[~outside]
    address = (
        frame.get("street", pd.Series("", index=frame.index)).fillna("")
        + ", "
        + frame.get("postcode", pd.Series("", index=frame.index)).fillna("")
        + " "
        + frame.get("city", pd.Series("", index=frame.index)).fillna("")
    )
    services = pd.DataFrame(
        {
            "service_id": "hopital:" + frame["id"],
            "type": types,
            "source_type": frame["facility_type"],
            "name": frame["hospital_name"],
            "commune": codes,
            "lon": frame["lon"],
            "lat": frame["lat"],
            "capacity": frame.get("cap_beds"),
            "address": address.str.strip(", "),
            "line": frame["line"],
        },
        index=frame.index,
    )
    return build_services(services, source="hopitaux", rejections=rejections)
