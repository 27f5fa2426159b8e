"""Territoires à enjeux: where access is poorest and need highest, with the reasons.

The composite score of a commune combines, with documented weights:

* **remoteness** from each family: the commune's time to the nearest service of the
  family, divided by the family's threshold (30 minutes by default), capped at 2;
* **need**: the share of inhabitants aged 65 and over (home services, care), the share
  aged 0–19 (youth, early childhood), each divided by the territory's share (1 = as the
  territory), capped at 2.

.. math::

    S_c = \\frac{1}{|F|}\\sum_{f \\in F} \\min\\left(\\frac{t_{c,f}}{T_f}, 2\\right)
          \\times \\left(1 + w_f \\cdot \\left(\\min\\left(\\frac{s_{c,f}}{\\bar s_f}, 2\\right)
          - 1\\right)\\right)

with :math:`s_{c,f}` the share of the age band that needs family :math:`f` most
(65+ for care and home services, 0–19 for youth and early childhood, the whole population
for public services: ratio 1) and :math:`w_f = 0.5`. Communes are ranked by score. Their
level (:data:`maillage.indicators.classes.ENJEU_LEVELS`) rests on absolute criteria, not
on the rank: beyond twice a family's threshold, or beyond it where its public is
over-represented (très fort), beyond a threshold (fort), past half of one (modéré), else
faible. Each commune's reasons
list the families where it is beyond the threshold, with the need when it is above the
territory's ("loin des soins et population âgée"), or, when it is within every threshold,
those where it is past half of it. Levels and reasons are data (codes and parameters);
:mod:`maillage.outputs.french` says them in French.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from maillage.indicators.classes import ENJEU_LEVELS, NEAR_LIMIT, enjeu_class

#: Which age band expresses the need for each family (None: the whole population).
NEED_BAND: dict[str, str | None] = {
    "social_emploi": None,
    "soins": "population_65_plus",
    "domicile": "population_65_plus",
    "jeunesse_parents": "population_0_19",
    "petite_enfance": "population_0_19",
}
#: A reason of a commune's level: its code and its parameters. Codes: ``far`` (beyond
#: the family's threshold; ``family``, ``minutes`` — None when unreachable —, ``need``:
#: the over-represented age band or None, ``share_65_plus_pct`` once cited), ``near``
#: (past half of it, same parameters), ``poverty`` (``rate_pct``, ``scope``: commune or
#: epci). No reason: access within every threshold.
Reason = tuple[str, dict[str, Any]]
NEED_WEIGHT = 0.5
CAP = 2.0


def enjeux_scores(
    family_times: pd.DataFrame,
    population: pd.DataFrame,
    *,
    thresholds_minutes: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Score, rank, class and reasons of each commune.

    Parameters
    ----------
    family_times
        ``origin_id, family, minutes`` (nearest service of each family; NaN when none is
        reachable, counted as the cap).
    population
        ``origin_id, population, population_0_19, population_65_plus``.
    thresholds_minutes
        Threshold per family (30 minutes for any family not given).

    Returns
    -------
    pandas.DataFrame
        ``origin_id, score, rank`` (1 = most at stake), ``enjeu_level`` (low, moderate,
        high, very_high: the criteria of :mod:`maillage.indicators.classes`) and
        ``enjeu_reasons`` (:data:`Reason` records, stored by :func:`dump_reasons`;
        :func:`maillage.outputs.french.enjeux_french` says them in French).

    Examples
    --------
    >>> t = pd.DataFrame({"origin_id": ["a", "b"], "family": "soins", "minutes": [45.0, 5.0]})
    >>> p = pd.DataFrame({"origin_id": ["a", "b"], "population": [100, 100],
    ...                   "population_0_19": [10, 30], "population_65_plus": [50, 10]})
    >>> e = enjeux_scores(t, p)
    >>> row = e.set_index("origin_id").loc["a"]
    >>> int(row["rank"]), row["enjeu_level"], load_reasons(row["enjeu_reasons"])
    (1, 'very_high', [('far', {'family': 'soins', 'minutes': 45.0, 'need': 'population_65_plus'})])
    """
    thresholds = dict(thresholds_minutes or {})
    table = family_times.merge(population, on="origin_id", how="left")
    table["threshold"] = table["family"].map(lambda f: thresholds.get(f, 30.0))
    remoteness = (table["minutes"] / table["threshold"]).fillna(CAP).clip(upper=CAP)
    need_ratio = pd.Series(1.0, index=table.index)
    for band in {b for b in NEED_BAND.values() if b}:
        rows = table["family"].map(NEED_BAND) == band
        share = table[band] / table["population"].replace(0, np.nan)
        mean_share = population[band].sum() / population["population"].sum()
        need_ratio[rows] = (share[rows] / mean_share).fillna(1.0).clip(upper=CAP)
    table["part"] = remoteness * (1 + NEED_WEIGHT * (need_ratio - 1))
    table["far"] = table["minutes"].isna() | (table["minutes"] > table["threshold"])
    table["needy"] = need_ratio > 1.0
    scores = table.groupby("origin_id")["part"].mean().rename("score")
    reasons = _reasons(table)
    result = pd.concat([scores, reasons], axis=1).reset_index()
    result["rank"] = result["score"].rank(ascending=False, method="min").astype(int)
    table["near"] = table["minutes"] >= NEAR_LIMIT * table["threshold"]
    very_far = table["minutes"].isna() | (table["minutes"] > CAP * table["threshold"])
    table["far_and_needy"] = very_far | (
        table["far"] & table["needy"] & table["family"].map(NEED_BAND).notna()
    )
    criteria = table.groupby("origin_id")[["far_and_needy", "far", "near"]].any()
    levels = pd.Series(
        [
            enjeu_class(far_and_needy=a, far=b, near=c)
            for a, b, c in zip(
                criteria["far_and_needy"], criteria["far"], criteria["near"], strict=True
            )
        ],
        index=criteria.index,
        name="enjeu_level",
    )
    result = result.join(levels, on="origin_id")
    return result.sort_values(["rank", "origin_id"])[
        ["origin_id", "score", "rank", "enjeu_level", "enjeu_reasons"]
    ].reset_index(drop=True)


