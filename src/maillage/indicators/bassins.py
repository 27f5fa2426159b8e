"""Bassins de services: catchments of service poles, and a delineation in INSEE's spirit.

* :func:`catchments` — for one type or family, the communes whose nearest service is at
  each pole (the commune hosting the service), with their population.
* :func:`delineate_bassins` — the attraction of each commune: the pole commune where it
  finds the largest number of the equipment types of a range (INSEE's *bassins de vie*
  attach communes to the pole where inhabitants find most of the intermediate-range
  equipment). The communes so chosen are the **poles** (:func:`select_poles`).
* :func:`contiguous_bassins` — the bassins themselves: each commune joins the pole it
  reaches fastest by road (or the straight-line estimate), then every piece cut off from
  its pole is mended at the least added travel time, each commune keeping one of its two
  fastest poles wherever possible, so that every bassin is one piece around its pole.
  :func:`commune_adjacency` reads the communes' adjacency off their polygons.
* :func:`agreement_rate` compares the result with another zoning (e.g. the INSEE bassins
  de vie 2022), as a share of the population or of the communes.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
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


def bassin_agreement(bassins: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """Agreement of the bassins de services with INSEE's bassins de vie (:func:`agreement_rate`).

    Parameters
    ----------
    bassins
        ``origin_id, bassin`` (:func:`delineate_bassins`; origins without a bassin are left
        out).
    communes
        ``origin_id, bassin_vie, population``.

    Returns
    -------
    pandas.DataFrame
        Two rows: ``weight`` (``population``: share of the inhabitants, ``communes``: share
        of the communes) and ``agreement_rate``; NaN rates when there is no bassin.

    Examples
    --------
    >>> b = pd.DataFrame({"origin_id": ["a", "b", "c"], "bassin": ["a", "a", "c"]})
    >>> c = pd.DataFrame({"origin_id": ["a", "b", "c"], "bassin_vie": ["A", "B", "B"],
    ...                   "population": [10, 1, 5]})
    >>> bassin_agreement(b, c).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'weight': 'population', 'agreement_rate': 0.9375},
     {'weight': 'communes', 'agreement_rate': 0.6666666666666666}]
    """
    ours = bassins.set_index("origin_id")["bassin"].dropna()
    zones = communes.set_index("origin_id").reindex(ours.index)
    rates = [float("nan"), float("nan")]
    if len(ours):
        rates = [
            agreement_rate(ours, zones["bassin_vie"], weights=zones["population"]),
            agreement_rate(ours, zones["bassin_vie"]),
        ]
    return pd.DataFrame({"weight": ["population", "communes"], "agreement_rate": rates})


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
    """Attach each origin to the pole it reaches fastest, then mend the cut-off pieces.

    1. Every origin joins the pole it reaches fastest; a pole commune keeps its own
       bassin, whatever its rank (its origin point may lie nearer another pole's point:
       Saint-Pierre-en-Faucigny, 74250, ranks itself third). Origins beyond reach of
       every pole join the bassin of a neighbour.
    2. A bassin keeps the piece holding its pole; a pole outside the territory enters it
       by one gateway, the origin on the territory's edge that reaches it fastest, and
       its bassin keeps the piece holding that gateway. Every other piece (all of them
       when the gateway went to another pole) is *mended*, one at a time, by the
       cheapest of

       * **joining a neighbouring bassin** (one that touches the piece), or
       * **bridging** to its pole's piece through a chain of adjacent origins that move
         to that pole (never a pole commune, nor an origin whose move would split its
         own bassin further),

       where the cost is the minutes added, :math:`\\sum_i (t_{i,q_i} - t_{i,f_i})` over
       the origins :math:`i` that move to pole :math:`q_i` (:math:`f_i`: the fastest),
       and a mend is allowed only if every origin it moves keeps one of its **two
       fastest poles**. Ties go to joining, then to the smallest pole code.
    3. When no mend is allowed, the piece joins the neighbouring bassin it reaches
       fastest: the only way an origin gets its third pole or worse (``pole_rank``
       says so).

    Every bassin is thus one piece of adjacent communes around its pole, like INSEE's
    bassins de vie, and each origin is in the bassin of one of the two poles it reaches
    fastest wherever a contiguous delineation allows it. An origin with no neighbour
    (an island) keeps its fastest pole. A pole outside the territory has a bassin only
    through its gateway: straight-line times do not see the mountains, and a commune
    must not join, across a range, a pole its valley does not lead to.

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
    A row of four communes a–b–c–d; poles at a and d. c reaches a fastest (3 min
    against 5), but b, between them, reaches d fastest (4 min against 5). Bridging c to
    a through b adds 1 min (b's), joining c to d adds 2 (c's): b joins a, its second
    pole.

    >>> t = pd.DataFrame({"origin_id": list("aabbccdd"), "pole": list("adadadad"),
    ...                   "minutes": [0, 9, 5, 4, 3, 5, 9, 0]})
    >>> adjacency = {"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c"]}
    >>> contiguous_bassins(t, adjacency).to_dict("list")
    {'origin_id': ['a', 'b', 'c', 'd'], 'bassin': ['a', 'a', 'a', 'd'],
     'minutes': [0.0, 5.0, 3.0, 0.0], 'pole_rank': [1, 2, 1, 1]}

    With b at 7 min from a, the bridge adds 3 min: c joins d instead.

    >>> t.loc[2, "minutes"] = 7
    >>> contiguous_bassins(t, adjacency)["bassin"].tolist()
    ['a', 'd', 'd', 'd']
    """
    pairs = _PoleMinutes.of(pole_minutes)
    origins = pairs.origins
    assigned = pairs.fastest_poles()
    if adjacency is not None:
        homes = set(pairs.poles) & set(origins)
        assigned.update({p: p for p in homes})
        _spread_to_unreached(assigned, origins, adjacency)
        _mend(
            assigned,
            _Mending(
                times=pairs,
                two_fastest=pairs.two_fastest(),
                fastest_minutes=pairs.fastest_minutes(),
                adjacency=adjacency,
                homes=homes,
                gateways=pairs.gateways(set(origins) if edge is None else edge),
            ),
        )
    result = pd.DataFrame({"origin_id": origins})
    result["bassin"] = result["origin_id"].map(assigned)
    result["minutes"] = [
        pairs.get((o, p), math.nan) if isinstance(p, str) else math.nan
        for o, p in zip(result["origin_id"], result["bassin"], strict=True)
    ]
    result["pole_rank"] = pairs.ranks(result["minutes"].to_numpy(float), set(assigned.values()))
    return result.astype({"minutes": float, "pole_rank": int})


@dataclass(frozen=True)
class _PoleMinutes:
    """The reachable origin × pole times as integer codes, sorted by origin then pole.

    Origins and poles are numbered in the order of their codes (``origins``, ``poles``);
    the pairs of origin ``i`` are rows ``start[i]:start[i + 1]``. Replaces a dictionary
    of (origin, pole) keys: ten million pairs for the whole of France.
    """

    origins: list[str]
    poles: list[str]
    origin: np.ndarray  # origin number of each pair
    pole: np.ndarray  # pole number of each pair
    minutes: np.ndarray
    start: np.ndarray

    @classmethod
    def of(cls, pole_minutes: pd.DataFrame) -> _PoleMinutes:
        """Number the origins and poles of ``origin_id, pole, minutes`` (NaN: beyond reach)."""
        origins, origin = _numbered(pole_minutes["origin_id"])
        poles, pole = _numbered(pole_minutes["pole"])
        minutes = pole_minutes["minutes"].astype("float64").to_numpy()
        reached = ~np.isnan(minutes)
        origin, pole, minutes = origin[reached], pole[reached], minutes[reached]
        # Stable: of twin pairs, the last one counts.
        order = np.argsort(origin * max(len(poles), 1) + pole, kind="stable")
        origin, pole, minutes = origin[order], pole[order], minutes[order]
        start = np.searchsorted(origin, np.arange(len(origins) + 1))
        return cls(origins, poles, origin, pole, minutes, start)

    def get(self, key: tuple[str, str], default: float = math.inf) -> float:
        """Minutes from origin to pole (``default`` if beyond reach)."""
        i = bisect.bisect_left(self.origins, key[0])
        j = bisect.bisect_left(self.poles, key[1])
        if i == len(self.origins) or self.origins[i] != key[0]:
            return default
        if j == len(self.poles) or self.poles[j] != key[1]:
            return default
        first, last = int(self.start[i]), int(self.start[i + 1])
        at = first + int(np.searchsorted(self.pole[first:last], j, side="right")) - 1
        return float(self.minutes[at]) if at >= first and self.pole[at] == j else default

    def _fastest_rows(self) -> np.ndarray:
        """Each origin's pair of fewest minutes (ties: the smallest pole code), if any."""
        filled = np.flatnonzero(np.diff(self.start) > 0)
        lowest = np.full(len(self.origins), np.nan)
        if len(filled):
            lowest[filled] = np.minimum.reduceat(self.minutes, self.start[filled])
        rows = np.flatnonzero(self.minutes == lowest[self.origin])
        keep = np.ones(len(rows), dtype=bool)
        keep[1:] = self.origin[rows][1:] != self.origin[rows][:-1]
        return rows[keep]

    def fastest_poles(self) -> dict[str, str]:
        """Each origin's fastest pole (ties: the smallest code)."""
        first = self._fastest_rows()
        return {
            self.origins[o]: self.poles[p]
            for o, p in zip(self.origin[first].tolist(), self.pole[first].tolist(), strict=True)
        }

    def fastest_minutes(self) -> dict[str, float]:
        """Minutes from each origin to its fastest pole."""
        first = self._fastest_rows()
        return {
            self.origins[o]: m
            for o, m in zip(self.origin[first].tolist(), self.minutes[first].tolist(), strict=True)
        }

    def two_fastest(self) -> set[tuple[str, str]]:
        """The pairs ranked 1 or 2 by minutes within their origin (ties share the lower rank)."""
        # By origin then minutes: the rows of origin i stay at start[i]:start[i + 1].
        order = np.lexsort((self.minutes, self.origin))
        sorted_minutes = self.minutes[order]
        origin = self.origin[order]
        second = np.minimum(self.start[origin] + 1, self.start[origin + 1] - 1)
        keep = sorted_minutes <= sorted_minutes[second]
        chosen = order[keep]
        return {
            (self.origins[o], self.poles[p])
            for o, p in zip(self.origin[chosen].tolist(), self.pole[chosen].tolist(), strict=True)
        }

    def gateways(self, edge: set[str]) -> dict[str, str]:
        """Gateway of each pole outside the territory: the edge origin reaching it fastest."""
        inside = _among(self.poles, set(self.origins))
        at_edge = _among(self.origins, edge)
        rows = np.flatnonzero(at_edge[self.origin] & ~inside[self.pole])
        rows = rows[np.lexsort((self.origin[rows], self.minutes[rows], self.pole[rows]))]
        keep = np.ones(len(rows), dtype=bool)
        keep[1:] = self.pole[rows][1:] != self.pole[rows][:-1]
        rows = rows[keep]
        return {
            self.poles[p]: self.origins[o]
            for p, o in zip(self.pole[rows].tolist(), self.origin[rows].tolist(), strict=True)
        }

    def ranks(self, own: np.ndarray, bassins: set[str]) -> np.ndarray:
        """Rank of each origin's pole (``own`` minutes) among the poles that have a bassin.

        1 + the number of those poles it reaches faster; beyond reach (NaN ``own``): 1 +
        the number it reaches at all.
        """
        counted = _among(self.poles, bassins)[self.pole]
        n = len(self.origins)
        faster = np.bincount(self.origin[counted & (self.minutes < own[self.origin])], minlength=n)
        reached = np.bincount(self.origin[counted], minlength=n)
        return np.where(np.isnan(own), reached + 1, faster + 1)


