"""Public health-token endpoints for scanners (no login, no personal data), and the health
status pages of citizens and of the officials who review appeals and overrides."""

from __future__ import annotations

import json
from datetime import UTC

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from crisisgov.citizen import token_keys, tokens
from crisisgov.citizen.publishing import document_get


@require_GET
def keys_json(request: HttpRequest) -> JsonResponse:
    """Our issuer public keys as a JWKS document, for scanners and other regions."""
    response = JsonResponse(tokens.jwks_document(token_keys.public_keys()))
    response["Cache-Control"] = "public, max-age=300"
    return response


# Scanners post without a session or cookie; nothing here acts for a logged-in user.
@csrf_exempt
@require_POST
def verify(request: HttpRequest) -> JsonResponse:
    """{"token": ...} -> 200 with the status and its window, or 422 with the reason."""
    try:
        token = json.loads(request.body).get("token")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str):
        return _answer({"reason": "bad_request", "detail": 'expected {"token": "..."}'}, 400)
    try:
        claims = tokens.token_verify(token, keys=token_keys.verification_keys(), now=timezone.now())
    except tokens.TokenRefused as refused:
        return _answer({"reason": str(refused.reason), "detail": str(refused)}, 422)
    # The pseudonym stays out of the answer: a scanner needs to know the status, not whose.
    valid_until = claims.valid_until.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return _answer(
        {"status": claims.status, "valid_until": valid_until, "issuer": claims.issuer_region}
    )


