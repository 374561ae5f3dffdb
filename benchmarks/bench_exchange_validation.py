"""Import validation: our streaming RowValidator against `frictionless validate` on the same file.

A case_report CSV of N rows (default 200,000, about 1% of them bad) is generated from a fixed
seed into a temporary folder; generating it is not timed. Each leg reads the whole file and gives
a verdict on every row:
- ours: csv.reader, header check, `RowValidator.validate` per row, with the standard as shipped
  (our ID-number, phone and area-code formats checked too);
- ours, plain: the same with those formats dropped, so it checks exactly what frictionless checks;
- frictionless: `frictionless.validate(path, schema=...)` with the plain schema.
Prints rows per wall second and per CPU second of each, the ratios, and the bad-row counts (the
plain leg and frictionless must agree on them).

Usage: `make bench` or `python -m benchmarks exchange_validation [rows=200000]`.
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from crisisgov.exchange.tableschema import (
    RowValidator,
    TableSchema,
    load_standard,
    national_id_check_char,
)

SEED = 2020
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
HOSPITALS = ("武汉市第一医院", "武汉市中心医院", "湖北省人民医院", "武汉市金银潭医院")


def _options(argv: list[str]) -> dict[str, str]:
    return dict(a.split("=", 1) for a in argv if "=" in a)


def _plain(schema: TableSchema) -> dict:
    """The descriptor without our semantic formats, which frictionless does not know."""
    descriptor = schema.to_descriptor()
    for spec in descriptor["fields"]:
        spec.pop("format", None)
    return descriptor


def _case_row(rng: random.Random, i: int) -> dict[str, str]:
    born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 29000))
    sequence = rng.randint(0, 999)
    first17 = f"420102{born:%Y%m%d}{sequence:03d}"
    onset = date(2024, 1, 1) + timedelta(days=rng.randint(0, 300))
    row = {
        "report_id": f"420102-2024-{i:07d}",
        "disease": "新型冠状病毒感染",
        "case_type": rng.choice(("confirmed", "confirmed", "suspected", "asymptomatic")),
        "severity": rng.choice(("mild", "mild", "moderate", "severe", "")),
        "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
        "national_id": first17 + national_id_check_char(first17),
        "sex": "1" if sequence % 2 else "2",
        "age": str(2024 - born.year),
        "phone": f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
        "area_code": f"420102{rng.randint(1, 12):03d}{rng.randint(1, 30):03d}",
        "address": f"解放大道{rng.randint(1, 2000)}号",
        "occupation": rng.choice(("工人", "学生", "离退人员", "医务人员", "")),
        "onset_date": onset.isoformat(),
        "diagnosis_date": (onset + timedelta(days=rng.randint(0, 3))).isoformat(),
        "report_date": (onset + timedelta(days=rng.randint(0, 5))).isoformat(),
        "reporting_org": rng.choice(HOSPITALS),
        "reporting_org_code": "12420000MB1234567X",
        "hospital": rng.choice(HOSPITALS + ("",)),
        "imported": rng.choice(("是", "否", "否", "否")),
    }
    if rng.random() < 0.01:  # the mistakes real files carry
        wrong_check = row["national_id"][:17] + ("1" if row["national_id"][17] == "0" else "0")
        field, value = rng.choice(
            [
                ("national_id", wrong_check),
                ("national_id", "4.20102E+17"),
                ("case_type", "确诊"),
                ("age", "七十"),
                ("report_date", "2024-02-30"),
                ("name", ""),
            ]
        )
        row[field] = value
    return row


def _write_file(path: Path, rows: int, schema: TableSchema) -> None:
    rng = random.Random(SEED)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=schema.field_names)
        writer.writeheader()
        for i in range(rows):
            writer.writerow(_case_row(rng, i))


def _ours(path: Path, schema: TableSchema) -> int:
    """Bad rows in the file, by RowValidator."""
    validator = RowValidator(schema)
    bad = 0
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.reader(source)
        header = next(reader)
        problems = validator.check_header(header)
        assert not problems, problems
        names, _ = schema.resolve_header(header)
        validate = validator.validate
        for number, cells in enumerate(reader, start=2):
            if validate(number, dict(zip(names, cells, strict=True)))[1]:  # type: ignore[arg-type]
                bad += 1
    return bad


def _frictionless(path: Path, schema: TableSchema) -> int:
    """Bad rows in the file, by frictionless."""
    import frictionless
    from frictionless import formats

    report = frictionless.validate(
        path.name,
        basepath=str(path.parent),
        schema=frictionless.Schema.from_descriptor(_plain(schema)),
        control=formats.CsvControl(delimiter=","),
        encoding="utf-8",
        limit_errors=10**9,  # the default (1000) would stop it early
    )
    rows = {number for (number,) in report.flatten(["rowNumber"])}
    assert None not in rows, report.flatten(["type", "note"])
    return len(rows)


def _timed(leg: Callable[[], int]) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    bad = leg()
    return bad, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str]) -> None:
    rows = int(_options(argv).get("rows", "200000"))
    shipped = load_standard("case_report")
    plain = TableSchema.from_descriptor(_plain(shipped))
    legs: list[tuple[str, Callable[[Path], int]]] = [
        ("ours (with ID/phone/area formats)", lambda p: _ours(p, shipped)),
        ("ours, plain Table Schema", lambda p: _ours(p, plain)),
    ]
    try:
        import frictionless
    except ImportError:
        print("frictionless is not installed: only our legs run")
    else:
        legs.append(
            (f"frictionless {frictionless.__version__}", lambda p: _frictionless(p, shipped))
        )

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case_report.csv"
        _write_file(path, rows, shipped)
        print(f"{rows:,} case_report rows, {path.stat().st_size / 2**20:.1f} MiB")
        results = {}
        for label, leg in legs:
            bad, wall, cpu = _timed(lambda leg=leg: leg(path))
            results[label] = (bad, wall, cpu)
            print(
                f"{label:36} {rows / wall:>10,.0f} rows/s  {rows / cpu:>10,.0f} rows/CPU-s  "
                f"{wall:6.1f}s  bad rows: {bad:,}"
            )
    if len(results) == 3:
        (_, full), (_, plain_run), (_, theirs) = results.items()
        for label, run in (("ours", full), ("ours, plain", plain_run)):
            print(
                f"ratio {label} / frictionless: {theirs[1] / run[1]:.1f}x rows/s, "
                f"{theirs[2] / run[2]:.1f}x rows/CPU-s"
            )
        agree = "agree" if plain_run[0] == theirs[0] else "DISAGREE"
        print(f"bad rows, plain leg vs frictionless: {plain_run[0]:,} vs {theirs[0]:,}: {agree}")
