"""Early-warning endpoints. Sections: series and observations, detections and Rt, sensors,
risk levels, alerts and CAP."""

from __future__ import annotations

from ninja import Router

router = Router()

# --- series and observations, detections and Rt: their routes live in series_api.py ---------
from crisisgov.earlywarning.series_api import router as series_router  # noqa: E402

router.add_router("", series_router)

# --- sensors: their routes live in sensor_api.py ------------------------------------------------
from crisisgov.earlywarning.sensor_api import router as sensor_router  # noqa: E402

router.add_router("", sensor_router)


# --- risk levels, alerts and CAP -------------------------------------------------------------

from datetime import date, datetime  # noqa: E402
from typing import Any, Literal  # noqa: E402

from django.http import HttpRequest  # noqa: E402
from django.urls import reverse  # noqa: E402
from ninja import Query, Schema, Status  # noqa: E402

from crisisgov.earlywarning import alerts, cap, risk, risk_decisions  # noqa: E402
from crisisgov.kernel.http import actor_of  # noqa: E402
from crisisgov.kernel.schemas import Id, PathId, StrictInput, text  # noqa: E402


class RuleSetIn(StrictInput):
    name: text(min_length=1, max_length=100)  # type: ignore[valid-type]
    area_id: Id
    area_level: int
    rules: list[dict[str, Any]]


class RuleSetUpdateIn(StrictInput):
    rules: list[dict[str, Any]]
    active: bool = True
    name: text(max_length=100) = ""  # type: ignore[valid-type]


class RuleSetOut(Schema):
    id: int
    name: str
    area_level: int
    area_path: str
    rules: list[dict[str, Any]]
    active: bool
    version: int
    last_evaluated_for: date | None


class ProposalOut(Schema):
    id: int
    rule_set_id: int
    area_id: int
    area_path: str
    current_level: str
    proposed_level: str
    explanation: dict[str, Any]
    evaluated_for: date
    status: str
    decision_reason: str
    created_at: datetime


class ReasonIn(StrictInput):
    reason: text(max_length=1000) = ""  # type: ignore[valid-type]


class RiskLevelOut(Schema):
    id: int
    area_id: int
    area_path: str
    level: str
    version: int
    valid_from: datetime
    valid_to: datetime | None
    proposal_id: int | None


class AlertOut(Schema):
    id: int
    source: str
    kind: str
    title_zh: str
    title_en: str
    detail: dict[str, Any]
    area_id: int
    area_path: str
    status: str
    raised_at: datetime
    triaged_at: datetime | None
    triage_reason: str


class CapIn(StrictInput):
    note: text(max_length=500) = ""  # type: ignore[valid-type]


class CapOut(Schema):
    identifier: str
    msg_type: str
    references: str
    sent: datetime
    url: str


@router.get("/risk/rule-sets", response=list[RuleSetOut], summary="Risk rule sets in your areas")
def list_rule_sets(request: HttpRequest) -> object:
    return risk_decisions.rule_set_list(actor=actor_of(request))


@router.post("/risk/rule-sets", response={201: RuleSetOut}, summary="Create a risk rule set")
def create_rule_set(request: HttpRequest, payload: RuleSetIn) -> Status:
    return Status(201, risk.risk_rules_create(actor=actor_of(request), **payload.dict()))


@router.put(
    "/risk/rule-sets/{rule_set_id}",
    response=RuleSetOut,
    summary="Replace a rule set's rules (its version goes up)",
)
def update_rule_set(request: HttpRequest, rule_set_id: PathId, payload: RuleSetUpdateIn) -> object:
    return risk.risk_rules_update(
        actor=actor_of(request), rule_set_id=rule_set_id, **payload.dict()
    )


@router.get(
    "/risk/proposals", response=list[ProposalOut], summary="Proposed risk-level changes, explained"
)
def list_proposals(
    request: HttpRequest,
    status: Literal["pending", "approved", "rejected", "superseded", ""] = "pending",
) -> object:
    return risk_decisions.proposal_list(actor=actor_of(request), status=status)


@router.post(
    "/risk/proposals/{proposal_id}/approve",
    response=RiskLevelOut,
    summary="Approve a change: the next version of the area's level is in force from now",
)
def approve_proposal(request: HttpRequest, proposal_id: PathId, payload: ReasonIn) -> object:
    return risk_decisions.risk_proposal_approve(
        actor=actor_of(request), proposal_id=proposal_id, reason=payload.reason
    )


