"""Scoping overhead: the first page of a scoped resident list against the same query unscoped.

A grid worker's list and a district officer's paginated list in the `large` city (1,000,000
residents), on SQLite and on PostgreSQL when it answers. Baseline: the same ordered, limited query
without the scope filter. Prints p50/p99 per query and the scoped/unscoped ratio (target < 2x).

Usage: `make bench` or `python -m benchmarks scoping [size=large] [repeats=200]`.
The bench databases are kept (var/bench/ and PostgreSQL database crisisgov_bench) and reused
when they already hold a city of that size and seed.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.legs import leg_env, postgres_or_sqlite, run_leg

ROOT = Path(__file__).resolve().parents[1]
SEED = 7
PG_URL = os.environ.get(
    "CRISISGOV_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/crisisgov_bench"
)


def _options(argv: list[str]) -> dict[str, str]:
    return dict(a.split("=", 1) for a in argv if "=" in a)


def main(argv: list[str]) -> None:
    options = _options(argv)
    size, repeats = options.get("size", "large"), options.get("repeats", "200")
    legs = [("sqlite", "")]
    if postgres_or_sqlite(PG_URL):
        legs.append(("postgresql", PG_URL))
    else:
        print("PostgreSQL does not answer: only the SQLite leg runs")
    for name, url in legs:
        env = leg_env(url, f"var/bench/{size}")
        args = [size, str(SEED), repeats]
        _report(name, run_leg("benchmarks.scoping_leg", args, env, name))


def _report(database: str, result: dict) -> None:
    print(f"\n{database}: {result['residents']:,} residents")
    print(f"{'query':<44}{'p50 ms':>9}{'p99 ms':>9}{'rows':>7}{'ratio p50':>11}{'ratio p99':>11}")
    for case in result["cases"]:
        base = case["baseline"]
        for label, stats in (("baseline: unscoped", base), ("scoped", case["scoped"])):
            ratio50 = stats["p50"] / base["p50"]
            ratio99 = stats["p99"] / base["p99"]
            print(
                f"{case['name'] + ' / ' + label:<44}{stats['p50']:>9.3f}{stats['p99']:>9.3f}"
                f"{stats['rows']:>7}{ratio50:>10.2f}x{ratio99:>10.2f}x"
            )
