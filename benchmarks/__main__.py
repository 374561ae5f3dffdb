"""`make bench`: run every benchmarks/bench_*.py (or those named) and print their ratios.

Each benchmark module has `main(argv: list[str]) -> None`; it measures the platform's path
against a named baseline in the same run and prints ratios. Benchmarks are not tests.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    here = Path(__file__).parent
    names = [m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")]
    wanted = [a for a in argv if not a.startswith("-")] or names
    for name in sorted(names):
        if name not in wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"\n=== {name}", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").main(argv)
        print(f"--- {name} took {time.perf_counter() - started:.1f}s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
