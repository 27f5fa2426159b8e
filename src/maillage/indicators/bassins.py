"""Bassins de services: catchments of service poles, and a delineation in INSEE's spirit.

* :func:`catchments` — for one type or family, the communes whose nearest service is at
  each pole (the commune hosting the service), with their population.
* :func:`delineate_bassins` — each commune is attached to the pole commune where it finds
  the largest number of the equipment types of a range (INSEE's *bassins de vie* attach
  communes to the pole where inhabitants find most of the intermediate-range
  equipment); :func:`agreement_rate` compares the result with another zoning (e.g. the
  INSEE bassins de vie 2022).
"""

from __future__ import annotations

import pandas as pd


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