def _among(names: Sequence[str], wanted: set[str]) -> np.ndarray:
    """Whether each of ``names`` is in ``wanted``."""
    return np.fromiter((name in wanted for name in names), dtype=bool, count=len(names))


def _numbered(codes: pd.Series) -> tuple[list[str], np.ndarray]:
    """The sorted distinct codes (as text) and the number of each row's code."""
    number, distinct = pd.factorize(codes, use_na_sentinel=False)
    text = pd.Index(distinct).astype(str)
    names = sorted(set(text))
    renumber = np.searchsorted(np.asarray(names, dtype=object), np.asarray(text, dtype=object))
    return names, renumber.astype(np.int64)[number] if len(number) else number.astype(np.int64)


def _spread_to_unreached(
    assigned: dict[str, str], origins: Sequence[str], adjacency: Mapping[str, Sequence[str]]
) -> None:
    """Give each origin beyond reach of every pole the bassin most of its neighbours have
    (ties: the smallest code), ring after ring from the assigned ones."""
    waiting = [o for o in origins if o not in assigned]
    while waiting:
        ring = {}
        for origin in waiting:
            around = [assigned[n] for n in adjacency.get(origin, ()) if n in assigned]
            if around:
                ring[origin] = min(set(around), key=lambda p: (-around.count(p), p))
        if not ring:
            return
        assigned.update(ring)
        waiting = [o for o in waiting if o not in ring]


