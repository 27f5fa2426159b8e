"""The workshop page (issue 19, item 14): close, open and move services, close a pass.

The page answers with the loaded study's own model, incrementally; every answer is
checked against an independent reference: the study's own times (the diagnostic, loaded
into ``CommuneTime``) before any change, and after each change a full recomputation by
the non-incremental engines (``StraightLineModel.nearest``; ``RoadModel.nearest``, the
production road engine, on the graph without the closed road, ``RoadGraph.without_ways``).

Two studies: the built-in Maurienne study (straight line, the built-in territory has no
OSM extract offline: closing a pass is shown disabled and refused), and a small road
study on the real Malta extract (``tests/data/osm``) with invented origins and services
on its roads (seeded; one service offshore, too far from every road, as an edge case).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from django.test import Client
from django.utils.html import escape
from shapely.geometry import Point

from maillage.network.graph import build_graph
from maillage.network.model import RoadModel
from maillage.web.models import (
    Action,
    Commune,
    CommuneTime,
    Service,
    Study,
    WorkshopScenario,
)
from maillage.web.study_model import study_model
from maillage.web.views import latest_study

pytestmark = pytest.mark.django_db

URL = "/equipe/atelier/"
MALTA = Path(__file__).resolve().parents[1] / "data" / "osm" / "malta-2018-08-29.osm.pbf"


def reference(
    family: str,
    *,
    closed: set[int] | frozenset[int] = frozenset(),
    opened: tuple[str, ...] = (),
    roads: tuple[str, ...] = (),
) -> np.ndarray:
    """Minutes from each origin of the loaded study to the nearest open service of the
    family, recomputed from scratch by the study's non-incremental engine (``inf`` when
    none can be reached)."""
    model = study_model(latest_study())
    travel = model.network.summer
    if roads:
        assert isinstance(travel, RoadModel)
        travel = travel.without_ways(list(roads))
    closed_ids = set(Service.objects.filter(pk__in=closed).values_list("service_id", flat=True))
    services = model.services[model.services["nearest_family"] == family]
    services = services[~services["service_id"].isin(closed_ids)][["service_id", "geometry"]]
    origins = model.origins.rename(columns={"origin_id": "id"})
    new = origins.set_index("id").loc[list(opened), ["geometry"]].reset_index(drop=True)
    new["service_id"] = [f"nouveau-{i}" for i in range(len(new))]
    points = gpd.GeoDataFrame(
        pd.concat([services.to_crs(origins.crs), new], ignore_index=True),
        geometry="geometry",
        crs=origins.crs,
    ).assign(famille=family)
    table = travel.nearest(origins, points, groups="famille", origin_id="id")
    minutes = table.set_index("id").loc[origins["id"], "minutes"].to_numpy(dtype=float)
    return np.where(np.isnan(minutes), np.inf, minutes)


def post(client: Client, family: str, **fields: Any) -> Any:
    return client.post(URL, {"famille": family, **fields}, follow=True)


def test_straight_line_study_close_open_move_and_save(client_as: Any) -> None:
    editor = client_as("editeur")
    page = editor.get(URL, {"famille": "soins"})
    assert page.status_code == 200
    variant = page.context["variant"]
    # Before any change, the workshop's times are the study's (its diagnostic).
    study = latest_study()
    measured = dict(
        CommuneTime.objects.filter(study=study, family="soins", season="ete").values_list(
            "commune_id", "minutes"
        )
    )
    codes = [c["code"] for c in variant.communes]
    np.testing.assert_allclose(variant.before, [measured[c] for c in codes], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(variant.before, reference("soins"), rtol=1e-12, atol=1e-9)
    services = page.context["services"]
    busiest = services[0]
    assert busiest["communes"] > 0
    post(editor, "soins", quoi="fermer", service=busiest["pk"])
    page = editor.get(URL, {"famille": "soins"})
    # The change is named as the directory names the service, not by its number.
    text = page.content.decode()
    assert f"Fermeture : {escape(busiest['name'])}" in text
    assert "communes recalculées" in text
    variant = page.context["variant"]
    after = reference("soins", closed={busiest["pk"]})
    np.testing.assert_allclose(variant.after, after, rtol=1e-12, atol=1e-9)
    assert variant.last_change_size == busiest["communes"]
    # Population beyond each threshold, before and after, from the same references.
    population = np.array([c["population"] for c in variant.communes], dtype=float)
    before = reference("soins")
    for row in page.context["comparison"]["beyond"]:
        assert row["before"] == population[before > row["threshold"]].sum()
        assert row["after"] == population[after > row["threshold"]].sum()
    assert all(row["difference"] >= 0 for row in page.context["comparison"]["beyond"])
    limits = [7, 15, 20, 30]
    expected = {
        c["name"]
        for c, old, new in zip(variant.communes, before, after, strict=True)
        if np.searchsorted(limits, old, side="right") != np.searchsorted(limits, new, side="right")
    }
    assert {c["name"] for c in page.context["comparison"]["changed"]} == expected
    # Open a service at Bessans: its time becomes 0.
    post(editor, "soins", quoi="ouvrir", commune="73040", name="MSP")
    variant = editor.get(URL, {"famille": "soins"}).context["variant"]
    codes = [c["code"] for c in variant.communes]
    assert variant.after[codes.index("73040")] == pytest.approx(0.0)
    np.testing.assert_allclose(
        variant.after, reference("soins", closed={busiest["pk"]}, opened=("73040",)), rtol=1e-12
    )
    # The maps' GeoJSON: before and after differ at Bessans.
    geo = {
        state: {
            f["properties"]["nom"]: f["properties"]["minutes"]
            for f in json.loads(
                editor.get(
                    "/equipe/atelier/communes.geojson", {"famille": "soins", "etat": state}
                ).content
            )["features"]
        }
        for state in ("avant", "apres")
    }
    assert geo["apres"]["Bessans"] == 0.0 < geo["avant"]["Bessans"]
    # Save the variant, attached to an action.
    action = Action.objects.create(
        title="MSP de Bessans",
        family="soins",
        level="communal",
        porteur="Commune",
        year_start=2026,
        year_end=2027,
    )
    post(editor, "soins", quoi="enregistrer", scenario_name="MSP Bessans", action=action.pk)
    scenario = WorkshopScenario.objects.get()
    assert scenario.action == action and len(scenario.operations) == 2
    assert "Bessans" in {c["name"] for c in scenario.summary["changed"]}
    # Undo the opening, then everything.
    post(editor, "soins", quoi="annuler")
    variant = editor.get(URL, {"famille": "soins"}).context["variant"]
    np.testing.assert_allclose(variant.after, after, rtol=1e-12, atol=1e-9)
    post(editor, "soins", quoi="effacer")
    variant = editor.get(URL, {"famille": "soins"}).context["variant"]
    np.testing.assert_array_equal(variant.after, variant.before)


def test_straight_line_study_cannot_close_a_pass(client_as: Any) -> None:
    editor = client_as("editeur")
    page = editor.get(URL, {"famille": "soins"})
    assert page.context["closes_roads"] is False
    text = page.content.decode()
    assert "nécessite une étude calculée sur le réseau routier" in text
    form = text[text.index('id="fermer-route"') : text.index("</form>", text.index("fermer-route"))]
    assert form.count("disabled") == 2  # the field and the button
    refused = post(editor, "soins", quoi="fermer_route", route="Col du Galibier")
    assert "nécessite une étude calculée sur le réseau routier" in refused.content.decode()
    assert not refused.context["operations"]


def test_move_a_france_services(client_as: Any) -> None:
    editor = client_as("editeur")
    site = Service.objects.filter(type="A128", commune__in_territory=True).first()
    assert site is not None
    post(editor, "social_emploi", quoi="ouvrir", commune="73040", moved=site.pk)
    page = editor.get(URL, {"famille": "social_emploi"})
    np.testing.assert_allclose(
        page.context["variant"].after,
        reference("social_emploi", closed={site.pk}, opened=("73040",)),
        rtol=1e-12,
        atol=1e-9,
    )
    post(editor, "social_emploi", quoi="annuler")
    assert (
        page.context["operations"]
        and not editor.get(URL, {"famille": "social_emploi"}).context["operations"]
    )


def test_roles_on_the_workshop(client_as: Any) -> None:
    assert Client().get(URL).status_code == 302
    viewer = client_as("lecteur")
    assert viewer.get(URL).status_code == 200
    response = viewer.post(URL, {"famille": "soins", "quoi": "enregistrer", "scenario_name": "x"})
    assert response.status_code == 403
    assert not WorkshopScenario.objects.exists()


# --- a road study ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def malta_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A road study folder on the Malta extract: 40 origins and 12 doctors placed near
    random nodes of its drivable graph (seeded), and one doctor 5 km offshore."""
    graph = build_graph(MALTA, cache_dir=tmp_path_factory.mktemp("graphes"))
    rng = np.random.default_rng(19)
    nodes = rng.choice(np.flatnonzero(graph.has_edges()), size=52, replace=False)
    offsets = rng.uniform(-150, 150, size=(2, nodes.size))  # metres off the road
    shifted = gpd.GeoSeries(
        gpd.points_from_xy(graph.x[nodes] + offsets[0], graph.y[nodes] + offsets[1]),
        crs=graph.crs,
    ).to_crs(4326)
    folder = tmp_path_factory.mktemp("etude-malte")
    origins = gpd.GeoDataFrame(
        {
            "origin_id": [f"M{i:04d}" for i in range(40)],
            "name": [f"Lieu {i} (Malte)" for i in range(40)],
            "population": rng.integers(100, 5000, size=40),
        },
        geometry=list(shifted[:40]),
        crs=4326,
    )
    offshore = Point(14.35, 35.75)  # at sea, north of Malta
    services = gpd.GeoDataFrame(
        {
            "service_id": [f"malte:D265:{i}" for i in range(13)],
            "type": "D265",
            "name": [f"Médecin {i}" for i in range(13)],
            "commune": [f"M{i:04d}" for i in range(13)],
            "family": "soins",
        },
        geometry=[*shifted[40:], offshore],
        crs=4326,
    )
    origins.to_parquet(folder / "origins.parquet")
    services.to_parquet(folder / "services.parquet")
    facts = {"method": "road", "network": {"extract": str(MALTA), "winter_closures": []}}
    (folder / "etude.json").write_text(json.dumps(facts), encoding="utf-8")
    return folder


