"""Accountability of the programme: progress, milestones, financing plan, history of
changes, and the programme as open data (CSV and a JSON API, public actions only).

Open data fields (French, stable: public interface): ``numero``, ``intitule``,
``famille``, ``echelle``, ``priorite``, ``porteur``, ``partenaires``, ``budget_eur``,
``annee_debut``, ``annee_fin``, ``etat``, ``avancement_pourcent``, ``jalons``
(``intitule``, ``date_prevue``, ``atteint_le``), ``financements`` (``financeur``,
``annee``, ``montant_eur``), ``indicateurs`` (``code``, ``libelle``, ``unite``,
``valeur_depart``, ``valeur_derniere_mesure``, ``valeur_visee``).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control

from maillage.web.exports import csv_response
from maillage.web.models import Action, ActionChange

OPEN_DATA_FIELDS = [
    "numero",
    "intitule",
    "famille",
    "echelle",
    "priorite",
    "porteur",
    "partenaires",
    "budget_eur",
    "annee_debut",
    "annee_fin",
    "etat",
    "avancement_pourcent",
    "financement_total_eur",
    "jalons_atteints",
    "jalons_prevus",
    "url",
]


def financing_table(action: Action) -> dict[str, Any]:
    """The financing plan as a funder × year table with totals.

    Returns
    -------
    dict
        ``years`` (sorted), ``rows`` (``funder``, ``amounts`` per year in that order,
        ``total``), ``year_totals`` and ``total`` (``Decimal``).
    """
    amounts: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in action.fundings.all():
        amounts[line.funder][line.year] += line.amount_eur
    years = sorted({year for per_year in amounts.values() for year in per_year})
    rows = [
        {
            "funder": funder,
            "amounts": [per_year.get(year) for year in years],
            "total": sum(per_year.values(), Decimal(0)),
        }
        for funder, per_year in sorted(amounts.items())
    ]
    year_totals = [
        sum((per_year.get(year, Decimal(0)) for per_year in amounts.values()), Decimal(0))
        for year in years
    ]
    return {
        "years": years,
        "rows": rows,
        "year_totals": year_totals,
        "total": sum(year_totals, Decimal(0)),
    }


def record_change(action: Action, form: ModelForm[Action], user: Any) -> ActionChange | None:
    """Write what an edit changed (``champ : avant → après``), or nothing if nothing did."""
    if not form.changed_data:
        return None
    lines = []
    for name in form.changed_data:
        field = form.fields[name]
        before = form.initial.get(name)
        after = form.cleaned_data.get(name)
        lines.append(f"{field.label} : {_shown(field, before)} → {_shown(field, after)}")
    return ActionChange.objects.create(
        action=action, user=user if user.is_authenticated else None, summary="\n".join(lines)
    )


def _shown(field: Any, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, QuerySet | list):
        return ", ".join(str(getattr(v, "name", v)) for v in value) or "—"
    choices = dict(getattr(field, "choices", []) or [])
    return str(choices.get(value, choices.get(str(value), value)))


def evaluation_rows(action: Action) -> list[dict[str, Any]]:
    """Each indicator linked to an action, with its baseline and latest measure."""
    rows = []
    for link in action.links.select_related("indicator"):
        baseline = link.indicator.baseline()
        latest = link.indicator.latest()
        rows.append(
            {
                "link": link,
                "indicator": link.indicator,
                "baseline": baseline,
                "latest": latest,
                "changed": baseline is not None
                and latest is not None
                and baseline.study_id != latest.study_id,
            }
        )
    return rows


def public_actions() -> QuerySet[Action]:
    """Published actions with what the open data needs."""
    return (
        Action.objects.filter(public=True)
        .prefetch_related("milestones", "fundings", "links__indicator__measurements__study")
        .order_by("pk")
    )


def action_record(action: Action, request: HttpRequest) -> dict[str, Any]:
    """One action as an open-data record (see the module docstring)."""
    milestones = list(action.milestones.all())
    fundings = list(action.fundings.all())
    return {
        "numero": action.pk,
        "intitule": action.title,
        "famille": action.get_family_display(),
        "echelle": action.get_level_display(),
        "priorite": action.priority,
        "porteur": action.porteur,
        "partenaires": action.partners,
        "budget_eur": None if action.budget_eur is None else float(action.budget_eur),
        "annee_debut": action.year_start,
        "annee_fin": action.year_end,
        "etat": action.get_status_display(),
        "avancement_pourcent": action.progress_percent,
        "financement_total_eur": float(sum((f.amount_eur for f in fundings), Decimal(0))),
        "jalons_atteints": sum(m.done_on is not None for m in milestones),
        "jalons_prevus": len(milestones),
        "url": request.build_absolute_uri(f"/programme/{action.pk}/"),
        "jalons": [
            {
                "intitule": m.title,
                "date_prevue": m.due_on.isoformat(),
                "atteint_le": m.done_on.isoformat() if m.done_on else None,
            }
            for m in milestones
        ],
        "financements": [
            {"financeur": f.funder, "annee": f.year, "montant_eur": float(f.amount_eur)}
            for f in fundings
        ],
        "indicateurs": [
            {
                "code": row["indicator"].code,
                "libelle": row["indicator"].label,
                "unite": row["indicator"].unit,
                "valeur_depart": row["baseline"].value if row["baseline"] else None,
                "valeur_derniere_mesure": row["latest"].value if row["latest"] else None,
                "valeur_visee": row["link"].target,
            }
            for row in evaluation_rows(action)
        ],
    }


@cache_control(max_age=300)
def programme_json(request: HttpRequest) -> JsonResponse:
    """``/api/programme.json``: the public programme (open data, Licence Ouverte)."""
    actions = [action_record(action, request) for action in public_actions()]
    return JsonResponse(
        {"licence": "Licence Ouverte 2.0", "nombre": len(actions), "actions": actions},
        json_dumps_params={"ensure_ascii": False},
    )


@cache_control(max_age=300)
def programme_csv(request: HttpRequest) -> HttpResponse:
    """``/programme/programme.csv``: one row per public action (open data)."""
    rows = []
    for action in public_actions():
        record = action_record(action, request)
        rows.append([record[field] for field in OPEN_DATA_FIELDS])
    return csv_response("programme-actions.csv", OPEN_DATA_FIELDS, rows)
