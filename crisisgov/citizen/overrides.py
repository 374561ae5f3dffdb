"""Manual status overrides: one resident at a time, two officials, a reason from a closed list,
an expiry. There is deliberately no bulk operation: each override names one ID number.

Every step is audited, the resident is notified when it applies, and the public page
/citizen/overrides/ counts confirmed overrides by month, reason and district.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from crisisgov.citizen.delegations import validated_national_id
from crisisgov.citizen.models import (
    Colour,
    NoticeKind,
    OverrideReason,
    OverrideState,
    StatusOverride,
)
from crisisgov.citizen.notices import notice_send
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.citizen.status import statuses_compute_for_ids
from crisisgov.directory.facade import resident_by_national_id
from crisisgov.geo.facade import PATH_DIGITS, Level, areas_for_paths
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound

MAX_DAYS = 14
PERMISSION = CitizenPermission.OVERRIDE_STATUS


def override_propose(
    *,
    actor: Actor,
    national_id: str,
    status: str,
    reason: str,
    expires_at: dt.datetime | None,
    now: dt.datetime | None = None,
) -> StatusOverride:
    """The first official proposes an override for the resident with this ID number."""
    now = now or timezone.now()
    if not actor.can(PERMISSION):
        raise NotFound("no resident with this ID number in your jurisdiction", field="national_id")
    number = validated_national_id(national_id)
    if status not in Colour.values:
        raise DomainError(f"status must be one of {', '.join(Colour.values)}", field="status")
    if reason not in OverrideReason.values:
        raise DomainError(
            f"reason must be one of {', '.join(OverrideReason.values)}", field="reason"
        )
    if expires_at is None:
        raise DomainError("an override needs an expiry", field="expires_at")
    if timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)
    if expires_at <= now:
        raise DomainError("the expiry must be in the future", field="expires_at")
    if expires_at > now + dt.timedelta(days=MAX_DAYS):
        raise DomainError(
            f"an override may last at most {MAX_DAYS} days", field="expires_at", code="too_long"
        )
    person = resident_by_national_id(number)
    if person is None or not actor.can_at(PERMISSION, person.area_path):
        raise NotFound("no resident with this ID number in your jurisdiction", field="national_id")
    with transaction.atomic():
        if StatusOverride.objects.filter(
            person_id=person.id, state=OverrideState.PROPOSED
        ).exists():
            raise Conflict(
                "an override for this resident already waits for confirmation",
                field="national_id",
            )
        try:
            with transaction.atomic():
                override = StatusOverride.objects.create(
                    person_id=person.id,
                    area_path=person.area_path,
                    status=status,
                    reason=reason,
                    expires_at=expires_at,
                    proposed_by_id=actor.user_id,
                    proposed_at=now,
                )
        except IntegrityError:  # another official proposed at the same moment
            raise Conflict(
                "an override for this resident already waits for confirmation",
                field="national_id",
            ) from None
        _audit(actor, "citizen.override_proposed", override)
    return override


def override_confirm(
    *, actor: Actor, override_id: int, now: dt.datetime | None = None
) -> StatusOverride:
    """A second, different official confirms; the override applies at once."""
    now = now or timezone.now()
    with transaction.atomic():
        override = _get(actor, override_id)
        if override.state != OverrideState.PROPOSED:
            raise Conflict(f"the override is {override.state}", field="override")
        if override.proposed_by_id == actor.user_id:
            raise DomainError(
                "the official who proposed an override cannot confirm it: a second official must",
                field="override",
                code="same_official",
            )
        if override.expires_at <= now:
            raise Conflict("the override expired before it was confirmed", field="override")
        override.state = OverrideState.CONFIRMED
        override.confirmed_by_id = actor.user_id
        override.confirmed_at = now
        override.save(update_fields=["state", "confirmed_by", "confirmed_at"])
        _audit(actor, "citizen.override_confirmed", override)
        statuses_compute_for_ids([override.person_id], now=now)
        notice_send(
            person_id=override.person_id,
            kind=NoticeKind.OVERRIDE_APPLIED,
            params={
                "status": override.status,
                "reason": override.reason,
                "expires_at": override.expires_at.isoformat(),
            },
        )
    return override


def override_withdraw(*, actor: Actor, override_id: int) -> StatusOverride:
    """An official withdraws a proposal that no one has confirmed."""
    with transaction.atomic():
        override = _get(actor, override_id)
        if override.state != OverrideState.PROPOSED:
            raise Conflict(f"the override is {override.state}", field="override")
        override.state = OverrideState.WITHDRAWN
        override.save(update_fields=["state"])
        _audit(actor, "citizen.override_withdrawn", override)
    return override


def override_list(*, actor: Actor, state: str | None = None) -> QuerySet[StatusOverride]:
    rows = StatusOverride.objects.for_actor(actor, PERMISSION)
    return rows.filter(state=state) if state else rows


def _get(actor: Actor, override_id: int) -> StatusOverride:
    override = (
        StatusOverride.objects.for_actor(actor, PERMISSION)
        .select_for_update()
        .filter(pk=override_id)
        .first()
    )
    if override is None:
        raise NotFound("no such override", field="override")
    return override


def _audit(actor: Actor, action: str, override: StatusOverride) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type="citizen.statusoverride",
        target_id=override.pk,
        area_path=override.area_path,
        subject_person_id=override.person_id,
        detail={
            "status": override.status,
            "reason": override.reason,
            "expires_at": override.expires_at.isoformat(),
        },
        permission=PERMISSION,
    )


@dataclass(frozen=True)
class OverrideCount:
    month: str  # YYYY-MM, of the confirmation, city time
    reason: str
    district_path: str
    district_zh: str
    district_en: str
    count: int


def override_counts() -> list[OverrideCount]:
    """Confirmed overrides by month, reason and district: counts only, never people."""
    digits = PATH_DIGITS[Level.DISTRICT]
    counter: Counter[tuple[str, str, str]] = Counter()
    for confirmed_at, reason, path in StatusOverride.objects.filter(
        state=OverrideState.CONFIRMED
    ).values_list("confirmed_at", "reason", "area_path"):
        month = timezone.localtime(confirmed_at).strftime("%Y-%m")
        counter[(month, reason, path[:digits])] += 1
    areas = areas_for_paths(sorted({key[2] for key in counter}))
    rows = []
    for (month, reason, path), count in sorted(counter.items(), reverse=True):
        area = areas.get(path)
        rows.append(
            OverrideCount(
                month,
                reason,
                path,
                area.name_zh if area else path,
                area.name_en if area else path,
                count,
            )
        )
    return rows
