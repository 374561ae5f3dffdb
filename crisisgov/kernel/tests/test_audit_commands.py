"""`crisisgov audit verify` and `crisisgov audit export-root`."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.audit import GENESIS, audit_record
from crisisgov.kernel.models import AuditEntry

append_only = importlib.import_module("crisisgov.kernel.migrations.0002_audit_append_only")


def audit(*args: str) -> str:
    out = StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


def record_at(moment: dt.datetime, action: str, monkeypatch: pytest.MonkeyPatch) -> AuditEntry:
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return audit_record(actor=SYSTEM, action=action)


@pytest.mark.django_db
def test_verify_reports_an_intact_chain():
    for n in range(3):
        audit_record(actor=SYSTEM, action=f"test.step{n}")
    assert audit("verify") == "chain intact: 3 entries\n"


@pytest.mark.django_db
def test_verify_names_the_first_bad_entry():
    for n in range(3):
        audit_record(actor=SYSTEM, action=f"test.step{n}")
    with connection.cursor() as cursor:
        for sql in append_only.DROP[connection.vendor]:
            cursor.execute(sql)
        cursor.execute("UPDATE kernel_auditentry SET actor_username = 'nobody' WHERE seq = 2")
    with pytest.raises(CommandError) as error:
        audit("verify")
    assert str(error.value) == (
        "audit chain broken at entry 2: entry 2 was altered (hash mismatch)"
        " (1 entries before it verified)"
    )
    assert error.value.returncode == 1


@pytest.mark.django_db
def test_verify_exits_non_zero_from_the_command_line(capsys, monkeypatch):
    audit_record(actor=SYSTEM, action="test.step")
    with connection.cursor() as cursor:
        for sql in append_only.DROP[connection.vendor]:
            cursor.execute(sql)
        cursor.execute("DELETE FROM kernel_auditentry")
    # The command line closes connections on exit; keep the test's transaction open.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    command = importlib.import_module("crisisgov.kernel.management.commands.audit").Command()
    with pytest.raises(SystemExit) as exit_:
        command.run_from_argv(["crisisgov", "audit", "--skip-checks", "verify"])
    assert exit_.value.code == 1
    assert capsys.readouterr().err == (
        "CommandError: audit chain broken at entry 1: the chain ends at entry 0 but its head"
        " records 1 (entries removed from the end) (0 entries before it verified)\n"
    )


@pytest.mark.django_db
def test_export_root_gives_the_last_hash_of_a_utc_day(monkeypatch, tmp_path):
    day = dt.date(2026, 3, 14)
    record_at(dt.datetime(2026, 3, 13, 23, 0, tzinfo=dt.UTC), "test.before", monkeypatch)
    record_at(dt.datetime(2026, 3, 14, 0, 30, tzinfo=dt.UTC), "test.first", monkeypatch)
    last = record_at(dt.datetime(2026, 3, 14, 23, 59, tzinfo=dt.UTC), "test.last", monkeypatch)
    record_at(dt.datetime(2026, 3, 15, 0, 0, tzinfo=dt.UTC), "test.after", monkeypatch)

    expected = {
        "date": "2026-03-14",
        "entries_that_day": 2,
        "last_seq": 3,
        "root_hash": last.hash,
    }
    assert json.loads(audit("export-root", "--date", day.isoformat())) == expected

    output = tmp_path / "root-2026-03-14.json"
    assert audit("export-root", "--date", "2026-03-14", "--output", str(output)) == (
        f"wrote the root of 2026-03-14 to {output}\n"
    )
    assert json.loads(output.read_text()) == expected


@pytest.mark.django_db
def test_export_root_defaults_to_yesterday_utc(monkeypatch):
    record_at(dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC), "test.entry", monkeypatch)
    # 02:00 on the 16th in Shanghai is still the 15th in UTC: yesterday is the 14th.
    now = dt.datetime(2026, 3, 16, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    monkeypatch.setattr(timezone, "now", lambda: now)
    assert json.loads(audit("export-root"))["date"] == "2026-03-14"


@pytest.mark.django_db
def test_export_root_of_a_day_before_the_log_began():
    assert json.loads(audit("export-root", "--date", "2020-01-01")) == {
        "date": "2020-01-01",
        "entries_that_day": 0,
        "last_seq": 0,
        "root_hash": GENESIS,
    }


def test_export_root_refuses_a_malformed_date():
    with pytest.raises(CommandError) as error:
        audit("export-root", "--date", "14/03/2026")
    assert "'14/03/2026' is not a date of the form YYYY-MM-DD" in str(error.value)
