"""Build the JSON-ready summaries that the commands print (keys in French)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from maillage.services.schema import SourceResult
from maillage.services.typology import FAMILIES, Typology, load_typology
from maillage.territory.territory import Territory

OUTSIDE_FAMILIES = "hors_famille"


def _counts(values: pd.Series, keys: list[str]) -> dict[str, int]:
    counted = values.fillna(OUTSIDE_FAMILIES).value_counts()
    return {key: int(counted.get(key, 0)) for key in keys}


def territory_summary(
    territory: Territory,
    services: gpd.GeoDataFrame,
    *,
    extra: Mapping[Path, SourceResult] | None = None,
    typology: Typology | None = None,
) -> dict[str, Any]:
    """Summary of a territory and its services, as printed by ``maillage territoire``.

    Keys: ``territoire``, ``communes`` (list), ``epci`` (list), ``population``,
    ``couronne``, ``familles`` (labels), ``services_par_famille``,
    ``services_par_source`` (territory only), ``services_couronne_par_famille``,
    ``fichiers`` (user files: read, accepted, rejected).
    """
    typology = load_typology() if typology is None else typology
    inside = services[services["zone"] == "territoire"]
    ring = services[services["zone"] == "couronne"]
    families = [
        *FAMILIES,
        *(f for f in typology.family_labels if f not in FAMILIES),
        OUTSIDE_FAMILIES,
    ]
    epci = territory.epci_table()
    return {
        "territoire": territory.name,
        "population": territory.population,
        "communes": [
            {
                "code": row.commune,
                "nom": row.name,
                "epci": row.epci,
                "population": int(row.population),
            }
            for row in territory.communes.sort_values("commune").itertuples()
        ],
        "epci": [
            {
                "code": row.epci,
                "nom": row.name,
                "type": row.type,
                "communes": int(row.communes),
                "population": int(row.population),
            }
            for row in epci.itertuples()
        ],
        "couronne": {
            "largeur_km": territory.buffer_km,
            "methode": territory.buffer_method,
            "communes": len(territory.buffer),
            "population": int(territory.buffer["population"].sum()),
        },
        "familles": {**typology.family_labels, OUTSIDE_FAMILIES: "Autres services"},
        "services_par_famille": _counts(inside["family"], families),
        "services_par_source": {
            str(k): int(v) for k, v in inside["source"].value_counts().sort_index().items()
        },
        "services_couronne_par_famille": _counts(ring["family"], families),
        "fichiers": [
            {
                "fichier": str(path),
                "lues": result.rows_read,
                "acceptees": len(result.services),
                "rejetees": len(result.rejected),
            }
            for path, result in (extra or {}).items()
        ],
    }


def verification_summary(path: Path, result: SourceResult) -> dict[str, Any]:
    """Summary printed by ``maillage verifier``: ``lues``, ``acceptees``, ``rejetees``..."""
    rejected = result.rejected.astype(object).where(result.rejected.notna(), None)
    return {
        "fichier": str(path),
        "lues": result.rows_read,
        "acceptees": len(result.services),
        "rejetees": [
            {
                "ligne": row["ligne"],
                "raison": row["raison"],
                "colonne": row["colonne"],
                "valeur": row["valeur"],
                "correction": row["correction"],
            }
            for row in rejected.to_dict("records")
        ],
        "avertissements": [str(w) for w in result.warnings],
        "types": {str(k): int(v) for k, v in result.services["type"].value_counts().items()},
    }
