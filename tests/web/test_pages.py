"""Public and staff pages through Django's test client, on the real Maurienne study."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from maillage.web.loading import load_study
from maillage.web.models import (
    Action,
    ActionIndicator,
    Commune,
    Contribution,
    Indicator,
    Measurement,
    Service,
    Study,
    SurveyAnswer,
    SurveyResponse,
)

pytestmark = pytest.mark.django_db

SAINT_JEAN = "73248"  # Saint-Jean-de-Maurienne
BESSANS = "73040"


def test_database_is_the_configured_one() -> None:
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith("postgres") else "sqlite"
    assert connection.vendor == expected


def test_study_loaded_from_the_folder(study_folder: Path) -> None:
    study = Study.objects.get()
    assert study.territory == "Pays de Maurienne"
    assert study.method == "vol d'oiseau"
    assert Commune.objects.filter(in_territory=True).count() == 53
    assert Service.objects.filter(commune__in_territory=True, type="A128").count() == 5
    median = Measurement.objects.get(
        study=study, indicator__code="territoire:territoire:soins:ete:median_minutes"
    )
    assert median.value == pytest.approx(
        study.summary["familles"]["soins"]["mediane_minutes"], abs=1e-4
    )
    # Loading the same folder again adds no measure.
    assert not load_study(study_folder).created
    assert Study.objects.count() == 1


def test_dashboard_shows_families_method_and_epci() -> None:
    page = Client().get("/").content.decode()
    assert "Pays de Maurienne" in page
    assert "vol d&#x27;oiseau" in page or "vol d'oiseau" in page
    assert "Accès aux soins" in page and "Services à domicile" in page
    assert "Non mesurée" not in page  # every family is measured (per-commune national data)
    assert "Communauté de communes Haute Maurienne Vanoise" in page
    assert "Bessans" in page  # a territoire à enjeux


def test_communes_geojson_carries_times() -> None:
    data = Client().get("/carte/communes.geojson?famille=soins").json()
    assert data["methode"] == "vol d'oiseau"
    assert len(data["features"]) == 53
    bessans = next(f for f in data["features"] if f["properties"]["code"] == BESSANS)
    assert bessans["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    # Its nearest care is a pharmacy counted in Val-Cenis (BPE 2024), 20 to 30 min away.
    assert 20 < bessans["properties"]["minutes"] < 30


def test_commune_page() -> None:
    page = Client().get(f"/communes/{BESSANS}/").content.decode()
    assert "Bessans" in page and "très fort" in page
    assert Client().get("/communes/99999/").status_code == 404


def test_directory_search_by_commune_family_and_name() -> None:
    client = Client()
    page = client.get("/services/", {"commune": SAINT_JEAN, "family": "soins"}).content.decode()
    assert "vol d&#x27;oiseau" in page or "vol d'oiseau" in page
    assert "Temps (vol d" in page
    # Sorted from the nearest: the first time shown is the smallest.
    response = client.get("/services/", {"commune": SAINT_JEAN, "family": "social_emploi"})
    rows = response.context["page"].object_list
    times = [row["minutes"] for row in rows]
    assert times == sorted(times)
    assert rows[0]["service"]["commune_id"] == SAINT_JEAN
    named = client.get("/services/", {"q": "France Services"}).context["page"].object_list
    assert named and all(
        "France" in r["service"]["name"] or "France" in r["service"]["type_label"] for r in named
    )
    modane = client.get("/services/", {"q": "Mairie de Modane"}).context["page"].object_list
    assert modane[0]["service"]["opening_hours"]
    from maillage.web.hours import french_hours

    assert (
        french_hours(modane[0]["service"]["opening_hours"])
        in client.get("/services/", {"q": "Mairie de Modane"}).content.decode()
    )


def survey_data(commune: str = SAINT_JEAN, **extra: Any) -> dict[str, Any]:
    data = {
        "commune": commune,
        "age_band": "60-74",
        "soins_use": "mois",
        "soins_satisfaction": "2",
        "soins_distance": "trop_loin",
        "soins_needs": "Un kinésithérapeute plus proche",
        "social_emploi_use": "rarement",
        "social_emploi_satisfaction": "4",
    }
    data.update(extra)
    return data


def test_survey_saved_anonymously() -> None:
    response = Client().post("/enquete/", survey_data())
    assert response.status_code == 302 and response["Location"] == "/enquete/merci/"
    saved = SurveyResponse.objects.get()
    assert saved.commune_id == SAINT_JEAN and saved.source == "web"
    answers = {a.family: a for a in saved.answers.all()}
    assert set(answers) == {"soins", "social_emploi"}
    assert answers["soins"].satisfaction == 2 and answers["soins"].distance_felt == "trop_loin"
    field_names = {f.name for f in SurveyResponse._meta.get_fields()}
    assert not field_names & {"ip", "email", "name", "user"}


def test_survey_needs_one_family_and_a_commune() -> None:
    response = Client().post("/enquete/", {"commune": SAINT_JEAN, "age_band": "20-39"})
    assert response.status_code == 200
    assert "Répondez au moins aux questions" in response.content.decode()
    response = Client().post("/enquete/", survey_data(commune="75056"))
    assert response.status_code == 200 and SurveyResponse.objects.count() == 0


def test_contribution_personal_data_needs_consent() -> None:
    data = {
        "kind": "initiative",
        "title": "Navette solidaire",
        "message": "Des bénévoles conduisent les aînés au marché.",
        "commune": BESSANS,
        "name": "Jeanne Martin",
        "email": "jeanne@example.org",
    }
    response = Client().post("/contribuer/", data)
    assert response.status_code == 200
    assert "Cochez le consentement" in response.content.decode()
    response = Client().post("/contribuer/", {**data, "consent": "on"})
    assert response.status_code == 302
    saved = Contribution.objects.get()
    assert saved.consent and saved.status == "attente" and saved.email == "jeanne@example.org"


def test_moderation_publishes_without_personal_data(client_as: Any) -> None:
    item = Contribution.objects.create(
        kind="initiative",
        title="Bus des montagnes",
        message="Un minibus relie les hameaux.",
        name="Paul Durand",
        email="paul@example.org",
        phone="04 79 00 00 00",
        consent=True,
    )
    assert "Bus des montagnes" not in Client().get("/initiatives/").content.decode()
    editor = client_as("editeur")
    page = editor.get(f"/equipe/contributions/{item.pk}/").content.decode()
    assert "paul@example.org" not in page  # editors do not see personal data
    response = editor.post(f"/equipe/contributions/{item.pk}/", {"decision": "publiee"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "publiee" and item.moderated_by is not None
    public = Client().get("/initiatives/").content.decode()
    assert "Bus des montagnes" in public
    assert "Paul Durand" not in public and "paul@example.org" not in public
    assert "04 79" not in public


def test_action_programme_with_indicator_baseline(client_as: Any) -> None:
    editor = client_as("editeur")
    response = editor.post(
        "/equipe/programme/nouvelle/",
        {
            "title": "Maison de santé à Bessans",
            "family": "soins",
            "level": "intercommunal",
            "priority": "1",
            "porteur": "CC Haute Maurienne Vanoise",
            "partners": "ARS, Département",
            "budget_eur": "350000",
            "year_start": "2027",
            "year_end": "2029",
            "mutualisation": "on",
            "status": "prevue",
            "public": "on",
            "themes": [],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    action = Action.objects.get()
    indicator = Indicator.objects.get(code="epci:200070340:soins:ete:population_beyond_30min")
    response = editor.post(
        f"/equipe/programme/{action.pk}/", {"indicator": indicator.pk, "target": "0"}
    )
    assert response.status_code == 302
    link = ActionIndicator.objects.get()
    assert link.indicator == indicator
    public = Client().get(f"/programme/{action.pk}/").content.decode()
    assert "Maison de santé à Bessans" in public
    assert "Population à plus de 30 min" in public
    assert "pas encore remesuré" in public
    assert "Maison de santé à Bessans" in Client().get("/programme/").content.decode()


def test_years_outside_the_programme_refused(client_as: Any) -> None:
    response = client_as("editeur").post(
        "/equipe/programme/nouvelle/",
        {
            "title": "Trop tard",
            "family": "soins",
            "level": "communal",
            "priority": "2",
            "porteur": "Commune",
            "year_start": "2031",
            "year_end": "2027",
            "status": "prevue",
        },
    )
    assert response.status_code == 200
    assert "La dernière année précède la première" in response.content.decode()
    assert not Action.objects.exists()


def test_re_measure_updates_the_evaluation(study_folder: Path, tmp_path: Path) -> None:
    import pandas as pd

    indicator = Indicator.objects.get(code="territoire:territoire:soins:ete:median_minutes")
    action = Action.objects.create(
        title="Téléconsultation",
        family="soins",
        level="supra",
        porteur="Pays",
        year_start=2026,
        year_end=2027,
        public=True,
    )
    ActionIndicator.objects.create(action=action, indicator=indicator)
    folder = tmp_path / "etude2"
    folder.mkdir()
    for path in study_folder.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    access = pd.read_parquet(folder / "access.parquet")
    access.loc[access["level"] == "territory", "median_minutes"] = 9.5
    access.to_parquet(folder / "access.parquet", index=False)
    assert load_study(folder).created
    assert indicator.baseline().value != pytest.approx(9.5)  # type: ignore[union-attr]
    assert indicator.latest().value == pytest.approx(9.5)  # type: ignore[union-attr]
    page = Client().get(f"/programme/{action.pk}/").content.decode()
    assert "9,5" in page


def test_survey_results_cross_measured_times(client_as: Any) -> None:
    for commune, satisfaction, distance in [
        (BESSANS, "1", "trop_loin"),
        (BESSANS, "2", "loin"),
        (SAINT_JEAN, "4", "proche"),
    ]:
        Client().post(
            "/enquete/",
            survey_data(commune, soins_satisfaction=satisfaction, soins_distance=distance),
        )
    response = client_as("lecteur").get("/equipe/enquete/", {"famille": "soins"})
    assert response.status_code == 200
    results = response.context["results"]
    assert results["total"].answers == 3
    # Bessans is 20 to 30 min from its nearest care (a pharmacy counted in Val-Cenis).
    far = next(b for b in results["bands"] if b["label"] == "20 à 30 min")
    assert far["group"].answers == 2 and far["group"].far_share == 1.0
    rows = {r["epci"]: r for r in results["rows"]}
    hmv = rows["Communauté de communes Haute Maurienne Vanoise"]
    assert hmv["measured_median"] < 30 and hmv["group"].satisfaction == 1.5


def csv_bytes(text: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def test_survey_csv_import_paper_and_limesurvey(client_as: Any) -> None:
    editor = client_as("editeur")
    paper = csv_bytes(
        "commune;tranche_age;soins_usage;soins_satisfaction;soins_distance;soins_besoins\n"
        "73248;75+;semaine;3;acceptable;\n"
        "Bessans;40-59;Tous les mois;1;trop_loin;Un médecin\n",
        "cp1252",
    )
    paper.name = "papier.csv"
    response = editor.post("/equipe/enquete/import/", {"source": "papier", "file": paper})
    assert response.status_code == 302
    lime = csv_bytes(
        'id,submitdate,commune,tranche_age,"soins[usage]","soins[satisfaction]"\n'
        "1,2025-05-01,73040,0-19,jamais,2\n"
    )
    lime.name = "limesurvey.csv"
    response = editor.post("/equipe/enquete/import/", {"source": "limesurvey", "file": lime})
    assert response.status_code == 302
    assert SurveyResponse.objects.filter(source="papier").count() == 2
    assert SurveyAnswer.objects.filter(response__source="limesurvey", satisfaction=2).count() == 1


def test_survey_csv_import_reports_every_problem(client_as: Any) -> None:
    bad = csv_bytes(
        "commune;tranche_age;soins_satisfaction\nParis;75+;3\n73248;centenaire;9\n73248;20-39\n"
    )
    bad.name = "erreurs.csv"
    page = (
        client_as("editeur")
        .post("/equipe/enquete/import/", {"source": "papier", "file": bad})
        .content.decode()
    )
    assert "rien n'a été importé" in page
    assert "Ligne 2, colonne commune" in page
    assert "Ligne 3, colonne tranche_age" in page
    assert "Ligne 3, colonne soins_satisfaction" in page
    assert "Ligne 4 : 2 champs au lieu de 3" in page
    assert not SurveyResponse.objects.exists()


def test_exports_csv_and_xlsx(client_as: Any) -> None:
    Action.objects.create(
        title="=cmd|' /C calc'!A0",
        family="soins",
        level="communal",
        porteur="Commune",
        year_start=2026,
        year_end=2026,
        budget_eur=1500,
    )
    viewer = client_as("lecteur")
    text = viewer.get("/equipe/programme/export.csv").content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("numéro;intitulé;famille")
    assert "'=cmd" in text  # formula injection neutralised
    workbook = load_workbook(io.BytesIO(viewer.get("/equipe/programme/export.xlsx").content))
    sheet = workbook.active
    assert sheet is not None
    assert sheet["B1"].value == "intitulé" and str(sheet["B2"].value).startswith("'=")
    assert viewer.get("/equipe/enquete/export.csv").status_code == 200


def test_personal_data_export_and_erasure(client_as: Any) -> None:
    for title in ("A", "B"):
        Contribution.objects.create(
            kind="personne",
            title=title,
            message="…",
            name="Zoé",
            email="zoe@example.org",
            consent=True,
        )
    Contribution.objects.create(kind="participer", title="C", message="…")
    admin = client_as("admin")
    export = admin.get("/equipe/donnees-personnelles/export.csv").content.decode("utf-8-sig")
    assert export.count("zoe@example.org") == 2 and ";C;" not in export
    mine = admin.get(
        "/equipe/donnees-personnelles/", {"email": "zoe@example.org", "format": "csv"}
    ).content.decode("utf-8-sig")
    assert mine.count("Zoé") == 2
    admin.post("/equipe/donnees-personnelles/effacer/", {"email": "zoe@example.org"})
    assert not Contribution.objects.exclude(name="", email="", phone="").exists()
    assert Contribution.objects.count() == 3
    Contribution.objects.filter(title="A").update(email="zoe@example.org")
    admin.post(
        "/equipe/donnees-personnelles/effacer/", {"email": "zoe@example.org", "mode": "tout"}
    )
    assert Contribution.objects.count() == 2


def test_roles_created_after_migrate() -> None:
    from django.contrib.auth.models import Group

    editor = Group.objects.get(name="Éditeur").permissions.values_list("codename", flat=True)
    viewer = Group.objects.get(name="Lecteur").permissions.values_list("codename", flat=True)
    admin = Group.objects.get(name="Administrateur").permissions.values_list("codename", flat=True)
    assert "moderate_contribution" in editor and "manage_personal_data" not in editor
    assert "manage_personal_data" in admin and "add_user" in admin
    assert not [p for p in viewer if not p.startswith("view_")]


@pytest.mark.django_db(transaction=True)
def test_live_server_answers_parallel_map_requests(
    live_server: Any, study_folder: Path, client_as: Any
) -> None:
    """Maps requested many at a time, as a browser loading the workshop's before/after maps
    does, each get their whole layer (threads sharing one in-memory SQLite connection read
    each other's rows: the workshop page failed that way once)."""
    import json
    from concurrent.futures import ThreadPoolExecutor
    from urllib.request import Request, urlopen

    from django.conf import settings

    from maillage.services.typology import FAMILIES

    # The live server's threads share the test's connection when the database is in memory.
    assert connection.vendor != "sqlite" or not connection.is_in_memory_db()
    load_study(study_folder)
    cookie = client_as("editeur").cookies[settings.SESSION_COOKIE_NAME].value
    paths = [f"/carte/communes.geojson?famille={f}" for f in FAMILIES] + [
        f"/equipe/atelier/communes.geojson?famille={f}&etat={s}"
        for f in FAMILIES
        for s in ("avant", "apres")
    ]

    def fetch(path: str) -> int:
        request = Request(
            live_server.url + path, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
        )
        with urlopen(request, timeout=120) as answer:
            return len(json.load(answer)["features"])

    expected = Commune.objects.filter(in_territory=True).count()
    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        for _ in range(3):
            cache.clear()  # every round reads the database again
            assert list(pool.map(fetch, paths)) == [expected] * len(paths)
