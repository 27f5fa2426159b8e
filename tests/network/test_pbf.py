"""The streaming PBF reader gives the graph of the osmium reader, field for field.

Reference: :func:`maillage.network._osm.read_drivable_ways` (pyosmium with an in-memory
node-location index), the reader of small extracts. Inputs: the real extracts, a file of
shifted copies of a real extract joined by road links (``benchmarks/_pbf_tiling.py``,
the generator of the benchmark's large files), and the real Monaco extract rewritten by
osmium with plain (non-dense) nodes, uncompressed blocks and its nodes in reverse id
order (invented layouts that real extracts rarely use, to cover the reader's other
paths).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import osmium
import pytest

from maillage._errors import InputFileError
from maillage.network import _osm, _pbf
from maillage.network.graph import _ARRAYS, RoadGraph, _build, build_graph

from .conftest import EXTRACTS, benchmark_module


def _tiling() -> ModuleType:
    return benchmark_module("_pbf_tiling")


def _same_ways(a: _osm.ParsedWays, b: _osm.ParsedWays) -> None:
    for name in a.__dataclass_fields__:
        if name == "node_index":  # only the streaming reader gives it
            continue
        left, right = getattr(a, name), getattr(b, name)
        if isinstance(left, np.ndarray):
            assert left.dtype == right.dtype, name
            np.testing.assert_array_equal(left, right, err_msg=name)
        else:
            assert left == right, name


def _same_graph(a: RoadGraph, b: RoadGraph) -> None:
    for name in _ARRAYS:
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype.kind == right.dtype.kind, name
        np.testing.assert_array_equal(left, right, err_msg=name)
    assert a.crs == b.crs
    assert a.report == b.report


@pytest.mark.parametrize("name", list(EXTRACTS))
def test_streaming_reader_reads_what_osmium_reads(name: str) -> None:
    streamed = _pbf.stream_drivable_ways(EXTRACTS[name])
    _same_ways(streamed, _osm.read_drivable_ways(EXTRACTS[name]))
    assert streamed.node_index is not None
    ids, rows = streamed.node_index
    expected_ids, expected_rows = np.unique(streamed.node_ref, return_inverse=True)
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_array_equal(rows, expected_rows)


def test_shifted_copies_build_the_same_graph_by_both_paths(
    graphs: dict[str, RoadGraph], tmp_path: Path
) -> None:
    tiling = _tiling()
    tiled = tmp_path / "monaco-3x2.osm.pbf"
    tiling.tile_pbf(EXTRACTS["monaco"], tiled, 3, 2, graphs["monaco"], links=5)
    streamed = _build(tiled)
    _same_graph(streamed, _build(tiled, reader=_osm.read_drivable_ways))
    # six copies joined by their links form one strongly connected graph
    assert streamed.n_nodes == 6 * graphs["monaco"].n_nodes
    copies = (streamed.node_id - tiling.ID_BASE) // tiling.ID_STEP
    assert np.bincount(copies).tolist() == [graphs["monaco"].n_nodes] * 6
    # a copy is the original graph, moved
    first = copies == 0
    np.testing.assert_array_equal(
        streamed.node_id[first] - tiling.ID_BASE, graphs["monaco"].node_id
    )
    np.testing.assert_allclose(streamed.lat[first], graphs["monaco"].lat)


def _rewrite(source: Path, target: Path, options: str, *, reverse: bool = False) -> None:
    """Copy the nodes and ways of ``source`` with osmium's writer (``options`` of its PBF
    format); ``reverse`` writes the nodes in decreasing id order."""
    nodes = [
        (n.id, n.location.lon, n.location.lat, dict(n.tags))
        for n in osmium.FileProcessor(str(source), osmium.osm.NODE)
    ]
    if reverse:
        nodes.reverse()
    with osmium.SimpleWriter(osmium.io.File(str(target), f"pbf,{options}")) as writer:
        for node_id, lon, lat, tags in nodes:
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=(lon, lat), tags=tags))
        for way in osmium.FileProcessor(str(source), osmium.osm.WAY):
            writer.add_way(way)


@pytest.mark.parametrize(
    ("options", "reverse"),
    [("pbf_dense_nodes=false", False), ("pbf_compression=none", True)],
)
def test_other_layouts_read_as_osmium_reads_them(
    tmp_path: Path, options: str, reverse: bool
) -> None:
    target = tmp_path / "monaco.osm.pbf"
    _rewrite(EXTRACTS["monaco"], target, options, reverse=reverse)
    _same_ways(_pbf.stream_drivable_ways(target), _osm.read_drivable_ways(EXTRACTS["monaco"]))


def test_truncated_file_is_a_clear_error(tmp_path: Path) -> None:
    cut = tmp_path / "coupe.osm.pbf"
    cut.write_bytes(EXTRACTS["monaco"].read_bytes()[:50_000])
    with pytest.raises(InputFileError, match=r"coupe\.osm\.pbf.*tronqué"):
        build_graph(cut, use_cache=False)


def test_first_reading_of_a_network_says_how_long_it_takes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functools import partial

    from maillage.cli.options import _announce_parse
    from maillage.network.graph import PARSE_MB_PER_SECOND
    from maillage.network.model import NetworkPair, RoadModel

    # A cache of its own: another test of the session may have read this extract already.
    monkeypatch.setenv("MAILLAGE_CACHE", str(tmp_path / "cache"))
    path = EXTRACTS["monaco"]
    announce = partial(_announce_parse, path)
    first = NetworkPair.from_pbf(path, winter_closures=[], on_parse=announce)
    said = capsys.readouterr().err
    size_mb = path.stat().st_size / 1e6
    assert "Lecture du réseau monaco-2019-09-30.osm.pbf" in said
    assert f"environ {max(size_mb / PARSE_MB_PER_SECOND, 1):.0f} s" in said
    # from the cache: nothing to announce
    again = NetworkPair.from_pbf(path, winter_closures=[], on_parse=announce)
    assert capsys.readouterr().err == ""
    assert isinstance(first.summer, RoadModel) and isinstance(again.summer, RoadModel)
    _same_graph(first.summer.graph, again.summer.graph)


def test_closing_ways_by_name_matches_the_plain_loop(graphs: dict[str, RoadGraph]) -> None:
    from maillage.network.graph import _normalize

    graph = graphs["andorra"]
    names = np.array([_normalize(s) for s in graph.way_name.tolist()], dtype=np.str_)
    np.testing.assert_array_equal(graph._normalized("way_name", drop_spaces=False), names)
    named = graph.way_name[graph.way_name != ""][0]
    closed = graph.without_ways([named])
    assert closed.n_edges == graph.n_edges - int((graph.way_name[graph.edge_way] == named).sum())


def test_csr_order_is_lexsort_order() -> None:
    """The compiled CSR ordering against ``np.lexsort`` then the first of each (tail, head),
    on invented edge lists (seeded) full of self-loops, parallel edges and tied minutes."""
    from maillage.network._csr import csr_order

    rng = np.random.default_rng(20)
    for n, m in [(1, 5), (7, 60), (50, 2_000), (300, 900)]:
        src = rng.integers(0, n, m).astype(np.int32)
        dst = rng.integers(0, n, m).astype(np.int32)
        minutes = rng.integers(0, 4, m).astype(np.float64)  # many ties
        order, indptr = csr_order(src, dst, minutes, n)
        keep = np.flatnonzero(src != dst)
        ranked = keep[np.lexsort((minutes[keep], dst[keep], src[keep]))]
        first = np.ones(ranked.size, dtype=bool)
        first[1:] = (src[ranked][1:] != src[ranked][:-1]) | (dst[ranked][1:] != dst[ranked][:-1])
        expected = ranked[first]
        np.testing.assert_array_equal(order, expected)
        np.testing.assert_array_equal(
            indptr, np.r_[0, np.cumsum(np.bincount(src[expected], minlength=n))]
        )
