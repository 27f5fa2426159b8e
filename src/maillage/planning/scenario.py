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
import tomllib
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from maillage._errors import InputFileError, MaillageError
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
    "Merge",
    "NewService",
    "Scenario",
    "ScenarioResult",
    "apply_scenario",
    "compare_diagnostics",
    "read_scenario",
    "run_scenario",
]

_TOP_KEYS = {"nom", "description", "fermer", "ouvrir", "fusionner", "routes"}
_OPEN_KEYS = {"type", "commune", "lon", "lat", "nom", "heures_par_semaine", "horaires"}
_MERGE_KEYS = {"services", "garder", "commune", "lon", "lat", "nom"}


@dataclass(frozen=True)
class NewService:
    """A service the scenario opens (``commune`` required; ``lon``/``lat`` optional, the
    commune's town hall otherwise)."""

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
    first one's type opens at ``place``."""

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


def read_scenario(path: str | PathLike[str], typology: Typology | None = None) -> Scenario:
    """Read and check a scenario file (``.toml``; ``.yaml``/``.yml`` with PyYAML).

    Every problem names the file, the line where it can be found, and the fix.

    Raises
    ------
    InputFileError
        Unreadable file, unknown keys, a missing or badly typed value, an unknown type.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "s.toml").write_text('nom = "essai"\\nfermer = ["fs:1570"]\\n')
    >>> read_scenario(folder / "s.toml").close
    ('fs:1570',)
    """
    path = Path(path)
    typology = load_typology() if typology is None else typology
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError("fichier de scénario introuvable", path=path) from None
    except UnicodeDecodeError:
        raise InputFileError(
            "encodage illisible", path=path, fix="enregistrez-le en UTF-8"
        ) from None
    document = _parse(text, path)
    unknown = sorted(set(document) - _TOP_KEYS)
    if unknown:
        raise InputFileError(
            f"clé(s) inconnue(s) : {', '.join(unknown)}",
            path=path,
            line=_key_line(text, unknown[0]),
            fix=f"clés possibles : {', '.join(sorted(_TOP_KEYS))}",
        )
    name = document.get("nom", path.stem)
    close = _strings(document.get("fermer", []), "fermer", text, path)
    opened = []
    for position, entry in enumerate(_tables(document.get("ouvrir", []), "ouvrir", text, path), 1):
        opened.append(_new_service(entry, f"ouvrir n°{position}", text, path, typology))
    merged = []
    for position, entry in enumerate(
        _tables(document.get("fusionner", []), "fusionner", text, path), 1
    ):
        where = f"fusionner n°{position}"
        _check_keys(entry, _MERGE_KEYS, where, text, path)
        services = _strings(entry.get("services", []), f"{where} : services", text, path)
        if len(services) < 2:
            raise InputFileError(
                f"{where} : au moins deux services à fusionner",
                path=path,
                line=_key_line(text, "services"),
                fix='services = ["id1", "id2"]',
            )
        keep = entry.get("garder")
        place = None
        if keep is not None and str(keep) not in services:
            raise InputFileError(
                f"{where} : « garder » ({keep}) n'est pas parmi les services fusionnés",
                path=path,
                line=_line_of(text, str(keep)),
                fix="gardez l'un des services listés, ou donnez une commune",
            )
        if keep is None:
            if "commune" not in entry:
                raise InputFileError(
                    f"{where} : indiquez « garder » (un des services) ou « commune » "
                    "(nouveau lieu)",
                    path=path,
                    line=_line_of(text, services[0]),
                )
            place = _new_service(
                {
                    "type": "?",
                    **{k: v for k, v in entry.items() if k in {"commune", "lon", "lat", "nom"}},
                },
                where,
                text,
                path,
                None,
            )
        merged.append(Merge(tuple(services), str(keep) if keep is not None else None, place))
    roads = document.get("routes", {})
    if not isinstance(roads, dict) or set(roads) - {"fermer"}:
        raise InputFileError(
            "section [routes] : seule la clé « fermer » est possible",
            path=path,
            line=_key_line(text, "[routes]"),
            fix='[routes]\nfermer = ["Col du Galibier"]',
        )
    close_roads = _strings(roads.get("fermer", []), "routes.fermer", text, path)
    lines = {
        value: line
        for value in [*close, *(s for m in merged for s in m.services)]
        if (line := _line_of(text, value)) is not None
    }
    return Scenario(
        name=str(name),
        description=str(document.get("description", "")),
        close=tuple(close),
        open=tuple(opened),
        merge=tuple(merged),
        close_roads=tuple(close_roads),
        path=path,
        lines=lines,
    )


