r"""Optimal siting of services: where to open new sites of a type, existing ones kept.

Three classic location models, built from a cost table (origins × sites, minutes) with
PySAL ``spopt`` and solved exactly by the solver passed in (HiGHS by default, through
PuLP; CBC fails on these models), or approximately by a documented greedy heuristic
(:mod:`maillage.planning._greedy`) whose gap to the LP-relaxation bound is reported:

* **maximal covering** (``"max_covering"``, Church & ReVelle 1974): open :math:`p` new
  sites so that the most inhabitants are within :math:`T` minutes of an open site,

  .. math:: \max \sum_i a_i z_i \ \text{s.t.}\ z_i \le \sum_{j \in N_i} y_j,\
            \sum_j y_j = p + |F|,\ y_j = 1\ (j \in F),\ y, z \in \{0, 1\}

* **set covering** (``"set_covering"``, Toregas et al. 1971): the fewest new sites so that
  every inhabitant who *can* be within :math:`T` is (the others are listed, never dropped
  in silence), optionally with capacities (CLSCP-SO);

  .. math:: \min \sum_j y_j \ \text{s.t.}\ \sum_{j \in N_i} y_j \ge 1,\ y_j = 1\ (j \in F)

* **p-median** (``"p_median"``, Hakimi 1964; ReVelle & Swain 1970): open :math:`p` new
  sites minimising the population-weighted time to the assigned site, optionally with
  capacities (each origin then goes to one site with room),

  .. math:: \min \sum_{i,j} a_i d_{ij} x_{ij} \ \text{s.t.}\ \sum_j x_{ij} = 1,\
            x_{ij} \le y_j,\ \sum_j y_j = p + |F|,\ y_j = 1\ (j \in F)

where :math:`a_i` is the population of commune :math:`i`, :math:`d_{ij}` the travel time,
:math:`N_i` the sites within :math:`T` of :math:`i` and :math:`F` the existing (fixed)
sites. Results are DataFrames: chosen sites with their commune, name, coordinates and
population assigned / covered, and one row per origin.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from maillage._errors import MaillageError
from maillage.network.model import StraightLineModel, TravelTimeModel
from maillage.notes import Note
from maillage.planning import _greedy
from maillage.planning._sites import (
    SITE_COLUMNS,
    as_points,
    read_site_list,
    resolve_service_type,
    town_halls,
)

__all__ = [
    "MODELS",
    "SitingResult",
    "as_points",
    "candidate_sites",
    "locate_sites",
    "read_site_list",
    "resolve_service_type",
    "siting_costs",
    "town_halls",
]

#: The models and their French names (used in every output).
MODELS = {
    "max_covering": "couverture maximale",
    "set_covering": "couverture totale",
    "p_median": "p-médiane",
}

#: Time given to an (origin, site) pair beyond the cost table's cutoff, in multiples of
#: the largest time in the table, so that the p-median never prefers it (flagged after).
_PENALTY_FACTOR = 10.0


@dataclass
class SitingResult:
    """What a siting returns (tidy tables, units in column names).

    Attributes
    ----------
    model
        ``"max_covering"``, ``"set_covering"`` or ``"p_median"`` (:data:`MODELS`).
    method
        ``"exact"`` (spopt model solved by ``solver``) or ``"greedy"``.
    solver
        The solver's name (``"HiGHS"``) or the heuristic's.
    within_minutes
        The coverage threshold :math:`T`.
    sites
        One row per open site: ``site_id, name, commune, lon, lat, existing`` (kept
        fixed), ``population_assigned`` (inhabitants whose assigned site it is),
        ``population_covered`` (within :math:`T` of it), ``population_newly_covered``
        (assigned to it and not covered before), ``order`` (greedy's order, else 0).
    origins
        One row per origin: ``origin_id, population, site_before, minutes_before,
        site_id, minutes`` (assigned site after; NaN when none within the cost table),
        ``covered_before, covered`` (within :math:`T`).
    population_total, population_covered_before, population_covered_after
        Inhabitants in all, and within :math:`T` before / after the new sites.
    mean_minutes_before, mean_minutes_after
        Population-weighted mean time to the nearest (or assigned) open site, over the
        origins that reach one.
    objective
        The model's objective (covered population; number of new sites;
        population × minutes).
    bound
        The LP-relaxation bound of the objective (HiGHS), NaN for the exact method.
    gap
        Relative gap :math:`|\\text{objective} - \\text{bound}| / |\\text{bound}|`; 0 when
        the exact solver proved optimality.
    gap_bound
        The greedy heuristic's documented worst-case gap (``None`` when it has none, as
        for the p-median, or for the exact method).
    uncoverable
        Origins no site (new or existing) can reach within :math:`T` (p-median: within
        the cost table): never dropped in silence, listed here and in ``notes``.
    seconds
        Time spent solving (model building included).
    notes
        French remarks for the outputs.

    Examples
    --------
    >>> from maillage.study import Study
    >>> study = Study.builtin(buffer_km=0, builtin_sources=["france_services", "mairies"])
    >>> result = study.site("france-services", within_minutes=15, new_sites=1).result
    >>> result.model, result.method, result.solver, result.within_minutes
    ('max_covering', 'exact', 'HiGHS', 15.0)
    >>> result.population_covered_before <= result.population_covered_after
    True
    """

    model: str
    method: str
    solver: str
    within_minutes: float
    sites: pd.DataFrame
    origins: pd.DataFrame
    population_total: float
    population_covered_before: float
    population_covered_after: float
    mean_minutes_before: float
    mean_minutes_after: float
    objective: float
    bound: float
    gap: float
    gap_bound: float | None
    uncoverable: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[Note] = field(default_factory=list)

    @property
    def population_newly_covered(self) -> float:
        """Inhabitants within :math:`T` after and not before."""
        return self.population_covered_after - self.population_covered_before

    @property
    def new_sites(self) -> pd.DataFrame:
        """The chosen (new) sites only."""
        return self.sites[~self.sites["existing"]].reset_index(drop=True)


def siting_costs(
    origins: gpd.GeoDataFrame,
    sites: pd.DataFrame,
    *,
    model: TravelTimeModel | None = None,
    cutoff_minutes: float = 90.0,
) -> pd.DataFrame:
    """Travel times from origins to sites: ``origin_id, site_id, minutes``.

    Times of ``model`` (:mod:`maillage.network.model`; the straight-line estimate by
    default); pairs beyond ``cutoff_minutes`` are left out (unreachable for the models).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> origins = gpd.GeoDataFrame({"origin_id": ["o"]}, geometry=[Point(6.35, 45.27)],
    ...                            crs=4326)
    >>> sites = pd.DataFrame({"site_id": ["s"], "lon": [6.45], "lat": [45.27]})
    >>> siting_costs(origins, sites).round(1).to_dict("records")
    [{'origin_id': 'o', 'site_id': 's', 'minutes': 14.6}]
    """
    points = as_points(sites[["site_id", "lon", "lat"]]).rename(columns={"site_id": "service_id"})
    model = StraightLineModel() if model is None else model
    table = model.matrix(origins, points, cutoff_minutes=cutoff_minutes)
    return table.rename(columns={"service_id": "site_id"})[["origin_id", "site_id", "minutes"]]


def candidate_sites(
    services: gpd.GeoDataFrame,
    communes: Sequence[str],
    *,
    kind: str = "mairies",
) -> pd.DataFrame:
    """Candidate sites in the given communes: ``"mairies"`` (one town hall per commune) or
    ``"batiments-publics"`` (every public service point there: town halls, France
    Services, hospitals...), as ``site_id, name, commune, lon, lat``.

    Examples
    --------
    >>> from maillage.services.catalogue import builtin_services
    >>> candidate_sites(builtin_services("mairies"), ["73248", "73261"])["site_id"].tolist()
    ['mairie:73248', 'mairie:73261']
    """
    codes = [str(code) for code in communes]
    if kind == "mairies":
        return town_halls(services, codes)
    if kind == "batiments-publics":
        inside = services[services["commune"].isin(codes)]
        return pd.DataFrame(
            {
                "site_id": inside["service_id"].astype(str).to_numpy(),
                "name": inside["name"].astype(str).to_numpy(),
                "commune": inside["commune"].astype(str).to_numpy(),
                "lon": inside["lon"].to_numpy(dtype=float),
                "lat": inside["lat"].to_numpy(dtype=float),
            }
        ).drop_duplicates("site_id", ignore_index=True)
    raise MaillageError(
        f"candidats « {kind} » inconnus. Correction : « mairies », « batiments-publics » "
        "ou un fichier CSV de sites"
    )


def locate_sites(
    costs: pd.DataFrame,
    population: pd.DataFrame,
    *,
    model: str,
    within_minutes: float,
    new_sites: int | None = None,
    candidates: Sequence[str] | None = None,
    fixed: Sequence[str] = (),
    capacities: Mapping[str, float] | None = None,
    solver: Any = None,
    heuristic: bool = False,
    sites: pd.DataFrame | None = None,
) -> SitingResult:
    """Choose new sites with a location model, existing sites kept open.

    Parameters
    ----------
    costs
        ``origin_id, site_id, minutes`` (tidy; a missing pair or NaN is unreachable).
    population
        ``origin_id, population``: every origin to serve.
    model
        ``"max_covering"``, ``"set_covering"`` or ``"p_median"``.
    within_minutes
        The threshold :math:`T` of coverage (and of the "covered" figures of every model).
    new_sites
        :math:`p`, the number of sites to open (not for set covering, which finds it).
    candidates
        Site ids that may be opened (every site of ``costs`` not in ``fixed`` by default).
    fixed
        Existing sites, kept open whatever happens.
    capacities
        Inhabitants each site can serve (set covering and p-median, exact method only).
    solver
        A PuLP solver; ``pulp.HiGHS(msg=False)`` by default.
    heuristic
        Use the greedy heuristic and report its gap to the LP bound.
    sites
        ``site_id, name, commune, lon, lat`` to describe the chosen sites.

    Returns
    -------
    SitingResult

    Raises
    ------
    MaillageError
        An unknown model, too few candidates, missing or bad inputs, an infeasible model.

    Examples
    --------
    >>> costs = pd.DataFrame({"origin_id": ["a", "b", "c", "c"], "site_id": ["x", "y", "y", "z"],
    ...                       "minutes": [5.0, 10.0, 12.0, 3.0]})
    >>> pop = pd.DataFrame({"origin_id": ["a", "b", "c"], "population": [100, 300, 50]})
    >>> r = locate_sites(costs, pop, model="max_covering", within_minutes=15, new_sites=1,
    ...                  fixed=["z"])
    >>> r.new_sites["site_id"].tolist(), r.population_covered_before, r.population_covered_after
    (['y'], 50.0, 350.0)
    """
    started = time.perf_counter()
    if model not in MODELS:
        raise MaillageError(
            f"modèle « {model} » inconnu. Correction : choisissez parmi {', '.join(MODELS)}"
        )
    if within_minutes <= 0:
        raise MaillageError("seuil de temps nul ou négatif. Correction : un nombre de minutes > 0")
    fixed_ids = [str(s) for s in dict.fromkeys(fixed)]
    all_ids = list(dict.fromkeys(costs["site_id"].astype(str)))
    candidate_ids = (
        [s for s in all_ids if s not in set(fixed_ids)]
        if candidates is None
        else [str(s) for s in dict.fromkeys(candidates) if str(s) not in set(fixed_ids)]
    )
    site_ids = fixed_ids + candidate_ids
    if model != "set_covering":
        if new_sites is None or new_sites < 1:
            raise MaillageError(
                "nombre de sites à ouvrir manquant ou nul. Correction : indiquez au moins 1 site"
            )
        if new_sites > len(candidate_ids):
            raise MaillageError(
                f"{new_sites} sites demandés pour {len(candidate_ids)} candidats. Correction : "
                "demandez moins de sites ou donnez plus de candidats"
            )
    if capacities is not None and model == "max_covering":
        raise MaillageError(
            "le modèle de couverture maximale ne prend pas de capacités. Correction : utilisez "
            "la couverture totale ou la p-médiane"
        )
    if capacities is not None and heuristic:
        raise MaillageError(
            "l'heuristique gloutonne ne prend pas de capacités. Correction : retirez les "
            "capacités ou résolvez exactement"
        )
    weights_table = population[["origin_id", "population"]].copy()
    weights_table["origin_id"] = weights_table["origin_id"].astype(str)
    if weights_table["origin_id"].duplicated().any() or weights_table["population"].isna().any():
        raise MaillageError(
            "population : une ligne par origine, sans valeur manquante. Correction : vérifiez "
            "la table de population"
        )
    origin_ids = weights_table["origin_id"].tolist()
    weights = weights_table["population"].to_numpy(dtype=np.float64)
    cost = _dense(costs, origin_ids, site_ids)
    is_fixed = np.zeros(len(site_ids), dtype=bool)
    is_fixed[: len(fixed_ids)] = True
    cover = cost <= within_minutes

    notes: list[Note] = []
    reach = cover if model != "p_median" else np.isfinite(cost)
    uncoverable_mask = np.asarray(~reach.any(axis=1), dtype=np.bool_)
    uncoverable = [origin_ids[i] for i in np.flatnonzero(uncoverable_mask)]
    if uncoverable:
        notes.append(
            Note(
                "uncoverable",
                {
                    "count": len(uncoverable),
                    "ids": uncoverable,
                    "population": float(weights[uncoverable_mask].sum()),
                    "within_minutes": float(within_minutes),
                    "model": model,
                },
            )
        )
    keep = ~uncoverable_mask
    capacity_array = None
    if capacities is not None:
        missing = [s for s in site_ids if s not in capacities]
        if missing:
            raise MaillageError(
                f"capacité manquante pour : {', '.join(missing[:10])}. Correction : une "
                "capacité par site, existant ou candidat"
            )
        capacity_array = np.array([float(capacities[s]) for s in site_ids])

    if heuristic:
        chosen, order, objective, bound, gap_bound, solver_name = _solve_greedy(
            model, cost[keep], cover[keep], weights[keep], is_fixed, new_sites
        )
        method = "greedy"
        assignment = None
    else:
        chosen, assignment, objective, solver_name = _solve_exact(
            model,
            cost[keep],
            weights[keep],
            within_minutes,
            is_fixed,
            new_sites,
            capacity_array,
            solver,
        )
        order = np.zeros(len(site_ids), dtype=np.int64)
        method, bound, gap_bound = "exact", math.nan, None
    gap = 0.0
    if heuristic and math.isfinite(bound) and bound != 0:
        gap = abs(objective - bound) / abs(bound)
        gap = 0.0 if gap < 1e-9 else gap  # solver tolerance, not a gap
    open_mask = is_fixed.copy()
    open_mask[chosen] = True
    result_origins = _origins_table(
        origin_ids, weights, cost, is_fixed, open_mask, site_ids, within_minutes, keep, assignment
    )
    table = _sites_table(
        result_origins, cost, weights, site_ids, open_mask, is_fixed, order, within_minutes, sites
    )
    covered_before = float(weights[result_origins["covered_before"].to_numpy()].sum())
    covered_after = float(weights[result_origins["covered"].to_numpy()].sum())
    if model == "p_median" and result_origins["minutes"].isna().any():
        far = result_origins.loc[result_origins["minutes"].isna() & keep, "origin_id"].tolist()
        if far:
            notes.append(Note("p_median_unreached", {"sites": new_sites, "ids": far}))
    return SitingResult(
        model=model,
        method=method,
        solver=solver_name,
        within_minutes=float(within_minutes),
        sites=table,
        origins=result_origins,
        population_total=float(weights.sum()),
        population_covered_before=covered_before,
        population_covered_after=covered_after,
        mean_minutes_before=_mean(result_origins["minutes_before"], weights),
        mean_minutes_after=_mean(result_origins["minutes"], weights),
        objective=float(objective),
        bound=float(bound),
        gap=float(gap),
        gap_bound=gap_bound,
        uncoverable=uncoverable,
        seconds=time.perf_counter() - started,
        notes=notes,
    )


def _dense(costs: pd.DataFrame, origin_ids: list[str], site_ids: list[str]) -> np.ndarray:
    """Origins × sites minutes, ``inf`` where a pair is missing or NaN (keeps the minimum)."""
    table = costs.assign(
        origin_id=costs["origin_id"].astype(str), site_id=costs["site_id"].astype(str)
    )
    unknown = sorted(set(table["origin_id"]) - set(origin_ids))
    if unknown:
        raise MaillageError(
            f"origine(s) sans population : {', '.join(unknown[:10])}. Correction : donnez "
            "une population à chaque origine"
        )
    rows = pd.Index(origin_ids).get_indexer(table["origin_id"])
    cols = pd.Index(site_ids).get_indexer(table["site_id"])
    minutes = table["minutes"].to_numpy(dtype=np.float64)
    valid = (cols >= 0) & np.isfinite(minutes)
    if (minutes[valid] < 0).any():
        raise MaillageError("temps de trajet négatif. Correction : vérifiez la table des temps")
    cost = np.full((len(origin_ids), len(site_ids)), np.inf)
    np.minimum.at(cost, (rows[valid], cols[valid]), minutes[valid])
    return cost


def default_solver() -> Any:
    """``pulp.HiGHS(msg=False)`` (HiGHS through highspy)."""
    import pulp

    return pulp.HiGHS(msg=False)


def _solve_exact(
    model: str,
    cost: np.ndarray,
    weights: np.ndarray,
    within_minutes: float,
    fixed: np.ndarray,
    new_sites: int | None,
    capacities: np.ndarray | None,
    solver: Any,
) -> tuple[np.ndarray, np.ndarray | None, float, str]:
    """Build the spopt model, solve it; the chosen new sites, the p-median's assignment."""
    import pulp
    from spopt.locate import LSCP, MCLP, PMedian

    solver = default_solver() if solver is None else solver
    predefined = fixed.astype(np.int64) if fixed.any() else None
    finite = np.isfinite(cost)
    if model == "max_covering":
        assert new_sites is not None
        problem: Any = MCLP.from_cost_matrix(
            np.where(finite, cost, np.inf),
            weights,
            service_radius=within_minutes,
            p_facilities=int(new_sites + fixed.sum()),
            predefined_facilities_arr=predefined,
        )
    elif model == "set_covering":
        problem = LSCP.from_cost_matrix(
            np.where(finite, cost, np.inf),
            service_radius=within_minutes,
            predefined_facilities_arr=predefined,
            demand_quantity_arr=weights if capacities is not None else None,
            facility_capacity_arr=capacities,
        )
    else:
        assert new_sites is not None
        penalty = _PENALTY_FACTOR * max(1.0, float(cost[finite].max()) if finite.any() else 1.0)
        problem = PMedian.from_cost_matrix(
            np.where(finite, cost, penalty),
            weights,
            p_facilities=int(new_sites + fixed.sum()),
            predefined_facilities_arr=predefined,
            facility_capacities=capacities,
        )
    try:
        problem.solve(solver, results=False)
    except Exception as err:  # spopt raises on infeasible / unbounded models
        raise MaillageError(
            f"le modèle « {MODELS[model]} » n'a pas de solution ({err}). Correction : "
            "ajoutez des candidats, augmentez le seuil ou les capacités"
        ) from None
    status = pulp.LpStatus[problem.problem.status]
    if status != "Optimal":
        raise MaillageError(
            f"le solveur n'a pas trouvé de solution optimale (statut {status}). Correction : "
            "ajoutez des candidats, augmentez le seuil ou les capacités"
        )
    values = np.array([(v.varValue or 0.0) > 0.5 for v in problem.fac_vars])
    chosen = np.flatnonzero(values & ~fixed)
    assignment = None
    if model == "p_median" and capacities is not None:
        assignment = np.full(cost.shape[0], -1, dtype=np.int64)
        for (i, j), var in np.ndenumerate(problem.cli_assgn_vars):
            if (var.varValue or 0.0) > 0.5:
                assignment[i] = j
    objective = float(pulp.value(problem.problem.objective))
    if model == "set_covering":
        objective = float(len(chosen))
    name = getattr(solver, "name", type(solver).__name__)
    return chosen, assignment, objective, str(name)


