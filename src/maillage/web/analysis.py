"""Survey results worthy of a diagnostic: by EPCI and bassin de vie, weighted to the
INSEE population, small cells suppressed.

Weights: each respondent who gave a commune of the territory is raked
(:func:`maillage.web.weighting.rake`) to the census population of the territory by age
band and by EPCI (INSEE, recensement 2021, per IRIS summed per commune). The census
publishes 0–19, 20–64 and 65+ years: the survey's bands are grouped into those
(20–39 and 40–59 → 20–64; 60–74 and 75+ → 65+; the 60–64 year-olds are thus counted
with the older band, an approximation said on the page). Respondents without a commune
get no weight and are only counted.

Suppression: a zone with fewer than :data:`MIN_CELL` answers for a family shows no
figure (statistical secrecy, and too few answers to say anything).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from maillage.web.models import FAR_DISTANCES, Commune, SurveyAnswer, SurveyResponse
from maillage.web.weighting import RakingResult, rake

#: Fewer answers than this in a cell: no figure shown.
MIN_CELL = 5
#: Survey age band → census band (INSEE publishes 0-19, 20-64, 65+ per IRIS).
CENSUS_BAND = {"0-19": "0-19", "20-39": "20-64", "40-59": "20-64", "60-74": "65+", "75+": "65+"}
CENSUS_COLUMNS = {
    "0-19": "population_0_19",
    "20-64": "population_20_64",
    "65+": "population_65_plus",
}
ZONES = {"epci": ("epci", "epci_name"), "bassin": ("bassin", "bassin_name")}


@dataclass(frozen=True)
class Weights:
    """Survey weights per response id, with the raking's diagnostics."""

    by_response: dict[int, float]
    raking: RakingResult | None
    respondents: int
    unweighted: int
    margins: dict[str, dict[str, float]]


def census_margins() -> dict[str, dict[str, float]]:
    """Population of the territory by census age band and by EPCI (INSEE 2021).

    Examples
    --------
    Needs a loaded study (see ``tests/web/test_analysis.py``).
    """
    from maillage.sources.population import population_by_commune

    communes = pd.DataFrame(
        Commune.objects.filter(in_territory=True).values("code", "epci"), columns=["code", "epci"]
    )
    if communes.empty:
        return {"age": {}, "epci": {}}
    counts, _ = population_by_commune(communes["code"])
    table = communes.set_index("code").join(counts[list(CENSUS_COLUMNS.values())], how="inner")
    age = {band: float(table[column].sum()) for band, column in CENSUS_COLUMNS.items()}
    table["total"] = table[list(CENSUS_COLUMNS.values())].sum(axis=1)
    epci = {str(k): float(v) for k, v in table.groupby("epci")["total"].sum().items()}
    return {"age": age, "epci": epci}


def survey_weights() -> Weights:
    """Rake the respondents to the census margins (age band × EPCI)."""
    rows = list(
        SurveyResponse.objects.values_list(
            "pk", "age_band", "commune__epci", "commune__in_territory"
        )
    )
    placed = [(pk, age, epci) for pk, age, epci, inside in rows if epci and inside]
    margins = census_margins()
    if not placed:
        return Weights({}, None, len(rows), len(rows), margins)
    result = rake(
        {
            "age": [CENSUS_BAND[age] for _, age, _ in placed],
            "epci": [epci for _, _, epci in placed],
        },
        {"age": margins["age"], "epci": margins["epci"]},
    )
    by_response = {pk: float(w) for (pk, _, _), w in zip(placed, result.weights, strict=True)}
    return Weights(by_response, result, len(rows), len(rows) - len(placed), margins)


@dataclass
class Cell:
    """Answers of one zone for one family (raw counts and weighted sums)."""

    answers: int = 0
    satisfaction_n: int = 0
    satisfaction_weight: float = 0.0
    satisfaction_sum: float = 0.0
    distance_n: int = 0
    distance_weight: float = 0.0
    far_weight: float = 0.0
    far_n: int = 0

    @property
    def suppressed(self) -> bool:
        """Fewer than :data:`MIN_CELL` answers."""
        return self.answers < MIN_CELL

    @property
    def satisfaction(self) -> float | None:
        """Weighted mean satisfaction (1 to 4), ``None`` if suppressed or unanswered."""
        if self.suppressed or self.satisfaction_n < MIN_CELL or not self.satisfaction_weight:
            return None
        return self.satisfaction_sum / self.satisfaction_weight

    @property
    def far_share(self) -> float | None:
        """Weighted share finding the services (too) far."""
        if self.suppressed or self.distance_n < MIN_CELL or not self.distance_weight:
            return None
        return self.far_weight / self.distance_weight


def family_results(family: str, zone: str, weights: Weights | None = None) -> dict[str, Any]:
    """One family's results per zone (``"epci"`` or ``"bassin"``) and for the territory.

    Parameters
    ----------
    family
        A family code.
    zone
        ``"epci"`` or ``"bassin"``.
    weights
        From :func:`survey_weights` (computed when ``None``).

    Returns
    -------
    dict
        ``rows`` (``code``, ``name``, ``cell``), ``total`` (a :class:`Cell`),
        ``suppressed`` (number of zones with too few answers).
    """
    code_field, name_field = ZONES[zone]
    weights = weights or survey_weights()
    answers = SurveyAnswer.objects.filter(
        family=family, response__commune__in_territory=True
    ).values_list(
        "response_id",
        f"response__commune__{code_field}",
        f"response__commune__{name_field}",
        "satisfaction",
        "distance_felt",
    )
    cells: dict[str, Cell] = defaultdict(Cell)
    names: dict[str, str] = {}
    total = Cell()
    for response, code, name, satisfaction, distance in answers:
        weight = weights.by_response.get(response)
        if weight is None:
            continue
        names[code or ""] = name or "non renseigné"
        for cell in (cells[code or ""], total):
            cell.answers += 1
            if satisfaction:
                cell.satisfaction_n += 1
                cell.satisfaction_weight += weight
                cell.satisfaction_sum += weight * satisfaction
            if distance:
                cell.distance_n += 1
                cell.distance_weight += weight
                far = distance in FAR_DISTANCES
                cell.far_weight += weight * far
                cell.far_n += far
    ordered = sorted(cells.items(), key=lambda item: names[item[0]])
    return {
        "rows": [{"code": code, "name": names[code], "cell": cell} for code, cell in ordered],
        "total": total,
        "suppressed": sum(cell.suppressed for _, cell in ordered),
    }


def weighted_counts(weights: Weights) -> dict[str, dict[str, float]]:
    """Weighted respondents per census age band and per EPCI (they equal the margins)."""
    responses = dict(
        (pk, (CENSUS_BAND[age], epci))
        for pk, age, epci in SurveyResponse.objects.filter(
            pk__in=list(weights.by_response)
        ).values_list("pk", "age_band", "commune__epci")
    )
    out: dict[str, dict[str, float]] = {"age": defaultdict(float), "epci": defaultdict(float)}
    for pk, weight in weights.by_response.items():
        age, epci = responses[pk]
        out["age"][age] += weight
        out["epci"][epci] += weight
    return {key: dict(value) for key, value in out.items()}


def design_effect(weights: Weights) -> float | None:
    """Kish's design effect of the weights, ``n Σw² / (Σw)²`` (1 = no loss of precision)."""
    values = np.array(list(weights.by_response.values()))
    if values.size == 0:
        return None
    return float(values.size * np.sum(values**2) / np.sum(values) ** 2)