def _answer(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    # An answer holds for this moment only, and the token in the request is a bearer pass.
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def published(request: HttpRequest, name: str) -> HttpResponse:
    """A published read model, as stored: the same bytes for everyone, cacheable, with ETag."""
    document = document_get(name)
    if document is None:
        raise Http404(name)
    etag = f'"{document.etag}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(document.body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=30"
    response["Last-Modified"] = document.published_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response


# --- health status pages: the citizen's own, the published rules, the public override counts,
# and the staff inboxes (overrides, appeals, acting-for requests) --------------------------------

import datetime as dt  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import wraps  # noqa: E402

from django.contrib import messages  # noqa: E402
from django.contrib.auth.decorators import login_required  # noqa: E402
from django.core.exceptions import PermissionDenied  # noqa: E402
from django.shortcuts import redirect, render  # noqa: E402
from django.utils.dateparse import parse_datetime  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from django.utils.translation import gettext_lazy  # noqa: E402

from crisisgov.citizen import (  # noqa: E402
    appeals,
    delegations,
    overrides,
    status_card,
    status_rules,
)
from crisisgov.citizen.models import (  # noqa: E402
    AppealOutcome,
    AppealState,
    Colour,
    OverrideReason,
    OverrideState,
    Relationship,
)
from crisisgov.citizen.notices import notices_for  # noqa: E402
from crisisgov.citizen.people import acting_for  # noqa: E402
from crisisgov.citizen.permissions import CitizenPermission  # noqa: E402
from crisisgov.directory.facade import DirectoryPermission, resident_refs  # noqa: E402
from crisisgov.kernel.errors import DomainError  # noqa: E402
from crisisgov.kernel.http import actor_of  # noqa: E402


def _requires(permission: str) -> Callable:
    """Login, then the permission somewhere (the services narrow to the actor's areas)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not actor_of(request).can(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# Pages speak the reader's language; the services' messages are the API's (English), so the
# ones a citizen or official meets on these pages are translated here.
_FIELDS = {
    "national_id": gettext_lazy("ID number"),
    "relationship": gettext_lazy("Relationship"),
    "reason": gettext_lazy("Reason"),
    "expires_at": gettext_lazy("Expires"),
    "evidence_record_id": gettext_lazy("Record"),
    "note": gettext_lazy("Reason for the citizen"),
}
_MESSAGES = {
    "an ID number has 17 digits followed by a digit or X": gettext_lazy(
        "an ID number has 17 digits followed by a digit or X"
    ),
    "the birth date in the ID number does not exist": gettext_lazy(
        "the birth date in the ID number does not exist"
    ),
    "the birth date in the ID number is out of range": gettext_lazy(
        "the birth date in the ID number is out of range"
    ),
    "the ID number's check digit is wrong": gettext_lazy("the ID number's check digit is wrong"),
    "no resident with this ID number is registered": gettext_lazy(
        "no resident with this ID number is registered"
    ),
    "this is your own ID number": gettext_lazy("this is your own ID number"),
    "you have already asked to act for this resident": gettext_lazy(
        "you have already asked to act for this resident"
    ),
    "say why the record is wrong": gettext_lazy("say why the record is wrong"),
    "an appeal for this resident is already waiting": gettext_lazy(
        "an appeal for this resident is already waiting"
    ),
    "no resident with this ID number in your jurisdiction": gettext_lazy(
        "no resident with this ID number in your jurisdiction"
    ),
    "the official who proposed an override cannot confirm it: a second official must": (
        gettext_lazy(
            "the official who proposed an override cannot confirm it: a second official must"
        )
    ),
    "an override needs an expiry": gettext_lazy("an override needs an expiry"),
    "the expiry must be in the future": gettext_lazy("the expiry must be in the future"),
    "a dismissal needs a reason the citizen can read": gettext_lazy(
        "a dismissal needs a reason the citizen can read"
    ),
}


def _error_text(exc: DomainError) -> str:
    message = str(_MESSAGES.get(exc.message, exc.message))
    if not exc.field:
        return message
    return f"{_FIELDS.get(exc.field, exc.field)}: {message}"


@_requires(CitizenPermission.USE_SERVICES)
def home(request: HttpRequest) -> HttpResponse:
    """The citizen's start page: whom they act for, their notices, links to every service."""
    people = acting_for(request.user)
    context = {
        "people": people,
        "notices": notices_for(request.user),
        "delegations": delegations.delegations_of(user=request.user)[:20],
    }
    return render(request, "citizen/home.html", context)


@_requires(CitizenPermission.USE_SERVICES)
def status_page(request: HttpRequest) -> HttpResponse:
    """My status (or that of a person acted for, `?person=<id>`), with the QR code."""
    people = acting_for(request.user)
    if not people:
        return render(request, "citizen/status.html", {"people": [], "card": None})
    chosen = people[0]
    wanted = request.GET.get("person", "")
    if wanted:
        matches = [p for p in people if str(p.person_id) == wanted]
        if not matches:
            raise Http404("no such person among those you act for")
        chosen = matches[0]
    card = status_card.status_card(chosen)
    context = {
        "people": people,
        "chosen": chosen,
        "card": card,
        "qr": status_card.qr_svg(card.token),
        "appeals": appeals.appeals_of(user=request.user, person_id=chosen.person_id)[:5],
        "pending_appeal": appeals.appeals_of(user=request.user, person_id=chosen.person_id)
        .filter(state=AppealState.PENDING)
        .exists(),
    }
    return render(request, "citizen/status.html", context)


@require_POST
@_requires(CitizenPermission.USE_SERVICES)
def appeal_submit(request: HttpRequest) -> HttpResponse:
    person = request.POST.get("person", "")
    record = request.POST.get("evidence_record_id", "")
    try:
        appeals.appeal_submit(
            actor=actor_of(request),
            user=request.user,
            person_id=int(person) if person.isdigit() else 0,
            reason=request.POST.get("reason", ""),
            evidence_record_id=int(record) if record.isdigit() else None,
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Your appeal was sent. You will find the answer here."))
    return redirect(f"{reverse('citizen:status')}?person={person}")


def status_rules_page(request: HttpRequest) -> HttpResponse:
    """The published rule set, in both languages, with its version (no login)."""
    context = {
        "rules": status_rules.RULES,
        "version": status_rules.RULESET_VERSION,
        "max_validity_hours": int(status_rules.MAX_VALIDITY.total_seconds() // 3600),
        "max_override_days": overrides.MAX_DAYS,
        "reasons": OverrideReason.choices,
    }
    response = render(request, "citizen/status_rules.html", context)
    response["Cache-Control"] = "public, max-age=300"
    return response


def override_counts_page(request: HttpRequest) -> HttpResponse:
    """Confirmed overrides counted by month, reason and district: no people (no login)."""
    rows = overrides.override_counts()
    reasons = dict(OverrideReason.choices)
    context = {
        "rows": [(r, reasons.get(r.reason, r.reason)) for r in rows],
        "total": sum(r.count for r in rows),
    }
    response = render(request, "citizen/override_counts.html", context)
    response["Cache-Control"] = "public, max-age=300"
    return response


@_requires(CitizenPermission.USE_SERVICES)
def delegations_page(request: HttpRequest) -> HttpResponse:
    """Ask to act for a family member; see and end one's delegations."""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                delegation_id = request.POST.get("delegation", "")
                delegations.delegation_revoke(
                    actor=actor_of(request),
                    user=request.user,
                    delegation_id=int(delegation_id) if delegation_id.isdigit() else 0,
                )
                messages.success(request, _("The delegation has ended."))
            else:
                delegations.delegation_request(
                    actor=actor_of(request),
                    user=request.user,
                    national_id=request.POST.get("national_id", ""),
                    relationship=request.POST.get("relationship", ""),
                )
                messages.success(
                    request,
                    _("Request sent. The resident's grid worker will call or visit to confirm."),
                )
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect("citizen:delegations")
    rows = list(delegations.delegations_of(user=request.user))
    refs = resident_refs([d.person_id for d in rows])
    context = {
        "rows": [(d, refs.get(d.person_id)) for d in rows],
        "relationships": Relationship.choices,
    }
    return render(request, "citizen/delegations.html", context)


@_requires(DirectoryPermission.EDIT_PERSON)
def delegation_inbox(request: HttpRequest) -> HttpResponse:
    """A grid worker's acting-for requests to confirm after a visit or call."""
    actor = actor_of(request)
    if request.method == "POST":
        delegation_id = request.POST.get("delegation", "")
        number = int(delegation_id) if delegation_id.isdigit() else 0
        try:
            if request.POST.get("action") == "confirm":
                delegations.delegation_confirm(actor=actor, delegation_id=number)
                messages.success(request, _("Confirmed: the carer may now act for the resident."))
            else:
                delegations.delegation_revoke(actor=actor, user=request.user, delegation_id=number)
                messages.success(request, _("The request was refused."))
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect("citizen:delegation-inbox")
    rows = list(delegations.delegations_to_confirm(actor=actor).select_related("carer")[:100])
    refs = resident_refs([d.person_id for d in rows])
    context = {"rows": [(d, refs.get(d.person_id)) for d in rows]}
    return render(request, "citizen/delegation_inbox.html", context)


@_requires(CitizenPermission.OVERRIDE_STATUS)
def override_inbox(request: HttpRequest) -> HttpResponse:
    """Propose an override for one resident; confirm or withdraw another official's."""
    actor = actor_of(request)
    if request.method == "POST":
        action = request.POST.get("action", "")
        override_id = request.POST.get("override", "")
        number = int(override_id) if override_id.isdigit() else 0
        try:
            if action == "confirm":
                overrides.override_confirm(actor=actor, override_id=number)
                messages.success(request, _("Confirmed: the override applies now."))
            elif action == "withdraw":
                overrides.override_withdraw(actor=actor, override_id=number)
                messages.success(request, _("The proposal was withdrawn."))
            else:
                expires = parse_datetime(request.POST.get("expires_at", "") or "")
                overrides.override_propose(
                    actor=actor,
                    national_id=request.POST.get("national_id", ""),
                    status=request.POST.get("status", ""),
                    reason=request.POST.get("reason", ""),
                    expires_at=expires,
                )
                messages.success(request, _("Proposed. A second official must confirm it."))
        except (DomainError, ValueError) as exc:
            text = _error_text(exc) if isinstance(exc, DomainError) else str(_FIELDS["expires_at"])
            messages.error(request, text)
        return redirect("citizen:override-inbox")
    rows = list(overrides.override_list(actor=actor).select_related("proposed_by")[:100])
    refs = resident_refs([o.person_id for o in rows])
    context = {
        "rows": [(o, refs.get(o.person_id)) for o in rows],
        "colours": Colour.choices,
        "reasons": OverrideReason.choices,
        "max_days": overrides.MAX_DAYS,
        "default_expiry": (timezone.localtime() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "proposed": OverrideState.PROPOSED,
    }
    return render(request, "citizen/override_inbox.html", context)


@_requires(CitizenPermission.REVIEW_APPEALS)
def appeal_inbox(request: HttpRequest) -> HttpResponse:
    """Pending appeals of the reviewer's areas, with the contested rule and record."""
    actor = actor_of(request)
    if request.method == "POST":
        appeal_id = request.POST.get("appeal", "")
        try:
            appeals.appeal_decide(
                actor=actor,
                appeal_id=int(appeal_id) if appeal_id.isdigit() else 0,
                decision=request.POST.get("decision", ""),
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("Decided. The citizen is notified."))
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect("citizen:appeal-inbox")
    rows = list(appeals.appeals_for_review(actor=actor, state=AppealState.PENDING)[:100])
    refs = resident_refs([a.person_id for a in rows])
    context = {
        "rows": [
            (
                a,
                refs.get(a.person_id),
                status_card.rule_text(a.rule_code),
                status_card.STANDARD_LABELS.get(a.evidence_standard, ""),
            )
            for a in rows
        ],
        "outcomes": AppealOutcome.choices,
    }
    return render(request, "citizen/appeal_inbox.html", context)
