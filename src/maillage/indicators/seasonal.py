"""Seasonal population: inhabitants plus the occupants of secondary residences.

Ski resorts and summer villages swing with the season: Les Belleville or Val-Cenis have
several times more beds than inhabitants. The peak population of an area is estimated
from the census' secondary residences (IRIS 2021):

.. math::

    P_{\\text{saison}} = P + R_{\\text{sec}} \\times b \\times o

with :math:`P` the resident population, :math:`R_{\\text{sec}}` the secondary
residences, :math:`b` the beds per secondary residence (5, the convention of INSEE and
Atout France for *lits touristiques non marchands*) and :math:`o` the occupancy rate at
the peak (1 by default: the week of highest demand on services).
"""

from __future__ import annotations

import pandas as pd

#: Beds per secondary residence (INSEE / Atout France convention for tourist beds).
BEDS_PER_SECONDARY_RESIDENCE = 5.0
#: Occupancy of those beds at the peak of the season.
PEAK_OCCUPANCY = 1.0


def seasonal_population(
    counts: pd.DataFrame,
    *,
    beds_per_secondary_residence: float = BEDS_PER_SECONDARY_RESIDENCE,
    occupancy: float = PEAK_OCCUPANCY,
) -> pd.Series:
    """Peak-season population: residents plus occupied beds of secondary residences.

    Parameters
    ----------
    counts
        ``population`` and ``secondary_residences`` (e.g. from
        :func:`maillage.sources.population.population_by_commune`).
    beds_per_secondary_residence, occupancy
        See the module's formula; both documented conventions, both configurable.

    Examples
    --------
    >>> c = pd.DataFrame({"population": [100, 2000], "secondary_residences": [1000, 10]})
    >>> seasonal_population(c, occupancy=0.5).tolist()
    [2600.0, 2025.0]
    """
    if beds_per_secondary_residence < 0 or not 0 <= occupancy <= 1:
        raise ValueError("beds_per_secondary_residence >= 0 and 0 <= occupancy <= 1")
    return (
        counts["population"]
        + counts["secondary_residences"] * beds_per_secondary_residence * occupancy
    ).astype(float)
