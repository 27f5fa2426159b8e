"""Bigger real OSM files for the benchmarks: shifted copies of one extract, in one PBF.

``tile_pbf(source, target, columns, rows)`` writes ``columns × rows`` copies of the nodes
and ways of ``source`` (relations are left out: maillage's graph does not use them):

* **new ids**: copy ``k`` adds ``2³⁵ + k × 7 × 10⁹`` to every node and way id (and to every
  way's node references), so no two copies share an id;
* **moved coordinates**: copy ``(row, column)`` is moved by ``column ×`` the width of the
  extract's road graph ``+ 0.01°`` east and ``row ×`` its height ``+ 0.01°`` north, so
  the copies sit side by side without overlapping; shapes and lengths are those of the real roads (a
  copy moved north has slightly shorter east-west degrees in metres, as on the sphere);
* **road links**: between two neighbouring copies, the ``links`` easternmost nodes of the
  road graph of one (northernmost) are joined to the westernmost (southernmost) of the
  other, matched by rank of their other coordinate, by two-node two-way ways tagged
  ``highway=secondary`` (55 km/h in the car rules), as roads crossing a border would be.

The file is written block by block as the source's own blocks, edited in their protocol
buffers (ids are delta-coded, so only the first id of a dense-node block and the first
node reference of a way change; coordinates move through the blocks' ``lat_offset`` and
``lon_offset``), then re-compressed with zlib at its default level, like Geofabrik's
extracts. All node blocks come first, then the ways, sorted by id, as osmium and OSRM
expect; the links come last.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from maillage.network import _pbf
from maillage.network.graph import RoadGraph

#: Id offset between copies (OSM ids were below 7 × 10⁹ in 2019).
ID_STEP = 7 * 10**9
#: Added to every id so that all copies' ids have varints of one length: 6 bytes for ids,
#: 7 for zigzag-coded first references, up to 623 copies (ids stay under 2⁴²; under 2⁴⁰,
#: OSRM's limit, up to 152 copies).
ID_BASE = 1 << 35
ID_BYTES = 6
ZIGZAG_BYTES = 7
#: Gap between copies, in degrees.
GAP_DEGREES = 0.01


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _unzigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _number(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value & 0xFFFFFFFFFFFFFFFF)


def _fields(data: bytes) -> list[tuple[int, int, bytes | int, bytes]]:
    """(field, wire, value, raw bytes of the whole field) of a message."""
    out = []
    pos = 0
    while pos < len(data):
        begin = pos
        key, pos = _pbf._py_varint(data, pos)
        field, wire = key >> 3, key & 7
        value: bytes | int
        if wire == 0:
            value, pos = _pbf._py_varint(data, pos)
        elif wire == 2:
            length, pos = _pbf._py_varint(data, pos)
            value = data[pos : pos + length]
            pos += length
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(wire)
        out.append((field, wire, value, data[begin:pos]))
    return out


def _fixed_varints(values: np.ndarray, length: int) -> np.ndarray:  # type: ignore[type-arg]
    """Varints of ``values`` on exactly ``length`` bytes each (canonical in the id range)."""
    shifts = 7 * np.arange(length, dtype=np.uint64)
    out = ((values.astype(np.uint64)[:, None] >> shifts) & np.uint64(0x7F)).astype(np.uint8)
    out[:, :-1] |= 0x80
    return out


class _Block:
    """One source block (one group of dense nodes or of ways), as a byte template whose
    id slots are filled per copy (see the module's note)."""

    def __init__(self, head: bytes, granularity: int, lat_offset: int, lon_offset: int) -> None:
        self.head, self.granularity = head, granularity
        self.lat_offset, self.lon_offset = lat_offset, lon_offset
        self.parts: list[bytes] = []
        self.length = 0
        self.id_slots: list[tuple[int, int, int]] = []  # (position, original id, bytes)
        self.is_nodes = False
        self.template = np.zeros(0, dtype=np.uint8)

    def add(self, piece: bytes, original: int | None = None, zigzag: bool = False) -> None:
        """Append bytes, or an id slot (``original`` shifted per copy)."""
        if original is None:
            self.parts.append(piece)
        else:
            size = ZIGZAG_BYTES if zigzag else ID_BYTES
            self.id_slots.append((self.length, original, size))
            self.parts.append(bytes(size))
        self.length += len(self.parts[-1])

    def close(self) -> None:
        body = b"".join(self.parts)
        group = _field(2, body)
        offset = len(self.head) + len(group) - len(body)
        self.template = np.frombuffer(self.head + group, dtype=np.uint8).copy()
        slots = np.array(self.id_slots, dtype=np.int64).reshape(-1, 3)
        self.positions = slots[:, 0] + offset
        self.originals = slots[:, 1]
        self.sizes = slots[:, 2]
        self.parts = []

    def shifted(self, copy: int, lon_nano: int, lat_nano: int) -> bytes:
        data = self.template.copy()
        values = ID_BASE + copy * ID_STEP + self.originals
        for size, zigzag in ((ID_BYTES, False), (ZIGZAG_BYTES, True)):
            chosen = self.sizes == size
            if chosen.any():
                v = values[chosen] * 2 if zigzag else values[chosen]
                where = self.positions[chosen][:, None] + np.arange(size)
                data[where] = _fixed_varints(v, size)
        return (
            data.tobytes()
            + _number(17, self.granularity)
            + _number(19, self.lat_offset + lat_nano)
            + _number(20, self.lon_offset + lon_nano)
        )


def _parse_block(data: bytes) -> list[_Block]:
    """The node and way groups of a ``PrimitiveBlock`` (one block each; relations dropped)."""
    head = b""
    granularity, lat_offset, lon_offset = 100, 0, 0
    groups: list[bytes] = []
    for field, _, value, raw in _fields(data):
        if field == 1:
            head += raw
        elif field == 2 and isinstance(value, bytes):
            groups.append(value)
        elif field == 17 and isinstance(value, int):
            granularity = value
        elif field == 19 and isinstance(value, int):
            lat_offset = value - (1 << 64) if value >= 1 << 63 else value
        elif field == 20 and isinstance(value, int):
            lon_offset = value - (1 << 64) if value >= 1 << 63 else value
    blocks = []
    for group in groups:
        block = _Block(head, granularity, lat_offset, lon_offset)
        for field, _, value, _raw in _fields(group):
            if field == 2 and isinstance(value, bytes):
                block.is_nodes = True
                _add_dense(block, value)
            elif field == 3 and isinstance(value, bytes):
                _add_way(block, value)
            elif field == 1:
                raise ValueError("plain (non-dense) nodes are not tiled")
        if block.id_slots:
            block.close()
            blocks.append(block)
    return blocks


def _add_dense(block: _Block, dense: bytes) -> None:
    rest = b""
    for sub, _, value, raw in _fields(dense):
        if sub == 1 and isinstance(value, bytes):
            first, pos = _pbf._py_varint(value, 0)
            ids_rest = value[pos:]
        else:
            rest += raw
    ids_head = _varint(1 << 3 | 2) + _varint(ZIGZAG_BYTES + len(ids_rest))
    size = len(ids_head) + ZIGZAG_BYTES + len(ids_rest) + len(rest)
    block.add(_varint(2 << 3 | 2) + _varint(size) + ids_head)
    block.add(b"", _unzigzag(first), zigzag=True)
    block.add(ids_rest + rest)


def _add_way(block: _Block, way: bytes) -> None:
    way_id, other, first, rest = 0, b"", 0, b""
    for field, _, value, raw in _fields(way):
        if field == 1 and isinstance(value, int):
            way_id = value
        elif field == 8 and isinstance(value, bytes) and value:
            raw_first, pos = _pbf._py_varint(value, 0)
            first, rest = _unzigzag(raw_first), value[pos:]
        elif field != 8:
            other += raw
    refs_size = ZIGZAG_BYTES + len(rest)
    refs_head = _varint(8 << 3 | 2) + _varint(refs_size)
    size = 1 + ID_BYTES + len(other) + len(refs_head) + refs_size
    block.add(_varint(3 << 3 | 2) + _varint(size) + _varint(1 << 3))
    block.add(b"", way_id)
    block.add(other + refs_head)
    block.add(b"", first, zigzag=True)
    block.add(rest)


def _blob(kind: bytes, payload: bytes) -> bytes:
    blob = _number(2, len(payload)) + _field(3, zlib.compress(payload))
    header = _field(1, kind) + _number(3, len(blob))
    return struct.pack(">I", len(header)) + header + blob


def _header() -> bytes:
    payload = (
        _field(4, b"OsmSchema-V0.6")
        + _field(4, b"DenseNodes")
        + _field(16, b"maillage benchmarks/_pbf_tiling.py")
    )
    return _blob(b"OSMHeader", payload)


def _source_blocks(source: Path) -> list[_Block]:
    blocks = []
    with source.open("rb") as stream:
        for _, _, blob in _pbf._raw_blobs(stream):
            blocks.extend(_parse_block(_pbf._inflate(blob)))
    return blocks


def new_id(original: int | np.ndarray, copy: int) -> int | np.ndarray:  # type: ignore[type-arg]
    """Id of a node or way of ``copy`` in the tiled file."""
    return ID_BASE + copy * ID_STEP + original


def tile_pbf(
    source: str | Path,
    target: str | Path,
    columns: int,
    rows: int,
    graph: RoadGraph,
    *,
    links: int = 25,
    on_copy: Callable[[int], None] | None = None,
) -> dict[str, float]:
    """Write ``columns × rows`` shifted copies of ``source`` joined by road links.

    ``graph`` is the road graph of ``source``: its extent spaces the copies (plus
    :data:`GAP_DEGREES`) and its nodes are the links' ends. Returns the size of the
    written file (``megabytes``) and the copies' spacing (``dlon``, ``dlat``, degrees).
    """
    source, target = Path(source), Path(target)
    blocks = _source_blocks(source)
    if max(int(b.originals.max()) for b in blocks) >= ID_STEP:
        raise ValueError("source ids too large for ID_STEP")
    if ID_BASE + (columns * rows + 1) * ID_STEP >= 1 << (7 * ID_BYTES):
        raise ValueError(f"too many copies for {ID_BYTES}-byte ids")
    dlon = round(float(np.ptp(graph.lon)) + GAP_DEGREES, 4)
    dlat = round(float(np.ptp(graph.lat)) + GAP_DEGREES, 4)
    cells = [(i, j) for i in range(rows) for j in range(columns)]
    node_blocks = [b for b in blocks if b.is_nodes]
    way_blocks = [b for b in blocks if not b.is_nodes]
    with target.open("wb") as out, ThreadPoolExecutor(2) as pool:
        out.write(_header())
        for kind in (node_blocks, way_blocks):
            for k, (i, j) in enumerate(cells):
                lon_nano = round(j * dlon * 1e7) * 100
                lat_nano = round(i * dlat * 1e7) * 100
                payloads = [block.shifted(k, lon_nano, lat_nano) for block in kind]
                for blob in pool.map(partial(_blob, b"OSMData"), payloads):
                    out.write(blob)
                if on_copy is not None:
                    on_copy(k)
        out.write(_blob(b"OSMData", _links(graph, cells, columns, rows, links)))
    return {"megabytes": target.stat().st_size / 1e6, "dlon": dlon, "dlat": dlat}


def _links(
    graph: RoadGraph, cells: list[tuple[int, int]], columns: int, rows: int, links: int
) -> bytes:
    """A block of two-node ``highway=secondary`` ways joining neighbouring copies."""
    east = np.argsort(graph.lon)[-links:]
    west = np.argsort(graph.lon)[:links]
    north = np.argsort(graph.lat)[-links:]
    south = np.argsort(graph.lat)[:links]
    east, west = east[np.argsort(graph.lat[east])], west[np.argsort(graph.lat[west])]
    north, south = north[np.argsort(graph.lon[north])], south[np.argsort(graph.lon[south])]
    slot = {cell: k for k, cell in enumerate(cells)}
    strings = _field(1, b"") + _field(1, b"highway") + _field(1, b"secondary")
    strings += _field(1, b"name") + _field(1, b"Liaison entre copies")
    ways = []
    way_id = int(new_id(0, len(cells)))
    for (i, j), k in slot.items():
        pairs = []
        if j + 1 < columns:
            pairs.append((east, west, slot[(i, j + 1)]))
        if i + 1 < rows:
            pairs.append((north, south, slot[(i + 1, j)]))
        for ends_a, ends_b, other in pairs:
            for a, b in zip(ends_a.tolist(), ends_b.tolist(), strict=True):
                first = int(new_id(int(graph.node_id[a]), k))
                second = int(new_id(int(graph.node_id[b]), other))
                refs = _varint(_zigzag(first)) + _varint(_zigzag(second - first))
                body = (
                    _number(1, way_id)
                    + _field(2, _varint(1) + _varint(3))
                    + _field(3, _varint(2) + _varint(4))
                    + _field(8, refs)
                )
                ways.append(_field(3, body))
                way_id += 1
    return _field(1, strings) + _field(2, b"".join(ways))