@router.post(
    "/risk/proposals/{proposal_id}/reject",
    response=ProposalOut,
    summary="Reject a proposed change (the reason is required)",
)
def reject_proposal(request: HttpRequest, proposal_id: PathId, payload: ReasonIn) -> object:
    return risk_decisions.risk_proposal_reject(
        actor=actor_of(request), proposal_id=proposal_id, reason=payload.reason
    )


@router.get("/risk/levels", response=list[RiskLevelOut], summary="Levels in force in your areas")
def list_levels(request: HttpRequest) -> object:
    return risk_decisions.levels_in_force(actor=actor_of(request))


@router.get(
    "/risk/areas/{area_id}/levels",
    response=list[RiskLevelOut],
    summary="Every version of an area's level, with its validity period",
)
def level_history(request: HttpRequest, area_id: PathId) -> object:
    return risk_decisions.level_history(actor=actor_of(request), area_id=area_id)


@router.get("/alerts", response=list[AlertOut], summary="The alert inbox of your areas")
def alert_inbox(
    request: HttpRequest,
    status: Literal["new", "confirmed", "dismissed", "escalated", ""] = Query(""),
) -> object:
    return alerts.alert_inbox(actor=actor_of(request), status=status)


@router.post("/alerts/{alert_id}/confirm", response=AlertOut, summary="Confirm an alert")
def confirm_alert(request: HttpRequest, alert_id: PathId, payload: ReasonIn) -> object:
    return alerts.alert_confirm(actor=actor_of(request), alert_id=alert_id, reason=payload.reason)


@router.post(
    "/alerts/{alert_id}/dismiss", response=AlertOut, summary="Dismiss an alert (with a reason)"
)
def dismiss_alert(request: HttpRequest, alert_id: PathId, payload: ReasonIn) -> object:
    return alerts.alert_dismiss(actor=actor_of(request), alert_id=alert_id, reason=payload.reason)


@router.post(
    "/alerts/{alert_id}/escalate",
    response=AlertOut,
    summary="Escalate an alert to the officials of the area above",
)
def escalate_alert(request: HttpRequest, alert_id: PathId, payload: ReasonIn) -> object:
    return alerts.alert_escalate(actor=actor_of(request), alert_id=alert_id, reason=payload.reason)


def _cap_out(request: HttpRequest, message: object) -> dict:
    identifier = message.identifier  # type: ignore[attr-defined]
    return {
        "identifier": identifier,
        "msg_type": message.msg_type,  # type: ignore[attr-defined]
        "references": message.references,  # type: ignore[attr-defined]
        "sent": message.sent,  # type: ignore[attr-defined]
        "url": request.build_absolute_uri(reverse("earlywarning:cap-xml", args=[identifier])),
    }


def _cap_send(request: HttpRequest, alert_id: int, msg_type: str, note: str) -> Status:
    message = cap.cap_publish(
        actor=actor_of(request),
        alert_id=alert_id,
        msg_type=msg_type,
        note=note,
        web=request.build_absolute_uri(reverse("earlywarning:cap-feed")),
    )
    return Status(201, _cap_out(request, message))


@router.post(
    "/cap/alerts/{alert_id}/publish",
    response={201: CapOut},
    summary="Publish a confirmed alert as a CAP 1.2 Alert message",
)
def cap_publish(request: HttpRequest, alert_id: PathId, payload: CapIn) -> Status:
    return _cap_send(request, alert_id, "Alert", payload.note)


@router.post(
    "/cap/alerts/{alert_id}/update",
    response={201: CapOut},
    summary="Send a CAP Update referencing the alert's earlier messages",
)
def cap_update(request: HttpRequest, alert_id: PathId, payload: CapIn) -> Status:
    return _cap_send(request, alert_id, "Update", payload.note)


@router.post(
    "/cap/alerts/{alert_id}/cancel",
    response={201: CapOut},
    summary="Send a CAP Cancel referencing the alert's earlier messages",
)
def cap_cancel(request: HttpRequest, alert_id: PathId, payload: CapIn) -> Status:
    return _cap_send(request, alert_id, "Cancel", payload.note)
