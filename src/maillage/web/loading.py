"""Load a study folder (``maillage diagnostic --sortie``) into the web app's database.

Each load is a :class:`~maillage.web.models.Study`: the first is the diagnostic's
baseline, later loads of a re-computed folder are re-measures of the same indicators
(matched by code), so the action programme shows baseline and latest value side by side.
Communes and services are replaced by the folder's (upsert by code / identifier).

The tables are read with the Study API (:func:`maillage.outputs.study.read_study`, which
checks the folder and names what is missing) and stored in the exports' French codes
(:func:`maillage.outputs.french.export_table`); the directory's services come from the
folder's GeoPackage (``services`` layer), which the diagnostic does not hold.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import transaction

from maillage.outputs.french import beyond_column, export_table
from maillage.outputs.study import diagnostic_summary, read_services, read_study
from maillage.web.hours import is_missing_text, tristate
from maillage.web.models import (
    FAMILY_LABELS,
    Commune,
    CommuneTime,
    Indicator,
    Measurement,
    Service,
    Study,
)

LAMBERT93 = "EPSG:2154"
SEASON_LABELS = {"ete": "été", "hiver": "hiver"}
LEVEL_LABELS = {
    "territoire": "territoire",
    "epci": "EPCI",
    "bassin_vie": "bassin de vie",
    "canton": "canton",
    "commune": "commune",
}


@dataclass(frozen=True)
class LoadReport:
    """What a load did: the study, whether it was new, and row counts."""

    study: Study
    created: bool
    communes: int
    services: int
    indicators: int


def study_fingerprint(folder: Path) -> str:
    """SHA-256 of what defines a measure: the study's facts and every table file."""
    digest = hashlib.sha256()
    for path in sorted([folder / "etude.json", *folder.glob("*.parquet")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_study(folder: str | PathLike[str], *, force: bool = False) -> LoadReport:
    """Load a study folder; a folder identical to the latest load is not loaded twice.

    Parameters
    ----------
    folder
        A folder written by ``maillage diagnostic --sortie``.
    force
        Load even if the latest study has the same fingerprint.

    Returns
    -------
    LoadReport
    """
    path = Path(folder)
    diagnostic = read_study(path)  # a French error names what is missing
    fingerprint = study_fingerprint(path)
    latest = Study.objects.order_by("-loaded_at", "-pk").first()
    if latest is not None and latest.fingerprint == fingerprint and not force:
        return LoadReport(latest, False, Commune.objects.count(), Service.objects.count(), 0)
    summary = diagnostic_summary(diagnostic)
    communes = diagnostic.communes[["origin_id", "name"]].merge(
        export_table(diagnostic.enjeux), on="origin_id", how="left"
    )
    # The web app stores the exports' French codes (saison ete/hiver, niveau territoire...).
    access = export_table(diagnostic.access)
    family_times = export_table(diagnostic.family_times)
    services = _services(path)
    with transaction.atomic():
        study = Study.objects.create(
            path=str(path.resolve()),
            territory=str(summary.get("territoire", "")),
            method=str(summary.get("methode", "")),
            population=int(summary.get("population", 0)),
            summary=summary,
            fingerprint=fingerprint,
        )
        n_communes = _load_communes(communes, services)
        n_services = _load_services(services)
        _load_times(study, family_times)
        n_indicators = _load_indicators(study, access, family_times, communes, summary)
    return LoadReport(study, True, n_communes, n_services, n_indicators)


def _services(path: Path) -> pd.DataFrame:
    # The study's own table (English columns); the GeoPackage's layer is in French.
    table = path / "services.parquet"
    if not table.is_file():
        return pd.DataFrame(columns=["service_id", "type", "commune", "family"])
    frame = read_services(path).to_crs(LAMBERT93)
    frame["x_m"] = frame.geometry.x
    frame["y_m"] = frame.geometry.y
    frame = frame[frame["family"].notna()]
    return pd.DataFrame(frame.drop(columns="geometry"))


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _text(value: Any) -> str:
    value = _clean(value)
    return "" if is_missing_text(value) else str(value)


def _load_communes(communes: pd.DataFrame, services: pd.DataFrame) -> int:
    from maillage.sources.communes import (
        read_commune_polygons,
        read_communes,
        read_epci,
        zoning_labels,
    )

    codes = set(communes["origin_id"].astype(str)) | set(services["commune"].astype(str))
    france = read_communes().set_index("commune")
    france = france[france.index.isin(codes)]
    points = france.set_crs(4326, allow_override=True).to_crs(LAMBERT93)
    polygons = read_commune_polygons().set_index("commune")
    polygons = polygons[polygons.index.isin(codes)]
    outlines = json.loads(polygons.geometry.simplify(0.0008).to_json(drop_id=True))["features"]
    outline_by_code = dict(zip(polygons.index, (f["geometry"] for f in outlines), strict=True))
    epci_names = read_epci().set_index("epci")["name"]
    bassin_names = zoning_labels("bassin_vie")
    territory = communes.set_index("origin_id")
    rows = []
    for code, row in france.iterrows():
        inside = code in territory.index
        info = territory.loc[code] if inside else None
        epci = _text(row["epci"])
        bassin = _text(row.get("bassin_vie"))
        rows.append(
            Commune(
                code=code,
                name=str(row["name"]),
                epci=epci,
                epci_name=_text(epci_names.get(epci)),
                bassin=bassin,
                bassin_name=_text(bassin_names.get(bassin)),
                in_territory=inside,
                population=int(_clean(row["population"]) or 0),
                x_m=float(points.geometry[code].x),
                y_m=float(points.geometry[code].y),
                lon=float(row["lon"]),
                lat=float(row["lat"]),
                outline=outline_by_code.get(code),
                enjeu_rank=None if info is None else _clean(info["rank"]),
                enjeu_class="" if info is None else _text(info["classe"]),
                enjeu_reasons="" if info is None else _text(info["raisons"])[:500],
            )
        )
    Commune.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=[
            "name",
            "epci",
            "epci_name",
            "bassin",
            "bassin_name",
            "in_territory",
            "population",
            "x_m",
            "y_m",
            "lon",
            "lat",
            "outline",
            "enjeu_rank",
            "enjeu_class",
            "enjeu_reasons",
        ],
    )
    return len(rows)


def _load_services(services: pd.DataFrame) -> int:
    from maillage.services.typology import load_typology

    labels = load_typology().types.set_index("type")["label"]
    known = set(Commune.objects.values_list("code", flat=True))
    rows = []
    for row in services.itertuples(index=False):
        if str(row.commune) not in known:
            continue
        hours = _clean(row.hours_per_week)
        saturday = _clean(row.open_saturday)
        rows.append(
            Service(
                service_id=str(row.service_id),
                name=_text(row.name)[:300] or _text(labels.get(row.type)),
                type=str(row.type),
                type_label=_text(labels.get(row.type)).capitalize(),
                family=str(row.family),
                commune_id=str(row.commune),
                address=_text(row.address)[:300],
                opening_hours=_text(row.opening_hours)[:500],
                hours_per_week=None if hours is None else float(hours),
                open_saturday=tristate(saturday),
                source=_text(row.source),
                x_m=float(row.x_m),
                y_m=float(row.y_m),
                lon=float(row.lon),
                lat=float(row.lat),
            )
        )
    Service.objects.exclude(service_id__in=[s.service_id for s in rows]).delete()
    Service.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["service_id"],
        update_fields=[
            "name",
            "type",
            "type_label",
            "family",
            "commune",
            "address",
            "opening_hours",
            "hours_per_week",
            "open_saturday",
            "source",
            "x_m",
            "y_m",
            "lon",
            "lat",
        ],
    )
    return len(rows)


