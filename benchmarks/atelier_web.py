"""Benchmark: the workshop page's answer to one change, as the web app gives it.

For each study, a signed-in editor makes changes on ``/equipe/atelier/`` (Django's test
client, a throwaway SQLite database): the time of one change is the POST, the page that
follows and its two maps' GeoJSON (before, after) — what the browser waits for. The
engine's own time of the change (printed on the page) is given too.

* **Built-in study** (Pays de Maurienne, straight line): close the busiest doctor, open
  one at Bessans.
* **Road study** on the real Malta extract (``tests/data/osm``; ≈ 46 k nodes in the
  drivable graph): ``--origines`` origins and ``--services`` doctors near random nodes
  (seeded); close the busiest doctor, open one at the farthest origin, close the busiest
  named road (as a pass), reopen it. The graph is built once per process: the first page
  (graph read from ``build_graph``'s cache, initial search) is timed apart. ``--extrait``
  takes another extract, e.g. Malta tiled 4 × 4 (``benchmarks/_pbf_tiling.py``, ≈ 1 M
  nodes: a département).

Not a timed test: it prints the times; the target is under 1 s per change. Usage::

    python benchmarks/atelier_web.py [--etude DOSSIER] [--origines 300] [--services 40]
                                     [--extrait malta-4x4.osm.pbf]

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MALTA = ROOT / "tests" / "data" / "osm" / "malta-2018-08-29.osm.pbf"
URL = "/equipe/atelier/"
ENGINE = re.compile(r"Dernier changement calculé en ([\d,]+) ms")


def setup_django(data: Path) -> Any:
    """Django on a throwaway data folder, migrated; a signed-in editor's client."""
    os.environ["MAILLAGE_WEB_DATA"] = str(data)
    os.environ.setdefault("MAILLAGE_SECRET_KEY", "benchmark-only-not-a-secret")
    from maillage.web.server import configure

    configure(data)
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    settings.ALLOWED_HOSTS.append("testserver")
    call_command("migrate", interactive=False, verbosity=0)
    user = User.objects.create_user("atelier", password="benchmark-only-42", is_staff=True)
    user.groups.add(Group.objects.get(name="Éditeur"))
    client = Client()
    client.force_login(user)
    return client


def change(client: Any, family: str, **fields: Any) -> dict[str, float]:
    """One change: POST, then the page and both maps; wall time and the engine's time."""
    start = time.perf_counter()
    client.post(URL, {"famille": family, **fields})
    page = client.get(URL, {"famille": family}).content.decode()
    for state in ("avant", "apres"):
        client.get(f"{URL}communes.geojson", {"famille": family, "etat": state})
    wall = time.perf_counter() - start
    found = ENGINE.search(page)
    engine = float(found.group(1).replace(",", ".")) if found else float("nan")
    return {"requetes_ms": round(1000 * wall, 1), "moteur_ms": engine}


def first_page(client: Any, family: str) -> tuple[float, str]:
    """Time of the first page (the model built) and its HTML."""
    from maillage.web import study_model

    study_model._MODELS.clear()
    start = time.perf_counter()
    page = client.get(URL, {"famille": family}).content.decode()
    return round(1000 * (time.perf_counter() - start), 1), page


def busiest_service_pk(page: str) -> int:
    """The first service of the page's list (the most communes served)."""
    found = re.search(r'<table id="services-atelier">.*?name="service" value="(\d+)"', page, re.S)
    assert found is not None
    return int(found.group(1))


def builtin(client: Any, etude: Path) -> dict[str, Any]:
    """The built-in Maurienne study (straight line)."""
    from maillage.web.loading import load_study

    load_study(etude, force=True)
    first_ms, page = first_page(client, "soins")
    return {
        "etude": "Pays de Maurienne (vol d'oiseau)",
        "premiere_page_ms": first_ms,
        "fermeture": change(client, "soins", quoi="fermer", service=busiest_service_pk(page)),
        "ouverture": change(client, "soins", quoi="ouvrir", commune="73040", name="MSP"),
    }