def _reasons(table: pd.DataFrame) -> pd.Series:
    """The reasons of every origin, as data, in the order of its rows in ``table``.

    ``table``: ``origin_id, family, minutes, threshold, far, needy``, one row per origin
    and family. The families where the origin is beyond the threshold (code ``far``);
    when there are none, those past :data:`NEAR_LIMIT` of it (code ``near``); else none.

    Returns
    -------
    pandas.Series
        ``enjeu_reasons`` (:func:`dump_reasons` text) indexed by ``origin_id`` (sorted).

    Examples
    --------
    >>> t = pd.DataFrame({"origin_id": ["b", "a", "a", "b"], "family": "soins",
    ...                   "minutes": [20.0, np.nan, 40.0, 2.0], "threshold": 30.0,
    ...                   "far": [False, True, True, False], "needy": [True, False, True, True]})
    >>> load_reasons(_reasons(t)["b"])
    [('near', {'family': 'soins', 'minutes': 20.0, 'need': 'population_65_plus'})]
    >>> [params["minutes"] for _, params in load_reasons(_reasons(t)["a"])]
    [None, 40.0]
    """
    codes, origins = pd.factorize(table["origin_id"], sort=True)
    minutes = table["minutes"].to_numpy(dtype=float)
    near = (minutes >= NEAR_LIMIT * table["threshold"].to_numpy(dtype=float)).tolist()
    far_reasons: list[list[Reason]] = [[] for _ in range(len(origins))]
    near_reasons: list[list[Reason]] = [[] for _ in range(len(origins))]
    for code, family, time, is_far, is_near, needy in zip(
        codes.tolist(),
        table["family"].tolist(),
        minutes.tolist(),
        table["far"].tolist(),
        near,
        table["needy"].tolist(),
        strict=True,
    ):
        if not (is_far or is_near):
            continue
        band = NEED_BAND.get(family)
        params = {
            "family": family,
            "minutes": None if math.isnan(time) else time,
            "need": band if band and needy else None,
        }
        (far_reasons if is_far else near_reasons)[code].append(
            ("far" if is_far else "near", params)
        )
    texts = [
        dump_reasons(far or close) for far, close in zip(far_reasons, near_reasons, strict=True)
    ]
    return pd.Series(texts, index=pd.Index(origins, name="origin_id"), name="enjeu_reasons")


def dump_reasons(reasons: list[Reason]) -> str:
    """Reasons as the text stored in the ``enjeu_reasons`` column (JSON).

    Examples
    --------
    >>> dump_reasons([("poverty", {"rate_pct": 21.0, "scope": "commune"})])
    '[["poverty", {"rate_pct": 21.0, "scope": "commune"}]]'
    """
    return json.dumps([[code, params] for code, params in reasons], ensure_ascii=False)


def load_reasons(text: str) -> list[Reason]:
    """The reasons stored by :func:`dump_reasons`, as ``(code, params)`` pairs.

    Examples
    --------
    >>> load_reasons('[["poverty", {"rate_pct": 21.0, "scope": "epci"}]]')
    [('poverty', {'rate_pct': 21.0, 'scope': 'epci'})]
    """
    return [(str(code), dict(params)) for code, params in json.loads(text)]


def enjeux_by_zone(scores: pd.DataFrame, population: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """Rank zones (EPCI...) by the population-weighted mean score of their communes.

    Parameters
    ----------
    scores
        Output of :func:`enjeux_scores`.
    population
        ``origin_id``, ``population`` and the zone column ``by``.

    Returns
    -------
    pandas.DataFrame
        ``{by}, score, rank, population, communes_tres_fort`` (communes in the top class).

    Examples
    --------
    >>> s = pd.DataFrame({"origin_id": ["a", "b", "c"], "score": [1.0, 0.2, 0.5],
    ...                   "enjeu_level": ["very_high", "low", "high"]})
    >>> p = pd.DataFrame({"origin_id": ["a", "b", "c"], "population": [100, 300, 50],
    ...                   "epci": ["x", "x", "y"]})
    >>> enjeux_by_zone(s, p, by="epci")[["epci", "score", "rank"]].to_dict("records")
    [{'epci': 'y', 'score': 0.5, 'rank': 1}, {'epci': 'x', 'score': 0.4, 'rank': 2}]
    """
    table = scores.merge(population[["origin_id", "population", by]], on="origin_id")
    table["weighted"] = table["score"] * table["population"]
    table["top"] = table["enjeu_level"] == ENJEU_LEVELS[-1]
    zones = table.groupby(by).agg(
        weighted=("weighted", "sum"),
        population=("population", "sum"),
        communes_tres_fort=("top", "sum"),
    )
    # A zone with no known population (Mayotte in the shipped table) has no score: NA rank.
    zones["score"] = (
        zones["weighted"] / zones["population"].where(zones["population"] > 0)
    ).astype(float)
    zones["rank"] = zones["score"].rank(ascending=False, method="min").astype("Int64")
    result = zones.reset_index().sort_values(["rank", by])
    return result[[by, "score", "rank", "population", "communes_tres_fort"]].reset_index(drop=True)
