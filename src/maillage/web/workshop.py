"""The workshop page: in a meeting, staff and élus close or open a service, move a
France Services, close a pass, and see at once the before/after (population beyond each
threshold, communes that change class, maps); a variant is saved as a scenario, attached
to an action.

The variant lives in the session as a list of operations (``fermer``, ``rouvrir``,
``ouvrir``, ``fermer_route``, ``rouvrir_route``). The state after each list of
operations is remembered by the study's model (:meth:`StudyModel.remember
<maillage.web.study_model.StudyModel.remember>`): a new change starts from a copy of the
state before it and is answered incrementally (a closure re-searches only what the closed
service or road served; an opening searches outward from the new site up to the current
times), and the page's two maps read the same state; a forgotten list is replayed from
its longest remembered beginning (at worst the family's initial state). The times are
those of the loaded study's own travel-time model (:mod:`maillage.web.study_model`, built
once per process): its road graph when the study was computed by road (a pass can then be
closed), its straight-line estimate otherwise (closing a pass is then shown disabled, and
says why).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render

from maillage._errors import MaillageError
from maillage.network.incremental import ROAD_CLOSURE_NEEDS_ROADS, Change, IncrementalTimes
from maillage.network.model import Method
from maillage.outputs.french import method_label
from maillage.services.typology import FAMILIES
from maillage.web.models import FAMILY_LABELS, Action, Commune, Service, WorkshopScenario
from maillage.web.study_model import FamilyBase, StudyModel, study_model
from maillage.web.views import TIME_CLASSES, latest_study

SESSION_KEY = "maillage_atelier"
#: BPE type of France Services (the sites that can be moved).
FRANCE_SERVICES = "A128"
#: What the size of a change counts, per method (said on the page).
SEARCHED = {
    Method.ROAD: "nœuds du réseau routier recalculés",
    Method.STRAIGHT_LINE: "communes recalculées",
}


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
    closed_roads: list[str]
    last_change_ms: float
    last_change_size: int


def _operations(request: HttpRequest, family: str) -> list[dict[str, Any]]:
    stored = request.session.get(SESSION_KEY, {})
    return list(stored.get(family, []))


def _save_operations(request: HttpRequest, family: str, operations: list[dict[str, Any]]) -> None:
    stored = dict(request.session.get(SESSION_KEY, {}))
    stored[family] = operations
    request.session[SESSION_KEY] = stored


def _services(service_ids: list[str]) -> list[dict[str, Any]]:
    """The directory's rows of the state's services, in the state's numbering."""
    rows = {
        row["service_id"]: row
        for row in Service.objects.filter(service_id__in=service_ids).values(
            "pk", "service_id", "name", "type", "type_label", "commune__name"
        )
    }
    return [
        rows.get(sid) or {"pk": None, "service_id": sid, "name": sid, "type": "", "type_label": ""}
        for sid in service_ids
    ]


@dataclass(frozen=True)
class Replay:
    """The state after some operations (never changed: copy it to go on) and what they
    did; remembered by the study's model for the next requests."""

    state: IncrementalTimes
    closed: frozenset[int]
    opened: tuple[dict[str, Any], ...]
    roads: tuple[str, ...]
    last_change_ms: float
    last_change_size: int


def _apply(
    replay: Replay,
    operation: dict[str, Any],
    index_of: dict[int, int],
    base: FamilyBase,
    origin_of: dict[str, int],
) -> Replay:
    """One more operation, answered incrementally on a copy of ``replay``'s state."""
    state = replay.state.copy()
    closed, opened, roads = set(replay.closed), list(replay.opened), list(replay.roads)
    start = time.perf_counter()
    change: Change | None = None
    what, service = operation.get("op"), int(operation.get("service") or 0)
    if what == "fermer" and service in index_of:
        change = state.close_service(index_of[service])
        closed.add(service)
    elif what == "rouvrir" and service in index_of:
        change = state.reopen_service(index_of[service])
        closed.discard(service)
    elif what == "ouvrir" and operation.get("code") in origin_of:
        x, y = base.origin_xy[origin_of[operation["code"]]]
        _, change = state.open_service(float(x), float(y))
        opened.append(operation)
    elif what in {"fermer_route", "rouvrir_route"} and state.knows_road(operation["route"]):
        # (a road of another study's network, kept in an old session, is skipped)
        if what == "fermer_route":
            change = state.close_roads([operation["route"]])
            roads.append(operation["route"])
        else:
            change = state.open_roads([operation["route"]])
            roads = [road for road in roads if road != operation["route"]]
    elapsed = (time.perf_counter() - start) * 1000.0
    size = change.size if change is not None else 0
    return Replay(state, frozenset(closed), tuple(opened), tuple(roads), elapsed, size)


