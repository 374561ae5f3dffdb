"""Two datasets about overlapping people, for the master person index's tests: case reports
and test results of one district, entered by different clerks."""

from __future__ import annotations

import csv
import datetime as dt
import io

from crisisgov.directory.idnumber import make
from crisisgov.directory.tests.factories import OrganisationFactory
from crisisgov.exchange import mpi, services
from crisisgov.exchange.imports import import_create, import_run
from crisisgov.exchange.models import SchemaVersion
from crisisgov.kernel.actor import SYSTEM

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程"
GIVEN = ["建国", "秀英", "志强", "丽华", "海燕", "文博", "晓明", "春梅", "国庆", "玉兰"]


def person(n: int) -> dict:
    return {
        "name": SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)],
        "national_id": make("420102", dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28), n % 1000),
        "phone": f"139{n:08d}",
    }


def csv_of(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def load(dataset, rows: list[dict]) -> None:
    job = import_create(
        actor=SYSTEM,
        dataset_id=dataset.pk,
        upload=io.BytesIO(csv_of(rows)),
        filename="rows.csv",
        mode="accept_valid",
    )
    job = import_run(job_id=job.pk)
    assert (job.status, job.rows_rejected) == ("done", 0), job.problem


def case_report(n: int, area, **changes) -> dict:
    p = person(n)
    row = {
        "report_id": f"R{n:05d}",
        "disease": "新型冠状病毒感染",
        "case_type": "confirmed",
        "name": p["name"],
        "national_id": p["national_id"],
        "sex": "1",
        "age": "46",
        "phone": p["phone"],
        "area_code": area.code,
        "report_date": "2026-11-20",
        "reporting_org": "江岸区人民医院",
    }
    return row | changes


def result_row(n: int, area, **changes) -> dict:
    p = person(n)
    row = {
        "sample_id": f"S{n:05d}",
        "name": p["name"],
        "national_id": p["national_id"],
        "phone": p["phone"],
        "test_type": "pcr",
        "pathogen": "SARS-CoV-2",
        "collected_at": "2026-11-19T09:00:00",
        "result": "positive",
        "lab_name": "江岸区疾控中心",
        "area_code": area.code,
    }
    return row | changes


def make_dataset(area, schema: str, name: str):
    services.standards_sync()
    owner = OrganisationFactory(area=area)
    return services.dataset_create(
        actor=SYSTEM,
        owner_id=owner.pk,
        schema_id=SchemaVersion.objects.get(name=schema).pk,
        name_zh=name,
        name_en=name,
        area_id=area.id,
    )


def build(district, building, *, prefix: str = "") -> dict:
    """40 case reports; 28 test results of the same people, entered differently:
    0-19 with the ID number, 20-24 without it (same name and phone), and three without an ID
    that the linkage cannot decide: 25 with another phone, 26 with the name written given name
    first, 27 romanised. Case reports 28-39 have no test result. Then one linkage run."""
    cases = make_dataset(district, "case_report", f"{district.name_zh}病例报告")
    tests = make_dataset(district, "test_result", f"{district.name_zh}核酸检测")
    load(cases, [case_report(n, building, report_id=f"{prefix}R{n:05d}") for n in range(40)])
    name26 = person(26)["name"]
    rows = [result_row(n, building) for n in range(20)]
    rows += [result_row(n, building, national_id="") for n in range(20, 25)]
    rows += [
        result_row(25, building, national_id="", phone="13700000025"),
        result_row(26, building, national_id="", name=name26[1:] + name26[0]),
        result_row(27, building, national_id="", name="Zeng Guoqing"),
    ]
    load(tests, [row | {"sample_id": prefix + row["sample_id"]} for row in rows])
    run = mpi.mpi_link(actor=SYSTEM, area_path=district.path)
    return {"run": run, "cases": cases, "tests": tests}
