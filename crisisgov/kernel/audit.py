"""The tamper-evident audit log.

Each entry's hash covers its content and the previous entry's hash (a hash chain).
`audit_record` must be called inside the transaction of the change it records; it locks the
chain head so that concurrent writers queue. `audit_verify` walks the chain and reports the
first entry that was altered, removed or inserted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from crisisgov.kernel.actor import Actor
from crisisgov.kernel.models import AuditEntry, AuditHead
from crisisgov.kernel.permissions import KernelPermission, Permission

GENESIS = "0" * 64


def canonical_time(at: dt.datetime) -> str:
    """An entry's time as its hash covers it: UTC, to the microsecond."""
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _canonical(entry: AuditEntry) -> bytes:
    body = {
        "seq": entry.seq,
        "at": canonical_time(entry.at),
        "actor_user_id": entry.actor_user_id,
        "actor_username": entry.actor_username,
        "role": entry.role,
        "organisation_id": entry.organisation_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "subject_person_id": entry.subject_person_id,
        "area_path": entry.area_path,
        "purpose": entry.purpose,
        "fields_read": list(entry.fields_read),
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def audit_record(
    *,
    actor: Actor,
    action: str,
    target_type: str = "",
    target_id: object = "",
    area_path: str = "",
    purpose: str = "",
    fields_read: Iterable[str] = (),
    subject_person_id: int | None = None,
    detail: dict | None = None,
    permission: Permission | str | None = None,
) -> AuditEntry:
    """Append one entry. Call inside the transaction of the change it records.

    `permission` is the one the action needed: the entry then names the role (and
    organisation) of the assignment that granted it at `area_path`, not merely the actor's
    first one.
    """
    scope = actor.scope_for(permission, area_path) if permission else None
    scope = scope or actor.primary_scope
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_user_id=actor.user_id,
            actor_username=actor.username,
            role=scope.role if scope else ("system" if actor.is_system else ""),
            organisation_id=scope.organisation_id if scope else None,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            subject_person_id=subject_person_id,
            area_path=area_path,
            purpose=purpose,
            fields_read=sorted(fields_read),
            # Hash what the database will give back: JSON types only (tuples become lists,
            # keys become strings), so the entry verifies after the round trip.
            detail=json.loads(json.dumps(detail or {})),
            prev_hash=head.last_hash,
        )
        entry.hash = entry_hash(entry)
        entry.save(force_insert=True)
        head.last_seq, head.last_hash = entry.seq, entry.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def audit_verify(*, batch_size: int = 5000) -> ChainReport:
    """Walk the whole chain; report the first entry that does not fit.

    The chain is checked up to the head as it stands when the walk starts, so entries that
    writers append meanwhile are neither checked nor mistaken for tampering.
    """
    head = AuditHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    window = AuditEntry.objects.filter(seq__lte=head_seq).order_by("seq")
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    while True:
        batch = list(window.filter(seq__gte=expected_seq)[:batch_size])
        if not batch:
            break
        for entry in batch:
            if entry.seq != expected_seq:
                return ChainReport(False, checked, expected_seq, f"entry {expected_seq} is missing")
            if entry.prev_hash != expected_prev:
                return ChainReport(
                    False,
                    checked,
                    entry.seq,
                    f"entry {entry.seq} does not follow entry {entry.seq - 1} (chain broken)",
                )
            if entry_hash(entry) != entry.hash:
                return ChainReport(
                    False, checked, entry.seq, f"entry {entry.seq} was altered (hash mismatch)"
                )
            expected_prev, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
    last_seq = expected_seq - 1
    if last_seq != head_seq:
        return ChainReport(
            False,
            checked,
            last_seq + 1,
            f"the chain ends at entry {last_seq} but its head records {head_seq}"
            " (entries removed from the end)",
        )
    if expected_prev != head_hash:
        return ChainReport(
            False,
            checked,
            last_seq,
            f"entry {last_seq} does not match the hash its head records (last entry replaced)",
        )
    if head is None and (first := AuditEntry.objects.order_by("seq").first()) is not None:
        return ChainReport(False, 0, first.seq, "entries exist but the chain head is missing")
    return ChainReport(True, checked)


def audit_daily_root(*, day: dt.date) -> dict[str, object]:
    """The hash of the last entry of `day` (UTC): publish it so outsiders can witness the log."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    last = AuditEntry.objects.filter(at__lt=end).order_by("-seq").first()
    count = AuditEntry.objects.filter(at__gte=end - dt.timedelta(days=1), at__lt=end).count()
    return {
        "date": day.isoformat(),
        "last_seq": last.seq if last else 0,
        "root_hash": last.hash if last else GENESIS,
        "entries_that_day": count,
    }


def audit_entry_list(
    *, actor: Actor, action: str = "", after_seq: int = 0, limit: int = 100
) -> list[AuditEntry]:
    """Entries an auditor may read, oldest first: those about areas inside their scopes.

    Entries without an area (system-wide actions) are shown to no scoped reader.
    """
    entries = AuditEntry.objects.for_actor(actor, KernelPermission.VIEW_AUDIT)
    if action:
        entries = entries.filter(action=action)
    return list(entries.filter(seq__gt=after_seq).order_by("seq")[:limit])
