"""Online approval pages: the applicant's form and progress, the inbox and decision, the
certificate with its QR code, the public verification and statistics, the service editor."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from crisisgov.citizen.approvals.models import Application, Service
from tests.test_citizen_approvals_support import CREDIT_CODE, PDF, world_build

BASE = "/citizen/approvals"


@pytest.fixture
def world(city, make_user, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return world_build(city, make_user)


def as_user(user, language: str = "zh-hans") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def form(**overrides) -> dict:
    body = {
        "company_name": "武汉示例机械有限公司",
        "credit_code": CREDIT_CODE,
        "field-address": "江岸区解放大道100号",
        "field-employees": "35",
        "field-resume_date": "2026-12-01",
        "field-industry": "retail",
        "field-masks_in_stock": "yes",
        "prevention_plan": SimpleUploadedFile("plan.pdf", PDF, "application/pdf"),
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_the_applicant_submits_once_and_follows_progress_on_one_page(world):
    client = as_user(world.citizen)
    home = client.get(f"{BASE}/")
    assert "复工复产申请" in home.content.decode()
    bad = client.post(f"{BASE}/apply/{world.service.pk}/", form(credit_code=CREDIT_CODE + "9"))
    assert bad.status_code == 400
    page = bad.content.decode()
    assert 'data-field="credit_code"' in page and "18 characters, not 19" in page
    assert 'value="江岸区解放大道100号"' in page  # what was typed is kept
    assert Application.objects.count() == 0

    done = client.post(f"{BASE}/apply/{world.service.pk}/", form())
    application = Application.objects.get()
    assert done.status_code == 302 and done["Location"] == f"{BASE}/applications/{application.pk}/"
    assert application.form_data["masks_in_stock"] is True
    assert application.form_data["employees"] == 35
    page = client.get(done["Location"]).content.decode()
    assert 'data-state="in_review"' in page
    assert page.count('data-state="pending"') == 2 and page.count('data-state="waiting"') == 1
    assert "江岸区市场监督管理局" in page and "江岸区应急管理局" in page
    english = as_user(world.citizen, "en").get(done["Location"]).content.decode()
    assert "Jiang&#x27;an Market Regulation" in english and "Stage 2" in english
    # Another citizen does not see it.
    assert as_user(world.other_citizen).get(done["Location"]).status_code == 404


def test_departments_decide_in_the_inbox_and_the_certificate_carries_a_qr_code(world):
    as_user(world.citizen).post(f"{BASE}/apply/{world.service.pk}/", form())
    application = Application.objects.get()
    inbox = as_user(world.market_officer).get(f"{BASE}/inbox/").content.decode()
    assert f'data-application="{application.pk}"' in inbox
    assert (
        'id="inbox-empty"'
        in as_user(world.emergency_officer).get(f"{BASE}/inbox/").content.decode()
    )

    review = f"{BASE}/inbox/{application.pk}/"
    outsider = as_user(world.transport_officer).get(review)
    assert outsider.status_code == 403
    assert "your department is not on this application" in outsider.content.decode()
    no_reason = as_user(world.market_officer).post(review, {"action": "refuse"})
    assert no_reason.status_code == 400 and 'data-field="reason"' in no_reason.content.decode()
    for officer in (world.market_officer, world.health_officer, world.emergency_officer):
        assert as_user(officer).post(review, {"action": "approve"}).status_code == 302

    client = as_user(world.citizen)
    progress = client.get(f"{BASE}/applications/{application.pk}/").content.decode()
    assert 'id="certificate"' in progress and 'id="visits">1<' in progress
    sheet = client.get(f"{BASE}/applications/{application.pk}/certificate/").content.decode()
    assert '<div class="qr" id="qr"><svg' in sheet
    link = re.search(r'id="verify-link">([^<]+)<', sheet).group(1)
    assert link.startswith("http://testserver/citizen/approvals/verify/C")
    verified = Client().get(link.removeprefix("http://testserver"))  # anyone, no login
    assert verified.status_code == 200 and 'data-status="valid"' in verified.content.decode()
    assert "武汉示例机械有限公司" in verified.content.decode()
    forged = Client().get(link.removeprefix("http://testserver")[:-3] + "abc")
    assert forged.status_code == 400 and 'data-status="forged"' in forged.content.decode()
    stats = Client().get(f"{BASE}/statistics/").content.decode()
    assert 'id="approved">1<' in stats and 'id="share">100.0%<' in stats


def test_attachments_reach_the_applicant_and_the_departments_only(world):
    as_user(world.citizen).post(f"{BASE}/apply/{world.service.pk}/", form())
    application = Application.objects.get()
    item = application.attachments.get()
    url = f"{BASE}/applications/{application.pk}/attachments/{item.pk}"
    for user in (world.citizen, world.health_officer, world.emergency_officer):
        response = as_user(user).get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
    assert as_user(world.other_citizen).get(url).status_code == 404
    assert as_user(world.transport_officer).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


def test_staff_define_a_service_on_a_page_and_editing_makes_a_new_version(world, city):
    client = as_user(world.commander)
    definition = {
        "fields": [{"name": "plate", "label_zh": "车牌", "label_en": "Plate", "type": "text"}],
        "stages": [[{"department_id": world.transport.pk, "hours": 8}]],
    }
    bad = client.post(
        f"{BASE}/services/",
        {"slug": "road-permit", "area_id": city.district_a.pk, "name_zh": "通行证",
         "name_en": "Road permit", "definition": "{not json"},
    )  # fmt: skip
    assert bad.status_code == 400 and 'data-field="definition"' in bad.content.decode()
    created = client.post(
        f"{BASE}/services/",
        {"slug": "road-permit", "area_id": city.district_a.pk, "name_zh": "通行证",
         "name_en": "Road permit", "definition": json.dumps(definition)},
    )  # fmt: skip
    service = Service.objects.get(slug="road-permit")
    assert created.status_code == 302 and service.current_version == 1
    definition["stages"][0][0]["hours"] = 12
    edited = client.post(
        f"{BASE}/services/{service.pk}/",
        {"name_zh": "通行证", "name_en": "Road permit", "definition": json.dumps(definition)},
    )
    assert edited.status_code == 302
    service.refresh_from_db()
    assert service.current_version == 2
    assert service.versions.get(number=2).definition["stages"] == [
        [{"department_id": world.transport.pk, "hours": 12}]
    ]
    assert as_user(world.market_officer).get(f"{BASE}/services/").status_code == 404


def test_a_return_on_the_review_page_asks_the_applicant_for_only_the_named_fields(world):
    as_user(world.citizen).post(f"{BASE}/apply/{world.service.pk}/", form())
    application = Application.objects.get()
    review = f"{BASE}/inbox/{application.pk}/"
    returned = as_user(world.health_officer).post(
        review, {"action": "return", "reason": "请核实返岗人数", "fields": ["employees"]}
    )
    assert returned.status_code == 302
    client = as_user(world.citizen)
    url = f"{BASE}/applications/{application.pk}/"
    page = client.get(url).content.decode()
    assert 'id="correction-form"' in page and "请核实返岗人数" in page
    assert 'name="field-employees"' in page and 'name="field-address"' not in page
    assert 'name="prevention_plan"' not in page and 'name="credit_code"' not in page
    bad = client.post(url, {"field-employees": "many"})
    assert bad.status_code == 400 and 'data-field="fields.employees"' in bad.content.decode()
    assert client.post(url, {"field-employees": "20"}).status_code == 302
    application.refresh_from_db()
    assert (application.state, application.visits) == ("in_review", 2)
    assert application.form_data["employees"] == 20
    assert 'id="visits">2<' in client.get(url).content.decode()
    # The one round is used: the review page no longer offers a return.
    page = as_user(world.market_officer).get(review).content.decode()
    assert 'value="approve"' in page and 'value="return"' not in page
