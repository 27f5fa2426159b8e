"""Building the road graph from real OSM extracts: rules, report, cache, variants."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from maillage._errors import InputFileError, MaillageError
from maillage.network import _osm
from maillage.network.graph import RoadGraph, build_graph

from .conftest import EXTRACTS


def test_way_rules_follow_the_documented_tags() -> None:
    assert _osm.way_speeds({"highway": "primary"}) == (65.0, 65.0)
    motorway = _osm.way_speeds({"highway": "motorway"})
    assert isinstance(motorway, tuple) and motorway[0] == 90.0 and math.isnan(motorway[1])
    reverse = _osm.way_speeds({"highway": "secondary", "oneway": "-1"})
    assert isinstance(reverse, tuple) and math.isnan(reverse[0]) and reverse[1] == 55.0
    roundabout = _osm.way_speeds({"highway": "primary", "junction": "roundabout"})
    assert isinstance(roundabout, tuple) and math.isnan(roundabout[1])
    assert _osm.way_speeds({"highway": "tertiary", "maxspeed": "70"}) == (56.0, 56.0)
    assert _osm.way_speeds({"route": "ferry"}) == "bac"
    assert _osm.way_speeds({"highway": "residential", "motor_vehicle": "private"}) == (
        "accès interdit"
    )
    # the most specific access tag wins
    assert _osm.way_speeds({"highway": "service", "access": "no", "motorcar": "yes"}) == (
        15.0,
        15.0,
    )
    assert _osm.way_speeds({"highway": "track"}) == "non carrossable"
    assert _osm.way_speeds({"highway": "footway"}) == "non carrossable"


@pytest.mark.parametrize("name", list(EXTRACTS))
def test_graph_is_one_strongly_connected_component(graphs: dict[str, RoadGraph], name: str) -> None:
    graph = graphs[name]
    count, _ = connected_components(graph.csr(), directed=True, connection="strong")
    assert count == 1
    report = graph.report
    assert report.nodes_kept == graph.n_nodes and report.edges_kept == graph.n_edges
    assert report.nodes_cut >= 0 and report.components >= 1
    assert np.all(graph.minutes >= 0) and np.all(np.isfinite(graph.minutes))
    # no parallel edges, no self-loops
    tails = graph.tails()
    assert not np.any(tails == graph.indices)
    keys = tails * graph.n_nodes + graph.indices
    assert np.unique(keys).size == keys.size
    assert "composante fortement connexe" in report.summary()


def test_report_says_what_was_cut(graphs: dict[str, RoadGraph]) -> None:
    malta = graphs["malta"].report
    assert malta.ways_excluded["bac"] >= 1  # Gozo ferries
    assert malta.ways_excluded["accès interdit"] > 0
    assert malta.nodes_cut > 0 and malta.components > 1
    assert graphs["andorra"].crs == "EPSG:2154"
    assert graphs["malta"].crs == "EPSG:32633"


def test_second_build_reads_the_cache(
    graph_cache: Path, graphs: dict[str, RoadGraph], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_parse(path: object) -> None:
        raise AssertionError("the PBF was parsed again")

    monkeypatch.setattr(_osm, "read_drivable_ways", no_parse)
    again = build_graph(EXTRACTS["andorra"], cache_dir=graph_cache)
    assert np.array_equal(again.minutes, graphs["andorra"].minutes)
    assert np.array_equal(again.way_name, graphs["andorra"].way_name)
    assert again.report == graphs["andorra"].report


def test_missing_file_is_a_french_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="introuvable"):
        build_graph(tmp_path / "absent.osm.pbf", cache_dir=tmp_path)


def test_closing_ways_by_name_ref_or_id(graphs: dict[str, RoadGraph]) -> None:
    graph = graphs["andorra"]
    named = graph.way_name[graph.way_name != ""]
    name = str(named[0])
    shouted = name.upper()
    closed = graph.without_ways([shouted])
    removed = graph.n_edges - closed.n_edges
    assert removed > 0 and closed.report.edges_closed == removed
    assert closed.n_nodes == graph.n_nodes
    assert closed.report.closed_ways == (shouted,)
    way = int(graph.way_id[0])
    assert graph.without_ways([way]).n_edges < graph.n_edges
    assert graph.without_ways([str(way)]).n_edges < graph.n_edges


def test_closing_an_unknown_way_names_it_in_french(graphs: dict[str, RoadGraph]) -> None:
    with pytest.raises(MaillageError, match=r"Col du Galibier.*Correction"):
        graphs["andorra"].without_ways(["Col du Galibier"])


def test_accents_and_spaces_do_not_matter() -> None:
    graph = RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0], lon=[6.4, 6.41], lat=[45.1, 45.1])
    graph.way_name = np.array(["Col de l'Iseran", "Route du Télégraphe"])
    graph.way_ref = np.array(["D 902", "D902B"])
    assert graph.without_ways(["col de l iseran"]).n_edges == 1
    assert graph.without_ways(["ROUTE DU TELEGRAPHE"]).n_edges == 1
    assert graph.without_ways(["d902"]).n_edges == 1


def test_save_and_load_round_trip(tmp_path: Path, graphs: dict[str, RoadGraph]) -> None:
    graph = graphs["saint-barthelemy"]
    graph.save(tmp_path / "g.npz")
    loaded = RoadGraph.load(tmp_path / "g.npz")
    for field in ("indptr", "indices", "minutes", "x", "y", "way_ref"):
        assert np.array_equal(getattr(loaded, field), getattr(graph, field))
    assert loaded.crs == graph.crs
