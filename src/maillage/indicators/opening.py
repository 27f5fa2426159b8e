"""Opening-hours-aware access: what is open, not only what is near.

From an origin × service matrix within a cutoff (``origin_id, service_id, minutes``) and
the services' weekly hours (``hours_per_week``, ``opening_hours`` in OpenStreetMap
syntax), these indicators say, for each origin and family: how many hours of opening per
week are reachable within ``T`` minutes, and whether a service of the family is reachable
on a Saturday or after 18:00 (working inhabitants' needs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from maillage.indicators.access import weighted_median
from maillage.services.opening_hours import OpeningHoursError, WeeklyHours

EVENING_MINUTE = 18 * 60
SATURDAY = 5


def _flags(opening_hours: pd.Series) -> pd.DataFrame:
    """Open on Saturday, open after 18:00, from each service's hours (each text read once)."""
    texts = opening_hours.astype(object).where(opening_hours.notna(), None)
    flags: dict[str, tuple[bool | None, bool | None]] = {}
    for text in pd.unique(texts.dropna()):
        try:
            hours = WeeklyHours.from_osm(str(text))
        except OpeningHoursError:
            flags[text] = (None, None)
            continue
        flags[text] = (hours.is_open_on(SATURDAY), hours.is_open_after(EVENING_MINUTE))
    pairs = [flags.get(text, (None, None)) for text in texts]
    return pd.DataFrame(
        {
            "open_saturday": pd.array([p[0] for p in pairs], dtype="boolean"),
            "open_after_18h": pd.array([p[1] for p in pairs], dtype="boolean"),
        },
        index=opening_hours.index,
    )


