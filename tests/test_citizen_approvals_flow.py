"""Online approvals through HTTP: submit once, parallel then sequential departments, refusal,
one correction round, overdue escalation, certificate verification, visits per application."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from crisisgov.citizen.approvals.models import Application, Attachment, Step
from tests.test_citizen_approvals_support import (
    CREDIT_CODE,
    PDF,
    PNG,
    good_fields,
    submission,
    world_build,
)

API = "/api/citizen/approvals"


@pytest.fixture
def world(city, make_user, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # attachments land in the test's own folder
    return world_build(city, make_user)


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def submit(world, **overrides):
    response = as_user(world.citizen).post(
        f"{API}/applications", submission(world.service.pk, **overrides)
    )
    return response


def decide(user, application_id, action, **body):
    return as_user(user).post(
        f"{API}/inbox/{application_id}/decision",
        {"action": action, **body},
        content_type="application/json",
    )


def inbox_ids(user) -> list[int]:
    return [row["application_id"] for row in as_user(user).get(f"{API}/inbox").json()]


def progress(world, application_id) -> dict:
    return as_user(world.citizen).get(f"{API}/applications/{application_id}").json()


def test_parallel_then_sequential_approval_issues_a_verifiable_certificate(world, tmp_path):
    response = submit(world)
    assert response.status_code == 201, response.content
    app = response.json()
    assert app["state"] == "in_review" and app["visits"] == 1
    states = [(s["stage"], s["department_id"], s["state"]) for s in app["steps"]]
    assert states == [
        (1, world.market.pk, "pending"),
        (1, world.health.pk, "pending"),
        (2, world.emergency.pk, "waiting"),
    ]
    # The attachment is stored outside static/media, with the sniffed type.
    stored = Attachment.objects.get(application_id=app["id"])
    assert (tmp_path / "approvals" / stored.stored_as).read_bytes() == PDF
    assert stored.content_type == "application/pdf"

    # Stage 1 runs in parallel: both departments see it; stage 2's department not yet.
    assert inbox_ids(world.market_officer) == [app["id"]]
    assert inbox_ids(world.health_officer) == [app["id"]]
    assert inbox_ids(world.emergency_officer) == []
    early = decide(world.emergency_officer, app["id"], "approve")
    assert early.status_code == 409
    assert "opens when stage 1 is complete" in early.json()["detail"][0]["message"]

    assert decide(world.market_officer, app["id"], "approve").json()["current_stage"] == 1
    assert inbox_ids(world.market_officer) == []
    again = decide(world.market_officer, app["id"], "approve")
    assert again.status_code == 409
    assert decide(world.health_officer, app["id"], "approve").json()["current_stage"] == 2
    assert inbox_ids(world.emergency_officer) == [app["id"]]
    done = decide(world.emergency_officer, app["id"], "approve").json()
    assert done["state"] == "approved"

    final = progress(world, app["id"])
    assert [s["state"] for s in final["steps"]] == ["approved"] * 3
    certificate = final["certificate"]
    assert certificate["serial"] == "C" + final["reference"] and not certificate["revoked"]
    verified = Client().get(f"{API}/verify/{certificate['signed_serial']}")  # no login
    assert verified.status_code == 200
    assert verified.json() == {
        "status": "valid",
        "serial": certificate["serial"],
        "service_zh": "复工复产申请",
        "service_en": "Resumption of work and production",
        "company_name": "武汉示例机械有限公司",
        "approved_on": timezone.localdate().isoformat(),
    }
    stats = Client().get(f"{API}/statistics").json()
    assert (stats["approved"], stats["average_visits"], stats["share_one_visit"]) == (1, 1.0, 1.0)


def test_a_department_not_on_the_workflow_is_refused_with_the_reason(world, make_user, city):
    app = submit(world).json()
    refused = decide(world.transport_officer, app["id"], "approve")
    assert refused.status_code == 403
    assert refused.json()["detail"][0] == {
        "code": "not_on_workflow",
        "message": "your department is not on this application's workflow",
    }
    # Another district's officer learns nothing: the same answer as for a missing application.
    outsider = make_user("department_officer", city.district_b, world.market)
    hidden = decide(outsider, app["id"], "approve")
    missing = decide(outsider, 99999999, "approve")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert set(Step.objects.values_list("state", flat=True)) == {"pending", "waiting"}


def test_a_refusal_needs_a_reason_and_ends_the_application(world):
    app = submit(world).json()
    no_reason = decide(world.health_officer, app["id"], "refuse")
    assert no_reason.status_code == 400
    assert no_reason.json()["detail"][0]["field"] == "reason"
    assert decide(world.health_officer, app["id"], "refuse", reason="无防控方案").status_code == 200
    final = progress(world, app["id"])
    assert final["state"] == "refused" and final["certificate"] is None
    assert [s["state"] for s in final["steps"]] == ["cancelled", "refused", "cancelled"]
    assert final["steps"][1]["reason"] == "无防控方案"
    assert decide(world.market_officer, app["id"], "approve").status_code == 409


def test_one_correction_round_of_the_named_fields_counts_two_visits(world):
    app = submit(world).json()
    returned = decide(
        world.market_officer,
        app["id"],
        "return",
        reason="人数与方案不符",
        fields=["employees", "prevention_plan"],
    )
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    shown = progress(world, app["id"])
    assert shown["correction_fields"] == ["employees", "prevention_plan"]
    assert shown["correction_reason"] == "人数与方案不符"
    # Meanwhile the other department cannot decide on a form being corrected.
    assert decide(world.health_officer, app["id"], "approve").status_code == 409

    client = as_user(world.citizen)
    url = f"{API}/applications/{app['id']}/correction"
    wrong = client.post(url, {"data": '{"fields": {"employees": 20, "address": "改了"}}'})
    assert wrong.status_code == 400
    assert {(d["field"], d["message"]) for d in wrong.json()["detail"]} == {
        ("fields.address", "this field was not named for correction"),
        ("attachments.prevention_plan", "this attachment is required"),
    }
    plan = SimpleUploadedFile("plan-v2.pdf", PDF + b"v2", "application/pdf")
    fixed = client.post(url, {"data": '{"fields": {"employees": 20}}', "prevention_plan": plan})
    assert fixed.status_code == 200, fixed.content
    body = fixed.json()
    assert body["state"] == "in_review" and body["visits"] == 2
    assert body["fields"]["employees"] == 20 and body["fields"]["address"] == "江岸区解放大道100号"
    assert [a["filename"] for a in body["attachments"]] == ["plan-v2.pdf"]
    assert [s["state"] for s in body["steps"]] == ["pending", "pending", "waiting"]

    second = decide(world.market_officer, app["id"], "return", reason="再改", fields=["address"])
    assert second.status_code == 409
    assert "one correction round" in second.json()["detail"][0]["message"]
    for officer in (world.market_officer, world.health_officer, world.emergency_officer):
        assert decide(officer, app["id"], "approve").status_code == 200
    assert progress(world, app["id"])["visits"] == 2
    stats = Client().get(f"{API}/statistics").json()
    assert (stats["approved"], stats["average_visits"], stats["share_one_visit"]) == (1, 2.0, 0.0)


def test_bad_input_names_each_bad_field_and_keeps_nothing(world):
    fields = {"address": "", "employees": "many", "resume_date": "2026-13-01", "industry": "x"}
    too_big = SimpleUploadedFile("plan.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf")
    bad_code = CREDIT_CODE[:17] + ("1" if CREDIT_CODE[17] == "0" else "0")
    response = submit(world, credit_code=bad_code, fields=fields, prevention_plan=too_big)
    assert response.status_code == 400
    named = {d["field"]: d["message"] for d in response.json()["detail"]}
    assert named == {
        "credit_code": "the check character does not match (GB 32100)",
        "fields.address": "this field is required",
        "fields.employees": "expected a number",
        "fields.resume_date": "expected a date as YYYY-MM-DD",
        "fields.industry": "expected one of manufacturing, retail, construction, services",
        "fields.masks_in_stock": "this field is required",
        "attachments.prevention_plan": f"the file has {5 * 1024 * 1024 + len(PDF)} bytes; "
        f"at most {5 * 1024 * 1024} are allowed",
    }
    # A PNG sent as "plan.pdf" with a PDF content type: the bytes decide, not the label.
    disguised = SimpleUploadedFile("plan.pdf", PNG, "application/pdf")
    wrong_type = submit(world, prevention_plan=disguised).json()["detail"]
    assert wrong_type == [
        {
            "code": "invalid",
            "field": "attachments.prevention_plan",
            "message": "the file is not of an allowed type (pdf)",
        }
    ]
    missing = submit(world, prevention_plan=None).json()["detail"]
    assert missing[0]["field"] == "attachments.prevention_plan"
    short = submit(world, credit_code="9142").json()["detail"]
    assert short[0]["message"] == "a unified social credit code has 18 characters, not 4"
    assert Application.objects.count() == 0 and Attachment.objects.count() == 0


def test_an_overdue_step_escalates_to_the_department_head(world, monkeypatch):
    from crisisgov.citizen.approvals.handlers import escalate_overdue_steps
    from crisisgov.kernel.outbox import _sweeps

    assert "crisisgov.citizen.approvals.handlers.escalate_overdue_steps" in _sweeps
    app = submit(world).json()
    assert decide(world.market_officer, app["id"], "approve").status_code == 200
    assert escalate_overdue_steps() == 0  # nothing is due yet

    later = timezone.now() + dt.timedelta(hours=25)  # past the health commission's 24 h
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert escalate_overdue_steps() == 1
    assert escalate_overdue_steps() == 0  # escalated once

    row = as_user(world.head).get(f"{API}/inbox").json()[0]
    assert (row["application_id"], row["overdue"], row["escalated"]) == (app["id"], True, True)
    assert row["escalated_to_me"] is True
    assert as_user(world.health_officer).get(f"{API}/inbox").json()[0]["escalated_to_me"] is False
    health = progress(world, app["id"])["steps"][1]
    assert (health["department_id"], health["overdue"], health["escalated"]) == (
        world.health.pk,
        True,
        True,
    )
    # The head decides; the next stage opens with its own due time from now.
    assert decide(world.head, app["id"], "approve").json()["current_stage"] == 2
    emergency = Step.objects.get(application_id=app["id"], stage=2)
    assert emergency.due_at == later + dt.timedelta(hours=48) and not emergency.overdue


def test_certificate_verification_refuses_forgeries_and_shows_revocations(world):
    app = submit(world).json()
    for officer in (world.market_officer, world.health_officer, world.emergency_officer):
        decide(officer, app["id"], "approve")
    signed = progress(world, app["id"])["certificate"]["signed_serial"]
    serial, signature = signed.split(".")
    forged = Client().get(f"{API}/verify/{serial.replace('SP', 'SQ')}.{signature}")
    assert forged.status_code == 400 and forged.json()["status"] == "forged"
    unsigned = Client().get(f"{API}/verify/{serial}")
    assert unsigned.status_code == 400 and unsigned.json()["status"] == "forged"

    revoke = as_user(world.commander).post(
        f"{API}/applications/{app['id']}/certificate/revoke",
        {"reason": "企业不再符合防控条件"},
        content_type="application/json",
    )
    assert revoke.status_code == 200
    revoked = Client().get(f"{API}/verify/{signed}").json()
    assert revoked["status"] == "revoked" and revoked["company_name"] == "武汉示例机械有限公司"
    page = Client().get(f"/citizen/approvals/verify/{signed}")
    assert page.status_code == 200 and b'data-status="revoked"' in page.content


def test_an_application_keeps_the_version_it_was_submitted_under(world):
    first = submit(world).json()
    service = as_user(world.commander).get(f"{API}/services/{world.service.pk}").json()
    edited = {k: service[k] for k in ("name_zh", "name_en", "fields", "attachments", "stages")}
    edited["fields"] = edited["fields"][:2]  # the new version asks for less
    response = as_user(world.commander).put(
        f"{API}/services/{world.service.pk}", edited, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    second = submit(world, fields={"address": "新地址", "employees": 3}).json()
    assert (first["version"], second["version"]) == (1, 2)
    assert progress(world, first["id"])["fields"]["industry"] == "manufacturing"


def test_a_service_definition_names_its_bad_parts(world, city):
    from crisisgov.directory.tests.factories import OrganisationFactory

    other = OrganisationFactory(area=city.district_b, department_type="transport")
    body = {
        "slug": "road-permit",
        "name_zh": "通行证",
        "name_en": "Road permit",
        "area_id": city.district_a.pk,
        "fields": [{"name": "plate", "label_zh": "车牌", "label_en": "Plate", "type": "text"}],
        "stages": [[{"department_id": world.transport.pk, "hours": 8}]],
    }
    client = as_user(world.commander)
    bad = body | {"stages": [[{"department_id": other.pk, "hours": 8}]]}
    answer = client.post(f"{API}/services", bad, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["detail"][0]["field"] == "stages.0.0.department_id"
    bad_type = body | {
        "fields": [{"name": "plate", "label_zh": "车牌", "label_en": "P", "type": "x"}]
    }
    answer = client.post(f"{API}/services", bad_type, content_type="application/json")
    assert answer.json()["detail"][0]["field"] == "fields.0.type"
    created = client.post(f"{API}/services", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["version"] == 1
    # An officer may decide approvals but not define services.
    officer = as_user(world.transport_officer)
    denied = officer.post(
        f"{API}/services", body | {"slug": "x-2"}, content_type="application/json"
    )
    assert denied.status_code == 404


def test_the_visit_statistic_is_published_as_open_data(world, django_capture_on_commit_callbacks):
    app = submit(world).json()
    with django_capture_on_commit_callbacks(execute=True):
        for officer in (world.market_officer, world.health_officer, world.emergency_officer):
            decide(officer, app["id"], "approve")
    response = Client().get("/citizen/published/approvals-visits.json")
    assert response.status_code == 200 and "max-age" in response["Cache-Control"]
    body = response.json()
    assert (body["approved"], body["average_visits"], body["share_one_visit"]) == (1, 1.0, 1.0)
    assert body["by_service"][0]["service_en"] == "Resumption of work and production"


def test_a_submission_that_fails_after_storing_its_files_leaves_no_orphan_file(
    world, tmp_path, monkeypatch
):
    from crisisgov.citizen.approvals import services
    from crisisgov.directory.facade import actor_for_user

    def crash(**kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services, "audit_record", crash)
    plan = SimpleUploadedFile("plan.pdf", PDF, "application/pdf")
    with pytest.raises(RuntimeError):
        services.application_submit(
            actor=actor_for_user(world.citizen),
            service_id=world.service.pk,
            company_name="武汉示例机械有限公司",
            credit_code=CREDIT_CODE,
            fields=good_fields(),
            uploads={"prevention_plan": plan},
        )
    assert Application.objects.count() == 0
    assert [p for p in (tmp_path / "approvals").rglob("*") if p.is_file()] == []
