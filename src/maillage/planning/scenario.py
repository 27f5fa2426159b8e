"""What-if scenarios: close, open or merge services, close roads, and compare the diagnostic.

A scenario is a TOML file (YAML too when PyYAML is installed) in French::

    nom = "Maurienne : regroupement et hiver"
    description = "Texte libre."
    fermer = ["fs:1570"]                  # identifiants de services à fermer

    [[ouvrir]]                            # un service à ouvrir
    type = "france-services"              # code BPE (A128), « france-services », « mairie »…
    commune = "73290"                     # à la mairie de la commune…
    # lon = 6.87                          # …ou à ces coordonnées WGS84
    # lat = 45.28
    nom = "France services Val-Cenis"
    heures_par_semaine = 24               # facultatif
    horaires = "Mo-Fr 09:00-12:00"        # facultatif, syntaxe OpenStreetMap

    [[fusionner]]                         # deux services (ou plus) en un seul
    services = ["fs:428", "fs:2823"]
    garder = "fs:2823"                    # le service gardé (ou commune = "…" : nouveau lieu)

    [routes]
    fermer = ["Col du Galibier"]          # nom, ref ou id OSM (il faut --reseau)

:func:`run_scenario` applies the changes to the services (and the road graphs), re-runs
:func:`~maillage.indicators.diagnostic.run_diagnostic` and compares the two: per season,
family and type, and threshold, the inhabitants who gain or lose a service within the
threshold; per commune, the time before and after. A scenario that changes nothing
changes no figure (both diagnostics are computed the same way).
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from shapely.geometry import Point

from maillage._config import key_lines, line_of, read_toml, validate
from maillage._errors import ConfigError, InputFileError, MaillageError
from maillage.indicators.diagnostic import Diagnostic, run_diagnostic
from maillage.indicators.settings import DiagnosticSettings
from maillage.network.model import Method, NetworkPair, RoadModel, TravelTimeModel
from maillage.notes import Note
from maillage.planning._sites import resolve_service_type, town_halls
from maillage.schema import SUMMER, WINTER
from maillage.services.schema import SERVICE_CRS
from maillage.services.typology import Typology, load_typology
from maillage.territory.territory import Territory

__all__ = [
    "CLOSE",
    "MERGE",
    "OPEN",
    "Merge",
    "NewService",
    "Scenario",
    "ScenarioResult",
    "apply_scenario",
    "compare_diagnostics",
    "read_scenario",
    "run_scenario",
]


#: The ``action`` of a change (:func:`apply_scenario`): a service closed, merged into
#: another, or opened; the outputs say them in French.
CLOSE, MERGE, OPEN = "close", "merge", "open"


@dataclass(frozen=True)
class NewService:
    """A service the scenario opens (``commune`` required; ``lon``/``lat`` optional, the
    commune's town hall otherwise).

    Examples
    --------
    >>> from maillage.study import Study
    >>> study = Study.builtin(buffer_km=0, builtin_sources=["mairies"])
    >>> opened = Scenario(name="Bessans", open=(NewService("A128", "73040", "FS Bessans"),))
    >>> services, changes = apply_scenario(opened, study.services, study.territory)
    >>> changes[["action", "type", "commune"]].to_dict("records")
    [{'action': 'open', 'type': 'A128', 'commune': '73040'}]
    """

    type: str
    commune: str
    name: str
    lon: float | None = None
    lat: float | None = None
    hours_per_week: float | None = None
    opening_hours: str | None = None


@dataclass(frozen=True)
class Merge:
    """Services merged into one: ``keep`` stays (the others close), or a new service of the
    first one's type opens at ``place``.

    Examples
    --------
    >>> from maillage.study import Study
    >>> study = Study.builtin(buffer_km=0, builtin_sources=["france_services"])
    >>> merged = Scenario(name="fusion", merge=(Merge(("fs:1570", "fs:428"), keep="fs:428"),))
    >>> services, changes = apply_scenario(merged, study.services, study.territory)
    >>> "fs:1570" in set(services["service_id"]), changes["service_id"].tolist()
    (False, ['fs:1570'])
    """

    services: tuple[str, ...]
    keep: str | None = None
    place: NewService | None = None


@dataclass(frozen=True)
class Scenario:
    """The changes of a scenario file.

    Examples
    --------
    >>> s = Scenario(name="rien")
    >>> s.is_empty
    True
    """

    name: str
    description: str = ""
    close: tuple[str, ...] = ()
    open: tuple[NewService, ...] = ()
    merge: tuple[Merge, ...] = ()
    close_roads: tuple[str, ...] = ()
    path: Path | None = None
    lines: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def is_empty(self) -> bool:
        """No change at all."""
        return not (self.close or self.open or self.merge or self.close_roads)


def _line_of(text: str, value: str) -> int | None:
    """The first line of ``text`` that quotes ``value`` (TOML does not give positions)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if f'"{value}"' in line or f"'{value}'" in line:
            return number
    return None


class _Place(BaseModel):
    """Where a service opens: a commune (its town hall) or WGS84 coordinates in it."""

    model_config = ConfigDict(extra="forbid")
    commune: str | int
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    nom: str = ""


class _Open(_Place):
    type: str
    heures_par_semaine: float | None = Field(default=None, ge=0, le=168)
    horaires: str | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str, info: ValidationInfo) -> str:
        typology = (info.context or {}).get("typology")
        if typology is not None:
            try:
                return resolve_service_type(value, typology)
            except MaillageError as err:
                raise ValueError(str(err)) from None
        return value