def _pieces(members: set[str], adjacency: Mapping[str, Sequence[str]]) -> list[set[str]]:
    """The connected pieces of ``members`` on ``adjacency`` (in order of smallest code)."""
    todo = set(members)
    found = []
    for start in sorted(members):
        if start not in todo:
            continue
        todo.discard(start)
        piece, stack = {start}, [start]
        while stack:
            for neighbour in adjacency.get(stack.pop(), ()):
                if neighbour in todo:
                    todo.discard(neighbour)
                    piece.add(neighbour)
                    stack.append(neighbour)
        found.append(piece)
    return found


@dataclass(frozen=True)
class _Mending:
    """What the mending of cut-off pieces reads (see :func:`contiguous_bassins`)."""

    times: _PoleMinutes
    two_fastest: set[tuple[str, str]]
    fastest_minutes: Mapping[str, float]
    adjacency: Mapping[str, Sequence[str]]
    homes: set[str]
    gateways: Mapping[str, str]

    def added_minutes(self, origin: str, pole: str) -> float:
        """Minutes added by moving ``origin`` from its fastest pole to ``pole``."""
        return self.times.get((origin, pole), math.inf) - self.fastest_minutes.get(origin, 0.0)

    def core(self, pole: str, pieces: list[set[str]]) -> set[str] | None:
        """The piece a bassin keeps: the one holding its pole, or its gateway (if any)."""
        seed = pole if pole in self.homes else self.gateways.get(pole)
        return next((piece for piece in pieces if seed in piece), None)

    def broken(self, pole: str, members: set[str]) -> bool:
        """Whether the bassin of ``pole`` is in several pieces or lacks its core."""
        pieces = _pieces(members, self.adjacency)
        return len(pieces) > 1 or self.core(pole, pieces) is None


