"""Stream the drivable ways of a large ``.osm.pbf`` in two passes (private).

A national extract (France: 4.5 GB, about 600 M nodes) does not fit the way
:func:`maillage.network._osm.read_drivable_ways` reads small ones, which keeps the location
of every node of the file in memory and hands every way node to Python. Here:

1. **first pass, ways only**: the file's blocks are inflated (zlib, on a thread pool: it
   releases the GIL) and decoded by compiled functions (numba); only the ways with a
   ``highway`` or ``route`` key reach Python, where the same tag rules
   (:func:`maillage.network._osm.way_speeds`) keep the drivable ones — run once per
   distinct combination of the rule keys' values in a block, not once per way. Their node
   ids are kept in flat ``int64`` arrays; the blocks that hold nodes are remembered;
2. **second pass, nodes only**: only those blocks are read again, and the location of each
   node a drivable way uses is looked up in the sorted array of their ids
   (``searchsorted``, a merge walk when the block's ids are sorted, as in every published
   extract). Other nodes are decoded and dropped at once.

Memory is then the drivable ways' node references, not the file's 600 M nodes: after
the first pass, each reference becomes its row (``int32``) among the sorted distinct
ids, and locations are kept once per distinct node as 1e-7 degree ``int32``
(:func:`stream_compact_ways`, the graph build's input: about 4 bytes a reference and 16
a node, with the ways' texts interned across blocks). :func:`stream_drivable_ways`
expands it into the same :class:`~maillage.network._osm.ParsedWays` as the small-file
reader's, field for field (tested), so both build the same graph.

The PBF format (``fileformat.proto`` and ``osmformat.proto`` of OSM-binary) is read
directly: a sequence of length-prefixed ``BlobHeader`` + ``Blob`` messages whose
``OSMData`` payloads are ``PrimitiveBlock`` messages (string table, groups of dense
nodes, nodes or ways). Coordinates are converted as libosmium does, to 1e-7 degree
integers truncated toward zero, then to degrees.
"""

from __future__ import annotations

import ctypes
import math
import struct
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from os import PathLike
from pathlib import Path
from typing import Any, BinaryIO

import numba
import numpy as np
import numpy.typing as npt

from maillage._progress import byte_progress
from maillage.network import _osm

#: Blobs inflated ahead of the decoder (bounded, so that memory stays a few blocks).
_PREFETCH = 8

_U8 = npt.NDArray[np.uint8]
_I64 = npt.NDArray[np.int64]


class PbfFormatError(ValueError):
    """The file is not an OSM PBF file this reader understands."""


# ---------------------------------------------------------------------------------------
# Protocol buffers, compiled


