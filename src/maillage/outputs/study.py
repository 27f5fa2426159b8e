"""Write a diagnostic to a study folder (GeoPackage + Parquet + JSON), and read it back.

The folder is what reports and the web app read::

    etude/
      diagnostic.gpkg     communes (times per family, enjeux), services: one layer each
      *.parquet           every table of the diagnostic, tidy
      origins.parquet     the origins of the times (GeoParquet; cells.parquet at grid level)
      etude.json          territory, method, settings, notes as data (for read_study)
      resume.json         the summary printed by ``maillage diagnostic --json``

:func:`read_study` gives back the :class:`~maillage.indicators.diagnostic.Diagnostic`
that :func:`write_study` wrote.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from maillage._errors import MaillageError
from maillage.indicators.diagnostic import Diagnostic
from maillage.indicators.settings import DiagnosticSettings
from maillage.network.model import Method, NetworkPair, NetworkSource
from maillage.notes import Note
from maillage.outputs.french import (
    beyond_column,
    enjeux_french,
    export_table,
    method_label,
    notes_text,
)
from maillage.schema import RING, TERRITORY
from maillage.services.typology import FAMILIES, load_typology
from maillage.territory.territory import territory_from_codes

LAMBERT93 = "EPSG:2154"
TABLES = (
    "nearest",
    "family_times",
    "access",
    "density",
    "hours",
    "catchments",
    "bassins",
    "enjeux",
    "enjeux_epci",
    "e2sfca",
    "comparison",
    "official",
    "official_zones",
)


def diagnostic_summary(diagnostic: Diagnostic) -> dict[str, Any]:
    """The French summary: per family, median time and population beyond each threshold.

    Keys: ``territoire``, ``methode``, ``population``, ``communes``, ``familles`` (per
    family code: ``mediane_minutes``, ``moyenne_minutes``, ``population_au_dela`` and
    ``part_au_dela`` keyed by threshold in minutes, and ``hiver`` with the same when a
    winter network was given), ``enjeux`` (the 5 communes most at stake), ``notes``.

    Examples
    --------
    >>> from maillage.study import Study
    >>> d = Study.builtin(buffer_km=0, builtin_sources=["france_services"],
    ...                   settings=DiagnosticSettings(comparison=False)).diagnostic()
    >>> summary = diagnostic_summary(d)
    >>> summary["territoire"], summary["methode"], summary["population"], summary["communes"]
    ('Pays de Maurienne', "vol d'oiseau", 42946, 53)
    >>> access = d.access.set_index(["level", "family", "season", "threshold_minutes"])
    >>> beyond = access.loc[("territory", "social_emploi", "summer", 30.0), "population_beyond"]
    >>> bool(summary["familles"]["social_emploi"]["population_au_dela"]["30"] == beyond == 614)
    True
    """
    access = export_table(diagnostic.access)
    access = access[access["niveau"] == "territoire"]
    families: dict[str, Any] = {}
    for family in [f for f in FAMILIES if f in set(access["family"])]:
        per_season: dict[str, dict[str, Any]] = {}
        for season, row in access[access["family"] == family].set_index("saison").iterrows():
            per_season[season] = {
                "mediane_minutes": _number(row["median_minutes"]),
                "moyenne_minutes": _number(row["mean_minutes"]),
                "population_au_dela": {
                    f"{t:g}": int(row[beyond_column("population", t)])
                    for t in diagnostic.thresholds_minutes
                },
                "part_au_dela": {
                    f"{t:g}": _number(row[beyond_column("share", t)])
                    for t in diagnostic.thresholds_minutes
                },
            }
        summary: dict[str, Any] = dict(per_season["ete"])
        if "hiver" in per_season:
            summary["hiver"] = per_season["hiver"]
        families[family] = summary
    names = diagnostic.communes.set_index("origin_id")["name"]
    top = enjeux_french(diagnostic.enjeux.head(5))
    return {
        "territoire": diagnostic.territory.name,
        "methode": method_label(diagnostic.method),
        "population": int(diagnostic.communes["population"].sum()),
        "communes": len(diagnostic.communes),
        "seuils_minutes": list(diagnostic.thresholds_minutes),
        "familles": families,
        "libelles": {f: load_typology().family_labels.get(f, f) for f in families},
        "enjeux": [
            {
                "code": row.origin_id,
                "nom": names.get(row.origin_id),
                "rang": int(row.rank),
                "classe": row.classe,
                "raisons": row.raisons,
            }
            for row in top.itertuples()
        ],
        "enjeux_epci": [
            {
                "code": row.epci,
                "rang": None if pd.isna(row.rank) else int(row.rank),
                "score": _number(row.score),
            }
            for row in diagnostic.enjeux_epci.itertuples()
        ],
        "comparaison": _comparison_summary(diagnostic),
        "accord_bassins_de_vie": _number(diagnostic.bassin_agreement),
        "notes": notes_text(diagnostic.notes),
    }


def _comparison_summary(diagnostic: Diagnostic) -> dict[str, Any]:
    """Per family: median minutes and share beyond 30 min of territory, départements, France."""
    table = export_table(diagnostic.comparison)
    result: dict[str, Any] = {}
    if table.empty:
        return result
    last = max(diagnostic.thresholds_minutes)
    for family, part in table.groupby("family"):
        result[str(family)] = {
            f"{row.niveau}:{row.zone}" if row.niveau == "departement" else str(row.niveau): {
                "mediane_minutes": _number(row.median_minutes),
                f"part_au_dela_{last:g}": _number(getattr(row, beyond_column("share", last))),
            }
            for row in part.itertuples()
        }
    return result


def write_study(
    diagnostic: Diagnostic, folder: str | PathLike[str], *, network: NetworkPair | None = None
) -> Path:
    """Write every table to ``folder`` (created if needed) and return its path.

    ``network``: the study's travel-time models; when built from an OpenStreetMap extract
    (:attr:`NetworkPair.source <maillage.network.model.NetworkPair.source>`), the extract
    and the winter closures are written too, so that :func:`read_network` builds the same
    models again (the web app's workshop).

    Examples
    --------
    >>> import tempfile
    >>> from maillage.territory.builtin import pays_de_maurienne
    >>> from maillage.services.catalogue import territory_services
    >>> from maillage.indicators.diagnostic import run_diagnostic
    >>> t = pays_de_maurienne(buffer_km=5)
    >>> d = run_diagnostic(t, territory_services(t, builtin=["france_services"]))
    >>> folder = write_study(d, tempfile.mkdtemp())
    >>> sorted(p.name for p in folder.iterdir())[:3]
    ['access.parquet', 'bassins.parquet', 'catchments.parquet']
    >>> read_study(folder).access.equals(d.access)
    True
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        getattr(diagnostic, name).to_parquet(folder / f"{name}.parquet", index=False)
    communes = _communes_layer(diagnostic)
    communes.drop(columns="geometry").to_parquet(folder / "communes.parquet", index=False)
    gpkg = folder / "diagnostic.gpkg"
    gpkg.unlink(missing_ok=True)
    communes.to_crs(LAMBERT93).to_file(gpkg, layer="communes", driver="GPKG")
    diagnostic.communes.to_parquet(folder / "origins.parquet", index=False)
    (folder / "cells.parquet").unlink(missing_ok=True)
    if diagnostic.cells is not None:
        diagnostic.cells.to_parquet(folder / "cells.parquet", index=False)
    territory = diagnostic.territory
    facts = {
        "version": STUDY_FORMAT,
        "territory": {
            "name": territory.name,
            "codes": territory.codes,
            "buffer_codes": [str(code) for code in territory.buffer["commune"]],
            "buffer_km": territory.buffer_km,
            "buffer_method": territory.buffer_method,
        },
        "method": diagnostic.method.value,
        "settings": diagnostic.settings.to_dict(),
        "bassin_agreement": None
        if np.isnan(diagnostic.bassin_agreement)
        else float(diagnostic.bassin_agreement),
        "notes": [note.to_dict() for note in diagnostic.notes],
        "network": None if network is None or network.source is None else network.source.to_dict(),
    }
    (folder / "etude.json").write_text(
        json.dumps(facts, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (folder / "resume.json").write_text(
        json.dumps(diagnostic_summary(diagnostic), ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    return folder


#: Tables a study folder may lack (written by an earlier version): read as empty.
OPTIONAL_TABLES = ("official", "official_zones")

#: Version of the study folder's layout (``etude.json``).
STUDY_FORMAT = 1
#: ``buffer_method`` as folders written before it was English say it.
_LEGACY_BUFFER_METHODS = {"polygones": "polygons", "aucune": "none"}
#: The services' ``zone`` as folders written before it was English say it.
_LEGACY_SERVICE_ZONES = {"territoire": TERRITORY, "couronne": RING}


def read_study(folder: str | PathLike[str]) -> Diagnostic:
    """The diagnostic a study folder holds (:func:`write_study`'s round trip).

    Raises
    ------
    MaillageError
        The folder lacks a file, or was written by a version of maillage without
        ``etude.json``.

    Examples
    --------
    A round trip is shown in :func:`write_study`; a folder without a study says what to do:

    >>> try:
    ...     read_study("/nulle/part")
    ... except MaillageError as err:
    ...     print(str(err).split("Correction : ")[1])
    relancez « maillage diagnostic --sortie /nulle/part »
    """
    folder = Path(folder)
    optional = set(OPTIONAL_TABLES)
    needed = [
        "etude.json",
        "origins.parquet",
        *(f"{name}.parquet" for name in TABLES if name not in optional),
    ]
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise MaillageError(
            f"dossier d'étude incomplet : {folder} (manque {', '.join(missing)}). Correction : "
            f"relancez « maillage diagnostic --sortie {folder} »"
        )
    facts = json.loads((folder / "etude.json").read_text(encoding="utf-8"))
    place = facts["territory"]
    territory = territory_from_codes(
        place["name"],
        place["codes"],
        place["buffer_codes"],
        buffer_km=place["buffer_km"],
        # Folders written before the values were English say them in French.
        buffer_method=_LEGACY_BUFFER_METHODS.get(place["buffer_method"], place["buffer_method"]),
    )
    # A folder written before the official indicators were stored reads without them.
    tables = {
        name: pd.read_parquet(folder / f"{name}.parquet")
        if (folder / f"{name}.parquet").is_file()
        else pd.DataFrame()
        for name in TABLES
    }
    cells = folder / "cells.parquet"
    agreement = facts["bassin_agreement"]
    return Diagnostic(
        territory=territory,
        method=Method(facts["method"]),
        communes=gpd.read_parquet(folder / "origins.parquet"),
        **tables,
        settings=DiagnosticSettings.from_dict(facts["settings"]),
        bassin_agreement=float("nan") if agreement is None else float(agreement),
        notes=[Note.from_dict(note) for note in facts["notes"]],
        cells=gpd.read_parquet(cells) if cells.is_file() else None,
    )


def read_network(folder: str | PathLike[str]) -> NetworkPair:
    """The travel-time models a study folder was computed with (:func:`write_study`).

    A straight-line study gives :meth:`NetworkPair.straight_line
    <maillage.network.model.NetworkPair.straight_line>`; a road study, its extract's graph
    (``build_graph``'s cache) and its winter closures.

    Raises
    ------
    MaillageError
        A road study whose folder does not say its extract (written by an older maillage),
        or whose extract is no longer there.

    Examples
    --------
    >>> import json, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "etude.json").write_text(json.dumps({"method": "straight_line"}))
    >>> read_network(folder).method.value
    'straight_line'
    """
    folder = Path(folder)
    facts = json.loads((folder / "etude.json").read_text(encoding="utf-8"))
    method = Method(facts["method"])
    if method is Method.STRAIGHT_LINE:
        return NetworkPair.straight_line()
    source = facts.get("network")
    if method is not Method.ROAD or source is None:
        raise MaillageError(
            f"réseau de l'étude {folder} inconnu : son dossier ne dit pas sur quel extrait "
            "OpenStreetMap ses temps ont été calculés. Correction : relancez « maillage "
            f"diagnostic --reseau EXTRAIT.osm.pbf --sortie {folder} »"
        )
    network = NetworkSource.from_dict(source)
    return NetworkPair.from_pbf(network.extract, winter_closures=network.winter_closures)


def read_services(folder: str | PathLike[str]) -> gpd.GeoDataFrame:
    """The services of a study folder (``services.parquet``, written by the exports).

    Their ``zone`` is :data:`~maillage.schema.TERRITORY` or :data:`~maillage.schema.RING`,
    also when the folder was written before these codes were English (``territoire``,
    ``couronne``).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> gpd.GeoDataFrame({"service_id": ["a", "b"], "zone": ["territoire", "couronne"]},
    ...     geometry=gpd.points_from_xy([6.3, 6.4], [45.3, 45.2]), crs=4326,
    ... ).to_parquet(folder / "services.parquet")
    >>> read_services(folder)["zone"].tolist()
    ['territory', 'ring']
    """
    services = gpd.read_parquet(Path(folder) / "services.parquet")
    if "zone" in services:
        services["zone"] = services["zone"].replace(_LEGACY_SERVICE_ZONES)
    return services


def _communes_layer(diagnostic: Diagnostic) -> gpd.GeoDataFrame:
    times = export_table(diagnostic.family_times)
    wide = times.pivot_table(index="origin_id", columns=["family", "saison"], values="minutes")
    wide.columns = [f"minutes_{family}_{season}" for family, season in wide.columns]
    keep = [
        "origin_id",
        "name",
        "departement",
        "epci",
        "bassin_vie",
        "canton",
        "population",
        "population_0_19",
        "population_65_plus",
        "population_peak",
        "geometry",
    ]
    layer = diagnostic.communes[keep].join(wide, on="origin_id")
    layer = layer.merge(enjeux_french(diagnostic.enjeux), on="origin_id", how="left")
    layer["methode"] = method_label(diagnostic.method)
    # The export keeps its French column name for the peak population.
    layer = layer.rename(columns={"population_peak": "population_saison"})
    return gpd.GeoDataFrame(layer, geometry="geometry", crs=diagnostic.communes.crs)


def _number(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return None if np.isnan(number) else round(number, 4)