def _parse(text: str, path: Path) -> dict[str, Any]:
    if path.suffix.lower() in {".yaml", ".yml"}:
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
    else:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise InputFileError(
                f"TOML illisible ({err})", path=path, fix="corrigez la syntaxe TOML à cet endroit"
            ) from None
    if not isinstance(document, dict):
        raise InputFileError("le scénario doit être une table de clés", path=path)
    return document


def _key_line(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if (
            stripped.startswith(key)
            or stripped.startswith(f"[{key}")
            or stripped.startswith(f"[[{key}")
        ):
            return number
    return None


def _strings(value: Any, where: str, text: str, path: Path) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise InputFileError(
            f"« {where} » doit être une liste de textes",
            path=path,
            line=_key_line(text, where.split(".")[-1].split(" : ")[-1]),
            fix=f'{where.split(".")[-1].split(" : ")[-1]} = ["…", "…"]',
        )
    return [str(v) for v in value]


def _tables(value: Any, key: str, text: str, path: Path) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputFileError(
            f"« {key} » doit être une liste de tables",
            path=path,
            line=_key_line(text, key),
            fix=f"une section [[{key}]] par changement",
        )
    return value


def _check_keys(
    entry: dict[str, Any], allowed: set[str], where: str, text: str, path: Path
) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise InputFileError(
            f"{where} : clé(s) inconnue(s) : {', '.join(unknown)}",
            path=path,
            line=_key_line(text, unknown[0]),
            fix=f"clés possibles : {', '.join(sorted(allowed))}",
        )


def _new_service(
    entry: dict[str, Any], where: str, text: str, path: Path, typology: Typology | None
) -> NewService:
    _check_keys(entry, _OPEN_KEYS, where, text, path)
    if typology is not None:
        if "type" not in entry:
            raise InputFileError(
                f"{where} : « type » manquant",
                path=path,
                line=_key_line(text, "[[ouvrir"),
                fix='type = "france-services" (ou un code BPE)',
            )
        try:
            kind = resolve_service_type(str(entry["type"]), typology)
        except MaillageError as err:
            raise InputFileError(
                f"{where} : {err}", path=path, line=_line_of(text, str(entry["type"]))
            ) from None
    else:
        kind = str(entry["type"])
    if "commune" not in entry:
        raise InputFileError(
            f"{where} : « commune » manquante (code INSEE)",
            path=path,
            line=_key_line(text, "[[ouvrir") if typology is not None else None,
            fix='commune = "73290" : le service est placé à sa mairie sauf lon/lat',
        )
    lon, lat = entry.get("lon"), entry.get("lat")
    if (lon is None) != (lat is None) or (
        lon is not None
        and not (
            isinstance(lon, int | float)
            and isinstance(lat, int | float)
            and -180 <= lon <= 180
            and -90 <= lat <= 90
        )
    ):
        raise InputFileError(
            f"{where} : coordonnées incomplètes ou impossibles",
            path=path,
            line=_key_line(text, "lon"),
            fix="lon et lat ensemble, en degrés WGS84 (ex. lon = 6.87, lat = 45.28)",
        )
    hours = entry.get("heures_par_semaine")
    if hours is not None and not isinstance(hours, int | float):
        raise InputFileError(
            f"{where} : « heures_par_semaine » doit être un nombre",
            path=path,
            line=_key_line(text, "heures_par_semaine"),
        )
    return NewService(
        type=kind,
        commune=str(entry["commune"]),
        name=str(entry.get("nom", "")),
        lon=float(lon) if lon is not None else None,
        lat=float(lat) if lat is not None else None,
        hours_per_week=float(hours) if hours is not None else None,
        opening_hours=str(entry["horaires"]) if "horaires" in entry else None,
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
    (1, ['fermeture'])
    """
    typology = load_typology() if typology is None else typology
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
            "couronne, ex. dans services.csv du dossier d'étude",
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
        merged_rows += [(s, "fusion") for s in merge.services if s != keep]
    after = services[~services["service_id"].astype(str).isin(closed)]
    opened = _new_rows(new, services, territory, typology) if new else services.iloc[0:0]
    after = gpd.GeoDataFrame(
        pd.concat([after, opened], ignore_index=True), geometry="geometry", crs=services.crs
    )
    actions = {s: "fermeture" for s in scenario.close} | dict(merged_rows)
    gone = by_id.loc[[s for s in by_id.index if s in actions]].reset_index()
    changes = pd.concat(
        [
            gone.assign(action=gone["service_id"].map(actions)),
            pd.DataFrame(opened.drop(columns="geometry")).assign(action="ouverture"),
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
    """New service rows, typed like ``services`` (its first row is the template)."""
    zones = territory.all_communes().set_index("commune")["zone"]
    types = typology.types.set_index("type")
    rows = services.iloc[[0] * len(new)].copy().reset_index(drop=True)
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
