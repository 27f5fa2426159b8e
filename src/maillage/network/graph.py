"""Road graph built from an OpenStreetMap extract, cached on disk.

:func:`build_graph` reads the drivable ways of a ``.osm.pbf`` file (any Geofabrik or
BBBike extract as published), weights every segment by its driving time in minutes,
keeps the largest strongly connected component and caches the result as a ``.npz``
file, so that a second run does not parse the extract again. The tag rules and default
speeds are documented in :mod:`maillage.network._osm` (after OSRM's car profile).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from maillage._cache import cache_root
from maillage._errors import InputFileError, MaillageError
from maillage.network import _csr, _osm, _pbf
from maillage.network._crs import metric_crs

if TYPE_CHECKING:
    import scipy.sparse

__all__ = [
    "GraphReport",
    "RoadGraph",
    "build_graph",
    "default_cache_dir",
    "parse_estimate_seconds",
]

#: Version of the on-disk graph format and of the building rules; part of the cache key.
_GRAPH_FORMAT = 2

#: Speed of a first build (MB of PBF a second), from ``benchmarks/pbf.py`` on the
#: project's machine (2 cores, 24 GB, shared): 10.4 to 9.5 MB/s from 60 MB to 1.5 GB,
#: rounded down; used to tell the user how long the parse of a large extract will take.
PARSE_MB_PER_SECOND = 8.0

_ARRAYS = (
    "node_id",
    "lon",
    "lat",
    "x",
    "y",
    "indptr",
    "indices",
    "minutes",
    "length_m",
    "edge_way",
    "way_id",
    "way_name",
    "way_ref",
    "way_highway",
)

#: The way table's text columns: variable-width strings in memory (numpy's StringDType:
#: 16 bytes a short string, where fixed-width ``<U`` arrays take 4 bytes × the longest
#: name for every way), stored as their distinct values in UTF-8 and a code per way.
_TEXT = ("way_name", "way_ref", "way_highway")


@dataclass(frozen=True)
class GraphReport:
    """What :func:`build_graph` kept and cut, for the user to check.

    Attributes
    ----------
    source
        Name of the OSM file.
    ways_drivable
        Drivable ways read.
    ways_excluded
        Ways with a ``highway`` or ferry tag left out, by reason (French labels).
    nodes_before, edges_before
        Size of the graph of all drivable ways.
    components
        Number of strongly connected components of that graph.
    nodes_kept, edges_kept
        Size of the largest strongly connected component, the graph used.
    closed_ways
        Ways closed in this variant (as asked), and ``edges_closed`` the edges removed.

    Examples
    --------
    >>> g = RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0], lon=[0, 0.01], lat=[0, 0])
    >>> g.report.edges_kept, g.report.components
    (2, 1)
    """

    source: str
    ways_drivable: int
    ways_excluded: dict[str, int]
    nodes_before: int
    edges_before: int
    components: int
    nodes_kept: int
    edges_kept: int
    closed_ways: tuple[str, ...] = ()
    edges_closed: int = 0

    @property
    def nodes_cut(self) -> int:
        """Nodes outside the largest strongly connected component."""
        return self.nodes_before - self.nodes_kept

    @property
    def edges_cut(self) -> int:
        """Edges outside the largest strongly connected component."""
        return self.edges_before - self.edges_kept

    def summary(self) -> str:
        """The report as French text, one fact a line.

        Examples
        --------
        >>> r = GraphReport("x.osm.pbf", 10, {"accès interdit": 2}, 100, 180, 3, 90, 170)
        >>> print(r.summary())  # doctest: +NORMALIZE_WHITESPACE
        x.osm.pbf : 10 voies carrossables lues ; écartées : accès interdit 2
        composante fortement connexe retenue : 90 nœuds, 170 arcs
        (2 composantes coupées : 10 nœuds, 10 arcs)
        """
        excluded = ", ".join(f"{k} {v}" for k, v in sorted(self.ways_excluded.items()))
        lines = [
            f"{self.source} : {self.ways_drivable} voies carrossables lues ; "
            f"écartées : {excluded or 'aucune'}",
            f"composante fortement connexe retenue : {self.nodes_kept} nœuds, "
            f"{self.edges_kept} arcs ({self.components - 1} composantes coupées : "
            f"{self.nodes_cut} nœuds, {self.edges_cut} arcs)",
        ]
        if self.closed_ways:
            lines.append(
                f"voies fermées : {', '.join(self.closed_ways)} ({self.edges_closed} arcs retirés)"
            )
        return "\n".join(lines)


@dataclass
class RoadGraph:
    """A directed road graph in compressed sparse row form, weighted by minutes.

    Node ``i`` has its out-edges at ``indices[indptr[i]:indptr[i + 1]]``; edges are
    sorted by tail then head, with no self-loop and no parallel edge.

    Attributes
    ----------
    node_id
        OSM node id of every node.
    lon, lat
        WGS84 coordinates of the nodes.
    x, y
        Metric coordinates in :attr:`crs`: Lambert-93 (EPSG:2154) in metropolitan
        France, else the local UTM zone (see :func:`maillage.network._crs.metric_crs`).
    indptr, indices
        CSR structure (int64 / int32).
    minutes, length_m
        Driving time and length of every edge.
    edge_way
        Row in the way table of the way each edge belongs to.
    way_id, way_name, way_ref, way_highway
        The way table: OSM way id, ``name``, ``ref`` and ``highway`` tags.
    report
        What was kept and cut (:class:`GraphReport`).

    Examples
    --------
    >>> import tempfile
    >>> g = RoadGraph.from_edges([0, 1, 1, 2], [1, 0, 2, 1], [1.0, 1.0, 2.0, 2.0],
    ...                          lon=[6.35, 6.36, 6.37], lat=[45.27, 45.27, 45.27])
    >>> g.n_nodes, g.n_edges, g.crs, g.has_edges().tolist()
    (3, 4, 'EPSG:2154', [True, True, True])
    >>> g.tails().tolist(), g.csr().toarray().tolist()[1]  # edges out of node 1
    ([0, 1, 1, 2], [1.0, 0.0, 2.0])
    >>> path = f"{tempfile.mkdtemp()}/graph.npz"
    >>> g.save(path)
    >>> RoadGraph.load(path).minutes.tolist() == g.minutes.tolist()
    True
    """

    node_id: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    crs: str
    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int32]
    minutes: npt.NDArray[np.float64]
    length_m: npt.NDArray[np.float64]
    edge_way: npt.NDArray[np.int32]
    way_id: npt.NDArray[np.int64]
    way_name: npt.NDArray[np.str_]
    way_ref: npt.NDArray[np.str_]
    way_highway: npt.NDArray[np.str_]
    report: GraphReport
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_id.size)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.indices.size)

    def tails(self) -> npt.NDArray[np.int64]:
        """Tail node of every edge (the row of the CSR structure)."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))

    def csr(self) -> scipy.sparse.csr_matrix:
        """The graph as a scipy CSR matrix of minutes (explicit zeros are edges)."""
        import scipy.sparse

        return scipy.sparse.csr_matrix(
            (self.minutes, self.indices, self.indptr), shape=(self.n_nodes, self.n_nodes)
        )

    def edges(self) -> pd.DataFrame:
        """Edge table: ``source, target, minutes, length_m, way_id`` (node positions).

        Examples
        --------
        >>> g = RoadGraph.from_edges([0, 1], [1, 0], [1.5, 2.0], lon=[0.0, 0.01], lat=[0.0, 0.0])
        >>> g.edges()[["source", "target", "minutes"]].to_dict("list")
        {'source': [0, 1], 'target': [1, 0], 'minutes': [1.5, 2.0]}
        """
        return pd.DataFrame(
            {
                "source": self.tails(),
                "target": self.indices.astype(np.int64),
                "minutes": self.minutes,
                "length_m": self.length_m,
                "way_id": self.way_id[self.edge_way],
            }
        )

    def has_edges(self) -> npt.NDArray[np.bool_]:
        """Whether each node has at least one in-edge and one out-edge."""
        out_degree = np.diff(self.indptr) > 0
        in_degree = np.bincount(self.indices, minlength=self.n_nodes) > 0
        return np.asarray(out_degree & in_degree)

    @classmethod
    def from_edges(
        cls,
        source: Sequence[int] | npt.NDArray[np.int64],
        target: Sequence[int] | npt.NDArray[np.int64],
        minutes: Sequence[float] | npt.NDArray[np.float64],
        *,
        lon: Sequence[float] | npt.NDArray[np.float64],
        lat: Sequence[float] | npt.NDArray[np.float64],
        length_m: Sequence[float] | npt.NDArray[np.float64] | None = None,
        way_id: Sequence[int] | npt.NDArray[np.int64] | None = None,
        node_id: Sequence[int] | npt.NDArray[np.int64] | None = None,
    ) -> RoadGraph:
        """Build a graph from an edge list (node positions ``0 … n-1``), e.g. for tests.

        Parallel edges keep the fastest one; self-loops are dropped. Every edge gets its
        own one-edge way unless ``way_id`` is given.

        Examples
        --------
        >>> g = RoadGraph.from_edges([0, 1, 1], [1, 2, 0], [1.0, 2.0, 1.0],
        ...                          lon=[0, 0.01, 0.02], lat=[0, 0, 0])
        >>> g.n_nodes, g.n_edges, g.crs
        (3, 3, 'EPSG:32631')
        """
        lon_a = np.asarray(lon, dtype=np.float64)
        lat_a = np.asarray(lat, dtype=np.float64)
        src = np.asarray(source, dtype=np.int64)
        dst = np.asarray(target, dtype=np.int64)
        mins = np.asarray(minutes, dtype=np.float64)
        length = (
            np.asarray(length_m, dtype=np.float64)
            if length_m is not None
            else _osm.haversine_m(lon_a[src], lat_a[src], lon_a[dst], lat_a[dst])
        )
        ways = (
            np.asarray(way_id, dtype=np.int64)
            if way_id is not None
            else np.arange(src.size, dtype=np.int64)
        )
        unique_ways, edge_way = np.unique(ways, return_inverse=True)
        empty = np.full(unique_ways.size, "", dtype=np.str_)
        n = lon_a.size
        report = GraphReport("arcs", int(unique_ways.size), {}, n, int(src.size), 1, n, 0)
        graph = _assemble(
            [src, dst, mins, length, edge_way.astype(np.int32)],
            node_id=np.asarray(node_id if node_id is not None else np.arange(n), dtype=np.int64),
            lon=lon_a,
            lat=lat_a,
            way_id=unique_ways,
            way_name=empty,
            way_ref=empty,
            way_highway=empty,
            report=report,
        )
        graph.report = replace(report, edges_kept=graph.n_edges, edges_before=graph.n_edges)
        return graph

    def without_ways(self, closed: Sequence[str | int]) -> RoadGraph:
        """The same graph with some ways closed (e.g. mountain passes in winter).

        Each item is an OSM way id (int, or digits), or a ``name`` or a ``ref`` compared
        without case, accents, hyphens or spaces (``"col de l'iseran"`` matches
        ``"Col de l'Iseran"``, ``"d902"`` matches ``"D 902"``). Nodes stay the same, so
        times can be compared node by node; a node reachable only through a closed way
        becomes unreachable (NaN).

        Parameters
        ----------
        closed
            The ways to close.

        Returns
        -------
        RoadGraph
            A new graph; ``report.closed_ways`` and ``report.edges_closed`` say what was cut.

        Raises
        ------
        MaillageError
            If an item matches no way of the graph (the message suggests close names).

        Examples
        --------
        >>> g = RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0], lon=[0, 0.01], lat=[0, 0])
        >>> g.without_ways([0]).n_edges
        1
        """
        keep_way, labels = self._open_ways(closed)
        keep_edge = keep_way[self.edge_way]
        graph = self._select_edges(keep_edge)
        if "source_key" in self._cache:
            closed_key = hashlib.sha256(json.dumps(labels).encode()).hexdigest()[:12]
            graph._cache["source_key"] = f"{self._cache['source_key']}-sans-{closed_key}"
        graph.report = replace(
            self.report,
            closed_ways=(*self.report.closed_ways, *labels),
            edges_closed=self.report.edges_closed + int((~keep_edge).sum()),
        )
        return graph

    def edges_of(self, closed: Sequence[str | int]) -> npt.NDArray[np.int64]:
        """Edges of the given ways, matched as :meth:`without_ways` does (to close them in
        place, e.g. in :class:`~maillage.network.incremental.IncrementalNearest`).

        Raises
        ------
        MaillageError
            If an item matches no way of the graph (the message suggests close names).

        Examples
        --------
        >>> g = RoadGraph.from_edges([0, 1], [1, 0], [1.0, 1.0], lon=[0, 0.01], lat=[0, 0])
        >>> g.edges_of([0]).tolist()
        [0]
        """
        keep_way, _ = self._open_ways(closed)
        return np.flatnonzero(~keep_way[self.edge_way]).astype(np.int64)

    def _open_ways(self, closed: Sequence[str | int]) -> tuple[npt.NDArray[np.bool_], list[str]]:
        """Ways left open once ``closed`` are closed, and the items as given."""
        keep_way = np.ones(self.way_id.size, dtype=bool)
        labels: list[str] = []
        names = self._normalized("way_name", drop_spaces=False)
        refs = self._normalized("way_ref", drop_spaces=True)
        for item in closed:
            text = str(item).strip()
            if isinstance(item, (int, np.integer)) or re.fullmatch(r"w?\d+", text):
                match = self.way_id == int(text.lstrip("w"))
            else:
                match = (names == _normalize(text)) | (refs == _normalize(text, drop_spaces=True))
            if not match.any():
                raise MaillageError(_no_match_message(text, self.way_name, self.way_ref))
            keep_way &= ~match
            labels.append(text)
        return keep_way, labels

    def _normalized(self, name: str, *, drop_spaces: bool) -> npt.NDArray[np.str_]:
        """The way table's names or refs for matching, normalised once per distinct
        value and kept with the graph (a national graph has millions of ways)."""
        key = f"normalized_{name}"
        if key not in self._cache:
            distinct, inverse = np.unique(getattr(self, name), return_inverse=True)
            plain = [_normalize(s, drop_spaces=drop_spaces) for s in distinct.tolist()]
            self._cache[key] = np.array(plain, dtype=np.str_)[inverse.reshape(-1)]
        result: npt.NDArray[np.str_] = self._cache[key]
        return result

    def _select_edges(self, keep: npt.NDArray[np.bool_]) -> RoadGraph:
        tails = self.tails()[keep]
        indptr = np.zeros(self.n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(tails, minlength=self.n_nodes), out=indptr[1:])
        return replace(
            self,
            indptr=indptr,
            indices=self.indices[keep],
            minutes=self.minutes[keep],
            length_m=self.length_m[keep],
            edge_way=self.edge_way[keep],
            _cache={},
        )

    def save(self, path: str | PathLike[str]) -> None:
        """Write the graph to an ``.npz`` file (atomically, no pickle)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {
            name: getattr(self, name) for name in _ARRAYS if name not in _TEXT
        }
        for name in _TEXT:
            arrays.update(_encode_text(name, getattr(self, name)))
        arrays["crs"] = np.array(self.crs)
        arrays["report"] = np.array(_report_json(self))
        arrays["format"] = np.array(_GRAPH_FORMAT)
        save_arrays(target, arrays)
        self._cache["path"] = str(target)

    @classmethod
    def load(cls, path: str | PathLike[str]) -> RoadGraph:
        """Read a graph written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as data:
            if int(data["format"]) != _GRAPH_FORMAT:
                raise InputFileError(
                    "format de graphe périmé",
                    path=path,
                    fix="supprimez ce fichier de cache, il sera reconstruit",
                )
            report = json.loads(str(data["report"]))
            report["closed_ways"] = tuple(report["closed_ways"])
            graph = cls(
                node_id=data["node_id"],
                lon=data["lon"],
                lat=data["lat"],
                x=data["x"],
                y=data["y"],
                crs=str(data["crs"]),
                indptr=data["indptr"],
                indices=data["indices"],
                minutes=data["minutes"],
                length_m=data["length_m"],
                edge_way=data["edge_way"],
                way_id=data["way_id"],
                way_name=_decode_text(data, "way_name"),
                way_ref=_decode_text(data, "way_ref"),
                way_highway=_decode_text(data, "way_highway"),
                report=GraphReport(**report),
            )
        graph._cache["path"] = str(path)  # where its preprocessing is cached beside it
        return graph


