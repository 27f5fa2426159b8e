"""Public pages: diagnostic dashboard, directory of services, survey, contributions, programme.

Nothing personal is shown here: contributions appear (once published by a moderator)
with their title, message, nature and commune only.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods

from maillage.network.model import Method, StraightLineModel
from maillage.outputs.french import method_label
from maillage.services.typology import FAMILIES
from maillage.web.accountability import evaluation_rows, financing_table
from maillage.web.forms import ContributionForm, DirectoryForm, SurveyForm
from maillage.web.models import (
    FAMILY_LABELS,
    Action,
    Commune,
    CommuneTime,
    Measurement,
    Service,
    Study,
    SurveyAnswer,
    SurveyResponse,
)
from maillage.web.ratelimit import rate_limited
from maillage.web.search import matches

SEASON_LABELS = {"ete": "été", "hiver": "hiver (pointe saisonnière)"}
#: Who may enter paper questionnaires through the survey form, without rate limit.
PAPER_SURVEY_PERMISSION = "maillage_web.add_surveyresponse"
#: Classes of the maps (minutes), shared with ``static/maillage/carte.js``.
TIME_CLASSES = [(0, 7), (7, 15), (15, 20), (20, 30), (30, None)]
#: Fields of a service in the directory.
DIRECTORY_FIELDS = (
    "name",
    "type_label",
    "family",
    "commune_id",
    "commune__name",
    "address",
    "opening_hours",
    "hours_per_week",
    "open_saturday",
    "x_m",
    "y_m",
    "lon",
    "lat",
)


def latest_study() -> Study | None:
    """The latest loaded study (the current measure), or ``None``."""
    return Study.objects.order_by("-loaded_at", "-pk").first()


def site_context(request: HttpRequest) -> dict[str, Any]:
    """Context of every page: territory, time method, programme years."""
    study = cache.get("maillage:site")
    if study is None:
        found = latest_study()
        study = (
            {}
            if found is None
            else {"territory": found.territory, "method": found.method, "pk": found.pk}
        )
        cache.set("maillage:site", study, 30)
    start = int(settings.MAILLAGE_PROGRAMME_START)
    return {
        "site_territory": study.get("territory", "Territoire non chargé"),
        "site_method": study.get("method", ""),
        "straight_line": study.get("method") == method_label(Method.STRAIGHT_LINE),
        "programme_years": f"{start}–{start + 5}",
    }


def straight_line_minutes(dx_m: float, dy_m: float) -> float:
    """Estimated minutes for a straight-line offset (maillage's detour and speed)."""
    return StraightLineModel().minutes(math.hypot(dx_m, dy_m))


def _family_and_season(request: HttpRequest, present: list[str]) -> tuple[str, str]:
    family = str(request.GET.get("famille", ""))
    if family not in FAMILIES:
        family = "soins" if "soins" in present else (present[0] if present else FAMILIES[0])
    season = "hiver" if request.GET.get("saison") == "hiver" else "ete"
    return family, season


def _dashboard_data(study: Study) -> dict[str, Any]:
    """Indicators of the territory and its EPCI for every family and season (cached)."""
    key = f"maillage:dashboard:{study.pk}"
    data: dict[str, Any] | None = cache.get(key)
    if data is not None:
        return data
    values: dict[tuple[str, str, str, str, str], float | None] = {}
    rows = Measurement.objects.filter(
        study=study, indicator__level__in=["territoire", "epci"]
    ).values_list(
        "indicator__level",
        "indicator__zone",
        "indicator__family",
        "indicator__season",
        "indicator__measure",
        "value",
    )
    for level, zone, family, season, measure, value in rows:
        values[level, zone, family, season, measure] = value
    epcis = (
        Commune.objects.filter(in_territory=True)
        .values_list("epci", "epci_name")
        .distinct()
        .order_by("epci_name")
    )
    populations: dict[str, int] = {}
    for epci, population in Commune.objects.filter(in_territory=True).values_list(
        "epci", "population"
    ):
        populations[epci] = populations.get(epci, 0) + population
    data = {
        "values": values,
        "epcis": [(e, n, populations.get(e, 0)) for e, n in epcis],
        "thresholds": [float(t) for t in study.summary.get("seuils_minutes", [7, 15, 20, 30])],
        "present": [f for f in FAMILIES if f in study.summary.get("familles", {})],
    }
    cache.set(key, data, 300)
    return data


@cache_control(max_age=60)
def home(request: HttpRequest) -> HttpResponse:
    """The diagnostic dashboard: indicators per family, per EPCI, map, territoires à enjeux."""
    study = latest_study()
    if study is None:
        return render(request, "web/non_charge.html", status=503)
    data = _dashboard_data(study)
    family, season = _family_and_season(request, data["present"])
    values = data["values"]
    thresholds = data["thresholds"]
    families = []
    for code in FAMILIES:
        measured = code in data["present"]
        families.append(
            {
                "code": code,
                "label": FAMILY_LABELS[code],
                "measured": measured,
                "median": values.get(("territoire", "territoire", code, season, "median_minutes")),
                "beyond": [
                    (
                        t,
                        values.get(
                            (
                                "territoire",
                                "territoire",
                                code,
                                season,
                                f"population_beyond_{t:g}min",
                            )
                        ),
                        values.get(
                            ("territoire", "territoire", code, season, f"share_beyond_{t:g}min")
                        ),
                    )
                    for t in thresholds
                ],
            }
        )
    last = thresholds[-1]
    epci_rows = [
        {
            "code": epci,
            "name": name,
            "population": population,
            "median": values.get(("epci", epci, family, season, "median_minutes")),
            "beyond": [
                values.get(("epci", epci, family, season, f"population_beyond_{t:g}min"))
                for t in thresholds
            ],
            "share_last": values.get(("epci", epci, family, season, f"share_beyond_{last:g}min")),
        }
        for epci, name, population in data["epcis"]
    ]
    enjeux = Commune.objects.filter(in_territory=True, enjeu_rank__isnull=False).order_by(
        "enjeu_rank"
    )[:10]
    communes = _commune_times(study, family, season)
    return render(
        request,
        "web/accueil.html",
        {
            "study": study,
            "families": families,
            "family": family,
            "family_label": FAMILY_LABELS[family],
            "family_measured": family in data["present"],
            "season": season,
            "season_label": SEASON_LABELS[season],
            "has_winter": any(
                "hiver" in v for v in study.summary.get("familles", {}).values() if v
            ),
            "thresholds": thresholds,
            "last_threshold": last,
            "epci_rows": epci_rows,
            "enjeux": enjeux,
            "communes": communes,
            "family_choices": [(f, FAMILY_LABELS[f]) for f in FAMILIES],
            "notes": study.summary.get("notes", []),
        },
    )


def _commune_times(study: Study, family: str, season: str) -> list[dict[str, Any]]:
    times = dict(
        CommuneTime.objects.filter(study=study, family=family, season=season).values_list(
            "commune_id", "minutes"
        )
    )
    return [
        {"code": code, "name": name, "epci_name": epci_name, "minutes": times.get(code)}
        for code, name, epci_name in Commune.objects.filter(in_territory=True)
        .order_by("name")
        .values_list("code", "name", "epci_name")
    ]


@cache_control(max_age=300)
def communes_geojson(request: HttpRequest) -> JsonResponse:
    """GeoJSON of the territory's communes with the time to the chosen family."""
    study = latest_study()
    if study is None:
        raise Http404("Aucune étude chargée.")
    family, season = _family_and_season(request, list(FAMILIES))
    key = f"maillage:geojson:{study.pk}:{family}:{season}"
    payload = cache.get(key)
    if payload is None:
        times = dict(
            CommuneTime.objects.filter(study=study, family=family, season=season).values_list(
                "commune_id", "minutes"
            )
        )
        features = []
        for commune in Commune.objects.filter(in_territory=True):
            geometry = commune.outline or {
                "type": "Point",
                "coordinates": [commune.lon, commune.lat],
            }
            minutes = times.get(commune.code)
            features.append(
                {
                    "type": "Feature",
                    "geometry": geometry,
                    "properties": {
                        "code": commune.code,
                        "nom": commune.name,
                        "minutes": None if minutes is None else round(minutes, 1),
                        "enjeu": commune.enjeu_class,
                    },
                }
            )
        payload = {
            "type": "FeatureCollection",
            "famille": FAMILY_LABELS[family],
            "methode": study.method,
            "features": features,
        }
        cache.set(key, payload, 300)
    return JsonResponse(payload)


def commune_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One commune: time to each family, enjeu, nearest services."""
    commune = get_object_or_404(Commune, code=code, in_territory=True)
    study = latest_study()
    times = {
        (family, season): minutes
        for family, season, minutes in CommuneTime.objects.filter(
            study=study, commune=commune
        ).values_list("family", "season", "minutes")
    }
    by_family: dict[str, list[tuple[float, dict[str, Any]]]] = {f: [] for f in FAMILIES}
    for service in Service.objects.values(
        "name", "type_label", "family", "commune__name", "x_m", "y_m"
    ):
        minutes = straight_line_minutes(service["x_m"] - commune.x_m, service["y_m"] - commune.y_m)
        by_family.setdefault(service["family"], []).append((minutes, service))
    nearest = [
        {
            "family": family,
            "label": FAMILY_LABELS[family],
            "summer": times.get((family, "ete")),
            "winter": times.get((family, "hiver")),
            "services": sorted(by_family[family], key=lambda pair: pair[0])[:3],
        }
        for family in FAMILIES
    ]
    return render(request, "web/commune.html", {"commune": commune, "families": nearest})


@cache_control(max_age=60)
def directory(request: HttpRequest) -> HttpResponse:
    """The directory of services: search by commune, family and name; time from my commune."""
    form = DirectoryForm(request.GET or None)
    services = Service.objects.all()
    commune: Commune | None = None
    query = ""
    if form.is_valid():
        commune = form.cleaned_data.get("commune")
        family = form.cleaned_data.get("family")
        query = str(form.cleaned_data.get("q") or "").strip()
        if family:
            services = services.filter(family=family)
    rows = []
    for service in services.values(*DIRECTORY_FIELDS):
        if query and not matches(
            query, service["name"], service["type_label"], service["commune__name"]
        ):
            continue
        service["family_label"] = FAMILY_LABELS.get(service["family"], service["family"])
        rows.append(
            {
                "service": service,
                "minutes": None
                if commune is None
                else straight_line_minutes(
                    service["x_m"] - commune.x_m, service["y_m"] - commune.y_m
                ),
            }
        )
    if commune is not None:
        rows.sort(key=lambda row: (row["minutes"], row["service"]["name"]))
    else:
        rows.sort(key=lambda row: (row["service"]["commune__name"], row["service"]["name"]))
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    markers = [
        {
            "nom": row["service"]["name"],
            "type": row["service"]["type_label"],
            "commune": row["service"]["commune__name"],
            "lat": row["service"]["lat"],
            "lon": row["service"]["lon"],
        }
        for row in page.object_list
    ]
    query_string = request.GET.copy()
    query_string.pop("page", None)
    return render(
        request,
        "web/annuaire.html",
        {
            "form": form,
            "page": page,
            "commune": commune,
            "markers": markers,
            "query_string": query_string.urlencode(),
            "total": len(rows),
        },
    )


@require_http_methods(["GET", "POST"])
@rate_limited("enquete", exempt_perm=PAPER_SURVEY_PERMISSION)
def survey(request: HttpRequest) -> HttpResponseBase:
    """The anonymous satisfaction survey.

    Staff allowed to enter answers (:data:`PAPER_SURVEY_PERMISSION`) type paper
    questionnaires through the same form: not rate-limited, stored as ``papier``.
    """
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        paper = request.user.has_perm(PAPER_SURVEY_PERMISSION)
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                commune=form.cleaned_data["commune"],
                age_band=form.cleaned_data["age_band"],
                source="papier" if paper else "web",
            )
            SurveyAnswer.objects.bulk_create(
                [SurveyAnswer(response=response, **answer) for answer in form.answers()]
            )
        return redirect("web:survey_thanks")
    return render(request, "web/enquete.html", {"form": form})


def survey_thanks(request: HttpRequest) -> HttpResponse:
    """Thanks after the survey."""
    return render(request, "web/merci.html", {"what": "enquete"})


@require_http_methods(["GET", "POST"])
@rate_limited("contribuer")
def contribute(request: HttpRequest) -> HttpResponseBase:
    """The contribution form: initiatives, resource persons, wish to take part."""
    form = ContributionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contribution = form.save(commit=False)
        contribution.consent = bool(form.cleaned_data.get("consent"))
        if not contribution.consent:
            contribution.name = contribution.email = contribution.phone = ""
        contribution.save()
        return redirect("web:contribute_thanks")
    return render(request, "web/contribuer.html", {"form": form})


def contribute_thanks(request: HttpRequest) -> HttpResponse:
    """Thanks after a contribution."""
    return render(request, "web/merci.html", {"what": "contribution"})


@cache_control(max_age=60)
def programme(request: HttpRequest) -> HttpResponse:
    """The public, read-only action programme."""
    actions = Action.objects.filter(public=True).prefetch_related("themes")
    family = str(request.GET.get("famille", ""))
    if family in FAMILIES:
        actions = actions.filter(family=family)
    start = int(settings.MAILLAGE_PROGRAMME_START)
    return render(
        request,
        "web/programme.html",
        {
            "actions": actions,
            "family": family,
            "family_choices": [(f, FAMILY_LABELS[f]) for f in FAMILIES],
            "years": list(range(start, start + 6)),
        },
    )


def programme_action(request: HttpRequest, pk: int) -> HttpResponse:
    """One public action with its indicators: baseline and latest measure."""
    action = get_object_or_404(Action, pk=pk, public=True)
    return render(
        request,
        "web/action.html",
        {
            "action": action,
            "evaluation": evaluation_rows(action),
            "staff_view": False,
            **follow_up_context(action),
        },
    )


def follow_up_context(action: Action) -> dict[str, Any]:
    """Progress, milestones, financing plan and history of an action (for its pages)."""
    from django.utils import timezone

    return {
        "milestones": list(action.milestones.all()),
        "financing": financing_table(action),
        "changes": list(action.changes.select_related("user")[:50]),
        "today": timezone.localdate(),
    }


def personal_data(request: HttpRequest) -> HttpResponse:
    """Notice on personal data (GDPR): controller, contact, retention."""
    return render(
        request,
        "web/donnees_personnelles.html",
        {
            "controller": settings.MAILLAGE_CONTROLLER,
            "contact": settings.MAILLAGE_GDPR_CONTACT,
            "retention_years": settings.MAILLAGE_RETENTION_YEARS,
        },
    )


def accessibility(request: HttpRequest) -> HttpResponse:
    """Accessibility statement (RGAA)."""
    return render(request, "web/accessibilite.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """French page for a form refused by the CSRF protection."""
    return render(request, "web/csrf.html", status=403)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """French 403 page."""
    return render(request, "web/403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """French 404 page."""
    return render(request, "web/404.html", status=404)


@cache_control(max_age=60)
def survey_public_results(request: HttpRequest) -> HttpResponse:
    """Public survey results: one family, by EPCI and by bassin de vie, weighted."""
    from maillage.web.analysis import MIN_CELL, design_effect, family_results, survey_weights

    family = str(request.GET.get("famille", "soins"))
    if family not in FAMILIES:
        family = "soins"
    weights = survey_weights()
    return render(
        request,
        "web/enquete_resultats.html",
        {
            "family": family,
            "family_label": FAMILY_LABELS[family],
            "family_choices": [(f, FAMILY_LABELS[f]) for f in FAMILIES],
            "by_epci": family_results(family, "epci", weights),
            "by_bassin": family_results(family, "bassin", weights),
            "weights": weights,
            "design_effect": design_effect(weights),
            "min_cell": MIN_CELL,
        },
    )
