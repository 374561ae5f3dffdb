"""Imports end to end: real-world-shaped files made here, into a dataset, through the database."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.db import connection

from crisisgov.exchange.imports import import_create, import_run
from crisisgov.exchange.models import ImportJob, Record, RecordChange, RejectedRow
from crisisgov.kernel.errors import NotFound
from crisisgov.kernel.models import AuditEntry, OutboxEvent
from tests.exchange_data import HEADER, case_row, csv_bytes, run


def test_a_gbk_file_is_read_and_stored_with_personal_fields_encrypted(city, dataset):
    job = run(dataset, csv_bytes([case_row(1, city), case_row(2, city)], encoding="gbk"))
    assert (job.status, job.rows_created, job.rows_rejected) == ("done", 2, 0)
    record = Record.objects.get(natural_key="R000001")
    assert record.data["disease"] == "新型冠状病毒感染" and record.area_path == city.building_a.path
    assert json.loads(record.personal)["name"] == "病例1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT personal FROM exchange_record WHERE id = %s", [record.pk])
        (raw,) = cursor.fetchone()
    assert raw.startswith("pii1:") and "病例1" not in raw
    assert RecordChange.objects.filter(kind="created").count() == 2
    assert OutboxEvent.objects.filter(topic="exchange.records_changed").count() == 1
    entry = AuditEntry.objects.get(action="exchange.import_finished")
    assert entry.detail["created"] == 2


def test_the_same_file_twice_creates_no_duplicates_and_a_change_updates_one(city, dataset):
    data = csv_bytes([case_row(n, city) for n in range(1, 6)], encoding="utf-8-sig")
    first, second = run(dataset, data), run(dataset, data)
    assert (first.rows_created, second.rows_created, second.rows_unchanged) == (5, 0, 5)
    changed = csv_bytes([case_row(1, city, case_type="asymptomatic")])
    third = run(dataset, changed)
    assert (third.rows_updated, Record.objects.count(), RecordChange.objects.count()) == (1, 5, 6)


def test_bad_rows_are_reported_masked_and_the_good_ones_kept(city, dataset):
    rows = [case_row(n, city) for n in range(1, 21)]
    rows[3]["national_id"] = "4.20102E+17"  # what Excel makes of an ID column
    rows[7]["age"] = "两岁"
    rows[9]["area_code"] = city.building_b.code  # another district: outside the dataset
    job = run(dataset, csv_bytes(rows))
    assert (job.status, job.rows_created, job.rows_rejected) == ("done", 17, 3)
    report = {r.row_number: r.errors for r in RejectedRow.objects.filter(job=job)}
    assert sorted(report) == [5, 9, 11]  # file rows: the header is row 1
    assert report[5][0]["field"] == "national_id" and "4.20102E+17" not in report[5][0]["value"]
    assert report[9][0]["field"] == "age"
    assert report[11][0]["field"] == "area_code"


def test_all_or_nothing_imports_nothing_when_a_row_is_bad(city, dataset):
    rows = [case_row(n, city) for n in range(1, 11)]
    rows[4]["case_type"] = "probable"
    job = run(dataset, csv_bytes(rows), mode="all_or_nothing")
    assert (job.status, job.rows_rejected, Record.objects.count()) == ("refused", 1, 0)
    rows[4]["case_type"] = "suspected"
    job = run(dataset, csv_bytes(rows), mode="all_or_nothing")
    assert (job.status, job.rows_created, Record.objects.count()) == ("done", 10, 10)


def test_an_xlsx_with_a_numeric_id_column_and_date_cells(city, dataset, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    good = case_row(1, city)
    sheet.append(
        [good[h] for h in HEADER[:-2]] + [dt.datetime(2026, 11, 20), good["reporting_org"]]
    )
    bad = case_row(2, city)
    values = [bad[h] for h in HEADER]
    values[HEADER.index("national_id")] = int(bad["national_id"][:17] + "0")  # a number cell
    sheet.append(values)
    path = tmp_path / "cases.xlsx"
    book.save(path)
    job = run(dataset, path.read_bytes(), filename="cases.xlsx")
    assert (job.rows_created, job.rows_rejected) == (1, 1)
    assert Record.objects.get().data["report_date"] == "2026-11-20"
    (rejected,) = RejectedRow.objects.filter(job=job)
    assert rejected.errors[0]["field"] == "national_id"
    assert "number" in rejected.errors[0]["reason"]


def test_a_file_with_a_bad_header_is_refused_whole(city, dataset):
    data = "报告卡编号;病种\nR1;x\n".encode()
    job = run(dataset, data)
    assert job.status == "refused" and job.problem and Record.objects.count() == 0


def test_only_the_owner_may_import(city, dataset, make_user, actor_of):
    outsider = actor_of(make_user("department_officer", city.district_b))
    with pytest.raises(NotFound):
        import_create(
            actor=outsider, dataset_id=dataset.pk, upload=io.BytesIO(b"x"), filename="x.csv"
        )
    assert ImportJob.objects.count() == 0


def test_the_command_imports_and_prints_the_report(city, dataset, tmp_path):
    from django.core.management import CommandError, call_command

    rows = [case_row(n, city) for n in range(1, 4)]
    rows[1]["sex"] = "男"
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes(rows, encoding="gb18030"))
    out = io.StringIO()
    call_command(
        "exchange",
        "import",
        str(path),
        "--dataset",
        str(dataset.pk),
        stdout=out,
        stderr=io.StringIO(),
    )
    assert out.getvalue().splitlines()[0] == (
        "done: 2 created, 0 updated, 0 unchanged, 1 rejected of 3 rows"
    )
    assert "row 3: sex '男'" in out.getvalue()
    with pytest.raises(CommandError, match="all_or_nothing|refused"):
        call_command(
            "exchange",
            "import",
            str(path),
            "--dataset",
            str(dataset.pk),
            "--mode",
            "all_or_nothing",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_upload_through_the_api_and_read_the_report(city, dataset, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from crisisgov.directory.models import Organisation

    officer = make_user(
        "department_officer", city.district_a, Organisation.objects.get(pk=dataset.owner_id)
    )
    rows = [case_row(n, city) for n in range(1, 4)]
    rows[2]["phone"] = "12345"
    client = Client()
    client.force_login(officer)
    upload = SimpleUploadedFile("cases.csv", csv_bytes(rows), content_type="text/csv")
    response = client.post(f"/api/exchange/datasets/{dataset.pk}/imports", {"file": upload})
    assert (response.status_code, response.json()["status"]) == (202, "queued")
    job_id = response.json()["id"]
    import_run(job_id=job_id)
    job = client.get(f"/api/exchange/imports/{job_id}").json()
    assert (job["status"], job["rows_created"], job["rows_rejected"]) == ("done", 2, 1)
    (rejected,) = client.get(f"/api/exchange/imports/{job_id}/rejected").json()
    assert rejected["row_number"] == 4 and rejected["errors"][0]["field"] == "phone"
    assert rejected["errors"][0]["value"] != "12345"  # personal: masked in the report

    outsider = Client()
    outsider.force_login(make_user("department_officer", city.district_b))
    missing = outsider.get("/api/exchange/imports/99999999").json()
    assert outsider.get(f"/api/exchange/imports/{job_id}").json() == missing
    again = SimpleUploadedFile("cases.csv", csv_bytes(rows), content_type="text/csv")
    refused = outsider.post(f"/api/exchange/datasets/{dataset.pk}/imports", {"file": again})
    assert refused.status_code == 404 and ImportJob.objects.count() == 1
    anonymous = Client().get(f"/api/exchange/imports/{job_id}")
    assert anonymous.status_code == 401