def _solve_greedy(
    model: str,
    cost: np.ndarray,
    cover: np.ndarray,
    weights: np.ndarray,
    fixed: np.ndarray,
    new_sites: int | None,
) -> tuple[np.ndarray, np.ndarray, float, float, float | None, str]:
    """Greedy sites, their order, the objective, the LP bound and the documented bound."""
    order = np.zeros(cost.shape[1], dtype=np.int64)
    if model == "max_covering":
        assert new_sites is not None
        chosen = _greedy.greedy_max_covering(cover, weights, fixed, new_sites)
        open_mask = fixed.copy()
        open_mask[chosen] = True
        objective = float(weights[cover[:, open_mask].any(axis=1)].sum())
        bound = _greedy.lp_max_covering(cover, weights, fixed, int(new_sites + fixed.sum()))
        gap_bound: float | None = _greedy.max_covering_bound(new_sites)
        name = "glouton (Nemhauser, Wolsey & Fisher 1978)"
    elif model == "set_covering":
        chosen = _greedy.greedy_set_covering(cover, fixed)
        objective = float(len(chosen))
        bound = _greedy.lp_set_covering(cover, fixed)
        uncovered = cover.any(axis=1) & ~cover[:, fixed].any(axis=1)
        most = int(cover[uncovered].sum(axis=0).max()) if uncovered.any() else 0
        gap_bound = _greedy.set_covering_bound(most)
        name = "glouton (Chvátal 1979)"
    else:
        assert new_sites is not None
        finite = np.isfinite(cost)
        penalty = _PENALTY_FACTOR * max(1.0, float(cost[finite].max()) if finite.any() else 1.0)
        chosen = _greedy.greedy_p_median(cost, weights, fixed, new_sites, penalty_minutes=penalty)
        open_mask = fixed.copy()
        open_mask[chosen] = True
        objective = float(weights @ np.where(finite, cost, penalty)[:, open_mask].min(axis=1))
        bound = _greedy.lp_p_median(cost, weights, fixed, int(new_sites + fixed.sum()))
        gap_bound = None
        name = "glouton + substitution (Kuehn & Hamburger 1963 ; Teitz & Bart 1968)"
    order[chosen] = np.arange(1, chosen.size + 1)
    return chosen, order, objective, bound, gap_bound, f"{name} ; borne LP par HiGHS"


