"""The demo's data exchange: each district health commission owns a case-report dataset,
filled by an import from the synthetic city, with a few bad rows whose report waits on the
import page. Idempotent: a second demo run changes nothing."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from crisisgov.directory.facade import organisations_of, residents_sample
from crisisgov.exchange.facade import (
    dataset_create,
    dataset_ids_named,
    import_file,
    schema_version_id,
    standards_sync,
)
from crisisgov.geo.facade import Level, areas_at_level
from crisisgov.kernel.actor import SYSTEM

CASES_PER_DISTRICT = 40
FIELDS = [
    "report_id",
    "disease",
    "case_type",
    "name",
    "national_id",
    "sex",
    "age",
    "phone",
    "area_code",
    "report_date",
    "reporting_org",
]
CASE_TYPES = ["confirmed", "confirmed", "suspected", "asymptomatic"]


def _rows(district_path: str, district_number: int) -> list[dict]:
    rows = []
    for n, person in enumerate(
        residents_sample(under_path=district_path, count=CASES_PER_DISTRICT)
    ):
        rows.append(
            {
                "report_id": f"D{district_number:02d}-{n + 1:05d}",
                "disease": "新型冠状病毒感染",
                "case_type": CASE_TYPES[n % len(CASE_TYPES)],
                "name": person["name"],
                "national_id": person["national_id"],
                "sex": "1" if person["sex"] == "M" else "2",
                "age": str(2026 - person["date_of_birth"].year),
                "phone": person["phone"],
                "area_code": person["area_path"],
                "report_date": f"2026-11-{10 + n % 15:02d}",
                "reporting_org": "区人民医院",
            }
        )
    # What real uploads contain: an ID mangled by Excel, an unknown case type, a missing date.
    rows[3]["national_id"] = f"{int(rows[3]['national_id'][:17]) / 10:.5E}"
    rows[7]["case_type"] = "疑似"
    rows[11]["report_date"] = ""
    return rows


def exchange_demo_ensure() -> list[str]:
    """Create the demo datasets and imports once; returns a line per district for the console."""
    standards_sync()
    schema_id = schema_version_id("case_report")
    lines = []
    for number, district in enumerate(areas_at_level(Level.DISTRICT), start=1):
        name_en = f"{district.name_en} case reports"
        if dataset_ids_named(name_en):
            continue
        (health, *_) = organisations_of(
            kind="department", department_type="health_commission", under_path=district.path
        ) or [None]
        if health is None:
            continue
        dataset_id = dataset_create(
            actor=SYSTEM,
            owner_id=health.id,
            schema_id=schema_id,
            name_zh=f"{district.name_zh}传染病报告",
            name_en=name_en,
            area_id=district.id,
        )
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"cases-{district.code}.csv"
            with path.open("w", encoding="gb18030", newline="") as out:  # as hospitals export
                writer = csv.DictWriter(out, fieldnames=FIELDS)
                writer.writeheader()
                writer.writerows(_rows(district.path, number))
            result = import_file(actor=SYSTEM, dataset_id=dataset_id, path=str(path))
        lines.append(
            f"{district.name_en}: {result['created']} case reports imported, "
            f"{result['rejected']} rows waiting for correction"
        )
    return lines
