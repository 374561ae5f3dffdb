"""Exchange pages: the catalogue and its DCAT export, the owner's dataset and import pages,
deciding agreements, and the consumer's request form."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from crisisgov.directory.models import Organisation
from crisisgov.directory.tests.factories import OrganisationFactory
from crisisgov.exchange import agreements, services
from crisisgov.exchange.imports import import_run
from crisisgov.exchange.models import ImportJob, SchemaVersion, SharingAgreement
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.models import AuditEntry
from tests.exchange_data import case_row, csv_bytes, run


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


@pytest.fixture
def people(city, dataset, make_user):
    """The dataset's owner officer, a consumer officer at the city, an outsider in district B."""
    owner = Organisation.objects.get(pk=dataset.owner_id)
    consumer = OrganisationFactory(area=city.city, department_type="civil_affairs")
    return {
        "owner": make_user("department_officer", city.district_a, owner),
        "consumer": make_user("department_officer", city.city, consumer),
        "consumer_org": consumer,
        "outsider": make_user("department_officer", city.district_b),
    }


def pending_agreement(city, dataset, people, actor_of):
    return agreements.agreement_request(
        actor=actor_of(people["consumer"]),
        dataset_id=dataset.pk,
        consumer_id=people["consumer_org"].pk,
        fields=["report_id", "case_type", "name"],
        purpose="relief",
        legal_basis="《突发事件应对法》第五十六条",
        area_id=city.district_a.id,
        valid_until=timezone.now() + dt.timedelta(days=30),
    )


