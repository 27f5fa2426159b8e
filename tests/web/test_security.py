"""Security: access control (roles, IDOR), CSRF, escaping, SQL metacharacters, uploads,
rate limiting, headers."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client, override_settings

from maillage.web.models import Action, ActionIndicator, Contribution, Indicator, Service

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    "/equipe/",
    "/equipe/contributions/",
    "/equipe/contributions/{contribution}/",
    "/equipe/donnees-personnelles/",
    "/equipe/donnees-personnelles/export.csv",
    "/equipe/enquete/",
    "/equipe/enquete/import/",
    "/equipe/enquete/export.csv",
    "/equipe/programme/",
    "/equipe/programme/nouvelle/",
    "/equipe/programme/{action}/",
    "/equipe/programme/{action}/modifier/",
    "/equipe/programme/export.csv",
    "/equipe/programme/export.xlsx",
    "/admin/",
    "/admin/maillage_web/contribution/",
]
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SQL = "'; DROP TABLE maillage_web_service; -- \" OR 1=1 --"


@pytest.fixture
def objects() -> dict[str, Any]:
    contribution = Contribution.objects.create(
        kind="personne", title="Secret", message="…", email="secret@example.org", consent=True
    )
    action = Action.objects.create(
        title="Projet interne",
        family="soins",
        level="communal",
        porteur="Commune",
        year_start=2026,
        year_end=2027,
        public=False,
    )
    return {"contribution": contribution.pk, "action": action.pk}


def test_anonymous_users_cannot_reach_staff_pages(objects: dict[str, Any]) -> None:
    client = Client()
    for template in STAFF_PAGES:
        url = template.format(**objects)
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/admin/login/" in response["Location"], url
    response = client.post("/equipe/donnees-personnelles/effacer/", {"email": "secret@example.org"})
    assert response.status_code in {302, 403}
    assert Contribution.objects.filter(email="secret@example.org").exists()


def test_viewer_has_no_personal_data_nor_write_access(
    client_as: Any, objects: dict[str, Any]
) -> None:
    viewer = client_as("lecteur")
    for url in [
        "/equipe/contributions/",
        f"/equipe/contributions/{objects['contribution']}/",
        "/equipe/donnees-personnelles/",
        "/equipe/donnees-personnelles/export.csv",
        "/equipe/enquete/import/",
        "/equipe/programme/nouvelle/",
        f"/equipe/programme/{objects['action']}/modifier/",
    ]:
        response = viewer.get(url)
        assert response.status_code == 403, url
        assert "secret@example.org" not in response.content.decode()
    indicator = Indicator.objects.first()
    assert indicator is not None
    response = viewer.post(f"/equipe/programme/{objects['action']}/", {"indicator": indicator.pk})
    assert response.status_code == 403 and not ActionIndicator.objects.exists()
    assert viewer.get("/equipe/programme/").status_code == 200
    admin_page = viewer.get("/admin/maillage_web/contribution/")
    assert admin_page.status_code == 403


def test_editor_cannot_export_personal_data(client_as: Any, objects: dict[str, Any]) -> None:
    editor = client_as("editeur")
    assert editor.get("/equipe/donnees-personnelles/export.csv").status_code == 403
    page = editor.get(f"/equipe/contributions/{objects['contribution']}/").content.decode()
    assert "secret@example.org" not in page


def test_idor_unpublished_and_foreign_objects(client_as: Any, objects: dict[str, Any]) -> None:
    # A non-public action is not reachable by its id on the public side.
    assert Client().get(f"/programme/{objects['action']}/").status_code == 404
    assert "Projet interne" not in Client().get("/programme/").content.decode()
    # A link of another action cannot be removed through this action's URL.
    other = Action.objects.create(
        title="Autre",
        family="soins",
        level="communal",
        porteur="X",
        year_start=2026,
        year_end=2026,
    )
    indicator = Indicator.objects.first()
    assert indicator is not None
    link = ActionIndicator.objects.create(action=other, indicator=indicator)
    editor = client_as("editeur")
    response = editor.post(f"/equipe/programme/{objects['action']}/indicateurs/{link.pk}/retirer/")
    assert response.status_code == 404 and ActionIndicator.objects.filter(pk=link.pk).exists()
    # Unpublished contributions are never public.
    assert "Secret" not in Client().get("/initiatives/").content.decode()


def test_forms_without_csrf_token_are_refused(client_as: Any, objects: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    for url, data in [
        ("/enquete/", {"commune": "73248", "age_band": "20-39", "soins_use": "mois"}),
        ("/contribuer/", {"kind": "participer", "title": "t", "message": "m"}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "Formulaire refusé" in response.content.decode()
    staff = Client(enforce_csrf_checks=True)
    from django.contrib.auth.models import User

    staff.force_login(User.objects.create_superuser("root", password="x"))
    response = staff.post(
        f"/equipe/contributions/{objects['contribution']}/", {"decision": "publiee"}
    )
    assert response.status_code == 403
    assert Contribution.objects.get(pk=objects["contribution"]).status == "attente"
    # With the token from the form, the same post goes through.
    page = client.get("/contribuer/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/contribuer/",
        {"kind": "participer", "title": "t", "message": "m", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_free_text_is_rendered_inert(client_as: Any) -> None:
    Client().post(
        "/contribuer/",
        {
            "kind": "initiative",
            "title": XSS,
            "message": XSS,
            "name": XSS,
            "phone": "",
            "email": "",
            "consent": "on",
        },
    )
    item = Contribution.objects.get()
    item.status = "publiee"
    item.save()
    editor = client_as("editeur")
    editor.post(
        "/equipe/programme/nouvelle/",
        {
            "title": XSS,
            "description": XSS,
            "objectives": XSS,
            "family": "soins",
            "level": "communal",
            "priority": "1",
            "porteur": XSS,
            "partners": XSS,
            "year_start": "2026",
            "year_end": "2026",
            "status": "prevue",
            "public": "on",
        },
    )
    action = Action.objects.get()
    indicator = Indicator.objects.first()
    assert indicator is not None
    editor.post(f"/equipe/programme/{action.pk}/", {"indicator": indicator.pk, "note": XSS})
    Client().post("/enquete/", {"commune": "73248", "age_band": "20-39", "soins_needs": XSS})
    pages = [
        Client().get("/initiatives/"),
        Client().get("/programme/"),
        Client().get(f"/programme/{action.pk}/"),
        editor.get("/equipe/contributions/?statut=publiee"),
        editor.get(f"/equipe/contributions/{item.pk}/"),
        editor.get(f"/equipe/programme/{action.pk}/"),
        editor.get("/equipe/programme/"),
        Client().get("/services/", {"q": XSS}),
    ]
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in pages[0].content.decode()


def test_sql_metacharacters_are_harmless(client_as: Any) -> None:
    before = Service.objects.count()
    for params in [
        {"q": SQL},
        {"commune": SQL},
        {"family": SQL},
        {"page": SQL},
    ]:
        assert Client().get("/services/", params).status_code == 200
    assert Client().get("/", {"famille": SQL, "saison": SQL}).status_code == 200
    assert Client().get("/programme/", {"famille": SQL}).status_code == 200
    assert Client().get(f"/communes/{SQL}/").status_code == 404
    response = Client().post("/contribuer/", {"kind": "initiative", "title": SQL, "message": SQL})
    assert response.status_code == 302
    assert Contribution.objects.get().title == SQL
    assert (
        client_as("admin").get("/equipe/donnees-personnelles/", {"email": SQL}).status_code == 200
    )
    assert Service.objects.count() == before


def upload(content: bytes, name: str = "reponses.csv") -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


@override_settings(MAILLAGE_MAX_UPLOAD_BYTES=1024)
def test_oversized_and_malformed_uploads_refused(client_as: Any) -> None:
    editor = client_as("editeur")
    cases = [
        (b"commune;tranche_age\n" + b"73248;20-39\n" * 200, "trop volumineux"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "pas un texte CSV"),
        (b"", "vide"),
        (b"foo;bar\n1;2\n", "Colonne(s) manquante(s) : commune, tranche_age"),
        (b'commune;tranche_age\n"73248;20-39\n', "champs au lieu de"),
    ]
    for content, message in cases:
        response = editor.post(
            "/equipe/enquete/import/", {"source": "papier", "file": upload(content)}
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert message in html, message
    response = editor.post(
        "/equipe/enquete/import/",
        {"source": "papier", "file": upload(b"commune;tranche_age\n", "virus.exe")},
    )
    assert "doit être un CSV" in response.content.decode()
    response = editor.post("/equipe/enquete/import/", {"source": "papier"})
    assert "obligatoire" in response.content.decode()


def test_oversized_request_body_refused(client_as: Any) -> None:
    response = Client().post(
        "/contribuer/", {"kind": "initiative", "title": "x", "message": "x" * 3_000_000}
    )
    assert response.status_code == 400


def test_public_forms_are_rate_limited() -> None:
    client = Client()
    with override_settings(MAILLAGE_RATE_LIMIT=(3, 3600)):
        codes = [
            client.post(
                "/contribuer/", {"kind": "participer", "title": "t", "message": "m"}
            ).status_code
            for _ in range(4)
        ]
        assert codes == [302, 302, 302, 429]
        response = client.post("/contribuer/", {"kind": "participer", "title": "t", "message": "m"})
        assert response.status_code == 429 and "Réessayez dans" in response.content.decode()
        assert int(response["Retry-After"]) > 0
        assert client.get("/contribuer/").status_code == 200  # reading is never limited
        survey = [
            client.post(
                "/enquete/", {"commune": "73248", "age_band": "20-39", "soins_use": "mois"}
            ).status_code
            for _ in range(4)
        ]
        assert survey == [302, 302, 302, 429]
        other = Client(REMOTE_ADDR="10.0.0.2")
        assert (
            other.post(
                "/contribuer/", {"kind": "participer", "title": "t", "message": "m"}
            ).status_code
            == 302
        )
    assert Contribution.objects.count() == 4


def test_security_headers() -> None:
    response = Client().get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    page = response.content.decode()
    assert "https://" not in page.split("<footer")[0]  # nothing from a CDN
