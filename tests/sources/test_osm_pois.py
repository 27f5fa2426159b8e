"""Tests of the OpenStreetMap reader.

Data: the extracts in ``tests/data/osm/`` are REAL OpenStreetMap data (© OpenStreetMap
contributors, ODbL). Expected counts were found by an independent method: a plain
``osmium.FileProcessor`` pass over every object of the file (no filter, no location or
area handling), counting the objects whose tags satisfy a rule of the typology, by type:

* Saint-Barthélemy 2014: 0 objects (the extract holds only 3 bars, a restaurant, a
  parking and a marina: no service of the typology, no town hall, school or pharmacy);
* Monaco 2019: 83 objects, 74 nodes and 9 ways, 11 of them ``amenity=pharmacy`` nodes;
* Malta 2018: 868 objects, 684 nodes, 172 ways, 12 relations.

The tiny extracts written in ``tmp_path`` are INVENTED.
"""

from __future__ import annotations

from pathlib import Path

import osmium
import pytest

from maillage.sources.osm_pois import read_osm_pois

OSM = Path(__file__).parents[1] / "data" / "osm"


def test_saint_barthelemy_has_no_service() -> None:
    r = read_osm_pois(OSM / "saint-barthelemy-2014.osm.pbf")
    assert len(r.services) == 0 and len(r.rejected) == 0 and r.rows_read == 0
    assert r.services.crs.to_epsg() == 4326


def test_monaco_counts_match_an_independent_count() -> None:
    r = read_osm_pois(OSM / "monaco-2019-09-30.osm.pbf")
    s = r.services
    kinds = s["service_id"].str.extract(r"^osm:(\w+)/")[0].value_counts().to_dict()
    assert kinds == {"node": 74, "way": 9}
    assert r.rows_read == 83 and len(r.rejected) == 0
    pharmacies = sum(
        1
        for _ in osmium.FileProcessor(
            str(OSM / "monaco-2019-09-30.osm.pbf"), osmium.osm.NODE
        ).with_filter(osmium.filter.TagFilter(("amenity", "pharmacy")))
    )
    assert pharmacies == 11
    assert (s["type"] == "D307").sum() == pharmacies
    # Monaco lies inside France's metropolitan box: its objects get the nearest French
    # commune (Beausoleil 06012, Cap-d'Ail 06032), as documented.
    assert set(s["commune"]) <= {"06012", "06032", "06104", "06150"}
    assert s["line"].isna().all() and s["position"].eq("source").all()


def test_malta_is_outside_france() -> None:
    r = read_osm_pois(OSM / "malta-2018-08-29.osm.pbf")
    assert len(r.services) == 0 and r.rows_read == 868
    outside = r.rejected[r.rejected["raison"].str.contains("hors de France")]
    assert len(outside) == 867
    assert outside["valeur"].str.match(r"^(node|way|relation)/\d+ \(").all()
    assert outside["ligne"].isna().all()
    unplaced = r.rejected[r.rejected["raison"].str.contains("sans position utilisable")]
    assert unplaced["valeur"].tolist() == ["relation/7229715"]


def test_malta_kept_without_france_only() -> None:
    r = read_osm_pois(OSM / "malta-2018-08-29.osm.pbf", france_only=False)
    s = r.services
    kinds = s["service_id"].str.extract(r"^osm:(\w+)/")[0].value_counts().to_dict()
    assert kinds == {"node": 684, "way": 172, "relation": 11}
    assert s["commune"].isna().all()
    # REAL value "Mo-Fr 07:30-19:00, Sa 06:30-23:00" (rules joined by a comma) is read.
    row = s.set_index("service_id").loc["osm:node/1482149468"]
    assert row["hours_per_week"] == 5 * 11.5 + 16.5
    assert not any(w.reason.startswith("node/1482149468") for w in r.warnings)


def _write(path: Path) -> None:
    nodes = {
        1: (6.3480, 45.2760),
        2: (6.3490, 45.2760),
        3: (6.3490, 45.2770),
        4: (6.3480, 45.2770),
    }
    with osmium.SimpleWriter(str(path)) as writer:
        for nid, loc in nodes.items():
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=loc))
        writer.add_node(
            osmium.osm.mutable.Node(
                id=10,
                location=(6.35, 45.28),
                tags={"amenity": "police", "police": "gendarmerie", "opening_hours": "à voir"},
            )
        )
        writer.add_node(
            osmium.osm.mutable.Node(id=11, location=(6.35, 45.28), tags={"amenity": "bench"})
        )
        writer.add_way(
            osmium.osm.mutable.Way(
                id=20, nodes=[1, 2, 3, 4, 1], tags={"amenity": "school", "name": "École du Bourg"}
            )
        )


def test_way_centroid_rule_order_and_bad_hours(tmp_path: Path) -> None:
    pbf = tmp_path / "mini.osm.pbf"
    _write(pbf)
    r = read_osm_pois(pbf)
    s = r.services.set_index("service_id")
    assert s.index.tolist() == ["osm:node/10", "osm:way/20"]
    assert s.loc["osm:node/10", "type"] == "A104"  # gendarmerie, not plain police A140
    assert s.loc["osm:node/10", "source_type"] == "amenity=police;police=gendarmerie"
    assert s.isna().loc["osm:node/10", "opening_hours"]
    assert r.warnings[0].reason.startswith("node/10 : horaires ignorés")
    school = s.loc["osm:way/20"]
    assert (school["lon"], school["lat"]) == pytest.approx((6.3485, 45.2765))
    assert (school["name"], school["type"], school["commune"]) == (
        "École du Bourg",
        "C108",
        "73248",
    )
