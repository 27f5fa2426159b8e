"""A study territory: its communes, and the buffer ring of neighbours whose services count.

Inhabitants use services across administrative borders: a diagnostic of the Pays de
Maurienne must see Albertville's hospital. A :class:`Territory` therefore carries, besides
its own communes, a **buffer ring** (*couronne*) of the communes within ``buffer_km``
(30 km by default) whose services are counted as reachable (border effects), but whose
inhabitants are not part of the study.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from maillage._errors import UnknownTerritoryError
from maillage.schema import RING, TERRITORY
from maillage.sources._locate import _unit_vectors
from maillage.sources.communes import (
    read_commune_polygons,
    read_communes,
    read_departements,
    read_epci,
    zoning_labels,
)

LAMBERT93 = "EPSG:2154"
EARTH_RADIUS_M = 6_371_000.0
DEFAULT_BUFFER_KM = 30.0
#: How the buffer ring is drawn: by commune polygons, by points, or no ring.
BUFFER_METHODS = ("polygons", "points", "none")


@dataclass(frozen=True)
class Territory:
    """A territory and its buffer ring.

    Attributes
    ----------
    name
        Display name (French), e.g. ``"Pays de Maurienne"``.
    communes
        The communes of the territory (columns of :func:`read_communes`), EPSG:4326.
    buffer
        The neighbouring communes within ``buffer_km``, not in the territory.
    buffer_km
        Width of the buffer ring in kilometres.
    buffer_method
        ``"polygons"`` (distance between commune polygons, Lambert-93) where the shipped
        polygons cover the territory, else ``"points"`` (distance between commune points);
        ``"none"`` without a ring (:data:`BUFFER_METHODS`; the outputs say them in French).

    Examples
    --------
    >>> t = select_territory(epci=["200070340"], buffer_km=5)
    >>> t.name, len(t.codes), t.codes[:3], t.population
    ('Communauté de communes Haute Maurienne Vanoise', 10, ['73023', '73026', '73040'], 8631)
    >>> t.all_communes()["zone"].value_counts().to_dict()
    {'ring': 13, 'territory': 10}
    """

    name: str
    communes: gpd.GeoDataFrame
    buffer: gpd.GeoDataFrame
    buffer_km: float
    buffer_method: str

    @property
    def codes(self) -> list[str]:
        """INSEE codes of the territory's communes."""
        return [str(code) for code in self.communes["commune"]]

    @property
    def population(self) -> int:
        """Population municipale of the territory."""
        return int(self.communes["population"].sum())

    def all_communes(self) -> gpd.GeoDataFrame:
        """Territory and buffer together, with ``zone`` = :data:`~maillage.schema.TERRITORY`
        (``"territory"``) or :data:`~maillage.schema.RING` (``"ring"``)."""
        return gpd.GeoDataFrame(
            pd.concat(
                [self.communes.assign(zone=TERRITORY), self.buffer.assign(zone=RING)],
                ignore_index=True,
            ),
            crs=self.communes.crs,
        )

    def epci_table(self) -> pd.DataFrame:
        """The EPCI of the territory: ``epci``, ``name``, ``type``, ``communes``, ``population``.

        Examples
        --------
        >>> from maillage.territory.builtin import pays_de_maurienne
        >>> pays_de_maurienne().epci_table()["communes"].sum()
        np.int64(53)
        """
        grouped = self.communes.groupby("epci").agg(
            communes=("commune", "size"), population=("population", "sum")
        )
        names = read_epci().set_index("epci")
        table = grouped.join(names, how="left").reset_index()
        return table[["epci", "name", "type", "communes", "population"]]


def select_territory(
    *,
    communes: Iterable[str] = (),
    epci: Iterable[str] = (),
    departements: Iterable[str] = (),
    bassins_vie: Iterable[str] = (),
    name: str | None = None,
    buffer_km: float = DEFAULT_BUFFER_KM,
) -> Territory:
    """Choose a territory by commune codes, EPCI SIREN, départements or bassins de vie 2022.

    The criteria add up (union). Codes that match nothing raise
    :class:`~maillage.UnknownTerritoryError` naming them.

    Parameters
    ----------
    communes, epci, departements, bassins_vie
        INSEE commune codes, EPCI SIREN codes, département codes (``"73"``, ``"2A"``),
        INSEE bassin de vie 2022 codes.
    name
        Display name; by default built from the criteria (the EPCI's or zone's name when
        there is one).
    buffer_km
        Width of the buffer ring (0 for none).

    Returns
    -------
    Territory

    Examples
    --------
    >>> t = select_territory(bassins_vie=["73248"], buffer_km=10)
    >>> t.name, "73248" in t.codes, len(t.buffer) > 0
    ('Bassin de vie de Saint-Jean-de-Maurienne', True, True)
    """
    reference = read_communes()
    criteria = {
        "commune": [str(c).strip() for c in communes],
        "epci": [str(c).strip() for c in epci],
        "departement": [str(c).strip().zfill(2) for c in departements],
        "bassin_vie": [str(c).strip() for c in bassins_vie],
    }
    if not any(criteria.values()):
        raise UnknownTerritoryError(
            "aucun critère de territoire : indiquez des communes, des EPCI, des départements "
            "ou des bassins de vie"
        )
    selected = pd.Series(False, index=reference.index)
    unknown: list[str] = []
    for column, codes in criteria.items():
        present = set(reference[column].dropna())
        unknown += [f"{_LABELS[column]} {code}" for code in codes if code not in present]
        selected |= reference[column].isin(codes)
    if unknown:
        raise UnknownTerritoryError(
            f"code(s) inconnu(s) : {', '.join(unknown)}. Correction : vérifiez les codes "
            "(code INSEE de commune à 5 caractères, SIREN d'EPCI à 9 chiffres, code de "
            "département, code de bassin de vie 2022)"
        )
    inside = reference[selected].reset_index(drop=True)
    buffer, method = _buffer_ring(inside, reference[~selected], buffer_km)
    return Territory(
        name=name or _default_name(criteria),
        communes=inside,
        buffer=buffer.reset_index(drop=True),
        buffer_km=float(buffer_km),
        buffer_method=method,
    )


