"""Access indicators: time to the nearest service, population beyond thresholds.

All functions take tidy tables and return tidy tables:

* travel times to the nearest service as produced by :mod:`maillage.network`
  (``origin_id, type, service_id, minutes``; NaN when unreachable);
* the population of each origin (``origin_id, population``) and the zones it belongs to
  (EPCI, bassin de vie, canton...).

INSEE's thresholds are the defaults: 7 minutes for the *gamme de proximité*, 15 for the
*intermédiaire*, 30 for the *supérieure*; 20 minutes is added, and 30 minutes is also
France Services' national target.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from maillage._errors import MaillageError
from maillage.services.typology import Typology

DEFAULT_THRESHOLDS_MINUTES: tuple[float, ...] = (7.0, 15.0, 20.0, 30.0)


def nearest_by_family(nearest: pd.DataFrame, typology: Typology) -> pd.DataFrame:
    """Time to the nearest service of each family: the minimum over the family's types.

    Parameters
    ----------
    nearest
        ``origin_id, type, service_id, minutes`` (one row per origin and type).
    typology
        Gives each type's family; types of no family, and types that are never their
        family's nearest service (``au_plus_proche = false``: psychiatric, SSR, long-term
        care hospitals), are left out.

    Returns
    -------
    pandas.DataFrame
        ``origin_id, family, service_id, minutes``; ``service_id`` is the nearest service
        of the family (NA and ``minutes`` NaN when none is reachable).

    Examples
    --------
    >>> from maillage.services.typology import load_typology
    >>> times = pd.DataFrame({"origin_id": ["a", "a", "a"], "type": ["D265", "D307", "A129"],
    ...                       "service_id": ["s1", "s2", "s3"], "minutes": [12.0, 4.0, 1.0]})
    >>> nearest_by_family(times, load_typology()).to_dict("records")
    [{'origin_id': 'a', 'family': 'social_emploi', 'service_id': 's3', 'minutes': 1.0},
     {'origin_id': 'a', 'family': 'soins', 'service_id': 's2', 'minutes': 4.0}]
    """
    family = typology.nearest_family_of(nearest["type"])
    table = nearest.assign(family=family).dropna(subset=["family"])
    table = table.sort_values(["origin_id", "family", "minutes"], na_position="last")
    first = table.drop_duplicates(["origin_id", "family"], keep="first")
    columns = ["origin_id", "family", "service_id", "minutes"]
    return first[columns].reset_index(drop=True)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The lower weighted median: the smallest value whose cumulative weight reaches half.

    NaN values (unreachable) count as larger than any time; a NaN weight (unknown
    population) counts as 0. NaN if the weights sum to 0.

    Examples
    --------
    >>> weighted_median(np.array([3.0, 10.0, 20.0]), np.array([10, 5, 6]))
    10.0
    >>> weighted_median(np.array([3.0, np.nan]), np.array([1, 3]))
    nan
    >>> weighted_median(np.array([3.0, 10.0]), np.array([np.nan, 2.0]))
    10.0
    """
    weights = np.nan_to_num(np.asarray(weights, dtype=float), nan=0.0)
    total = weights.sum()
    if total <= 0:
        return float("nan")
    order = np.argsort(np.where(np.isnan(values), np.inf, values), kind="stable")
    cumulative = np.cumsum(weights[order])
    position = int(np.searchsorted(cumulative, total / 2.0, side="left"))
    return float(values[order][position])


