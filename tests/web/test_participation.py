"""Issue 19, items 11-13: the participation loop, accountability of the programme, survey
analysis (raking to the census, small cells suppressed, per-family questions)."""

from __future__ import annotations

import csv
import io
import json
import random
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.test import Client

from maillage.web.models import (
    Action,
    ActionChange,
    Commune,
    Contribution,
    SurveyAnswer,
    SurveyFamilySetting,
    SurveyResponse,
)
from maillage.web.weighting import rake

pytestmark = pytest.mark.django_db

SAINT_JEAN = "73248"


def _published(**extra: Any) -> Contribution:
    return Contribution.objects.create(
        kind="initiative",
        title="Navette solidaire",
        message="Des bénévoles conduisent les aînés.",
        commune_id=SAINT_JEAN,
        status="publiee",
        **extra,
    )


def _action(**extra: Any) -> Action:
    fields = {
        "title": "Transport à la demande",
        "family": "soins",
        "level": "intercommunal",
        "porteur": "CC Cœur de Maurienne Arvan",
        "year_start": 2026,
        "year_end": 2028,
        "public": True,
    }
    return Action.objects.create(**{**fields, **extra})


# --- 11. participation loop --------------------------------------------------------------
def test_support_once_per_browser_comment_answer_and_link(client_as: Any) -> None:
    item = _published()
    visitor = Client()
    page = visitor.get(f"/initiatives/{item.pk}/").content.decode()
    assert "0 soutien" in page and "Je soutiens cette contribution" in page
    for _ in range(3):
        visitor.post(f"/initiatives/{item.pk}/soutenir/")
    Client().post(f"/initiatives/{item.pk}/soutenir/")
    assert item.supports.count() == 2  # two browsers, the first one counted once
    response = visitor.post(
        f"/initiatives/{item.pk}/commenter/", {"author": "Léa", "message": "Très utile !"}
    )
    assert response.status_code == 302
    # The team answers and links the action the contribution became.
    action = _action()
    editor = client_as("editeur")
    editor.post(
        f"/equipe/contributions/{item.pk}/",
        {"quoi": "reponse", "official_answer": "Retenue dans le programme.", "action": action.pk},
    )
    item.refresh_from_db()
    assert item.action == action and item.answered_at is not None
    page = Client().get(f"/initiatives/{item.pk}/").content.decode()
    assert "2 soutiens" in page
    assert "Très utile !" in page and "Léa" in page
    assert "Retenue dans le programme." in page
    assert f"/programme/{action.pk}/" in page
    assert "Navette solidaire" in Client().get(f"/programme/{action.pk}/").content.decode()
    # Editors hide a comment.
    comment = item.comments.get()
    editor.post(
        f"/equipe/contributions/{item.pk}/", {"quoi": "commentaire", "commentaire": comment.pk}
    )
    assert "Très utile !" not in Client().get(f"/initiatives/{item.pk}/").content.decode()


def test_unpublished_contribution_has_no_public_page_nor_support() -> None:
    pending = Contribution.objects.create(kind="initiative", title="En attente", message="…")
    assert Client().get(f"/initiatives/{pending.pk}/").status_code == 404
    assert Client().post(f"/initiatives/{pending.pk}/soutenir/").status_code == 404
    assert not pending.supports.exists()


def test_map_of_contributions_at_their_commune() -> None:
    _published()
    response = Client().get("/initiatives/")
    markers = response.context["markers"]
    commune = Commune.objects.get(code=SAINT_JEAN)
    assert markers == [
        {
            "nom": "Navette solidaire",
            "type": "Une initiative innovante à signaler — 0 soutien(s)",
            "commune": "Saint-Jean-de-Maurienne",
            "lat": commune.lat,
            "lon": commune.lon,
        }
    ]
    assert 'id="contributions-data"' in response.content.decode()


