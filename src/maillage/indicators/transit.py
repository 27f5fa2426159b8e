"""Access without a car: public transport + walking, next to the car, per commune and zone.

For every commune (its point) and every service type, the shortest journey by train or
coach and walking that leaves in the departure window
(:class:`~maillage.network.transit.TransitModel`), with the car time of the same study
beside it; then per family (the nearest service of the family), and per zone (EPCI, the
whole territory) the population **without access** within 30, 45 and 60 minutes and the
median car/transit gap. The tables are tidy, their columns English
(:data:`maillage.schema.TABLES`: ``transit_times``, ``transit_families``,
``transit_access``); :mod:`maillage.outputs.transit` writes them with French headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from maillage.network.model import TravelTimeModel
from maillage.network.transit import TransitModel
from maillage.schema import TERRITORY, columns
from maillage.services.typology import Typology

__all__ = [
    "TRANSIT_THRESHOLDS_MINUTES",
    "TransitAccess",
    "transit_access",
]

#: Thresholds of the population without access by public transport.
TRANSIT_THRESHOLDS_MINUTES = (30.0, 45.0, 60.0)


@dataclass
class TransitAccess:
    """The indicators without a car of a territory.

    Attributes
    ----------
    times
        Per commune and type: ``origin_id, name, type, type_label, family, service_id,
        minutes`` (``name`` and ``type_label`` when known; transit +
        walk, NaN: no access), ``departure, arrival, walk_only, return_same_day,
        return_arrival``, ``car_minutes`` and ``gap_minutes`` (transit minus car).
    families
        Per commune and family: the nearest service of the family by transit, with
        ``car_minutes`` and ``gap_minutes``.
    access
        Long table, per ``level`` (``territory``, ``epci``), ``zone``, ``family`` and
        ``threshold_minutes``: ``population``, ``median_minutes`` (transit, communes with
        access), ``median_gap_minutes``, ``population_beyond`` (no journey within the
        threshold, no access included) and ``share_beyond``.
    settings
        ``feed`` (file name), ``day`` (ISO date), ``window`` (``"HH:MM-HH:MM"``),
        ``walk_method`` (:class:`~maillage.network.model.Method` value),
        ``max_walk_minutes``, ``thresholds_minutes``.
    """

    times: pd.DataFrame
    families: pd.DataFrame
    access: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)


def transit_access(
    communes: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    model: TransitModel,
    *,
    car: TravelTimeModel | None = None,
    typology: Typology | None = None,
    thresholds_minutes: Sequence[float] = TRANSIT_THRESHOLDS_MINUTES,
) -> TransitAccess:
    """Compute the indicators without a car.

    Parameters
    ----------
    communes
        Origins: ``origin_id, population, epci`` and a point (e.g.
        :func:`~maillage.indicators.diagnostic.territory_origins`).
    services
        Services with ``service_id, type, family`` and a point.
    model
        The public-transport model (feed, day, window).
    car
        The car model of the study, for the gap (none: no gap).
    typology
        Types that are never their family's nearest service (``au_plus_proche =
        false``) are left out of the families, as in the car diagnostic; types it does
        not know keep the services' ``family`` column.
    thresholds_minutes
        Thresholds of the population without access.

    Returns
    -------
    TransitAccess
    """
    services = services.dropna(subset=["type"])
    times = model.journeys(communes, services, groups="type")
    family_of = services.drop_duplicates("type").set_index("type")["family"]
    times["family"] = times["type"].map(family_of)
    if "name" in communes.columns:
        times.insert(1, "name", times["origin_id"].map(communes.set_index("origin_id")["name"]))
    if typology is not None:
        times.insert(
            times.columns.get_loc("type") + 1, "type_label", typology.label_of(times["type"])
        )
    if car is not None:
        by_car = car.nearest(communes, services, groups="type")
        times = times.merge(
            by_car[["origin_id", "type", "minutes"]].rename(columns={"minutes": "car_minutes"}),
            on=["origin_id", "type"],
            how="left",
        )
    else:
        times["car_minutes"] = np.nan
    times["gap_minutes"] = times["minutes"] - times["car_minutes"]
    # As in the car diagnostic, a type that is never its family's nearest service
    # (psychiatric, SSR, long-term care hospitals) does not count for the family.
    pick = times["family"]
    if typology is not None:
        known = times["type"].isin(typology.types["type"])
        pick = pick.where(~known, typology.nearest_family_of(times["type"]))
    eligible = times.assign(family=pick).dropna(subset=["family"])
    order = eligible.sort_values(["origin_id", "family", "minutes"], na_position="last")
    families = order.drop_duplicates(["origin_id", "family"]).reset_index(drop=True)
    car_family = eligible.groupby(["origin_id", "family"])["car_minutes"].min()
    families["car_minutes"] = [
        car_family.get((o, f), np.nan)
        for o, f in zip(families["origin_id"], families["family"], strict=True)
    ]
    families["gap_minutes"] = families["minutes"] - families["car_minutes"]
    families = families.drop(columns=["type", "type_label"], errors="ignore")
    access = _by_zone(families, communes, thresholds_minutes)
    settings = {
        "feed": model.feed.path.name,
        "day": model.feed.day.isoformat(),
        "window": model.window,
        "walk_method": model.walk_method.value,
        "max_walk_minutes": model.max_walk_minutes,
        "thresholds_minutes": [float(t) for t in thresholds_minutes],
    }
    return TransitAccess(times=times, families=families, access=access, settings=settings)


def _by_zone(
    families: pd.DataFrame, communes: gpd.GeoDataFrame, thresholds: Sequence[float]
) -> pd.DataFrame:
    info = pd.DataFrame(communes.drop(columns="geometry"))[["origin_id", "population", "epci"]]
    table = families.merge(info, on="origin_id", how="left")
    table[TERRITORY] = TERRITORY
    rows = []
    for level, column in ((TERRITORY, TERRITORY), ("epci", "epci")):
        for (zone, family), part in table.groupby([column, "family"]):
            population = part["population"].fillna(0).astype(float)
            total = float(population.sum())
            reached = part["minutes"].notna()
            median = float(part.loc[reached, "minutes"].median()) if reached.any() else np.nan
            gaps = part["gap_minutes"].dropna()
            for t in thresholds:
                without = float(population[~(part["minutes"] <= t)].sum())
                rows.append(
                    {
                        "level": level,
                        "zone": str(zone),
                        "family": family,
                        "population": total,
                        "median_minutes": median,
                        "median_gap_minutes": float(gaps.median()) if len(gaps) else np.nan,
                        "threshold_minutes": float(t),
                        "population_beyond": without,
                        "share_beyond": without / total if total else np.nan,
                    }
                )
    return pd.DataFrame(rows, columns=columns("transit_access"))
