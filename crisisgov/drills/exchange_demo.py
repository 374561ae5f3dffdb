"""The demo's data exchange, filled from the synthetic city. In each district:

- the health commission owns the case reports, imported from a hospital's GB18030 export whose
  few bad rows wait on the import's report for correction; their counts by street and case type
  are open data (small counts suppressed);
- the district hospital owns the test results of its laboratory;
- the emergency management bureau owns the stock of its warehouse, published as open data.

On the first district's case reports, a city NGO holds an approved relief agreement and the
city's civil affairs bureau has a request waiting for the owner's decision. Idempotent: a
second demo run changes nothing.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

from crisisgov.directory.facade import organisations_of, residents_sample
from crisisgov.exchange.facade import (
    agreement_ensure,
    dataset_create,
    dataset_ids_named,
    dataset_publish,
    import_file,
    schema_version_id,
    standards_sync,
)
from crisisgov.geo.facade import AreaInfo, Level, areas_at_level
from crisisgov.kernel.actor import SYSTEM

CASES_PER_DISTRICT = 40
TESTS_PER_DISTRICT = 120
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
DISEASE = "新型冠状病毒感染"
MATERIALS = [  # code, name, category, unit
    ("KN95", "KN95口罩", "ppe", "个"),
    ("MASK-M", "医用外科口罩", "ppe", "个"),
    ("GOWN", "医用防护服", "ppe", "套"),
    ("ALC75", "75%酒精", "disinfectant", "瓶"),
    ("AG-KIT", "新冠抗原检测试剂", "test_kit", "人份"),
    ("RICE", "大米", "food", "袋"),
]


def _case_rows(district: AreaInfo, number: int) -> list[dict]:
    rows = []
    people = residents_sample(under_path=district.path, count=CASES_PER_DISTRICT)
    for n, person in enumerate(people):
        rows.append(
            {
                "report_id": f"D{number:02d}-{n + 1:05d}",
                "disease": DISEASE,
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


def _test_rows(district: AreaInfo, number: int) -> list[dict]:
    rng = random.Random(number)
    people = residents_sample(under_path=district.path, count=TESTS_PER_DISTRICT)
    return [
        {
            "sample_id": f"S{number:02d}-{n + 1:06d}",
            "name": person["name"],
            "national_id": person["national_id"],
            "test_type": "pcr" if n % 3 else "antigen",
            "pathogen": "SARS-CoV-2",
            "collected_at": f"2026-11-{10 + n % 15:02d}T09:{n % 60:02d}:00+08:00",
            "result": "positive" if rng.random() < 0.08 else "negative",
            "lab_name": f"{district.name_zh}人民医院检验科",
            "area_code": person["area_path"],
        }
        for n, person in enumerate(people)
    ]


def _stock_rows(district: AreaInfo, number: int) -> list[dict]:
    rng = random.Random(1000 + number)
    return [
        {
            "warehouse_code": f"W{number:02d}",
            "warehouse_name": f"{district.name_zh}应急物资储备库",
            "area_code": district.code,
            "material_code": code,
            "material_name": name,
            "category": category,
            "unit": unit,
            "quantity": str(rng.randrange(200, 20000, 10)),
            "stock_date": "2026-11-26",
        }
        for code, name, category, unit in MATERIALS
    ]


def _owner(district: AreaInfo, kind: str, department_type: str = "") -> int | None:
    found = organisations_of(kind=kind, department_type=department_type, under_path=district.path)
    return found[0].id if found else None


def _dataset(
    district: AreaInfo,
    number: int,
    *,
    standard: str,
    owner_id: int | None,
    names: tuple[str, str],
    rows: Callable[[AreaInfo, int], list[dict]],
    encoding: str = "utf-8",
) -> tuple[int, dict] | None:
    """Create one dataset and fill it by an import of a file shaped like real exports."""
    if owner_id is None:
        return None
    dataset_id = dataset_create(
        actor=SYSTEM,
        owner_id=owner_id,
        schema_id=schema_version_id(standard),
        name_zh=names[0],
        name_en=names[1],
        area_id=district.id,
    )
    table = rows(district, number)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{standard}-{district.code}.csv"
        with path.open("w", encoding=encoding, newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(table[0]))
            writer.writeheader()
            writer.writerows(table)
        result = import_file(actor=SYSTEM, dataset_id=dataset_id, path=str(path))
    return dataset_id, result


def exchange_demo_ensure() -> list[str]:
    """Create the demo datasets, imports and agreements once; returns lines for the console."""
    standards_sync()
    lines = []
    first_cases: int | None = None
    for number, district in enumerate(areas_at_level(Level.DISTRICT), start=1):
        name_en = f"{district.name_en} case reports"
        if dataset_ids_named(name_en):
            continue
        cases = _dataset(
            district,
            number,
            standard="case_report",
            owner_id=_owner(district, "department", "health_commission"),
            names=(f"{district.name_zh}传染病报告", name_en),
            rows=_case_rows,
            encoding="gb18030",  # as hospitals export
        )
        if cases is None:
            continue
        dataset_publish(dataset_id=cases[0], dimensions=["area:street", "case_type"])
        first_cases = first_cases or cases[0]
        tests = _dataset(
            district,
            number,
            standard="test_result",
            owner_id=_owner(district, "hospital"),
            names=(f"{district.name_zh}核酸与抗原检测结果", f"{district.name_en} test results"),
            rows=_test_rows,
        )
        stock = _dataset(
            district,
            number,
            standard="material_stock",
            owner_id=_owner(district, "department", "emergency_management"),
            names=(f"{district.name_zh}应急物资库存", f"{district.name_en} emergency stock"),
            rows=_stock_rows,
        )
        if stock:
            dataset_publish(dataset_id=stock[0], dimensions=[])
        lines.append(
            f"{district.name_en}: {cases[1]['created']} case reports imported, "
            f"{cases[1]['rejected']} rows waiting for correction; "
            f"{tests[1]['created'] if tests else 0} test results; "
            f"{stock[1]['created'] if stock else 0} stock lines (open data)"
        )
    if first_cases is not None:
        lines += _agreements(first_cases)
    return lines


def _agreements(dataset_id: int) -> list[str]:
    """One active agreement and one waiting for the owner, on the first district's cases."""
    city = areas_at_level(Level.CITY)[0]
    ngo = organisations_of(kind="ngo", under_path=city.path)
    civil = organisations_of(kind="department", department_type="civil_affairs")
    lines = []
    if ngo:
        agreement_ensure(
            dataset_id=dataset_id,
            consumer_id=ngo[0].id,
            fields=["report_id", "case_type", "name", "phone", "area_code"],
            purpose="relief",
            legal_basis="《突发事件应对法》第五十六条：受影响人员的生活救助",
            days=90,
            approve=True,
        )
        lines.append(f"Agreement approved: {ngo[0].name_en} reads case reports for relief")
    if civil:
        agreement_ensure(
            dataset_id=dataset_id,
            consumer_id=civil[0].id,
            fields=["case_type", "age", "area_code", "report_date"],
            purpose="statistics",
            legal_basis="《统计法》第七条",
            days=180,
            approve=None,
        )
        lines.append(f"Agreement waiting for a decision: {civil[0].name_en} asks for statistics")
    return lines
