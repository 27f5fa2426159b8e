"""Tour design for an itinerant service (France Services bus, itinerant doctor, mobile library).

One vehicle, one day: choose ``N`` stops among candidate communes (their town halls) and
their order, so that the drive between consecutive stops plus ``stop_minutes`` at each
stop fits in the daily budget, maximising the population that *gains* access — the
inhabitants of communes that have no service of the type within ``threshold_minutes``
today and will have a stop within it.

The model is a mixed-integer programme solved by HiGHS (`highspy`):

.. math::

    \\max \\sum_j p_j y_j
    \\quad\\text{s.t.}\\quad
    \\sum_i x_i = N,\\;
    y_j \\le \\sum_{i:\\,c_{ji} \\le T} x_i,\\;
    s_i + \\sum_k z_{ki} = x_i = e_i + \\sum_k z_{ik},\\;
    \\sum_i s_i = \\sum_i e_i = 1,

    u_i - u_k + N z_{ik} \\le N - 1 \\;(\\text{Miller–Tucker–Zemlin}),\\;
    \\sum_{(i,k)} t_{ik} z_{ik} + \\sum_i (d_i s_i + d_i e_i) + N\\,\\sigma \\le B

with ``x`` the chosen stops, ``z`` the legs of the path (``s``/``e`` its first and last
stop, ``d`` the drive from/to the depot when one is given), ``y`` the communes that gain
access (population ``p``, time ``c`` to the stop, threshold ``T``), ``σ`` the time at each
stop and ``B`` the budget. A second solve keeps that population and minimises the drive
(lexicographic). It is **exact** (proved against brute force for up to 9
candidates in the tests).

Beyond ``max_candidates`` useful candidates (default 30), a documented **heuristic** keeps the
candidates that would each bring the most population on their own (a greedy preselection)
and solves the exact programme on them. Its **bound** is the maximal-covering optimum of
``N`` stops over *all* candidates without the route constraint (also solved by HiGHS), an
upper bound of the true optimum; the gap to it is reported. When HiGHS stops at its time
limit, its own dual bound is used as well.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from maillage._errors import MaillageError
from maillage.network.model import TravelTimeModel
from maillage.network.transit import parse_clock
from maillage.notes import Note
from maillage.schema import columns

__all__ = [
    "DEFAULT_THRESHOLD_MINUTES",
    "Tour",
    "brute_force_tour",
    "design_tour",
    "solve_tour",
]

#: Access threshold of itinerant services (the issue's "reachable within 20 min").
DEFAULT_THRESHOLD_MINUTES = 20.0

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TourSolution:
    """The chosen path (candidate positions, in order) and its figures."""

    order: list[int]
    population: float
    drive_minutes: float
    bound: float
    exact: bool
    status: str  # optimal, infeasible or time_limit


def _path_minutes(order: list[int], drive: F64, depot: F64 | None) -> float:
    total = float(sum(drive[a, b] for a, b in itertools.pairwise(order)))
    if depot is not None and order:
        total += float(depot[order[0]] + depot[order[-1]])
    return total


def _covered_population(chosen: list[int], cover: npt.NDArray[np.bool_], population: F64) -> float:
    if not chosen:
        return 0.0
    return float(population[cover[:, chosen].any(axis=1)].sum())


def brute_force_tour(
    drive: F64,
    cover: npt.NDArray[np.bool_],
    population: F64,
    *,
    stops: int,
    budget_minutes: float,
    stop_minutes: float,
    depot: F64 | None = None,
) -> TourSolution:
    """Every subset of ``stops`` candidates and every order: the reference for small cases.

    Examples
    --------
    >>> drive = np.array([[0, 10, 50], [10, 0, 45], [50, 45, 0]], dtype=float)
    >>> cover = np.eye(3, dtype=bool)
    >>> best = brute_force_tour(drive, cover, np.array([100.0, 10.0, 300.0]), stops=2,
    ...                         budget_minutes=165, stop_minutes=60)
    >>> best.order, best.population  # 0 and 2 are 50 min apart: 2 + 1 instead (45 min)
    ([1, 2], 310.0)
    """
    best: TourSolution | None = None
    room = budget_minutes - stops * stop_minutes
    for subset in itertools.combinations(range(drive.shape[0]), stops):
        gained = _covered_population(list(subset), cover, population)
        if best is not None and gained < best.population:
            continue
        shortest = min(
            (list(p) for p in itertools.permutations(subset)),
            key=lambda p: _path_minutes(p, drive, depot),
        )
        minutes = _path_minutes(shortest, drive, depot)
        if minutes > room + 1e-9:
            continue
        if (
            best is None
            or gained > best.population
            or (gained == best.population and minutes < best.drive_minutes)
        ):
            best = TourSolution(shortest, gained, minutes, gained, True, "optimal")
    if best is None:
        return TourSolution([], 0.0, 0.0, 0.0, True, "infeasible")
    return best


def _quiet_highs() -> Any:
    import highspy

    # HiGHS's banner at its first use in a process is the command line's business
    # (maillage.cli.options.quiet_libraries); the library never redirects file descriptors.
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.silent()
    return highs


def _max_cover_bound(cover: npt.NDArray[np.bool_], population: F64, stops: int) -> float:
    """Maximal covering with ``stops`` stops and no route: an upper bound of the tour."""
    highs = _quiet_highs()
    n_demand, n_candidates = cover.shape
    x = highs.addBinaries(n_candidates)
    y = highs.addVariables(n_demand, lb=0, ub=1)
    highs.addConstr(sum(x[i] for i in range(n_candidates)) == stops)
    for j in range(n_demand):
        sites = np.flatnonzero(cover[j])
        highs.addConstr(y[j] <= sum(x[int(i)] for i in sites) if sites.size else y[j] <= 0)
    highs.maximize(sum(float(population[j]) * y[j] for j in range(n_demand)))
    return float(highs.getInfo().mip_dual_bound)


def solve_tour(
    drive: F64,
    cover: npt.NDArray[np.bool_],
    population: F64,
    *,
    stops: int,
    budget_minutes: float,
    stop_minutes: float,
    depot: F64 | None = None,
    time_limit_s: float = 60.0,
) -> TourSolution:
    """The best path of ``stops`` candidates within the budget (MILP, HiGHS); see the module.

    Parameters
    ----------
    drive
        ``(K, K)`` minutes between candidates (``inf``: no road).
    cover
        ``(M, K)``: whether commune ``j`` (today without access) is within the threshold of
        candidate ``i``.
    population
        ``(M,)`` population of those communes.
    stops, budget_minutes, stop_minutes
        Number of stops, the day's budget, the time at each stop.
    depot
        ``(K,)`` minutes from the vehicle's base to each candidate (and back), or ``None``
        for a path from the first stop to the last.
    time_limit_s
        HiGHS's time limit; the result then says it is not proved optimal.

    Examples
    --------
    >>> drive = np.array([[0, 10, 50], [10, 0, 45], [50, 45, 0]], dtype=float)
    >>> tour = solve_tour(drive, np.eye(3, dtype=bool), np.array([100.0, 10.0, 300.0]),
    ...                   stops=2, budget_minutes=165, stop_minutes=60)
    >>> sorted(tour.order), tour.population, tour.exact
    ([1, 2], 310.0, True)
    """
    k = drive.shape[0]
    if stops < 1 or stops > k:
        raise MaillageError(
            f"{stops} arrêt(s) demandé(s) pour {k} commune(s) candidate(s). Correction : "
            "choisissez un nombre d'arrêts entre 1 et le nombre de candidates (--arrets)."
        )
    room = budget_minutes - stops * stop_minutes
    if room < 0:
        raise MaillageError(
            f"{stops} arrêts de {stop_minutes:g} min dépassent la journée de "
            f"{budget_minutes:g} min. Correction : moins d'arrêts (--arrets), des arrêts plus "
            "courts (--duree-arret) ou une journée plus longue (--duree-max)."
        )
    highs = _quiet_highs()
    highs.setOptionValue("time_limit", float(time_limit_s))
    highs.setOptionValue("mip_rel_gap", 0.0)
    x = highs.addBinaries(k)
    start = highs.addBinaries(k)
    end = highs.addBinaries(k)
    order = highs.addVariables(k, lb=0, ub=max(stops - 1, 0))
    arcs = {
        (i, j): None
        for i in range(k)
        for j in range(k)
        if i != j and np.isfinite(drive[i, j]) and drive[i, j] <= room
    }
    z = dict(zip(arcs, highs.addBinaries(len(arcs)), strict=True)) if arcs else {}
    useful = np.flatnonzero(cover.any(axis=1))
    y = highs.addVariables(len(useful), lb=0, ub=1)
    highs.addConstr(sum(x[i] for i in range(k)) == stops)
    highs.addConstr(sum(start[i] for i in range(k)) == 1)
    highs.addConstr(sum(end[i] for i in range(k)) == 1)
    into: dict[int, list[Any]] = {i: [] for i in range(k)}
    out: dict[int, list[Any]] = {i: [] for i in range(k)}
    for (i, j), var in z.items():
        out[i].append(var)
        into[j].append(var)
        highs.addConstr(order[i] - order[j] + stops * var <= stops - 1)
    for i in range(k):
        highs.addConstr(start[i] + sum(into[i]) - x[i] == 0)
        highs.addConstr(end[i] + sum(out[i]) - x[i] == 0)
    legs = sum(float(drive[i, j]) * var for (i, j), var in z.items())
    if depot is not None:
        legs = legs + sum(float(depot[i]) * (start[i] + end[i]) for i in range(k))
    if z or depot is not None:
        highs.addConstr(legs <= room)
    # Valid cuts (they remove no tour): two or three candidates whose shortest path (with
    # the depot's legs) exceeds the budget are never chosen together. Without them the
    # Miller–Tucker–Zemlin relaxation is too weak for HiGHS to prove optimality.
    for size in (1, 2, 3):
        if size > stops:
            break
        for group in itertools.combinations(range(k), size):
            shortest = min(
                _path_minutes(list(p), drive, depot) for p in itertools.permutations(group)
            )
            if shortest > room:
                highs.addConstr(sum(x[i] for i in group) <= size - 1)
    for row, demand in enumerate(useful):
        sites = np.flatnonzero(cover[demand])
        highs.addConstr(y[row] - sum(x[int(i)] for i in sites) <= 0)
    gain = sum(float(population[j]) * y[row] for row, j in enumerate(useful))
    import highspy

    highs.maximize(gain)
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal and (z or depot is not None):
        # Second, the shortest drive among the tours that gain as much (lexicographic).
        best = float(highs.getInfo().objective_function_value)
        highs.addConstr(gain >= best - 1e-6 * max(1.0, best))
        highs.minimize(legs)
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            status = highs.getModelStatus()

    if status == highspy.HighsModelStatus.kInfeasible:
        return TourSolution([], 0.0, 0.0, 0.0, True, "infeasible")
    values = np.asarray(highs.vals(x)) > 0.5
    starts = np.asarray(highs.vals(start)) > 0.5
    if not values.any() or not starts.any():
        raise MaillageError(
            "le solveur n'a pas trouvé de tournée dans le temps imparti. Correction : moins de "
            "candidates ou un temps de calcul plus long."
        )
    successor = {i: j for (i, j), var in z.items() if highs.val(var) > 0.5}
    path = [int(np.flatnonzero(starts)[0])]
    while path[-1] in successor and len(path) < stops:
        path.append(successor[path[-1]])
    exact = status == highspy.HighsModelStatus.kOptimal
    gained = _covered_population(path, cover, population)
    bound = gained if exact else float(highs.getInfo().mip_dual_bound)
    return TourSolution(
        path,
        gained,
        _path_minutes(path, drive, depot),
        bound,
        exact,
        "optimal" if exact else "time_limit",
    )


@dataclass(frozen=True)
class Tour:
    """A designed tour and what it brings.

    Attributes
    ----------
    service_type
        The BPE type of the itinerant service.
    stops
        One row per stop in order: ``order, commune, name, lon, lat, drive_minutes`` (drive
        from the previous stop or the depot), ``arrival, departure`` (``"HH:MM"``),
        ``population_gained`` (inhabitants whose first stop within the threshold is this one)
        (:data:`maillage.schema.TABLES` ``tour_stops``).
    gains
        The communes that gain access: ``commune, name, population, stop`` (the first stop
        within the threshold) (``tour_gains``).
    population_gained
        Inhabitants who gain a service within the threshold.
    bound
        Upper bound of the population gained (equal when the result is proved optimal).
    exact
        Whether the tour is proved optimal.
    method
        ``"exact"`` or ``"heuristic"``; how the heuristic was applied is in ``notes``.
    parameters
        ``stops``, ``budget_minutes``, ``stop_minutes``, ``threshold_minutes``, ``start``
        (``"HH:MM"``), ``weekday`` (OpenStreetMap's ``Tu``...), ``depot``, ``time_method``
        (:class:`~maillage.network.model.Method` value), ``total_drive_minutes``; the
        outputs give them French keys (:mod:`maillage.outputs.tour`).
    without_access
        INSEE codes of the communes with no service of the type within the threshold
        today (those that could gain), and ``population_without_access`` their population.
    notes
        How the heuristic was applied, as data (:class:`~maillage.notes.Note`):
        ``tour_preselection`` (``kept``, ``candidates``: the communes kept among those that
        bring something) and ``tour_time_limit`` (``seconds``: HiGHS stopped at the limit);
        the outputs say them in French (:func:`maillage.outputs.tour.method_text`).

    Examples
    --------
    >>> from maillage.study import Study
    >>> study = Study.builtin(buffer_km=0, builtin_sources=["france_services", "mairies"])
    >>> tour = study.tour("france-services", stops=2, budget_minutes=300)
    >>> tour.service_type, len(tour.stops), tour.exact, tour.population_gained <= tour.bound
    ('A128', 2, True, True)
    """

    service_type: str
    stops: pd.DataFrame
    gains: pd.DataFrame
    population_gained: float
    bound: float
    exact: bool
    method: str
    parameters: dict[str, Any]
    without_access: tuple[str, ...] = ()
    population_without_access: float = 0.0
    notes: tuple[Note, ...] = ()

    @property
    def gap(self) -> float:
        """Relative gap to the bound (0 when proved optimal)."""
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.population_gained) / self.bound)


def _clock(minutes: float) -> str:
    whole = round(minutes)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def design_tour(
    communes: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    model: TravelTimeModel,
    *,
    service_type: str,
    stops: int,
    budget_minutes: float = 480.0,
    stop_minutes: float = 60.0,
    threshold_minutes: float = DEFAULT_THRESHOLD_MINUTES,
    start: str = "09:00",
    weekday: str = "Tu",
    depot: str | None = None,
    max_candidates: int = 30,
    time_limit_s: float = 60.0,
) -> Tour:
    """Design the tour of one vehicle for one day (see the module for the model).

    Parameters
    ----------
    communes
        The territory's communes: ``commune, name, population`` and a point (demand).
    services
        Existing services (``type`` column): communes already within the threshold of
        one of ``service_type`` gain nothing.
    candidates
        Candidate stops: ``commune, name`` and a point (the town hall).
    model
        Travel-time model for access and for the drive between stops (road or
        straight line).
    service_type
        BPE type of the service (``A128`` for France Services).
    stops, budget_minutes, stop_minutes, threshold_minutes
        Number of stops, the day's budget, time at each stop, access threshold.
    start, weekday
        Time of the first arrival (``"HH:MM"`` or ``"9h30"``) and day of the tour (OpenStreetMap
        ``Mo``…``Su``), for the timetable and the scenario.
    depot
        Commune (INSEE code, among the candidates) of the vehicle's base, or ``None``.
    max_candidates
        Above this number of useful candidates, the preselection heuristic applies.
    time_limit_s
        HiGHS's time limit.

    Returns
    -------
    Tour

    Examples
    --------
    Two stops among three town halls of the Haute Maurienne, straight-line times:

    >>> from maillage.network.model import StraightLineModel
    >>> from maillage.planning._sites import as_points, town_halls
    >>> from maillage.study import Study
    >>> study = Study.builtin(buffer_km=0, builtin_sources=["france_services", "mairies"])
    >>> halls = as_points(town_halls(study.services, ["73040", "73047", "73290"]))
    >>> halls["name"] = halls["commune"]
    >>> tour = design_tour(study.territory.communes, study.services, halls,
    ...                    StraightLineModel(), service_type="A128", stops=2)
    >>> sorted(tour.stops["commune"]), tour.population_gained
    (['73040', '73290'], 2702.0)
    """
    start = _clock(parse_clock(start) / 60.0)  # "9h" → "09:00"; a French error if unreadable
    if depot is not None and depot not in set(candidates["commune"]):
        raise MaillageError(
            f"Commune de départ « {depot} » absente des candidates. Correction : donnez le "
            "code INSEE d'une commune du territoire (--depot)."
        )
    origins = communes.rename(columns={"commune": "origin_id"})[["origin_id", "geometry"]]
    existing = services[services["type"] == service_type]
    covered_now = pd.Series(False, index=communes["commune"].to_numpy())
    if not existing.empty:
        nearest = model.nearest(origins, existing.assign(type=service_type))
        covered_now = pd.Series(
            (nearest["minutes"] <= threshold_minutes).to_numpy(), index=nearest["origin_id"]
        )
    need = communes[~communes["commune"].map(covered_now).fillna(False).astype(bool)]
    sites = candidates.rename(columns={"commune": "service_id"})[["service_id", "geometry"]]
    reach = model.matrix(
        need.rename(columns={"commune": "origin_id"})[["origin_id", "geometry"]],
        sites,
        cutoff_minutes=threshold_minutes,
    )
    site_codes = candidates["commune"].tolist()
    site_pos = {code: i for i, code in enumerate(site_codes)}
    need_pos = {code: j for j, code in enumerate(need["commune"])}
    cover = np.zeros((len(need), len(candidates)), dtype=bool)
    cover[
        reach["origin_id"].map(need_pos).to_numpy(int),
        reach["service_id"].map(site_pos).to_numpy(int),
    ] = True
    population = need["population"].to_numpy(dtype=float)
    useful = np.flatnonzero(cover.any(axis=0))
    if depot is not None:
        useful = np.union1d(useful, [site_pos[depot]])
    if useful.size < stops:
        # Fewer useful places than stops: fill with the others (they bring nothing).
        useful = np.arange(len(candidates))
    notes: list[Note] = []
    bound_all = np.inf
    if useful.size > max_candidates:
        alone = (cover[:, useful] * population[:, None]).sum(axis=0)
        keep = useful[np.argsort(-alone, kind="stable")[:max_candidates]]
        if depot is not None and site_pos[depot] not in keep:
            keep = np.append(keep[:-1], site_pos[depot])
        bound_all = _max_cover_bound(cover, population, stops)
        notes.append(
            Note("tour_preselection", {"kept": max_candidates, "candidates": int(useful.size)})
        )
        useful = np.sort(keep)
    pool = candidates.iloc[useful].rename(columns={"commune": "service_id"})
    drive_table = model.matrix(
        pool[["service_id", "geometry"]].rename(columns={"service_id": "origin_id"}),
        pool[["service_id", "geometry"]],
    )
    local = {code: i for i, code in enumerate(pool["service_id"])}
    drive = np.full((len(pool), len(pool)), np.inf)
    drive[
        drive_table["origin_id"].map(local).to_numpy(int),
        drive_table["service_id"].map(local).to_numpy(int),
    ] = drive_table["minutes"].to_numpy(float)
    np.fill_diagonal(drive, 0.0)
    base = None
    if depot is not None:
        base = drive[local[depot]].copy()
    solution = solve_tour(
        drive,
        cover[:, useful],
        population,
        stops=stops,
        budget_minutes=budget_minutes,
        stop_minutes=stop_minutes,
        depot=base,
        time_limit_s=time_limit_s,
    )
    if solution.status == "infeasible":
        raise MaillageError(
            f"aucune tournée de {stops} arrêts ne tient dans {budget_minutes:g} min. "
            "Correction : moins d'arrêts, des arrêts plus courts ou une journée plus longue."
        )
    if not solution.exact:
        notes.append(Note("tour_time_limit", {"seconds": time_limit_s}))
    method = "heuristic" if notes else "exact"
    # The optimum on the preselected candidates bounds nothing: the bound is then the
    # maximal covering over all of them; otherwise HiGHS's own (equal when optimal).
    bound = bound_all if np.isfinite(bound_all) else solution.bound
    exact = (method == "exact" and solution.exact) or bound <= solution.population + 1e-9
    chosen = [int(useful[i]) for i in solution.order]
    return _tour_tables(
        candidates,
        need,
        cover,
        population,
        chosen,
        drive,
        solution,
        base,
        service_type=service_type,
        bound=max(bound, solution.population),
        exact=exact,
        method=method,
        notes=tuple(notes),
        parameters={
            "stops": stops,
            "budget_minutes": budget_minutes,
            "stop_minutes": stop_minutes,
            "threshold_minutes": threshold_minutes,
            "start": start,
            "weekday": weekday,
            "depot": depot,
            "time_method": model.method.value,
        },
    )


def _tour_tables(
    candidates: gpd.GeoDataFrame,
    need: gpd.GeoDataFrame,
    cover: npt.NDArray[np.bool_],
    population: F64,
    chosen: list[int],
    drive: F64,
    solution: TourSolution,
    base: F64 | None,
    *,
    service_type: str,
    bound: float,
    exact: bool,
    method: str,
    notes: tuple[Note, ...],
    parameters: dict[str, Any],
) -> Tour:
    hours, minutes = (int(part) for part in str(parameters["start"]).split(":"))
    clock = hours * 60.0 + minutes
    rows = []
    seen = np.zeros(cover.shape[0], dtype=bool)
    points = candidates.geometry.to_crs(4326)
    for rank, (site, local) in enumerate(zip(chosen, solution.order, strict=True)):
        if rank == 0:
            leg = 0.0 if base is None else float(base[local])
        else:
            leg = float(drive[solution.order[rank - 1], local])
            clock += leg
        new = cover[:, site] & ~seen
        seen |= cover[:, site]
        rows.append(
            {
                "order": rank + 1,
                "commune": candidates["commune"].iloc[site],
                "name": candidates["name"].iloc[site],
                "lon": float(points.iloc[site].x),
                "lat": float(points.iloc[site].y),
                "drive_minutes": leg,
                "arrival": _clock(clock),
                "departure": _clock(clock + parameters["stop_minutes"]),
                "population_gained": float(population[new].sum()),
            }
        )
        clock += parameters["stop_minutes"]
    stops = pd.DataFrame(rows, columns=columns("tour_stops"))
    gained = np.flatnonzero(cover[:, chosen].any(axis=1)) if chosen else np.zeros(0, int)
    first_stop = [
        candidates["commune"].iloc[chosen[int(np.flatnonzero(cover[j, chosen])[0])]] for j in gained
    ]
    gains = pd.DataFrame(
        {
            "commune": need["commune"].iloc[gained].to_numpy(),
            "name": need["name"].iloc[gained].to_numpy(),
            "population": population[gained],
            "stop": first_stop,
        }
    )
    return Tour(
        service_type=service_type,
        stops=stops,
        gains=gains,
        population_gained=float(population[gained].sum()),
        bound=bound,
        exact=exact,
        method=method,
        parameters={**parameters, "total_drive_minutes": solution.drive_minutes},
        without_access=tuple(need["commune"].astype(str)),
        population_without_access=float(np.nansum(population)),
        notes=notes,
    )
