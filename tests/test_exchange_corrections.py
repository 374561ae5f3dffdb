"""Rows held for correction: opened (an audited read), corrected, sent again — through the
same standard as the file —, stored with provenance, delivered; the report keeps the row."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from crisisgov.directory.models import Organisation
from crisisgov.exchange.corrections import held_row_correct, held_row_values
from crisisgov.exchange.models import Record, RecordChange, RejectedRow
from crisisgov.kernel.errors import Conflict, NotFound
from crisisgov.kernel.models import AuditEntry, OutboxEvent
from tests.exchange_data import case_row, csv_bytes, run


@pytest.fixture
def held(city, dataset, make_user, actor_of):
    """An import of 5 rows with two held: an Excel-mangled ID and an unknown case type."""
    rows = [case_row(n, city) for n in range(1, 6)]
    good_id = rows[1]["national_id"]
    rows[1]["national_id"] = "4.20102E+17"
    rows[3]["case_type"] = "疑似"
    job = run(dataset, csv_bytes(rows))
    owner = make_user(
        "department_officer", city.district_a, Organisation.objects.get(pk=dataset.owner_id)
    )
    return {
        "job": job,
        "owner": owner,
        "actor": actor_of(owner),
        "good_id": good_id,
        "rows": {r.row_number: r for r in RejectedRow.objects.filter(job=job)},
    }


def test_a_held_row_is_corrected_and_lands_as_a_record(city, dataset, held):
    row = held["rows"][3]  # file row 3 = the second data row
    values = held_row_values(actor=held["actor"], row_id=row.pk)
    assert values["national_id"] == "4.20102E+17" and values["report_id"] == "R000002"
    read = AuditEntry.objects.get(action="exchange.held_row_read")
    assert read.purpose == "correction" and "national_id" in read.fields_read

    events_before = OutboxEvent.objects.filter(topic="exchange.records_changed").count()
    check = held_row_correct(
        actor=held["actor"], row_id=row.pk, values=values | {"national_id": held["good_id"]}
    )
    assert check.errors == []
    record = Record.objects.get(natural_key="R000002")
    assert (record.source, record.submitted_by_id, record.source_import_id) == (
        "correction",
        held["owner"].pk,
        held["job"].pk,
    )
    assert json.loads(record.personal)["national_id"] == held["good_id"]
    row.refresh_from_db()
    assert row.corrected_record_id == record.pk and row.corrected_at is not None
    assert row.raw == ""  # the held copy of the personal data is dropped
    assert RecordChange.objects.filter(record=record, kind="created").count() == 1
    assert OutboxEvent.objects.filter(topic="exchange.records_changed").count() == events_before + 1
    assert (
        AuditEntry.objects.get(action="exchange.held_row_corrected").detail["record_id"]
        == record.pk
    )
    with pytest.raises(Conflict):  # twice is refused, nothing doubled
        held_row_correct(actor=held["actor"], row_id=row.pk, values=values)


def test_a_correction_still_wrong_is_refused_naming_the_field_and_stores_nothing(held):
    row = held["rows"][5]
    values = held_row_values(actor=held["actor"], row_id=row.pk)
    check = held_row_correct(
        actor=held["actor"], row_id=row.pk, values=values | {"case_type": "probable"}
    )
    assert [e["field"] for e in check.errors] == ["case_type"]
    assert not Record.objects.filter(natural_key="R000004").exists()
    row.refresh_from_db()
    assert row.corrected_at is None and row.raw  # still held, still correctable
    check = held_row_correct(
        actor=held["actor"], row_id=row.pk, values=values | {"case_type": "suspected", "age": "200"}
    )
    assert [e["field"] for e in check.errors] == ["age"]
    check = held_row_correct(
        actor=held["actor"], row_id=row.pk, values=values | {"case_type": "suspected"}
    )
    assert (
        check.errors == []
        and Record.objects.get(natural_key="R000004").data["case_type"] == "suspected"
    )


def test_another_district_cannot_open_or_correct_a_held_row(city, held, make_user, actor_of):
    stranger = actor_of(make_user("department_officer", city.district_b))
    row = held["rows"][3]
    with pytest.raises(NotFound):
        held_row_values(actor=stranger, row_id=row.pk)
    with pytest.raises(NotFound):
        held_row_correct(actor=stranger, row_id=row.pk, values={"report_id": "R000002"})
    assert not AuditEntry.objects.filter(action="exchange.held_row_read").exists()


def test_the_api_reads_and_corrects_a_held_row(held):
    client = Client()
    client.force_login(held["owner"])
    job, row = held["job"], held["rows"][3]
    base = f"/api/exchange/imports/{job.pk}/rejected/{row.pk}"
    answer = client.get(base)
    assert answer.status_code == 200 and answer.json()["row_number"] == 3
    values = answer.json()["values"]
    refused = client.post(
        f"{base}/correction",
        {"values": values | {"sex": "7"}},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert {d["field"] for d in refused.json()["detail"]} == {"national_id", "sex"}
    done = client.post(
        f"{base}/correction",
        {"values": values | {"national_id": held["good_id"]}},
        content_type="application/json",
    )
    assert done.status_code == 200
    assert done.json()["record_id"] == Record.objects.get(natural_key="R000002").pk
    unknown = client.post(
        f"{base}/correction", {"values": {"colour": "red"}}, content_type="application/json"
    )
    assert unknown.status_code == 409  # already corrected


def test_the_import_page_offers_the_correction_and_the_form_keeps_what_was_typed(held):
    client = Client()
    client.force_login(held["owner"])
    job, row = held["job"], held["rows"][5]
    page = client.get(f"/exchange/imports/{job.pk}/").content.decode()
    assert f'data-correct="{row.row_number}"' in page
    assert "请从以下选项中选择" in page  # the validator's reason, in the page's language
    url = f"/exchange/imports/{job.pk}/rows/{row.pk}/"
    assert client.get(url).status_code == 405  # opening personal data is a POST, audited
    opened = client.post(url, {"action": "open"})
    assert opened.status_code == 200 and "疑似" in opened.content.decode()
    form = {"action": "send", "report_id": "R000004", "disease": "新型冠状病毒感染",
            "case_type": "probable", "name": "病例4", "sex": "1", "age": "46",
            "area_code": job.dataset.area.code, "report_date": "2026-11-20",
            "reporting_org": "江岸区人民医院"}  # fmt: skip
    refused = client.post(url, form)
    assert refused.status_code == 400
    text = refused.content.decode()
    assert 'data-field="case_type"' in text and 'value="probable"' in text
    sent = client.post(url, form | {"case_type": "suspected"})
    assert sent.status_code == 302
    page = client.get(f"/exchange/imports/{job.pk}/").content.decode()
    assert f'data-corrected="{row.row_number}"' in page
