"""The workshop page: in a meeting, staff and élus close or open a service, move a
France Services, and see at once the before/after (population beyond each threshold,
communes that change class, maps); a variant is saved as a scenario, attached to an
action.

The variant lives in the session as a list of operations (``fermer``, ``rouvrir``,
``ouvrir``); each request replays them on
:class:`maillage.network.incremental.IncrementalStraightLine`, one change at a time, each
answered incrementally (a closure re-searches only the communes that had the closed
service as nearest; an opening compares every commune with the new site only). Times
are straight-line estimates from each commune's point to the services of the directory
(territory and ring), the method of the built-in diagnostic; closing a pass needs the
road network, which the web app does not hold (the page says so).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render

from maillage.network.incremental import Change, IncrementalStraightLine
from maillage.services.typology import FAMILIES
from maillage.web.models import FAMILY_LABELS, Action, Commune, Service, WorkshopScenario
from maillage.web.views import TIME_CLASSES, latest_study

SESSION_KEY = "maillage_atelier"
#: BPE type of France Services (the sites that can be moved).
FRANCE_SERVICES = "A128"


def time_class(minutes: float) -> int:
    """Index of the map class of a time (:data:`maillage.web.views.TIME_CLASSES`).

    Examples
    --------
    >>> time_class(3.0), time_class(16.0), time_class(45.0), time_class(float("inf"))
    (0, 2, 4, 4)
    """
    for index, (low, high) in enumerate(TIME_CLASSES):
        if high is None or low <= minutes < high:
            return index
    return len(TIME_CLASSES) - 1


def class_label(index: int) -> str:
    """``7 à 15 min`` / ``30 min et plus``."""
    low, high = TIME_CLASSES[index]
    return f"{low} min et plus" if high is None else f"{low} à {high} min"


@dataclass
class Variant:
    """The state of the workshop for one family: times before and after the operations."""

    family: str
    communes: list[dict[str, Any]]
    services: list[dict[str, Any]]
    before: np.ndarray
    after: np.ndarray
    nearest_after: np.ndarray
    closed: set[int]
    opened: list[dict[str, Any]]
    last_change_ms: float
    last_change_size: int


def _operations(request: HttpRequest, family: str) -> list[dict[str, Any]]:
    stored = request.session.get(SESSION_KEY, {})
    return list(stored.get(family, []))


def _save_operations(request: HttpRequest, family: str, operations: list[dict[str, Any]]) -> None:
    stored = dict(request.session.get(SESSION_KEY, {}))
    stored[family] = operations
    request.session[SESSION_KEY] = stored


def build_variant(family: str, operations: list[dict[str, Any]]) -> Variant:
    """Replay the operations, each answered incrementally; the last one is timed."""
    communes = list(
        Commune.objects.filter(in_territory=True)
        .order_by("name")
        .values("code", "name", "population", "x_m", "y_m", "lon", "lat", "epci_name")
    )
    services = list(
        Service.objects.filter(family=family)
        .order_by("pk")
        .values("pk", "name", "type", "type_label", "commune__name", "x_m", "y_m")
    )
    origins = np.array([[c["x_m"], c["y_m"]] for c in communes], dtype=np.float64)
    points = np.array([[s["x_m"], s["y_m"]] for s in services], dtype=np.float64).reshape(-1, 2)
    state = IncrementalStraightLine(origins, points)
    before = state.minutes
    index_of = {s["pk"]: i for i, s in enumerate(services)}
    closed: set[int] = set()
    opened: list[dict[str, Any]] = []
    elapsed, size = 0.0, 0
    for operation in operations:
        start = time.perf_counter()
        change: Change | None = None
        if operation["op"] == "fermer" and operation["service"] in index_of:
            change = state.close_service(index_of[operation["service"]])
            closed.add(operation["service"])
        elif operation["op"] == "rouvrir" and operation["service"] in index_of:
            change = state.reopen_service(index_of[operation["service"]])
            closed.discard(operation["service"])
        elif operation["op"] == "ouvrir":
            _, change = state.open_service(float(operation["x_m"]), float(operation["y_m"]))
            opened.append(operation)
        elapsed = (time.perf_counter() - start) * 1000.0
        size = change.size if change is not None else 0
    return Variant(
        family,
        communes,
        services,
        before,
        state.minutes,
        state.nearest,
        closed,
        opened,
        elapsed,
        size,
    )


def compare(variant: Variant, thresholds: list[float]) -> dict[str, Any]:
    """Before/after: population beyond each threshold, communes that change class."""
    population = np.array([c["population"] for c in variant.communes], dtype=np.float64)
    beyond = [
        {
            "threshold": t,
            "before": float(population[variant.before > t].sum()),
            "after": float(population[variant.after > t].sum()),
        }
        for t in thresholds
    ]
    for row in beyond:
        row["difference"] = row["after"] - row["before"]
    changed = []
    for i, commune in enumerate(variant.communes):
        old, new = time_class(variant.before[i]), time_class(variant.after[i])
        if old != new:
            changed.append(
                {
                    "code": commune["code"],
                    "name": commune["name"],
                    "population": commune["population"],
                    "before": float(variant.before[i]),
                    "after": float(variant.after[i]),
                    "class_before": class_label(old),
                    "class_after": class_label(new),
                    "better": new < old,
                }
            )
    return {"beyond": beyond, "changed": changed}


class OpenForm(forms.Form):
    """Open a service at a commune's point (or move a France Services there)."""

    commune = forms.ModelChoiceField(
        queryset=Commune.objects.none(), label="Commune", empty_label="— Choisissez —"
    )
    name = forms.CharField(label="Nom du nouveau service", max_length=100, required=False)
    moved = forms.TypedChoiceField(
        label="Déplacer une France Services existante (facultatif)",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[],
    )

    def __init__(self, *args: Any, moveable: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = Commune.objects.filter(  # type: ignore[attr-defined]
            in_territory=True
        ).order_by("name")
        self.fields["commune"].label_from_instance = lambda c: c.name  # type: ignore[attr-defined]
        self.fields["moved"].choices = [("", "— Non, un nouveau service —"), *moveable]  # type: ignore[attr-defined]


class SaveForm(forms.Form):
    """Save the variant as a scenario, attached to an action."""

    scenario_name = forms.CharField(label="Nom du scénario", max_length=200)
    action = forms.ModelChoiceField(
        queryset=Action.objects.none(), label="Action (facultatif)", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].queryset = Action.objects.order_by("title")  # type: ignore[attr-defined]
        self.fields["action"].empty_label = "— Aucune —"  # type: ignore[attr-defined]


def _family(request: HttpRequest) -> str:
    family = str(request.GET.get("famille") or request.POST.get("famille") or "social_emploi")
    return family if family in FAMILIES else "social_emploi"


def _thresholds() -> list[float]:
    study = latest_study()
    return [
        float(t)
        for t in (
            study.summary.get("seuils_minutes", [7, 15, 20, 30]) if study else [7, 15, 20, 30]
        )
    ]


@login_required
@permission_required("maillage_web.view_workshopscenario", raise_exception=True)
def workshop(request: HttpRequest) -> HttpResponseBase:
    """The workshop page (GET) and its operations (POST ``quoi``)."""
    family = _family(request)
    operations = _operations(request, family)
    if request.method == "POST":
        return _post(request, family, operations)
    variant = build_variant(family, operations)
    moveable = [
        (s["pk"], f"{s['name']} ({s['commune__name']})")
        for s in variant.services
        if s["type"] == FRANCE_SERVICES and s["pk"] not in variant.closed
    ]
    nearest_count = np.bincount(
        variant.nearest_after[variant.nearest_after >= 0], minlength=len(variant.services)
    )
    services = [
        {**s, "closed": s["pk"] in variant.closed, "communes": int(nearest_count[i])}
        for i, s in enumerate(variant.services)
    ]
    services.sort(key=lambda s: (-s["communes"], s["name"]))
    return render(
        request,
        "web/equipe/atelier.html",
        {
            "family": family,
            "family_label": FAMILY_LABELS[family],
            "family_choices": [(f, FAMILY_LABELS[f]) for f in FAMILIES],
            "variant": variant,
            "comparison": compare(variant, _thresholds()),
            "services": services,
            "open_form": OpenForm(moveable=moveable),
            "save_form": SaveForm(),
            "operations": operations,
            "scenarios": WorkshopScenario.objects.filter(family=family).select_related("action")[
                :10
            ],
            "can_save": request.user.has_perm("maillage_web.add_workshopscenario"),
        },
    )


def _post(request: HttpRequest, family: str, operations: list[dict[str, Any]]) -> HttpResponseBase:
    what = str(request.POST.get("quoi", ""))
    target = redirect(f"{request.path}?famille={family}")
    if what in {"fermer", "rouvrir"}:
        service = int(request.POST.get("service", 0))
        if Service.objects.filter(pk=service, family=family).exists():
            operations.append({"op": what, "service": service})
    elif what == "ouvrir":
        moveable = [
            (pk, name)
            for pk, name in Service.objects.filter(family=family, type=FRANCE_SERVICES).values_list(
                "pk", "name"
            )
        ]
        form = OpenForm(request.POST, moveable=moveable)
        if not form.is_valid():
            messages.error(request, "Choisissez une commune pour le nouveau service.")
            return target
        commune = form.cleaned_data["commune"]
        moved = form.cleaned_data.get("moved")
        if moved:
            operations.append({"op": "fermer", "service": moved})
        operations.append(
            {
                "op": "ouvrir",
                "x_m": commune.x_m,
                "y_m": commune.y_m,
                "commune": commune.name,
                "name": form.cleaned_data.get("name")
                or ("France Services déplacée" if moved else "Nouveau service"),
                "moved": moved,
            }
        )
    elif what == "annuler" and operations:
        last = operations.pop()
        if last.get("moved") and operations and operations[-1].get("service") == last["moved"]:
            operations.pop()  # a move is a closure and an opening: both are undone
    elif what == "effacer":
        operations = []
    elif what == "enregistrer":
        if not request.user.has_perm("maillage_web.add_workshopscenario"):
            return render(request, "web/403.html", status=403)
        form = SaveForm(request.POST)
        if form.is_valid() and operations:
            variant = build_variant(family, operations)
            scenario = WorkshopScenario.objects.create(
                name=form.cleaned_data["scenario_name"],
                family=family,
                operations=operations,
                summary=compare(variant, _thresholds()),
                action=form.cleaned_data.get("action"),
                created_by=request.user if request.user.is_authenticated else None,
            )
            messages.success(request, f"Scénario « {scenario.name} » enregistré.")
        else:
            messages.error(request, "Donnez un nom au scénario (et faites au moins un changement).")
        return target
    _save_operations(request, family, operations)
    return target


@login_required
@permission_required("maillage_web.view_workshopscenario", raise_exception=True)
def workshop_geojson(request: HttpRequest) -> JsonResponse:
    """Communes with their time before or after the variant (``?etat=avant|apres``)."""
    family = _family(request)
    variant = build_variant(family, _operations(request, family))
    times = variant.before if request.GET.get("etat") == "avant" else variant.after
    outlines = dict(Commune.objects.filter(in_territory=True).values_list("code", "outline"))
    features = []
    for i, commune in enumerate(variant.communes):
        minutes = float(times[i])
        features.append(
            {
                "type": "Feature",
                "geometry": outlines.get(commune["code"])
                or {"type": "Point", "coordinates": [commune["lon"], commune["lat"]]},
                "properties": {
                    "code": commune["code"],
                    "nom": commune["name"],
                    "minutes": round(minutes, 1) if np.isfinite(minutes) else None,
                },
            }
        )
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "famille": FAMILY_LABELS[family],
            "methode": "vol d'oiseau",
            "features": features,
        }
    )