#: A mend: (not allowed, minutes added, 0 joining / 1 bridging, pole, moves).
_Option = tuple[bool, float, int, str, dict[str, str]]


def _mend(assigned: dict[str, str], mending: _Mending) -> None:
    """Mend the cut-off pieces of the bassins in ``assigned`` one at a time, in place.

    Each mend lowers the number of pieces (a bridge never splits a bassin further), so
    the loop ends; a piece with no neighbour (an island) stays as it is.
    """
    bassins: dict[str, set[str]] = {}
    for origin, pole in assigned.items():
        bassins.setdefault(pole, set()).add(origin)
    # Only the bassins a mend changes can change from whole to broken or back.
    broken = {pole for pole in bassins if mending.broken(pole, bassins[pole])}
    while True:
        for pole in sorted(broken):
            pieces = _pieces(bassins[pole], mending.adjacency)
            core = mending.core(pole, pieces)
            options = [
                option
                for piece in pieces
                if piece is not core
                for option in _joinings(piece, assigned, mending)
                + _bridgings(piece, pole, core, assigned, bassins, mending)
            ]
            if options:
                moves = min(options, key=lambda option: option[:4])[4]
                changed = set(moves.values()) | {assigned[origin] for origin in moves}
                for origin, new in moves.items():
                    bassins[assigned[origin]].discard(origin)
                    bassins.setdefault(new, set()).add(origin)
                    assigned[origin] = new
                for changed_pole in changed:
                    broken.discard(changed_pole)
                    if not bassins[changed_pole]:
                        del bassins[changed_pole]
                    elif mending.broken(changed_pole, bassins[changed_pole]):
                        broken.add(changed_pole)
                break
        else:
            return


def _joinings(piece: set[str], assigned: Mapping[str, str], mending: _Mending) -> list[_Option]:
    """The piece joining each bassin that touches it."""
    around = {
        assigned[n]
        for origin in piece
        for n in mending.adjacency.get(origin, ())
        if n in assigned and n not in piece
    }
    return [
        (
            not all((origin, pole) in mending.two_fastest for origin in piece),
            sum(mending.added_minutes(origin, pole) for origin in piece),
            0,
            pole,
            dict.fromkeys(piece, pole),
        )
        for pole in sorted(around)
    ]


def _bridgings(
    piece: set[str],
    pole: str,
    core: set[str] | None,
    assigned: Mapping[str, str],
    bassins: Mapping[str, set[str]],
    mending: _Mending,
) -> list[_Option]:
    """The cheapest bridge from ``piece`` to its bassin's core, if one is allowed.

    Dijkstra from the piece over the origins that may move to ``pole`` (it is one of
    their two fastest; not a pole commune), each costing its added minutes.
    """
    if core is None:
        return []
    added: dict[str, float] = {origin: 0.0 for origin in piece}
    previous: dict[str, str] = {}
    heap = [(0.0, origin) for origin in sorted(piece)]
    while heap:
        cost, origin = heapq.heappop(heap)
        if origin in core:
            break
        if cost > added[origin]:
            continue
        for n in mending.adjacency.get(origin, ()):
            if n in core:
                step = 0.0
            elif (
                n in assigned
                and assigned[n] != pole
                and n not in mending.homes
                and (n, pole) in mending.two_fastest
            ):
                step = mending.added_minutes(n, pole)
            else:
                continue
            if cost + step < added.get(n, math.inf):
                added[n] = cost + step
                previous[n] = origin
                heapq.heappush(heap, (cost + step, n))
    else:
        return []
    bridge: list[str] = []
    step_back = previous.get(origin)
    while step_back is not None and step_back not in piece:
        bridge.append(step_back)
        step_back = previous.get(step_back)
    for left in {assigned[o] for o in bridge}:
        remaining = bassins[left] - set(bridge)
        if len(_pieces(remaining, mending.adjacency)) > len(
            _pieces(bassins[left], mending.adjacency)
        ):
            return []
    return [(False, cost, 1, pole, dict.fromkeys(bridge, pole))]
