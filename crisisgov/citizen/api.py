"""Health status, appeals, overrides and acting-for: JSON API under /api/citizen/."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from crisisgov.citizen import appeals, delegations, overrides, status_card
from crisisgov.citizen.people import acting_for
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.kernel.errors import NotFound
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.schemas import Id, PathId, StrictInput, text

router = Router()


class StatusOut(Schema):
    person_id: int
    label: str
    own: bool
    status: str
    rule_code: str
    rule_text: str
    ruleset_version: str
    evidence_standard: str
    evidence_record_id: int | None
    evidence_date: date | None
    valid_until: datetime
    token: str
    token_valid_until: datetime


class AppealIn(StrictInput):
    person_id: Id
    evidence_record_id: Id | None = None
    reason: text(min_length=1, max_length=1000)  # type: ignore[valid-type]


class AppealOut(Schema):
    id: int
    person_id: int
    rule_code: str
    evidence_standard: str
    evidence_record_id: int | None
    state: str
    outcome: str
    decision_note: str
    submitted_at: datetime
    decided_at: datetime | None


class DecisionIn(StrictInput):
    decision: Literal["uphold", "dismiss"]
    outcome: Literal["exclude", "fix_requested", ""] = ""
    note: text(max_length=500) = ""  # type: ignore[valid-type]


class OverrideIn(StrictInput):
    national_id: text(min_length=1, max_length=40)  # type: ignore[valid-type]
    status: Literal["green", "yellow", "red"]
    reason: text(min_length=1, max_length=40)  # type: ignore[valid-type]
    expires_at: datetime


class OverrideOut(Schema):
    id: int
    person_id: int
    area_path: str
    status: str
    reason: str
    expires_at: datetime
    state: str
    proposed_by_id: int
    proposed_at: datetime
    confirmed_by_id: int | None
    confirmed_at: datetime | None


class DelegationIn(StrictInput):
    national_id: text(min_length=1, max_length=40)  # type: ignore[valid-type]
    relationship: text(min_length=1, max_length=20)  # type: ignore[valid-type]


class DelegationOut(Schema):
    id: int
    person_id: int
    relationship: str
    state: str
    requested_at: datetime
    confirmed_at: datetime | None
    revoked_at: datetime | None


def _citizen(request: HttpRequest) -> None:
    if not actor_of(request).can(CitizenPermission.USE_SERVICES):
        raise NotFound("no citizen services for this account", field="person")


@router.get("/status", response=list[StatusOut], summary="My status and those I act for")
def my_statuses(request: HttpRequest) -> object:
    _citizen(request)
    return [status_card.status_card(p) for p in acting_for(request.user)]


@router.get("/status/{person_id}", response=StatusOut, summary="One status I may see")
def one_status(request: HttpRequest, person_id: PathId) -> object:
    _citizen(request)
    for person in acting_for(request.user):
        if person.person_id == person_id:
            return status_card.status_card(person)
    raise NotFound("no such person among those you act for", field="person_id")


@router.post("/appeals", response={201: AppealOut}, summary="Appeal the record behind a status")
def create_appeal(request: HttpRequest, payload: AppealIn) -> Status:
    appeal = appeals.appeal_submit(
        actor=actor_of(request),
        user=request.user,
        person_id=payload.person_id,
        reason=payload.reason,
        evidence_record_id=payload.evidence_record_id,
    )
    return Status(201, appeal)


@router.get("/appeals", response=list[AppealOut], summary="Appeals of the people I act for")
def list_my_appeals(request: HttpRequest) -> object:
    _citizen(request)
    rows = []
    for person in acting_for(request.user):
        rows += list(appeals.appeals_of(user=request.user, person_id=person.person_id))
    return rows


@router.get("/appeals/review", response=list[AppealOut], summary="Appeals to review in my areas")
def list_appeals_to_review(
    request: HttpRequest, state: Literal["pending", "upheld", "dismissed", ""] = "pending"
) -> object:
    return list(appeals.appeals_for_review(actor=actor_of(request), state=state or None)[:200])


@router.post("/appeals/{appeal_id}/decision", response=AppealOut, summary="Uphold or dismiss")
def decide_appeal(request: HttpRequest, appeal_id: PathId, payload: DecisionIn) -> object:
    return appeals.appeal_decide(actor=actor_of(request), appeal_id=appeal_id, **payload.dict())


@router.post(
    "/overrides", response={201: OverrideOut}, summary="Propose an override for ONE resident"
)
def propose_override(request: HttpRequest, payload: OverrideIn) -> Status:
    return Status(201, overrides.override_propose(actor=actor_of(request), **payload.dict()))


@router.get("/overrides", response=list[OverrideOut], summary="Overrides in my areas")
def list_overrides(
    request: HttpRequest, state: Literal["proposed", "confirmed", "withdrawn", ""] = ""
) -> object:
    return list(overrides.override_list(actor=actor_of(request), state=state or None)[:200])


@router.post(
    "/overrides/{override_id}/confirm",
    response=OverrideOut,
    summary="Confirm another official's proposal (it applies at once)",
)
def confirm_override(request: HttpRequest, override_id: PathId) -> object:
    return overrides.override_confirm(actor=actor_of(request), override_id=override_id)


@router.post(
    "/overrides/{override_id}/withdraw", response=OverrideOut, summary="Withdraw a proposal"
)
def withdraw_override(request: HttpRequest, override_id: PathId) -> object:
    return overrides.override_withdraw(actor=actor_of(request), override_id=override_id)


@router.post(
    "/delegations", response={201: DelegationOut}, summary="Ask to act for a family member"
)
def request_delegation(request: HttpRequest, payload: DelegationIn) -> Status:
    delegation = delegations.delegation_request(
        actor=actor_of(request), user=request.user, **payload.dict()
    )
    return Status(201, delegation)


@router.get("/delegations", response=list[DelegationOut], summary="My delegations (both ways)")
def list_delegations(request: HttpRequest) -> object:
    return list(delegations.delegations_of(user=request.user)[:200])


@router.get(
    "/delegations/pending",
    response=list[DelegationOut],
    summary="Requests waiting for a grid worker of my areas",
)
def list_pending_delegations(request: HttpRequest) -> object:
    return list(delegations.delegations_to_confirm(actor=actor_of(request))[:200])


@router.post(
    "/delegations/{delegation_id}/confirm",
    response=DelegationOut,
    summary="Confirm after a visit or call (grid worker)",
)
def confirm_delegation(request: HttpRequest, delegation_id: PathId) -> object:
    return delegations.delegation_confirm(actor=actor_of(request), delegation_id=delegation_id)


@router.post(
    "/delegations/{delegation_id}/revoke",
    response=DelegationOut,
    summary="End a delegation (carer or resident) or refuse a request (grid worker)",
)
def revoke_delegation(request: HttpRequest, delegation_id: PathId) -> object:
    return delegations.delegation_revoke(
        actor=actor_of(request), user=request.user, delegation_id=delegation_id
    )