def _replay(
    model: StudyModel,
    family: str,
    operations: list[dict[str, Any]],
    index_of: dict[int, int],
) -> Replay:
    """The state after the operations: from the longest remembered prefix of them (at
    worst the family's initial state), each further one answered incrementally."""
    keys = [
        (family, json.dumps(operations[:n], sort_keys=True)) for n in range(len(operations) + 1)
    ]
    done, replay = 0, Replay(model.base(family).state, frozenset(), (), (), 0.0, 0)
    for n in range(len(operations), -1, -1):
        known = model.recall(keys[n])
        if isinstance(known, Replay):
            done, replay = n, known
            break
    base = model.base(family)
    origin_of = {code: i for i, code in enumerate(model.origins["origin_id"].astype(str))}
    for n in range(done, len(operations)):
        replay = _apply(replay, operations[n], index_of, base, origin_of)
        model.remember(keys[n + 1], replay)
    return replay


def build_variant(model: StudyModel, family: str, operations: list[dict[str, Any]]) -> Variant:
    """The variant of the operations: each answered incrementally, from the state after
    the previous ones (remembered by the study's model across requests: the page's maps
    and the next change start from it); the last one is timed."""
    base = model.base(family)
    services = _services(base.service_ids)
    index_of = {s["pk"]: i for i, s in enumerate(services) if s["pk"] is not None}
    replay = _replay(model, family, operations, index_of)
    communes = model.origins.drop(columns="geometry").assign(
        code=model.origins["origin_id"].astype(str),
        lon=model.origins.geometry.to_crs(4326).x,
        lat=model.origins.geometry.to_crs(4326).y,
        population=model.population(),
    )
    return Variant(
        family,
        communes[["code", "name", "population", "lon", "lat"]].to_dict("records"),
        services,
        base.state.minutes,
        replay.state.minutes,
        replay.state.nearest,
        set(replay.closed),
        list(replay.opened),
        list(replay.roads),
        replay.last_change_ms,
        replay.last_change_size,
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

    commune = forms.ChoiceField(label="Commune", choices=[])
    name = forms.CharField(label="Nom du nouveau service", max_length=100, required=False)
    moved = forms.TypedChoiceField(
        label="Déplacer une France Services existante (facultatif)",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[],
    )

    def __init__(
        self,
        *args: Any,
        communes: list[tuple[str, str]],
        moveable: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = [("", "— Choisissez —"), *communes]  # type: ignore[attr-defined]
        self.fields["moved"].choices = [("", "— Non, un nouveau service —"), *moveable]  # type: ignore[attr-defined]


class RoadForm(forms.Form):
    """Close a pass (or any road: name, ref or OpenStreetMap id)."""

    route = forms.CharField(
        label="Col ou route à fermer (nom, numéro ou identifiant OpenStreetMap)", max_length=200
    )


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


def _model(request: HttpRequest) -> StudyModel | None:
    """The loaded study's model; ``None`` (and a French message) when it cannot be built."""
    study = latest_study()
    if study is None:
        messages.error(request, "Aucune étude chargée : chargez un dossier d'étude d'abord.")
        return None
    try:
        return study_model(study)
    except MaillageError as error:
        messages.error(request, str(error))
        return None


def _moveable(variant: Variant) -> list[tuple[int, str]]:
    return [
        (s["pk"], f"{s['name']} ({s['commune__name']})")
        for s in variant.services
        if s["type"] == FRANCE_SERVICES and s["pk"] is not None and s["pk"] not in variant.closed
    ]


def _communes(model: StudyModel) -> list[tuple[str, str]]:
    pairs = zip(
        model.origins["origin_id"].astype(str), model.origins["name"].astype(str), strict=True
    )
    return sorted(pairs, key=lambda pair: pair[1])


@login_required
@permission_required("maillage_web.view_workshopscenario", raise_exception=True)
def workshop(request: HttpRequest) -> HttpResponseBase:
    """The workshop page (GET) and its operations (POST ``quoi``)."""
    family = _family(request)
    operations = _operations(request, family)
    model = _model(request)
    if model is None:
        return render(request, "web/equipe/atelier.html", {"family": family, "model": None})
    if request.method == "POST":
        return _post(request, model, family, operations)
    variant = build_variant(model, family, operations)
    nearest_count = np.bincount(
        variant.nearest_after[variant.nearest_after >= 0], minlength=len(variant.services)
    )
    services = [
        {**s, "closed": s["pk"] in variant.closed, "communes": int(nearest_count[i])}
        for i, s in enumerate(variant.services)
        if s["pk"] is not None
    ]
    services.sort(key=lambda s: (-s["communes"], s["name"]))
    # Closures and reopenings named as in the directory ("PHARMACIE … (Modane)"), not by id.
    names = {
        s["pk"]: f"{s['name']} ({s['commune__name']})" if s.get("commune__name") else s["name"]
        for s in variant.services
        if s["pk"] is not None
    }
    operations = [
        {**o, "service_name": names.get(o.get("service"), f"service n° {o.get('service')}")}
        for o in operations
    ]
    closes_roads = model.base(family).state.closes_roads
    return render(
        request,
        "web/equipe/atelier.html",
        {
            "model": model,
            "method": method_label(model.method),
            "straight_line": model.method is Method.STRAIGHT_LINE,
            "searched": SEARCHED.get(model.method, "points recalculés"),
            "family": family,
            "family_label": FAMILY_LABELS[family],
            "family_choices": [(f, FAMILY_LABELS[f]) for f in FAMILIES],
            "variant": variant,
            "comparison": compare(variant, _thresholds()),
            "services": services,
            "open_form": OpenForm(communes=_communes(model), moveable=_moveable(variant)),
            "closes_roads": closes_roads,
            "road_form": RoadForm(),
            "passes": model.passes(family) if closes_roads else [],
            "road_closure_refused": ROAD_CLOSURE_NEEDS_ROADS,
            "save_form": SaveForm(),
            "operations": operations,
            "scenarios": WorkshopScenario.objects.filter(family=family).select_related("action")[
                :10
            ],
            "can_save": request.user.has_perm("maillage_web.add_workshopscenario"),
        },
    )


def _post(
    request: HttpRequest, model: StudyModel, family: str, operations: list[dict[str, Any]]
) -> HttpResponseBase:
    what = str(request.POST.get("quoi", ""))
    target = redirect(f"{request.path}?famille={family}")
    base = model.base(family)
    if what in {"fermer", "rouvrir"}:
        service = int(request.POST.get("service", 0) or 0)
        if Service.objects.filter(pk=service, service_id__in=base.service_ids).exists():
            operations.append({"op": what, "service": service})
    elif what == "ouvrir":
        moveable = list(
            Service.objects.filter(
                service_id__in=base.service_ids, type=FRANCE_SERVICES
            ).values_list("pk", "name")
        )
        form = OpenForm(request.POST, communes=_communes(model), moveable=moveable)
        if not form.is_valid():
            messages.error(request, "Choisissez une commune pour le nouveau service.")
            return target
        code = form.cleaned_data["commune"]
        moved = form.cleaned_data.get("moved")
        if moved:
            operations.append({"op": "fermer", "service": moved})
        operations.append(
            {
                "op": "ouvrir",
                "code": code,
                "commune": dict(_communes(model))[code],
                "name": form.cleaned_data.get("name")
                or ("France Services déplacée" if moved else "Nouveau service"),
                "moved": moved,
            }
        )
    elif what in {"fermer_route", "rouvrir_route"}:
        if not base.state.closes_roads:
            messages.error(request, f"{ROAD_CLOSURE_NEEDS_ROADS} ({method_label(model.method)}).")
            return target
        form = RoadForm(request.POST)
        road = form.cleaned_data["route"].strip() if form.is_valid() else ""
        if not road or not base.state.knows_road(road):
            messages.error(
                request,
                f"Route « {road} » introuvable dans le réseau de l'étude. Correction : "
                "choisissez un col de la liste, ou donnez le nom, le numéro (D 902) ou "
                "l'identifiant OpenStreetMap d'une route.",
            )
            return target
        operations.append({"op": what, "route": road})
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
            variant = build_variant(model, family, operations)
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
    model = _model(request)
    if model is None:
        return JsonResponse({"type": "FeatureCollection", "features": []})
    variant = build_variant(model, family, _operations(request, family))
    times = variant.before if request.GET.get("etat") == "avant" else variant.after
    codes = [commune["code"] for commune in variant.communes]
    outlines = dict(Commune.objects.filter(code__in=codes).values_list("code", "outline"))
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
            "methode": method_label(model.method),
            "features": features,
        }
    )
