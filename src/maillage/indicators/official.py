"""Official indicators beside maillage's own: DREES APL, CAF coverage, poverty, ERP access.

Read from the shipped per-commune files (:mod:`maillage.sources.indicateurs`), as
published, so that an élu sees the figures the ARS, the CAF and INSEE publish next to
the travel times:

* **APL** (DREES, 2023): *accessibilité potentielle localisée* to general practitioners in
  consultations per inhabitant per year (a commune below :data:`UNDERSERVED_APL_GP` = 2.5
  is *sous-dense*, DREES's threshold), and to nurses, midwives, physiotherapists and
  dentists in full-time equivalents per 100,000 inhabitants; per EPCI or any zone, the
  mean of its communes weighted by DREES's own population (``pop_apl``);
* **taux de couverture global** of early childhood care (CNAF, 2021, %);
* **need**: the poverty rate at 60 % of the median (INSEE Filosofi 2021, %) and the share
  of inhabitants aged 65 and over (INSEE RP 2021 via IRIS: the closest age band shipped;
  no 75+ band is published at IRIS level here);
* **accessibility**: the share of assessed public buildings (ERP) with a step-free
  entrance (Acceslibre, 2024), among those whose entrance is described.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from maillage.indicators.enjeux import dump_reasons, load_reasons
from maillage.sources.indicateurs import read_commune_file

#: DREES: below 2.5 consultations per inhabitant per year, a commune is under-served.
UNDERSERVED_APL_GP = 2.5
#: APL columns: ours (English) → DREES's.
APL_COLUMNS = {
    "apl_gp": "apl_gen",
    "apl_gp_under_65": "apl_65",
    "apl_nurses": "apl_inf",
    "apl_midwives": "apl_sf",
    "apl_physiotherapists": "apl_mk",
    "apl_dentists": "apl_dent",
}


def apl_by_commune(codes: Sequence[str]) -> pd.DataFrame:
    """DREES APL 2023 of each commune, as published.

    Returns
    -------
    pandas.DataFrame
        ``commune``, ``population_apl`` (DREES's population), the :data:`APL_COLUMNS`,
        ``underserved`` (``apl_gp`` < :data:`UNDERSERVED_APL_GP`; NA when unknown).

    Examples
    --------
    >>> a = apl_by_commune(["73248", "73047"]).set_index("commune")
    >>> a.loc["73248", "apl_gp"], bool(a.loc["73047", "underserved"])
    (np.float64(4.4), True)
    """
    values = read_commune_file("apl").values
    table = values.reindex(list(codes))
    result = pd.DataFrame({"commune": list(codes)})
    result["population_apl"] = table["pop_apl"].to_numpy()
    for ours, theirs in APL_COLUMNS.items():
        result[ours] = table[theirs].to_numpy()
    result["underserved"] = pd.array(
        np.where(result["apl_gp"].isna(), None, result["apl_gp"] < UNDERSERVED_APL_GP),
        dtype="boolean",
    )
    return result


def apl_by_zone(communes: pd.DataFrame, *, by: str = "epci") -> pd.DataFrame:
    """APL per zone: the mean of its communes weighted by DREES's population.

    Parameters
    ----------
    communes
        ``commune`` and the zone column ``by`` (e.g. ``Territory.communes``).
    by
        The zone column.

    Returns
    -------
    pandas.DataFrame
        ``<by>``, ``population_apl``, the :data:`APL_COLUMNS` (weighted means), and
        ``underserved_share`` (share of DREES's population living in under-served
        communes).

    Examples
    --------
    >>> c = pd.DataFrame({"commune": ["73248", "73047"], "epci": "x"})
    >>> z = apl_by_zone(c)
    >>> a = apl_by_commune(["73248", "73047"])
    >>> w = a["population_apl"]
    >>> bool(np.isclose(z.loc[0, "apl_gp"], (a["apl_gp"] * w).sum() / w.sum()))
    True
    """
    apl = apl_by_commune(communes["commune"].tolist())
    zone = pd.Series(communes[by].to_numpy(), index=apl.index, name=by)
    weight = apl["population_apl"].fillna(0.0)
    total = weight.groupby(zone, sort=True).sum()
    result = pd.DataFrame({by: total.index, "population_apl": total.to_numpy(dtype=float)})
    for column in APL_COLUMNS:
        known = apl[column].notna()
        weighted = (apl[column].fillna(0.0) * weight).groupby(zone, sort=True).sum()
        known_weight = weight.where(known, 0.0).groupby(zone, sort=True).sum()
        result[column] = (weighted / known_weight.where(known_weight != 0)).to_numpy(dtype=float)
    under = apl["underserved"].fillna(False).astype(bool)
    under_weight = weight.where(under, 0.0).groupby(zone, sort=True).sum()
    result["underserved_share"] = (under_weight / total.where(total != 0)).to_numpy(dtype=float)
    return result


def childcare_coverage(codes: Sequence[str]) -> pd.DataFrame:
    """CNAF's *taux de couverture global* of early childhood care (2021, %) per commune.

    Examples
    --------
    >>> childcare_coverage(["73248"]).to_dict("records")
    [{'commune': '73248', 'childcare_coverage_pct': 48.1}]
    """
    values = read_commune_file("caf_couverture").values.reindex(list(codes))
    return pd.DataFrame(
        {"commune": list(codes), "childcare_coverage_pct": values["tcg"].to_numpy()}
    )


def need_indicators(population: pd.DataFrame) -> pd.DataFrame:
    """Poverty rate (Filosofi 2021) and share aged 65+ (RP 2021) of each commune.

    Parameters
    ----------
    population
        ``origin_id`` (commune code), ``population``, ``population_65_plus`` and
        ``epci`` (the diagnostic's origins).

    Returns
    -------
    pandas.DataFrame
        ``origin_id``, ``poverty_rate_pct`` and ``poverty_rate_level``: the commune's
        rate, or where INSEE withholds it (fewer than 1,000 households, secrecy) its
        EPCI's (``"epci"``); ``share_65_plus_pct``.

    Examples
    --------
    >>> p = pd.DataFrame({"origin_id": ["73248", "73047"], "population": [7746, 260],
    ...                   "population_65_plus": [1936.0, 52.0], "epci": "200070340"})
    >>> need_indicators(p).round(1).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'origin_id': '73248', 'poverty_rate_pct': 16.0, 'poverty_rate_level': 'commune',
      'share_65_plus_pct': 25.0},
     {'origin_id': '73047', 'poverty_rate_pct': 13.2, 'poverty_rate_level': 'epci',
      'share_65_plus_pct': 20.0}]
    """
    filosofi = read_commune_file("filosofi")
    codes = population["origin_id"].astype(str)
    own = filosofi.values["tp6021"].reindex(codes).to_numpy()
    epci = population["epci"].astype(str) if "epci" in population else codes.map(lambda _: "")
    of_epci = filosofi.aggregates["tp6021"].reindex(epci).to_numpy()
    people = population["population"].astype(float).replace(0, np.nan)
    level = np.full(len(own), None, dtype=object)
    level[~np.isnan(of_epci)] = "epci"
    level[~np.isnan(own)] = "commune"
    return pd.DataFrame(
        {
            "origin_id": codes.to_numpy(),
            "poverty_rate_pct": np.where(np.isnan(own), of_epci, own),
            "poverty_rate_level": level,
            "share_65_plus_pct": (
                100 * population["population_65_plus"].astype(float) / people
            ).to_numpy(),
        }
    )


def cite_needs(enjeux: pd.DataFrame, needs: pd.DataFrame) -> pd.DataFrame:
    """The territoires à enjeux with their need figures, cited in the reasons.

    A commune at stake (at least one reason) whose poverty rate is above the mean of the
    territory's communes gets a ``poverty`` reason (``rate_pct``, ``scope``: commune, or
    epci when only its EPCI's is published); a reason whose need is the 65+ band gets
    the commune's ``share_65_plus_pct``.

    Parameters
    ----------
    enjeux
        :func:`~maillage.indicators.enjeux.enjeux_scores`'s table.
    needs
        :func:`need_indicators`'s table (same ``origin_id``).

    Returns
    -------
    pandas.DataFrame
        ``enjeux`` with ``poverty_rate_pct`` and ``share_65_plus_pct``, reasons completed.

    Examples
    --------
    >>> far = ("far", {"family": "soins", "minutes": 45.0, "need": "population_65_plus"})
    >>> e = pd.DataFrame({"origin_id": ["a", "b"],
    ...                   "enjeu_reasons": [dump_reasons([far]), dump_reasons([])]})
    >>> n = pd.DataFrame({"origin_id": ["a", "b"], "poverty_rate_pct": [21.0, 9.0],
    ...                   "share_65_plus_pct": [31.2, 20.0]})
    >>> cited = cite_needs(e, n)["enjeu_reasons"]
    >>> [load_reasons(r) for r in cited]  # doctest: +NORMALIZE_WHITESPACE
    [[('far', {'family': 'soins', 'minutes': 45.0, 'need': 'population_65_plus',
               'share_65_plus_pct': 31.2}),
      ('poverty', {'rate_pct': 21.0, 'scope': 'commune'})], []]
    """
    table = enjeux.merge(needs, on="origin_id", how="left")
    if "poverty_rate_level" not in table:
        table["poverty_rate_level"] = "commune"
    reference = table["poverty_rate_pct"].mean()
    reasons = []
    for text, poverty, level, old in zip(
        table["enjeu_reasons"],
        table["poverty_rate_pct"],
        table["poverty_rate_level"],
        table["share_65_plus_pct"],
        strict=True,
    ):
        records = load_reasons(text) if isinstance(text, str) else []
        if not records:
            reasons.append(text)
            continue
        if not pd.isna(old):
            for _, params in records:
                if params.get("need") == "population_65_plus":
                    params["share_65_plus_pct"] = float(old)
        if not pd.isna(poverty) and poverty > reference:
            scope = "epci" if level == "epci" else "commune"
            records.append(("poverty", {"rate_pct": float(poverty), "scope": scope}))
        reasons.append(dump_reasons(records))
    table["enjeu_reasons"] = reasons
    return table


def step_free_share(communes: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Share of assessed public buildings (ERP) with a step-free entrance (Acceslibre 2024).

    Parameters
    ----------
    communes
        ``commune`` (and the zone column ``by``).
    by
        ``None``: one row per commune; else one row per zone (counts summed first).

    Returns
    -------
    pandas.DataFrame
        ``commune`` (or ``<by>``), ``erp_assessed``, ``erp_step_free``,
        ``erp_entrance_known``, ``step_free_share`` (step-free / entrance known).

    Examples
    --------
    >>> s = step_free_share(pd.DataFrame({"commune": ["73248"]}))
    >>> s[["erp_assessed", "erp_step_free", "erp_entrance_known"]].to_dict("records")
    [{'erp_assessed': 70.0, 'erp_step_free': 49.0, 'erp_entrance_known': 53.0}]
    """
    values = read_commune_file("erp").values.reindex(communes["commune"].astype(str))
    table = pd.DataFrame(
        {
            "commune": communes["commune"].astype(str).to_numpy(),
            "erp_assessed": values["nb_erp_eval"].to_numpy(),
            "erp_step_free": values["entr_plain_pied_true"].to_numpy(),
            "erp_entrance_known": (
                values["entr_plain_pied_true"] + values["entr_plain_pied_false"]
            ).to_numpy(),
        }
    )
    if by is not None:
        table[by] = communes[by].to_numpy()
        table = (
            table.groupby(by, sort=True)[["erp_assessed", "erp_step_free", "erp_entrance_known"]]
            .sum(min_count=1)
            .reset_index()
        )
    table["step_free_share"] = table["erp_step_free"] / table["erp_entrance_known"].replace(
        0, np.nan
    )
    return table