@pytest.fixture
def malta_study(malta_folder: Path) -> Study:
    """The Malta road study, loaded as the latest study of the test database."""
    origins = gpd.read_parquet(malta_folder / "origins.parquet")
    lambert = origins.to_crs(2154)
    Commune.objects.bulk_create(
        Commune(
            code=row.origin_id,
            name=row.name,
            in_territory=False,
            population=int(row.population),
            x_m=point.x,
            y_m=point.y,
            lon=row.geometry.x,
            lat=row.geometry.y,
        )
        for row, point in zip(origins.itertuples(), lambert.geometry, strict=True)
    )
    services = gpd.read_parquet(malta_folder / "services.parquet")
    Service.objects.bulk_create(
        Service(
            service_id=row.service_id,
            name=row.name,
            type=row.type,
            type_label="Médecin généraliste",
            family=row.family,
            commune_id=row.commune,
            source="test",
            x_m=0.0,
            y_m=0.0,
            lon=row.geometry.x,
            lat=row.geometry.y,
        )
        for row in services.itertuples()
    )
    return Study.objects.create(
        path=str(malta_folder),
        territory="Malte (étude de test)",
        method="réseau routier",
        summary={"seuils_minutes": [7, 15, 20, 30]},
        fingerprint="malte-test",
    )


