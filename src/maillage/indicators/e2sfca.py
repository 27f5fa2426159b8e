r"""Supply versus demand: the enhanced two-step floating catchment area (E2SFCA).

Each service's capacity (beds, staff, opening hours per week...) is shared among the
inhabitants who can reach it, weighted by a stepped distance decay; each origin then adds
up the shares of the services it can reach, with the same weights. The result reads as
*capacity available per inhabitant* (e.g. hours of opening per week per inhabitant, or per
10,000 inhabitants with ``per_inhabitants=10_000``).

.. math::

    R_j = \frac{S_j}{\sum_{k} P_k \, W(t_{kj})}, \qquad
    A_i = \sum_{j} R_j \, W(t_{ij}), \qquad
    W(t) = \begin{cases}
        w_1 & 0 \le t \le d_1 \\
        w_r & d_{r-1} < t \le d_r \\
        0 & t > d_R \text{ or unreachable}
    \end{cases}

where :math:`S_j` is the capacity of service :math:`j`, :math:`P_k` the population
(of the chosen age band) of origin :math:`k`, :math:`t_{kj}` the travel time in minutes,
and :math:`(d_r, w_r)` the steps. The defaults are DREES's APL weights: 1 up to 5 minutes,
0.3 up to 10, 0.1 up to 15, nothing beyond. A single step ``((cutoff, 1.0),)`` gives the
classic two-step floating catchment area (2SFCA; :func:`two_sfca`).

References
----------
Luo, W., & Qi, Y. (2009). An enhanced two-step floating catchment area (E2SFCA) method
for measuring spatial accessibility to primary care physicians. *Health & Place*, 15(4),
1100–1107. https://doi.org/10.1016/j.healthplace.2009.06.002

Barlet, M., Coldefy, M., Collin, C., & Lucas-Gabrielli, V. (2012). L'Accessibilité
potentielle localisée (APL) : une nouvelle mesure de l'accessibilité aux médecins
généralistes libéraux. *Études et Résultats* n° 795, DREES.

Conventions (those of PySAL's ``access`` package, checked against it in the tests):

* a step bound is inclusive: a time exactly equal to ``d_r`` gets ``w_r``;
* a pair with NaN minutes (unreachable), beyond the last bound, or absent from the
  travel-time table (a sparse table, only pairs within a cutoff, is fine) weighs 0;
* an origin that reaches nothing has accessibility 0 (PySAL gives 0 too when the origin
  has pairs in its cost table, but NaN when it has none, e.g. after its ``max_cost``
  filter);
* a service whose weighted demand is 0 (nobody, or only origins of zero population,
  within its catchment) has an undefined ratio, NaN. It adds nothing to the origins that
  reach it with weight 0; an origin that reaches it with a positive weight (necessarily
  an origin of zero population) gets NaN: the capacity per inhabitant there is undefined
  (PySAL gives ``inf``; maillage writes no sentinel).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from maillage._errors import MaillageError

#: DREES's APL steps: (upper bound in minutes, inclusive; weight).
DEFAULT_STEPS_MINUTES: tuple[tuple[float, float], ...] = ((5, 1.0), (10, 0.3), (15, 0.1))

_SHOWN = 10  # ids named in an error message before "…"


class CatchmentInputError(MaillageError):
    """The tables given to a floating catchment indicator are inconsistent.

    The message lists every problem found, each with its fix.

    Examples
    --------
    >>> issubclass(CatchmentInputError, MaillageError)
    True
    """


@dataclass(frozen=True)
class _Catchment:
    """Validated inputs as arrays: one position per origin, per service and per pair."""

    origin_ids: pd.Index
    service_ids: pd.Index
    population: npt.NDArray[np.float64]
    capacity: npt.NDArray[np.float64]
    pair_origin: npt.NDArray[np.intp]
    pair_service: npt.NDArray[np.intp]
    pair_weight: npt.NDArray[np.float64]


def e2sfca(
    travel_times: pd.DataFrame,
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    *,
    steps_minutes: Sequence[tuple[float, float]] = DEFAULT_STEPS_MINUTES,
    per_inhabitants: float = 1.0,
    origin_id: str = "origin_id",
    service_id: str = "service_id",
    minutes: str = "minutes",
    population: str = "population",
    capacity: str = "capacity",
) -> pd.DataFrame:
    r"""Capacity of the services within reach per inhabitant, by E2SFCA (Luo & Qi, 2009).

    .. math::

        A_i = \sum_j W(t_{ij}) \, \frac{S_j}{\sum_k P_k \, W(t_{kj})}

    with :math:`W` the stepped weight of ``steps_minutes`` (bounds inclusive, 0 beyond
    the last one or when unreachable). See the module's docstring for the conventions and
    the references (Luo & Qi 2009; DREES's APL, Barlet et al. 2012).

    Parameters
    ----------
    travel_times
        Tidy long table ``origin_id, service_id, minutes``, one row per pair; NaN minutes
        when unreachable. Pairs may be left out (a sparse table within a cutoff): they
        weigh 0.
    demand
        One row per origin: ``origin_id`` and the ``population`` column, which may be an
        age band (``population="population_65_plus"`` for home services...).
    supply
        One row per service: ``service_id`` and its ``capacity`` (beds, staff, hours per
        week...).
    steps_minutes
        ``(upper bound in minutes, weight)`` pairs, bounds strictly increasing; a time
        equal to a bound takes that step's weight. Defaults to DREES's APL steps
        1 / 0.3 / 0.1 for 0–5 / 5–10 / 10–15 minutes.
    per_inhabitants
        Scale of the result: 1 for capacity per inhabitant, 10,000 for capacity per
        10,000 inhabitants (DREES publishes the APL of several professions per 100,000).
    origin_id, service_id, minutes, population, capacity
        Column names.

    Returns
    -------
    pandas.DataFrame
        One row per origin of ``demand``, in its order: ``origin_id`` and
        ``accessibility``, in units of ``capacity`` per ``per_inhabitants`` inhabitants;
        0 when no service is within reach, NaN only for an origin of zero population
        reaching a service that has no other demand (undefined).

    Raises
    ------
    CatchmentInputError
        Missing columns, ids of ``travel_times`` absent from ``demand`` or ``supply``,
        duplicate ids or pairs, missing or negative population, capacity or minutes, bad
        steps. Every problem is listed in one message.

    See Also
    --------
    service_ratios : the capacity-to-weighted-demand ratio of each service (first step).
    two_sfca : the classic two-step floating catchment area (one step, weight 1).

    Examples
    --------
    Two villages share a France Services open 24 hours a week; the second is 8 minutes
    away, so its 300 inhabitants count for 0.3 × 300 = 90 in the site's demand.

    >>> times = pd.DataFrame({"origin_id": ["a", "b"], "service_id": "fs",
    ...                       "minutes": [2.0, 8.0]})
    >>> demand = pd.DataFrame({"origin_id": ["a", "b"], "population": [150, 300]})
    >>> supply = pd.DataFrame({"service_id": ["fs"], "capacity": [24.0]})
    >>> e2sfca(times, demand, supply, per_inhabitants=1000).round(3).to_dict("records")
    [{'origin_id': 'a', 'accessibility': 100.0}, {'origin_id': 'b', 'accessibility': 30.0}]
    """
    catchment = _prepare(
        travel_times,
        demand,
        supply,
        steps_minutes=steps_minutes,
        origin_id=origin_id,
        service_id=service_id,
        minutes=minutes,
        population=population,
        capacity=capacity,
    )
    _check_scale(per_inhabitants)
    ratio = _ratios(catchment)[1]
    weight = catchment.pair_weight
    reached = weight > 0
    share = np.where(reached, weight * np.nan_to_num(ratio[catchment.pair_service]), 0.0)
    n_origins = len(catchment.origin_ids)
    total = np.bincount(catchment.pair_origin, weights=share, minlength=n_origins)
    undefined = np.bincount(
        catchment.pair_origin,
        weights=(reached & np.isnan(ratio[catchment.pair_service])).astype(float),
        minlength=n_origins,
    )
    accessibility = np.where(undefined > 0, np.nan, total * per_inhabitants)
    return pd.DataFrame(
        {origin_id: catchment.origin_ids.to_numpy(), "accessibility": accessibility}
    )


def service_ratios(
    travel_times: pd.DataFrame,
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    *,
    steps_minutes: Sequence[tuple[float, float]] = DEFAULT_STEPS_MINUTES,
    per_inhabitants: float = 1.0,
    origin_id: str = "origin_id",
    service_id: str = "service_id",
    minutes: str = "minutes",
    population: str = "population",
    capacity: str = "capacity",
) -> pd.DataFrame:
    r"""The first step of E2SFCA: each service's capacity over its weighted demand.

    .. math::

        R_j = \frac{S_j}{\sum_k P_k \, W(t_{kj})}

    Parameters are those of :func:`e2sfca`.

    Returns
    -------
    pandas.DataFrame
        One row per service of ``supply``, in its order: ``service_id``, ``capacity``,
        ``weighted_population`` (:math:`\sum_k P_k W(t_{kj})`, inhabitants) and ``ratio``
        (capacity per ``per_inhabitants`` inhabitants; NaN when the weighted population is
        0: the ratio is undefined).

    Examples
    --------
    >>> times = pd.DataFrame({"origin_id": ["a", "b"], "service_id": "fs",
    ...                       "minutes": [2.0, 8.0]})
    >>> demand = pd.DataFrame({"origin_id": ["a", "b"], "population": [150, 300]})
    >>> supply = pd.DataFrame({"service_id": ["fs", "far"], "capacity": [24.0, 30.0]})
    >>> service_ratios(times, demand, supply, per_inhabitants=1000).to_dict("records")
    [{'service_id': 'fs', 'capacity': 24.0, 'weighted_population': 240.0, 'ratio': 100.0},
     {'service_id': 'far', 'capacity': 30.0, 'weighted_population': 0.0, 'ratio': nan}]
    """
    catchment = _prepare(
        travel_times,
        demand,
        supply,
        steps_minutes=steps_minutes,
        origin_id=origin_id,
        service_id=service_id,
        minutes=minutes,
        population=population,
        capacity=capacity,
    )
    _check_scale(per_inhabitants)
    weighted, ratio = _ratios(catchment)
    return pd.DataFrame(
        {
            service_id: catchment.service_ids.to_numpy(),
            "capacity": catchment.capacity,
            "weighted_population": weighted,
            "ratio": ratio * per_inhabitants,
        }
    )


def two_sfca(
    travel_times: pd.DataFrame,
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    *,
    cutoff_minutes: float,
    per_inhabitants: float = 1.0,
    origin_id: str = "origin_id",
    service_id: str = "service_id",
    minutes: str = "minutes",
    population: str = "population",
    capacity: str = "capacity",
) -> pd.DataFrame:
    """The classic two-step floating catchment area (2SFCA): one step of weight 1.

    The same as :func:`e2sfca` with ``steps_minutes=((cutoff_minutes, 1.0),)``: every
    service within ``cutoff_minutes`` (inclusive) counts fully, none beyond.

    Examples
    --------
    >>> times = pd.DataFrame({"origin_id": ["a", "b"], "service_id": "fs",
    ...                       "minutes": [2.0, 8.0]})
    >>> demand = pd.DataFrame({"origin_id": ["a", "b"], "population": [150, 300]})
    >>> supply = pd.DataFrame({"service_id": ["fs"], "capacity": [24.0]})
    >>> two_sfca(times, demand, supply, cutoff_minutes=10, per_inhabitants=1000)[
    ...     "accessibility"].tolist()
    [53.333333333333336, 53.333333333333336]
    """
    return e2sfca(
        travel_times,
        demand,
        supply,
        steps_minutes=((cutoff_minutes, 1.0),),
        per_inhabitants=per_inhabitants,
        origin_id=origin_id,
        service_id=service_id,
        minutes=minutes,
        population=population,
        capacity=capacity,
    )


def step_weights(
    minutes: npt.ArrayLike, steps_minutes: Sequence[tuple[float, float]]
) -> npt.NDArray[np.float64]:
    """The stepped distance-decay weight of each time (bounds inclusive, 0 beyond or NaN).

    Examples
    --------
    >>> step_weights([0.0, 5.0, 5.5, 15.0, 15.1, float("nan")], DEFAULT_STEPS_MINUTES)
    array([1. , 1. , 0.3, 0.1, 0. , 0. ])
    """
    problems = _check_steps(steps_minutes)
    if problems:
        raise CatchmentInputError(_report(problems))
    bounds = np.array([bound for bound, _ in steps_minutes], dtype=float)
    weights = np.array([weight for _, weight in steps_minutes] + [0.0], dtype=float)
    times = np.asarray(minutes, dtype=float)
    position = np.searchsorted(bounds, times, side="left")  # bound[p-1] < t <= bound[p]
    position[np.isnan(times)] = len(bounds)
    result: npt.NDArray[np.float64] = weights[position]
    return result


def _ratios(
    catchment: _Catchment,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Weighted population of each service and its ratio (NaN where that is 0)."""
    weighted = np.asarray(
        np.bincount(
            catchment.pair_service,
            weights=catchment.pair_weight * catchment.population[catchment.pair_origin],
            minlength=len(catchment.service_ids),
        ),
        dtype=np.float64,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.asarray(
            np.where(weighted > 0, catchment.capacity / weighted, np.nan), dtype=np.float64
        )
    return weighted, ratio


def _prepare(
    travel_times: pd.DataFrame,
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    *,
    steps_minutes: Sequence[tuple[float, float]],
    origin_id: str,
    service_id: str,
    minutes: str,
    population: str,
    capacity: str,
) -> _Catchment:
    """Check the three tables together, list every problem, and turn them into arrays."""
    problems = _check_steps(steps_minutes)
    for table, label, columns in (
        (travel_times, "temps de trajet", [origin_id, service_id, minutes]),
        (demand, "demande", [origin_id, population]),
        (supply, "offre", [service_id, capacity]),
    ):
        absent = [column for column in columns if column not in table.columns]
        if absent:
            problems.append(
                f"table « {label} » : colonne(s) absente(s) {_quote(absent)}. Correction : "
                "renommez les colonnes ou nommez-les avec les options origin_id=, "
                "service_id=, minutes=, population=, capacity="
            )
    if problems:
        raise CatchmentInputError(_report(problems))

    origin_ids = pd.Index(demand[origin_id])
    service_ids = pd.Index(supply[service_id])
    problems += _duplicates(origin_ids, "demande", origin_id)
    problems += _duplicates(service_ids, "offre", service_id)
    # Ids as integer codes (millions of pairs nationally): each text hashed once.
    origin_code, origin_values = pd.factorize(travel_times[origin_id], use_na_sentinel=False)
    service_code, service_values = pd.factorize(travel_times[service_id], use_na_sentinel=False)
    pair_code = origin_code.astype(np.int64) * max(len(service_values), 1) + service_code
    pairs = travel_times[[origin_id, service_id]]
    doubled = pairs[pd.Series(pair_code).duplicated().to_numpy()].drop_duplicates()
    if len(doubled):
        listed = [f"{o} → {s}" for o, s in doubled.itertuples(index=False)]
        problems.append(
            f"table « temps de trajet » : {len(doubled)} couple(s) en double {_ids(listed)}. "
            "Correction : gardez une ligne par couple origine–service (le temps le plus court)"
        )
    people = _values(demand[population], "demande", population, problems)
    places = _values(supply[capacity], "offre", capacity, problems)
    times = _values(travel_times[minutes], "temps de trajet", minutes, problems, nan_ok=True)
    if problems:  # duplicate ids make the look-ups below ambiguous
        raise CatchmentInputError(_report(problems))

    pair_origin = origin_ids.get_indexer(origin_values)[origin_code]
    pair_service = service_ids.get_indexer(service_values)[service_code]
    for positions, column, table, fix in (
        (pair_origin, origin_id, "demande", "ajoutez leur population à la table de demande"),
        (pair_service, service_id, "offre", "ajoutez leur capacité à la table d'offre"),
    ):
        unknown = pd.unique(travel_times.loc[positions < 0, column])
        if len(unknown):
            problems.append(
                f"table « temps de trajet » : {len(unknown)} identifiant(s) « {column} » "
                f"absent(s) de la table « {table} » {_ids(list(unknown))}. Correction : "
                f"{fix}, ou retirez ces lignes des temps de trajet (vérifiez aussi que les "
                "codes ont le même type, texte « 01001 » et non nombre 1001)"
            )
    if problems:
        raise CatchmentInputError(_report(problems))
    return _Catchment(
        origin_ids=origin_ids,
        service_ids=service_ids,
        population=people,
        capacity=places,
        pair_origin=pair_origin,
        pair_service=pair_service,
        pair_weight=step_weights(times, steps_minutes),
    )


def _check_steps(steps_minutes: Sequence[tuple[float, float]]) -> list[str]:
    fix = (
        "donnez des paliers (borne en minutes, poids), par exemple ((5, 1.0), (10, 0.3), (15, 0.1))"
    )
    try:
        bounds = np.array([bound for bound, _ in steps_minutes], dtype=float)
        weights = np.array([weight for _, weight in steps_minutes], dtype=float)
    except (TypeError, ValueError):
        return [f"paliers illisibles : {steps_minutes!r}. Correction : {fix}"]
    if len(bounds) == 0:
        return [f"aucun palier de temps. Correction : {fix}"]
    problems = []
    if not (np.isfinite(bounds).all() and (bounds >= 0).all() and (np.diff(bounds) > 0).all()):
        problems.append(
            f"bornes des paliers {bounds.tolist()} : elles doivent être positives, finies et "
            f"strictement croissantes. Correction : {fix}"
        )
    if not (np.isfinite(weights).all() and (weights >= 0).all()):
        problems.append(
            f"poids des paliers {weights.tolist()} : ils doivent être positifs ou nuls et "
            f"finis. Correction : {fix}"
        )
    return problems


def _check_scale(per_inhabitants: float) -> None:
    if not (np.isfinite(per_inhabitants) and per_inhabitants > 0):
        raise CatchmentInputError(
            f"per_inhabitants = {per_inhabitants!r} : il doit être un nombre strictement "
            "positif. Correction : 1 pour une capacité par habitant, 10000 pour 10 000 habitants"
        )


def _values(
    column: pd.Series,
    table: str,
    name: str,
    problems: list[str],
    *,
    nan_ok: bool = False,
) -> npt.NDArray[np.float64]:
    """The column as floats; appends a problem for non-numbers, missing or negative values."""
    numbers = pd.to_numeric(column, errors="coerce").astype("Float64")
    not_numbers = column.notna() & numbers.isna()
    if not_numbers.any():
        problems.append(
            f"table « {table} », colonne « {name} » : {int(not_numbers.sum())} valeur(s) non "
            f"numérique(s) {_ids(list(column[not_numbers].unique()))}. Correction : "
            "n'y mettez que des nombres"
        )
    missing = column.isna()
    if missing.any() and not nan_ok:
        problems.append(
            f"table « {table} », colonne « {name} » : {int(missing.sum())} valeur(s) "
            "manquante(s). Correction : complétez-les (0 si la valeur est nulle)"
        )
    negative = (numbers < 0).fillna(False)
    if negative.any():
        problems.append(
            f"table « {table} », colonne « {name} » : {int(negative.sum())} valeur(s) "
            f"négative(s) {_ids(list(numbers[negative].unique()))}. Correction : "
            "vérifiez la source, ces valeurs ne peuvent pas être négatives"
        )
    values: npt.NDArray[np.float64] = numbers.to_numpy(dtype=float, na_value=np.nan)
    return values


def _duplicates(ids: pd.Index, table: str, column: str) -> list[str]:
    doubled = pd.unique(ids[ids.duplicated()])
    if not len(doubled):
        return []
    return [
        f"table « {table} » : {len(doubled)} identifiant(s) « {column} » en double "
        f"{_ids(list(doubled))}. Correction : gardez une ligne par identifiant (additionnez "
        "les populations ou les capacités au besoin)"
    ]


def _ids(values: Sequence[object]) -> str:
    shown = ", ".join(str(value) for value in values[:_SHOWN])
    return f"({shown}{', …' if len(values) > _SHOWN else ''})"


def _quote(names: list[str]) -> str:
    return ", ".join(f"« {name} »" for name in names)


def _report(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problèmes :\n" + "\n".join(f"- {problem}" for problem in problems)
