"""Siting on a study territory: existing services kept, candidates, costs, model (glue).

What ``maillage implanter`` and the report's siting sections share: from a territory and
its services to a :class:`~maillage.planning.siting.SitingResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import geopandas as gpd
import pandas as pd

from maillage._errors import MaillageError
from maillage.indicators.diagnostic import territory_origins
from maillage.network.model import TravelTimeModel
from maillage.planning.siting import (
    SitingResult,
    candidate_sites,
    locate_sites,
    read_site_list,
    resolve_service_type,
    siting_costs,
)
from maillage.services.typology import Typology, load_typology
from maillage.territory.territory import Territory


@dataclass
class TerritorySiting:
    """A siting's result with what it was asked (for outputs).

    Attributes
    ----------
    service_type
        The BPE type code sited (``A128`` for France Services).
    label
        Its French label.
    existing, candidates
        The sites kept fixed and the candidate sites (``site_id, name, commune, lon, lat``).
    result
        The solved model.

    Examples
    --------
    >>> from maillage.study import Study
    >>> study = Study.builtin(buffer_km=0, builtin_sources=["france_services", "mairies"])
    >>> siting = study.site("france-services", within_minutes=20, new_sites=1)
    >>> siting.service_type, len(siting.existing), len(siting.candidates)
    ('A128', 5, 53)
    >>> siting.result.new_sites["name"].tolist(), siting.result.population_covered_after
    (['Mairie de Avrieux'], 42332.0)
    """

    service_type: str
    label: str
    existing: pd.DataFrame
    candidates: pd.DataFrame
    result: SitingResult


def site_on_territory(
    territory: Territory,
    services: gpd.GeoDataFrame,
    service_type: str,
    *,
    within_minutes: float,
    new_sites: int | None,
    model: str = "max_covering",
    candidates: str | PathLike[str] = "mairies",
    capacity: float | None = None,
    heuristic: bool = False,
    travel_times: TravelTimeModel | None = None,
    typology: Typology | None = None,
) -> TerritorySiting:
    """Where to open ``new_sites`` services of a type, existing ones kept.

    Parameters
    ----------
    territory, services
        The study territory and its services (ring included).
    service_type
        A BPE code, ``france-services``, ``mairie`` or a typology label.
    within_minutes
        The coverage threshold.
    new_sites
        Sites to open (``None`` for set covering, which finds the fewest).
    model
        ``"max_covering"``, ``"set_covering"`` or ``"p_median"``.
    candidates
        ``"mairies"`` (the territory's town halls), ``"batiments-publics"`` or a CSV file.
    capacity
        Inhabitants each site can serve (set covering, p-median).
    heuristic
        Greedy heuristic instead of the exact solver (gap to the LP bound reported).
    travel_times
        The travel-time model (:mod:`maillage.network.model`); ``None`` for the
        straight-line estimate.
    typology
        The typology (shipped one by default).

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> from maillage.services.catalogue import territory_services
    >>> t = pays_de_maurienne(buffer_km=10)
    >>> s = territory_services(t, builtin=["mairies", "france_services"])
    >>> siting = site_on_territory(t, s, "france-services", within_minutes=20, new_sites=1)
    >>> siting.service_type, len(siting.result.new_sites)
    ('A128', 1)
    """
    typology = load_typology() if typology is None else typology
    if model != "set_covering" and new_sites is None:
        raise MaillageError(
            "nombre de sites à ouvrir manquant. Correction : indiquez-le (--sites), sauf "
            "pour la couverture totale qui le trouve"
        )
    kind = resolve_service_type(service_type, typology)
    existing = services[services["type"] == kind]
    existing_sites = pd.DataFrame(
        {
            "site_id": existing["service_id"].astype(str).to_numpy(),
            "name": existing["name"].astype(str).to_numpy(),
            "commune": existing["commune"].astype(str).to_numpy(),
            "lon": existing["lon"].to_numpy(dtype=float),
            "lat": existing["lat"].to_numpy(dtype=float),
        }
    )
    if str(candidates) in {"mairies", "batiments-publics"}:
        candidate_table = candidate_sites(services, territory.codes, kind=str(candidates))
    elif Path(candidates).suffix.lower() in {".csv", ".txt"} or Path(candidates).exists():
        candidate_table = read_site_list(candidates, services)
    else:
        raise MaillageError(
            f"candidats « {candidates} » : ni « mairies », ni « batiments-publics », ni un "
            "fichier. Correction : indiquez l'un d'eux"
        )
    candidate_table = candidate_table[~candidate_table["site_id"].isin(existing_sites["site_id"])]
    sites = pd.concat([existing_sites, candidate_table], ignore_index=True)
    origins = territory_origins(territory)
    costs = siting_costs(
        origins, sites, model=travel_times, cutoff_minutes=max(3.0 * within_minutes, 90.0)
    )
    population = pd.DataFrame(
        {"origin_id": origins["origin_id"].astype(str), "population": origins["population"]}
    )
    capacities = None if capacity is None else dict.fromkeys(sites["site_id"], capacity)
    if "capacity" in candidate_table and candidate_table["capacity"].notna().any():
        capacities = capacities or {}
        pairs = zip(candidate_table["site_id"], candidate_table["capacity"], strict=True)
        capacities.update({str(site): float(value) for site, value in pairs if pd.notna(value)})
    result = locate_sites(
        costs,
        population,
        model=model,
        within_minutes=within_minutes,
        new_sites=new_sites,
        candidates=candidate_table["site_id"].tolist(),
        fixed=existing_sites["site_id"].tolist(),
        capacities=capacities,
        heuristic=heuristic,
        sites=sites,
    )
    label = typology.label_of(pd.Series([kind])).iloc[0]
    return TerritorySiting(
        kind, kind if pd.isna(label) else str(label), existing_sites, candidate_table, result
    )