@numba.njit(cache=True, nogil=True)
def _varint(buf: _U8, pos: int) -> tuple[int, int]:  # pragma: no cover - compiled
    result = np.uint64(0)
    shift = np.uint64(0)
    while True:
        byte = buf[pos]
        pos += 1
        result |= np.uint64(byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += np.uint64(7)
    return int(np.int64(result)), pos


@numba.njit(cache=True, nogil=True)
def _zigzag(value: int) -> int:  # pragma: no cover - compiled
    return (value >> 1) ^ -(value & 1)


@numba.njit(cache=True, nogil=True)
def _skip(buf: _U8, pos: int, wire: int) -> int:  # pragma: no cover - compiled
    if wire == 0:
        _, pos = _varint(buf, pos)
    elif wire == 1:
        pos += 8
    elif wire == 2:
        length, pos = _varint(buf, pos)
        pos += length
    elif wire == 5:
        pos += 4
    else:
        raise ValueError("wire type")
    return pos


@numba.njit(cache=True, nogil=True)
def _count_varints(buf: _U8, start: int, end: int) -> int:  # pragma: no cover - compiled
    count = 0
    for i in range(start, end):
        if buf[i] < 0x80:
            count += 1
    return count


@numba.njit(cache=True, nogil=True)
def _block_layout(buf: _U8) -> tuple[_I64, int, int, int]:  # pragma: no cover - compiled
    """Fields of a ``PrimitiveBlock``: spans (field, start, end) of the string table and
    of each group, granularity, lat and lon offsets."""
    found = []
    granularity = 100
    lat_offset = 0
    lon_offset = 0
    pos = 0
    end = buf.size
    while pos < end:
        key, pos = _varint(buf, pos)
        field = key >> 3
        wire = key & 7
        if wire == 2 and (field == 1 or field == 2):
            length, pos = _varint(buf, pos)
            found.append((field, pos, pos + length))
            pos += length
        elif wire == 0 and field == 17:
            granularity, pos = _varint(buf, pos)
        elif wire == 0 and field == 19:
            lat_offset, pos = _varint(buf, pos)
        elif wire == 0 and field == 20:
            lon_offset, pos = _varint(buf, pos)
        else:
            pos = _skip(buf, pos, wire)
    spans = np.empty((len(found), 3), dtype=np.int64)
    for i in range(len(found)):
        spans[i, 0] = found[i][0]
        spans[i, 1] = found[i][1]
        spans[i, 2] = found[i][2]
    return spans, granularity, lat_offset, lon_offset


@numba.njit(cache=True, nogil=True)
def _string_table(buf: _U8, start: int, end: int) -> tuple[_I64, _I64]:  # pragma: no cover
    count = 0
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos)
        pos = _skip(buf, pos, key & 7)
        count += 1
    starts = np.empty(count, dtype=np.int64)
    ends = np.empty(count, dtype=np.int64)
    pos = start
    i = 0
    while pos < end:
        key, pos = _varint(buf, pos)
        if key & 7 == 2:
            length, pos = _varint(buf, pos)
            starts[i] = pos
            ends[i] = pos + length
            pos += length
        else:
            pos = _skip(buf, pos, key & 7)
            starts[i] = pos
            ends[i] = pos
        i += 1
    return starts, ends


@numba.njit(cache=True, nogil=True)
def _group_kinds(buf: _U8, start: int, end: int) -> tuple[bool, bool]:  # pragma: no cover
    """Whether a ``PrimitiveGroup`` holds nodes (plain or dense) and ways."""
    nodes = False
    ways = False
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos)
        field = key >> 3
        if field == 1 or field == 2:
            nodes = True
        elif field == 3:
            ways = True
        pos = _skip(buf, pos, key & 7)
    return nodes, ways


@numba.njit(cache=True, nogil=True)
def _packed_delta(buf: _U8, start: int, end: int, zigzag: bool) -> _I64:  # pragma: no cover
    out = np.empty(_count_varints(buf, start, end), dtype=np.int64)
    pos = start
    value = 0
    i = 0
    while pos < end:
        raw, pos = _varint(buf, pos)
        value += _zigzag(raw) if zigzag else raw
        out[i] = value
        i += 1
    return out


@numba.njit(cache=True, nogil=True)
def _packed(buf: _U8, start: int, end: int) -> _I64:  # pragma: no cover - compiled
    out = np.empty(_count_varints(buf, start, end), dtype=np.int64)
    pos = start
    i = 0
    while pos < end:
        out[i], pos = _varint(buf, pos)
        i += 1
    return out


