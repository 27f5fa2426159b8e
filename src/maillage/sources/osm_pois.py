"""Read services from an OpenStreetMap extract (``.osm.pbf``) with pyosmium.

Every node, way and multipolygon relation whose tags match one of the typology's OSM
rules (:meth:`~maillage.services.typology.Typology.osm_rules`, most specific first, the
first match wins) becomes a service point:

* a node at its location;
* a way (a building outline, closed or not) at the mean of its nodes' locations, the
  repeated closing node counted once;
* a multipolygon relation at the mean of the nodes of its outer rings (through
  pyosmium's area assembly). A matching relation that is not a valid multipolygon
  (a ``type=site``, a broken ring) is rejected, listed with its id.

``service_id`` is ``osm:<type>/<id>`` (``osm:node/123``), ``source_type`` the matching
tags (``amenity=pharmacy``), ``name`` the ``name`` tag, ``opening_hours`` parsed from
the tag of the same name (an unreadable value keeps the service without hours, with a
warning naming the object). ``line`` is NA: rejected rows and warnings name the object
(``node/123``) in ``valeur`` or in the text.

The commune is the one whose point (from the commune table) is nearest: an
approximation, wrong near boundaries. France's territories are tested with boxes
(:data:`~maillage.sources._checks.FRANCE_BOXES_WGS84`): a point outside them (Malta,
the Channel Islands...) is rejected unless ``france_only=False``. Monaco and Andorra lie
inside the metropolitan box: their objects are kept and given the nearest French commune
(Beausoleil, Cap-d'Ail...); objects farther than :data:`FAR_FROM_COMMUNE_KM` from any
commune point (most of Andorra) get a warning listing them. Clip the extract to the
territory studied to avoid them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
from osmium.filter import KeyFilter

from maillage._errors import InputFileError
from maillage.services.schema import SourceResult, build_services, empty_services
from maillage.services.typology import Typology, load_typology
from maillage.sources._checks import in_france
from maillage.sources._locate import nearest_commune
from maillage.sources._report import Rejections
from maillage.sources.generic import (
    commune_points,
    match_osm_tags,
    parse_osm_hours,
)

SOURCE = "osm"
#: Beyond this distance to the nearest commune point, the commune given is doubtful.
FAR_FROM_COMMUNE_KM = 5.0


@dataclass
class _Found:
    """Objects of the extract that match a rule, before checks."""

    objects: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    names: list[str | None] = field(default_factory=list)
    hours: list[str | None] = field(default_factory=list)
    seasonal: list[str | None] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)

    def add(
        self,
        name: str,
        code: str,
        rules: list[tuple[dict[str, str], str]],
        tags: osmium.osm.TagList,
        lon: float,
        lat: float,
    ) -> None:
        self.objects.append(name)
        self.types.append(code)
        matched = next(cond for cond, c in rules if c == code and _holds(cond, tags))
        self.tags.append(";".join(f"{k}={v}" for k, v in matched.items()))
        self.names.append(tags.get("name"))
        self.hours.append(tags.get("opening_hours"))
        self.seasonal.append(tags.get("seasonal"))
        self.lon.append(lon)
        self.lat.append(lat)


def _holds(conditions: dict[str, str], tags: osmium.osm.TagList) -> bool:
    return all(tags.get(k) == v for k, v in conditions.items())


def _mean_location(locations: list[osmium.osm.Location]) -> tuple[float, float] | None:
    valid = [(loc.lon, loc.lat) for loc in locations if loc.valid()]
    if len(valid) > 1 and valid[0] == valid[-1]:
        valid = valid[:-1]
    if not valid:
        return None
    lon, lat = np.mean(np.array(valid), axis=0)
    return float(lon), float(lat)


def _scan(path: Path, rules: list[tuple[dict[str, str], str]]) -> _Found:
    keys = sorted({key for conditions, _ in rules for key in conditions})
    found = _Found()
    relations: dict[int, str] = {}
    assembled: set[int] = set()
    processor = (
        osmium.FileProcessor(str(path)).with_locations().with_areas().with_filter(KeyFilter(*keys))
    )
    for obj in processor:
        if isinstance(obj, osmium.osm.Changeset):
            continue
        code = match_osm_tags(dict(obj.tags), rules)
        if code is None:
            continue
        if isinstance(obj, osmium.osm.Node):
            found.add(f"node/{obj.id}", code, rules, obj.tags, obj.location.lon, obj.location.lat)
        elif isinstance(obj, osmium.osm.Way):
            where = _mean_location([node.location for node in obj.nodes])
            if where is None:
                found.unplaced.append(f"way/{obj.id}")
            else:
                found.add(f"way/{obj.id}", code, rules, obj.tags, *where)
        elif isinstance(obj, osmium.osm.Relation):
            relations[obj.id] = code
        elif isinstance(obj, osmium.osm.Area) and not obj.from_way():
            where = _mean_location([ref.location for ring in obj.outer_rings() for ref in ring])
            if where is not None:
                assembled.add(obj.orig_id())
                found.add(f"relation/{obj.orig_id()}", code, rules, obj.tags, *where)
    found.unplaced += [f"relation/{rid}" for rid in relations if rid not in assembled]
    return found


def read_osm_pois(
    path: str | PathLike[str],
    *,
    typology: Typology | None = None,
    communes: pd.DataFrame | None = None,
    france_only: bool = True,
) -> SourceResult:
    """Read the services of an OpenStreetMap extract into the common service schema.

    Parameters
    ----------
    path
        An ``.osm.pbf`` (or ``.osm``/``.osm.bz2``) extract, e.g. from Geofabrik.
    typology
        The typology whose OSM rules select and type the objects (shipped by default).
    communes
        Commune table with ``commune, lon, lat`` (default:
        :func:`~maillage.sources.communes.read_communes`).
    france_only
        Reject the objects outside France's territories (default); with ``False``
        they are kept without commune.

    Returns
    -------
    SourceResult
        ``rows_read`` counts the matching objects; objects that match no rule are not
        services and are not counted.

    Raises
    ------
    InputFileError
        Missing or unreadable file.

    Examples
    --------
    A one-node extract written on the spot:

    >>> import tempfile
    >>> pbf = Path(tempfile.mkdtemp()) / "mini.osm.pbf"
    >>> with osmium.SimpleWriter(str(pbf)) as writer:
    ...     writer.add_node(osmium.osm.mutable.Node(id=1, location=(6.3486, 45.2769),
    ...                     tags={"amenity": "pharmacy", "opening_hours": "Mo-Sa 09:00-19:00"}))
    >>> s = read_osm_pois(pbf).services
    >>> s[["service_id", "type", "source_type", "commune", "hours_per_week"]].to_dict("records")
    [{'service_id': 'osm:node/1', 'type': 'D307', 'source_type': 'amenity=pharmacy', \
'commune': '73248', 'hours_per_week': 60.0}]
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(
            "fichier introuvable", path=path, fix="vérifiez le chemin et le nom du fichier"
        )
    typology = typology or load_typology()
    rules = typology.osm_rules()
    try:
        found = _scan(path, rules)
    except RuntimeError as err:
        raise InputFileError(
            f"extrait OpenStreetMap illisible ({err})",
            path=path,
            fix="téléchargez de nouveau l'extrait (.osm.pbf), par exemple sur "
            "download.geofabrik.de",
        ) from None
    rejections = Rejections(path)
    rejections.rows_read = len(found.objects) + len(found.unplaced)
    for name in found.unplaced:
        rejections.reject(
            value=name,
            reason="objet OpenStreetMap sans position utilisable (relation qui n'est pas un "
            "multipolygone valide, ou nœuds absents de l'extrait)",
            fix="corrigez l'objet dans OpenStreetMap ou ajoutez le service à un fichier csv "
            "générique",
        )
    if not found.objects:
        rejections.check_balance(0)
        return SourceResult(
            services=empty_services(),
            rejected=rejections.frame(),
            warnings=list(rejections.warnings),
            rows_read=rejections.rows_read,
            path=str(rejections.path),
        )
    frame = pd.DataFrame(
        {
            "service_id": [f"{SOURCE}:{name}" for name in found.objects],
            "type": found.types,
            "source_type": found.tags,
            "name": pd.array(found.names, dtype="string"),
            "lon": found.lon,
            "lat": found.lat,
            "line": pd.array([pd.NA] * len(found.objects), dtype="Int64"),
            "__object": found.objects,
            "__hours": pd.array(found.hours, dtype="string"),
            "seasonal": pd.array(found.seasonal, dtype="string"),
        }
    )
    inside = in_france(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    if france_only and not inside.all():
        for _, row in frame.loc[~inside].iterrows():
            rejections.reject(
                value=f"{row['__object']} ({row['lon']:.5f} ; {row['lat']:.5f})",
                column="lon/lat",
                reason="objet hors de France (l'outil ne traite que les territoires français)",
                fix="utilisez un extrait OpenStreetMap de la France ou de la région étudiée, ou "
                "france_only=False pour garder ces objets sans commune",
            )
        frame = frame.loc[inside].reset_index(drop=True)
        inside = np.ones(len(frame), dtype=bool)
    points = commune_points(communes)
    frame["commune"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    codes, distance_m = nearest_commune(
        frame.loc[inside, "lon"].to_numpy(), frame.loc[inside, "lat"].to_numpy(), points
    )
    frame.loc[inside, "commune"] = codes
    far = frame.loc[inside, "__object"][distance_m > FAR_FROM_COMMUNE_KM * 1000.0]
    if len(far):
        listed = ", ".join(far.iloc[:20]) + (f" ... (+{len(far) - 20})" if len(far) > 20 else "")
        rejections.warn(
            f"{len(far)} objet(s) à plus de {FAR_FROM_COMMUNE_KM:g} km du point de commune le "
            "plus proche : commune incertaine (hors de France, en Andorre ou à Monaco ?)",
            value=listed,
            fix="vérifiez ces objets sur la carte ; découpez l'extrait au territoire étudié",
        )
    hours = parse_osm_hours(
        frame["__hours"], where=frame["__object"], column="opening_hours", rejections=rejections
    )
    frame["position"] = "source"
    return build_services(frame, source=SOURCE, rejections=rejections, hours=hours)