# --- 12. accountability ------------------------------------------------------------------
def test_progress_milestones_financing_history_and_open_data(client_as: Any) -> None:
    action = _action(budget_eur=300000)
    editor = client_as("editeur")
    url = f"/equipe/programme/{action.pk}/"
    editor.post(url, {"quoi": "jalon", "title": "Étude de besoins", "due_on": "2026-06-30"})
    editor.post(url, {"quoi": "jalon", "title": "Mise en service", "due_on": "2027-09-01"})
    for funder, year, amount in [
        ("Département", 2026, "50000"),
        ("Département", 2027, "70000"),
        ("Région", 2027, "100000"),
        ("Département", 2027, "5001"),
    ]:
        editor.post(
            url, {"quoi": "financement", "funder": funder, "year": year, "amount_eur": amount}
        )
    first = action.milestones.get(title="Étude de besoins")
    editor.post(url, {"quoi": "jalon_atteint", "jalon": first.pk})
    form = {
        "title": action.title,
        "family": "soins",
        "level": "intercommunal",
        "priority": 2,
        "porteur": action.porteur,
        "year_start": 2026,
        "year_end": 2028,
        "status": "en_cours",
        "progress_percent": 40,
        "budget_eur": "300000",
        "public": "on",
    }
    assert editor.post(f"/equipe/programme/{action.pk}/modifier/", form).status_code == 302
    action.refresh_from_db()
    assert action.progress_percent == 40
    edit = ActionChange.objects.filter(action=action).order_by("-pk").first()
    assert edit is not None
    assert "État : Prévue → En cours" in edit.summary
    assert "Avancement (%) : 0 → 40" in edit.summary
    assert ActionChange.objects.filter(action=action).count() == 2 + 4 + 1 + 1
    page = Client().get(f"/programme/{action.pk}/").content.decode()
    page = page.replace("\u202f", " ").replace("\u00a0", " ")
    assert 'value="40"' in page
    assert "Étude de besoins" in page and "atteint le" in page and "Mise en service" in page
    assert "75 001 €" in page  # Département 2027: 70 000 + 5 001
    assert "225 001 €" in page  # total of the plan
    assert "Avancement (%) : 0 → 40" in page
    # Open data: JSON API and CSV agree with the database.
    data = json.loads(Client().get("/api/programme.json").content)
    record = next(a for a in data["actions"] if a["numero"] == action.pk)
    assert record["avancement_pourcent"] == 40
    assert record["financement_total_eur"] == pytest.approx(225001)
    assert (record["jalons_atteints"], record["jalons_prevus"]) == (1, 2)
    assert {(f["financeur"], f["annee"]) for f in record["financements"]} == {
        ("Département", 2026),
        ("Département", 2027),
        ("Région", 2027),
    }
    text = Client().get("/programme/programme.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    row = next(r for r in rows if r["numero"] == str(action.pk))
    assert row["avancement_pourcent"] == "40" and row["financement_total_eur"] == "225001"
    # Private actions are not open data.
    hidden = _action(title="Projet interne", public=False)
    assert hidden.pk not in [
        a["numero"] for a in json.loads(Client().get("/api/programme.json").content)["actions"]
    ]


def test_viewer_cannot_add_milestones(client_as: Any) -> None:
    action = _action()
    response = client_as("lecteur").post(
        f"/equipe/programme/{action.pk}/", {"quoi": "jalon", "title": "X", "due_on": "2026-01-01"}
    )
    assert response.status_code == 403
    assert not action.milestones.exists()


def test_remeasure_from_the_staff_page(client_as: Any, study_folder: Any, tmp_path: Any) -> None:
    folder = tmp_path / "etude2"
    folder.mkdir()
    for path in study_folder.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    access = pd.read_parquet(folder / "access.parquet")
    access.loc[access["level"] == "territory", "median_minutes"] = 9.5
    access.to_parquet(folder / "access.parquet", index=False)
    assert (
        client_as("editeur").post("/equipe/remesurer/", {"dossier": str(folder)}).status_code == 403
    )
    admin = client_as("admin")
    page = admin.post("/equipe/remesurer/", {"dossier": str(folder)}, follow=True).content.decode()
    assert "Nouvelle mesure chargée" in page
    from maillage.web.models import Indicator

    indicator = Indicator.objects.get(code="territoire:territoire:soins:ete:median_minutes")
    assert indicator.latest().value == pytest.approx(9.5)  # type: ignore[union-attr]
    again = admin.post("/equipe/remesurer/", {"dossier": str(folder)}, follow=True)
    assert "rien à remesurer" in again.content.decode()


# --- 13. survey analysis -----------------------------------------------------------------
def test_raking_hand_checked_case() -> None:
    # One respondent per cell, population 60 young / 40 old and 30 in A / 70 in B: one pass
    # over the margins gives 0.6*30=18 ... (see weighting.rake's docstring).
    result = rake(
        {"age": ["j", "j", "v", "v"], "epci": ["A", "B", "A", "B"]},
        {"age": {"j": 60, "v": 40}, "epci": {"A": 30, "B": 70}},
    )
    assert result.converged
    np.testing.assert_allclose(result.weights, [18, 42, 12, 28])


def test_raking_reaches_both_margins_and_keeps_the_odds_ratio() -> None:
    rng = random.Random(19)
    ages = [rng.choice(["0-19", "20-64", "65+"]) for _ in range(400)]
    epcis = [rng.choice(["A", "B", "C", "D"]) for _ in range(400)]
    margins = {
        "age": {"0-19": 9000.0, "20-64": 25000.0, "65+": 11000.0},
        "epci": {"A": 5000.0, "B": 20000.0, "C": 12000.0, "D": 8000.0},
    }
    result = rake({"age": ages, "epci": epcis}, margins)
    assert result.converged
    frame = pd.DataFrame({"age": ages, "epci": epcis, "w": result.weights})
    for margin in ("age", "epci"):
        totals = frame.groupby(margin)["w"].sum()
        for category, population in margins[margin].items():
            assert totals[category] == pytest.approx(population, rel=1e-8)
    # Iterative proportional fitting keeps the sample's odds ratios (Deming-Stephan).
    counts = frame.groupby(["age", "epci"]).size()
    weighted = frame.groupby(["age", "epci"])["w"].sum()

    def odds(table: pd.Series) -> float:
        return float(
            table["0-19", "A"] * table["65+", "D"] / (table["0-19", "D"] * table["65+", "A"])
        )

    assert odds(weighted) == pytest.approx(odds(counts), rel=1e-8)


def _answer(commune: str, age: str, satisfaction: int, distance: str) -> None:
    response = SurveyResponse.objects.create(commune_id=commune, age_band=age)
    SurveyAnswer.objects.create(
        response=response, family="soins", satisfaction=satisfaction, distance_felt=distance
    )


def test_public_results_weighted_by_epci_and_bassin_with_small_cells_suppressed() -> None:
    from maillage.sources.population import population_by_commune
    from maillage.web.analysis import family_results, survey_weights, weighted_counts

    communes = Commune.objects.filter(in_territory=True)
    by_epci: dict[str, list[str]] = {}
    for commune in communes:
        by_epci.setdefault(commune.epci, []).append(commune.code)
    epcis = sorted(by_epci)
    assert len(epcis) >= 3
    ages = ["0-19", "20-39", "40-59", "60-74", "75+"]
    # Big EPCI 0 and 1: 6 answers each per age group cycle; the last EPCI only 2 answers.
    for index in range(12):
        _answer(by_epci[epcis[0]][index % len(by_epci[epcis[0]])], ages[index % 5], 2, "loin")
        _answer(by_epci[epcis[1]][0], ages[(index + 2) % 5], 4, "proche")
    for index in range(2):
        _answer(by_epci[epcis[-1]][0], ages[index], 1, "trop_loin")
    weights = survey_weights()
    assert weights.raking is not None and weights.raking.converged
    # Reference margins computed here from the census table, not through the module.
    codes = pd.Series([c.code for c in communes])
    counts, _ = population_by_commune(codes)
    epci_of = {c.code: c.epci for c in communes}
    counts["epci"] = counts.index.map(epci_of)
    counts["total"] = counts[["population_0_19", "population_20_64", "population_65_plus"]].sum(
        axis=1
    )
    reached = weighted_counts(weights)
    answered = set(epcis[:2]) | {epcis[-1]}
    expected_total = float(counts["total"].sum())
    assert sum(reached["epci"].values()) == pytest.approx(expected_total, rel=1e-6)
    # Every EPCI with respondents gets its census share of the population (others empty).
    reachable = counts[counts["epci"].isin(answered)]["total"].sum()
    for epci in answered:
        share = counts.loc[counts["epci"] == epci, "total"].sum() / reachable
        assert reached["epci"][epci] == pytest.approx(share * expected_total, rel=1e-6)
    results = family_results("soins", "epci", weights)
    rows = {row["code"]: row["cell"] for row in results["rows"]}
    assert rows[epcis[-1]].suppressed and rows[epcis[-1]].satisfaction is None
    assert rows[epcis[0]].satisfaction == pytest.approx(2.0)
    assert rows[epcis[1]].far_share == pytest.approx(0.0)
    # Territory: weighted mean between 2 and 4, pulled by the weights, not the raw mean.
    total = results["total"]
    assert total.answers == 26
    page = Client().get("/enquete/resultats/?famille=soins").content.decode()
    assert "non publié (moins de 5 réponses)" in page
    assert "par bassin de vie" in page
    bassins = family_results("soins", "bassin", weights)
    assert sum(row["cell"].answers for row in bassins["rows"]) == 26


def test_staff_choose_families_and_add_their_own_question(client_as: Any) -> None:
    editor = client_as("editeur")
    page = editor.get("/equipe/enquete/questions/")
    assert page.status_code == 200
    formset = page.context["formset"]
    data: dict[str, Any] = {
        "form-TOTAL_FORMS": str(len(formset.forms)),
        "form-INITIAL_FORMS": str(len(formset.forms)),
    }
    for index, form in enumerate(formset.forms):
        family = form.instance.family
        data[f"form-{index}-id"] = form.instance.pk
        if family != "domicile":
            data[f"form-{index}-enabled"] = "on"
        if family == "soins":
            data[f"form-{index}-extra_question"] = "Utiliseriez-vous une téléconsultation ?"
    assert editor.post("/equipe/enquete/questions/", data).status_code == 302
    assert not SurveyFamilySetting.objects.get(family="domicile").enabled
    survey = Client().get("/enquete/").content.decode()
    assert "Utiliseriez-vous une téléconsultation ?" in survey
    assert 'id="famille-domicile"' not in survey
    response = Client().post(
        "/enquete/",
        {"commune": SAINT_JEAN, "age_band": "40-59", "soins_extra": "Oui, en pharmacie."},
    )
    assert response.status_code == 302
    assert SurveyAnswer.objects.get().extra_answer == "Oui, en pharmacie."
