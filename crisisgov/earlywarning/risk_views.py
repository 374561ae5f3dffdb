"""The risk page: a map of the districts coloured by the level in force, the pending proposals
with their explanations, and the official's approve / reject forms."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crisisgov.earlywarning import risk_decisions
from crisisgov.earlywarning.facade import risk_levels_under
from crisisgov.earlywarning.permissions import EarlyWarningPermission
from crisisgov.geo.facade import (
    PATH_DIGITS,
    AreaInfo,
    Level,
    area_geometries,
    areas_at_level,
    areas_for_paths,
)
from crisisgov.kernel.errors import DomainError, NotFound
from crisisgov.kernel.http import actor_of, not_found_as_404

WATCHERS = (EarlyWarningPermission.VIEW_SIGNALS, EarlyWarningPermission.DECIDE_RISK_LEVELS)


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _districts(request: HttpRequest) -> list[AreaInfo]:
    """The districts the actor watches: those inside their areas, or the one around it."""
    actor = actor_of(request)
    digits = PATH_DIGITS[Level.DISTRICT]
    found: dict[str, AreaInfo] = {}
    for permission in WATCHERS:
        for scope in actor.scopes_for(permission):
            if len(scope.area_path) <= digits:
                found |= {a.path: a for a in areas_at_level(Level.DISTRICT, under=scope.area_path)}
            else:
                found |= areas_for_paths([scope.area_path[:digits]])
    return [found[p] for p in sorted(found)]


def _labels() -> dict[str, str]:
    return {
        "low": _("low"),
        "medium": _("medium"),
        "high": _("high"),
        "level": _("Risk level"),
        "pending": _("change proposed"),
        "no_outline": _("No outline has been drawn for this area yet."),
        "load_failed": _("The map could not be loaded. The table lists the same areas."),
    }


def _rows(request: HttpRequest) -> list[dict]:
    districts = _districts(request)
    levels = {}
    for root in {a.path[: PATH_DIGITS[Level.CITY]] for a in districts}:
        levels |= {info.area_path: info for info in risk_levels_under(root)}
    pending = {p.area_path: p for p in risk_decisions.proposal_list(actor=actor_of(request))}
    return [
        {
            "area": area,
            "name": area.name_zh if _zh() else area.name_en,
            "level": levels[area.path].level if area.path in levels else "low",
            "since": levels[area.path].valid_from if area.path in levels else None,
            "pending": pending.get(area.path),
        }
        for area in districts
    ]


def _context(request: HttpRequest, errors: dict) -> dict:
    actor = actor_of(request)
    proposals = risk_decisions.proposal_list(actor=actor)
    areas = areas_for_paths([p.area_path for p in proposals])
    for proposal in proposals:
        area = areas.get(proposal.area_path)
        name = (area.name_zh if _zh() else area.name_en) if area else proposal.area_path
        proposal.area_name = name  # type: ignore[attr-defined]
        proposal.may_decide = risk_decisions.may_decide(actor, proposal.area_path)  # type: ignore[attr-defined]
    return {
        "rows": _rows(request),
        "proposals": proposals,
        "errors": errors,
        "map_url": reverse("earlywarning:risk-map"),
        "map_labels": _labels(),
    }


@require_GET
@login_required
def risk_map(request: HttpRequest) -> HttpResponse:
    return render(request, "earlywarning/risk.html", _context(request, {}))


@require_GET
def risk_map_json(request: HttpRequest) -> HttpResponse:
    """GeoJSON of the actor's districts, each with its level in force (low when none)."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": [{"code": "not_authenticated"}]}, status=401)
    rows = _rows(request)
    geometries = area_geometries([row["area"].id for row in rows])
    features = [
        {
            "type": "Feature",
            "geometry": geometries.get(row["area"].id),
            "properties": {
                "code": row["area"].code,
                "name": row["name"],
                "level": row["level"],
                "pending": row["pending"].proposed_level if row["pending"] else "",
            },
        }
        for row in rows
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@require_POST
@login_required
@not_found_as_404
def proposal_decide(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Approve or reject one proposal; a rejection needs its reason."""
    actor = actor_of(request)
    reason = request.POST.get("reason", "")[:1000]
    try:
        decision = request.POST.get("decision", "")
        if decision == "approve":
            risk_decisions.risk_proposal_approve(
                actor=actor, proposal_id=proposal_id, reason=reason
            )
        elif decision == "reject":
            risk_decisions.risk_proposal_reject(actor=actor, proposal_id=proposal_id, reason=reason)
        else:
            raise DomainError(_("Choose approve or reject."), field="decision")
    except NotFound:
        raise
    except DomainError as error:
        context = _context(request, {proposal_id: error.message})
        return render(request, "earlywarning/risk.html", context, status=error.status_code)
    return redirect("earlywarning:risk")
