"""GET /api/kernel/audit/verify and /api/kernel/audit/entries: auditors only, within scope."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection

from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.models import AuditEntry

pytestmark = pytest.mark.django_db

append_only = importlib.import_module("crisisgov.kernel.migrations.0002_audit_append_only")


@pytest.fixture
def entries(city):
    """Reads of residents in district A and B, and one system-wide entry."""
    recorded = {}
    for name, area in [
        ("a1", city.building_a),
        ("b1", city.building_b),
        ("a2", city.grid_a),
        ("system", None),
        ("a3", city.district_a),
    ]:
        recorded[name] = audit_record(
            actor=SYSTEM,
            action="test.rotate" if area is None else "directory.person_read",
            target_id=name,
            area_path=area.path if area else "",
        )
    return recorded


def logged_in(client, user):
    client.force_login(user)
    return client


def test_an_auditor_verifies_the_chain(client, make_user, city, entries):
    response = logged_in(client, make_user("auditor", city.district_a)).get(
        "/api/kernel/audit/verify"
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True, "checked": 5, "first_bad_seq": None, "problem": ""}


def test_verification_reports_tampering(client, make_user, city, entries):
    with connection.cursor() as cursor:
        for sql in append_only.DROP[connection.vendor]:
            cursor.execute(sql)
        cursor.execute("DELETE FROM kernel_auditentry WHERE seq = 2")
    response = logged_in(client, make_user("auditor", city.city)).get("/api/kernel/audit/verify")
    assert response.status_code == 200
    assert response.json() == {
        "ok": False,
        "checked": 1,
        "first_bad_seq": 2,
        "problem": "entry 2 is missing",
    }


def test_others_may_not_verify(client, make_user, city, entries):
    response = logged_in(client, make_user("grid_worker", city.grid_a)).get(
        "/api/kernel/audit/verify"
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": [
            {
                "code": "forbidden",
                "message": "verifying the audit log needs the kernel.verify_audit permission",
            }
        ]
    }


def test_anonymous_callers_are_asked_to_log_in(client, entries):
    for path in ("/api/kernel/audit/verify", "/api/kernel/audit/entries"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["detail"][0]["code"] == "unauthenticated"


def test_an_auditor_reads_only_the_entries_of_their_district(client, make_user, city, entries):
    response = logged_in(client, make_user("auditor", city.district_a)).get(
        "/api/kernel/audit/entries"
    )
    assert response.status_code == 200
    body = response.json()
    assert [(e["seq"], e["target_id"], e["area_path"]) for e in body] == [
        (1, "a1", city.building_a.path),
        (3, "a2", city.grid_a.path),
        (5, "a3", city.district_a.path),
    ]
    first = AuditEntry.objects.get(seq=1)
    assert body[0] == {
        "seq": 1,
        "at": first.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_user_id": None,
        "actor_username": "system",
        "role": "system",
        "organisation_id": None,
        "action": "directory.person_read",
        "target_type": "",
        "target_id": "a1",
        "subject_person_id": None,
        "area_path": city.building_a.path,
        "purpose": "",
        "fields_read": [],
        "detail": {},
        "prev_hash": "0" * 64,
        "hash": first.hash,
    }


def test_an_auditor_of_the_city_sees_both_districts_but_not_system_entries(
    client, make_user, city, entries
):
    response = logged_in(client, make_user("auditor", city.city)).get("/api/kernel/audit/entries")
    assert [e["target_id"] for e in response.json()] == ["a1", "b1", "a2", "a3"]


def test_entries_page_by_sequence_and_filter_by_action(client, make_user, city, entries):
    auditor = logged_in(client, make_user("auditor", city.city))
    page = auditor.get("/api/kernel/audit/entries?limit=2")
    assert [e["seq"] for e in page.json()] == [1, 2]
    page = auditor.get("/api/kernel/audit/entries?limit=2&after_seq=2")
    assert [e["seq"] for e in page.json()] == [3, 5]
    page = auditor.get("/api/kernel/audit/entries?action=test.rotate")
    assert page.json() == []


def test_a_limit_out_of_range_is_refused(client, make_user, city, entries):
    response = logged_in(client, make_user("auditor", city.city)).get(
        "/api/kernel/audit/entries?limit=501"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"].endswith("limit")


def test_others_may_not_read_entries(client, make_user, city, entries):
    response = logged_in(client, make_user("grid_worker", city.grid_a)).get(
        "/api/kernel/audit/entries"
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": [
            {
                "code": "forbidden",
                "message": "reading the audit log needs the kernel.view_audit permission",
            }
        ]
    }


@pytest.mark.parametrize(
    "action",
    ["%00", "directory.person_read%00", "Directory.person_read", "a-b", "x%0A", "' OR 1=1", "ç"],
)
def test_an_action_filter_that_is_no_action_name_is_refused(client, make_user, city, action):
    response = logged_in(client, make_user("auditor", city.city)).get(
        f"/api/kernel/audit/entries?action={action}"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"].endswith("action")


def test_the_action_filter_selects_one_action(client, make_user, city, entries):
    response = logged_in(client, make_user("auditor", city.city)).get(
        "/api/kernel/audit/entries?action=directory.person_read"
    )
    assert response.status_code == 200
    assert [e["target_id"] for e in response.json()] == ["a1", "b1", "a2", "a3"]
