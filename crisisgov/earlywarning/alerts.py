"""The analyst inbox: alerts raised by detectors, sensors and risk changes (see alerting.py),
and their triage: confirm, dismiss with a reason, or escalate to the parent area.

Escalating does not move the alert: it stays in its area (so the district keeps seeing it)
and records the parent's path in `detail["escalated_to"]`. From then on only those who may
triage at that parent area decide it; the parent's inbox already covers its children.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from crisisgov.earlywarning.models import Alert, AlertStatus
from crisisgov.earlywarning.permissions import EarlyWarningPermission
from crisisgov.geo.facade import area_info, areas_for_paths
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied

OPEN = (AlertStatus.NEW, AlertStatus.ESCALATED)  # still waiting for a decision
INBOX_LIMIT = 500


def alert_inbox(*, actor: Actor, status: str = "") -> list[Alert]:
    """Alerts in the actor's areas, newest first (all statuses unless one is asked for)."""
    seen = Alert.objects.for_actor(actor, EarlyWarningPermission.VIEW_SIGNALS)
    triaged = Alert.objects.for_actor(actor, EarlyWarningPermission.TRIAGE_ALERTS)
    rows = (seen | triaged).order_by("-raised_at", "-id")
    if status:
        rows = rows.filter(status=status)
    return list(rows.prefetch_related("cap_messages")[:INBOX_LIMIT])


def triage_path(alert: Alert) -> str:
    """Where the alert is decided: its own area, or the area it was escalated to."""
    return str(alert.detail.get("escalated_to") or alert.area_path)


def may_triage(actor: Actor, alert: Alert) -> bool:
    return actor.can_at(EarlyWarningPermission.TRIAGE_ALERTS, triage_path(alert))


def alert_for_triage(*, actor: Actor, alert_id: int, lock: bool = False) -> Alert:
    """An alert in the actor's areas that the actor may decide; NotFound outside them (as a
    missing one), PermissionDenied when it was escalated above the actor."""
    rows = Alert.objects.for_actor(actor, EarlyWarningPermission.TRIAGE_ALERTS)
    if lock:
        rows = rows.select_for_update()
    alert = rows.filter(pk=alert_id).first()
    if alert is None:
        raise NotFound("no such alert", field="alert_id")
    if not may_triage(actor, alert):
        raise PermissionDenied(
            "the alert was escalated; the officials of the area above decide it",
            field="alert_id",
        )
    return alert


def _decide(
    *, actor: Actor, alert_id: int, status: str, reason: str, detail: dict | None = None
) -> Alert:
    with transaction.atomic():
        alert = alert_for_triage(actor=actor, alert_id=alert_id, lock=True)
        if alert.status not in OPEN:
            raise Conflict(f"the alert is already {alert.status}", field="alert_id")
        decided_at = triage_path(alert)
        alert.status = status
        alert.triaged_by_id, alert.triaged_at = actor.user_id, timezone.now()
        alert.triage_reason = reason.strip()
        alert.detail = {**alert.detail, **(detail or {})}
        alert.save()
        audit_record(
            actor=actor,
            action=f"earlywarning.alert_{status}",
            permission=EarlyWarningPermission.TRIAGE_ALERTS,
            target_type="earlywarning.alert",
            target_id=alert.pk,
            area_path=decided_at,
            detail={"source": alert.source, "kind": alert.kind, "reason": alert.triage_reason}
            | (detail or {}),
        )
    return alert


# The audit actions written by `_decide` (named here so the docs test finds them):
# action="earlywarning.alert_confirmed", action="earlywarning.alert_dismissed",
# action="earlywarning.alert_escalated"


def alert_confirm(*, actor: Actor, alert_id: int, reason: str = "") -> Alert:
    """The signal is real: it may now be published as a CAP message."""
    return _decide(actor=actor, alert_id=alert_id, status=AlertStatus.CONFIRMED, reason=reason)


def alert_dismiss(*, actor: Actor, alert_id: int, reason: str) -> Alert:
    """Not a real event (a reporting artefact, a sensor fault): the reason is required."""
    if not reason.strip():
        raise DomainError("a dismissal gives its reason", field="reason")
    return _decide(actor=actor, alert_id=alert_id, status=AlertStatus.DISMISSED, reason=reason)


def alert_escalate(*, actor: Actor, alert_id: int, reason: str = "") -> Alert:
    """Hand the decision to the parent area's officials."""
    alert = alert_for_triage(actor=actor, alert_id=alert_id)
    here = areas_for_paths([triage_path(alert)]).get(triage_path(alert))
    parent = area_info(here.parent_id) if here and here.parent_id else None
    if parent is None:
        raise DomainError("there is no area above to escalate to", field="alert_id")
    return _decide(
        actor=actor,
        alert_id=alert_id,
        status=AlertStatus.ESCALATED,
        reason=reason,
        detail={"escalated_to": parent.path, "escalated_from": triage_path(alert)},
    )
