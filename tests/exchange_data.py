"""Case-report files shaped like the ones hospitals upload, made by the tests themselves."""

from __future__ import annotations

import csv
import datetime as dt
import io

from crisisgov.directory.idnumber import make
from crisisgov.drills.exchange_demo import FIELDS
from crisisgov.exchange.imports import import_create, import_run
from crisisgov.kernel.actor import SYSTEM

HEADER = FIELDS  # the columns hospitals export, as the demo writes them


def case_row(n: int, city, **changes) -> dict:
    row = {
        "report_id": f"R{n:06d}",
        "disease": "新型冠状病毒感染",
        "case_type": "confirmed",
        "name": f"病例{n}",
        "national_id": make("420102", dt.date(1980, 1, 1), n % 1000),
        "sex": "1",
        "age": "46",
        "phone": f"139{n:08d}",
        "area_code": city.building_a.code,
        "report_date": "2026-11-20",
        "reporting_org": "江岸区人民医院",
    }
    return row | changes


def csv_bytes(rows: list[dict], *, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def run(dataset, data: bytes, filename: str = "cases.csv", mode: str = "accept_valid"):
    job = import_create(
        actor=SYSTEM, dataset_id=dataset.pk, upload=io.BytesIO(data), filename=filename, mode=mode
    )
    return import_run(job_id=job.pk)
