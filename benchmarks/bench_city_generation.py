"""City generation: throughput (residents/s) and peak memory of `crisisgov city generate`.

Measured: `crisisgov city generate --size large` into a throw-away SQLite database (a temporary
CRISISGOV_VAR_DIR), run as a child process. Baseline, in the same run: the pure spec stream
(crisisgov.drills.citygen alone, no database), also as a child process, so each has its own
peak RSS. Throughput is residents per second of each child's own timing, and per CPU second of the
whole child (user + system: other load on the machine does not inflate it, start-up does).

argv: `size=small` for a quick run (default `large`), `seed=N` (default 2020).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SPEC_STREAM = """
import sys, time
from crisisgov.directory import idnumber
from crisisgov.drills.citygen import ResidentSpec, generate_city
seed, size = int(sys.argv[1]), sys.argv[2]
started = time.perf_counter()
residents = sum(
    isinstance(spec, ResidentSpec)
    for spec in generate_city(seed, size, make_national_id=idnumber.make)
)
print(f"residents: {residents}")
print(f"seconds: {time.perf_counter() - started:.3f}")
"""


@dataclass(frozen=True)
class Run:
    residents: int
    seconds: float  # as the child timed its work (without interpreter and Django start-up)
    cpu: float  # user + system seconds of the whole child
    peak_rss_mb: float

    def line(self, label: str) -> str:
        return (
            f"  {label:<46} {self.residents / self.seconds:>9,.0f} residents/s"
            f"  {self.residents / self.cpu:>9,.0f} per CPU-s"
            f"  {self.seconds:>7.1f} s  peak RSS {self.peak_rss_mb:>6.0f} MB"
        )


def _run(command: list[str], env: dict[str, str]) -> Run:
    """Run a child to the end; its own rusage comes from wait4 (RUSAGE_CHILDREN would mix in
    every earlier child, such as the migration)."""
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{output}")
    residents = re.search(r"residents: (\d+)", output)
    seconds = re.search(r"seconds: ([\d.]+)", output)
    assert residents and seconds, output
    # ru_maxrss is in KiB on Linux.
    cpu = usage.ru_utime + usage.ru_stime
    return Run(int(residents[1]), float(seconds[1]), cpu, usage.ru_maxrss / 1024)


def _crisisgov() -> list[str]:
    script = Path(sys.executable).with_name("crisisgov")
    return [str(script)] if script.exists() else [sys.executable, "-m", "crisisgov"]


def main(argv: list[str]) -> None:
    options = dict(arg.split("=", 1) for arg in argv if "=" in arg)
    size, seed = options.get("size", "large"), options.get("seed", "2020")
    with tempfile.TemporaryDirectory(prefix="crisisgov-bench-city-") as var_dir:
        env = {**os.environ, "CRISISGOV_VAR_DIR": var_dir}
        env.pop("DATABASE_URL", None)  # the embedded SQLite database in var_dir
        baseline = _run([sys.executable, "-c", SPEC_STREAM, seed, size], env)
        subprocess.run([*_crisisgov(), "migrate", "-v0"], env=env, check=True)
        platform = _run([*_crisisgov(), "city", "generate", "--seed", seed, "--size", size], env)
    assert platform.residents == baseline.residents
    print(f"city generation, size {size}, seed {seed}: {platform.residents:,} residents")
    print(baseline.line("baseline: spec stream only (citygen, no DB)"))
    print(platform.line("crisisgov city generate (SQLite, encrypted)"))
    # Both runs make the same residents, so a throughput ratio is a ratio of times.
    print(
        f"  generate/baseline: throughput {baseline.seconds / platform.seconds:.2f}x (own timing),"
        f" {baseline.cpu / platform.cpu:.2f}x (per CPU-s); peak RSS"
        f" {platform.peak_rss_mb / baseline.peak_rss_mb:.1f}x"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
