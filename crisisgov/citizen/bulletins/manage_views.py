"""The officials' bulletin desk: draft a day's bulletin, edit both languages, publish, and
start a correction. Each action calls one service; refusals are shown beside the form."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from crisisgov.citizen.bulletins import selectors, services
from crisisgov.citizen.bulletins.services import TEXT_FIELDS
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.geo.facade import areas_for_paths
from crisisgov.kernel.errors import DomainError
from crisisgov.kernel.http import actor_of, not_found_as_404

LABELS = {
    "title_zh": _("Title (Chinese)"),
    "title_en": _("Title (English)"),
    "body_zh": _("Text (Chinese)"),
    "body_en": _("Text (English)"),
}


def _areas(request: HttpRequest) -> list:
    paths = [s.area_path for s in actor_of(request).scopes_for(CitizenPermission.PUBLISH_BULLETINS)]
    found = areas_for_paths(paths)
    return [found[p] for p in sorted(found)]


@login_required
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.can(CitizenPermission.PUBLISH_BULLETINS):
        raise Http404("no bulletins to keep here")
    error = None
    if request.method == "POST":
        try:
            area = request.POST.get("area_id", "")
            day = request.POST.get("date", "")
            if not area.isdigit() or len(area) > 18:
                raise DomainError("choose an area", field="area_id")
            try:
                date = dt.date.fromisoformat(day)
            except ValueError:
                raise DomainError("a date is YYYY-MM-DD", field="date") from None
            bulletin, _ = services.bulletin_draft(actor=actor, area_id=int(area), day=date)
            return redirect("citizen_bulletins:edit", bulletin.pk)
        except DomainError as exc:
            error = exc
    return render(
        request,
        "citizen_bulletins/desk.html",
        {
            "areas": _areas(request),
            "bulletins": selectors.bulletins_for_official(actor=actor)[:60],
            "yesterday": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
@not_found_as_404
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    actor = actor_of(request)
    bulletin = selectors.bulletin_for_official(actor=actor, bulletin_id=bulletin_id)
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in ("save", "publish"):
                texts = {name: request.POST.get(name, "")[:20_000] for name in TEXT_FIELDS}
                bulletin = services.bulletin_edit(actor=actor, bulletin_id=bulletin_id, texts=texts)
                if action == "publish":
                    services.bulletin_publish(actor=actor, bulletin_id=bulletin_id)
                    return redirect("citizen_bulletins:detail", bulletin_id)
            elif action == "correct":
                correction = services.bulletin_correct(actor=actor, bulletin_id=bulletin_id)
                return redirect("citizen_bulletins:edit", correction.pk)
            else:
                raise DomainError("unknown action", field="action")
            return redirect(reverse("citizen_bulletins:edit", args=[bulletin_id]))
        except DomainError as exc:
            error = exc
            bulletin = selectors.bulletin_for_official(actor=actor, bulletin_id=bulletin_id)
    return render(
        request,
        "citizen_bulletins/edit.html",
        {
            "bulletin": bulletin,
            "error": error,
            "fields": [(n, LABELS[n], getattr(bulletin, n)) for n in TEXT_FIELDS],
        },
        status=400 if error else 200,
    )