def _origins_table(
    origin_ids: list[str],
    weights: np.ndarray,
    cost: np.ndarray,
    fixed: np.ndarray,
    open_mask: np.ndarray,
    site_ids: list[str],
    within_minutes: float,
    keep: np.ndarray,
    assignment: np.ndarray | None,
) -> pd.DataFrame:
    ids = np.array(site_ids, dtype=object)
    before = np.where(fixed[None, :], cost, np.inf)
    after = np.where(open_mask[None, :], cost, np.inf)
    nearest_before = before.argmin(axis=1)
    nearest_after = after.argmin(axis=1)
    if assignment is not None:
        nearest_after = nearest_after.copy()
        kept = np.flatnonzero(keep)
        nearest_after[kept] = np.where(assignment >= 0, assignment, nearest_after[kept])
    rows = np.arange(len(origin_ids))
    minutes_before = before[rows, nearest_before] if fixed.any() else np.full(len(rows), np.inf)
    minutes_after = after[rows, nearest_after]
    return pd.DataFrame(
        {
            "origin_id": origin_ids,
            "population": weights,
            "site_before": np.where(
                np.isfinite(minutes_before), ids[nearest_before] if fixed.any() else None, None
            ),
            "minutes_before": np.where(np.isfinite(minutes_before), minutes_before, np.nan),
            "site_id": np.where(np.isfinite(minutes_after), ids[nearest_after], None),
            "minutes": np.where(np.isfinite(minutes_after), minutes_after, np.nan),
            "covered_before": (before <= within_minutes).any(axis=1),
            "covered": (after <= within_minutes).any(axis=1),
        }
    )