def malta_study(folder: Path, n_origins: int, n_services: int, extract: Path = MALTA) -> Path:
    """A road study folder on the Malta extract (invented points near real roads)."""
    import geopandas as gpd

    from maillage.network.graph import build_graph

    graph = build_graph(extract)
    rng = np.random.default_rng(2026)
    nodes = rng.choice(np.flatnonzero(graph.has_edges()), size=n_origins + n_services)
    offsets = rng.uniform(-150, 150, size=(2, nodes.size))
    points = gpd.GeoSeries(
        gpd.points_from_xy(graph.x[nodes] + offsets[0], graph.y[nodes] + offsets[1]),
        crs=graph.crs,
    ).to_crs(4326)
    codes = [f"B{i:04d}" for i in range(n_origins)]
    gpd.GeoDataFrame(
        {"origin_id": codes, "name": codes, "population": rng.integers(100, 5000, n_origins)},
        geometry=list(points[:n_origins]),
        crs=4326,
    ).to_parquet(folder / "origins.parquet")
    gpd.GeoDataFrame(
        {
            "service_id": [f"bench:D265:{i}" for i in range(n_services)],
            "type": "D265",
            "name": [f"Médecin {i}" for i in range(n_services)],
            "commune": codes[:n_services],
            "family": "soins",
        },
        geometry=list(points[n_origins:]),
        crs=4326,
    ).to_parquet(folder / "services.parquet")
    facts = {"method": "road", "network": {"extract": str(extract), "winter_closures": []}}
    (folder / "etude.json").write_text(json.dumps(facts), encoding="utf-8")
    return folder


def load_malta(folder: Path) -> None:
    """The Malta study's rows in the web app's database (as ``charger_etude`` would)."""
    import geopandas as gpd

    from maillage.web.models import Commune, Service, Study

    origins = gpd.read_parquet(folder / "origins.parquet")
    Commune.objects.bulk_create(
        Commune(
            code=row.origin_id,
            name=row.name,
            in_territory=False,
            population=int(row.population),
            x_m=0.0,
            y_m=0.0,
            lon=row.geometry.x,
            lat=row.geometry.y,
        )
        for row in origins.itertuples()
    )
    services = gpd.read_parquet(folder / "services.parquet")
    Service.objects.bulk_create(
        Service(
            service_id=row.service_id,
            name=row.name,
            type=row.type,
            type_label="Médecin généraliste",
            family=row.family,
            commune_id=row.commune,
            source="benchmark",
            x_m=0.0,
            y_m=0.0,
            lon=row.geometry.x,
            lat=row.geometry.y,
        )
        for row in services.itertuples()
    )
    Study.objects.create(
        path=str(folder),
        territory="Malte (étude de mesure)",
        method="réseau routier",
        summary={"seuils_minutes": [7, 15, 20, 30]},
        fingerprint="malte-benchmark",
    )


def road(client: Any, folder: Path) -> dict[str, Any]:
    """The Malta road study: closure, opening, pass closure and reopening."""
    from maillage.web.study_model import study_model
    from maillage.web.views import latest_study

    load_malta(folder)
    first_ms, page = first_page(client, "soins")
    model = study_model(latest_study())
    state = model.base("soins").state
    parents = state.network._parent  # type: ignore[attr-defined]
    graph = model.network.summer.graph  # type: ignore[attr-defined]
    names = pd.Series(graph.way_name[graph.edge_way[parents[parents >= 0]]], dtype=object)
    pass_name = str(names[names.astype(str).str.len() > 2].value_counts().index[0])
    farthest = model.origins["origin_id"].iloc[int(np.argmax(state.minutes))]
    return {
        "etude": f"Malte, réseau routier ({graph.n_nodes} nœuds, {len(model.origins)} origines, "
        f"{len(model.services)} services)",
        "premiere_page_ms": first_ms,
        "fermeture": change(client, "soins", quoi="fermer", service=busiest_service_pk(page)),
        "ouverture": change(client, "soins", quoi="ouvrir", commune=farthest, name="Cabinet"),
        "fermeture_col": {"route": pass_name}
        | change(client, "soins", quoi="fermer_route", route=pass_name),
        "reouverture_col": change(client, "soins", quoi="rouvrir_route", route=pass_name),
    }


def main() -> None:
    """Command line (French)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--etude", help="Dossier d'étude du Pays de Maurienne déjà calculé.")
    parser.add_argument("--origines", type=int, default=300)
    parser.add_argument("--services", type=int, default=40)
    parser.add_argument(
        "--extrait",
        type=Path,
        default=MALTA,
        help="Extrait OSM de l'étude routière (par ex. Malte répété par "
        "benchmarks/_pbf_tiling.py, ≈ 1 M de nœuds pour 4 × 4 copies).",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="maillage-atelier-"))
    client = setup_django(work / "web")
    if args.etude:
        etude = Path(args.etude)
    else:
        from maillage.web.server import builtin_study

        etude = builtin_study(work / "etude")
    (work / "malte").mkdir()
    results = [
        builtin(client, etude),
        road(client, malta_study(work / "malte", args.origines, args.services, args.extrait)),
    ]
    for result in results:
        print(f"{result['etude']} : première page {result['premiere_page_ms']} ms")
        for key, row in result.items():
            if isinstance(row, dict):
                print(
                    f"  {key:<16} {row['requetes_ms']:>8} ms (page + 2 cartes), "
                    f"moteur {row['moteur_ms']} ms"
                )
    machine = f"{platform.machine()}, {os.cpu_count()} cœurs"
    print(json.dumps({"machine": machine, "etudes": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
