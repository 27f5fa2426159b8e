"""The built-in territory: the Pays de Maurienne (Savoie), the main command's default."""

from __future__ import annotations

from maillage.territory.spec import MAURIENNE_EPCI, TerritorySpec
from maillage.territory.territory import DEFAULT_BUFFER_KM, Territory

__all__ = ["MAURIENNE_EPCI", "pays_de_maurienne"]


def pays_de_maurienne(*, buffer_km: float = DEFAULT_BUFFER_KM) -> Territory:
    """The Pays de Maurienne: the communes of its 5 communautés de communes, and its buffer.

    Examples
    --------
    >>> t = pays_de_maurienne()
    >>> len(t.communes), t.communes["epci"].nunique(), t.population
    (53, 5, 42946)
    """
    return TerritorySpec.builtin(buffer_km=buffer_km).build()
