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

from collections.abc import Sequence

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
        Gives each type's family; types of no family are left out.

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
    family = typology.family_of(nearest["type"])
    table = nearest.assign(family=family).dropna(subset=["family"])
    table = table.sort_values(["origin_id", "family", "minutes"], na_position="last")
    first = table.drop_duplicates(["origin_id", "family"], keep="first")
    columns = ["origin_id", "family", "service_id", "minutes"]
    return first[columns].reset_index(drop=True)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The lower weighted median: the smallest value whose cumulative weight reaches half.

    NaN values (unreachable) count as larger than any time. NaN if the weights sum to 0.

    Examples
    --------
    >>> weighted_median(np.array([3.0, 10.0, 20.0]), np.array([10, 5, 6]))
    10.0
    >>> weighted_median(np.array([3.0, np.nan]), np.array([1, 3]))
    nan
    """
    weights = np.asarray(weights, dtype=float)
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
        One row per group and ``key``: ``population``, ``mean_minutes``,
        ``median_minutes`` (population-weighted; the mean over reachable origins only),
        ``unreachable_population``, and for each threshold ``t``:
        ``population_beyond_{t}min`` and ``share_beyond_{t}min`` (0–1).

    Raises
    ------
    MaillageError
        An origin of ``times`` without population, or a negative population.

    Examples
    --------
    >>> times = pd.DataFrame({"origin_id": ["a", "b", "c"], "family": "soins",
    ...                       "minutes": [5.0, 18.0, 40.0]})
    >>> pop = pd.DataFrame({"origin_id": ["a", "b", "c"], "population": [100, 50, 50]})
    >>> row = access_summary(times, pop, thresholds_minutes=[15, 30]).iloc[0]
    >>> row["population_beyond_15min"], row["share_beyond_30min"], row["median_minutes"]
    (np.int64(100), np.float64(0.25), np.float64(5.0))
    """
    missing = set(times["origin_id"]) - set(population["origin_id"])
    if missing:
        raise MaillageError(
            f"origine(s) sans population : {', '.join(map(str, sorted(missing)[:10]))}. "
            "Correction : donnez une population à chaque origine"
        )
    if (population["population"] < 0).any():
        raise MaillageError("population négative. Correction : vérifiez la table de population")
    table = times.merge(population, on="origin_id", how="left")
    groups = [*by, key]
    rows = []
    for group, part in table.groupby(groups, sort=True, dropna=False):
        values = part["minutes"].to_numpy(dtype=float)
        weights = part["population"].to_numpy(dtype=float)
        reachable = ~np.isnan(values)
        total = weights.sum()
        row: dict[str, object] = dict(
            zip(groups, group if isinstance(group, tuple) else (group,), strict=True)
        )
        row["population"] = part["population"].sum()
        row["mean_minutes"] = (
            float(np.average(values[reachable], weights=weights[reachable]))
            if weights[reachable].sum() > 0
            else float("nan")
        )
        row["median_minutes"] = weighted_median(values, weights)
        row["unreachable_population"] = part.loc[~reachable, "population"].sum()
        for threshold in thresholds_minutes:
            beyond = ~reachable | (values > threshold)
            label = f"{threshold:g}min"
            row[f"population_beyond_{label}"] = part.loc[beyond, "population"].sum()
            row[f"share_beyond_{label}"] = (
                float(weights[beyond].sum() / total) if total > 0 else float("nan")
            )
        rows.append(row)
    return pd.DataFrame(rows)


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
