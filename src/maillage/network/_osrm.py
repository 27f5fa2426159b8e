"""Feed OSRM the very graph maillage builds, to check times against it (private).

:func:`prepare_osrm` writes the drivable ways kept by maillage, each tagged with its
forward / backward speed, and runs ``osrm-extract`` and ``osrm-contract`` (from the
``osrm-bindings`` package) with :data:`PROFILE`, a car profile that reads those speeds
and adds no turn, traffic-signal or U-turn penalty. OSRM then answers on the same
graph with the same speeds; it still rounds every segment to 0.1 s and measures
lengths on its own sphere, so its times differ by a fraction of a per cent.
"""

from __future__ import annotations

import subprocess
import sys
from os import PathLike
from pathlib import Path

import numpy as np

from maillage.network._pbf import stream_drivable_ways

PROFILE = """
api_version = 4
function setup()
  return {
    properties = {
      weight_name = 'duration',
      u_turn_penalty = 0,
      traffic_signal_penalty = 0,
      continue_straight_at_waypoint = false,
      use_turn_restrictions = false,
      max_speed_for_map_matching = 300/3.6,
    },
    default_mode = mode.driving,
    default_speed = 10,
  }
end
function process_node(profile, node, result, relations) end
function process_way(profile, way, result, relations)
  local f = tonumber(way:get_value_by_key('maillage:forward'))
  local b = tonumber(way:get_value_by_key('maillage:backward'))
  if not f and not b then return end
  result.forward_mode = f and mode.driving or mode.inaccessible
  result.backward_mode = b and mode.driving or mode.inaccessible
  if f then result.forward_speed = f end
  if b then result.backward_speed = b end
end
function process_turn(profile, turn)
  turn.duration = 0
  turn.weight = 0
end
return {
  setup = setup, process_way = process_way, process_node = process_node,
  process_turn = process_turn
}
"""


def prepare_osrm(pbf_path: str | PathLike[str], folder: str | PathLike[str]) -> Path:
    """Write maillage's ways with their speeds, run osrm-extract and osrm-contract.

    Returns the ``.osrm`` base path to open with ``osrm.OSRM(storage_config=...,
    use_shared_memory=False)``.
    """
    return contract_osrm(write_osrm_input(pbf_path, folder))


def write_osrm_input(pbf_path: str | PathLike[str], folder: str | PathLike[str]) -> Path:
    """Write the drivable ways maillage keeps, tagged with its speeds, for OSRM."""
    import osmium

    work = Path(folder)
    work.mkdir(parents=True, exist_ok=True)
    ways = stream_drivable_ways(pbf_path)
    valid = np.isfinite(ways.lon)
    refs, first = np.unique(ways.node_ref[valid], return_index=True)
    lon, lat = ways.lon[valid][first], ways.lat[valid][first]
    out = work / "roads.osm.pbf"
    out.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(out)) as writer:
        for ref, x, y in zip(refs.tolist(), lon.tolist(), lat.tolist(), strict=True):
            writer.add_node(osmium.osm.mutable.Node(id=ref, location=(x, y)))
        for k in range(ways.way_id.size):
            tags = {"highway": ways.highway[k]}
            if np.isfinite(ways.forward_kph[k]):
                tags["maillage:forward"] = repr(float(ways.forward_kph[k]))
            if np.isfinite(ways.backward_kph[k]):
                tags["maillage:backward"] = repr(float(ways.backward_kph[k]))
            nodes = ways.node_ref[ways.offsets[k] : ways.offsets[k + 1]].tolist()
            writer.add_way(osmium.osm.mutable.Way(id=int(ways.way_id[k]), nodes=nodes, tags=tags))
    return out


def contract_osrm(roads: Path) -> Path:
    """OSRM's preprocessing of a file from :func:`write_osrm_input`: ``osrm-extract``
    with :data:`PROFILE`, then ``osrm-contract`` (its contraction hierarchy)."""
    profile = roads.parent / "maillage.lua"
    profile.write_text(PROFILE)
    for command in (
        ["extract", "-p", str(profile), str(roads)],
        ["contract", str(roads.parent / "roads.osrm")],
    ):
        subprocess.run([sys.executable, "-m", "osrm", *command], check=True, capture_output=True)
    return roads.parent / "roads.osrm"
