"""A road graph's contraction hierarchy: preprocessing built once, cached beside the graph.

The hierarchy of :mod:`maillage.network._hierarchy` depends on the graph alone, as
OSRM's ``osrm-contract`` output does: it is built on the graph's core with no service
kept (degree-2 chains and dead-end trees contracted, :func:`maillage.network._contraction.contract`
with no terminal), then written next to the graph's ``.npz`` file as
``<graph>.hierarchy-<rules>.npz``, where ``<rules>`` hashes the build rules (format,
witness bounds) so that a change of rules builds it again; the file also holds a
fingerprint of the graph's edges (SHA-256 of its CSR arrays and minutes), checked on
reading, so that a graph file rewritten under the same name is never read with a stale
hierarchy. Later runs only read it.

A run's services and origins need not be nodes of that core: the run contracts its
graph again with the services *and every node of the cached core* kept
(:func:`maillage.network._contraction.contract`; same exact expansion of the other nodes as
the bucket searches), and the few extra core nodes (services inside a chain or a
dead-end tree, and the nodes linking the latter to the rest) are contracted below the
cached ranks (:func:`maillage.network._hierarchy.bottom`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from maillage.network import _contraction, _hierarchy
from maillage.network.graph import RoadGraph, save_arrays

#: Version of the cached file's layout and of the rules the hierarchy is built by.
HIERARCHY_FORMAT = 2

_ARRAYS = ("up_ptr", "up_to", "up_minutes", "down_ptr", "down_from", "down_minutes")


@dataclass
class GraphHierarchy:
    """The contraction hierarchy of a graph's core with no service kept.

    ``rank_of[v]`` is the rank of the graph's node ``v`` in :attr:`hierarchy`, ``-1``
    for the nodes outside that core (inside chains or dead-end trees).
    """

    rank_of: npt.NDArray[np.int32]
    hierarchy: _hierarchy.Hierarchy

    def core_nodes(self) -> npt.NDArray[np.int64]:
        """The graph's nodes that the hierarchy ranks."""
        return np.flatnonzero(self.rank_of >= 0)


def build(graph: RoadGraph) -> GraphHierarchy:
    """The hierarchy of ``graph``'s core with no service kept (not cached).

    Examples
    --------
    >>> g = RoadGraph.from_edges([0, 1, 1, 2, 2, 0], [1, 0, 2, 1, 0, 2], [1.0] * 6,
    ...                          lon=[0, 0.01, 0.02], lat=[0, 0.01, 0])
    >>> built = build(g)  # a ring of two-way roads: one node ranked, two in its chain
    >>> built.rank_of.tolist(), built.hierarchy.n_nodes
    ([0, -1, -1], 1)
    """
    contraction = _contraction.contract(graph)
    indptr, indices, minutes = _contraction.reversed_core(contraction)
    hierarchy = _hierarchy.build(indptr, indices, minutes)
    rank_of = np.full(graph.n_nodes, -1, dtype=np.int32)
    rank_of[contraction.core] = hierarchy.rank
    return GraphHierarchy(rank_of=rank_of, hierarchy=hierarchy)


def rules_key() -> str:
    """Short hash of the rules a cached hierarchy was built by (in its file's name)."""
    rules = [HIERARCHY_FORMAT, _hierarchy.WITNESS_SETTLED, _hierarchy.ESTIMATE_SETTLED]
    return hashlib.sha256(json.dumps(rules).encode()).hexdigest()[:12]


def cache_path(graph_path: str | Path) -> Path:
    """The file of the hierarchy of the graph stored at ``graph_path``.

    Examples
    --------
    >>> cache_path("/tmp/partition-73-ete.npz").name.startswith("partition-73-ete.hierarchy-")
    True
    """
    path = Path(graph_path)
    return path.with_name(f"{path.stem}.hierarchy-{rules_key()}.npz")


def fingerprint(graph: RoadGraph) -> str:
    """SHA-256 of the graph's edges and times (what the hierarchy depends on; computed
    once per graph, a few seconds for France's)."""
    found = graph._cache.get("fingerprint")
    if found is None:
        digest = hashlib.sha256()
        for array in (graph.indptr, graph.indices, graph.minutes):
            digest.update(np.ascontiguousarray(array).data)
        found = graph._cache["fingerprint"] = digest.hexdigest()
    return str(found)


def save(prepared: GraphHierarchy, path: str | Path, graph: RoadGraph) -> None:
    """Write ``prepared`` (the hierarchy of ``graph``) to ``path`` atomically."""
    hierarchy = prepared.hierarchy
    arrays = {name: getattr(hierarchy, name) for name in _ARRAYS}
    arrays["rank"] = hierarchy.rank
    arrays["rank_of"] = prepared.rank_of
    arrays["fingerprint"] = np.array(fingerprint(graph))
    save_arrays(path, arrays)


def load(path: str | Path, graph: RoadGraph) -> GraphHierarchy | None:
    """The hierarchy stored at ``path`` if it is ``graph``'s, else ``None``."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["fingerprint"]) != fingerprint(graph):
                return None
            hierarchy = _hierarchy.Hierarchy(
                rank=data["rank"], **{name: data[name] for name in _ARRAYS}
            )
            return GraphHierarchy(rank_of=data["rank_of"], hierarchy=hierarchy)
    except (OSError, ValueError, KeyError):
        return None


def cached(graph: RoadGraph) -> GraphHierarchy | None:
    """The graph's hierarchy if it is in memory or cached beside the graph's file."""
    prepared = graph._cache.get("hierarchy")
    if prepared is None and "path" in graph._cache:
        prepared = load(cache_path(graph._cache["path"]), graph)
        if prepared is not None:
            graph._cache["hierarchy"] = prepared
    return prepared  # type: ignore[no-any-return]


def prepared(graph: RoadGraph) -> GraphHierarchy:
    """The graph's hierarchy: cached, or built now and cached (beside the graph's file
    when it has one: read back from :meth:`RoadGraph.load`, or written by
    :meth:`RoadGraph.save`).

    Examples
    --------
    >>> import tempfile
    >>> g = RoadGraph.from_edges([0, 1, 1, 2], [1, 0, 2, 1], [1.0, 1.0, 2.0, 2.0],
    ...                          lon=[0, 0.01, 0.02], lat=[0, 0, 0])
    >>> g.save(f"{tempfile.mkdtemp()}/g.npz")
    >>> _ = prepared(g)
    >>> again = RoadGraph.load(g._cache["path"])
    >>> cached(again).rank_of.tolist() == prepared(g).rank_of.tolist()
    True
    """
    found = cached(graph)
    if found is not None:
        return found
    built = build(graph)
    graph._cache["hierarchy"] = built
    if "path" in graph._cache:
        save(built, cache_path(graph._cache["path"]), graph)
    return built


def preprocess(graph_path: str | Path) -> Path:
    """Build and cache the hierarchy of the graph stored at ``graph_path`` (as
    ``osrm-contract`` does once for a graph) unless it is cached; returns its file."""
    prepared(RoadGraph.load(graph_path))
    return cache_path(graph_path)
