"""Sensor ingestion: readings per second from MQTT to the database, end to end.

A publisher process sends N readings (default 100,000) with QoS 1 to the broker; the listener
(`SensorListener`: batches, one INSERT per batch, acknowledged after commit) stores them in
PostgreSQL when it answers, else SQLite. The clock runs from the publisher's start until the
last reading is stored. Goal: at least 5,000 readings/s on this machine.

Baseline, in the same run: a naive listener, one INSERT (autocommit) per message in paho's
callback, on `baseline=N` readings (default 20,000, as it is slow).

The broker is a Mosquitto of the benchmark's own on a free loopback port (big queues, no
persistence), or `url=mqtt://host:port` for another. Each leg runs in its own process.

Usage: `python -m benchmarks sensor_ingestion [readings=100000] [baseline=20000] [sensors=50]`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.bench_exchange_validation import _options
from benchmarks.legs import leg_env, postgres_or_sqlite, run_leg

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get(
    "CRISISGOV_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/crisisgov_bench_sensors"
)


def _own_broker(directory: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = directory / "mosquitto.conf"
    # Queues big enough that a listener behind the publisher loses nothing.
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n"
        "max_inflight_messages 0\n"
    )
    broker = subprocess.Popen(  # noqa: S603
        [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return broker, f"mqtt://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    broker.kill()
    raise SystemExit("mosquitto did not start")


def _leg(kind: str, url: str, readings: int, sensors: int, database_url: str) -> dict:
    env = leg_env(database_url, "var/bench/sensors", CRISISGOV_LOG_LEVEL="WARNING")
    args = ["listen", kind, url, str(readings), str(sensors)]
    return run_leg("benchmarks.sensor_ingestion_leg", args, env, kind)


def main(argv: list[str]) -> None:
    options = _options(argv)
    readings = int(options.get("readings", "100000"))
    baseline_readings = int(options.get("baseline", "20000"))
    sensors = int(options.get("sensors", "50"))
    database = postgres_or_sqlite(PG_URL)
    if not database:
        print("PostgreSQL does not answer: the legs run on SQLite")
    (ROOT / "var/bench/sensors").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        broker = None
        url = options.get("url", "")
        if not url:
            broker, url = _own_broker(Path(directory))
        try:
            naive = _leg("naive", url, baseline_readings, sensors, database)
            ours = _leg("batched", url, readings, sensors, database)
        finally:
            if broker is not None:
                broker.terminate()
                broker.wait(10)
    print(
        f"{readings:,} readings of {sensors} sensors, QoS 1, broker {url}, "
        f"database {ours['database']}"
    )
    for label, r in (
        ("baseline: one INSERT per message", naive),
        ("crisisgov sensors listen", ours),
    ):
        print(
            f"{label:34} {r['readings'] / r['seconds']:>9,.0f} readings/s  "
            f"{r['readings'] / r['cpu']:>9,.0f} per listener CPU-s  {r['seconds']:7.1f}s  "
            f"rows {r['rows']:,}  (publisher alone: {r['readings'] / r['publish_seconds']:,.0f}/s)"
        )
    ratio = (ours["readings"] / ours["seconds"]) / (naive["readings"] / naive["seconds"])
    rate = ours["readings"] / ours["seconds"]
    print(
        f"ratio listener / baseline: {ratio:.2f}x readings/s end to end; "
        f"goal >= 5,000/s: {'met' if rate >= 5000 else 'NOT met'} ({rate:,.0f}/s)"
    )
