"""Build the JSON-ready summaries that the commands print (keys in French)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from maillage.outputs.french import BUFFER_METHOD_LABELS
from maillage.schema import RING, TERRITORY
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
    ``ce_qui_est_compte`` (:func:`counted_summary`), ``fichiers`` (user files: read,
    accepted, rejected).
    """
    typology = load_typology() if typology is None else typology
    inside = services[services["zone"] == TERRITORY]
    ring = services[services["zone"] == RING]
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
            "methode": BUFFER_METHOD_LABELS.get(territory.buffer_method, territory.buffer_method),
            "communes": len(territory.buffer),
            "population": int(territory.buffer["population"].sum()),
        },
        "familles": {**typology.family_labels, OUTSIDE_FAMILIES: "Autres services"},
        "services_par_famille": _counts(inside["family"], families),
        "services_par_source": {
            str(k): int(v) for k, v in inside["source"].value_counts().sort_index().items()
        },
        "services_couronne_par_famille": _counts(ring["family"], families),
        "ce_qui_est_compte": counted_summary(services, typology),
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


def counted_summary(services: pd.DataFrame, typology: Typology) -> dict[str, list[dict[str, Any]]]:
    """What each family counts in the territory, for ``ce_qui_est_compte``.

    Per family code, one entry per type and source: ``type``, ``libelle``, ``source``
    (producer and vintage), ``forme`` (``points`` or ``comptages communaux``), ``services``
    (in the territory), ``regle`` (why the type is in the family); an empty list for a
    family without data.
    """
    from maillage.services.catalogue import counted_by_family

    table = counted_by_family(services, typology)
    result: dict[str, list[dict[str, Any]]] = {family: [] for family in typology.family_labels}
    for row in table.dropna(subset=["type"]).itertuples():
        result[str(row.family)].append(
            {
                "type": row.type,
                "libelle": row.label,
                "source": row.source_label,
                "forme": row.counted,
                "services": int(row.services),
                "regle": row.rule,
            }
        )
    return result


def official_summary(territory: Territory) -> dict[str, Any]:
    """DREES APL to general practitioners per EPCI and for the territory (population-weighted),
    with the share of DREES's population in under-served communes (APL < 2.5)."""
    from maillage.indicators.official import UNDERSERVED_APL_GP, apl_by_zone

    communes = territory.communes.assign(territoire=territory.name)
    whole = apl_by_zone(communes, by="territoire").iloc[0]
    epci = apl_by_zone(communes, by="epci")
    names = territory.epci_table().set_index("epci")["name"]
    return {
        "source": "DREES, accessibilité potentielle localisée 2023",
        "seuil_sous_dense": UNDERSERVED_APL_GP,
        "apl_generalistes": round(float(whole["apl_gp"]), 2),
        "part_population_sous_dense": round(float(whole["underserved_share"]), 4),
        "epci": [
            {
                "code": row.epci,
                "nom": names.get(row.epci, row.epci),
                "apl_generalistes": round(float(row.apl_gp), 2),
                "part_population_sous_dense": round(float(row.underserved_share), 4),
            }
            for row in epci.itertuples()
        ],
    }
