"""The participation loop: published contributions can be supported and commented,
receive the team's official answer and be linked to the action they became; a map.

Supports are anonymous: one per browser (a random identifier kept in the session,
stored hashed), no account and no address. Comments are published at once, rate-limited
like every public form, and editors can hide them.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from maillage.web.forms import CommentForm
from maillage.web.models import Contribution, ContributionComment, ContributionSupport
from maillage.web.ratelimit import rate_limited


def voter_id(request: HttpRequest) -> str:
    """This browser's anonymous identifier (hashed), created on first use."""
    token = request.session.get("maillage_voter")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["maillage_voter"] = token
    return hashlib.sha256(str(token).encode()).hexdigest()


def published() -> Any:
    """Published contributions with their support and comment counts."""
    return (
        Contribution.objects.filter(status="publiee")
        .select_related("commune", "action")
        .annotate(
            n_supports=Count("supports", distinct=True),
            n_comments=Count("comments", filter=Q(comments__status="publie"), distinct=True),
        )
        .only(
            "kind",
            "title",
            "message",
            "family",
            "commune__name",
            "commune__lat",
            "commune__lon",
            "official_answer",
            "action__title",
            "action__public",
            "created_at",
        )
        .order_by("-created_at", "-pk")
    )


def initiatives(request: HttpRequest) -> HttpResponse:
    """Published contributions (title, nature, commune, message only), with a map."""
    items = published()
    order = "soutiens" if request.GET.get("tri") == "soutiens" else "recentes"
    items = items.order_by("-n_supports", "-created_at", "-pk") if order == "soutiens" else items
    page = Paginator(items, 20).get_page(request.GET.get("page"))
    markers = [
        {
            "nom": c.title,
            "type": f"{c.get_kind_display()} — {c.n_supports} soutien(s)",
            "commune": c.commune.name,
            "lat": c.commune.lat,
            "lon": c.commune.lon,
        }
        for c in page.object_list
        if c.commune is not None
    ]
    return render(
        request, "web/initiatives.html", {"page": page, "markers": markers, "order": order}
    )


def contribution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One published contribution: support, comments, official answer, linked action."""
    item = get_object_or_404(published(), pk=pk)
    supported = ContributionSupport.objects.filter(
        contribution=item, voter=voter_id(request)
    ).exists()
    return render(
        request,
        "web/initiative.html",
        {
            "item": item,
            "supported": supported,
            "comments": item.comments.filter(status="publie"),
            "form": CommentForm(),
        },
    )


@require_POST
@rate_limited("soutenir", limit=(200, 3600))
def support(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Support a published contribution (once per browser)."""
    item = get_object_or_404(Contribution, pk=pk, status="publiee")
    try:
        with transaction.atomic():
            _, created = ContributionSupport.objects.get_or_create(
                contribution=item, voter=voter_id(request)
            )
    except IntegrityError:  # the same browser, twice at the same moment
        created = False
    if created:
        messages.success(request, "Merci : votre soutien est compté.")
    else:
        messages.info(request, "Vous soutenez déjà cette contribution.")
    return redirect("web:initiative", pk=item.pk)


@require_POST
@rate_limited("commenter")
def comment(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Comment a published contribution."""
    item = get_object_or_404(published(), pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        ContributionComment.objects.create(
            contribution=item,
            author=form.cleaned_data["author"].strip(),
            message=form.cleaned_data["message"].strip(),
        )
        messages.success(request, "Votre commentaire est publié.")
        return redirect("web:initiative", pk=item.pk)
    return render(
        request,
        "web/initiative.html",
        {
            "item": item,
            "supported": False,
            "comments": item.comments.filter(status="publie"),
            "form": form,
        },
        status=400,
    )