class _Merge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    services: list[str | int] = Field(min_length=2)
    garder: str | int | None = None
    commune: str | int | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    nom: str = ""


class _Roads(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fermer: list[str | int] = []


class _ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nom: str | None = None
    description: str = ""
    fermer: list[str | int] = []
    ouvrir: list[_Open] = []
    fusionner: list[_Merge] = []
    routes: _Roads = _Roads()

    @field_validator("fermer", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("ouvrir", "fusionner", mode="before")
    @classmethod
    def _one_table(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


_SCENARIO_FIX = "corrigez chaque clé citée (modèle commenté : exemples/scenario-maurienne.toml)"


def _cross_problems(document: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems spanning several keys of a table: lon without lat, what a merge keeps."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for table in ("ouvrir", "fusionner"):
        entries = document.get(table, [])
        entries = [entries] if isinstance(entries, dict) else entries
        if not isinstance(entries, list):
            continue
        for number, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            if ("lon" in entry) != ("lat" in entry):
                problems.append(
                    (
                        (table, number, "lon" if "lon" in entry else "lat"),
                        "lon et lat vont ensemble, en degrés WGS84 (ex. lon = 6.87, lat = 45.28)",
                    )
                )
            if table == "fusionner":
                problems += _merge_problems(entry, number)
    return problems


def _merge_problems(entry: dict[str, Any], number: int) -> list[tuple[tuple[str | int, ...], str]]:
    keep, listed = entry.get("garder"), entry.get("services", [])
    if keep is not None and isinstance(listed, list) and str(keep) not in map(str, listed):
        return [
            (
                ("fusionner", number, "garder"),
                f"« garder » ({keep}) n'est pas parmi les services fusionnés : gardez "
                "l'un d'eux, ou donnez une commune (nouveau lieu)",
            )
        ]
    if keep is None and "commune" not in entry:
        return [
            (
                ("fusionner", number),
                "indiquez « garder » (un des services) ou « commune » (nouveau lieu)",
            )
        ]
    return []


def read_scenario(path: str | PathLike[str], typology: Typology | None = None) -> Scenario:
    """Read and check a scenario file (``.toml``; ``.yaml``/``.yml`` with PyYAML).

    The whole file is checked at once: every problem is listed with its key, the line
    where it is written (TOML) and the fix.

    Raises
    ------
    InputFileError
        Missing or unreadable file.
    ConfigError
        Unknown keys, missing or badly typed values, impossible coordinates, an unknown
        service type: all of them, each with its key and line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "s.toml").write_text('nom = "essai"\\nfermer = ["fs:1570"]\\n')
    >>> read_scenario(folder / "s.toml").close
    ('fs:1570',)
    >>> _ = (folder / "b.toml").write_text('fermr = ["fs:1570"]\\n[[ouvrir]]\\ntype = "x"\\n')
    >>> read_scenario(folder / "b.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    maillage._errors.ConfigError: ...b.toml : 3 problème(s) de configuration :
      - ligne 1, clé « fermr » : clé inconnue (vouliez-vous dire « fermer » ?) ; ...
      - ligne 2, clé « ouvrir[0].commune » : clé obligatoire absente
      - ligne 3, clé « ouvrir[0].type » : ...
    """
    path = Path(path)
    typology = load_typology() if typology is None else typology
    if path.suffix.lower() in {".yaml", ".yml"}:
        text = _read_text(path)
        document = _parse(text, path)
    else:
        text, document = read_toml(path, what="scénario")
    checked = validate(
        _ScenarioFile,
        document,
        text=text,
        path=path,
        fix=_SCENARIO_FIX,
        context={"typology": typology},
        extra_problems=_cross_problems(document),
    )
    lines = key_lines(text)
    opened = tuple(
        NewService(
            type=entry.type,
            commune=str(entry.commune),
            name=entry.nom,
            lon=entry.lon,
            lat=entry.lat,
            hours_per_week=entry.heures_par_semaine,
            opening_hours=entry.horaires,
        )
        for entry in checked.ouvrir
    )
    merged = tuple(
        Merge(
            tuple(str(v) for v in entry.services),
            str(entry.garder) if entry.garder is not None else None,
            None
            if entry.garder is not None
            else NewService(
                type="?",
                commune=str(entry.commune),
                name=entry.nom,
                lon=entry.lon,
                lat=entry.lat,
            ),
        )
        for entry in checked.fusionner
    )
    close = tuple(str(v) for v in checked.fermer)
    found = {
        value: line
        for value in [*close, *(s for m in merged for s in m.services)]
        if (line := _line_of(text, value)) is not None
    }
    for table, count in (("ouvrir", len(opened)), ("fusionner", len(merged))):
        for number in range(count):
            line = line_of(lines, (table, number, "lon")) or line_of(lines, (table, number))
            if line is not None:
                found[f"{table}:{number}"] = line
    return Scenario(
        name=checked.nom if checked.nom is not None else path.stem,
        description=checked.description,
        close=close,
        open=opened,
        merge=merged,
        close_roads=tuple(str(v) for v in checked.routes.fermer),
        path=path,
        lines=found,
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError("fichier de scénario introuvable", path=path) from None
    except UnicodeDecodeError:
        raise InputFileError(
            "encodage illisible", path=path, fix="enregistrez-le en UTF-8"
        ) from None


def _parse(text: str, path: Path) -> dict[str, Any]:
    """A YAML scenario's document."""
    if importlib.util.find_spec("yaml") is None:
        raise InputFileError(
            "lecture YAML impossible : PyYAML n'est pas installé",
            path=path,
            fix="installez pyyaml ou écrivez le scénario en TOML",
        )
    import yaml

    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        raise InputFileError(
            "YAML illisible",
            path=path,
            line=line + 1 if line is not None else None,
            fix="corrigez la syntaxe YAML à cet endroit",
        ) from None
    if not isinstance(document, dict):
        raise InputFileError("le scénario doit être une table de clés", path=path)
    return document


#: Farthest an opened site may lie from the point of the nearest commune of the territory
#: or its ring (km). Commune points are a few km apart in metropolitan France; a site
#: farther than this is outside the study, or its longitude and latitude are swapped.
MAX_SITE_KM = 20.0


def check_site_coordinates(scenario: Scenario, territory: Territory) -> None:
    """Check that every site the scenario opens at coordinates lies in the territory or ring.

    A site farther than :data:`MAX_SITE_KM` from every commune point of the territory and
    its ring is refused; when swapping its longitude and latitude would put it inside,
    the message says they are swapped.

    Raises
    ------
    ConfigError
        Every misplaced site, with its line in the scenario file.

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> t = pays_de_maurienne()
    >>> check_site_coordinates(Scenario("ok", open=(NewService("A128", "73290", "x", 6.87,
    ...     45.28),)), t)
    >>> check_site_coordinates(Scenario("inversé", open=(NewService("A128", "73290", "x", 45.28,
    ...     6.87),)), t)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    maillage._errors.ConfigError: scénario : configuration invalide :
      - ouverture n°1 (x, commune 73290) : longitude et latitude inversées ...
    ...
    """
    from maillage.network._osm import haversine_m

    places = [(f"ouvrir:{n}", f"ouverture n°{n + 1}", s) for n, s in enumerate(scenario.open)]
    places += [
        (f"fusionner:{n}", f"fusion n°{n + 1}", m.place)
        for n, m in enumerate(scenario.merge)
        if m.place is not None
    ]
    communes = territory.all_communes()
    lon = communes["lon"].to_numpy(dtype=float)
    lat = communes["lat"].to_numpy(dtype=float)
    problems: list[str] = []
    lines: list[int | None] = []
    for key, label, place in places:
        if place.lon is None or place.lat is None:
            continue

        def nearest_km(x: float, y: float) -> float:
            size = len(lon)
            distance = haversine_m(np.full(size, x), np.full(size, y), lon, lat)
            return float(np.nanmin(distance)) / 1000.0

        if nearest_km(place.lon, place.lat) <= MAX_SITE_KM:
            continue
        where = f"{label} ({place.name or place.type}, commune {place.commune})"
        if nearest_km(place.lat, place.lon) <= MAX_SITE_KM:
            what = (
                f"longitude et latitude inversées (lon = {place.lon:g}, lat = {place.lat:g} "
                f"tombe hors du territoire ; lon = {place.lat:g}, lat = {place.lon:g} y serait) : "
                "échangez les valeurs de lon et lat"
            )
        else:
            what = (
                f"le point lon = {place.lon:g}, lat = {place.lat:g} est à plus de "
                f"{MAX_SITE_KM:g} km de toute commune du territoire et de sa couronne : "
                "vérifiez les coordonnées (degrés décimaux WGS84) ou la commune"
            )
        problems.append(f"{where} : {what}")
        lines.append(scenario.lines.get(key))
    if problems:
        texts = [
            f"ligne {line}, {text}" if line is not None else text
            for line, text in zip(lines, problems, strict=True)
        ]
        raise ConfigError(
            texts,
            path=scenario.path if scenario.path is not None else "scénario",
            fix="placez chaque site ouvert dans le territoire ou sa couronne",
            lines=lines,
        )


def apply_scenario(
    scenario: Scenario,
    services: gpd.GeoDataFrame,
    territory: Territory,
    *,
    typology: Typology | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The services after the scenario, and the table of what changed.

    Returns
    -------
    tuple
        The new service table (same columns and types) and ``changes``:
        ``action`` (``fermeture``, ``ouverture``, ``fusion``), ``service_id, type, name,
        commune, lon, lat``.

    Raises
    ------
    InputFileError
        A service id of the scenario that is not among the services (with its line).

    Examples
    --------
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> from maillage.services.catalogue import territory_services
    >>> t = pays_de_maurienne()
    >>> services = territory_services(t)
    >>> after, changes = apply_scenario(Scenario("x", close=("fs:1570",)), services, t)
    >>> len(services) - len(after), changes["action"].tolist()
    (1, ['close'])
    """
    typology = load_typology() if typology is None else typology
    check_site_coordinates(scenario, territory)
    known = set(services["service_id"].astype(str))
    referenced = [*scenario.close, *(s for m in scenario.merge for s in m.services)]
    missing = [s for s in dict.fromkeys(referenced) if s not in known]
    if missing:
        where = scenario.path if scenario.path is not None else "scénario"
        raise InputFileError(
            f"service(s) inconnu(s) du territoire : {', '.join(missing)}",
            path=where,
            line=scenario.lines.get(missing[0]),
            fix="reprenez l'identifiant (service_id) d'un service du territoire ou de sa "
            "couronne, colonne identifiant_service de csv/services.csv du dossier d'étude",
        )
    closed = set(scenario.close)
    new: list[NewService] = list(scenario.open)
    merged_rows = []
    by_id = services.assign(service_id=services["service_id"].astype(str)).set_index("service_id")
    for merge in scenario.merge:
        keep = merge.keep
        closed |= {s for s in merge.services if s != keep}
        if merge.place is not None:
            first = by_id.loc[merge.services[0]]
            place = merge.place
            new.append(
                NewService(
                    type=str(first["type"]),
                    commune=place.commune,
                    name=place.name or "Fusion de " + ", ".join(merge.services),
                    lon=place.lon,
                    lat=place.lat,
                    hours_per_week=_float(first["hours_per_week"]),
                    opening_hours=None
                    if pd.isna(first["opening_hours"])
                    else str(first["opening_hours"]),
                )
            )
        merged_rows += [(s, MERGE) for s in merge.services if s != keep]
    after = services[~services["service_id"].astype(str).isin(closed)]
    opened = _new_rows(new, services, territory, typology) if new else services.iloc[0:0]
    after = gpd.GeoDataFrame(
        pd.concat([after, opened], ignore_index=True), geometry="geometry", crs=services.crs
    )
    actions = {s: CLOSE for s in scenario.close} | dict(merged_rows)
    gone = by_id.loc[[s for s in by_id.index if s in actions]].reset_index()
    changes = pd.concat(
        [
            gone.assign(action=gone["service_id"].map(actions)),
            pd.DataFrame(opened.drop(columns="geometry")).assign(action=OPEN),
        ],
        ignore_index=True,
    )
    columns = ["action", "service_id", "type", "name", "commune", "lon", "lat"]
    return after, changes[columns].reset_index(drop=True)


def _float(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def _new_rows(
    new: list[NewService], services: gpd.GeoDataFrame, territory: Territory, typology: Typology
) -> gpd.GeoDataFrame:
    """New service rows, typed like ``services`` (its columns and dtypes)."""
    zones = territory.all_communes().set_index("commune")["zone"]
    types = typology.types.set_index("type")
    # Empty rows with the columns and dtypes of ``services`` (which may have no row).
    rows = services.iloc[0:0].reindex(range(len(new)))
    for column in rows.columns:
        if column != "geometry":
            rows[column] = (
                pd.Series([pd.NA] * len(rows), dtype=rows[column].dtype)
                if str(rows[column].dtype) in {"string", "Float64", "Int64"}
                else None
            )
    outside = [s.commune for s in new if s.commune not in zones.index]
    if outside:
        raise MaillageError(
            f"ouverture hors du territoire et de sa couronne : commune(s) {', '.join(outside)}. "
            "Correction : choisissez une commune du territoire ou de la couronne"
        )
    halls = (
        town_halls(services, [s.commune for s in new if s.lon is None]).set_index("commune")
        if any(s.lon is None for s in new)
        else None
    )
    records = []
    for number, item in enumerate(new, start=1):
        if item.lon is None or item.lat is None:
            assert halls is not None
            hall = halls.loc[item.commune]
            lon, lat, position = float(hall["lon"]), float(hall["lat"]), "commune"
        else:
            lon, lat, position = item.lon, item.lat, "source"
        records.append((number, item, lon, lat, position))
    rows["service_id"] = pd.array(
        [f"scenario:{n}" for n, *_ in records], dtype=rows["service_id"].dtype
    )
    rows["type"] = [r[1].type for r in records]
    rows["name"] = pd.array(
        [r[1].name or f"{types.loc[r[1].type, 'label']} (scénario)" for r in records],
        dtype=rows["name"].dtype,
    )
    rows["commune"] = pd.array([r[1].commune for r in records], dtype=rows["commune"].dtype)
    rows["lon"] = [r[2] for r in records]
    rows["lat"] = [r[3] for r in records]
    rows["source"] = "scenario"
    rows["hours_per_week"] = [
        np.nan if r[1].hours_per_week is None else r[1].hours_per_week for r in records
    ]
    rows["opening_hours"] = [r[1].opening_hours for r in records]
    rows["position"] = [r[4] for r in records]
    rows["line"] = [r[0] for r in records]
    rows["zone"] = [zones.loc[r[1].commune] for r in records]
    rows["family"] = pd.array(
        [types["family"].get(r[1].type, pd.NA) for r in records], dtype=rows["family"].dtype
    )
    rows["gamme"] = pd.array(
        [types["gamme"].get(r[1].type, pd.NA) for r in records], dtype=rows["gamme"].dtype
    )
    rows["geometry"] = [Point(r[2], r[3]) for r in records]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=SERVICE_CRS)


@dataclass
class ScenarioResult:
    """A scenario's diagnostics before and after, and their differences.

    Attributes
    ----------
    access
        Per ``season``, ``level`` (``family`` or ``type``), ``key`` and threshold
        ``threshold_minutes``: ``population_within_before``, ``population_within_after``,
        ``population_gaining``, ``population_losing`` (inhabitants of communes whose
        nearest service comes within / goes beyond the threshold), ``population_net``.
    communes
        Per ``season``, ``level``, ``key`` and commune (``origin_id, name, population``):
        ``service_before, minutes_before, service_after, minutes_after, change_minutes``.
    changes
        The services closed, opened and merged (:func:`apply_scenario`).

    Examples
    --------
    >>> from maillage.study import Study
    >>> study = Study.builtin(buffer_km=0, builtin_sources=["france_services"],
    ...                       settings=DiagnosticSettings(comparison=False))
    >>> result = study.scenario(Scenario(name="Modane ferme", close=("fs:1570",)))
    >>> result.method, result.changes["service_id"].tolist()
    (<Method.STRAIGHT_LINE: 'straight_line'>, ['fs:1570'])
    >>> moved = result.communes.query("season == 'summer' and key == 'A128'")
    >>> sorted(moved.loc[moved["change_minutes"] > 0, "origin_id"])[:3]
    ['73023', '73026', '73040']
    """

    scenario: Scenario
    before: Diagnostic
    after: Diagnostic
    services_after: gpd.GeoDataFrame
    changes: pd.DataFrame
    access: pd.DataFrame
    communes: pd.DataFrame
    notes: list[Note] = field(default_factory=list)

    @property
    def method(self) -> Method:
        """How the times were computed."""
        return self.after.method


def run_scenario(
    scenario: Scenario,
    territory: Territory,
    services: gpd.GeoDataFrame,
    *,
    network: NetworkPair | None = None,
    typology: Typology | None = None,
    settings: DiagnosticSettings | None = None,
    before: Diagnostic | None = None,
) -> ScenarioResult:
    """Apply a scenario and compare the diagnostic after with the diagnostic before.

    Parameters
    ----------
    scenario
        The changes (:func:`read_scenario`).
    territory, services, network, typology, settings
        As for :func:`~maillage.indicators.diagnostic.run_diagnostic`. Road closures
        apply to the road models of both seasons; other models cannot apply them, which
        the notes say.
    before
        The diagnostic before, when already computed with the same inputs.

    Returns
    -------
    ScenarioResult

    Examples
    --------
    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.territory.territory import select_territory
    >>> t = select_territory(epci=["200070340"], buffer_km=30)
    >>> s = territory_services(t, builtin=["france_services"])
    >>> result = run_scenario(Scenario(name="Modane ferme", close=("fs:1570",)), t, s,
    ...                       settings=DiagnosticSettings(thresholds_minutes=(30,),
    ...                                                   comparison=False))
    >>> row = result.access.query("season == 'summer' and key == 'A128'").iloc[0]
    >>> int(row["population_within_before"]), int(row["population_losing"])
    (8631, 3684)
    """
    network = NetworkPair.straight_line() if network is None else network
    typology = load_typology() if typology is None else typology
    settings = DiagnosticSettings() if settings is None else settings
    if before is None:
        before = run_diagnostic(
            territory, services, network=network, typology=typology, settings=settings
        )
    services_after, changes = apply_scenario(scenario, services, territory, typology=typology)
    notes: list[Note] = []
    network_after = network
    if scenario.close_roads:
        roads = list(scenario.close_roads)
        if not isinstance(network.summer, RoadModel):
            notes.append(
                Note("road_closures_not_applied", {"roads": roads, "method": network.method.value})
            )
        else:
            network_after = NetworkPair(
                network.summer.without_ways(roads), _closed(network.winter_or_summer, roads)
            )
    if scenario.is_empty:
        notes.append(Note("empty_scenario"))
    after = run_diagnostic(
        territory, services_after, network=network_after, typology=typology, settings=settings
    )
    if after.method is Method.STRAIGHT_LINE:
        notes.append(Note("straight_line_before_after"))
    access, communes = compare_diagnostics(before, after)
    return ScenarioResult(scenario, before, after, services_after, changes, access, communes, notes)


def _closed(model: TravelTimeModel, roads: list[str]) -> TravelTimeModel:
    """``model`` without the ``roads`` when it is a road model."""
    return model.without_ways(roads) if isinstance(model, RoadModel) else model


def _times(diagnostic: Diagnostic) -> pd.DataFrame:
    families = diagnostic.family_times.rename(columns={"family": "key"}).assign(level="family")
    types = diagnostic.nearest.rename(columns={"type": "key"}).assign(level="type")
    columns = ["season", "level", "key", "origin_id", "service_id", "minutes"]
    return pd.concat([families[columns], types[columns]], ignore_index=True)


def compare_diagnostics(before: Diagnostic, after: Diagnostic) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Access and per-commune time differences between two diagnostics of one territory.

    Returns
    -------
    tuple
        ``(access, communes)`` as in :class:`ScenarioResult`.

    Examples
    --------
    A diagnostic compared with itself: nobody gains or loses.

    >>> from maillage.study import Study
    >>> d = Study.builtin(buffer_km=0, builtin_sources=["france_services"],
    ...                   settings=DiagnosticSettings(comparison=False)).diagnostic()
    >>> access, communes = compare_diagnostics(d, d)
    >>> int(access["population_net"].abs().sum()), float(communes["change_minutes"].abs().max())
    (0, 0.0)
    """
    keys = ["season", "level", "key", "origin_id"]
    merged = _times(before).merge(
        _times(after), on=keys, how="outer", suffixes=("_before", "_after")
    )
    communes = pd.DataFrame(before.communes.drop(columns="geometry"))
    population = pd.concat(
        [
            communes[["origin_id", "name", "population"]].assign(season=SUMMER),
            communes[["origin_id", "name", "population_peak"]]
            .rename(columns={"population_peak": "population"})
            .assign(season=WINTER),
        ],
        ignore_index=True,
    )
    merged = merged.merge(population, on=["season", "origin_id"], how="left")
    merged["change_minutes"] = merged["minutes_after"] - merged["minutes_before"]
    merged = merged.rename(
        columns={"service_id_before": "service_before", "service_id_after": "service_after"}
    )
    per_commune = merged[
        [
            "season",
            "level",
            "key",
            "origin_id",
            "name",
            "population",
            "service_before",
            "minutes_before",
            "service_after",
            "minutes_after",
            "change_minutes",
        ]
    ].sort_values(keys, ignore_index=True)
    rows = []
    for (season, level, key), part in per_commune.groupby(["season", "level", "key"], sort=True):
        weights = part["population"].fillna(0).to_numpy(dtype=float)
        old = part["minutes_before"].to_numpy(dtype=float)
        new = part["minutes_after"].to_numpy(dtype=float)
        for threshold in after.thresholds_minutes:
            within_old = np.nan_to_num(old, nan=math.inf) <= threshold
            within_new = np.nan_to_num(new, nan=math.inf) <= threshold
            gaining = float(weights[~within_old & within_new].sum())
            losing = float(weights[within_old & ~within_new].sum())
            rows.append(
                {
                    "season": season,
                    "level": level,
                    "key": key,
                    "threshold_minutes": float(threshold),
                    "population_within_before": float(weights[within_old].sum()),
                    "population_within_after": float(weights[within_new].sum()),
                    "population_gaining": gaining,
                    "population_losing": losing,
                    "population_net": gaining - losing,
                }
            )
    return pd.DataFrame(rows), per_commune
