"""Import into a dataset: rows validated AND stored per second, and peak memory, against
`frictionless validate` (validation only) on the same case-report file, in the same run.

The issue's goal: at least 5x frictionless's rows per second for validation plus storage on
PostgreSQL, peak memory under 500 MB. Each leg runs in its own process so that its peak RSS is
its own. The file (default 1,000,000 rows, ~1% bad) is generated once into var/bench/.

Usage: `make bench` or `python -m benchmarks exchange_import [rows=1000000]`.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.bench_exchange_validation import _options, _write_file
from benchmarks.legs import leg_env, postgres_or_sqlite, run_leg
from crisisgov.exchange.tableschema import load_standard

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get(
    "CRISISGOV_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/crisisgov_bench_exchange"
)


def _leg(name: str, path: Path, database_url: str) -> dict:
    env = leg_env(database_url, "var/bench/exchange")
    return run_leg("benchmarks.exchange_import_leg", [name, str(path)], env, name)


def main(argv: list[str]) -> None:
    rows = int(_options(argv).get("rows", "1000000"))
    path = ROOT / "var/bench" / f"case_report-{rows}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_file(path, rows, load_standard("case_report"))
    print(f"{rows:,} case_report rows, {path.stat().st_size / 2**20:.1f} MiB")
    database = postgres_or_sqlite(PG_URL)
    up = bool(database)
    if not up:
        print("PostgreSQL does not answer: the import leg runs on SQLite")
    baseline = _leg("frictionless", path, database)
    ours = _leg("import", path, database)
    for label, r in (("baseline: frictionless validate", baseline), ("crisisgov import", ours)):
        print(
            f"{label:34} {r['rows'] / r['seconds']:>9,.0f} rows/s  "
            f"{r['rows'] / r['cpu']:>9,.0f} rows/CPU-s  {r['seconds']:7.1f}s  "
            f"peak RSS {r['maxrss_mb']:6.0f} MB  {r.get('note', '')}"
        )
    server = ours.get("server_cpu", 0.0)
    if server:
        print(
            f"{'  + its PostgreSQL backend':34} {'':>9}         "
            f"{ours['rows'] / (ours['cpu'] + server):>9,.0f} rows/CPU-s (import process + "
            f"backend: {ours['cpu']:.1f} + {server:.1f} CPU-s)"
        )
    base = baseline["rows"] / baseline["seconds"], baseline["rows"] / baseline["cpu"]
    wall = ours["rows"] / ours["seconds"] / base[0]
    cpu = ours["rows"] / ours["cpu"] / base[1]
    total = ours["rows"] / (ours["cpu"] + server) / base[1]
    print(
        f"ratio import (validate + store on {'PostgreSQL' if up else 'SQLite'}) / frictionless "
        f"(validate only): {wall:.2f}x rows/s (wall); per CPU-second {cpu:.2f}x counting the "
        f"import process only, {total:.2f}x counting its database backend too"
    )
