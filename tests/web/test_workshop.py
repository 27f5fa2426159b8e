"""The workshop page (issue 19, item 14): close, open and move services, before/after
checked against a brute-force straight-line computation made here from the database."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from django.test import Client

from maillage.web.models import Action, Commune, Service, WorkshopScenario

pytestmark = pytest.mark.django_db

URL = "/equipe/atelier/"


def brute_force(family: str, closed: set[int], opened: list[tuple[float, float]]) -> np.ndarray:
    """Minutes from each territory commune (by name) to the nearest open service."""
    communes = Commune.objects.filter(in_territory=True).order_by("name")
    origins = np.array([[c.x_m, c.y_m] for c in communes])
    points = [
        (s.x_m, s.y_m) for s in Service.objects.filter(family=family) if s.pk not in closed
    ] + opened
    gaps = origins[:, None, :] - np.array(points)[None, :, :]
    return np.hypot(gaps[..., 0], gaps[..., 1]).min(axis=1) * 1.4 * 60 / 45_000


def test_close_open_move_and_save(client_as: Any) -> None:
    editor = client_as("editeur")
    page = editor.get(URL, {"famille": "soins"})
    assert page.status_code == 200
    services = page.context["services"]
    busiest = services[0]
    assert busiest["communes"] > 0
    editor.post(URL, {"famille": "soins", "quoi": "fermer", "service": busiest["pk"]})
    page = editor.get(URL, {"famille": "soins"})
    variant = page.context["variant"]
    np.testing.assert_allclose(variant.before, brute_force("soins", set(), []), rtol=1e-9)
    after = brute_force("soins", {busiest["pk"]}, [])
    np.testing.assert_allclose(variant.after, after, rtol=1e-9)
    assert variant.last_change_size == busiest["communes"]
    # Population beyond each threshold, before and after, from the same brute force.
    communes = list(Commune.objects.filter(in_territory=True).order_by("name"))
    population = np.array([c.population for c in communes], dtype=float)
    before = brute_force("soins", set(), [])
    for row in page.context["comparison"]["beyond"]:
        assert row["before"] == population[before > row["threshold"]].sum()
        assert row["after"] == population[after > row["threshold"]].sum()
    assert all(row["difference"] >= 0 for row in page.context["comparison"]["beyond"])
    limits = [7, 15, 20, 30]
    expected = {
        c.name
        for c, old, new in zip(communes, before, after, strict=True)
        if np.searchsorted(limits, old, side="right") != np.searchsorted(limits, new, side="right")
    }
    assert {c["name"] for c in page.context["comparison"]["changed"]} == expected
    # Open a service at Bessans: its time becomes 0.
    bessans = Commune.objects.get(code="73040")
    editor.post(URL, {"famille": "soins", "quoi": "ouvrir", "commune": "73040", "name": "MSP"})
    variant = editor.get(URL, {"famille": "soins"}).context["variant"]
    names = [c["name"] for c in variant.communes]
    assert variant.after[names.index("Bessans")] == pytest.approx(0.0)
    np.testing.assert_allclose(
        variant.after,
        brute_force("soins", {busiest["pk"]}, [(bessans.x_m, bessans.y_m)]),
        rtol=1e-9,
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
    editor.post(
        URL,
        {
            "famille": "soins",
            "quoi": "enregistrer",
            "scenario_name": "MSP Bessans",
            "action": action.pk,
        },
    )
    scenario = WorkshopScenario.objects.get()
    assert scenario.action == action and len(scenario.operations) == 2
    assert "Bessans" in {c["name"] for c in scenario.summary["changed"]}
    # Undo the opening, then everything.
    editor.post(URL, {"famille": "soins", "quoi": "annuler"})
    variant = editor.get(URL, {"famille": "soins"}).context["variant"]
    np.testing.assert_allclose(variant.after, after, rtol=1e-9)
    editor.post(URL, {"famille": "soins", "quoi": "effacer"})
    variant = editor.get(URL, {"famille": "soins"}).context["variant"]
    np.testing.assert_array_equal(variant.after, variant.before)


def test_move_a_france_services(client_as: Any) -> None:
    editor = client_as("editeur")
    site = Service.objects.filter(type="A128", commune__in_territory=True).first()
    assert site is not None
    editor.post(
        URL,
        {"famille": "social_emploi", "quoi": "ouvrir", "commune": "73040", "moved": site.pk},
    )
    page = editor.get(URL, {"famille": "social_emploi"})
    bessans = Commune.objects.get(code="73040")
    np.testing.assert_allclose(
        page.context["variant"].after,
        brute_force("social_emploi", {site.pk}, [(bessans.x_m, bessans.y_m)]),
        rtol=1e-9,
    )
    editor.post(URL, {"famille": "social_emploi", "quoi": "annuler"})
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
