"""The territory: selection criteria, the built-in Pays de Maurienne, the buffer ring."""

from __future__ import annotations

import pytest
from shapely.ops import unary_union

from maillage import UnknownTerritoryError
from maillage.sources.communes import read_commune_polygons
from maillage.territory.builtin import MAURIENNE_EPCI
from maillage.territory.territory import select_territory


def test_maurienne_has_its_five_epci_and_their_communes(maurienne, raw_communes) -> None:
    expected = [row for row in raw_communes if row["epci"] in MAURIENNE_EPCI]
    assert sorted(maurienne.codes) == sorted(row["code"] for row in expected)
    assert set(maurienne.communes["epci"]) == set(MAURIENNE_EPCI)
    assert len(maurienne.epci_table()) == 5


def test_maurienne_population_is_the_sum_of_its_communes_in_the_source(
    maurienne, raw_communes
) -> None:
    expected = sum(
        int(r["population_municipale"]) for r in raw_communes if r["epci"] in MAURIENNE_EPCI
    )
    assert maurienne.population == expected == 42_946
    assert maurienne.epci_table()["population"].sum() == expected


def test_departement_selects_every_commune_of_savoie(raw_communes) -> None:
    savoie = select_territory(departements=["73"], buffer_km=0)
    assert len(savoie.communes) == sum(r["departement"] == "73" for r in raw_communes)
    assert savoie.name == "Savoie"
    assert savoie.buffer.empty


def test_bassin_de_vie_uses_insee_zoning() -> None:
    t = select_territory(bassins_vie=["73248"], buffer_km=0)
    assert (t.communes["bassin_vie"] == "73248").all()
    assert {"73248", "73261"} <= set(t.codes)  # Saint-Jean, Saint-Michel-de-Maurienne


def test_unknown_codes_are_named_in_the_error() -> None:
    with pytest.raises(UnknownTerritoryError, match=r"commune 73999, EPCI 999999999"):
        select_territory(epci=["999999999"], communes=["73999"])


def test_buffer_ring_matches_brute_force_polygon_distances(maurienne) -> None:
    """Every commune within 30 km of the Maurienne's polygon, and only those, is in the ring."""
    polygons = read_commune_polygons().set_index("commune").to_crs("EPSG:2154")
    zone = unary_union(list(polygons.loc[maurienne.codes].geometry))
    others = polygons.drop(index=maurienne.codes)
    distances_m = others.geometry.apply(zone.distance)
    expected = set(distances_m[distances_m <= 30_000].index)
    assert maurienne.buffer_method == "polygons"
    assert set(maurienne.buffer["commune"]) == expected
    assert "73011" in expected  # Albertville (its hospital) is within reach


def test_buffer_method_is_english_inside_and_french_in_the_json(maurienne) -> None:  # type: ignore[no-untyped-def]
    from maillage.cli.summary import territory_summary
    from maillage.services.catalogue import territory_services

    ring = territory_summary(maurienne, territory_services(maurienne))["couronne"]
    assert (maurienne.buffer_method, ring["methode"]) == ("polygons", "polygones")
    # Without a ring: "none" inside, "aucune" in the command's JSON.
    alone = select_territory(epci=sorted(MAURIENNE_EPCI), buffer_km=0)
    assert alone.buffer.empty and alone.buffer_method == "none"
