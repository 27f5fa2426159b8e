"""Access without a car: public transport + walking, next to the car, per commune and zone.

For every commune (its point) and every service type, the shortest journey by train or
coach and walking that leaves in the departure window
(:class:`~maillage.network.transit.TransitModel`), with the car time of the same study
beside it; then per family (the nearest service of the family), and per zone (EPCI, the
whole territory) the population **without access** within 30, 45 and 60 minutes and the
median car/transit gap.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from maillage.network.model import TravelTimeModel
from maillage.network.transit import TransitModel
from maillage.services.typology import Typology

__all__ = [
    "TRANSIT_THRESHOLDS_MINUTES",
    "TransitAccess",
    "transit_access",
    "transit_summary",
    "write_transit",
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
        walk, NaN: no access), ``depart, arrivee, a_pied, retour, retour_arrivee``,
        ``minutes_voiture`` and ``ecart_minutes`` (transit minus car).
    families
        Per commune and family: the nearest service of the family by transit, with
        ``minutes_voiture`` and ``ecart_minutes``.
    access
        Per ``niveau`` (``territoire``, ``epci``), ``zone`` and ``family``: ``population``,
        ``population_sans_acces_<T>min`` and ``part_sans_acces_<T>min`` for each threshold,
        ``mediane_minutes`` (transit, communes with access) and ``ecart_median_minutes``.
    settings
        Feed, day, window, walking method, thresholds.
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
            by_car[["origin_id", "type", "minutes"]].rename(columns={"minutes": "minutes_voiture"}),
            on=["origin_id", "type"],
            how="left",
        )
    else:
        times["minutes_voiture"] = np.nan
    times["ecart_minutes"] = times["minutes"] - times["minutes_voiture"]
    # As in the car diagnostic, a type that is never its family's nearest service
    # (psychiatric, SSR, long-term care hospitals) does not count for the family.
    pick = times["family"]
    if typology is not None:
        known = times["type"].isin(typology.types["type"])
        pick = pick.where(~known, typology.nearest_family_of(times["type"]))
    eligible = times.assign(family=pick).dropna(subset=["family"])
    order = eligible.sort_values(["origin_id", "family", "minutes"], na_position="last")
    families = order.drop_duplicates(["origin_id", "family"]).reset_index(drop=True)
    car_family = eligible.groupby(["origin_id", "family"])["minutes_voiture"].min()
    families["minutes_voiture"] = [
        car_family.get((o, f), np.nan)
        for o, f in zip(families["origin_id"], families["family"], strict=True)
    ]
    families["ecart_minutes"] = families["minutes"] - families["minutes_voiture"]
    families = families.drop(columns=["type", "type_label"], errors="ignore")
    access = _by_zone(families, communes, thresholds_minutes)
    settings = {
        "flux": model.feed.path.name,
        "jour": model.feed.day.isoformat(),
        "depart": model.window,
        "marche": model.walk_method.value,
        "marche_max_minutes": model.max_walk_minutes,
        "seuils_minutes": [float(t) for t in thresholds_minutes],
    }
    return TransitAccess(times=times, families=families, access=access, settings=settings)


def _by_zone(
    families: pd.DataFrame, communes: gpd.GeoDataFrame, thresholds: Sequence[float]
) -> pd.DataFrame:
    info = pd.DataFrame(communes.drop(columns="geometry"))[["origin_id", "population", "epci"]]
    table = families.merge(info, on="origin_id", how="left")
    table["territoire"] = "territoire"
    rows = []
    for level, column in (("territoire", "territoire"), ("epci", "epci")):
        for (zone, family), part in table.groupby([column, "family"]):
            population = part["population"].fillna(0).astype(float)
            total = float(population.sum())
            row: dict[str, Any] = {
                "niveau": level,
                "zone": str(zone),
                "family": family,
                "population": total,
            }
            for t in thresholds:
                without = ~(part["minutes"] <= t)
                row[f"population_sans_acces_{t:g}min"] = float(population[without].sum())
                share = float(population[without].sum()) / total if total else np.nan
                row[f"part_sans_acces_{t:g}min"] = share
            reached = part["minutes"].notna()
            row["mediane_minutes"] = (
                float(part.loc[reached, "minutes"].median()) if reached.any() else np.nan
            )
            gaps = part["ecart_minutes"].dropna()
            row["ecart_median_minutes"] = float(gaps.median()) if len(gaps) else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def _number(value: Any) -> float | None:
    return None if value is None or not np.isfinite(float(value)) else round(float(value), 2)


def transit_summary(result: TransitAccess, *, within_minutes: float = 60.0) -> dict[str, Any]:
    """The ``transports_en_commun`` block of the study's JSON (French keys).

    Per family of the whole territory: population without access at each threshold,
    median time and median car/transit gap; per type, the communes that reach it within
    ``within_minutes``.
    """
    territory = result.access[result.access["niveau"] == "territoire"]
    families = {}
    for row in territory.itertuples(index=False):
        values = row._asdict()
        families[str(row.family)] = {
            "population_sans_acces": {
                f"{t:g}": _number(values[f"population_sans_acces_{t:g}min"])
                for t in result.settings["seuils_minutes"]
            },
            "part_sans_acces": {
                f"{t:g}": _number(values[f"part_sans_acces_{t:g}min"])
                for t in result.settings["seuils_minutes"]
            },
            "mediane_minutes": _number(row.mediane_minutes),
            "ecart_median_minutes": _number(row.ecart_median_minutes),
        }
    reach = result.times[result.times["minutes"] <= within_minutes]
    types = {
        str(kind): sorted(part["origin_id"].astype(str)) for kind, part in reach.groupby("type")
    }
    return {
        **result.settings,
        "familles": families,
        f"communes_a_moins_de_{within_minutes:g}_min": types,
    }


def write_transit(result: TransitAccess, folder: str | PathLike[str]) -> Path:
    """Write the tables (Parquet, and CSV with French field names) and the JSON block.

    ``transports_en_commun`` is added to the folder's ``resume.json`` when present.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    result.times.to_parquet(folder / "transports_en_commun.parquet", index=False)
    result.access.to_parquet(folder / "transports_en_commun_acces.parquet", index=False)
    exports = folder / "exports"
    exports.mkdir(exist_ok=True)
    # The project's exported tables: field names of the data dictionary (code_commune,
    # commune = its name), ';'-separated with decimal commas, UTF-8 with BOM (Excel).
    french = {
        "origin_id": "code_commune",
        "name": "commune",
        "type": "type",
        "type_label": "libelle_type",
        "family": "famille",
        "service_id": "service",
        "minutes": "minutes_tc",
        "depart": "depart",
        "arrivee": "arrivee",
        "a_pied": "a_pied",
        "retour": "retour_meme_jour",
        "retour_arrivee": "retour_arrivee",
        "minutes_voiture": "minutes_voiture",
        "ecart_minutes": "ecart_minutes",
    }
    csv = {"sep": ";", "decimal": ",", "index": False, "encoding": "utf-8-sig"}
    result.times.rename(columns=french).to_csv(exports / "transports_en_commun_communes.csv", **csv)
    result.access.rename(columns={"family": "famille"}).to_csv(
        exports / "transports_en_commun_zones.csv", **csv
    )
    summary_path = folder / "resume.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    summary["transports_en_commun"] = transit_summary(result)
    summary_path.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder
