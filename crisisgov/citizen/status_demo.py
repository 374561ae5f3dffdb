"""The demo's health statuses: every resident's status from the exchange demo's test results
and case reports, one override confirmed by two officials, and one appeal waiting for the
first district's reviewer — filed by a family member acting for an elderly resident.

Idempotent: a second run recomputes the statuses (an upsert) and adds nothing else.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from crisisgov.citizen import appeals, overrides, status_rules
from crisisgov.citizen.models import (
    Delegation,
    DelegationState,
    HealthStatus,
    OverrideState,
    StatusAppeal,
    StatusOverride,
)
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.citizen.status import statuses_compute_under
from crisisgov.directory.facade import resident_refs, residents_sample
from crisisgov.geo.facade import Level, areas_at_level
from crisisgov.kernel.actor import Actor, Scope

OFFICIALS = ("drill-official-1", "drill-official-2")
CARER = "drill-carer"


def _drill_user(username: str):  # type: ignore[no-untyped-def]
    """An account that stands for a person in the drill; it cannot log in."""
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _actor(user, role: str, permission: str, area_path: str) -> Actor:  # type: ignore[no-untyped-def]
    scope = Scope(role=role, permissions=frozenset({permission}), area_path=area_path)
    return Actor(user_id=user.pk, username=user.get_username(), scopes=(scope,))


def status_demo_ensure() -> list[str]:
    started = time.perf_counter()
    computed = statuses_compute_under("")
    seconds = time.perf_counter() - started
    districts = areas_at_level(Level.DISTRICT)
    if not computed or not districts:
        return ["Health status: no residents yet"]
    lines = []
    district = districts[0]
    flagged = list(
        HealthStatus.objects.filter(area_path__startswith=district.path, override=None)
        .exclude(status="green")
        .exclude(evidence_record_id=None)
        .order_by("person_id")
        .values_list("person_id", flat=True)[:2]
    )
    if len(flagged) == 2:
        lines += _override(district.path, flagged[1])
        lines += _appeal(flagged[0])
    counts = Counter(HealthStatus.objects.values_list("status", flat=True))
    lines.insert(
        0,
        f"Health status (rule set {status_rules.RULESET_VERSION}): "
        f"{counts['green']} green, {counts['yellow']} yellow, {counts['red']} red "
        f"— {computed} residents in {seconds:.1f} s",
    )
    return lines


def _override(district_path: str, person_id: int) -> list[str]:
    first, second = (_drill_user(name) for name in OFFICIALS)
    if not StatusOverride.objects.filter(proposed_by=first, state=OverrideState.CONFIRMED).exists():
        national_id = _national_id(person_id)
        role, permission = "department_officer", CitizenPermission.OVERRIDE_STATUS
        with transaction.atomic():
            proposal = overrides.override_propose(
                actor=_actor(first, role, permission, district_path),
                national_id=national_id,
                status="green",
                reason="lab_error",
                expires_at=timezone.now() + dt.timedelta(days=7),
            )
            overrides.override_confirm(
                actor=_actor(second, role, permission, district_path), override_id=proposal.pk
            )
    return [
        "Health status: one override confirmed by two officials, counted on /citizen/overrides/"
    ]


def _appeal(person_id: int) -> list[str]:
    carer = _drill_user(CARER)
    if not StatusAppeal.objects.filter(submitted_by=carer).exists():
        ref = resident_refs([person_id])[person_id]
        with transaction.atomic():
            # The grid worker's confirmation is part of the drill's story, not shown here.
            Delegation.objects.get_or_create(
                carer=carer,
                person_id=person_id,
                state=DelegationState.ACTIVE,
                defaults={
                    "area_path": ref.area_path,
                    "relationship": "child",
                    "requested_at": timezone.now(),
                    "confirmed_at": timezone.now(),
                },
            )
            status = HealthStatus.objects.get(person_id=person_id)
            appeals.appeal_submit(
                actor=_actor(carer, "citizen", CitizenPermission.USE_SERVICES, ref.area_path),
                user=carer,
                person_id=person_id,
                reason="样本采集时我母亲在住院，不可能在该采样点采样。",
                evidence_record_id=status.evidence_record_id,
            )
    return ["Health status: one appeal waiting for a reviewer on /citizen/staff/appeals/"]


def _national_id(person_id: int) -> str:
    """The resident's ID number, as the official would type it from the case file."""
    ref = resident_refs([person_id])[person_id]
    for row in residents_sample(under_path=ref.area_path, count=10_000):
        if row["area_path"] == ref.area_path and _index(row["national_id"]) == ref.id_index:
            return row["national_id"]
    raise LookupError(person_id)


def _index(national_id: str) -> str:
    from crisisgov.kernel.fields import blind_index_of_kind

    return blind_index_of_kind("national_id", national_id)
