"""Gather the service points that count for a territory, from every source at hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import geopandas as gpd
import pandas as pd

from maillage.services.schema import SERVICE_CRS, SourceResult
from maillage.services.typology import Typology, load_typology
from maillage.sources.france_services import read_france_services
from maillage.sources.hospitals import read_hospitals
from maillage.sources.indicateurs import read_commune_counts
from maillage.sources.mairies import read_mairies
from maillage.territory.territory import Territory

#: The sources shipped with maillage, by name (the ``source`` column).
BUILTIN_SOURCES: dict[str, Callable[[], SourceResult]] = {
    "mairies": read_mairies,
    "france_services": read_france_services,
    "hopitaux": read_hospitals,
    "comptages": read_commune_counts,
}
#: Prefix of the ``source`` of services counted per commune (``comptages_bpe``...).
COUNTS_PREFIX = "comptages_"


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
        Results of readers of user files (BPE, OpenStreetMap, generic CSV...). Their
        points replace the per-commune counts of the same types (the typology's
        ``remplace_par``): never both.
    builtin
        Names of shipped sources to include (see :data:`BUILTIN_SOURCES`).
    typology
        Gives each service's ``family`` and ``gamme`` (shipped typology by default).

    Returns
    -------
    geopandas.GeoDataFrame
        The service columns plus ``family``, ``gamme`` and ``zone`` (``"territoire"`` or
        ``"couronne"``), EPSG:4326.

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> s = territory_services(pays_de_maurienne())
    >>> int(((s["zone"] == "territoire") & (s["type"] == "A128")).sum())
    5
    """
    typology = load_typology() if typology is None else typology
    tables = [builtin_services(name) for name in builtin]
    given = {str(t) for result in extra for t in result.services["type"].dropna().unique()}
    replaced = typology.replaced_counts(given)
    tables = [
        table[~(table["source"].str.startswith(COUNTS_PREFIX) & table["type"].isin(replaced))]
        for table in tables
    ]
    tables += [result.services for result in extra]
    services = pd.concat(tables, ignore_index=True)
    zones = territory.all_communes().set_index("commune")["zone"]
    services["zone"] = services["commune"].map(zones)
    services = services[services["zone"].notna()].reset_index(drop=True)
    types = typology.types.set_index("type")
    services["family"] = services["type"].map(types["family"]).astype("string")
    services["gamme"] = services["type"].map(types["gamme"]).astype("string")
    return gpd.GeoDataFrame(services, geometry="geometry", crs=SERVICE_CRS)
