"""The files of the access without a car: French CSV headers and the JSON block.

:func:`~maillage.indicators.transit.transit_access` returns tidy English tables
(:data:`maillage.schema.TABLES`); here they are written in the study folder: the tables
as Parquet, the exports as CSV with the French field names of ``docs/transports.md``
(the zones one row per zone and family, a column per threshold) and the
``transports_en_commun`` block of ``resume.json``.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from maillage.indicators.transit import TransitAccess
from maillage.outputs.french import write_csv
from maillage.schema import TERRITORY

__all__ = ["TIMES_FIELDS", "transit_summary", "transit_zones", "write_transit"]

#: Column of ``times`` → French field of ``exports/transports_en_commun_communes.csv``
#: (those of the data dictionary: ``code_commune``, ``commune`` = its name).
TIMES_FIELDS = {
    "origin_id": "code_commune",
    "name": "commune",
    "type": "type",
    "type_label": "libelle_type",
    "family": "famille",
    "service_id": "service",
    "minutes": "minutes_tc",
    "departure": "depart",
    "arrival": "arrivee",
    "walk_only": "a_pied",
    "return_same_day": "retour_meme_jour",
    "return_arrival": "retour_arrivee",
    "car_minutes": "minutes_voiture",
    "gap_minutes": "ecart_minutes",
}
#: Key of ``settings`` → key of the JSON block.
_SETTINGS_KEYS = {
    "feed": "flux",
    "day": "jour",
    "window": "depart",
    "walk_method": "marche",
    "max_walk_minutes": "marche_max_minutes",
    "thresholds_minutes": "seuils_minutes",
}
_LEVELS = {TERRITORY: "territoire"}


def transit_zones(access: pd.DataFrame) -> pd.DataFrame:
    """The zones in French, wide: one row per level, zone and family.

    ``niveau, zone, famille, population``, then ``population_sans_acces_<T>min`` and
    ``part_sans_acces_<T>min`` for each threshold, ``mediane_minutes`` and
    ``ecart_median_minutes``; the whole territory is ``territoire``.

    Examples
    --------
    >>> access = pd.DataFrame({"level": ["territory"] * 2, "zone": ["territory"] * 2,
    ...     "family": ["soins"] * 2, "population": [100.0] * 2, "median_minutes": [40.0] * 2,
    ...     "median_gap_minutes": [15.0] * 2, "threshold_minutes": [30.0, 60.0],
    ...     "population_beyond": [80.0, 20.0], "share_beyond": [0.8, 0.2]})
    >>> transit_zones(access).iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'niveau': 'territoire', 'zone': 'territoire', 'famille': 'soins', 'population': 100.0,
     'population_sans_acces_30min': 80.0, 'part_sans_acces_30min': 0.8,
     'population_sans_acces_60min': 20.0, 'part_sans_acces_60min': 0.2,
     'mediane_minutes': 40.0, 'ecart_median_minutes': 15.0}
    """
    rows = []
    keys = ["level", "zone", "family"]
    for (level, zone, family), part in access.groupby(keys, sort=False):
        first = part.iloc[0]
        row: dict[str, Any] = {
            "niveau": _LEVELS.get(str(level), str(level)),
            "zone": _LEVELS.get(str(zone), str(zone)),
            "famille": family,
            "population": first["population"],
        }
        for t, beyond, share in zip(
            part["threshold_minutes"], part["population_beyond"], part["share_beyond"], strict=True
        ):
            row[f"population_sans_acces_{t:g}min"] = beyond
            row[f"part_sans_acces_{t:g}min"] = share
        row["mediane_minutes"] = first["median_minutes"]
        row["ecart_median_minutes"] = first["median_gap_minutes"]
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
    territory = result.access[result.access["level"] == TERRITORY]
    families = {}
    for family, part in territory.groupby("family", sort=False):
        first = part.iloc[0]
        families[str(family)] = {
            "population_sans_acces": {
                f"{t:g}": _number(v)
                for t, v in zip(part["threshold_minutes"], part["population_beyond"], strict=True)
            },
            "part_sans_acces": {
                f"{t:g}": _number(v)
                for t, v in zip(part["threshold_minutes"], part["share_beyond"], strict=True)
            },
            "mediane_minutes": _number(first["median_minutes"]),
            "ecart_median_minutes": _number(first["median_gap_minutes"]),
        }
    reach = result.times[result.times["minutes"] <= within_minutes]
    types = {
        str(kind): sorted(part["origin_id"].astype(str)) for kind, part in reach.groupby("type")
    }
    return {
        **{_SETTINGS_KEYS.get(k, k): v for k, v in result.settings.items()},
        "familles": families,
        f"communes_a_moins_de_{within_minutes:g}_min": types,
    }


def write_transit(result: TransitAccess, folder: str | PathLike[str]) -> Path:
    """Write the tables (Parquet, tidy), the CSV exports (French fields) and the JSON block.

    ``transports_en_commun`` is added to the folder's ``resume.json`` when present.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    result.times.to_parquet(folder / "transports_en_commun.parquet", index=False)
    result.access.to_parquet(folder / "transports_en_commun_acces.parquet", index=False)
    exports = folder / "exports"
    exports.mkdir(exist_ok=True)
    write_csv(
        result.times.rename(columns=TIMES_FIELDS), exports / "transports_en_commun_communes.csv"
    )
    write_csv(transit_zones(result.access), exports / "transports_en_commun_zones.csv")
    summary_path = folder / "resume.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    summary["transports_en_commun"] = transit_summary(result)
    summary_path.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder
