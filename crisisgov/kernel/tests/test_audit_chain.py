"""The audit log is append-only, and tampering by someone who can bypass that is detected."""

from __future__ import annotations

import importlib

import pytest
from django.db import DatabaseError, connection, transaction

from crisisgov.kernel.actor import SYSTEM, Actor, Scope
from crisisgov.kernel.audit import GENESIS, ChainReport, audit_record, audit_verify, entry_hash
from crisisgov.kernel.models import AuditEntry, AuditHead

pytestmark = pytest.mark.django_db

append_only = importlib.import_module("crisisgov.kernel.migrations.0002_audit_append_only")
OFFICER = Actor(
    user_id=42,
    username="officer-42",
    scopes=(
        Scope(role="grid_worker", permissions=frozenset(), area_path="420102", organisation_id=7),
    ),
)


def record_five() -> list[AuditEntry]:
    return [
        audit_record(
            actor=OFFICER,
            action="directory.person_read",
            target_type="directory.person",
            target_id=n,
            subject_person_id=n,
            area_path="420102001001001",
            purpose="epidemic_control",
            fields_read=["phone", "national_id"],
            detail={"n": n, "via": ("api", "v1")},
        )
        for n in range(1, 6)
    ]


def raw_sql(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def drop_append_only_triggers() -> None:
    """What an attacker with DDL rights would do first (undone with the test's transaction)."""
    for sql in append_only.DROP[connection.vendor]:
        raw_sql(sql)


def test_an_entry_records_who_did_what_where_and_why():
    entry = record_five()[0]
    stored = AuditEntry.objects.get(seq=1)
    assert (
        stored.actor_user_id,
        stored.actor_username,
        stored.role,
        stored.organisation_id,
        stored.action,
        stored.target_type,
        stored.target_id,
        stored.subject_person_id,
        stored.area_path,
        stored.purpose,
        stored.fields_read,
        stored.detail,
        stored.prev_hash,
    ) == (
        42,
        "officer-42",
        "grid_worker",
        7,
        "directory.person_read",
        "directory.person",
        "1",
        1,
        "420102001001001",
        "epidemic_control",
        ["national_id", "phone"],
        {"n": 1, "via": ["api", "v1"]},
        GENESIS,
    )
    assert stored.hash == entry.hash == entry_hash(stored)


def test_each_entry_carries_the_hash_of_the_one_before():
    entries = record_five()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert [e.prev_hash for e in entries] == [GENESIS] + [e.hash for e in entries[:4]]
    head = AuditHead.objects.get(id=1)
    assert (head.last_seq, head.last_hash) == (5, entries[-1].hash)


def test_an_intact_chain_verifies():
    record_five()
    audit_record(actor=SYSTEM, action="pii.rotate")
    assert audit_verify(batch_size=2) == ChainReport(ok=True, checked=6)


def test_an_empty_log_verifies():
    assert audit_verify() == ChainReport(ok=True, checked=0)


def test_the_database_refuses_to_change_or_delete_entries():
    record_five()
    with (
        pytest.raises(DatabaseError, match="the audit log is append-only"),
        transaction.atomic(),
    ):
        AuditEntry.objects.filter(seq=3).update(purpose="curiosity")
    with (
        pytest.raises(DatabaseError, match="the audit log is append-only"),
        transaction.atomic(),
    ):
        AuditEntry.objects.filter(seq=3).delete()
    assert AuditEntry.objects.get(seq=3).purpose == "epidemic_control"
    assert AuditEntry.objects.count() == 5


def test_a_changed_field_is_reported_at_its_entry():
    record_five()
    drop_append_only_triggers()
    raw_sql("UPDATE kernel_auditentry SET purpose = 'curiosity' WHERE seq = 3")
    assert audit_verify() == ChainReport(
        ok=False, checked=2, first_bad_seq=3, problem="entry 3 was altered (hash mismatch)"
    )


def test_a_changed_entry_with_a_recomputed_hash_breaks_the_link_to_the_next():
    record_five()
    drop_append_only_triggers()
    forged = AuditEntry.objects.get(seq=3)
    forged.purpose = "curiosity"
    raw_sql(
        "UPDATE kernel_auditentry SET purpose = %s, hash = %s WHERE seq = 3",
        [forged.purpose, entry_hash(forged)],
    )
    assert audit_verify() == ChainReport(
        ok=False,
        checked=3,
        first_bad_seq=4,
        problem="entry 4 does not follow entry 3 (chain broken)",
    )


def test_a_deleted_entry_is_reported_missing():
    record_five()
    drop_append_only_triggers()
    raw_sql("DELETE FROM kernel_auditentry WHERE seq = 2")
    assert audit_verify() == ChainReport(
        ok=False, checked=1, first_bad_seq=2, problem="entry 2 is missing"
    )


def test_the_first_entry_deleted_is_reported_missing():
    record_five()
    drop_append_only_triggers()
    raw_sql("DELETE FROM kernel_auditentry WHERE seq = 1")
    assert audit_verify() == ChainReport(
        ok=False, checked=0, first_bad_seq=1, problem="entry 1 is missing"
    )


def test_entries_deleted_from_the_end_are_reported():
    record_five()
    drop_append_only_triggers()
    raw_sql("DELETE FROM kernel_auditentry WHERE seq >= 4")
    assert audit_verify() == ChainReport(
        ok=False,
        checked=3,
        first_bad_seq=4,
        problem="the chain ends at entry 3 but its head records 5 (entries removed from the end)",
    )


def test_a_replaced_last_entry_is_reported():
    record_five()
    drop_append_only_triggers()
    forged = AuditEntry.objects.get(seq=5)
    forged.purpose = "curiosity"
    raw_sql(
        "UPDATE kernel_auditentry SET purpose = %s, hash = %s WHERE seq = 5",
        [forged.purpose, entry_hash(forged)],
    )
    assert audit_verify() == ChainReport(
        ok=False,
        checked=5,
        first_bad_seq=5,
        problem="entry 5 does not match the hash its head records (last entry replaced)",
    )


def test_entries_appended_during_verification_are_not_mistaken_for_tampering(monkeypatch):
    record_five()
    real_filter = AuditEntry.objects.filter

    def filter_then_append(*args, **kwargs):
        # Another writer appends right after the verifier read the head.
        monkeypatch.setattr(AuditEntry.objects, "filter", real_filter)
        audit_record(actor=SYSTEM, action="late.write")
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(AuditEntry.objects, "filter", filter_then_append)
    assert audit_verify() == ChainReport(ok=True, checked=5)
    assert audit_verify() == ChainReport(ok=True, checked=6)


def test_the_triggers_are_back_after_a_tampering_test():
    record_five()
    with (
        pytest.raises(DatabaseError, match="the audit log is append-only"),
        transaction.atomic(),
    ):
        AuditEntry.objects.filter(seq=1).delete()


def test_a_deleted_chain_head_is_reported():
    record_five()
    AuditHead.objects.all().delete()  # the head is not append-only: writers move it
    assert audit_verify() == ChainReport(
        ok=False, checked=0, first_bad_seq=1, problem="entries exist but the chain head is missing"
    )
