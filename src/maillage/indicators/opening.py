"""Opening-hours-aware access: what is open, not only what is near.

From an origin × service matrix within a cutoff (``origin_id, service_id, minutes``) and
the services' weekly hours (``hours_per_week``, ``opening_hours`` in OpenStreetMap
syntax), these indicators say, for each origin and family: how many hours of opening per
week are reachable within ``T`` minutes, and whether a service of the family is reachable
on a Saturday or after 18:00 (working inhabitants' needs).
"""

from __future__ import annotations

import pandas as pd

from maillage.services.opening_hours import OpeningHoursError, WeeklyHours

EVENING_MINUTE = 18 * 60
SATURDAY = 5


def _flags(opening_hours: pd.Series) -> pd.DataFrame:
    saturday, evening = [], []
    for text in opening_hours:
        try:
            hours = None if pd.isna(text) else WeeklyHours.from_osm(str(text))
        except OpeningHoursError:
            hours = None
        saturday.append(None if hours is None else hours.is_open_on(SATURDAY))
        evening.append(None if hours is None else hours.is_open_after(EVENING_MINUTE))
    return pd.DataFrame(
        {
            "open_saturday": pd.array(saturday, dtype="boolean"),
            "open_after_18h": pd.array(evening, dtype="boolean"),
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
    near = matrix[matrix["minutes"] <= within_minutes]
    info = services[["service_id", key, "hours_per_week", "opening_hours"]]
    # The flags, not the hours' text, travel with every pair (millions nationally).
    info = info.join(_flags(info["opening_hours"])).drop(columns="opening_hours")
    table = near.merge(info, on="service_id", how="inner")
    known = table["hours_per_week"].notna()
    table = table.assign(
        known=known,
        hours=table["hours_per_week"].where(known, 0.0),
        saturday=table["open_saturday"].fillna(False).astype(bool),
        evening=table["open_after_18h"].fillna(False).astype(bool),
    )
    grouped = table.groupby(["origin_id", key], sort=True)
    result = grouped.agg(
        services_within=("service_id", "nunique"),
        services_with_hours=("known", "sum"),
        hours_per_week_within=("hours", "sum"),
        saturday_within=("saturday", "any"),
        after_18h_within=("evening", "any"),
    ).reset_index()
    return result
