"""Computing and storing residents' health statuses with the published rule set.

A status is stored per resident (HealthStatus) and recomputed when exchange records about
them change (an outbox handler), when its validity ends (a worker sweep), after an override
or an appeal decision, and by `crisisgov citizen statuses`. Evidence is read in bulk through
the exchange facade by blind index, so a whole city is a few queries per thousand residents.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crisisgov.citizen import status_rules
from crisisgov.citizen.models import (
    AppealOutcome,
    AppealState,
    HealthStatus,
    OverrideState,
    StatusAppeal,
    StatusOverride,
)
from crisisgov.directory.facade import resident_index_rows, resident_refs
from crisisgov.earlywarning.facade import risk_level_history
from crisisgov.exchange.facade import health_evidence

BATCH = 1000


@dataclass(frozen=True)
class Resident:
    id: int
    id_index: str
    phone_index: str
    area_path: str


def risk_resolver(history: list) -> status_rules.RiskOf:
    """`risk_level_of` answered from one query's rows: the level in force at the moment for
    the area or its nearest ancestor with one."""
    by_path: dict[str, list] = defaultdict(list)
    for row in history:
        by_path[row.area_path].append(row)

    def risk_of(area_path: str, at: dt.datetime) -> str | None:
        for length in range(len(area_path), 0, -1):
            rows = by_path.get(area_path[:length])
            if not rows:
                continue
            in_force = [
                r for r in rows if r.valid_from <= at and (r.valid_to is None or at < r.valid_to)
            ]
            if in_force:
                return max(in_force, key=lambda r: r.version).level
        return None

    return risk_of


def _city_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def statuses_compute(residents: Iterable[Resident], *, now: dt.datetime | None = None) -> int:
    """Compute and store the status of each resident; returns how many were stored."""
    now = now or timezone.now()
    residents = list(residents)
    stored = 0
    for start in range(0, len(residents), BATCH):
        stored += _compute_batch(residents[start : start + BATCH], now)
    return stored


def _compute_batch(batch: list[Resident], now: dt.datetime) -> int:
    ids = [r.id for r in batch]
    evidence = health_evidence(
        standards=status_rules.EVIDENCE_STANDARDS,
        id_indexes=[r.id_index for r in batch],
        phone_indexes={status_rules.STAY_STANDARD: [r.phone_index for r in batch]},
    )
    by_id_index: dict[str, list] = defaultdict(list)
    by_phone: dict[str, list] = defaultdict(list)
    for record in evidence:
        if record.standard == status_rules.STAY_STANDARD:
            by_phone[record.phone_index].append(record)
        else:
            by_id_index[record.id_index].append(record)
    stay_paths = sorted({r.area_path for r in evidence if r.standard == status_rules.STAY_STANDARD})
    risk_of = risk_resolver(risk_level_history(stay_paths) if stay_paths else [])

    excluded: dict[int, set[int]] = defaultdict(set)
    for person_id, record_id in StatusAppeal.objects.filter(
        person_id__in=ids, state=AppealState.UPHELD, outcome=AppealOutcome.EXCLUDE
    ).values_list("person_id", "evidence_record_id"):
        if record_id is not None:
            excluded[person_id].add(record_id)
    overrides = {
        o.person_id: o
        for o in StatusOverride.objects.filter(
            person_id__in=ids, state=OverrideState.CONFIRMED, expires_at__gt=now
        ).order_by("confirmed_at", "id")  # the latest confirmed one wins
    }

    tz = _city_tz()
    # Most residents stay green with no evidence: their rows only get a new validity, in one
    # UPDATE, instead of going through the (much slower) upsert one by one.
    plain = ("green", "no_evidence", status_rules.RULESET_VERSION, None, None)
    existing = {
        row[0]: row[1:]
        for row in HealthStatus.objects.filter(person_id__in=ids).values_list(
            "person_id",
            "status",
            "rule_code",
            "ruleset_version",
            "evidence_record_id",
            "override_id",
            "area_path",
        )
    }
    rows, unchanged = [], []
    for resident in batch:
        records = by_id_index.get(resident.id_index, []) if resident.id_index else []
        if resident.phone_index:
            records = records + by_phone.get(resident.phone_index, [])
        outcome = status_rules.evaluate(
            records,
            now=now,
            tz=tz,
            risk_of=risk_of,
            excluded=frozenset(excluded.get(resident.id, ())),
        )
        override = overrides.get(resident.id)
        if (
            override is None
            and outcome.rule_code == "no_evidence"
            and existing.get(resident.id) == (*plain, resident.area_path)
        ):
            unchanged.append(resident.id)
            continue
        row = HealthStatus(
            person_id=resident.id,
            area_path=resident.area_path,
            status=outcome.status,
            rule_code=outcome.rule_code,
            ruleset_version=status_rules.RULESET_VERSION,
            evidence_standard=outcome.standard,
            evidence_record_id=outcome.record_id,
            evidence_at=outcome.evidence_at,
            override=None,
            computed_at=now,
            valid_until=outcome.valid_until,
        )
        if override is not None:
            # A confirmed override holds until it expires; the rule's record stays named.
            row.status = override.status
            row.rule_code = status_rules.OVERRIDE_RULE_PREFIX + override.reason
            row.override = override
            row.valid_until = min(override.expires_at, now + status_rules.MAX_VALIDITY)
        rows.append(row)
    with transaction.atomic():
        if unchanged:
            HealthStatus.objects.filter(person_id__in=unchanged).update(
                computed_at=now, valid_until=now + status_rules.MAX_VALIDITY
            )
        HealthStatus.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["person"],
            update_fields=[
                "area_path",
                "status",
                "rule_code",
                "ruleset_version",
                "evidence_standard",
                "evidence_record_id",
                "evidence_at",
                "override",
                "computed_at",
                "valid_until",
            ],
        )
    return len(rows) + len(unchanged)


def statuses_compute_for_ids(person_ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    refs = resident_refs(sorted(set(person_ids)))
    return statuses_compute(
        (Resident(r.id, r.id_index, r.phone_index, r.area_path) for r in refs.values()), now=now
    )


def statuses_compute_under(area_path: str = "", *, now: dt.datetime | None = None) -> int:
    """Every resident under `area_path` (everyone when empty)."""
    rows = resident_index_rows(under_path=area_path)
    return statuses_compute((Resident(*row) for row in rows), now=now)


def status_current(person_id: int, *, now: dt.datetime | None = None) -> HealthStatus:
    """The stored status, recomputed first when missing, expired or of an older rule set."""
    now = now or timezone.now()
    row = HealthStatus.objects.filter(person_id=person_id).first()
    if row is None or row.valid_until <= now or row.ruleset_version != status_rules.RULESET_VERSION:
        statuses_compute_for_ids([person_id], now=now)
        row = HealthStatus.objects.select_related("override").get(person_id=person_id)
    return row


def statuses_refresh_due(*, now: dt.datetime | None = None, limit: int = 2000) -> int:
    """Recompute statuses whose validity has ended (windows closed, overrides expired)."""
    now = now or timezone.now()
    due = list(
        HealthStatus.objects.filter(valid_until__lte=now)
        .order_by("valid_until")
        .values_list("person_id", flat=True)[:limit]
    )
    return statuses_compute_for_ids(due, now=now) if due else 0
