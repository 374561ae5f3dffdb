"""Notices to residents: shown on the citizen home page of their own account and of whoever
acts for them. Stored as a kind and parameters, rendered in the reader's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisgov.citizen.models import (
    AppealOutcome,
    CitizenNotice,
    Colour,
    Delegation,
    DelegationState,
    NoticeKind,
    OverrideReason,
    Relationship,
)
from crisisgov.citizen.people import acting_for


def notice_send(*, person_id: int, kind: NoticeKind, params: dict | None = None) -> CitizenNotice:
    return CitizenNotice.objects.create(
        person_id=person_id, kind=kind, params=params or {}, created_at=timezone.now()
    )


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def notice_text(notice: CitizenNotice) -> str:
    """The notice in the active language."""
    p = notice.params
    if notice.kind == NoticeKind.OVERRIDE_APPLIED:
        expires = dt.datetime.fromisoformat(p["expires_at"])
        return _(
            "Two officials set the health status to %(status)s (%(reason)s) until %(expires)s."
        ) % {
            "status": _label(Colour, p.get("status", "")),
            "reason": _label(OverrideReason, p.get("reason", "")),
            "expires": timezone.localtime(expires).strftime("%Y-%m-%d %H:%M"),
        }
    if notice.kind == NoticeKind.APPEAL_UPHELD:
        return _("Your appeal was upheld: %(outcome)s.") % {
            "outcome": _label(AppealOutcome, p.get("outcome", ""))
        }
    if notice.kind == NoticeKind.APPEAL_DISMISSED:
        return _("Your appeal was dismissed. Reason: %(note)s") % {"note": p.get("note", "")}
    if notice.kind == NoticeKind.DELEGATION_ACTIVE:
        return _("A family member (%(relationship)s) may now act for this resident.") % {
            "relationship": _label(Relationship, p.get("relationship", ""))
        }
    if notice.kind == NoticeKind.DELEGATION_REVOKED:
        return _("A family member (%(relationship)s) no longer acts for this resident.") % {
            "relationship": _label(Relationship, p.get("relationship", ""))
        }
    return str(notice.get_kind_display())


def notices_for(user: Any, *, limit: int = 20) -> list[tuple[CitizenNotice, str, str]]:
    """(notice, text, whose label) for every resident the account acts for, newest first."""
    people = {p.person_id: p for p in acting_for(user)}
    # A carer sees a resident's notices from the day the delegation was confirmed, not before.
    since = dict(
        Delegation.objects.filter(
            carer_id=user.pk, state=DelegationState.ACTIVE, person_id__in=list(people)
        ).values_list("person_id", "confirmed_at")
    )
    condition = Q(person_id__in=[p for p, who in people.items() if who.own])
    for person_id, who in people.items():
        if not who.own:
            condition |= Q(
                person_id=person_id, created_at__gte=since.get(person_id) or timezone.now()
            )
    rows = CitizenNotice.objects.filter(condition)[:limit] if people else []
    return [(n, notice_text(n), people[n.person_id].label) for n in rows]