def territory_from_codes(
    name: str,
    codes: Iterable[str],
    buffer_codes: Iterable[str],
    *,
    buffer_km: float,
    buffer_method: str,
) -> Territory:
    """A territory whose communes and ring are known by their codes (a study read back).

    Examples
    --------
    >>> t = select_territory(bassins_vie=["73248"], buffer_km=10)
    >>> back = territory_from_codes(t.name, t.codes, t.buffer["commune"],
    ...                             buffer_km=t.buffer_km, buffer_method=t.buffer_method)
    >>> back.communes.equals(t.communes), back.buffer.equals(t.buffer)
    (True, True)
    """
    reference = read_communes().set_index("commune", drop=False)
    return Territory(
        name=name,
        communes=reference.loc[[str(c) for c in codes]].reset_index(drop=True),
        buffer=reference.loc[[str(c) for c in buffer_codes]].reset_index(drop=True),
        buffer_km=float(buffer_km),
        buffer_method=buffer_method,
    )


_LABELS = {
    "commune": "commune",
    "epci": "EPCI",
    "departement": "département",
    "bassin_vie": "bassin de vie",
}


def _default_name(criteria: dict[str, list[str]]) -> str:
    parts: list[str] = []
    if criteria["epci"]:
        names = read_epci().set_index("epci")["name"]
        parts += [str(names.get(code, code)) for code in criteria["epci"]]
    if criteria["departement"]:
        names = read_departements().set_index("departement")["name"]
        parts += [str(names.get(code, code)) for code in criteria["departement"]]
    if criteria["bassin_vie"]:
        labels = zoning_labels("bassin_vie")
        parts += [f"Bassin de vie de {labels.get(code, code)}" for code in criteria["bassin_vie"]]
    if criteria["commune"]:
        parts.append(f"{len(criteria['commune'])} commune(s)")
    return " + ".join(parts)


def _buffer_ring(
    inside: gpd.GeoDataFrame, outside: gpd.GeoDataFrame, buffer_km: float
) -> tuple[gpd.GeoDataFrame, str]:
    if buffer_km <= 0:
        return outside.iloc[0:0], "none"
    polygons = read_commune_polygons()
    covered = set(polygons["commune"])
    if set(inside["commune"]) <= covered:
        shapes = polygons.set_index("commune").to_crs(LAMBERT93).geometry
        zone = shapes.loc[inside["commune"]].union_all().buffer(buffer_km * 1000.0)
        touching = shapes.intersects(zone)
        near = outside["commune"].map(touching).fillna(False).astype(bool)
        # Communes beyond the polygons' coverage are taken by their points.
        far = ~outside["commune"].isin(covered) & _within(outside, inside, buffer_km)
        return outside[near | far], "polygons"
    return outside[_within(outside, inside, buffer_km)], "points"


def _within(candidates: pd.DataFrame, inside: pd.DataFrame, buffer_km: float) -> pd.Series:
    """Candidates whose point lies within ``buffer_km`` (great circle) of an inside point."""
    points = inside.dropna(subset=["lon", "lat"])
    tree = cKDTree(_unit_vectors(points["lon"].to_numpy(float), points["lat"].to_numpy(float)))
    located = candidates["lon"].notna() & candidates["lat"].notna()
    chord = 2 * np.sin(buffer_km * 1000.0 / EARTH_RADIUS_M / 2)
    result = pd.Series(False, index=candidates.index)
    if located.any():
        query = _unit_vectors(
            candidates.loc[located, "lon"].to_numpy(float),
            candidates.loc[located, "lat"].to_numpy(float),
        )
        distance, _ = tree.query(query, distance_upper_bound=chord)
        result[located] = np.isfinite(distance)
    return result
