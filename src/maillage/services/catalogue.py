"""Gather the service points that count for a territory, from every source at hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import geopandas as gpd
import pandas as pd

from maillage.notes import Note
from maillage.schema import TERRITORY
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
#: Producer and vintage of each source, as said to users (French).
SOURCE_LABELS: dict[str, str] = {
    "mairies": "Annuaire de l'administration (DILA), ~2024",
    "france_services": "ANCT, liste des France Services du 2024-08-01",
    "hopitaux": "Eurostat, établissements de santé 2020",
    "comptages_bpe": "INSEE, BPE 2024 (comptages par commune)",
    "comptages_caf_places": "CNAF, places d'accueil du jeune enfant 2020",
    "comptages_ecoles": "Éducation nationale, écoles et collèges 2024",
    "bpe": "INSEE, BPE (fichier de l'utilisateur)",
    "osm": "OpenStreetMap (fichier de l'utilisateur)",
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
        The service columns plus ``family``, ``gamme`` and ``zone`` (``"territory"`` or
        ``"ring"``: :data:`~maillage.schema.TERRITORY`, :data:`~maillage.schema.RING`),
        EPSG:4326. A service given twice (a user's copy of a shipped list: same
        ``service_id``, type and point) is kept once; two different services
        sharing an id (two BPE files both have ``bpe:12``) are both kept, the later one's
        id suffixed with ``#2``, ``#3``...

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> s = territory_services(pays_de_maurienne())
    >>> int(((s["zone"] == "territory") & (s["type"] == "A128")).sum())
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


def counted_by_family(services: pd.DataFrame, typology: Typology | None = None) -> pd.DataFrame:
    """What each family counts: its types, their source and vintage, points or counts.

    Parameters
    ----------
    services
        :func:`territory_services`'s table (``type``, ``family``, ``source``,
        ``position``; ``zone`` when present: the territory's services only).
    typology
        Gives the types' labels and rules (the shipped one by default).

    Returns
    -------
    pandas.DataFrame
        One row per family, type and source: ``family``, ``type``, ``label``, ``source``,
        ``source_label`` (producer and vintage), ``counted`` (``"points"``: located
        services; ``"comptages communaux"``: *n* per commune at its chef-lieu),
        ``services``, ``rule``. A family without any service has one row with NA type
        and 0 services.

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> t = counted_by_family(territory_services(pays_de_maurienne()))
    >>> row = t[t["type"] == "D307"].iloc[0]
    >>> row["family"], row["counted"], row["source_label"], int(row["services"])
    ('soins', 'comptages communaux', 'INSEE, BPE 2024 (comptages par commune)', 20)
    """
    typology = load_typology() if typology is None else typology
    table = services
    if "zone" in table:
        table = table[table["zone"] == TERRITORY]
    table = table.dropna(subset=["family"])
    counted = table["source"].astype(str).str.startswith(COUNTS_PREFIX)
    grouped = (
        table.assign(counted=counted.map({True: "comptages communaux", False: "points"}))
        .groupby(["family", "type", "source", "counted"], observed=True)
        .size()
        .rename("services")
        .reset_index()
    )
    types = typology.types.set_index("type")
    grouped["label"] = grouped["type"].map(types["label"])
    rules = {rule.type: rule.rule for rule in typology.counts}
    from_counts = grouped["source"].astype(str).str.startswith(COUNTS_PREFIX)
    grouped["rule"] = grouped["type"].map(types["rule"]).fillna("")
    grouped.loc[from_counts, "rule"] = grouped.loc[from_counts, "type"].map(rules).fillna("")
    grouped["source_label"] = grouped["source"].map(SOURCE_LABELS).fillna(grouped["source"])
    empty = [f for f in typology.family_labels if f not in set(grouped["family"])]
    if empty:
        grouped = pd.concat(
            [grouped, pd.DataFrame({"family": empty, "services": 0})], ignore_index=True
        )
    order = {f: i for i, f in enumerate(typology.family_labels)}
    grouped = grouped.sort_values(
        ["family", "type", "source"], key=lambda c: c.map(order) if c.name == "family" else c
    )
    columns = ["family", "type", "label", "source", "source_label", "counted", "services", "rule"]
    return grouped[columns].reset_index(drop=True)
