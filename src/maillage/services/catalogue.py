"""Gather the service points that count for a territory, from every source at hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import geopandas as gpd
import pandas as pd

from maillage.notes import Note
from maillage.services.schema import SERVICE_CRS, SourceResult
from maillage.services.typology import Typology, load_typology
from maillage.sources.france_services import read_france_services
from maillage.sources.hospitals import read_hospitals
from maillage.sources.mairies import read_mairies
from maillage.territory.territory import Territory

#: The sources shipped with maillage, by name (the ``source`` column).
BUILTIN_SOURCES: dict[str, Callable[[], SourceResult]] = {
    "mairies": read_mairies,
    "france_services": read_france_services,
    "hopitaux": read_hospitals,
}


@cache
def _builtin_services(name: str) -> gpd.GeoDataFrame:
    return BUILTIN_SOURCES[name]().services


def builtin_services(name: str) -> gpd.GeoDataFrame:
    """The accepted services of a shipped source, read once per process (a copy).

    Examples
    --------
    >>> int((builtin_services("france_services")["type"] == "A128").sum()) > 2800
    True
    """
    return _builtin_services(name).copy()


def territory_services(
    territory: Territory,
    *,
    extra: Sequence[SourceResult] = (),
    builtin: Sequence[str] = tuple(BUILTIN_SOURCES),
    typology: Typology | None = None,
) -> gpd.GeoDataFrame:
    """The services located in the territory or its buffer ring, with family and zone.

    Parameters
    ----------
    territory
        The study territory.
    extra
        Results of readers of user files (BPE, OpenStreetMap, generic CSV...).
    builtin
        Names of shipped sources to include (see :data:`BUILTIN_SOURCES`).
    typology
        Gives each service's ``family`` and ``gamme`` (shipped typology by default).

    Returns
    -------
    geopandas.GeoDataFrame
        The service columns plus ``family``, ``gamme`` and ``zone`` (``"territoire"`` or
        ``"couronne"``), EPSG:4326. A service given twice (a user's copy of a shipped
        list: same ``service_id``, type and point) is kept once; two different services
        sharing an id (two BPE files both have ``bpe:12``) are both kept, the later one's
        id suffixed with ``#2``, ``#3``...

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> s = territory_services(pays_de_maurienne())
    >>> int(((s["zone"] == "territoire") & (s["type"] == "A128")).sum())
    5
    """
    typology = load_typology() if typology is None else typology
    tables = [builtin_services(name) for name in builtin]
    tables += [result.services for result in extra]
    services = _unique_ids(pd.concat(tables, ignore_index=True))
    zones = territory.all_communes().set_index("commune")["zone"]
    services["zone"] = services["commune"].map(zones)
    services = services[services["zone"].notna()].reset_index(drop=True)
    types = typology.types.set_index("type")
    services["family"] = services["type"].map(types["family"]).astype("string")
    services["gamme"] = services["type"].map(types["gamme"]).astype("string")
    return gpd.GeoDataFrame(services, geometry="geometry", crs=SERVICE_CRS)


def _unique_ids(services: pd.DataFrame) -> pd.DataFrame:
    """Drop exact repeats of a service; make the ids of different services unique.

    Examples
    --------
    >>> t = pd.DataFrame({"service_id": ["fs:1", "fs:1", "bpe:2", "bpe:2"],
    ...                   "type": ["A128", "A128", "D307", "D502"],
    ...                   "lon": [6.3, 6.3, 6.4, 6.5], "lat": [45.2, 45.2, 45.3, 45.3]})
    >>> _unique_ids(t)["service_id"].tolist()
    ['fs:1', 'bpe:2', 'bpe:2#2']
    """
    ids = services["service_id"].astype(str)
    if not ids.duplicated().any():
        return services
    key = pd.DataFrame(
        {
            "id": ids,
            "type": services["type"].astype(str),
            "lon": services["lon"].astype(float).round(6),
            "lat": services["lat"].astype(float).round(6),
        }
    )
    services = services.loc[~key.duplicated().to_numpy()].reset_index(drop=True)
    ids = services["service_id"].astype(str)
    rank = ids.groupby(ids).cumcount()
    services["service_id"] = ids.where(rank == 0, ids + "#" + (rank + 1).astype(str))
    return services


def types_without_data(
    services: pd.DataFrame, typology: Typology, *, codes: Sequence[str] | None = None
) -> dict[str, list[str]]:
    """The types of the schéma's families (or ``codes``) with no service at all, by family.

    A type without a single service in the territory or its ring has no data: its travel
    times are unknown, not long, and a siting for it starts from nothing. Types outside
    the families are listed under ``"hors_famille"``.

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> t = load_typology()
    >>> services = territory_services(pays_de_maurienne())
    >>> missing = types_without_data(services, t)
    >>> "D265" in missing["soins"], "A128" in missing["social_emploi"]
    (True, False)
    >>> types_without_data(services, t, codes=["D265", "A129"])
    {'soins': ['D265']}
    """
    present = set(services["type"].dropna().astype(str))
    table = typology.types
    if codes is None:
        table = table[table["family"].notna()]
    else:
        table = table[table["type"].isin(list(codes))]
    missing: dict[str, list[str]] = {}
    for code, family in zip(table["type"], table["family"], strict=True):
        if code not in present:
            missing.setdefault("hors_famille" if pd.isna(family) else str(family), []).append(
                str(code)
            )
    return missing


def no_data_note(code: str, typology: Typology) -> Note:
    """The note of a type without data (``type_without_data``, for ``implanter`` and
    ``scenario``; said in French by :func:`maillage.outputs.french.note_text`).

    Examples
    --------
    >>> no_data_note("D265", load_typology())
    Note(code='type_without_data', params={'type': 'D265', 'label': 'MÉDECIN GÉNÉRALISTE'})
    """
    label = typology.label_of(pd.Series([code])).iloc[0]
    return Note("type_without_data", {"type": code, "label": None if pd.isna(label) else label})