def save_arrays(path: str | PathLike[str], arrays: dict[str, Any]) -> None:
    """Write ``arrays`` to an ``.npz`` file atomically (a reader never sees half of it).

    Examples
    --------
    >>> import tempfile
    >>> path = f"{tempfile.mkdtemp()}/a.npz"
    >>> save_arrays(path, {"x": np.arange(3)})
    >>> np.load(path)["x"].tolist()
    [0, 1, 2]
    """
    target = Path(path)
    handle, tmp = tempfile.mkstemp(dir=target.parent, suffix=".npz")
    os.close(handle)
    try:
        np.savez(tmp, **arrays)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def text_array(values: Sequence[str] | npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Strings as a variable-width numpy array (``StringDType``), as the way table holds.

    Examples
    --------
    >>> text_array(["Route du Télégraphe", ""]) == ""
    array([False,  True])
    """
    from numpy.dtypes import StringDType

    return np.asarray(values, dtype=StringDType())


def _encode_text(name: str, values: npt.NDArray[Any]) -> dict[str, npt.NDArray[Any]]:
    distinct, codes = np.unique(text_array(values), return_inverse=True)
    pieces = [text.encode("utf-8") for text in distinct.tolist()]
    return {
        f"{name}_utf8": np.frombuffer(b"".join(pieces), dtype=np.uint8),
        f"{name}_ends": np.cumsum([len(p) for p in pieces], dtype=np.int64),
        f"{name}_codes": codes.reshape(-1).astype(np.int32),
    }


def _decode_text(data: Any, name: str) -> npt.NDArray[Any]:
    blob = data[f"{name}_utf8"].tobytes()
    ends = data[f"{name}_ends"].tolist()
    starts = [0, *ends[:-1]]
    distinct = text_array([blob[a:b].decode("utf-8") for a, b in zip(starts, ends, strict=True)])
    codes: npt.NDArray[np.int32] = data[f"{name}_codes"]
    return distinct[codes]


def _report_json(graph: RoadGraph) -> str:
    return json.dumps(asdict(graph.report), ensure_ascii=False)


def _normalize(text: str, *, drop_spaces: bool = False) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"[\s\-‐–—_'’`.]+", "" if drop_spaces else " ", plain).strip()
    return plain


def _no_match_message(text: str, names: npt.NDArray[np.str_], refs: npt.NDArray[np.str_]) -> str:
    candidates = sorted({s for s in (*names.tolist(), *refs.tolist()) if s})
    close = difflib.get_close_matches(text, candidates, n=3, cutoff=0.6)
    hint = f" Voies proches : {', '.join(close)}." if close else ""
    return (
        f"Voie à fermer « {text} » : aucune voie du graphe n'a cet identifiant OSM, ce nom "
        f"ou cette référence.{hint} Correction : donnez le nom exact de la voie (tag name), "
        "sa référence (tag ref, ex. « D 902 ») ou son identifiant OSM."
    )


def default_cache_dir() -> Path:
    """Where built graphs are cached: ``graphs/`` in :func:`maillage._cache.cache_root`.

    Examples
    --------
    >>> default_cache_dir().name
    'graphs'
    """
    return cache_root() / "graphs"


def _cache_key(pbf_path: Path) -> str:
    digest = hashlib.sha256()
    with pbf_path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 22), b""):
            digest.update(chunk)
    rules = json.dumps(
        [
            _GRAPH_FORMAT,
            _osm.DEFAULT_SPEED_KPH,
            _osm.MAXSPEED_FACTOR,
            sorted(_osm.NO_ACCESS_VALUES),
            _osm.EARTH_RADIUS_M,
        ]
    )
    digest.update(rules.encode())
    return digest.hexdigest()[:20]


def build_graph(
    pbf_path: str | PathLike[str],
    *,
    closed_ways: Sequence[str | int] = (),
    cache_dir: str | PathLike[str] | None = None,
    use_cache: bool = True,
    on_parse: Callable[[float], None] | None = None,
) -> RoadGraph:
    """Build the drivable road graph of an OpenStreetMap extract.

    Segments are weighted by ``length_m / speed``, the speed being the way's
    ``maxspeed`` × 0.8 or its class default (:data:`maillage.network._osm.DEFAULT_SPEED_KPH`,
    from OSRM's car profile). Ferries, private and no-access roads are left out, and
    only the largest strongly connected component is kept; :attr:`RoadGraph.report`
    says what was cut.

    Parameters
    ----------
    pbf_path
        An ``.osm.pbf`` extract (Geofabrik, BBBike, …) as published.
    closed_ways
        Ways to close (OSM ids, names or refs), see :meth:`RoadGraph.without_ways`.
    cache_dir
        Folder of the graph cache; by default :func:`default_cache_dir`. The key is the
        SHA-256 of the file and of the building rules, so an edited file is rebuilt.
    use_cache
        Set to ``False`` to neither read nor write the cache.
    on_parse
        Called before the file is parsed (not when the graph comes from the cache) with
        the estimated time of the parse in seconds (:func:`parse_estimate_seconds`).

    Returns
    -------
    RoadGraph

    Raises
    ------
    InputFileError
        If the file is missing, unreadable, or holds no drivable road.

    Examples
    --------
    >>> import tempfile
    >>> g = build_graph("tests/data/osm/saint-barthelemy-2014.osm.pbf",
    ...                 cache_dir=tempfile.mkdtemp())
    >>> g.crs, g.n_nodes > 1000, g.report.components > 1
    ('EPSG:32620', True, True)
    """
    path = Path(pbf_path)
    if not path.is_file():
        raise InputFileError(
            "fichier OpenStreetMap introuvable",
            path=path,
            fix="indiquez le chemin d'un extrait .osm.pbf (Geofabrik ou BBBike)",
        )
    cache_file: Path | None = None
    graph: RoadGraph | None = None
    if use_cache:
        folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        stem = path.name.split(".")[0]
        cache_file = folder / f"{stem}-{_cache_key(path)}.npz"
        if cache_file.is_file():
            try:
                graph = RoadGraph.load(cache_file)
            except (OSError, ValueError, KeyError):
                graph = None
    if graph is None:
        if on_parse is not None:
            on_parse(parse_estimate_seconds(path))
        graph = _build(path)
        if cache_file is not None:
            graph.save(cache_file)
    if cache_file is not None:  # names the graph's derived files (partition crops)
        graph._cache["source_key"] = cache_file.stem
    if closed_ways:
        graph = graph.without_ways(closed_ways)
    return graph


#: Segments handled at a time where a formula makes many temporaries.
_CHUNK = 1 << 20


def parse_estimate_seconds(pbf_path: str | PathLike[str]) -> float:
    """Estimated time (s) of a first build from the file's size and the measured speed.

    Examples
    --------
    >>> round(parse_estimate_seconds("tests/data/osm/malta-2018-08-29.osm.pbf"), 1)
    0.5
    """
    return Path(pbf_path).stat().st_size / 1e6 / PARSE_MB_PER_SECOND


def _build(
    path: Path,
    *,
    reader: Callable[[Path], _osm.ParsedWays | _osm.CompactWays] = _pbf.stream_compact_ways,
) -> RoadGraph:
    try:
        ways = reader(path)
    except (RuntimeError, _pbf.PbfFormatError) as error:
        raise InputFileError(
            f"lecture OpenStreetMap impossible ({error})",
            path=path,
            fix="vérifiez que le fichier est un extrait .osm.pbf complet",
        ) from error
    if isinstance(ways, _osm.ParsedWays):
        ways = _osm.compact(ways)
    n_ways = ways.way_id.size
    if n_ways == 0:
        raise InputFileError(
            "aucune voie carrossable (tag highway) dans ce fichier",
            path=path,
            fix="utilisez un extrait OpenStreetMap complet de la zone (Geofabrik, BBBike)",
        )
    # Arrays are freed as soon as used, and the nodes are located and projected only
    # once the largest component is known, so that a national extract's build stays
    # within memory (benchmarks/pbf.py measures the peak).
    edges = _segment_edges(ways)
    _pbf.release_free_memory()  # the chunks' temporaries: the big arrays cannot reuse them
    # Nodes: the distinct references of the segments' ends, in id order.
    src, dst = edges[0], edges[1]
    used = np.zeros(ways.node_id.size, dtype=bool)
    used[src] = True
    used[dst] = True
    position = (np.cumsum(used) - 1).astype(np.int32)
    for begin in range(0, src.size, _CHUNK):  # renumbered in place
        stop = begin + _CHUNK
        src[begin:stop] = position[src[begin:stop]]
        dst[begin:stop] = position[dst[begin:stop]]
    del src, dst, position
    node_id, x_deg, y_deg = ways.node_id[used], ways.x[used], ways.y[used]
    ways.node_id = np.empty(0, dtype=np.int64)
    ways.x = ways.y = np.empty(0, dtype=np.int32)
    del used
    n = int(node_id.size)
    lon_min, lon_max = int(np.min(x_deg)) / 1e7, int(np.max(x_deg)) / 1e7
    lat_min, lat_max = int(np.min(y_deg)) / 1e7, int(np.max(y_deg)) / 1e7
    indptr, indices, minutes, length_m, edge_way = _sorted_edges(edges, n)
    n_edges = int(indices.size)
    keep_node, components = _largest_component(indptr, indices, minutes)
    kept = int(keep_node.sum())
    new_index = (np.cumsum(keep_node) - 1).astype(np.int32)
    degree = np.diff(indptr)
    keep_edge = keep_node[indices]
    keep_edge &= np.repeat(keep_node, degree)
    tails = np.repeat(new_index, degree)[keep_edge]
    del degree
    indptr = np.zeros(kept + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=kept), out=indptr[1:])
    del tails
    indices = new_index[indices[keep_edge]]
    del new_index
    minutes = minutes[keep_edge]
    length_m = length_m[keep_edge]
    edge_way = edge_way[keep_edge]
    del keep_edge
    node_id = node_id[keep_node]
    lon, lat = x_deg[keep_node] / 1e7, y_deg[keep_node] / 1e7
    del x_deg, y_deg, keep_node
    crs = metric_crs(lon_min, lat_min, lon_max, lat_max)
    x, y = _project(lon, lat, crs)
    used_ways = np.unique(edge_way)
    way_index = np.full(n_ways, -1, dtype=np.int32)
    way_index[used_ways] = np.arange(used_ways.size, dtype=np.int32)
    edge_way = way_index[edge_way]
    del way_index
    name, ref, highway = (
        text_array(values)[codes[used_ways]]
        for values, codes in (ways.text[c] for c in ("name", "ref", "highway"))
    )
    return RoadGraph(
        node_id=node_id,
        lon=lon,
        lat=lat,
        x=x,
        y=y,
        crs=crs,
        indptr=indptr,
        indices=indices,
        minutes=minutes,
        length_m=length_m,
        edge_way=edge_way,
        way_id=ways.way_id[used_ways],
        way_name=name,
        way_ref=ref,
        way_highway=highway,
        report=GraphReport(
            source=path.name,
            ways_drivable=int(n_ways),
            ways_excluded=dict(ways.excluded),
            nodes_before=n,
            edges_before=n_edges,
            components=components,
            nodes_kept=kept,
            edges_kept=int(indices.size),
        ),
    )


def _segment_edges(ways: _osm.CompactWays) -> list[npt.NDArray[Any]]:
    """The directed edges of the ways' segments (consecutive nodes of a way, both
    located): tails and heads (rows among the ways' distinct nodes), minutes, lengths
    and way rows; forward edges first, then backward ones, each in the ways' order.

    ``ways.node_row`` is consumed.
    """
    rows = ways.node_row
    ways.node_row = np.empty(0, dtype=np.int32)
    valid = _osm.valid_location(ways.x, ways.y)
    last = np.zeros(max(rows.size, 1), dtype=bool)
    last[ways.offsets[1:] - 1] = True
    a = np.flatnonzero(~last[:-1] & valid[rows[:-1]] & valid[rows[1:]])
    del last, valid
    way = (np.searchsorted(ways.offsets, a, side="right") - 1).astype(np.int32)
    tail, head = rows[a], rows[a + 1]
    del rows, a
    length = np.empty(tail.size)
    for begin in range(0, tail.size, _CHUNK):  # in chunks: the formula's temporaries stay small
        i, j = tail[begin : begin + _CHUNK], head[begin : begin + _CHUNK]
        length[begin : begin + i.size] = _osm.haversine_m(
            ways.x[i] / 1e7, ways.y[i] / 1e7, ways.x[j] / 1e7, ways.y[j] / 1e7
        )
    has_f = np.isfinite(ways.forward_kph[way])
    has_b = np.isfinite(ways.backward_kph[way])
    n_f = int(np.count_nonzero(has_f))
    n_edges = n_f + int(np.count_nonzero(has_b))

    def directed(forward: npt.NDArray[Any], backward: npt.NDArray[Any]) -> npt.NDArray[Any]:
        out = np.empty(n_edges, dtype=forward.dtype)
        out[:n_f], out[n_f:] = forward[has_f], backward[has_b]
        return out

    src = directed(tail, head)
    dst = directed(head, tail)
    del tail, head
    minutes = directed(length, length)
    minutes *= 60.0
    for part, kph, has in (
        (slice(0, n_f), ways.forward_kph, has_f),
        (slice(n_f, None), ways.backward_kph, has_b),
    ):
        speed = kph[way[has]]
        speed *= 1000.0
        minutes[part] /= speed
        del speed
    length_m = directed(length, length)
    del length
    edge_way = directed(way, way)
    return [src, dst, minutes, length_m, edge_way]


def _sorted_edges(
    edges: list[npt.NDArray[Any]], n: int
) -> tuple[
    npt.NDArray[np.int64],
    npt.NDArray[np.int32],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.int32],
]:
    """CSR structure of edges: self-loops dropped, the fastest of parallel edges kept.

    ``edges`` (sources, targets, minutes, lengths, way rows) is emptied: the arrays are
    replaced by their sorted copies one by one, so that a national graph's edges are
    never held twice. Returns ``indptr, indices, minutes, length_m, edge_way``.
    """
    src, dst, minutes, length_m, edge_way = edges
    edges.clear()
    order, indptr = _csr.csr_order(src, dst, minutes, n)
    del src
    indices = dst[order].astype(np.int32, copy=False)
    del dst
    minutes = minutes[order]  # one array at a time: the unsorted one is freed at once
    length_m = length_m[order]
    edge_way = edge_way[order].astype(np.int32, copy=False)
    return indptr, indices, minutes, length_m, edge_way


def _assemble(
    edges: list[npt.NDArray[Any]],
    *,
    node_id: npt.NDArray[np.int64],
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    way_id: npt.NDArray[np.int64],
    way_name: npt.NDArray[np.str_],
    way_ref: npt.NDArray[np.str_],
    way_highway: npt.NDArray[np.str_],
    report: GraphReport,
) -> RoadGraph:
    """CSR graph from edges (:func:`_sorted_edges`), projected in its metric CRS."""
    indptr, indices, minutes, length_m, edge_way = _sorted_edges(edges, int(node_id.size))
    crs = metric_crs(float(np.min(lon)), float(np.min(lat)), float(np.max(lon)), float(np.max(lat)))
    x, y = _project(lon, lat, crs)
    return RoadGraph(
        node_id=node_id,
        lon=lon,
        lat=lat,
        x=x,
        y=y,
        crs=crs,
        indptr=indptr,
        indices=indices,
        minutes=minutes,
        length_m=length_m,
        edge_way=edge_way,
        way_id=way_id,
        way_name=way_name,
        way_ref=way_ref,
        way_highway=way_highway,
        report=replace(report, edges_before=int(indices.size)),
    )


def _project(
    lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], crs: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    from pyproj import Transformer

    transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = transformer.transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _largest_component(
    indptr: npt.NDArray[np.int64], indices: npt.NDArray[np.int32], minutes: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.bool_], int]:
    """Nodes of the largest strongly connected component of a CSR graph, and the number
    of strongly connected components."""
    import scipy.sparse
    from scipy.sparse.csgraph import connected_components

    n = int(indptr.size - 1)
    small = indices.size < 2**31 - 1  # int32 rows: scipy then keeps the int32 heads as they are
    matrix = scipy.sparse.csr_matrix(
        (minutes, indices, indptr.astype(np.int32) if small else indptr), shape=(n, n)
    )
    count, labels = connected_components(matrix, directed=True, connection="strong")
    del matrix
    largest = np.argmax(np.bincount(labels))
    return np.asarray(labels == largest), int(count)