@numba.njit(cache=True, nogil=True)
def _nodes(buf: _U8, start: int, end: int) -> tuple[_I64, _I64, _I64]:  # pragma: no cover
    """Ids and raw lat/lon of the nodes of a group (dense or plain)."""
    ids = np.empty(0, dtype=np.int64)
    lats = np.empty(0, dtype=np.int64)
    lons = np.empty(0, dtype=np.int64)
    plain_ids = []
    plain_lats = []
    plain_lons = []
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos)
        field = key >> 3
        if field == 2 and key & 7 == 2:
            length, pos = _varint(buf, pos)
            stop = pos + length
            while pos < stop:
                sub, pos = _varint(buf, pos)
                if sub & 7 == 2 and (sub >> 3) in (1, 8, 9):
                    size, pos = _varint(buf, pos)
                    values = _packed_delta(buf, pos, pos + size, True)
                    if sub >> 3 == 1:
                        ids = values
                    elif sub >> 3 == 8:
                        lats = values
                    else:
                        lons = values
                    pos += size
                else:
                    pos = _skip(buf, pos, sub & 7)
        elif field == 1 and key & 7 == 2:
            length, pos = _varint(buf, pos)
            stop = pos + length
            node_id = 0
            lat = 0
            lon = 0
            while pos < stop:
                sub, pos = _varint(buf, pos)
                if sub & 7 == 0 and (sub >> 3) in (1, 8, 9):
                    raw, pos = _varint(buf, pos)
                    if sub >> 3 == 1:
                        node_id = _zigzag(raw)
                    elif sub >> 3 == 8:
                        lat = _zigzag(raw)
                    else:
                        lon = _zigzag(raw)
                else:
                    pos = _skip(buf, pos, sub & 7)
            plain_ids.append(node_id)
            plain_lats.append(lat)
            plain_lons.append(lon)
        else:
            pos = _skip(buf, pos, key & 7)
    if len(plain_ids) > 0:
        ids = np.concatenate((ids, np.array(plain_ids, dtype=np.int64)))
        lats = np.concatenate((lats, np.array(plain_lats, dtype=np.int64)))
        lons = np.concatenate((lons, np.array(plain_lons, dtype=np.int64)))
    return ids, lats, lons


@numba.njit(cache=True, nogil=True)
def _ways(
    buf: _U8, start: int, end: int, wanted_keys: _I64
) -> tuple[_I64, _I64, _I64, _I64, _I64, _I64]:  # pragma: no cover - compiled
    """The ways of a group having one of ``wanted_keys`` (string-table indices).

    Returns way ids, tag offsets, flat key and value indices, ref offsets and flat refs.
    """
    way_ids = []
    tag_offsets = [0]
    keys_out = []
    vals_out = []
    ref_offsets = [0]
    refs_out = []
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos)
        if key >> 3 != 3 or key & 7 != 2:
            pos = _skip(buf, pos, key & 7)
            continue
        length, pos = _varint(buf, pos)
        stop = pos + length
        way_id = 0
        keys = np.empty(0, dtype=np.int64)
        vals = np.empty(0, dtype=np.int64)
        refs = np.empty(0, dtype=np.int64)
        while pos < stop:
            sub, pos = _varint(buf, pos)
            field = sub >> 3
            if field == 1 and sub & 7 == 0:
                way_id, pos = _varint(buf, pos)
            elif sub & 7 == 2 and (field == 2 or field == 3 or field == 8):
                size, pos = _varint(buf, pos)
                if field == 2:
                    keys = _packed(buf, pos, pos + size)
                elif field == 3:
                    vals = _packed(buf, pos, pos + size)
                else:
                    refs = _packed_delta(buf, pos, pos + size, True)
                pos += size
            else:
                pos = _skip(buf, pos, sub & 7)
        wanted = False
        for k in keys:
            for w in wanted_keys:
                if k == w:
                    wanted = True
        if not wanted:
            continue
        way_ids.append(way_id)
        for i in range(keys.size):
            keys_out.append(keys[i])
            vals_out.append(vals[i])
        tag_offsets.append(len(keys_out))
        for r in refs:
            refs_out.append(r)
        ref_offsets.append(len(refs_out))
    return (
        np.array(way_ids, dtype=np.int64),
        np.array(tag_offsets, dtype=np.int64),
        np.array(keys_out, dtype=np.int64),
        np.array(vals_out, dtype=np.int64),
        np.array(ref_offsets, dtype=np.int64),
        np.array(refs_out, dtype=np.int64),
    )


