"""Bassins de services: catchments of service poles, and a delineation in INSEE's spirit.

* :func:`catchments` — for one type or family, the communes whose nearest service is at
  each pole (the commune hosting the service), with their population.
* :func:`delineate_bassins` — the attraction of each commune: the pole commune where it
  finds the largest number of the equipment types of a range (INSEE's *bassins de vie*
  attach communes to the pole where inhabitants find most of the intermediate-range
  equipment). The communes so chosen are the **poles** (:func:`select_poles`).
* :func:`contiguous_bassins` — the bassins themselves: each commune joins the pole it
  reaches fastest by road (or the straight-line estimate) *through a chain of adjacent
  communes of the same bassin*, so that every bassin is one piece around its pole
  (competitive region growing on the communes' adjacency, in order of travel time to
  the pole). :func:`commune_adjacency` reads that adjacency off the commune polygons.
* :func:`agreement_rate` compares the result with another zoning (e.g. the INSEE bassins
  de vie 2022), as a share of the population or of the communes.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd
import shapely


def catchments(
    nearest: pd.DataFrame,
    services: pd.DataFrame,
    population: pd.DataFrame,
    *,
    key: str = "family",
) -> pd.DataFrame:
    """Catchment of each pole: the origins whose nearest service (per ``key``) is there.

    Parameters
    ----------
    nearest
        ``origin_id``, ``key``, ``service_id``, ``minutes`` (nearest service per origin).
    services
        ``service_id`` and ``commune`` (the pole is the commune hosting the service).
    population
        ``origin_id``, ``population``.

    Returns
    -------
    pandas.DataFrame
        ``origin_id, {key}, pole`` (commune code of the nearest service; NA if none is
        reachable), ``minutes``, ``population``.

    Examples
    --------
    >>> n = pd.DataFrame({"origin_id": ["a", "b", "c"], "family": "soins",
    ...                   "service_id": ["h1", "h1", "h2"], "minutes": [3.0, 9.0, 1.0]})
    >>> s = pd.DataFrame({"service_id": ["h1", "h2"], "commune": ["73248", "73157"]})
    >>> p = pd.DataFrame({"origin_id": ["a", "b", "c"], "population": [10, 20, 5]})
    >>> c = catchments(n, s, p)
    >>> c.groupby("pole")["population"].sum().to_dict()
    {'73157': 5, '73248': 30}
    """
    poles = services.set_index("service_id")["commune"]
    table = nearest[["origin_id", key, "service_id", "minutes"]].copy()
    table["pole"] = table["service_id"].map(poles)
    table = table.merge(population[["origin_id", "population"]], on="origin_id", how="left")
    return table[["origin_id", key, "pole", "minutes", "population"]]


def delineate_bassins(nearest: pd.DataFrame, services: pd.DataFrame) -> pd.DataFrame:
    """Attach each origin to the pole commune hosting most of its nearest equipment types.

    Parameters
    ----------
    nearest
        ``origin_id, type, service_id, minutes`` for the types of one range (e.g. INSEE's
        intermediate range); unreachable types (NA ``service_id``) are ignored.
    services
        ``service_id`` and ``commune``.

    Returns
    -------
    pandas.DataFrame
        ``origin_id, bassin`` (the pole commune), ``types_at_pole`` and ``types``
        (reachable types). Ties go to the pole with the smallest total time to those
        types, then to the smallest code.

    Examples
    --------
    >>> n = pd.DataFrame({"origin_id": ["a"] * 3, "type": ["B1", "B2", "B3"],
    ...                   "service_id": ["x", "y", "z"], "minutes": [5.0, 6.0, 2.0]})
    >>> s = pd.DataFrame({"service_id": ["x", "y", "z"], "commune": ["P", "P", "Q"]})
    >>> delineate_bassins(n, s).to_dict("records")
    [{'origin_id': 'a', 'bassin': 'P', 'types_at_pole': 2, 'types': 3}]
    """
    poles = services.set_index("service_id")["commune"]
    table = nearest.dropna(subset=["service_id"]).copy()
    table["pole"] = table["service_id"].map(poles)
    scores = (
        table.groupby(["origin_id", "pole"])
        .agg(types_at_pole=("type", "nunique"), total_minutes=("minutes", "sum"))
        .reset_index()
        .sort_values(
            ["origin_id", "types_at_pole", "total_minutes", "pole"],
            ascending=[True, False, True, True],
        )
    )
    best = scores.drop_duplicates("origin_id", keep="first")
    types = table.groupby("origin_id")["type"].nunique().rename("types")
    result = best.join(types, on="origin_id").rename(columns={"pole": "bassin"})
    return result[["origin_id", "bassin", "types_at_pole", "types"]].reset_index(drop=True)


def agreement_rate(
    ours: pd.Series, theirs: pd.Series, *, weights: pd.Series | None = None
) -> float:
    """Share of origins whose two zonings agree, once each zone is matched to its best twin.

    Each zone of ``ours`` is labelled with the zone of ``theirs`` holding most of its
    (weighted) origins; the rate is the (weighted) share of origins where that label
    equals their own ``theirs`` zone. 1 means the same partition.

    Parameters
    ----------
    ours, theirs
        Zone of each origin, indexed alike.
    weights
        Optional weight of each origin (population).

    Examples
    --------
    >>> ours = pd.Series(["p", "p", "q", "q"])
    >>> theirs = pd.Series(["A", "A", "B", "A"])
    >>> agreement_rate(ours, theirs)
    0.75
    """
    weights = pd.Series(1.0, index=ours.index) if weights is None else weights.astype(float)
    frame = pd.DataFrame({"ours": ours, "theirs": theirs, "w": weights}).dropna()
    totals = frame.groupby(["ours", "theirs"])["w"].sum().reset_index()
    totals = totals.sort_values(["ours", "w", "theirs"], ascending=[True, False, True])
    twin = totals.drop_duplicates("ours").set_index("ours")["theirs"]
    agree = frame["ours"].map(twin) == frame["theirs"]
    return float(frame.loc[agree, "w"].sum() / frame["w"].sum())


def select_poles(attraction: pd.DataFrame) -> list[str]:
    """The pole communes: every commune chosen as attraction by some commune (sorted).

    ``attraction`` is the output of :func:`delineate_bassins`.

    Examples
    --------
    >>> select_poles(pd.DataFrame({"origin_id": ["a", "b", "c"], "bassin": ["P", "Q", "P"]}))
    ['P', 'Q']
    """
    return sorted(set(attraction["bassin"].dropna().astype(str)))


def commune_adjacency(polygons: gpd.GeoSeries) -> dict[str, list[str]]:
    """Which communes share a border (a line, not a single point): ``code → neighbours``.

    ``polygons`` is indexed by commune code.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> squares = gpd.GeoSeries([box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 1, 3, 2)],
    ...                         index=["a", "b", "c"])
    >>> commune_adjacency(squares)
    {'a': ['b'], 'b': ['a'], 'c': []}
    """
    codes = [str(c) for c in polygons.index]
    geometries = polygons.to_numpy()
    left, right = polygons.sindex.query(geometries, predicate="intersects")
    neighbours: dict[str, list[str]] = {code: [] for code in codes}
    pairs = [(i, j) for i, j in zip(left.tolist(), right.tolist(), strict=True) if i < j]
    if pairs:
        first, second = (list(x) for x in zip(*pairs, strict=True))
        shared = shapely.intersection(
            shapely.boundary(geometries[first]), shapely.boundary(geometries[second])
        )
        for i, j, length in zip(first, second, shapely.length(shared).tolist(), strict=True):
            if length > 0:
                neighbours[codes[i]].append(codes[j])
                neighbours[codes[j]].append(codes[i])
    return {code: sorted(found) for code, found in neighbours.items()}


def edge_communes(polygons: gpd.GeoSeries) -> set[str]:
    """The communes on the outer edge of the union of ``polygons`` (indexed by code).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> grid = gpd.GeoSeries([box(x, y, x + 1, y + 1) for x in range(3) for y in range(3)],
    ...                      index=[f"{x}{y}" for x in range(3) for y in range(3)])
    >>> sorted(grid.index.difference(sorted(edge_communes(grid))))
    ['11']
    """
    outline = shapely.boundary(shapely.union_all(polygons.to_numpy()))
    touching = shapely.length(shapely.intersection(polygons.boundary.to_numpy(), outline))
    return {str(c) for c, length in zip(polygons.index, touching.tolist(), strict=True) if length}


def contiguous_bassins(
    pole_minutes: pd.DataFrame,
    adjacency: Mapping[str, Sequence[str]] | None,
    *,
    edge: set[str] | None = None,
) -> pd.DataFrame:
    """Attach each origin to a pole, fastest first, through adjacent origins of its bassin.

    Competitive region growing: every pole starts from its own commune when it is an
    origin, else from the edge origin that reaches it fastest (a pole outside the
    territory enters by one gateway); the pending (origin, pole) pair with the smallest
    travel time to the pole is settled first, then the origin's neighbours become
    candidates of that pole. A bassin is thus one connected piece containing its pole
    (or its gateway), and an origin gets the pole it reaches fastest unless a faster pole's
    bassin never reaches it. Origins unreachable from every pole within the times given
    join the bassin of a neighbour.

    Parameters
    ----------
    pole_minutes
        ``origin_id, pole, minutes``: travel time from each origin to each pole (missing
        pairs: beyond reach).
    adjacency
        Neighbours of each origin (:func:`commune_adjacency`); ``None`` (no polygons):
        every origin simply gets its fastest pole.
    edge
        The origins on the territory's outer edge (gateways of the outside poles);
        ``None``: every origin.

    Returns
    -------
    pandas.DataFrame
        ``origin_id, bassin`` (the pole commune), ``minutes`` (to that pole, NaN if
        beyond reach) and ``pole_rank`` (1 = the fastest among the poles that have a
        bassin).

    Examples
    --------
    A row of four communes a–b–c–d; poles at a and d; c is nearer to a as the crow
    flies (3 min against 4) but reaches a only through b, which is d's:

    >>> t = pd.DataFrame({"origin_id": list("aabbccdd"), "pole": list("adadadad"),
    ...                   "minutes": [0, 9, 5, 4, 3, 4, 9, 0]})
    >>> adjacency = {"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c"]}
    >>> contiguous_bassins(t, adjacency).to_dict("list")
    {'origin_id': ['a', 'b', 'c', 'd'], 'bassin': ['a', 'd', 'd', 'd'],
     'minutes': [0.0, 4.0, 4.0, 0.0], 'pole_rank': [1, 1, 2, 1]}
    """
    table = pole_minutes.dropna(subset=["minutes"]).astype({"origin_id": str, "pole": str})
    times: dict[tuple[str, str], float] = {
        (o, p): float(m)
        for o, p, m in zip(table["origin_id"], table["pole"], table["minutes"], strict=True)
    }
    origins = sorted(set(pole_minutes["origin_id"].astype(str)))
    poles = sorted(set(pole_minutes["pole"].astype(str)))
    fastest = (
        table.sort_values(["origin_id", "minutes", "pole"])
        .drop_duplicates("origin_id")
        .set_index("origin_id")["pole"]
    )
    assigned: dict[str, str] = {}
    if adjacency is None:
        assigned = {o: str(fastest[o]) for o in origins if o in fastest.index}
    else:
        inside = set(origins)
        gates = inside if edge is None else edge & inside
        at_gates = table[table["origin_id"].isin(gates) & ~table["pole"].isin(inside)]
        gateway = at_gates.sort_values(["pole", "minutes", "origin_id"]).drop_duplicates("pole")
        heap: list[tuple[float, str, str]] = [(0.0, p, p) for p in poles if p in inside]
        heap += [
            (float(m), o, p)
            for o, p, m in zip(
                gateway["origin_id"], gateway["pole"], gateway["minutes"], strict=True
            )
        ]
        heapq.heapify(heap)
        while heap:
            _, origin, pole = heapq.heappop(heap)
            if origin in assigned:
                continue
            assigned[origin] = pole
            for neighbour in adjacency.get(origin, ()):
                if neighbour not in assigned and neighbour in adjacency:
                    key = times.get((neighbour, pole), math.inf)
                    heapq.heappush(heap, (key, neighbour, pole))
        for origin in origins:  # isolated origins (an island, an enclave cut off)
            if origin not in assigned and origin in fastest.index:
                assigned[origin] = str(fastest[origin])
    result = pd.DataFrame({"origin_id": origins})
    result["bassin"] = result["origin_id"].map(assigned)
    result["minutes"] = [
        times.get((o, p), math.nan) if isinstance(p, str) else math.nan
        for o, p in zip(result["origin_id"], result["bassin"], strict=True)
    ]
    # Rank of the pole among the poles of a bassin the origin reaches (1 = the fastest).
    table = table[table["pole"].isin(set(result["bassin"].dropna()))]
    faster = table.merge(result, on="origin_id", suffixes=("", "_own"))
    faster = faster[faster["minutes"] < faster["minutes_own"]].groupby("origin_id").size()
    counted = table.groupby("origin_id").size()
    result["pole_rank"] = (1 + result["origin_id"].map(faster).fillna(0)).where(
        result["minutes"].notna(), result["origin_id"].map(counted).fillna(0) + 1
    )
    return result.astype({"minutes": float, "pole_rank": int})
