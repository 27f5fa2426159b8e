"""Read the drivable ways of an OpenStreetMap extract: tag rules and default speeds.

The rules mirror the car profile of OSRM (``profiles/car.lua`` of osrm-backend, the
engine behind INSEE's Metric distancier), simplified to what changes a travel time:

* drivable ``highway`` classes and their default speeds: :data:`DEFAULT_SPEED_KPH`,
  the ``speeds.highway`` table of OSRM's car profile (osrm-backend 5.x / 26.x);
* a tagged ``maxspeed`` (or ``maxspeed:forward`` / ``maxspeed:backward``) replaces the
  default, multiplied by :data:`MAXSPEED_FACTOR` (OSRM's ``speed_reduction``: a legal
  limit is a ceiling, not the speed driven);
* excluded: ferries (``route=ferry``), ``area=yes``, ``access`` / ``vehicle`` /
  ``motor_vehicle`` / ``motorcar`` in :data:`NO_ACCESS_VALUES` (private, no, …),
  ``service=emergency_access``, ``impassable=yes``, reversible one-ways;
* one-way: ``oneway=yes|1|true|-1``, implied on motorways and roundabouts.

Unlike OSRM, turn penalties, traffic signals and surface speeds are not modelled: the
graph is a plain directed graph weighted by minutes, so that any Dijkstra agrees with it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import numpy.typing as npt

from maillage._progress import progress

#: Default speed (km/h) of each drivable ``highway`` class, from OSRM's car profile
#: (``speeds.highway`` in ``profiles/car.lua``, osrm-backend). Ways of other classes
#: (track, path, construction, …) are not drivable.
DEFAULT_SPEED_KPH: dict[str, float] = {
    "motorway": 90.0,
    "motorway_link": 45.0,
    "trunk": 85.0,
    "trunk_link": 40.0,
    "primary": 65.0,
    "primary_link": 30.0,
    "secondary": 55.0,
    "secondary_link": 25.0,
    "tertiary": 40.0,
    "tertiary_link": 20.0,
    "unclassified": 25.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
}

#: Share of a tagged ``maxspeed`` actually driven (OSRM car profile ``speed_reduction``).
MAXSPEED_FACTOR = 0.8

#: Values of the access tags (``motorcar`` > ``motor_vehicle`` > ``vehicle`` > ``access``,
#: the first one present wins) that close a way to the public's cars. ``destination``,
#: ``customers``, ``delivery`` and ``residents`` stay open: people who live there drive them.
NO_ACCESS_VALUES = frozenset(
    {
        "no",
        "private",
        "agricultural",
        "forestry",
        "emergency",
        "psv",
        "bus",
        "taxi",
        "military",
        "official",
        "restricted",
        "permit",
    }
)

_ACCESS_HIERARCHY = ("motorcar", "motor_vehicle", "vehicle", "access")

#: The only keys :func:`way_speeds` reads: ways equal on these get the same speeds.
RULE_KEYS = (
    "highway",
    "route",
    "area",
    *_ACCESS_HIERARCHY,
    "service",
    "impassable",
    "oneway",
    "maxspeed",
    "maxspeed:forward",
    "maxspeed:backward",
    "junction",
)

#: Zone speeds of ``maxspeed=XX:zone`` values (km/h), from OSRM's ``maxspeed_table``.
_MAXSPEED_ZONES: dict[str, float] = {
    "fr:urban": 50.0,
    "fr:rural": 80.0,
    "fr:motorway": 130.0,
    "fr:zone30": 30.0,
    "fr:zone20": 20.0,
    "fr:walk": 6.0,
    "urban": 50.0,
    "rural": 90.0,
    "trunk": 110.0,
    "motorway": 130.0,
    "none": 140.0,
    "walk": 6.0,
}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|knots|km/h|kmh|kph)?\s*$")

#: Mean Earth radius (m), IUGG, for haversine lengths of segments.
EARTH_RADIUS_M = 6_371_008.8


def parse_maxspeed(value: str | None) -> float:
    """Parse an OSM ``maxspeed`` value into km/h, NaN when unknown.

    Parameters
    ----------
    value
        The tag value, e.g. ``"50"``, ``"30 mph"``, ``"FR:rural"``.

    Returns
    -------
    float
        The speed in km/h, or NaN when the value is missing or not understood.

    Examples
    --------
    >>> parse_maxspeed("50"), parse_maxspeed("30 mph"), parse_maxspeed("FR:rural")
    (50.0, 48.28032, 80.0)
    >>> parse_maxspeed("signals")
    nan
    """
    if not value:
        return math.nan
    text = value.strip().lower().split(";")[0]
    match = _NUMBER.match(text)
    if match:
        number = float(match.group(1))
        unit = match.group(2)
        if unit == "mph":
            number *= 1.609344
        elif unit == "knots":
            number *= 1.852
        return round(number, 6) if number > 0 else math.nan
    if text in _MAXSPEED_ZONES:
        return _MAXSPEED_ZONES[text]
    zone = text.split(":")[-1]
    return _MAXSPEED_ZONES.get(zone, math.nan)


def way_speeds(tags: dict[str, str]) -> tuple[float, float] | str:
    """Forward and backward speed (km/h, NaN = not allowed) of a way, or why it is cut.

    Parameters
    ----------
    tags
        The OSM tags of the way.

    Returns
    -------
    tuple of float, or str
        ``(forward_kph, backward_kph)`` for a drivable way, else the reason it is
        excluded (one of ``"non carrossable"``, ``"bac"``, ``"accès interdit"``,
        ``"surface"``, ``"sens alterné"``).

    Examples
    --------
    >>> way_speeds({"highway": "primary", "oneway": "yes"})
    (65.0, nan)
    >>> way_speeds({"highway": "residential", "maxspeed": "30"})
    (24.0, 24.0)
    >>> way_speeds({"highway": "service", "access": "private"})
    'accès interdit'
    """
    if tags.get("route") == "ferry":
        return "bac"
    highway = tags.get("highway", "")
    if highway not in DEFAULT_SPEED_KPH:
        return "non carrossable"
    if tags.get("area") == "yes":
        return "surface"
    for key in _ACCESS_HIERARCHY:
        if key in tags:
            if tags[key] in NO_ACCESS_VALUES:
                return "accès interdit"
            break
    if tags.get("service") == "emergency_access" or tags.get("impassable") == "yes":
        return "accès interdit"
    oneway = tags.get("oneway", "")
    if oneway in ("reversible", "alternating"):
        return "sens alterné"
    default = DEFAULT_SPEED_KPH[highway]
    common = parse_maxspeed(tags.get("maxspeed"))
    forward_limit = parse_maxspeed(tags.get("maxspeed:forward"))
    backward_limit = parse_maxspeed(tags.get("maxspeed:backward"))
    forward_limit = common if math.isnan(forward_limit) else forward_limit
    backward_limit = common if math.isnan(backward_limit) else backward_limit
    forward = default if math.isnan(forward_limit) else forward_limit * MAXSPEED_FACTOR
    backward = default if math.isnan(backward_limit) else backward_limit * MAXSPEED_FACTOR
    if oneway in ("yes", "1", "true"):
        backward = math.nan
    elif oneway == "-1":
        forward = math.nan
    elif oneway != "no" and (
        highway == "motorway" or tags.get("junction") in ("roundabout", "circular")
    ):
        backward = math.nan
    return (round(forward, 9), round(backward, 9))


@dataclass
class ParsedWays:
    """Drivable ways of an extract, flattened (private exchange format)."""

    way_id: npt.NDArray[np.int64]
    highway: list[str]
    name: list[str]
    ref: list[str]
    forward_kph: npt.NDArray[np.float64]
    backward_kph: npt.NDArray[np.float64]
    #: offsets of each way's nodes in the flat node arrays (length = ways + 1)
    offsets: npt.NDArray[np.int64]
    node_ref: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    excluded: dict[str, int] = field(default_factory=dict)
    #: optional: the distinct node ids (sorted) and each reference's row among them, when
    #: the reader has them at hand (``np.unique(node_ref, return_inverse=True)``)
    node_index: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None


#: A missing location in :class:`CompactWays` (as osmium's ``Location`` undefined value).
MISSING = np.iinfo(np.int32).min


@dataclass
class CompactWays:
    """What the graph build needs of :class:`ParsedWays`, in far less memory (private).

    Every node reference is a row (``int32``) in the sorted distinct node ids; locations
    are kept once per distinct node, as the 1e-7 degree integers OSM stores
    (:data:`MISSING` where the file has none); each text column of the ways (``name``,
    ``ref``, ``highway``) is its distinct values and one code per way.
    """

    way_id: npt.NDArray[np.int64]
    forward_kph: npt.NDArray[np.float64]
    backward_kph: npt.NDArray[np.float64]
    offsets: npt.NDArray[np.int64]
    node_row: npt.NDArray[np.int32]
    node_id: npt.NDArray[np.int64]
    x: npt.NDArray[np.int32]
    y: npt.NDArray[np.int32]
    text: dict[str, tuple[list[str], npt.NDArray[np.int32]]]
    excluded: dict[str, int] = field(default_factory=dict)


def valid_location(x: npt.NDArray[np.int32], y: npt.NDArray[np.int32]) -> npt.NDArray[np.bool_]:
    """Whether 1e-7 degree integers are a valid location (as osmium's ``Location.valid()``).

    Examples
    --------
    >>> valid_location(np.array([10, MISSING], np.int32), np.array([5, 0], np.int32))
    array([ True, False])
    """
    return np.asarray(
        (np.abs(x.astype(np.int64)) <= 1_800_000_000) & (np.abs(y.astype(np.int64)) <= 900_000_000)
    )


def intern_texts(texts: list[str]) -> tuple[list[str], npt.NDArray[np.int32]]:
    """Distinct values of ``texts`` (in order of first appearance) and each one's code.

    Examples
    --------
    >>> intern_texts(["a", "b", "a"])
    (['a', 'b'], array([0, 1, 0], dtype=int32))
    """
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(text, len(index)) for text in texts), dtype=np.int32, count=len(texts)
    )
    return list(index), codes


def compact(ways: ParsedWays) -> CompactWays:
    """The :class:`CompactWays` of :class:`ParsedWays` (for the osmium reader's output).

    Examples
    --------
    >>> parsed = ParsedWays(np.array([7]), ["primary"], [""], [""], np.array([65.0]),
    ...                     np.array([65.0]), np.array([0, 3]), np.array([5, 3, 5]),
    ...                     np.array([1.5, 2.0, 1.5]), np.array([4.0, 4.5, 4.0]))
    >>> c = compact(parsed)
    >>> c.node_id.tolist(), c.node_row.tolist(), c.x.tolist()
    ([3, 5], [1, 0, 1], [20000000, 15000000])
    """
    if ways.node_index is not None:
        node_id, rows = ways.node_index
    else:
        node_id, rows = np.unique(ways.node_ref, return_inverse=True)
    row_type = np.int32 if node_id.size < 2**31 else np.int64
    x = np.full(node_id.size, MISSING, dtype=np.int32)
    y = np.full(node_id.size, MISSING, dtype=np.int32)
    located = np.isfinite(ways.lon) & np.isfinite(ways.lat)
    x[rows[located]] = np.rint(ways.lon[located] * 1e7).astype(np.int32)
    y[rows[located]] = np.rint(ways.lat[located] * 1e7).astype(np.int32)
    return CompactWays(
        way_id=ways.way_id,
        forward_kph=ways.forward_kph,
        backward_kph=ways.backward_kph,
        offsets=ways.offsets,
        node_row=rows.reshape(-1).astype(row_type),
        node_id=node_id,
        x=x,
        y=y,
        text={
            "name": intern_texts(ways.name),
            "ref": intern_texts(ways.ref),
            "highway": intern_texts(ways.highway),
        },
        excluded=ways.excluded,
    )


def read_drivable_ways(pbf_path: str | PathLike[str]) -> ParsedWays:
    """Read the drivable ways of an OSM file with their node locations (osmium)."""
    import osmium

    way_ids: list[int] = []
    highways: list[str] = []
    names: list[str] = []
    refs: list[str] = []
    forward: list[float] = []
    backward: list[float] = []
    offsets: list[int] = [0]
    node_refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    excluded: dict[str, int] = {}
    processor = (
        osmium.FileProcessor(str(pbf_path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway", "route"))
    )
    for obj in progress(processor, description=f"Lecture de {Path(pbf_path).name}", unit="objet"):
        if not isinstance(obj, osmium.osm.Way):
            continue
        tags = dict(obj.tags)
        if "highway" not in tags and tags.get("route") != "ferry":
            continue
        speeds = way_speeds(tags)
        if isinstance(speeds, str):
            excluded[speeds] = excluded.get(speeds, 0) + 1
            continue
        for node in obj.nodes:
            location = node.location
            node_refs.append(node.ref)
            if location.valid():
                lons.append(location.lon)
                lats.append(location.lat)
            else:
                lons.append(math.nan)
                lats.append(math.nan)
        way_ids.append(obj.id)
        highways.append(tags["highway"])
        names.append(tags.get("name", ""))
        refs.append(tags.get("ref", ""))
        forward.append(speeds[0])
        backward.append(speeds[1])
        offsets.append(len(node_refs))
    return ParsedWays(
        way_id=np.asarray(way_ids, dtype=np.int64),
        highway=highways,
        name=names,
        ref=refs,
        forward_kph=np.asarray(forward, dtype=np.float64),
        backward_kph=np.asarray(backward, dtype=np.float64),
        offsets=np.asarray(offsets, dtype=np.int64),
        node_ref=np.asarray(node_refs, dtype=np.int64),
        lon=np.asarray(lons, dtype=np.float64),
        lat=np.asarray(lats, dtype=np.float64),
        excluded=excluded,
    )


def haversine_m(
    lon1: npt.NDArray[np.float64],
    lat1: npt.NDArray[np.float64],
    lon2: npt.NDArray[np.float64],
    lat2: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Great-circle distance in metres (haversine, mean Earth radius).

    Examples
    --------
    >>> import numpy as np
    >>> one_degree = haversine_m(np.array([0.0]), np.array([0.0]), np.array([0.0]), np.array([1.0]))
    >>> round(float(one_degree[0]), 1)
    111195.1
    """
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlambda = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0))))