def test_the_catalogue_lists_datasets_and_standards_but_never_records(city, dataset, people):
    run(dataset, csv_bytes([case_row(n, city) for n in range(1, 4)]))
    page = client_for(people["outsider"]).get("/exchange/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "江岸区传染病报告" in html and "Jiang&#x27;an case reports" in html
    owner = Organisation.objects.get(pk=dataset.owner_id)
    assert owner.name_zh in html and "<code>case_report@" in html
    assert '<td class="num">3</td>' in html  # the record count
    # Metadata only: no name, ID number, phone or report id of a record.
    for n in range(1, 4):
        row = case_row(n, city)
        for field in ("name", "national_id", "phone", "report_id"):
            assert row[field] not in html
    # The standards registry: each field with its Chinese title, type and personal flag.
    assert '<th scope="row"><code>national_id</code></th>' in html
    assert html.count('class="badge personal"') >= 1
    # The outsider may ask for access but does not manage the dataset: no link to its page.
    assert f'href="/exchange/datasets/{dataset.pk}/request/"' in html
    assert f'href="/exchange/datasets/{dataset.pk}/"' not in html


def test_the_catalogue_search(city, dataset, people):
    client = client_for(people["owner"])
    assert "江岸区传染病报告" in client.get("/exchange/", {"q": "传染病"}).content.decode()
    missed = client.get("/exchange/", {"q": "物资库存"}).content.decode()
    assert "江岸区传染病报告" not in missed and '<td colspan="6">' in missed


def test_the_catalogue_needs_an_exchange_role(city, dataset, make_user):
    assert Client().get("/exchange/").status_code == 302  # to the login page
    worker = client_for(make_user("grid_worker", city.grid_a))
    assert worker.get("/exchange/").status_code == 404
    assert worker.get("/exchange/catalog.jsonld").status_code == 404


def test_the_dcat_export_has_exactly_the_datasets(city, dataset, people):
    services.dataset_create(
        actor=SYSTEM,
        owner_id=OrganisationFactory(area=city.district_b).pk,
        schema_id=SchemaVersion.objects.get(name="material_stock").pk,
        name_zh="江汉区物资库存",
        name_en="Jianghan material stock",
        area_id=city.district_b.id,
    )
    response = client_for(people["owner"]).get("/exchange/catalog.jsonld")
    assert response["Content-Type"] == "application/ld+json"
    document = json.loads(response.content)
    assert document["@type"] == "dcat:Catalog"
    assert set(document["@context"]) >= {"dcat", "dct"}
    entries = {e["dct:identifier"]: e for e in document["dcat:dataset"]}
    assert len(document["dcat:dataset"]) == 2
    cases = entries[str(dataset.pk)]
    owner = Organisation.objects.get(pk=dataset.owner_id)
    assert cases["dct:title"] == [
        {"@value": "江岸区传染病报告", "@language": "zh-Hans"},
        {"@value": "Jiang'an case reports", "@language": "en"},
    ]
    assert cases["dct:publisher"]["foaf:name"][0] == {
        "@value": owner.name_zh,
        "@language": "zh-Hans",
    }
    assert cases["dct:spatial"] == city.district_a.code
    assert cases["dct:conformsTo"] == str(dataset.schema)
    assert cases["dct:accessRights"] == "restricted"  # case reports hold personal fields
    (stock,) = [e for key, e in entries.items() if key != str(dataset.pk)]
    assert (stock["dct:spatial"], stock["dct:accessRights"]) == (city.district_b.code, "public")


def test_an_outsiders_dataset_and_import_pages_are_404(city, dataset, people, actor_of):
    job = run(dataset, csv_bytes([case_row(1, city)]))
    agreement = pending_agreement(city, dataset, people, actor_of)
    for user in (people["outsider"], people["consumer"]):
        client = client_for(user)
        assert client.get(f"/exchange/datasets/{dataset.pk}/").status_code == 404
        assert client.get(f"/exchange/imports/{job.pk}/").status_code == 404
        upload = SimpleUploadedFile("cases.csv", csv_bytes([case_row(2, city)]))
        posted = client.post(f"/exchange/datasets/{dataset.pk}/", {"file": upload})
        assert posted.status_code == 404
        decided = client.post(
            f"/exchange/agreements/{agreement.pk}/decision/",
            {"decision": "approve"},
        )
        assert decided.status_code == 404
    assert ImportJob.objects.count() == 1
    agreement.refresh_from_db()
    assert agreement.status == "requested"
    assert client.get("/exchange/imports/999999999999999999999/").status_code == 404


def test_upload_through_the_page_then_the_report(city, dataset, people):
    rows = [case_row(n, city) for n in range(1, 4)]
    rows[2]["phone"] = "12345"
    client = client_for(people["owner"])
    page = client.get(f"/exchange/datasets/{dataset.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="csrfmiddlewaretoken"' in page
    upload = SimpleUploadedFile("cases.csv", csv_bytes(rows), content_type="text/csv")
    response = client.post(
        f"/exchange/datasets/{dataset.pk}/", {"file": upload, "mode": "accept_valid"}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exchange/imports/{job.pk}/"
    queued = client.get(f"/exchange/imports/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in queued and 'data-status="queued"' in queued

    import_run(job_id=job.pk)
    html = client.get(f"/exchange/imports/{job.pk}/").content.decode()
    assert 'data-status="done"' in html and "hx-trigger" not in html
    assert '<dd data-count="read">3</dd>' in html
    assert '<dd data-count="created">2</dd>' in html
    assert '<dd data-count="rejected">1</dd>' in html
    assert '<tr data-row="4">' in html and "<code>phone</code>" in html
    assert "12345" not in html  # the personal value is masked
    (rejected,) = job.rejected.all()
    assert f"<code>{rejected.errors[0]['value']}</code>" in html
    # The polled fragment is the panel alone.
    fragment = client.get(f"/exchange/imports/{job.pk}/", HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith("<section")
    # The dataset page lists the import with its status.
    listing = client.get(f"/exchange/datasets/{dataset.pk}/").content.decode()
    assert f'<tr data-import-id="{job.pk}">' in listing and "status-done" in listing


def test_an_upload_without_a_file_or_with_a_bad_mode_says_so_by_the_field(city, dataset, people):
    client = client_for(people["owner"])
    missing = client.post(f"/exchange/datasets/{dataset.pk}/", {"mode": "accept_valid"})
    assert missing.status_code == 400
    assert '<p class="errors field-error" data-field="file">' in missing.content.decode()
    upload = SimpleUploadedFile("cases.csv", csv_bytes([case_row(1, city)]))
    bad = client.post(f"/exchange/datasets/{dataset.pk}/", {"file": upload, "mode": "yolo"})
    assert bad.status_code == 400
    assert '<p class="errors field-error" data-field="mode">' in bad.content.decode()
    assert ImportJob.objects.count() == 0


def test_approving_from_the_page(city, dataset, people, actor_of):
    agreement = pending_agreement(city, dataset, people, actor_of)
    client = client_for(people["owner"])
    page = client.get(f"/exchange/datasets/{dataset.pk}/").content.decode()
    assert f'action="/exchange/agreements/{agreement.pk}/decision/"' in page
    response = client.post(
        f"/exchange/agreements/{agreement.pk}/decision/",
        {"decision": "approve"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/exchange/datasets/{dataset.pk}/#agreements"
    agreement.refresh_from_db()
    assert (agreement.status, agreement.decided_by_id) == ("approved", people["owner"].pk)
    entry = AuditEntry.objects.get(action="exchange.agreement_decided")
    assert (entry.actor_user_id, entry.target_id, entry.detail["status"]) == (
        people["owner"].pk,
        str(agreement.pk),
        "approved",
    )


def test_a_refusal_needs_a_reason_on_the_page(city, dataset, people, actor_of):
    agreement = pending_agreement(city, dataset, people, actor_of)
    client = client_for(people["owner"])
    url = f"/exchange/agreements/{agreement.pk}/decision/"
    bare = client.post(url, {"decision": "refuse"})
    assert bare.status_code == 400
    assert '<p class="errors field-error" data-field="reason">' in bare.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == "requested"
    assert not AuditEntry.objects.filter(action="exchange.agreement_decided").exists()
    client.post(url, {"decision": "refuse", "reason": "不属于救助范围"})
    agreement.refresh_from_db()
    assert (agreement.status, agreement.decision_reason) == ("refused", "不属于救助范围")


def test_the_read_log_on_the_dataset_page(city, dataset, people, actor_of):
    run(dataset, csv_bytes([case_row(n, city) for n in range(1, 3)]))
    agreement = pending_agreement(city, dataset, people, actor_of)
    agreements.agreement_decide(
        actor=actor_of(people["owner"]), agreement_id=agreement.pk, approve=True
    )
    agreements.agreement_feed(actor=actor_of(people["consumer"]), agreement_id=agreement.pk)
    html = client_for(people["owner"]).get(f"/exchange/datasets/{dataset.pk}/").content.decode()
    reads = html.split('id="reads"')[1]
    assert people["consumer"].username in reads
    assert people["consumer_org"].name_zh in reads
    assert "case_type, name, report_id" in reads and '<td class="num">2</td>' in reads


def test_a_consumer_requests_access_through_the_form(city, dataset, people):
    client = client_for(people["consumer"])
    form = client.get(f"/exchange/datasets/{dataset.pk}/request/").content.decode()
    assert 'name="fields" value="national_id"' in form
    assert f'<option value="{city.district_a.id}"' in form
    assert f'<option value="{city.street_a.id}"' in form
    assert f'<option value="{city.district_b.id}"' not in form
    until = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    data = {
        "fields": ["report_id", "name"],
        "purpose": "statistics",
        "legal_basis": "《统计法》",
        "area_id": city.street_a.id,
        "valid_until": until,
    }
    refused = client.post(f"/exchange/datasets/{dataset.pk}/request/", data)
    assert refused.status_code == 400
    assert '<p class="errors field-error" data-field="fields">' in refused.content.decode()
    assert SharingAgreement.objects.count() == 0

    response = client.post(
        f"/exchange/datasets/{dataset.pk}/request/", data | {"purpose": "relief"}
    )
    assert (response.status_code, response["Location"]) == (302, "/exchange/agreements/")
    agreement = SharingAgreement.objects.get()
    assert (agreement.consumer_id, agreement.fields, agreement.area_id) == (
        people["consumer_org"].pk,
        ["name", "report_id"],
        city.street_a.id,
    )
    listing = client.get("/exchange/agreements/").content.decode()
    assert f'<tr data-agreement-id="{agreement.pk}">' in listing
    assert "江岸区传染病报告" in listing and "status-requested" in listing
    other = client_for(people["outsider"]).get("/exchange/agreements/").content.decode()
    assert f'data-agreement-id="{agreement.pk}"' not in other


def test_the_pages_speak_chinese_and_english(city, dataset, people):
    client = client_for(people["owner"])
    assert "<h1>数据目录" in client.get("/exchange/").content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(people["owner"])
    html = english.get("/exchange/").content.decode()
    assert "<h1>Data catalogue" in html and '<a class="nav-link" href="/exchange/">' in html