#: The columns of :func:`official_by_commune` taken from :func:`step_free_share`.
_ERP_COLUMNS = ["erp_assessed", "erp_step_free", "erp_entrance_known", "step_free_share"]


def official_by_commune(communes: pd.DataFrame) -> pd.DataFrame:
    """The official indicators of each commune, as published: APL, CAF coverage, ERP.

    Parameters
    ----------
    communes
        ``origin_id`` (INSEE code) of the communes (the diagnostic's origins).

    Returns
    -------
    pandas.DataFrame
        ``origin_id``, ``population_apl``, the :data:`APL_COLUMNS`, ``underserved``
        (:func:`apl_by_commune`), ``childcare_coverage_pct`` (:func:`childcare_coverage`),
        ``erp_assessed``, ``erp_step_free``, ``erp_entrance_known``, ``step_free_share``
        (:func:`step_free_share`).

    Examples
    --------
    >>> t = official_by_commune(pd.DataFrame({"origin_id": ["73248", "73047"]}))
    >>> t[["origin_id", "apl_gp", "underserved", "childcare_coverage_pct"]].to_dict("records")
    [{'origin_id': '73248', 'apl_gp': 4.4, 'underserved': False, 'childcare_coverage_pct': 48.1}, \
{'origin_id': '73047', 'apl_gp': 0.0, 'underserved': True, 'childcare_coverage_pct': 105.0}]
    """
    codes = communes["origin_id"].astype(str).tolist()
    table = apl_by_commune(codes).rename(columns={"commune": "origin_id"})
    table["childcare_coverage_pct"] = childcare_coverage(codes)["childcare_coverage_pct"]
    erp = step_free_share(pd.DataFrame({"commune": codes}))
    for column in _ERP_COLUMNS:
        table[column] = erp[column].to_numpy()
    return table


