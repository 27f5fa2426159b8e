"""Staff pages (login required, rights by role): moderation, survey, programme, personal data.

Roles are Django groups (see :mod:`maillage.web.apps`): *Administrateur* (everything,
personal data included), *Éditeur* (moderation, survey import, actions), *Lecteur*
(read only, no personal data). Anonymous users are sent to the login page; a signed-in
user without the right gets 403.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from maillage.services.typology import FAMILIES
from maillage.web.accountability import evaluation_rows, record_change
from maillage.web.exports import csv_response, xlsx_response
from maillage.web.forms import (
    ActionForm,
    ActionIndicatorForm,
    AnswerForm,
    FundingForm,
    MilestoneForm,
    ModerationForm,
    PersonalDataForm,
    SurveyImportForm,
)
from maillage.web.models import (
    FAMILY_LABELS,
    Action,
    ActionChange,
    ActionIndicator,
    Contribution,
    Indicator,
    Study,
    SurveyAnswer,
    SurveyResponse,
)
from maillage.web.results import survey_results
from maillage.web.survey_import import import_survey_csv
from maillage.web.templatetags.maillage_tags import euros, valeur
from maillage.web.views import follow_up_context, latest_study


def _perm(codename: str) -> Any:
    return permission_required(f"maillage_web.{codename}", raise_exception=True)


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """The staff dashboard: counts and links according to the user's rights."""
    counts = Contribution.objects.aggregate(
        pending=Count("pk", filter=Q(status="attente")),
        published=Count("pk", filter=Q(status="publiee")),
    )
    return render(
        request,
        "web/equipe/accueil.html",
        {
            "counts": counts,
            "responses": SurveyResponse.objects.count(),
            "actions": Action.objects.count(),
            "study": latest_study(),
        },
    )


@login_required
@_perm("moderate_contribution")
def contributions(request: HttpRequest) -> HttpResponse:
    """Contributions to moderate, by status."""
    status = str(request.GET.get("statut", "attente"))
    if status not in dict(Contribution.STATUSES):
        status = "attente"
    items = Contribution.objects.filter(status=status).select_related("commune")
    return render(
        request,
        "web/equipe/contributions.html",
        {
            "items": items,
            "status": status,
            "statuses": Contribution.STATUSES,
            "can_see_personal": request.user.has_perm("maillage_web.manage_personal_data"),
        },
    )