def _load_times(study: Study, family_times: pd.DataFrame) -> None:
    CommuneTime.objects.bulk_create(
        [
            CommuneTime(
                study=study,
                commune_id=str(row.origin_id),
                family=str(row.family),
                season=str(row.saison),
                minutes=_clean(float(row.minutes)),
            )
            for row in family_times.itertuples(index=False)
        ]
    )


def _measures(thresholds: list[float]) -> list[tuple[str, str, str]]:
    """``(column, label, unit)`` of the access measures kept as indicators."""
    measures = [("median_minutes", "Temps médian au plus proche", "min")]
    for t in thresholds:
        measures.append((beyond_column("population", t), f"Population à plus de {t:g} min", "hab."))
        measures.append(
            (beyond_column("share", t), f"Part de la population à plus de {t:g} min", "%")
        )
    return measures


def _zone_labels(summary: dict[str, Any]) -> dict[tuple[str, str], str]:
    from maillage.sources.communes import read_epci, zoning_labels

    labels: dict[tuple[str, str], str] = {("territoire", "territoire"): summary["territoire"]}
    for code, name in read_epci().set_index("epci")["name"].items():
        labels["epci", str(code)] = str(name)
    for level in ("bassin_vie", "canton"):
        for code, name in zoning_labels(level).items():
            labels[level, str(code)] = str(name)
    return labels


def _load_indicators(
    study: Study,
    access: pd.DataFrame,
    family_times: pd.DataFrame,
    communes: pd.DataFrame,
    summary: dict[str, Any],
) -> int:
    thresholds = [float(t) for t in summary.get("seuils_minutes", [7, 15, 20, 30])]
    zone_labels = _zone_labels(summary)
    values: dict[str, tuple[dict[str, str], float | None]] = {}
    for row in access.to_dict("records"):
        level, zone, family, season = (str(row[k]) for k in ("niveau", "zone", "family", "saison"))
        zone_label = zone_labels.get((level, zone), zone)
        for column, label, unit in _measures(thresholds):
            if column not in row:
                continue
            code = f"{level}:{zone}:{family}:{season}:{column}"
            where = zone_label if level == "territoire" else f"{LEVEL_LABELS[level]} {zone_label}"
            values[code] = (
                {
                    "level": level,
                    "zone": zone,
                    "zone_label": zone_label,
                    "family": family,
                    "season": season,
                    "measure": column,
                    "unit": unit,
                    "label": f"{label} — {FAMILY_LABELS.get(family, family)} — {where} "
                    f"({SEASON_LABELS.get(season, season)})",
                },
                _clean(float(row[column])),
            )
    names = communes.set_index("origin_id")["name"]
    for row in family_times.itertuples(index=False):
        zone = str(row.origin_id)
        family, season = str(row.family), str(row.saison)
        code = f"commune:{zone}:{family}:{season}:minutes"
        values[code] = (
            {
                "level": "commune",
                "zone": zone,
                "zone_label": str(names.get(zone, zone)),
                "family": family,
                "season": season,
                "measure": "minutes",
                "unit": "min",
                "label": f"Temps au plus proche — {FAMILY_LABELS.get(family, family)} — "
                f"commune {names.get(zone, zone)} ({SEASON_LABELS.get(season, season)})",
            },
            _clean(float(row.minutes)),
        )
    Indicator.objects.bulk_create(
        [Indicator(code=code, **fields) for code, (fields, _) in values.items()],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["zone_label", "label", "unit"],
    )
    ids = dict(Indicator.objects.filter(code__in=values).values_list("code", "pk"))
    Measurement.objects.bulk_create(
        [
            Measurement(indicator_id=ids[code], study=study, value=value)
            for code, (_, value) in values.items()
        ]
    )
    return len(values)