def busiest_named_roads(count: int) -> list[str]:
    """Names of the ways carrying the most edges of the doctors' search trees."""
    state = study_model(latest_study()).base("soins").state
    graph = state.graph  # type: ignore[attr-defined]
    parents = state.network._parent  # type: ignore[attr-defined]
    names = pd.Series(graph.way_name[graph.edge_way[parents[parents >= 0]]])
    names = names[names.notna() & (names.astype(str).str.len() > 0)]
    return names.value_counts().index[:count].astype(str).tolist()


def test_road_study_closure_opening_and_pass_equal_full_recomputations(
    client_as: Any, malta_study: Study
) -> None:
    editor = client_as("editeur")
    page = editor.get(URL, {"famille": "soins"})
    assert page.status_code == 200 and page.context["closes_roads"] is True
    assert "nécessite une étude calculée" not in page.content.decode()
    variant = page.context["variant"]
    before = reference("soins")
    np.testing.assert_allclose(variant.before, before, rtol=1e-9)
    assert np.isfinite(before).all()
    # The offshore doctor serves no one: 12 services listed, the busiest closed.
    services = page.context["services"]
    assert len(services) == 13 and services[-1]["communes"] == 0
    busiest = services[0]
    post(editor, "soins", quoi="fermer", service=busiest["pk"])
    variant = editor.get(URL, {"famille": "soins"}).context["variant"]
    closed = reference("soins", closed={busiest["pk"]})
    np.testing.assert_allclose(variant.after, closed, rtol=1e-9)
    assert (closed > before).any() and variant.last_change_size > 0
    # An opening at the origin farthest from any doctor.
    farthest = variant.communes[int(np.argmax(closed))]["code"]
    post(editor, "soins", quoi="ouvrir", commune=farthest, name="Nouveau cabinet")
    variant = editor.get(URL, {"famille": "soins"}).context["variant"]
    opened = reference("soins", closed={busiest["pk"]}, opened=(farthest,))
    np.testing.assert_allclose(variant.after, opened, rtol=1e-9)
    assert (opened < closed).any()
    # Closing a road (as a pass): the first of the busiest named roads that moves a time.
    for road in busiest_named_roads(8):
        expected = reference("soins", closed={busiest["pk"]}, opened=(farthest,), roads=(road,))
        if not np.allclose(expected, opened):
            break
    else:
        pytest.fail("aucune route fermée ne change les temps")
    page = post(editor, "soins", quoi="fermer_route", route=road)
    variant = page.context["variant"]
    assert variant.closed_roads == [road]
    np.testing.assert_allclose(variant.after, expected, rtol=1e-9)
    assert road in page.content.decode()
    # Variants forgotten by the process (``REPLAYS_KEPT``) are replayed from the start.
    study_model(latest_study())._replays.clear()
    again = editor.get(URL, {"famille": "soins"}).context["variant"]
    np.testing.assert_array_equal(again.after, variant.after)
    # Reopening it gives back the times before the closure.
    variant = post(editor, "soins", quoi="rouvrir_route", route=road).context["variant"]
    np.testing.assert_allclose(variant.after, opened, rtol=1e-9)
    # An unknown road is refused with a French message; nothing is added.
    refused = post(editor, "soins", quoi="fermer_route", route="Route qui n'existe pas")
    assert "introuvable dans le réseau de l&#x27;étude" in refused.content.decode()
    assert len(refused.context["operations"]) == 4


def test_the_road_graph_is_built_once_per_process(malta_study: Study) -> None:
    first = study_model(malta_study)
    assert study_model(Study.objects.get(pk=malta_study.pk)) is first
    assert first.base("soins") is first.base("soins")
    graph = first.network.summer.graph  # type: ignore[attr-defined]
    copy = first.base("soins").state.copy()
    assert copy.graph is graph  # type: ignore[attr-defined]
    copy.close_service(0)
    assert not np.array_equal(copy.minutes, first.base("soins").state.minutes)