@login_required
@_perm("moderate_contribution")
def contribution(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One contribution: moderation, official answer and linked action, its comments."""
    item = get_object_or_404(Contribution.objects.select_related("commune"), pk=pk)
    what = request.POST.get("quoi", "moderation") if request.method == "POST" else ""
    form = ModerationForm(
        request.POST if what == "moderation" else None,
        initial={"decision": item.status, "note": item.moderation_note},
    )
    answer = AnswerForm(request.POST if what == "reponse" else None, instance=item)
    if what == "moderation" and form.is_valid():
        item.status = form.cleaned_data["decision"]
        item.moderation_note = form.cleaned_data["note"]
        item.moderated_by = request.user  # type: ignore[assignment]
        item.moderated_at = timezone.now()
        item.save()
        messages.success(request, f"Contribution « {item.title} » : {item.get_status_display()}.")
        return redirect("web:staff_contributions")
    if what == "reponse" and answer.is_valid():
        answered = answer.save(commit=False)
        answered.answered_at = timezone.now() if answered.official_answer else None
        answered.save()
        messages.success(request, "Réponse officielle et action liée enregistrées.")
        return redirect("web:staff_contribution", pk=item.pk)
    if what == "commentaire":
        comment = get_object_or_404(item.comments, pk=int(request.POST.get("commentaire", 0)))
        comment.status = "masque" if comment.status == "publie" else "publie"
        comment.save(update_fields=["status"])
        messages.success(request, f"Commentaire {comment.get_status_display().lower()}.")
        return redirect("web:staff_contribution", pk=item.pk)
    return render(
        request,
        "web/equipe/contribution.html",
        {
            "item": item,
            "form": form,
            "answer": answer,
            "comments": item.comments.all(),
            "supports": item.supports.count(),
            "can_see_personal": request.user.has_perm("maillage_web.manage_personal_data"),
        },
    )


PERSONAL_HEADERS = [
    "numéro",
    "reçue le",
    "nature",
    "titre",
    "message",
    "commune",
    "nom",
    "courriel",
    "téléphone",
    "consentement",
    "statut",
]


def _personal_rows(items: Any) -> list[list[Any]]:
    return [
        [
            c.pk,
            timezone.localtime(c.created_at).strftime("%d/%m/%Y %H:%M"),
            c.get_kind_display(),
            c.title,
            c.message,
            c.commune.name if c.commune else "",
            c.name,
            c.email,
            c.phone,
            "oui" if c.consent else "non",
            c.get_status_display(),
        ]
        for c in items
    ]


@login_required
@_perm("manage_personal_data")
def personal_data(request: HttpRequest) -> HttpResponseBase:
    """Right of access and erasure: find a contributor's data by e-mail, export, erase."""
    form = PersonalDataForm(request.GET or None)
    items = Contribution.objects.none()
    email = ""
    if form.is_valid():
        email = form.cleaned_data["email"]
        items = Contribution.objects.filter(email__iexact=email).select_related("commune")
        if request.GET.get("format") == "csv":
            return csv_response("donnees-contributeur.csv", PERSONAL_HEADERS, _personal_rows(items))
    holders = Contribution.objects.exclude(name="", email="", phone="").count()
    return render(
        request,
        "web/equipe/donnees_personnelles.html",
        {"form": form, "items": items, "email": email, "holders": holders},
    )


@login_required
@_perm("manage_personal_data")
def personal_data_export(request: HttpRequest) -> HttpResponse:
    """Every contribution that keeps personal data (CSV)."""
    items = (
        Contribution.objects.exclude(name="", email="", phone="")
        .select_related("commune")
        .order_by("pk")
    )
    return csv_response("contributeurs.csv", PERSONAL_HEADERS, _personal_rows(items))


@login_required
@_perm("manage_personal_data")
@require_POST
def personal_data_erase(request: HttpRequest) -> HttpResponseBase:
    """Erase a contributor: delete their contributions (or only their contact details)."""
    form = PersonalDataForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Courriel invalide : rien n'a été effacé.")
        return redirect("web:staff_personal_data")
    email = form.cleaned_data["email"]
    items = Contribution.objects.filter(email__iexact=email)
    if request.POST.get("mode") == "tout":
        count, _ = items.delete()
        messages.success(request, f"{count} contribution(s) de {email} supprimée(s).")
    else:
        count = items.update(name="", email="", phone="", consent=False)
        messages.success(
            request, f"Coordonnées effacées de {count} contribution(s) (le texte est gardé)."
        )
    return redirect("web:staff_personal_data")


@login_required
@_perm("view_surveyresponse")
def survey_results_view(request: HttpRequest) -> HttpResponse:
    """Survey results per family × EPCI × age band, with measured access times."""
    family = str(request.GET.get("famille", "soins"))
    if family not in FAMILIES:
        family = "soins"
    study = latest_study()
    return render(
        request,
        "web/equipe/enquete.html",
        {
            "family": family,
            "family_label": FAMILY_LABELS[family],
            "family_choices": [(f, FAMILY_LABELS[f]) for f in FAMILIES],
            "results": survey_results(family, study),
            "responses": SurveyResponse.objects.count(),
            "study": study,
        },
    )


@login_required
@_perm("import_surveyresponse")
def survey_import(request: HttpRequest) -> HttpResponseBase:
    """Import paper or LimeSurvey answers (CSV)."""
    form = SurveyImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    summary = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = import_survey_csv(
            upload.read(), source=form.cleaned_data["source"], filename=str(upload.name)
        )
        if not result.errors:
            messages.success(request, f"{result.saved} réponse(s) importée(s). {result.summary()}")
            return redirect("web:staff_survey")
        errors = result.errors
        summary = (
            f"{result.summary()} Rien n'a été importé : corrigez le fichier puis importez-le "
            "de nouveau."
            if result.read
            else ""
        )
    return render(
        request,
        "web/equipe/enquete_import.html",
        {
            "form": form,
            "errors": errors[:50],
            "more_errors": max(0, len(errors) - 50),
            "summary": summary,
        },
    )


@login_required
@_perm("view_surveyresponse")
def survey_export(request: HttpRequest) -> HttpResponse:
    """Every answer, one row per response and family (CSV)."""
    answers = SurveyAnswer.objects.select_related("response", "response__commune").order_by(
        "response_id", "family"
    )
    rows = [
        [
            a.response_id,
            a.response.get_source_display(),
            a.response.commune.code if a.response.commune else "",
            a.response.commune.name if a.response.commune else "",
            a.response.commune.epci_name if a.response.commune else "",
            a.response.age_band,
            a.family,
            a.use,
            a.satisfaction or "",
            a.distance_felt,
            a.unmet_needs,
        ]
        for a in answers
    ]
    headers = [
        "réponse",
        "origine",
        "code commune",
        "commune",
        "EPCI",
        "tranche d'âge",
        "famille",
        "usage",
        "satisfaction",
        "distance",
        "besoins",
    ]
    return csv_response("enquete.csv", headers, rows)


@login_required
@_perm("view_action")
def programme(request: HttpRequest) -> HttpResponse:
    """Every action of the programme (public or not)."""
    actions = Action.objects.prefetch_related("themes").annotate(n_indicators=Count("links"))
    return render(request, "web/equipe/programme.html", {"actions": actions})


@login_required
@_perm("add_action")
def action_create(request: HttpRequest) -> HttpResponseBase:
    """Create an action."""
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = form.save()
        messages.success(request, f"Action « {action.title} » créée.")
        return redirect("web:staff_action", pk=action.pk)
    return render(request, "web/equipe/action_form.html", {"form": form, "action": None})


@login_required
@_perm("change_action")
def action_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Edit an action."""
    action = get_object_or_404(Action, pk=pk)
    form = ActionForm(request.POST or None, instance=action)
    if request.method == "POST" and form.is_valid():
        form.save()
        record_change(action, form, request.user)
        messages.success(request, f"Action « {action.title} » enregistrée.")
        return redirect("web:staff_action", pk=action.pk)
    return render(request, "web/equipe/action_form.html", {"form": form, "action": action})


def _indicator_choices(request: HttpRequest, action: Action) -> Any:
    level = str(request.GET.get("niveau", "territoire"))
    if level not in {"territoire", "epci", "bassin_vie", "canton", "commune"}:
        level = "territoire"
    family = str(request.GET.get("famille", action.family))
    if family not in FAMILIES:
        family = action.family
    return level, family, Indicator.objects.filter(level=level, family=family)


def indicator_sort_key(indicator: Indicator) -> tuple[Any, ...]:
    """Zone, season, then the measure in reading order: median, then thresholds by value.

    Sorting labels as text put "30 min" before "7 min".
    """
    match = re.search(r"_(\d+(?:\.\d+)?)min$", indicator.measure)
    threshold = float(match.group(1)) if match else -1.0
    kind = (
        0
        if indicator.measure.startswith("median")
        else (1 if indicator.measure.startswith("population") else 2)
    )
    return (indicator.zone_label, indicator.season, threshold, kind, indicator.label)


def sorted_indicator_choices(indicators: Any) -> list[tuple[Any, str]]:
    """``(pk, label)`` choices in :func:`indicator_sort_key` order, after the empty one."""
    ordered = sorted(indicators, key=indicator_sort_key)
    return [("", "---------"), *((i.pk, i.label) for i in ordered)]


@login_required
@_perm("view_action")
def action_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """An action, its indicators (baseline, latest measure) and the form to link one."""
    action = get_object_or_404(Action.objects.prefetch_related("themes"), pk=pk)
    what = str(request.POST.get("quoi", "")) if request.method == "POST" else ""
    milestone_form = MilestoneForm(request.POST if what == "jalon" else None)
    funding_form = FundingForm(request.POST if what == "financement" else None)
    if what:
        return _follow_up_post(request, action, what, milestone_form, funding_form)
    level, family, indicators = _indicator_choices(request, action)
    form = ActionIndicatorForm(
        request.POST or None, indicators=Indicator.objects.all() if request.POST else indicators
    )
    if not request.POST:
        form.fields["indicator"].choices = sorted_indicator_choices(indicators)
    if request.method == "POST":
        if not request.user.has_perm("maillage_web.add_actionindicator"):
            return render(request, "web/403.html", status=403)
        if form.is_valid():
            link = form.save(commit=False)
            link.action = action
            if ActionIndicator.objects.filter(action=action, indicator=link.indicator).exists():
                messages.error(request, "Cet indicateur est déjà suivi pour cette action.")
            else:
                link.save()
                messages.success(request, f"Indicateur lié : {link.indicator.label}.")
            return redirect("web:staff_action", pk=action.pk)
    return render(
        request,
        "web/equipe/action.html",
        {
            "action": action,
            "evaluation": evaluation_rows(action),
            "form": form,
            "level": level,
            "family": family,
            "levels": [
                ("territoire", "Territoire"),
                ("epci", "EPCI"),
                ("bassin_vie", "Bassin de vie"),
                ("canton", "Canton"),
                ("commune", "Commune"),
            ],
            "family_choices": [(f, FAMILY_LABELS[f]) for f in FAMILIES],
            "staff_view": True,
            "show_authors": True,
            "milestone_form": milestone_form,
            "funding_form": funding_form,
            **follow_up_context(action),
        },
    )


def _follow_up_post(
    request: HttpRequest,
    action: Action,
    what: str,
    milestone_form: MilestoneForm,
    funding_form: FundingForm,
) -> HttpResponseBase:
    """Add a milestone or a financing line, or mark a milestone reached (with history)."""
    needed = {
        "jalon": "add_actionmilestone",
        "jalon_atteint": "change_actionmilestone",
        "financement": "add_actionfunding",
    }.get(what)
    if needed is None or not request.user.has_perm(f"maillage_web.{needed}"):
        return render(request, "web/403.html", status=403)
    user = request.user if request.user.is_authenticated else None
    if what == "jalon_atteint":
        milestone = get_object_or_404(action.milestones, pk=int(request.POST.get("jalon", 0)))
        milestone.done_on = timezone.localdate()
        milestone.save(update_fields=["done_on"])
        summary = f"Jalon atteint : {milestone.title} ({milestone.done_on:%d/%m/%Y})"
    elif what == "jalon" and milestone_form.is_valid():
        milestone = milestone_form.save(commit=False)
        milestone.action = action
        milestone.save()
        summary = f"Jalon ajouté : {milestone.title}, prévu le {milestone.due_on:%d/%m/%Y}"
    elif what == "financement" and funding_form.is_valid():
        line = funding_form.save(commit=False)
        line.action = action
        line.save()
        summary = f"Financement ajouté : {line.funder}, {line.year}, {euros(line.amount_eur)}"
    else:
        messages.error(request, "Formulaire incomplet : rien n'a été ajouté.")
        return redirect("web:staff_action", pk=action.pk)
    ActionChange.objects.create(action=action, user=user, summary=summary)
    messages.success(request, summary + ".")
    return redirect("web:staff_action", pk=action.pk)


@login_required
@_perm("delete_actionindicator")
@require_POST
def action_unlink(request: HttpRequest, pk: int, link_pk: int) -> HttpResponseBase:
    """Remove an indicator from an action (the link must belong to the action)."""
    link = get_object_or_404(ActionIndicator, pk=link_pk, action_id=pk)
    link.delete()
    messages.success(request, "Indicateur retiré de l'action.")
    return redirect("web:staff_action", pk=pk)


ACTION_HEADERS = [
    "numéro",
    "intitulé",
    "famille",
    "thèmes transversaux",
    "échelle",
    "objectifs",
    "priorité",
    "porteur",
    "partenaires",
    "budget (€)",
    "première année",
    "dernière année",
    "mutualisation",
    "état",
    "public",
    "indicateurs (départ → dernière mesure)",
]


def _action_rows() -> list[list[Any]]:
    rows = []
    for action in Action.objects.prefetch_related("themes").order_by("pk"):
        indicators = []
        for row in evaluation_rows(action):
            unit = row["indicator"].unit
            baseline = valeur(row["baseline"].value if row["baseline"] else None, unit)
            latest = valeur(row["latest"].value if row["latest"] else None, unit)
            indicators.append(f"{row['indicator'].label} : {baseline} → {latest}")
        rows.append(
            [
                action.pk,
                action.title,
                action.get_family_display(),
                ", ".join(t.name for t in action.themes.all()),
                action.get_level_display(),
                action.objectives,
                action.priority,
                action.porteur,
                action.partners,
                float(action.budget_eur) if action.budget_eur is not None else "",
                action.year_start,
                action.year_end,
                "oui" if action.mutualisation else "non",
                action.get_status_display(),
                "oui" if action.public else "non",
                " | ".join(indicators),
            ]
        )
    return rows


@login_required
@_perm("view_action")
def programme_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The programme as CSV or XLSX."""
    if fmt == "xlsx":
        return xlsx_response(
            "programme-actions.xlsx", "Programme d'actions", ACTION_HEADERS, _action_rows()
        )
    return csv_response("programme-actions.csv", ACTION_HEADERS, _action_rows())


@login_required
@_perm("add_study")
def remeasure(request: HttpRequest) -> HttpResponseBase:
    """Load a recomputed study folder as a new measure of every indicator.

    The folder is one written by ``maillage diagnostic --sortie`` (by default the one
    last loaded, recomputed in place); a folder identical to the latest measure is not
    loaded twice.
    """
    from maillage._errors import MaillageError
    from maillage.web.loading import load_study

    study = latest_study()
    folder = str(request.POST.get("dossier") or (study.path if study else "")).strip()
    if request.method == "POST":
        try:
            report = load_study(folder)
        except MaillageError as error:
            messages.error(request, str(error))
        else:
            if report.created:
                messages.success(
                    request,
                    f"Nouvelle mesure chargée : {report.indicators} indicateurs remesurés "
                    f"({report.study.method}).",
                )
            else:
                messages.info(
                    request, "Ce dossier est identique à la dernière mesure : rien à remesurer."
                )
        return redirect("web:staff_remeasure")
    return render(
        request,
        "web/equipe/remesurer.html",
        {"folder": folder, "studies": Study.objects.order_by("-loaded_at")[:20]},
    )


@login_required
@_perm("change_surveyfamilysetting")
def survey_questions(request: HttpRequest) -> HttpResponseBase:
    """Which families the survey asks about, and each family's own question."""
    from django.forms import modelformset_factory

    from maillage.web.forms import FamilySettingForm
    from maillage.web.models import SurveyFamilySetting

    for family in FAMILIES:
        SurveyFamilySetting.objects.get_or_create(family=family)
    formset_class = modelformset_factory(SurveyFamilySetting, form=FamilySettingForm, extra=0)
    formset = formset_class(request.POST or None, queryset=SurveyFamilySetting.objects.all())
    if request.method == "POST" and formset.is_valid():
        formset.save()
        messages.success(request, "Questions de l'enquête enregistrées.")
        return redirect("web:staff_survey_questions")
    return render(request, "web/equipe/enquete_questions.html", {"formset": formset})
