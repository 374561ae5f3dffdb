"""Deciding risk levels: an official approves or rejects a proposal (risk.py makes them), and
the reads of proposals, rule sets and levels for the pages and the API."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from crisisgov.earlywarning.alerting import alert_raise
from crisisgov.earlywarning.models import (
    AlertSource,
    ProposalStatus,
    RiskLevel,
    RiskProposal,
    RiskRuleSet,
)
from crisisgov.earlywarning.permissions import EarlyWarningPermission
from crisisgov.geo.facade import area_info
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound
from crisisgov.kernel.outbox import outbox_publish

# --- decisions ----------------------------------------------------------------------------------


def _pending(actor: Actor, proposal_id: int) -> RiskProposal:
    """A proposal inside the official's area (locked), else NotFound; pending, else Conflict."""
    proposal = (
        RiskProposal.objects.for_actor(actor, EarlyWarningPermission.DECIDE_RISK_LEVELS)
        .select_for_update()
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        raise NotFound("no such proposal", field="proposal_id")
    if proposal.status != ProposalStatus.PENDING:
        raise Conflict(f"the proposal is already {proposal.status}", field="proposal_id")
    return proposal


def risk_proposal_approve(*, actor: Actor, proposal_id: int, reason: str = "") -> RiskLevel:
    """Approve a change: the level in force ends now and the next version starts now; the
    change is published (`earlywarning.risk_level_changed`) and raised as an alert."""
    with transaction.atomic():
        proposal = _pending(actor, proposal_id)
        now = timezone.now()
        previous = RiskLevel.objects.select_for_update().filter(
            area_id=proposal.area_id, valid_to=None
        )
        old = previous.first()
        if old is not None:
            old.valid_to = now
            old.save(update_fields=["valid_to"])
        last = RiskLevel.objects.filter(area_id=proposal.area_id).order_by("-version").first()
        level = RiskLevel.objects.create(
            area_id=proposal.area_id,
            area_path=proposal.area_path,
            level=proposal.proposed_level,
            version=(last.version + 1) if last else 1,
            valid_from=now,
            proposal=proposal,
        )
        proposal.status = ProposalStatus.APPROVED
        proposal.decided_by_id, proposal.decided_at = actor.user_id, now
        proposal.decision_reason = reason.strip()
        proposal.save()
        change = {
            "area_path": level.area_path,
            "level": level.level,
            "previous": old.level if old else "",
            "version": level.version,
            "valid_from": now.isoformat(),
            "proposal_id": proposal.pk,
        }
        audit_record(
            actor=actor,
            action="earlywarning.risk_level_approved",
            permission=EarlyWarningPermission.DECIDE_RISK_LEVELS,
            target_type="earlywarning.riskproposal",
            target_id=proposal.pk,
            area_path=proposal.area_path,
            detail=change | {"reason": proposal.decision_reason},
        )
        outbox_publish(topic="earlywarning.risk_level_changed", payload=change)
        area = area_info(proposal.area_id)
        name_zh, name_en = (area.name_zh, area.name_en) if area else ("", "")
        alert_raise(
            source=AlertSource.RISK,
            kind=level.level,
            area_id=proposal.area_id,
            area_path=proposal.area_path,
            title_zh=f"{name_zh}风险等级调整为{RISK_NAMES_ZH[level.level]}",
            title_en=f"{name_en}: risk level now {level.level}",
            dedup_key=f"risk:{level.pk}",
            detail=change | {"fired": proposal.explanation.get("fired", [])},
        )
    return level


RISK_NAMES_ZH = {"low": "低风险", "medium": "中风险", "high": "高风险"}


def risk_proposal_reject(*, actor: Actor, proposal_id: int, reason: str) -> RiskProposal:
    """Reject a proposed change; the reason is required and kept."""
    if not reason.strip():
        raise DomainError("a rejection gives its reason", field="reason")
    with transaction.atomic():
        proposal = _pending(actor, proposal_id)
        proposal.status = ProposalStatus.REJECTED
        proposal.decided_by_id, proposal.decided_at = actor.user_id, timezone.now()
        proposal.decision_reason = reason.strip()
        proposal.save()
        audit_record(
            actor=actor,
            action="earlywarning.risk_proposal_rejected",
            permission=EarlyWarningPermission.DECIDE_RISK_LEVELS,
            target_type="earlywarning.riskproposal",
            target_id=proposal.pk,
            area_path=proposal.area_path,
            detail={"proposed_level": proposal.proposed_level, "reason": proposal.decision_reason},
        )
    return proposal


# --- reads ------------------------------------------------------------------------------------


def proposal_list(*, actor: Actor, status: str = ProposalStatus.PENDING) -> list[RiskProposal]:
    """Proposals in the actor's areas (to those who watch signals or decide levels)."""
    seen = RiskProposal.objects.for_actor(actor, EarlyWarningPermission.VIEW_SIGNALS)
    deciding = RiskProposal.objects.for_actor(actor, EarlyWarningPermission.DECIDE_RISK_LEVELS)
    rows = (seen | deciding).order_by("area_path", "-created_at")
    if status:
        rows = rows.filter(status=status)
    return list(rows[:500])


def rule_set_list(*, actor: Actor) -> list[RiskRuleSet]:
    seen = RiskRuleSet.objects.for_actor(actor, EarlyWarningPermission.VIEW_SIGNALS)
    managed = RiskRuleSet.objects.for_actor(actor, EarlyWarningPermission.MANAGE_RISK_RULES)
    return list((seen | managed).order_by("area_path", "id"))


def levels_in_force(*, actor: Actor) -> list[RiskLevel]:
    rows = RiskLevel.objects.for_actor(actor, EarlyWarningPermission.VIEW_SIGNALS)
    return list(rows.filter(valid_to=None).order_by("area_path"))


def level_history(*, actor: Actor, area_id: int) -> list[RiskLevel]:
    """Every version of an area's level, newest first; NotFound outside the actor's areas."""
    area = area_info(area_id)
    if area is None or not actor.can_at(EarlyWarningPermission.VIEW_SIGNALS, area.path):
        raise NotFound("no such area", field="area_id")
    return list(RiskLevel.objects.filter(area_id=area_id).order_by("-version"))


def may_decide(actor: Actor, area_path: str) -> bool:
    return actor.can_at(EarlyWarningPermission.DECIDE_RISK_LEVELS, area_path)
