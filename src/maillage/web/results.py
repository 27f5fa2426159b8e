"""Survey results per family × EPCI × age band, crossed with the measured access times.

Each respondent's commune carries the diagnostic's time to the nearest service of the
family (latest study, summer): the tables show, next to satisfaction and the distance
felt, the median measured time of the respondents' communes, and satisfaction by band
of measured time (does the felt distance follow the measured one?).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from maillage.web.models import (
    AGE_BANDS,
    FAR_DISTANCES,
    CommuneTime,
    Study,
    SurveyAnswer,
)

TIME_BANDS = [(0.0, 7.0), (7.0, 15.0), (15.0, 20.0), (20.0, 30.0), (30.0, float("inf"))]


@dataclass
class Group:
    """Aggregates of one group of answers."""

    answers: int = 0
    satisfaction_sum: int = 0
    satisfaction_count: int = 0
    far: int = 0
    distance_count: int = 0
    needs: int = 0

    def add(self, satisfaction: int | None, distance: str, needs: str) -> None:
        """Count one answer."""
        self.answers += 1
        if satisfaction:
            self.satisfaction_sum += satisfaction
            self.satisfaction_count += 1
        if distance:
            self.distance_count += 1
            self.far += distance in FAR_DISTANCES
        self.needs += bool(needs)

    @property
    def satisfaction(self) -> float | None:
        """Mean satisfaction (1 to 4)."""
        return self.satisfaction_sum / self.satisfaction_count if self.satisfaction_count else None

    @property
    def far_share(self) -> float | None:
        """Share of answers that find the services (too) far."""
        return self.far / self.distance_count if self.distance_count else None


def _band_label(low: float, high: float) -> str:
    if high == float("inf"):
        return f"plus de {low:g} min"
    return f"{low:g} à {high:g} min"


def survey_results(family: str, study: Study | None) -> dict[str, Any]:
    """Tables of the survey for one family (see the module docstring)."""
    times: dict[str, float] = {}
    if study is not None:
        times = {
            code: minutes
            for code, minutes in CommuneTime.objects.filter(
                study=study, family=family, season="ete"
            ).values_list("commune_id", "minutes")
            if minutes is not None
        }
    answers = SurveyAnswer.objects.filter(family=family).values_list(
        "response__commune_id",
        "response__commune__epci",
        "response__commune__epci_name",
        "response__age_band",
        "satisfaction",
        "distance_felt",
        "unmet_needs",
    )
    groups: dict[tuple[str, str], Group] = defaultdict(Group)
    group_times: dict[tuple[str, str], list[float]] = defaultdict(list)
    epci_names: dict[str, str] = {}
    bands = [Group() for _ in TIME_BANDS]
    total = Group()
    for commune, epci, epci_name, age, satisfaction, distance, needs in answers:
        epci_key = epci or ""
        epci_names[epci_key] = epci_name or "Commune non renseignée"
        groups[epci_key, age].add(satisfaction, distance, needs)
        total.add(satisfaction, distance, needs)
        minutes = times.get(commune) if commune else None
        if minutes is not None:
            group_times[epci_key, age].append(minutes)
            for index, (low, high) in enumerate(TIME_BANDS):
                if low <= minutes < high:
                    bands[index].add(satisfaction, distance, needs)
                    break
    ages = dict(AGE_BANDS)
    rows = [
        {
            "epci": epci_names[epci],
            "age": ages.get(age, age),
            "group": group,
            "measured_median": statistics.median(group_times[epci, age])
            if group_times[epci, age]
            else None,
        }
        for (epci, age), group in sorted(
            groups.items(), key=lambda item: (epci_names[item[0][0]], item[0][1])
        )
    ]
    return {
        "rows": rows,
        "total": total,
        "bands": [
            {"label": _band_label(low, high), "group": group}
            for (low, high), group in zip(TIME_BANDS, bands, strict=True)
        ],
    }