def access_summary(
    times: pd.DataFrame,
    population: pd.DataFrame,
    *,
    by: Sequence[str] = (),
    key: str = "family",
    thresholds_minutes: Sequence[float] = DEFAULT_THRESHOLDS_MINUTES,
) -> pd.DataFrame:
    """Population-weighted access per group of origins and per family (or type).

    Parameters
    ----------
    times
        ``origin_id``, ``key`` (``family`` or ``type``) and ``minutes`` (NaN when no
        service is reachable: such inhabitants count as beyond every threshold).
    population
        ``origin_id``, ``population`` and the zone columns named in ``by``.
    by
        Zone columns to group by (e.g. ``["epci"]``); empty for the whole territory.
    key
        The column of ``times`` that names what is reached.
    thresholds_minutes
        Thresholds for the population beyond (strictly more than) ``t`` minutes.

    Returns
    -------
    pandas.DataFrame
        Long: one row per group, ``key`` and threshold: ``population``, ``mean_minutes``,
        ``median_minutes`` (population-weighted; the mean over reachable origins only),
        ``unreachable_population`` (the same on every threshold's row),
        ``threshold_minutes``, ``population_beyond`` and ``share_beyond`` (0–1). Origins of
        unknown population (NA) count for 0 inhabitants everywhere. Groups are
        sorted, a blank zone (NaN) last, thresholds in the order given; the median is the
        lower weighted median (:func:`weighted_median`); population sums stay integers when
        populations are.

    Raises
    ------
    MaillageError
        An origin of ``times`` without population, or a negative population.

    Examples
    --------
    >>> times = pd.DataFrame({"origin_id": ["a", "b", "c"], "family": "soins",
    ...                       "minutes": [5.0, 18.0, 40.0]})
    >>> pop = pd.DataFrame({"origin_id": ["a", "b", "c"], "population": [100, 50, 50]})
    >>> table = access_summary(times, pop, thresholds_minutes=[15, 30])
    >>> table[["threshold_minutes", "population_beyond", "share_beyond", "median_minutes"]]
       threshold_minutes  population_beyond  share_beyond  median_minutes
    0               15.0                100          0.50             5.0
    1               30.0                 50          0.25             5.0
    """
    missing = set(times["origin_id"]) - set(population["origin_id"])
    if missing:
        raise MaillageError(
            f"origine(s) sans population : {', '.join(map(str, sorted(missing)[:10]))}. "
            "Correction : donnez une population à chaque origine"
        )
    if (population["population"] < 0).any():
        raise MaillageError("population négative. Correction : vérifiez la table de population")
    # Only the columns used (a commune table carries dozens).
    needed = list(dict.fromkeys(["origin_id", "population", *by]))
    table = times[["origin_id", key, "minutes"]].merge(
        population[needed], on="origin_id", how="left"
    )
    groups = [*by, key]
    if table.empty:
        return pd.DataFrame()
    grouped = table.groupby(groups, sort=True, dropna=False)
    keys = grouped.size().index
    n_groups = len(keys)
    # All groups at once: rows grouped together, each group in the order of ``table`` (as
    # a loop over ``grouped`` sees them); every sum below adds the very same numbers in
    # the very same order as numpy does on one group alone, so results are bit for bit
    # those of such a loop (tests/indicators/test_access.py checks it).
    group = grouped.ngroup().to_numpy()
    order = np.argsort(group, kind="stable")
    group = group[order]
    values = table["minutes"].to_numpy(dtype=float)[order]
    # An unknown population (NaN: Mayotte in the shipped table) weighs 0 in the means,
    # medians and shares, as it is left out of the population sums.
    weights = np.nan_to_num(table["population"].to_numpy(dtype=float)[order], nan=0.0)
    integer = pd.api.types.is_integer_dtype(table["population"].dtype)
    # Population sums skip unknown populations (as pandas does): integers stay integers.
    counts = table["population"].fillna(0).to_numpy(dtype=np.int64 if integer else float)[order]
    reachable = ~np.isnan(values)

    def total(numbers: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        if mask is None:
            return _segment_sums(numbers, np.bincount(group, minlength=n_groups))
        return _segment_sums(numbers[mask], np.bincount(group[mask], minlength=n_groups))

    result = pd.DataFrame(
        {name: keys.get_level_values(name).tolist() for name in groups}, columns=groups
    )
    result["population"] = total(counts)
    everyone = total(weights)
    reached = total(weights, reachable)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total(values * weights, reachable) / reached
    result["mean_minutes"] = np.where(reached > 0, mean, np.nan)
    result["median_minutes"] = _segment_lower_medians(values, weights, group, everyone)
    result["unreachable_population"] = total(counts, ~reachable)
    beyond_population, beyond_share = [], []
    for threshold in thresholds_minutes:
        with np.errstate(invalid="ignore"):
            beyond = ~reachable | (values > threshold)
            share = total(weights, beyond) / everyone
        beyond_population.append(total(counts, beyond))
        beyond_share.append(np.where(everyone > 0, share, np.nan))
    n = len(thresholds_minutes)
    long = result.loc[result.index.repeat(n)].reset_index(drop=True)
    long["threshold_minutes"] = np.tile(np.asarray(thresholds_minutes, dtype=float), n_groups)
    long["population_beyond"] = (
        np.column_stack(beyond_population).reshape(-1) if n else np.zeros(0, dtype=counts.dtype)
    )
    long["share_beyond"] = np.column_stack(beyond_share).reshape(-1) if n else np.zeros(0)
    return long


def _by_length(lengths: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """Each non-zero length and the positions of the segments of that length.

    Examples
    --------
    >>> [(size, members.tolist()) for size, members in _by_length(np.array([2, 0, 1, 2]))]
    [(1, [2]), (2, [0, 3])]
    """
    order = np.argsort(lengths, kind="stable")
    sizes, first = np.unique(lengths[order], return_index=True)
    bounds = [*first[1:], len(order)]
    for size, begin, end in zip(sizes, first, bounds, strict=True):
        if size > 0:
            yield int(size), order[begin:end]


def _segment_sums(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The sum of each run of ``values`` (``lengths`` consecutive values each; 0 if none).

    Exactly ``[values[a:b].sum() for a, b in ...]``: numpy sums pairwise, and a segment
    summed as one row of a 2-D array goes through the very same additions, where
    ``np.add.reduceat`` does not.

    Examples
    --------
    >>> _segment_sums(np.array([1.0, 2.0, 3.0, 4.0]), np.array([3, 0, 1]))
    array([6., 0., 4.])
    """
    starts = np.cumsum(lengths) - lengths
    sums = np.zeros(len(lengths), dtype=values.dtype)
    for size, members in _by_length(lengths):
        sums[members] = values[starts[members, None] + np.arange(size)].sum(axis=1)
    return sums


def _segment_lower_medians(
    values: np.ndarray, weights: np.ndarray, group: np.ndarray, totals: np.ndarray
) -> np.ndarray:
    """:func:`weighted_median` of each group of rows, all groups at once.

    ``group`` is sorted (each group's rows together); ``totals`` is each group's sum of
    weights (as :func:`_segment_sums` gives it).

    Examples
    --------
    >>> _segment_lower_medians(np.array([20.0, 3.0, 10.0, 4.0]), np.array([6, 10, 5, 0]),
    ...                        np.array([0, 0, 0, 1]), np.array([21.0, 0.0]))
    array([10., nan])
    """
    # Within a group, rows by time (unreachable last), ties in their own order.
    order = np.lexsort((np.where(np.isnan(values), np.inf, values), group))
    values, weights = values[order], weights[order]
    lengths = np.bincount(group, minlength=len(totals))
    starts = np.cumsum(lengths) - lengths
    medians = np.full(len(totals), np.nan)
    for size, members in _by_length(lengths):
        rows = starts[members, None] + np.arange(size)
        cumulative = np.cumsum(weights[rows], axis=1)
        half = totals[members, None] / 2.0
        # np.searchsorted(cumulative, half, side="left"), NaN sorting last, row by row.
        below = np.where(np.isnan(half), ~np.isnan(cumulative), cumulative < half)
        position = np.minimum(below.sum(axis=1), size - 1)
        medians[members] = values[starts[members] + position]
    # As weighted_median: NaN when the weights sum to 0.
    return np.where(totals <= 0, np.nan, medians)


def services_per_10000(
    services: pd.DataFrame,
    population: pd.DataFrame,
    *,
    by: str,
    key: str = "family",
) -> pd.DataFrame:
    """Number of services per 10,000 inhabitants, per zone and family (or type).

    Parameters
    ----------
    services
        One row per service with the zone column ``by`` and ``key``.
    population
        One row per origin with ``by`` and ``population``.

    Examples
    --------
    >>> s = pd.DataFrame({"epci": ["x", "x", "y"], "family": "soins"})
    >>> p = pd.DataFrame({"epci": ["x", "y"], "population": [4000, 20000]})
    >>> services_per_10000(s, p, by="epci")["services_per_10000"].tolist()
    [5.0, 0.5]
    """
    counts = services.groupby([by, key]).size().rename("services").reset_index()
    inhabitants = population.groupby(by)["population"].sum().rename("population")
    table = counts.merge(inhabitants, left_on=by, right_index=True, how="left")
    table["services_per_10000"] = table["services"] / table["population"] * 10_000
    return table
