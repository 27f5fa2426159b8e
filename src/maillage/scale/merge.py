"""Merge the partitions' per-commune tables into one diagnostic, identical to a single run.

:func:`merge_partitions`

1. checks that every commune of the territory comes from exactly one partition (none
   lost, none duplicated: a :class:`~maillage.MaillageError` otherwise);
2. completes the nearest times a partition could not guarantee (beyond its guaranteed
   time, or a type absent from its ring) on the whole service set of the territory, in
   the partition's metric zone (:func:`complete_nearest`);
3. recomputes every territory-level table from the merged per-commune tables with the
   functions of :mod:`maillage.indicators` — access per zone, density, opening hours,
   catchments, bassins and their agreement rate, enjeux (shares and ranks over the whole
   territory), E2SFCA (whose demand spans partitions: computed on the merged pairs) and
   the national comparison — exactly as :func:`~maillage.indicators.diagnostic.
   run_diagnostic` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import geopandas as gpd
import pandas as pd

from maillage._errors import MaillageError
from maillage.indicators.diagnostic import (
    Diagnostic,
    _nearest,
    assemble_diagnostic,
    method_notes,
    season_services,
)
from maillage.indicators.settings import DiagnosticSettings
from maillage.network.model import NetworkPair
from maillage.network.snapping import located
from maillage.notes import Note
from maillage.scale.partition import PartitionResult
from maillage.schema import SEASONS, SUMMER
from maillage.services.typology import Typology, load_typology
from maillage.territory.territory import Territory


def check_coverage(origin_ids: Iterable[str], results: Mapping[str, PartitionResult]) -> None:
    """Every commune in exactly one partition result, and nothing else.

    Raises
    ------
    MaillageError
        Naming lost, duplicated or unexpected communes.

    Examples
    --------
    >>> r = PartitionResult("x", ["a", "b"], pd.DataFrame(), pd.DataFrame(), 55.0, "metropole")
    >>> check_coverage(["a", "b"], {"x": r})
    >>> try:
    ...     check_coverage(["a", "b", "c"], {"x": r})
    ... except MaillageError as err:
    ...     print(str(err).split(".")[0])
    partitions incomplètes : 1 commune(s) perdue(s) (c)
    """
    expected = pd.Index([str(code) for code in origin_ids])
    got = pd.Series([code for result in results.values() for code in result.origin_ids])
    problems = []
    lost = expected.difference(pd.Index(got))
    if len(lost):
        problems.append(f"{len(lost)} commune(s) perdue(s) ({', '.join(lost[:10])})")
    twice = got[got.duplicated()].unique()
    if len(twice):
        problems.append(f"{len(twice)} commune(s) en double ({', '.join(twice[:10])})")
    foreign = pd.Index(got).difference(expected)
    if len(foreign):
        problems.append(f"{len(foreign)} commune(s) hors territoire ({', '.join(foreign[:10])})")
    if problems:
        raise MaillageError(
            "partitions incomplètes : "
            + " ; ".join(problems)
            + ". Correction : relancez le calcul (une tâche perdue est recalculée)"
        )


def complete_nearest(
    results: Mapping[str, PartitionResult],
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    *,
    network: NetworkPair | None = None,
) -> tuple[pd.DataFrame, int]:
    """The merged nearest times, those beyond a partition's guarantee recomputed.

    Parameters
    ----------
    results
        The partitions' results.
    origins
        The territory's origins (``origin_id``, ``departement``, geometry).
    services
        The territory's whole service set.
    network
        The travel-time models over the whole territory (straight line by default).

    Returns
    -------
    nearest, recomputed
        ``origin_id, type, service_id, minutes, season`` in the order of a single run
        (season, then origin, then type), and the number of (commune, type, season) rows
        recomputed on the whole service set.

    Examples
    --------
    Two EPCI planned and run as partitions, their nearest times merged: those of a single
    run over the whole territory.

    >>> from maillage.indicators.diagnostic import season_times, territory_origins
    >>> from maillage.scale.partition import diagnose_partition, plan_partitions
    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.territory.territory import select_territory
    >>> t = select_territory(epci=["200070340", "200070738"], buffer_km=30)
    >>> origins, services = territory_origins(t), territory_services(t, builtin=["mairies"])
    >>> parts = plan_partitions(origins, services, radius_km=30, by="epci")
    >>> results = {p.key: diagnose_partition(p) for p in parts}
    >>> nearest, recomputed = complete_nearest(results, origins, services)
    >>> single, _, _ = season_times(origins, services, network=NetworkPair.straight_line(),
    ...                             hours_within_minutes=20)
    >>> nearest.equals(single), recomputed
    (True, 0)
    """
    network = NetworkPair.straight_line() if network is None else network
    # Points without coordinates take no part (as in the partitions).
    services = services[located(services)]
    origins = origins[located(origins)]
    pools = season_services(services)
    merged = pd.concat([result.nearest for result in results.values()], ignore_index=True)
    bound = pd.Series(
        {code: r.guaranteed_minutes for r in results.values() for code in r.origin_ids}
    )
    tables, recomputed = [], 0
    for name in SEASONS:
        pool = pools[name].dropna(subset=["type"])
        types = sorted(pd.unique(pool["type"]), key=str)
        part = merged[merged["season"] == name]
        full = pd.MultiIndex.from_product(
            [origins["origin_id"].astype(str), types], names=["origin_id", "type"]
        ).to_frame(index=False)
        table = full.merge(part, on=["origin_id", "type"], how="left")
        sure = table["minutes"].notna() & (
            table["minutes"] <= table["origin_id"].map(bound).to_numpy()
        )
        unsure = table[~sure]
        if len(unsure):
            model = network.summer if name == SUMMER else network.winter_or_summer
            who = origins[origins["origin_id"].isin(unsure["origin_id"])]
            kinds = pool[pool["type"].isin(unsure["type"])]
            # By straight line, _nearest computes each metric zone apart (metropolitan
            # France, each DOM), in the same CRS as the partitions of that zone.
            fixed = (
                _nearest(model, who, kinds)
                if len(kinds)
                else pd.DataFrame(columns=["origin_id", "type", "service_id", "minutes"])
            )
            fixed = unsure[["origin_id", "type"]].merge(
                fixed, on=["origin_id", "type"], how="inner"
            )
            recomputed += len(fixed)
            table = pd.concat(
                [
                    table[sure],
                    fixed.assign(season=name),
                    # Types beyond every service of the zone: no row, as in a single run.
                ],
                ignore_index=True,
            )
        position = pd.Series(range(len(origins)), index=origins["origin_id"].astype(str))
        rank = pd.Series(range(len(types)), index=types)
        table = table.assign(
            _o=table["origin_id"].map(position).to_numpy(), _t=table["type"].map(rank).to_numpy()
        ).sort_values(["_o", "_t"])
        tables.append(table.drop(columns=["_o", "_t"]).assign(season=name))
    nearest = pd.concat(tables, ignore_index=True)
    return nearest[["origin_id", "type", "service_id", "minutes", "season"]], recomputed


def merge_matrix(results: Mapping[str, PartitionResult], origins: gpd.GeoDataFrame) -> pd.DataFrame:
    """The partitions' origin × service pairs, in the territory's order of origins.

    Examples
    --------
    >>> from maillage.indicators.diagnostic import territory_origins
    >>> from maillage.scale.partition import PartitionResult
    >>> from maillage.territory.territory import select_territory
    >>> origins = territory_origins(select_territory(communes=["73248", "73157"], buffer_km=0))
    >>> def result(key, pairs):
    ...     matrix = pd.DataFrame(pairs, columns=["origin_id", "service_id", "minutes"])
    ...     return PartitionResult(key, [pairs[0][0]], pd.DataFrame(), matrix, 30.0, key)
    >>> merge_matrix({"a": result("a", [("73248", "s1", 2.0)]),
    ...               "b": result("b", [("73157", "s2", 1.0)])}, origins)["origin_id"].tolist()
    ['73157', '73248']
    """
    matrix = pd.concat([result.matrix for result in results.values()], ignore_index=True)
    position = pd.Series(range(len(origins)), index=origins["origin_id"].astype(str))
    order = matrix.assign(_o=matrix["origin_id"].map(position).to_numpy()).sort_values(
        ["_o", "minutes", "service_id"], kind="stable"
    )
    return order.drop(columns="_o").reset_index(drop=True)


def merge_partitions(
    territory: Territory,
    origins: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    results: Mapping[str, PartitionResult],
    *,
    network: NetworkPair | None = None,
    typology: Typology | None = None,
    settings: DiagnosticSettings | None = None,
) -> Diagnostic:
    """One diagnostic from the partitions' results, as a single run over the territory.

    Parameters
    ----------
    territory
        The whole territory.
    origins
        Its communes as origins (:func:`~maillage.indicators.diagnostic.territory_origins`).
    services
        Its whole service set (:func:`~maillage.services.catalogue.territory_services`).
    results
        :class:`~maillage.scale.partition.PartitionResult` by partition key.
    network
        The travel-time models over the whole territory, for the few times recomputed.
    typology, settings
        As in :func:`~maillage.indicators.diagnostic.run_diagnostic`.

    Returns
    -------
    Diagnostic
    """
    network = NetworkPair.straight_line() if network is None else network
    settings = DiagnosticSettings() if settings is None else settings
    typology = load_typology() if typology is None else typology
    check_coverage(origins["origin_id"], results)
    nearest, recomputed = complete_nearest(results, origins, services, network=network)
    matrix = merge_matrix(results, origins)
    notes = method_notes(network)
    for note in (note for r in results.values() for note in r.notes):
        if note not in notes:
            notes.append(note)
    lost = origins.loc[~located(origins), "origin_id"].astype(str).tolist()
    if lost:
        notes.append(Note("communes_without_coordinates", {"count": len(lost), "ids": lost}))
    result = assemble_diagnostic(
        territory,
        services,
        origins,
        nearest,
        matrix,
        network=network,
        typology=typology,
        settings=settings,
        notes=notes,
    )
    result.notes.append(Note("partitioned", {"partitions": len(results), "recomputed": recomputed}))
    return result