@numba.njit(cache=True, nogil=True)
def _locate(
    ids: _I64,
    lats: _I64,
    lons: _I64,
    granularity: int,
    lat_offset: int,
    lon_offset: int,
    wanted: _I64,
    x: npt.NDArray[np.int32],
    y: npt.NDArray[np.int32],
) -> int:  # pragma: no cover - compiled
    """Write the 1e-7 degree location of the ``wanted`` nodes found in ``ids``."""
    found = 0
    n = wanted.size
    j = 0
    previous = -(2**62)
    for i in range(ids.size):
        node = ids[i]
        if i == 0 or node < previous:
            j = np.searchsorted(wanted, node)
        else:
            while j < n and wanted[j] < node:
                j += 1
        previous = node
        if j < n and wanted[j] == node:
            lon_nano = lon_offset + granularity * lons[i]
            lat_nano = lat_offset + granularity * lats[i]
            # libosmium: integer division by 100 truncated toward zero
            x[j] = np.int32(lon_nano // 100 if lon_nano >= 0 else -((-lon_nano) // 100))
            y[j] = np.int32(lat_nano // 100 if lat_nano >= 0 else -((-lat_nano) // 100))
            found += 1
    return found


# ---------------------------------------------------------------------------------------
# File structure, in Python (a few thousand blobs a GB)


def _message_fields(data: bytes) -> dict[int, bytes | int]:
    fields: dict[int, bytes | int] = {}
    pos = 0
    while pos < len(data):
        key, pos = _py_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            fields[field], pos = _py_varint(data, pos)
        elif wire == 2:
            length, pos = _py_varint(data, pos)
            fields[field] = data[pos : pos + length]
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise PbfFormatError(f"type de champ protobuf inconnu ({wire})")
    return fields


def _py_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _raw_blobs(stream: BinaryIO) -> Iterator[tuple[int, int, bytes]]:
    """Offset, total size and ``Blob`` message of each ``OSMData`` blob."""
    while True:
        offset = stream.tell()
        prefix = stream.read(4)
        if not prefix:
            return
        if len(prefix) < 4:
            raise PbfFormatError("fichier tronqué")
        (header_size,) = struct.unpack(">I", prefix)
        header = _message_fields(stream.read(header_size))
        kind = header.get(1, b"")
        size = header.get(3, 0)
        if not isinstance(kind, bytes) or not isinstance(size, int):
            raise PbfFormatError("en-tête de bloc illisible")
        blob = stream.read(size)
        if len(blob) < size:
            raise PbfFormatError("fichier tronqué")
        if kind == b"OSMData":
            yield offset, 4 + header_size + size, blob


def _inflate(blob: bytes) -> bytes:
    fields = _message_fields(blob)
    raw = fields.get(1)
    if isinstance(raw, bytes):
        return raw
    packed = fields.get(3)
    if isinstance(packed, bytes):
        return zlib.decompress(packed)
    raise PbfFormatError(
        "compression de bloc non prise en charge (seuls zlib et « brut » le sont, comme "
        "dans les extraits Geofabrik et BBBike)"
    )


def _blocks(
    path: Path, *, description: str, only: set[int] | None = None, workers: int = 2
) -> Iterator[tuple[int, _U8]]:
    """Offset and inflated ``PrimitiveBlock`` of each data blob, in file order."""
    with path.open("rb") as stream, ThreadPoolExecutor(workers) as pool:
        pending: deque[tuple[int, Future[bytes]]] = deque()
        total = path.stat().st_size
        with byte_progress(total, description=description) as advance:
            for offset, size, blob in _raw_blobs(stream):
                advance(size)
                if only is not None and offset not in only:
                    continue
                pending.append((offset, pool.submit(_inflate, blob)))
                if len(pending) >= _PREFETCH:
                    first, future = pending.popleft()
                    yield first, np.frombuffer(future.result(), dtype=np.uint8)
            while pending:
                first, future = pending.popleft()
                yield first, np.frombuffer(future.result(), dtype=np.uint8)


class _Strings:
    """The string table of one block, decoded on demand (most strings are never used)."""

    def __init__(self, buf: _U8, starts: _I64, ends: _I64) -> None:
        self.buf, self.starts, self.ends = buf, starts.tolist(), ends.tolist()
        self.decoded: dict[int, str] = {}

    def __call__(self, index: int) -> str:
        value = self.decoded.get(index)
        if value is None:
            value = self.buf[self.starts[index] : self.ends[index]].tobytes().decode("utf-8")
            self.decoded[index] = value
        return value

    def find(self, *words: bytes) -> _I64:
        """Index of each of ``words`` in the table, -1 where absent."""
        sizes = np.asarray(self.ends) - np.asarray(self.starts)
        found = np.full(len(words), -1, dtype=np.int64)
        for w, word in enumerate(words):
            for i in np.flatnonzero(sizes == len(word)).tolist():
                if self.buf[self.starts[i] : self.ends[i]].tobytes() == word:
                    found[w] = i
                    break
        return found


#: Keys read from each way: the rule keys, then the way table's name and ref.
_KEYS = (*_osm.RULE_KEYS, "name", "ref")
_HIGHWAY, _ROUTE = _KEYS.index("highway"), _KEYS.index("route")
#: The ways' text columns and their keys' places in ``_KEYS``.
_TEXT_COLUMNS = ("name", "ref", "highway")
_TEXT_KEYS = (len(_KEYS) - 2, len(_KEYS) - 1, _HIGHWAY)


@numba.njit(cache=True, nogil=True)
def _tag_matrix(
    keys: _I64, vals: _I64, tag_offsets: _I64, wanted: _I64
) -> _I64:  # pragma: no cover - compiled
    """Value index of each ``wanted`` key for each way (-1: absent); the first tag wins."""
    n = tag_offsets.size - 1
    out = np.full((n, wanted.size), -1, dtype=np.int64)
    for w in range(n):
        for t in range(tag_offsets[w], tag_offsets[w + 1]):
            for c in range(wanted.size):
                if keys[t] == wanted[c] and out[w, c] < 0:
                    out[w, c] = vals[t]
    return out


class _WayCollector:
    """The drivable ways met so far, in flat arrays (first pass)."""

    def __init__(self) -> None:
        self.way_ids: list[_I64] = []
        self.counts: list[_I64] = []
        self.node_refs: list[_I64] = []
        #: per text column (``name``, ``ref``, ``highway``): its distinct values' codes
        #: and each kept way's code, interned across blocks
        self.text_index: dict[str, dict[str, int]] = {c: {} for c in _TEXT_COLUMNS}
        self.text_codes: dict[str, list[npt.NDArray[np.int32]]] = {c: [] for c in _TEXT_COLUMNS}
        self.forward: list[npt.NDArray[np.float64]] = []
        self.backward: list[npt.NDArray[np.float64]] = []
        self.excluded: dict[str, int] = {}

    def add_group(self, buf: _U8, start: int, end: int, strings: _Strings) -> None:
        """Keep the drivable ways of one group (same rules as ``read_drivable_ways``).

        The rules run once per distinct combination of the rule keys' values in the group,
        not once per way.
        """
        key_index = strings.find(*(key.encode() for key in _KEYS))
        if key_index[_HIGHWAY] < 0 and key_index[_ROUTE] < 0:
            return
        present = key_index[[_HIGHWAY, _ROUTE]]
        ids, tag_offsets, keys, vals, ref_offsets, refs = _ways(
            buf, start, end, present[present >= 0]
        )
        matrix = _tag_matrix(keys, vals, tag_offsets, np.where(key_index < 0, -2, key_index))
        rules = matrix[:, : len(_osm.RULE_KEYS)]
        combos, inverse = _unique_rows(rules)
        speeds = np.full((combos.shape[0], 2), np.nan)
        usable = np.zeros(combos.shape[0], dtype=bool)
        occurrences = np.bincount(inverse, minlength=combos.shape[0])
        for c, row in enumerate(combos.tolist()):
            tags = {key: strings(v) for key, v in zip(_osm.RULE_KEYS, row, strict=True) if v >= 0}
            if "highway" not in tags and tags.get("route") != "ferry":
                continue
            result = _osm.way_speeds(tags)
            if isinstance(result, str):
                self.excluded[result] = self.excluded.get(result, 0) + int(occurrences[c])
                continue
            usable[c] = True
            speeds[c] = result
        keep = usable[inverse]
        if not keep.any():
            return
        sizes = np.diff(ref_offsets)
        self.way_ids.append(ids[keep])
        self.counts.append(sizes[keep])
        self.node_refs.append(refs[np.repeat(keep, sizes)])
        self.forward.append(speeds[inverse[keep], 0])
        self.backward.append(speeds[inverse[keep], 1])
        for name, column in zip(_TEXT_COLUMNS, _TEXT_KEYS, strict=True):
            values, back = np.unique(matrix[keep, column], return_inverse=True)
            index = self.text_index[name]
            codes = np.array(
                [
                    index.setdefault(strings(v) if v >= 0 else "", len(index))
                    for v in values.tolist()
                ],
                dtype=np.int32,
            )
            self.text_codes[name].append(codes[back.reshape(-1)])


def _read_ways(path: Path) -> tuple[_WayCollector, set[int]]:
    """First pass: the drivable ways, and the offsets of the blobs that hold nodes."""
    ways = _WayCollector()
    node_blocks: set[int] = set()
    for offset, buf in _blocks(path, description=f"Lecture de {path.name} (voies)"):
        spans, _, _, _ = _block_layout(buf)
        strings: _Strings | None = None
        for field, start, end in spans.tolist():
            if field != 2:
                continue
            has_nodes, has_ways = _group_kinds(buf, start, end)
            if has_nodes:
                node_blocks.add(offset)
            if has_ways:
                if strings is None:
                    table = [(s, e) for f, s, e in spans.tolist() if f == 1]
                    empty = np.zeros(0, dtype=np.int64)
                    strings = _Strings(
                        buf, *(_string_table(buf, *table[0]) if table else (empty, empty))
                    )
                ways.add_group(buf, start, end, strings)
    return ways, node_blocks


def _read_locations(
    path: Path, node_blocks: set[int], wanted: _I64
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Second pass: the 1e-7 degree locations of the ``wanted`` nodes (sorted ids)."""
    x = np.full(wanted.size, _osm.MISSING, dtype=np.int32)
    y = np.full(wanted.size, _osm.MISSING, dtype=np.int32)
    if wanted.size == 0:
        return x, y
    blocks = _blocks(path, description=f"Lecture de {path.name} (nœuds)", only=node_blocks)
    for _, buf in blocks:
        spans, granularity, lat_offset, lon_offset = _block_layout(buf)
        for field, start, end in spans.tolist():
            if field == 2:
                ids, lats, lons = _nodes(buf, start, end)
                if ids.size:
                    _locate(ids, lats, lons, granularity, lat_offset, lon_offset, wanted, x, y)
    return x, y


def stream_compact_ways(
    pbf_path: str | PathLike[str], *, on_pass: Callable[[int], None] | None = None
) -> _osm.CompactWays:
    """Read the drivable ways of an OSM PBF file in two streaming passes, compactly.

    The graph build's input (:class:`~maillage.network._osm.CompactWays`): each node
    reference a row among the distinct node ids, one location per distinct node.
    :func:`stream_drivable_ways` gives the same ways in the small-file reader's format.

    Parameters
    ----------
    pbf_path
        An ``.osm.pbf`` file (zlib-compressed or raw blocks).
    on_pass
        Called with 1 then 2 as each pass starts (for messages).

    Raises
    ------
    PbfFormatError
        A file this reader does not understand (not PBF, truncated, other compression).

    Examples
    --------
    >>> ways = stream_compact_ways("tests/data/osm/monaco-2019-09-30.osm.pbf")
    >>> ways.node_row.dtype, ways.node_id.size < ways.node_row.size
    (dtype('int32'), True)
    """
    path = Path(pbf_path)
    if on_pass is not None:
        on_pass(1)
    ways, node_blocks = _read_ways(path)
    flat_refs = _concatenate(ways.node_refs, np.int64)
    ways.node_refs.clear()
    wanted = np.unique(flat_refs)
    # each reference's row among the distinct ids, in chunks (``np.unique``'s inverse
    # would hold three int64 arrays of every reference at once)
    rows = np.empty(flat_refs.size, dtype=np.int32 if wanted.size < 2**31 else np.int64)
    for begin in range(0, flat_refs.size, _ROWS_CHUNK):
        stop = begin + _ROWS_CHUNK
        rows[begin:stop] = np.searchsorted(wanted, flat_refs[begin:stop])
    del flat_refs
    if on_pass is not None:
        on_pass(2)
    x, y = _read_locations(path, node_blocks, wanted)
    release_free_memory()
    offsets = np.zeros(sum(c.size for c in ways.counts) + 1, dtype=np.int64)
    if ways.counts:
        np.cumsum(np.concatenate(ways.counts), out=offsets[1:])
    return _osm.CompactWays(
        way_id=_concatenate(ways.way_ids, np.int64),
        forward_kph=_concatenate(ways.forward, np.float64),
        backward_kph=_concatenate(ways.backward, np.float64),
        offsets=offsets,
        node_row=rows,
        node_id=wanted,
        x=x,
        y=y,
        text={
            name: (list(ways.text_index[name]), _concatenate(ways.text_codes[name], np.int32))
            for name in _TEXT_COLUMNS
        },
        excluded=ways.excluded,
    )


def stream_drivable_ways(
    pbf_path: str | PathLike[str], *, on_pass: Callable[[int], None] | None = None
) -> _osm.ParsedWays:
    """Read the drivable ways of an OSM PBF file in two streaming passes.

    Gives the same :class:`~maillage.network._osm.ParsedWays` as
    :func:`~maillage.network._osm.read_drivable_ways` (see the module's note), from
    :func:`stream_compact_ways`.

    Examples
    --------
    >>> ways = stream_drivable_ways("tests/data/osm/monaco-2019-09-30.osm.pbf")
    >>> ways.way_id.size > 100, bool(np.isfinite(ways.lon).all())
    (True, True)
    """
    ways = stream_compact_ways(pbf_path, on_pass=on_pass)
    rows = ways.node_row
    lon, lat = _degrees(ways.x, ways.y)
    name, ref, highway = (
        np.array(values, dtype=object)[codes].tolist()
        for values, codes in (ways.text[c] for c in _TEXT_COLUMNS)
    )
    return _osm.ParsedWays(
        way_id=ways.way_id,
        highway=highway,
        name=name,
        ref=ref,
        forward_kph=ways.forward_kph,
        backward_kph=ways.backward_kph,
        offsets=ways.offsets,
        node_ref=ways.node_id[rows],
        lon=lon[rows],
        lat=lat[rows],
        excluded=ways.excluded,
        node_index=(ways.node_id, rows.astype(np.int64)),
    )


#: References given their row at a time (``searchsorted``'s temporaries stay small).
_ROWS_CHUNK = 1 << 22


def release_free_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``).

    The passes allocate and free many block-sized buffers (some on the inflating
    threads); glibc keeps the freed ones, which the large arrays of the build that
    follows cannot reuse (about 25 bytes a graph node, measured). Elsewhere than on
    glibc this does nothing.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, musl, Windows)
        return
    trim(0)


def _unique_rows(matrix: _I64) -> tuple[_I64, _I64]:
    """Distinct rows of an integer matrix and the row of each (``np.unique(axis=0)``,
    by one ``lexsort``, much faster on narrow integer rows)."""
    if matrix.shape[0] == 0:
        return matrix, np.zeros(0, dtype=np.int64)
    order = np.lexsort(matrix.T[::-1])
    ordered = matrix[order]
    starts = np.ones(order.size, dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(order.size, dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse


def _concatenate(parts: list[Any], dtype: type) -> Any:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _degrees(
    x: npt.NDArray[np.int32], y: npt.NDArray[np.int32]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Degrees of 1e-7 degree integers, NaN where missing or invalid (as osmium's
    ``Location.valid()``)."""
    valid = _osm.valid_location(x, y)
    lon = np.where(valid, x / 1e7, math.nan)
    lat = np.where(valid, y / 1e7, math.nan)
    return lon, lat