def official_by_zone(communes: pd.DataFrame, *, levels: Sequence[str] = ("epci",)) -> pd.DataFrame:
    """The official indicators of the whole territory and of each zone.

    APL: the mean of the communes weighted by DREES's population, and the share of that
    population in under-served communes (:func:`apl_by_zone`); ERP: counts summed, then
    the step-free share (:func:`step_free_share`).

    Parameters
    ----------
    communes
        ``origin_id`` and the zone columns ``levels`` (the diagnostic's origins).
    levels
        The zonings (the whole territory comes first, ``level = zone = "territory"``).

    Returns
    -------
    pandas.DataFrame
        ``level``, ``zone``, ``population_apl``, the :data:`APL_COLUMNS`,
        ``underserved_share``, ``erp_assessed``, ``erp_step_free``,
        ``erp_entrance_known``, ``step_free_share``.

    Examples
    --------
    >>> c = pd.DataFrame({"origin_id": ["73248", "73047"], "epci": ["a", "b"]})
    >>> z = official_by_zone(c)
    >>> z[["level", "zone"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'level': 'territory', 'zone': 'territory'}, {'level': 'epci', 'zone': 'a'},
     {'level': 'epci', 'zone': 'b'}]
    >>> round(float(z.loc[0, "underserved_share"]), 3)
    0.034
    """
    frame = pd.DataFrame({"commune": communes["origin_id"].astype(str).to_numpy()})
    frame["territory"] = "territory"
    for level in levels:
        frame[level] = communes[level].astype(str).to_numpy()
    tables = []
    for level in ("territory", *levels):
        apl = apl_by_zone(frame, by=level)
        erp = step_free_share(frame, by=level)
        table = apl.merge(erp, on=level, how="outer").rename(columns={level: "zone"})
        tables.append(table.assign(level=level))
    result = pd.concat(tables, ignore_index=True)
    columns = [
        "level",
        "zone",
        "population_apl",
        *APL_COLUMNS,
        "underserved_share",
        *_ERP_COLUMNS,
    ]
    return result[columns]
