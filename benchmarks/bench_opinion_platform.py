"""Public opinion on the platform: messages stored by the intake (`message_receive`, as the web
processes call it) and understood by the analysis stage (`crisisgov opinion analyse`:
embedding, topic, sentiment, hot-spot count, rumor match against a 10,000-rumor knowledge base
stored in the database), each in its own processes, on PostgreSQL (SQLite when it does not
answer). Latency: from a message's store by the intake to the end of its batch's rumor
matching.

Baseline, in the same run: the analysers taking one message at a time (batch 1), which is
what analysing inside each request would cost, against micro-batches of 64.

argv: `kb=N` (10000), `rates=R,R,...` messages/s arriving (100,150,500), `seconds=S` of
stream per leg (12), `analysers=N` (2), `intakes=N` (2).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.legs import ROOT, leg_env, postgres_or_sqlite, run_leg

PG_URL = os.environ.get(
    "CRISISGOV_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/crisisgov_bench_opinion"
)
LEG = "benchmarks.opinion_platform_leg"
WARM_UP = 40.0  # seconds for the analysers to load the model and build the index


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 (our own module, our own arguments)
        [sys.executable, "-m", LEG, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def _last_json(process: subprocess.Popen) -> dict:
    out, _ = process.communicate(timeout=600)
    if process.returncode != 0:
        raise SystemExit(f"a leg failed ({process.args})")
    return json.loads(out.strip().splitlines()[-1])


def _postgres_cpu() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (its backends included,
    the exited ones too), read from /proc: the database's share, which the legs' clocks miss."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            if not fields[0].endswith("(postgres"):
                continue
            values = fields[1].split()
            # utime, stime, and the children's: a backend that exited counts in its parent's
            total += sum(int(v) for v in values[11:15])
        except (OSError, IndexError, ValueError):
            continue
    return total / ticks


def _run(env, *, rate: float, seconds: float, analysers: int, intakes: int, batch: int) -> dict:
    count = int(rate * seconds / intakes)
    database_cpu = _postgres_cpu()
    start = time.time() + WARM_UP
    workers = [_start(["analyse", str(batch), str(start)], env) for _ in range(analysers)]
    feeders = [
        _start(["intake", str(rate / intakes), str(count), str(100 + n), str(start)], env)
        for n in range(intakes)
    ]
    fed = [_last_json(p) for p in feeders]
    for worker in workers:
        worker.send_signal(signal.SIGTERM)  # they stop once nothing is pending
    done = [_last_json(w) for w in workers]
    database_cpu = _postgres_cpu() - database_cpu
    latencies = np.array([x for d in done for x in d["latencies"]])
    messages = sum(f["messages"] for f in fed)
    span = max(d["last_done"] for d in done) - min(d["first_received"] for d in done)
    sizes = [s for d in done for s in d["batch_sizes"]]
    return {
        "arrived_per_second": messages / max(f["seconds"] for f in fed),
        "analysed_per_second": len(latencies) / span,
        "p50_ms": float(np.percentile(latencies, 50) * 1000),
        "p95_ms": float(np.percentile(latencies, 95) * 1000),
        "intake_cpu_ms": float(np.mean([f["cpu_ms_per_message"] for f in fed])),
        "analyse_cpu_ms": sum(d["cpu_seconds"] for d in done) / len(latencies) * 1000,
        "mean_batch": float(np.mean(sizes)),
        "database_cpu_ms": database_cpu / len(latencies) * 1000,
        "intake_behind": sum(f["behind"] for f in fed),
        "messages": messages,
    }


def _line(label: str, figures: dict) -> str:
    return (
        f"  {label:<40} arrived {figures['arrived_per_second']:4.0f}/s, analysed "
        f"{figures['analysed_per_second']:4.0f}/s; intake to match p50 {figures['p50_ms']:,.0f} "
        f"ms, p95 {figures['p95_ms']:,.0f} ms; CPU/message: intake "
        f"{figures['intake_cpu_ms']:.1f} ms, analysis {figures['analyse_cpu_ms']:.1f} ms, "
        f"PostgreSQL {figures['database_cpu_ms']:.1f} ms; mean batch {figures['mean_batch']:.1f}"
    )


def main(argv: list[str]) -> None:
    options = dict(arg.split("=", 1) for arg in argv if "=" in arg)
    kb = int(options.get("kb", "10000"))
    rates = [float(r) for r in options.get("rates", "100,150,500").split(",")]
    seconds = float(options.get("seconds", "12"))
    analysers, intakes = int(options.get("analysers", "2")), int(options.get("intakes", "2"))
    database = postgres_or_sqlite(PG_URL)
    if not database:
        database = f"sqlite:///{ROOT / 'var/bench/opinion/bench.sqlite3'}"
        print("PostgreSQL does not answer: the legs run on SQLite")
    env = leg_env(database, "var/bench/opinion")
    (ROOT / "var/bench/opinion").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    loaded = run_leg(LEG, ["setup", str(kb)], env, "setup")
    print(
        f"knowledge base: {loaded['kb']:,} confirmed rumors in the database "
        f"({time.perf_counter() - started:.0f}s to set up); {intakes} intake and {analysers} "
        f"analyser processes on {os.cpu_count()} cores; {seconds:.0f}s of stream per leg"
    )
    ours = {}
    for rate in rates:
        ours[rate] = _run(
            env, rate=rate, seconds=seconds, analysers=analysers, intakes=intakes, batch=64
        )
        print(_line(f"micro-batches of 64, {rate:.0f}/s arriving", ours[rate]), flush=True)
    low = min(rates)
    base = _run(env, rate=low, seconds=seconds, analysers=analysers, intakes=intakes, batch=1)
    print(_line(f"one at a time (baseline), {low:.0f}/s", base))
    best = max(ours.values(), key=lambda f: f["analysed_per_second"])
    total = best["intake_cpu_ms"] + best["analyse_cpu_ms"] + best["database_cpu_ms"]
    print(
        f"  micro-batches / one at a time at {low:.0f}/s: "
        f"{base['p95_ms'] / ours[low]['p95_ms']:.1f}x lower p95, "
        f"{base['analyse_cpu_ms'] / ours[low]['analyse_cpu_ms']:.1f}x less analysis CPU per "
        f"message; at the highest rate {total:.1f} ms of CPU per message in all, i.e. "
        f"{1000 / total * (os.cpu_count() or 1):.0f} messages/s on these cores at most "
        f"(the issue's 500/s would take {500 * total / 1000:.1f} busy cores)"
    )
