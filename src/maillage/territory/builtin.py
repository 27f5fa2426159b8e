"""The built-in territory: the Pays de Maurienne (Savoie), the main command's default."""

from __future__ import annotations

from maillage.territory.territory import DEFAULT_BUFFER_KM, Territory, select_territory

#: The five communautés de communes of the Pays de Maurienne (SIREN).
MAURIENNE_EPCI = {
    "247300676": "Porte de Maurienne",
    "247300361": "Canton de La Chambre",
    "200070464": "Cœur de Maurienne Arvan",
    "247300452": "Maurienne Galibier",
    "200070340": "Haute Maurienne Vanoise",
}


def pays_de_maurienne(*, buffer_km: float = DEFAULT_BUFFER_KM) -> Territory:
    """The Pays de Maurienne: the communes of its 5 communautés de communes, and its buffer.

    Examples
    --------
    >>> t = pays_de_maurienne()
    >>> len(t.communes), t.communes["epci"].nunique(), t.population
    (53, 5, 42946)
    """
    return select_territory(
        epci=list(MAURIENNE_EPCI), name="Pays de Maurienne", buffer_km=buffer_km
    )