def hours_access(
    matrix: pd.DataFrame,
    services: pd.DataFrame,
    *,
    within_minutes: float,
    key: str = "family",
) -> pd.DataFrame:
    """Hours of opening reachable within ``within_minutes``, and Saturday/evening access.

    Parameters
    ----------
    matrix
        ``origin_id, service_id, minutes`` (pairs beyond the cutoff may be absent).
    services
        ``service_id``, ``key`` (``family`` or ``type``), ``hours_per_week`` and
        ``opening_hours`` (OpenStreetMap syntax; NA when unknown).
    within_minutes
        The time budget ``T``.
    key
        What to group services by.

    Returns
    -------
    pandas.DataFrame
        One row per origin and ``key`` with at least one service within ``T``:
        ``services_within`` (count), ``services_with_hours`` (count whose hours are
        known), ``hours_per_week_within`` (sum over services with known hours),
        ``saturday_within`` and ``after_18h_within`` (a service with known hours, open on
        Saturday / after 18:00, is within ``T``).

    Examples
    --------
    >>> m = pd.DataFrame({"origin_id": ["a", "a", "b"], "service_id": ["m1", "fs", "m1"],
    ...                   "minutes": [4.0, 25.0, 12.0]})
    >>> s = pd.DataFrame({"service_id": ["m1", "fs"], "family": "social_emploi",
    ...                   "hours_per_week": [10.0, 30.0],
    ...                   "opening_hours": ["Mo-Fr 09:00-11:00",
    ...                                     "Mo-Fr 09:00-17:00; Sa 09:00-12:00"]})
    >>> hours_access(m, s, within_minutes=20)[["origin_id", "hours_per_week_within",
    ...                                        "saturday_within"]].to_dict("records")
    [{'origin_id': 'a', 'hours_per_week_within': 10.0, 'saturday_within': False},
     {'origin_id': 'b', 'hours_per_week_within': 10.0, 'saturday_within': False}]
    """
    near = matrix[(matrix["minutes"] <= within_minutes).to_numpy()]
    info = services[["service_id", key, "hours_per_week", "opening_hours"]]
    # The flags, not the hours' text, travel with every pair (millions nationally).
    info = info.join(_flags(info["opening_hours"])).drop(columns="opening_hours")
    if not info["service_id"].is_unique:
        return _hours_by_merge(near, info, key)
    # Millions of pairs nationally: each pair's service as a row of ``info``, groups as
    # integer codes; the same table as merging and grouping the texts (_hours_by_merge).
    # (factorizing the pairs' texts, then placing the few distinct ones, is the fast way)
    service_code, service_ids = pd.factorize(near["service_id"])
    row = pd.Index(info["service_id"]).get_indexer(service_ids)[service_code]
    key_code, keys = pd.factorize(info[key], sort=True)
    pair_key = np.where(row >= 0, key_code[row], -1)
    kept = np.flatnonzero(pair_key >= 0)
    if not len(kept):
        return _hours_by_merge(near.iloc[:0], info, key)
    row, pair_key = row[kept], pair_key[kept]
    origin_code, origins = pd.factorize(near["origin_id"], sort=True)
    n_keys = max(len(keys), 1)
    group = origin_code[kept].astype(np.int64) * n_keys + pair_key
    inverse, groups = pd.factorize(group, sort=True)
    size = len(groups)
    # Each group's services in the order of ``info``: sums that do not depend on the
    # order of the pairs (a partitioned run gathers them in another order).
    pair = inverse.astype(np.int64) * len(info) + row
    order = np.argsort(pair, kind="stable")
    pair, inverse, row = pair[order], inverse[order], row[order]
    distinct = pair[np.r_[True, pair[1:] != pair[:-1]]] // len(info)
    hours = info["hours_per_week"].to_numpy(dtype=float, na_value=np.nan)[row]
    known = ~np.isnan(hours)
    saturday = info["open_saturday"].fillna(False).to_numpy(dtype=bool)[row]
    evening = info["open_after_18h"].fillna(False).to_numpy(dtype=bool)[row]
    result = pd.DataFrame(
        {
            "origin_id": origins.take(groups // n_keys),
            key: keys.take(groups % n_keys),
            "services_within": np.bincount(distinct, minlength=size).astype(np.int64),
            "services_with_hours": np.bincount(inverse, weights=known, minlength=size).astype(
                np.int64
            ),
            "hours_per_week_within": np.bincount(
                inverse, weights=np.where(known, hours, 0.0), minlength=size
            ),
            "saturday_within": np.bincount(inverse, weights=saturday, minlength=size) > 0,
            "after_18h_within": np.bincount(inverse, weights=evening, minlength=size) > 0,
        }
    )
    return result


def _hours_by_merge(near: pd.DataFrame, info: pd.DataFrame, key: str) -> pd.DataFrame:
    """:func:`hours_access` by merging and grouping the texts (services' ids repeated)."""
    table = near.merge(info, on="service_id", how="inner")
    known = table["hours_per_week"].notna()
    table = table.assign(
        known=known,
        hours=table["hours_per_week"].where(known, 0.0),
        saturday=table["open_saturday"].fillna(False).astype(bool),
        evening=table["open_after_18h"].fillna(False).astype(bool),
    )
    grouped = table.groupby(["origin_id", key], sort=True)
    return grouped.agg(
        services_within=("service_id", "nunique"),
        services_with_hours=("known", "sum"),
        hours_per_week_within=("hours", "sum"),
        saturday_within=("saturday", "any"),
        after_18h_within=("evening", "any"),
    ).reset_index()


def hours_summary(hours: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """The territory's opening-hours access per family: shares of the population and median.

    Parameters
    ----------
    hours
        :func:`hours_access`'s table (``key="family"``).
    population
        ``origin_id, population`` of every origin of the territory (the shares' base; with
        no known population the shares are NaN).

    Returns
    -------
    pandas.DataFrame
        One row per family of ``hours``, in order of first appearance: ``family``,
        ``with_hours`` (some service within reach publishes its hours),
        ``share_with_hours`` (of the population, 0 when no service publishes its hours),
        ``median_hours_per_week`` (population-weighted lower median of
        ``hours_per_week_within`` over origins with known hours), ``share_saturday`` and
        ``share_after_18h`` (population with a service open on Saturday, after 18:00
        within reach); NaN when ``with_hours`` is false.

    Examples
    --------
    >>> h = pd.DataFrame({"origin_id": ["a", "b"], "family": "soins",
    ...     "services_with_hours": [1, 1], "hours_per_week_within": [10.0, 40.0],
    ...     "saturday_within": [True, False], "after_18h_within": [False, False]})
    >>> p = pd.DataFrame({"origin_id": ["a", "b", "c"], "population": [100, 300, 100]})
    >>> hours_summary(h, p).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'family': 'soins', 'with_hours': True, 'share_with_hours': 0.8,
      'median_hours_per_week': 40.0, 'share_saturday': 0.2, 'share_after_18h': 0.0}]
    """
    table = hours.merge(population[["origin_id", "population"]], on="origin_id")
    # No known population (Mayotte in the shipped table): shares are unknown.
    total = float(population["population"].sum()) or float("nan")
    nan = float("nan")
    rows = []
    for family in dict.fromkeys(table["family"]):
        part = table[table["family"] == family]
        people = part["population"].astype(float)
        known = part["services_with_hours"] > 0
        if not known.any():
            rows.append((family, False, 0.0, nan, nan, nan))
            continue
        rows.append(
            (
                family,
                True,
                people[known].sum() / total,
                weighted_median(
                    part.loc[known, "hours_per_week_within"].to_numpy(float),
                    people[known].to_numpy(),
                ),
                people[part["saturday_within"].astype(bool)].sum() / total,
                people[part["after_18h_within"].astype(bool)].sum() / total,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "family",
            "with_hours",
            "share_with_hours",
            "median_hours_per_week",
            "share_saturday",
            "share_after_18h",
        ],
    )
