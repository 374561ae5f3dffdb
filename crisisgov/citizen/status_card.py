"""What a citizen sees of a status: the colour, the rule and the record that produced it (its
kind and date, nothing else), and a freshly signed token for the QR code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import segno
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crisisgov.citizen import status_rules, token_keys, tokens
from crisisgov.citizen.models import HealthStatus, OverrideReason
from crisisgov.citizen.people import ActingFor
from crisisgov.citizen.status import status_current

# A token is short-lived: a screenshot passed on is soon worthless.
TOKEN_MINUTES = 15

STANDARD_LABELS = {
    "test_result": _("test result"),
    "case_report": _("case report"),
    "close_contact": _("close-contact designation"),
    "quarantine_order": _("quarantine order"),
    "venue_checkin": _("venue check-in"),
}


@dataclass(frozen=True)
class StatusCard:
    person_id: int
    label: str
    own: bool
    status: str
    rule_code: str
    rule_text: str
    ruleset_version: str
    evidence_standard: str
    evidence_label: str
    evidence_record_id: int | None
    evidence_date: dt.date | None
    override_reason: str  # the reason's label when an override set the colour
    override_expires_at: dt.datetime | None
    computed_at: dt.datetime
    valid_until: dt.datetime
    token: str
    token_valid_until: dt.datetime


def rule_text(code: str) -> str:
    rule = status_rules.RULES_BY_CODE.get(code)
    if rule is None:
        return code
    return rule.text_zh if (get_language() or "").lower().startswith("zh") else rule.text_en


def token_for(status: HealthStatus, *, now: dt.datetime) -> tuple[str, dt.datetime]:
    """A signed token for the status, valid TOKEN_MINUTES or until the status's validity."""
    remaining = int((status.valid_until - now).total_seconds() // 60)
    minutes = max(1, min(TOKEN_MINUTES, remaining))
    kid, key = token_keys.signing_keys()[0]
    token = tokens.token_issue(
        private_key=key, key_id=kid, status=status.status, valid_minutes=minutes, now=now
    )
    issued = dt.datetime.fromtimestamp((int(now.timestamp()) // 60) * 60, tz=dt.UTC)
    return token, issued + dt.timedelta(minutes=minutes)


def status_card(person: ActingFor, *, now: dt.datetime | None = None) -> StatusCard:
    now = now or timezone.now()
    status = status_current(person.person_id, now=now)
    token, token_until = token_for(status, now=now)
    override = status.override if status.override_id else None
    shown_rule = _("Set by two officials") if override is not None else rule_text(status.rule_code)
    return StatusCard(
        person_id=person.person_id,
        label=person.label,
        own=person.own,
        status=status.status,
        rule_code=status.rule_code,
        rule_text=str(shown_rule),
        ruleset_version=status.ruleset_version,
        evidence_standard=status.evidence_standard,
        evidence_label=str(STANDARD_LABELS.get(status.evidence_standard, "")),
        evidence_record_id=status.evidence_record_id,
        evidence_date=timezone.localtime(status.evidence_at).date() if status.evidence_at else None,
        override_reason=str(OverrideReason(override.reason).label) if override else "",
        override_expires_at=override.expires_at if override else None,
        computed_at=status.computed_at,
        valid_until=status.valid_until,
        token=token,
        token_valid_until=token_until,
    )


def qr_svg(token: str) -> str:
    """The token as an inline SVG QR code (error correction M: survives a scratched screen)."""
    return segno.make(token, error="m").svg_inline(
        scale=5, dark="#111", light="#fff", omitsize=True
    )
