"""Appeals against a health status: the citizen (or whoever acts for them) contests the record
behind their colour; an official of the area who reviews appeals upholds (the record no
longer counts for this resident, or its owner is asked to correct it) or dismisses with a
reason. The citizen is notified either way."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from crisisgov.citizen.models import (
    AppealOutcome,
    AppealState,
    NoticeKind,
    StatusAppeal,
)
from crisisgov.citizen.notices import notice_send
from crisisgov.citizen.people import may_act_for
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.citizen.status import status_current, statuses_compute_for_ids
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound

MAX_REASON = 1000


def appeal_submit(
    *, actor: Actor, user: Any, person_id: int, reason: str, evidence_record_id: int | None
) -> StatusAppeal:
    """Contest the record the current status names (for oneself or a person acted for)."""
    if not actor.can(CitizenPermission.USE_SERVICES) or not may_act_for(user, person_id):
        raise NotFound("no such resident among those you act for", field="person")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("say why the record is wrong", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"at most {MAX_REASON} characters", field="reason", code="too_long")
    status = status_current(person_id)
    if status.evidence_record_id is None:
        raise DomainError(
            "no record produced this status: there is nothing to contest",
            field="evidence_record_id",
        )
    if evidence_record_id != status.evidence_record_id:
        raise DomainError("contest the record your status names", field="evidence_record_id")
    with transaction.atomic():
        if StatusAppeal.objects.filter(person_id=person_id, state=AppealState.PENDING).exists():
            raise Conflict("an appeal for this resident is already waiting", field="person")
        try:
            with transaction.atomic():
                appeal = StatusAppeal.objects.create(
                    person_id=person_id,
                    area_path=status.area_path,
                    submitted_by=user,
                    rule_code=status.rule_code,
                    evidence_standard=status.evidence_standard,
                    evidence_record_id=status.evidence_record_id,
                    reason=reason,
                    submitted_at=timezone.now(),
                )
        except IntegrityError:  # a second click, or the carer and the resident at once
            raise Conflict(
                "an appeal for this resident is already waiting", field="person"
            ) from None
        _audit(actor, "citizen.appeal_submitted", appeal, CitizenPermission.USE_SERVICES)
    return appeal


def appeals_of(*, user: Any, person_id: int) -> QuerySet[StatusAppeal]:
    if not may_act_for(user, person_id):
        return StatusAppeal.objects.none()
    return StatusAppeal.objects.filter(person_id=person_id)


def appeals_for_review(*, actor: Actor, state: str | None = None) -> QuerySet[StatusAppeal]:
    rows = StatusAppeal.objects.for_actor(actor, CitizenPermission.REVIEW_APPEALS)
    return rows.filter(state=state) if state else rows


def appeal_decide(
    *, actor: Actor, appeal_id: int, decision: str, outcome: str = "", note: str = ""
) -> StatusAppeal:
    """`decision` "uphold" (with an outcome) or "dismiss" (with a reason in `note`)."""
    note = (note or "").strip()
    if decision not in {"uphold", "dismiss"}:
        raise DomainError("decision must be uphold or dismiss", field="decision")
    if decision == "uphold" and outcome not in AppealOutcome.values:
        raise DomainError(
            f"outcome must be one of {', '.join(AppealOutcome.values)}", field="outcome"
        )
    if decision == "dismiss" and not note:
        raise DomainError("a dismissal needs a reason the citizen can read", field="note")
    if len(note) > 500:
        raise DomainError("at most 500 characters", field="note", code="too_long")
    with transaction.atomic():
        appeal = appeals_for_review(actor=actor).select_for_update().filter(pk=appeal_id).first()
        if appeal is None:
            raise NotFound("no such appeal", field="appeal")
        if appeal.state != AppealState.PENDING:
            raise Conflict(f"the appeal is already {appeal.state}", field="appeal")
        appeal.state = AppealState.UPHELD if decision == "uphold" else AppealState.DISMISSED
        appeal.outcome = outcome if decision == "uphold" else ""
        appeal.decision_note = note
        appeal.decided_by_id = actor.user_id
        appeal.decided_at = timezone.now()
        appeal.save(update_fields=["state", "outcome", "decision_note", "decided_by", "decided_at"])
        _audit(actor, "citizen.appeal_decided", appeal, CitizenPermission.REVIEW_APPEALS)
        if appeal.outcome == AppealOutcome.EXCLUDE:
            statuses_compute_for_ids([appeal.person_id])
        if appeal.state == AppealState.UPHELD:
            notice_send(
                person_id=appeal.person_id,
                kind=NoticeKind.APPEAL_UPHELD,
                params={"outcome": appeal.outcome},
            )
        else:
            notice_send(
                person_id=appeal.person_id,
                kind=NoticeKind.APPEAL_DISMISSED,
                params={"note": note},
            )
    return appeal


def _audit(actor: Actor, action: str, appeal: StatusAppeal, permission: str) -> None:
    # The citizen's reason stays out of the log: it may hold personal details.
    audit_record(
        actor=actor,
        action=action,
        target_type="citizen.statusappeal",
        target_id=appeal.pk,
        area_path=appeal.area_path,
        subject_person_id=appeal.person_id,
        detail={
            "rule_code": appeal.rule_code,
            "standard": appeal.evidence_standard,
            "record_id": appeal.evidence_record_id,
            "state": appeal.state,
            "outcome": appeal.outcome,
        },
        permission=permission,
    )
