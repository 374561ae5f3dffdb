"""One leg of bench_exchange_import, in its own process (its own settings and peak memory)."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path


def frictionless_leg(path: Path) -> dict:
    from benchmarks.bench_exchange_validation import _frictionless
    from crisisgov.exchange.tableschema import load_standard

    bad = _frictionless(path, load_standard("case_report"))
    return {"note": f"{bad:,} bad rows"}


def import_leg(path: Path) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisgov.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from crisisgov.directory.models import Organisation
    from crisisgov.exchange.imports import import_create, import_run
    from crisisgov.exchange.models import Dataset, Record, SchemaVersion
    from crisisgov.exchange.services import dataset_create, standards_sync
    from crisisgov.geo.models import Area
    from crisisgov.kernel.actor import SYSTEM

    call_command("migrate", verbosity=0)
    standards_sync()
    if connection.vendor == "postgresql":
        # Each run starts from an empty dataset, and without the last run's dead rows, which
        # would slow every index lookup until autovacuum came by.
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE exchange_record, exchange_recordchange CASCADE")
    else:
        Record.objects.all().delete()
    if not Area.objects.filter(code="420100000000").exists():
        # The areas the generated rows point at: district 420102, 12 streets x 30 communities.
        city = Area.objects.create(
            code="420100000000", path="4201", level=2, name_zh="武汉市", name_en="Wuhan"
        )
        district = Area.objects.create(
            code="420102000000",
            path="420102",
            level=3,
            parent=city,
            name_zh="江岸区",
            name_en="Jiang'an",
        )
        for s in range(1, 13):
            street = Area.objects.create(
                code=f"420102{s:03d}000",
                path=f"420102{s:03d}",
                level=4,
                parent=district,
                name_zh=f"街道{s}",
                name_en=f"Street {s}",
            )
            Area.objects.bulk_create(
                Area(
                    code=f"420102{s:03d}{c:03d}",
                    path=f"420102{s:03d}{c:03d}",
                    level=5,
                    parent=street,
                    name_zh=f"社区{c}",
                    name_en=f"Community {c}",
                )
                for c in range(1, 31)
            )
    owner, _ = Organisation.objects.get_or_create(
        name_en="Jiang'an health commission",
        defaults={
            "kind": "department",
            "department_type": "health_commission",
            "name_zh": "江岸区卫健委",
            "area": Area.objects.get(path="420102"),
            "area_path": "420102",
        },
    )
    dataset = Dataset.objects.filter(owner=owner).first() or Dataset.objects.get(
        pk=dataset_create(
            actor=SYSTEM,
            owner_id=owner.pk,
            schema_id=SchemaVersion.objects.get(name="case_report").pk,
            name_zh="病例报告",
            name_en="cases",
            area_id=Area.objects.get(path="420102").pk,
        ).pk
    )
    with path.open("rb") as upload:
        job = import_create(actor=SYSTEM, dataset_id=dataset.pk, upload=upload, filename=path.name)
    server_cpu = _server_cpu(connection)
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    started_server = server_cpu()
    job = import_run(job_id=job.pk)
    return {
        "seconds": time.perf_counter() - started_wall,
        "cpu": time.process_time() - started_cpu,
        "server_cpu": server_cpu() - started_server,
        "note": f"{job.rows_created:,} stored, {job.rows_rejected:,} rejected ({job.status})",
        "rows": job.rows_read,
    }


def _server_cpu(connection) -> Callable[[], float]:  # type: ignore[no-untyped-def]
    """CPU seconds used so far by this connection's PostgreSQL backend, when it runs on this
    machine (read from /proc); always 0 otherwise."""
    if connection.vendor != "postgresql":
        return lambda: 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return lambda: 0.0
    ticks = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    return used


def main(leg: str, path: str) -> None:
    file = Path(path)
    rows = sum(1 for _ in file.open(encoding="utf-8")) - 1
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    result = (frictionless_leg if leg == "frictionless" else import_leg)(file)
    result.setdefault("seconds", time.perf_counter() - started_wall)
    result.setdefault("cpu", time.process_time() - started_cpu)
    result.setdefault("rows", rows)
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
