"""What a study territory is made of, as a value: codes, name and buffer ring."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from maillage.territory.territory import DEFAULT_BUFFER_KM, Territory, select_territory

__all__ = ["MAURIENNE_EPCI", "TerritorySpec"]

#: The code fields of a :class:`TerritorySpec`.
CODE_FIELDS = ("communes", "epci", "departements", "bassins_vie")

#: The five communautés de communes of the Pays de Maurienne (SIREN).
MAURIENNE_EPCI = {
    "247300676": "Porte de Maurienne",
    "247300361": "Canton de La Chambre",
    "200070464": "Cœur de Maurienne Arvan",
    "247300452": "Maurienne Galibier",
    "200070340": "Haute Maurienne Vanoise",
}


def _codes(values: Sequence[str] | str) -> tuple[str, ...]:
    """Codes as a tuple, comma-separated strings split: ``("73,74", "38")`` → 3 codes."""
    items = [values] if isinstance(values, str) else list(values)
    return tuple(code.strip() for item in items for code in str(item).split(",") if code.strip())


@dataclass(frozen=True)
class TerritorySpec:
    """A study territory, before it is read: the union of the codes given, and its ring.

    Attributes
    ----------
    communes, epci, departements, bassins_vie
        INSEE commune codes, EPCI SIREN codes, département codes, bassin de vie 2022 codes
        (comma-separated strings are split).
    name
        Display name (built from the codes when ``None``).
    buffer_km
        Width of the buffer ring whose services count (km).

    Examples
    --------
    >>> spec = TerritorySpec(departements=("05",), buffer_km=0)
    >>> spec.departements, spec.is_empty
    (('05',), False)
    >>> TerritorySpec.builtin().name
    'Pays de Maurienne'
    >>> TerritorySpec.from_dict(spec.to_dict()) == spec
    True
    """

    communes: tuple[str, ...] = ()
    epci: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()
    bassins_vie: tuple[str, ...] = ()
    name: str | None = None
    buffer_km: float = DEFAULT_BUFFER_KM

    def __post_init__(self) -> None:
        for field in CODE_FIELDS:
            object.__setattr__(self, field, _codes(getattr(self, field)))
        object.__setattr__(self, "buffer_km", float(self.buffer_km))

    @classmethod
    def builtin(cls, *, buffer_km: float = DEFAULT_BUFFER_KM) -> TerritorySpec:
        """The built-in territory: the Pays de Maurienne (its 5 communautés de communes)."""
        return cls(epci=tuple(MAURIENNE_EPCI), name="Pays de Maurienne", buffer_km=buffer_km)

    @classmethod
    def france(cls, *, name: str | None = None) -> TerritorySpec:
        """Every commune of France (every département of the shipped commune table).

        Examples
        --------
        >>> len(TerritorySpec.france().departements)
        101
        """
        from maillage.sources.communes import read_communes

        codes = sorted(read_communes()["departement"].dropna().unique())
        return cls(departements=tuple(str(c) for c in codes), name=name or "France")

    @property
    def is_empty(self) -> bool:
        """No code given (the study then falls back on the built-in territory)."""
        return not (self.communes or self.epci or self.departements or self.bassins_vie)

    def build(self) -> Territory:
        """Read the territory and its buffer ring (:func:`~maillage.territory.territory.
        select_territory`); the built-in territory when no code is given.

        Raises
        ------
        UnknownTerritoryError
            A code matches no commune, EPCI, département or bassin de vie.

        Examples
        --------
        >>> TerritorySpec(epci=("200070340",), buffer_km=5).build().population
        8631
        >>> TerritorySpec(buffer_km=0).build().name
        'Pays de Maurienne'
        >>> TerritorySpec(epci=("999999999",)).build()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        maillage._errors.UnknownTerritoryError: code(s) inconnu(s) : EPCI 999999999. ...
        """
        spec = TerritorySpec.builtin(buffer_km=self.buffer_km) if self.is_empty else self
        return select_territory(
            communes=spec.communes,
            epci=spec.epci,
            departements=spec.departements,
            bassins_vie=spec.bassins_vie,
            name=spec.name,
            buffer_km=spec.buffer_km,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (:meth:`from_dict` reads it back)."""
        return {key: list(v) if isinstance(v, tuple) else v for key, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TerritorySpec:
        """The spec of :meth:`to_dict`."""
        codes = {key: tuple(values.get(key, ())) for key in CODE_FIELDS}
        return cls(
            **codes,
            name=values.get("name"),
            buffer_km=float(values.get("buffer_km", DEFAULT_BUFFER_KM)),
        )
