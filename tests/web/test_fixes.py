"""Fixes of issue 19, items 1-10: uploads, admin lookups, sign-in throttling, HTTPS
settings, file modes, GDPR, directory, forms, survey import, search, exports.

Each test failed on the code before the fix (the issue's findings) and passes after.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from maillage.web.models import (
    Action,
    Contribution,
    Indicator,
    Service,
    SurveyImport,
    SurveyResponse,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


# --- 1. uploads capped ------------------------------------------------------------------
def test_large_multipart_post_is_refused_before_reading(tmp_path: Path) -> None:
    from django.conf import settings

    limit = int(settings.MAILLAGE_MAX_REQUEST_BYTES)
    assert limit == 3 * 1024 * 1024
    big = tmp_path / "gros.bin"
    big.write_bytes(b"x" * (limit + 1))
    with big.open("rb") as handle:
        response = Client().post(
            "/contribuer/",
            {
                "kind": "initiative",
                "title": "Trop gros",
                "message": "…",
                "piece": handle,
            },
        )
    assert response.status_code == 413
    assert "dépasse la limite de 3 Mo" in response.content.decode()
    assert not Contribution.objects.filter(title="Trop gros").exists()


def test_waitress_is_given_the_same_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import waitress

    from maillage.web import server

    seen: dict[str, Any] = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kwargs: seen.update(kwargs))
    server.serve("127.0.0.1", 0, echo=lambda _: None)
    assert seen["max_request_body_size"] == 3 * 1024 * 1024


# --- 2. no filter on contact fields for editors ------------------------------------------
def test_editor_cannot_filter_contributions_on_contact_fields(client_as: Any) -> None:
    Contribution.objects.create(
        kind="personne",
        title="Jeanne",
        message="…",
        name="Jeanne Martin",
        email="jeanne@example.org",
        phone="0479000000",
        consent=True,
    )
    editor = client_as("editeur")
    base = "/admin/maillage_web/contribution/"
    assert editor.get(base).status_code == 200
    for lookup in ("email__startswith=jeanne", "phone__contains=0479", "name__icontains=jea"):
        response = editor.get(f"{base}?{lookup}")
        assert response.status_code in {302, 400}, lookup
        assert "1 contribution" not in response.content.decode()
    # Search: the editor's search does not look into the contact fields...
    assert "0 contribution" in editor.get(f"{base}?q=jeanne@example.org").content.decode()
    # ...the administrator's does, and may filter.
    admin = client_as("admin")
    assert admin.get(f"{base}?email__startswith=jeanne").status_code == 200
    assert "1 contribution" in admin.get(f"{base}?q=jeanne@example.org").content.decode()


# --- 3. sign-in throttling ---------------------------------------------------------------
def test_sign_in_is_locked_after_five_failures() -> None:
    from django.contrib.auth.models import User

    User.objects.create_user("marie", password="Le-bon-mot-de-passe-9", is_staff=True)
    client = Client()
    for _ in range(5):
        response = client.post(
            "/admin/login/", {"username": "marie", "password": "mauvais"}, REMOTE_ADDR="10.0.0.1"
        )
        assert response.status_code == 200
    right = {"username": "marie", "password": "Le-bon-mot-de-passe-9"}
    response = client.post("/admin/login/", right, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 200
    assert "Trop de tentatives de connexion manquées" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not locked out by the attacker; success clears the counter.
    other = Client()
    assert other.post("/admin/login/", right, REMOTE_ADDR="10.0.0.2").status_code == 302


# --- 4. HTTPS behind a reverse proxy -----------------------------------------------------
def _check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "maillage.web.settings",
        "MAILLAGE_WEB_DATA": str(tmp_path),
        "MAILLAGE_SECRET_KEY": "k" * 10 + "Q3v!x9#Lm2@pZ7&rT5^wY1*eU8(oI4)aS6_dF0+gH" * 2,
        "MAILLAGE_ALLOWED_HOSTS": "schema.example.fr",
        "PYTHONPATH": str(ROOT / "src"),
        **env,
    }
    environment.pop("DATABASE_URL", None)
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by conftest for Playwright
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_https_settings(tmp_path: Path) -> None:
    plain = _check_deploy(tmp_path)
    assert plain.returncode != 0
    for code in ("W004", "W008", "W012", "W016"):
        assert code in plain.stderr + plain.stdout
    https = _check_deploy(tmp_path, MAILLAGE_HTTPS="1", MAILLAGE_SMTP_HOST="smtp.example.fr")
    assert https.returncode == 0, https.stderr + https.stdout
    assert "no issues" in https.stdout


@override_settings(
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    CSRF_TRUSTED_ORIGINS=["https://schema.example.fr"],
    ALLOWED_HOSTS=["schema.example.fr"],
)
def test_forms_pass_csrf_behind_an_https_proxy() -> None:
    client = Client(enforce_csrf_checks=True)
    proxy = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "schema.example.fr"}
    page = client.get("/contribuer/", **proxy)
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/contribuer/",
        {"kind": "initiative", "title": "Par le mandataire", "message": "…"},
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN="https://schema.example.fr",
        HTTP_REFERER="https://schema.example.fr/contribuer/",
        **proxy,
    )
    assert response.status_code == 302
    assert Contribution.objects.filter(title="Par le mandataire").exists()


# --- 5. file modes -----------------------------------------------------------------------
def test_data_folder_and_sqlite_file_are_private(tmp_path: Path) -> None:
    from maillage.web.server import make_private

    folder = tmp_path / "web"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    database = folder / "maillage.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    make_private(folder, {"ENGINE": "django.db.backends.sqlite3", "NAME": database})
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    fresh = tmp_path / "neuf" / "maillage.sqlite3"
    make_private(tmp_path / "neuf", {"ENGINE": "django.db.backends.sqlite3", "NAME": fresh})
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


# --- 6. GDPR -----------------------------------------------------------------------------
def test_purge_erases_contact_details_after_three_years() -> None:
    old = Contribution.objects.create(
        kind="personne", title="Ancienne", message="gardé", email="a@example.org", consent=True
    )
    recent = Contribution.objects.create(
        kind="personne", title="Récente", message="gardé", email="b@example.org", consent=True
    )
    now = timezone.now()
    Contribution.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=3 * 365 + 2))
    Contribution.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=3 * 365 - 2))
    out = io.StringIO()
    call_command("purger_donnees", "--simulation", stdout=out)
    assert "1 contribution(s)" in out.getvalue()
    assert Contribution.objects.get(pk=old.pk).email == "a@example.org"
    call_command("purger_donnees", stdout=out)
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.email, old.consent, old.message) == ("", False, "gardé")
    assert recent.email == "b@example.org"


@override_settings(
    MAILLAGE_CONTROLLER="Syndicat du Pays de Maurienne",
    MAILLAGE_GDPR_CONTACT="dpo@maurienne.example.fr",
)
def test_notice_names_controller_and_contact() -> None:
    page = Client().get("/donnees-personnelles/").content.decode()
    assert "Syndicat du Pays de Maurienne" in page
    assert "dpo@maurienne.example.fr" in page


def test_staff_entering_paper_surveys_is_not_rate_limited(client_as: Any) -> None:
    from maillage.web.models import Commune

    commune = Commune.objects.filter(in_territory=True).first()
    assert commune is not None
    answer = {"commune": commune.code, "age_band": "40-59", "soins_use": "mois"}
    with override_settings(MAILLAGE_RATE_LIMIT=(3, 3600)):
        desk = client_as("editeur")
        codes = [desk.post("/enquete/", answer).status_code for _ in range(6)]
        assert codes == [302] * 6
        anonymous = Client()
        codes = [anonymous.post("/enquete/", answer).status_code for _ in range(4)]
        assert codes == [302, 302, 302, 429]
    assert SurveyResponse.objects.filter(source="papier").count() == 6
    assert SurveyResponse.objects.filter(source="web").count() == 3


# --- 7. directory: Saturday and hours ------------------------------------------------------
def test_saturday_flags_match_the_study(study_folder: Path) -> None:
    # The study's own table (internal names); the GeoPackage layer is in French.
    source = gpd.read_parquet(study_folder / "services.parquet")
    source = source[source["family"].notna()]
    flags = source["open_saturday"]
    known = flags[flags.notna()].astype(bool)
    stored = Service.objects.filter(service_id__in=list(source["service_id"]))
    assert stored.filter(open_saturday=True).count() == int(known.sum())
    assert stored.filter(open_saturday=False).count() == int((~known).sum())
    assert stored.filter(open_saturday__isnull=True).count() == int(flags.isna().sum())
    assert stored.filter(open_saturday=True).count() < stored.count() / 4
    assert not stored.filter(opening_hours="<NA>").exists()


def test_a_study_folder_with_french_service_zones_still_loads(
    study_folder: Path, tmp_path: Path
) -> None:
    # Folders written before the zones were codes say "territoire"/"couronne": the web
    # app reads them as the library's codes, and keeps the same services.
    import shutil

    from maillage.schema import RING, TERRITORY
    from maillage.web.loading import _services
    from maillage.web.study_model import StudyModel

    old = tmp_path / "etude"
    shutil.copytree(study_folder, old)
    services = gpd.read_parquet(study_folder / "services.parquet")
    assert set(services["zone"]) == {TERRITORY, RING}
    services.assign(
        zone=services["zone"].map({TERRITORY: "territoire", RING: "couronne"})
    ).to_parquet(old / "services.parquet", index=False)
    assert _services(old)["zone"].tolist() == _services(study_folder)["zone"].tolist()
    model, new = StudyModel(old), StudyModel(study_folder)
    assert model.services["zone"].tolist() == new.services["zone"].tolist()
    assert model.services["service_id"].tolist() == new.services["service_id"].tolist()


def test_directory_shows_french_hours_and_unknown_saturday() -> None:
    page = Client().get("/services/?q=mairie").content.decode().replace("\u00a0", " ")
    assert "lun." in page and " h–" in page
    assert "Mo-Fr" not in page and "<NA>" not in page
    assert "fermé le samedi" in page
    hospitals = Client().get("/services/?famille=soins").content.decode()
    assert "<NA>" not in hospitals and "&lt;NA&gt;" not in hospitals


# --- 8. forms ------------------------------------------------------------------------------
def test_contribution_kind_has_no_empty_radio_and_fields_are_blocks() -> None:
    page = Client().get("/contribuer/").content.decode()
    assert "---------" not in page
    assert 'value="" checked' not in page and "checked" not in page
    # Every field in its own block (label above the input, see style.css).
    assert page.count('<div class="champ') >= 8


# --- 9. survey import ----------------------------------------------------------------------
HEADER = "commune;tranche_age;soins_usage;soins_satisfaction;soins_distance;soins_besoins"


def _import(client: Any, content: bytes, name: str = "papier.csv") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post("/equipe/enquete/import/", {"source": "papier", "file": upload}, follow=True)


def test_same_file_twice_is_not_imported_twice(client_as: Any) -> None:
    editor = client_as("editeur")
    content = f"{HEADER}\n73248;60-74;mois;2;loin;\n\n73040;75+;semaine;3;proche;\n".encode()
    first = _import(editor, content).content.decode()
    assert "2 réponse(s) importée(s)" in first
    assert "3 ligne(s) de réponses lue(s)" not in first
    assert "2 ligne(s) de réponses lue(s) : 2 acceptée(s), 0 rejetée(s)" in first
    assert "1 ligne(s) vide(s) ignorée(s)" in first
    second = _import(editor, content).content.decode()
    assert "déjà été importé" in second
    assert SurveyResponse.objects.filter(source="papier").count() == 2
    assert SurveyImport.objects.count() == 1


def test_row_without_answer_is_rejected_with_counts(client_as: Any) -> None:
    editor = client_as("editeur")
    content = f"{HEADER}\n73248;60-74;mois;2;loin;\n73040;75+;;;;\n".encode()
    page = _import(editor, content).content.decode()
    assert "Ligne 3 : aucune réponse aux questions" in page
    assert "2 ligne(s) de réponses lue(s) : 1 acceptée(s), 1 rejetée(s)" in page
    assert SurveyResponse.objects.count() == 0


@pytest.mark.parametrize(
    ("encoding", "separator"), [("utf-16", ";"), ("utf-16-le", ";"), ("utf-8", "\t")]
)
def test_utf16_and_tab_separated_files_are_read(
    client_as: Any, encoding: str, separator: str
) -> None:
    text = f"{HEADER}\n73248;60-74;mois;2;loin;Un médecin\n".replace(";", separator)
    page = _import(client_as("editeur"), text.encode(encoding)).content.decode()
    assert "1 réponse(s) importée(s)" in page, page[page.find("alert") :][:400]
    assert SurveyResponse.objects.get().answers.get().unmet_needs == "Un médecin"


# --- 10. search, indicator order, private actions, password reset, exports ------------------
def test_search_ignores_accents_and_abbreviations() -> None:
    import re

    pattern = re.compile(r"\bh[oôö]pital", re.IGNORECASE)
    expected = sum(
        any(pattern.search(text) for text in row)
        for row in Service.objects.values_list("name", "type_label", "commune__name")
    )
    assert expected > 0
    assert Client().get("/services/", {"q": "hôpital"}).context["total"] == expected
    assert Client().get("/services/", {"q": "HOPITAL"}).context["total"] == expected
    saint_jean = Service.objects.filter(commune__name="Saint-Jean-de-Maurienne").count()
    page = Client().get("/services/", {"q": "st jean"})
    assert page.context["total"] >= saint_jean > 0
    assert all(
        "jean" in row["service"]["commune__name"].lower()
        or "jean" in row["service"]["name"].lower()
        for row in page.context["page"].object_list
    )


def test_indicator_choices_sort_thresholds_as_numbers(client_as: Any) -> None:
    action = Action.objects.create(
        title="Tri", family="soins", level="communal", porteur="X", year_start=2026, year_end=2026
    )
    page = client_as("editeur").get(f"/equipe/programme/{action.pk}/").content.decode()
    seven = page.find("Population à plus de 7 min — Accès aux soins — Pays de Maurienne (été)")
    thirty = page.find("Population à plus de 30 min — Accès aux soins — Pays de Maurienne (été)")
    assert 0 < seven < thirty


def test_new_action_is_private_by_default(client_as: Any) -> None:
    response = client_as("editeur").post(
        "/equipe/programme/nouvelle/",
        {
            "title": "Projet discret",
            "family": "soins",
            "level": "communal",
            "priority": 2,
            "porteur": "Commune",
            "year_start": 2026,
            "year_end": 2027,
            "status": "prevue",
        },
    )
    assert response.status_code == 302
    assert Action.objects.get(title="Projet discret").public is False
    assert "Projet discret" not in Client().get("/programme/").content.decode()
    assert Action().public is False


def test_password_reset_by_email() -> None:
    from django.contrib.auth.models import User

    User.objects.create_user("paul", "paul@example.org", "Ancien-mot-de-passe-3", is_staff=True)
    client = Client()
    assert "mot-de-passe-oublie" in client.get("/admin/login/").content.decode()
    client.post("/admin/mot-de-passe-oublie/", {"email": "paul@example.org"})
    assert len(mail.outbox) == 1
    link = next(w for w in mail.outbox[0].body.split() if "/reinitialiser/" in w)
    path = "/" + link.split("/", 3)[3]
    form = client.get(path, follow=True)
    new = "Nouveau-mot-de-passe-8"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert Client().login(username="paul", password=new)


def test_programme_export_numbers_in_french(client_as: Any) -> None:
    action = Action.objects.create(
        title="Export",
        family="soins",
        level="communal",
        porteur="X",
        year_start=2026,
        year_end=2026,
    )
    indicator = Indicator.objects.get(code="territoire:territoire:soins:ete:median_minutes")
    action.links.create(indicator=indicator)
    body = client_as("editeur").get("/equipe/programme/export.csv").content.decode("utf-8-sig")
    row = next(line for line in body.splitlines() if "Export" in line)
    cell = row.split("Temps médian au plus proche")[1]
    value = indicator.latest().value  # type: ignore[union-attr]
    assert f"{value:.1f}".replace(".", ",") + "\u00a0min → " in cell
    assert repr(value) not in body