def _sites_table(
    origins: pd.DataFrame,
    cost: np.ndarray,
    weights: np.ndarray,
    site_ids: list[str],
    open_mask: np.ndarray,
    fixed: np.ndarray,
    order: np.ndarray,
    within_minutes: float,
    sites: pd.DataFrame | None,
) -> pd.DataFrame:
    open_index = np.flatnonzero(open_mask)
    newly = origins["covered"] & ~origins["covered_before"]
    assigned = origins.groupby("site_id")["population"].sum()
    newly_assigned = origins[newly].groupby("site_id")["population"].sum()
    ids = [site_ids[j] for j in open_index]
    table = pd.DataFrame(
        {
            "site_id": ids,
            "existing": fixed[open_index],
            "order": order[open_index],
            "population_assigned": [float(assigned.get(s, 0.0)) for s in ids],
            "population_covered": [
                float(weights[cost[:, j] <= within_minutes].sum()) for j in open_index
            ],
            "population_newly_covered": [float(newly_assigned.get(s, 0.0)) for s in ids],
        }
    )
    described = (
        sites[[c for c in SITE_COLUMNS if c in sites.columns]].drop_duplicates("site_id")
        if sites is not None
        else pd.DataFrame(columns=SITE_COLUMNS)
    )
    described = described.assign(site_id=described["site_id"].astype(str))
    table = table.merge(described, on="site_id", how="left")
    for column in SITE_COLUMNS[1:]:
        if column not in table:
            table[column] = None
    columns = [
        *SITE_COLUMNS,
        "existing",
        "order",
        "population_assigned",
        "population_covered",
        "population_newly_covered",
    ]
    return table[columns].sort_values(
        ["existing", "order", "site_id"], ascending=[True, True, True], ignore_index=True
    )


def _mean(minutes: pd.Series, weights: np.ndarray) -> float:
    values = minutes.to_numpy(dtype=np.float64)
    reachable = np.isfinite(values) & (weights > 0)
    if not reachable.any():
        return math.nan
    return float(np.average(values[reachable], weights=weights[reachable]))
