"""Reservation surge: the edge (Starlette on granian + the Redis Lua script) deployed as in
production on loopback, driven by wrk at 1x, 5x and 10x its capacity.

Deployed: PostgreSQL (database CRISISGOV_BENCH_SURGE_URL, default crisisgov_bench_surge), our
own redis-server (appendonly yes, appendfsync always), the edge on granian (2 workers), Django
on gunicorn (WSGI, 2 workers x 4 threads) and `crisisgov worker` writing reservations behind.
Load: wrk with benchmarks/reserve.lua — every request a distinct resident with its own edge pass
and idempotency key; a 429 delays the client by Retry-After. Capacity (1x) is as many
connections as the edge admits at once (workers x CRISISGOV_EDGE_MAX_IN_FLIGHT); 5x and 10x are
five and ten times as many clients. A probe beside wrk times single requests: the p50/p99 of
the admitted ones (not 429) is the latency a citizen who gets through sees.

Printed: goodput (accepted + correctly refused per second), p50/p99 of admitted requests, 429
rate; after draining the write-behind, zero oversell and zero lost are checked in PostgreSQL.
Baselines in the same run: redis-benchmark's raw EVALSHA rate of the same script (ratio peak
goodput / raw, goal >= 25%); a naive Django `select_for_update` implementation of the same
endpoint (below, served by the same gunicorn; goal: the edge >= 4x); the cost of AOF `always`
against `everysec` and no AOF. Bounded: about three minutes.

Usage: `make bench` or `python -m benchmarks reservations [seconds=10]`.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from benchmarks.legs import ROOT, leg_env, postgres_or_sqlite, run_leg

PG_URL = os.environ.get(
    "CRISISGOV_BENCH_SURGE_URL", "postgres://postgres@127.0.0.1:5432/crisisgov_bench_surge"
)
VAR_DIR = "var/bench/surge"
EDGE_WORKERS = 2
MAX_IN_FLIGHT = 32  # as the edge's default (CRISISGOV_EDGE_MAX_IN_FLIGHT)
DJANGO_WORKERS, DJANGO_THREADS = 2, 4
WRK_THREADS = 2
PERSONS = 100_000  # request lines: distinct residents
SMALL_STOCK, LARGE_STOCK = 100, 1_000_000
PHARMACIES = 10  # per path: half with a small stock that sells out, half with plenty


def _options(argv: list[str]) -> dict[str, str]:
    return dict(a.split("=", 1) for a in argv if "=" in a)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a benchmark server exited ({process.args!r})")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


@dataclass
class Deployment:
    """The processes of one benchmark run; `stop()` ends every one of them (and only them)."""

    database_url: str
    env: dict[str, str] = field(default_factory=dict)
    redis_port: int = 0
    edge_port: int = 0
    django_port: int = 0
    processes: list[subprocess.Popen] = field(default_factory=list)
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="crisisgov-bench-")))
    worker: subprocess.Popen | None = None

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def start(self, *, worker: bool = True, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.redis_port = _redis_port()
        self._spawn(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.tmp),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],  # fmt: skip
            self.redis_port,
        )
        self.env = leg_env(
            self.database_url,
            VAR_DIR,
            REDIS_URL=self.redis_url,
            CRISISGOV_EDGE_MAX_IN_FLIGHT=str(max_in_flight),
        )
        run_django(["migrate", "--verbosity", "0"], self.env)
        self.edge_port, self.django_port = free_port(), free_port()
        self._spawn(
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "asgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.edge_port),
                "--workers",
                str(EDGE_WORKERS),
                "--no-ws",
                "--log-level",
                "warning",
                "crisisgov.edge.app:app",
            ],  # fmt: skip
            self.edge_port,
        )
        self._spawn(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "benchmarks.bench_reservations:naive_application()",
                "--bind",
                f"127.0.0.1:{self.django_port}",
                "--workers",
                str(DJANGO_WORKERS),
                "--threads",
                str(DJANGO_THREADS),
                "--log-level",
                "warning",
            ],  # fmt: skip
            self.django_port,
        )
        if worker:
            self.worker = self._spawn([sys.executable, "-m", "crisisgov", "worker"], 0)
        # Each process loads its app (Django: URLs, every app's API) on its first requests:
        # warm them all up before anything is timed.
        warm_up(self.edge_port, "/edge/health")
        warm_up(self.django_port, "/citizen/keys.json")

    def _spawn(self, command: list[str], port: int) -> subprocess.Popen:
        log = (self.tmp / f"{len(self.processes)}.log").open("w")
        process = subprocess.Popen(  # noqa: S603 (our own servers)
            command,
            env=self.env or None,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        if port:
            wait_for_port(port, process)
        return process

    def redis(self, *args: str) -> str:
        out = subprocess.run(  # noqa: S603
            ["redis-cli", "-p", str(self.redis_port), *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def warm_up(port: int, path: str, requests: int = 24) -> None:
    def get(_: int) -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", path)
        conn.getresponse().read()
        conn.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(get, range(requests)))


def _redis_port() -> int:
    for port in range(6391, 6400):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise SystemExit("no free port in 6391-6399 for the benchmark's redis-server")


def run_django(args: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "crisisgov", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        print(out.stdout[-2000:], out.stderr[-4000:])
        raise SystemExit(f"crisisgov {' '.join(args)} failed")
    return out.stdout


def run_role(
    role: str, args: list[str], env: dict[str, str], module: str = "benchmarks.bench_reservations"
) -> dict:
    """Run a role of a benchmark module in a Django process; its last output line, parsed."""
    return run_leg(module, [role, *args], env, role)


def wrk(url: str, script: str, args: list[str], *, connections: int, seconds: int) -> dict:
    out = subprocess.run(  # noqa: S603
        [
            "wrk",
            "-t",
            str(WRK_THREADS),
            "-c",
            str(max(connections, WRK_THREADS)),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "benchmarks" / script),
            url,
            "--",
            *args,
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 60,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        print(out.stdout[-2000:], out.stderr[-2000:])
        raise SystemExit("wrk failed")
    return json.loads(lines[-1])


class Probe:
    """Single requests beside the load, one at a time per thread: the latency of admitted ones."""

    def __init__(self, port: int, path: str, lines: list[str], threads: int = 2):
        self.port, self.path, self.lines = port, path, lines
        self.latencies: list[float] = []
        self.accepted = self.refused = self.busy = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(threads)]
        self._next = iter(range(len(lines)))
        self._lock = threading.Lock()

    def __enter__(self) -> Probe:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self, n: int) -> None:
        conn = HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self._stop.is_set():
            with self._lock:
                index = next(self._next, None)
            if index is None:
                return
            pass_, body = self.lines[index].split("\t", 1)
            headers = {"Content-Type": "application/json", "Cookie": f"crisisgov_edge={pass_}"}
            started = time.perf_counter()
            try:
                conn.request("POST", self.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except OSError:
                conn = HTTPConnection("127.0.0.1", self.port, timeout=10)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with self._lock:
                if response.status in (429, 503):
                    self.busy += 1
                else:
                    self.latencies.append(elapsed)
                    self.accepted += response.status == 201
                    self.refused += response.status == 409
            self._stop.wait(0.02)

    def percentiles(self) -> tuple[float, float, int]:
        if len(self.latencies) < 2:
            return float("nan"), float("nan"), len(self.latencies)
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[49], cuts[98], len(self.latencies)


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def main(argv: list[str]) -> None:
    options = _options(argv)
    seconds = int(options.get("seconds", "10"))
    for tool in ("wrk", "redis-server", "redis-benchmark"):
        if shutil.which(tool) is None:
            print(
                f"{tool} is not installed (`make bench-tools`):"
                " the reservation benchmark is skipped"
            )
            return
    url = postgres_or_sqlite(PG_URL)
    if not url:
        print("PostgreSQL does not answer: the reservation benchmark (as deployed) is skipped")
        return
    print(
        f"Shared machine ({os.cpu_count()} cores, other users' load included, load average"
        f" {os.getloadavg()[0]:.1f} at the start): numbers are noisy."
    )
    deployment = Deployment(url)
    try:
        deployment.start()
        _measure(deployment, seconds)
    finally:
        deployment.stop()


def _measure(d: Deployment, seconds: int) -> None:
    seeded = run_role("seed", [str(d.tmp / "requests"), str(PERSONS)], d.env)
    requests_file, naive_file = d.tmp / "requests.edge", d.tmp / "requests.naive"
    lines = read_lines(requests_file)
    edge_url = f"http://127.0.0.1:{d.edge_port}"
    django_url = f"http://127.0.0.1:{d.django_port}"
    capacity = EDGE_WORKERS * MAX_IN_FLIGHT
    results = []
    offset = 0
    budget = len(lines) // 8  # request lines per run
    probe_lines = lines[-budget:]
    for factor in (1, 5, 10):
        with Probe(d.edge_port, "/edge/reserve", probe_lines[: budget // 4]) as probe:
            run = wrk(
                edge_url,
                "reserve.lua",
                [str(requests_file), "/edge/reserve", str(offset), str(WRK_THREADS)],
                connections=capacity * factor,
                seconds=seconds,
            )
        probe_lines = probe_lines[budget // 4 :]
        offset += budget
        results.append((f"edge {factor}x ({capacity * factor} clients)", run, probe))

    # the cost of durability: the same 1x load with AOF everysec and with no AOF
    aof = {}
    for mode, config in (("everysec", ["appendfsync", "everysec"]), ("off", ["appendonly", "no"])):
        d.redis("CONFIG", "SET", *config)
        aof[mode] = wrk(
            edge_url,
            "reserve.lua",
            [str(requests_file), "/edge/reserve", str(offset), str(WRK_THREADS)],
            connections=capacity,
            seconds=max(3, seconds // 2),
        )
        offset += budget // 2
    d.redis("CONFIG", "SET", "appendonly", "yes")
    d.redis("CONFIG", "SET", "appendfsync", "always")
    raw = _redis_benchmark(d, seeded)

    naive = wrk(
        django_url,
        "reserve.lua",
        [str(naive_file), "/bench/naive-reserve", "0", str(WRK_THREADS)],
        connections=DJANGO_WORKERS * DJANGO_THREADS,
        seconds=seconds,
    )
    drained = run_django(["reservations", "drain"], d.env)
    check = run_role("check", [], d.env)
    _report(results, aof, raw, naive, check, drained, seconds)


def _goodput(run: dict) -> float:
    return (run["accepted"] + run["replayed"] + run["refused"]) / run["seconds"]


def _redis_benchmark(d: Deployment, seeded: dict) -> dict[str, float]:
    """The reservation script alone, straight into Redis: every call a new person and key, so
    every call takes the accepting path (stock, quota, idempotency record, stream entry)."""
    sha = d.redis("SCRIPT", "LOAD", seeded["lua"])
    stock, stream = "crisisgov:bench:stock", "crisisgov:bench:stream"
    d.redis("HSET", stock, "total", "1000000000", "left", "1000000000")
    now_ms = str(int(time.time() * 1000))
    command = [
        "EVALSHA", sha, "5", stock, "crisisgov:bench:quota:__rand_int__",
        "crisisgov:bench:idem:__rand_int__", "crisisgov:bench:r:__rand_int__", stream,
        "rid__rand_int__", "CODE2345", "mask", "1", "2026-11-27", "person__rand_int__", "1",
        "key__rand_int__", "hash", "1", "1", "604800000", now_ms, "691200000", now_ms,
    ]  # fmt: skip
    rates = {}
    for mode, config in (
        ("always", ["appendfsync", "always"]),
        ("everysec", ["appendfsync", "everysec"]),
        ("off", ["appendonly", "no"]),
    ):
        d.redis("CONFIG", "SET", *config)
        out = subprocess.run(  # noqa: S603
            [
                "redis-benchmark",
                "-p",
                str(d.redis_port),
                "-n",
                "20000",
                "-c",
                "50",
                "-r",
                "100000000",
                "--csv",
                *command,
            ],  # fmt: skip
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        last = [line for line in out.stdout.splitlines() if line.startswith('"')][-1]
        rates[mode] = float(last.split(",")[1].strip('"'))
        d.redis("DEL", stream)
    d.redis("CONFIG", "SET", "appendonly", "yes")
    d.redis("CONFIG", "SET", "appendfsync", "always")
    for pattern in ("crisisgov:bench:*",):
        keys = d.redis("--scan", "--pattern", pattern).split()
        for start in range(0, len(keys), 1000):
            d.redis("DEL", *keys[start : start + 1000])
    return rates


def _report(results, aof, raw, naive, check, drained, seconds) -> None:
    print(
        f"\nreservations through the edge, {seconds} s per level (wrk, clients honour Retry-After)"
    )
    header = f"{'load':<28}{'goodput/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'n':>6}{'429 %':>8}"
    print(header + f"{'accepted':>10}{'refused':>9}{'other':>7}")
    peak = 0.0
    for label, run, probe in results:
        goodput = _goodput(run)
        peak = max(peak, goodput)
        p50, p99, n = probe.percentiles()
        busy = 100 * (run["busy"] + run["unavailable"]) / max(1, run["responses"])
        print(
            f"{label:<28}{goodput:>11.0f}{p50:>9.1f}{p99:>9.1f}{n:>6}{busy:>7.1f}%"
            f"{run['accepted']:>10}{run['refused']:>9}{run['other'] + run['socket_errors']:>7}"
        )
    last = _goodput(results[-1][1])
    print(f"goodput at 10x / peak: {last / peak:.0%} (goal >= 90%)")
    print(f"p99 of admitted requests at 10x: {results[-1][2].percentiles()[1]:.1f} ms (goal < 200)")
    always = _goodput(results[0][1])
    print("\nRedis durability (same 1x load through the edge; and raw EVALSHA by redis-benchmark)")
    print(f"{'AOF':<12}{'edge goodput/s':>16}{'raw EVALSHA/s':>16}")
    print(f"{'always':<12}{always:>16.0f}{raw['always']:>16.0f}")
    for mode in ("everysec", "off"):
        print(f"{mode:<12}{_goodput(aof[mode]):>16.0f}{raw[mode]:>16.0f}")
    print(
        f"cost of appendfsync always: edge {1 - always / _goodput(aof['off']):.0%} of the no-AOF"
        f" goodput, raw script {1 - raw['always'] / raw['off']:.0%}"
    )
    naive_goodput = _goodput(naive)
    print(
        f"naive Django ({DJANGO_WORKERS * DJANGO_THREADS} clients): {naive_goodput:.0f}/s,"
        f" wrk p50 {naive['p50_ms_all']:.1f} ms p99 {naive['p99_ms_all']:.1f} ms, accepted"
        f" {naive['accepted']}, refused {naive['refused']}, other {naive['other']}"
    )
    print(
        "\npeak edge goodput / raw EVALSHA rate (AOF always):"
        f" {peak / raw['always']:.0%} (goal >= 25%)"
    )
    print(
        f"peak edge goodput / naive Django select_for_update ({naive_goodput:.0f}/s,"
        f" {DJANGO_WORKERS}x{DJANGO_THREADS} gunicorn): {peak / naive_goodput:.1f}x (goal >= 4x)"
    )
    print(f"\nafter `crisisgov reservations drain` ({drained.strip()}):")
    print(
        f"  reservations in PostgreSQL: {check['rows']} (Redis accepted {check['redis_taken']},"
        f" lost {check['lost']}); oversold pharmacies: {check['oversold']};"
        f" persons over quota: {check['over_quota']}; stock rows out of step: {check['mismatched']}"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if check["lost"] or check["oversold"] or check["over_quota"] or check["mismatched"]:
        raise SystemExit("an invariant is broken: see above")


# --- roles run in a Django process: seed, check, and the naive endpoint ------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisgov.config.settings")
    import django

    django.setup()


def seed(requests_file: str, persons: int) -> dict:
    """A bench account, the item, pharmacies with stock (in PostgreSQL and in Redis), and the
    request lines: one distinct resident, pass and idempotency key each."""
    import datetime as dt

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from crisisgov.citizen import edge_pass
    from crisisgov.citizen.publishing import redis_client
    from crisisgov.citizen.reservations import store
    from crisisgov.citizen.reservations.models import PharmacyStock, RationedItem, Reservation
    from crisisgov.directory.idnumber import make
    from crisisgov.directory.models import Organisation
    from crisisgov.geo.levels import Level, path_from_code
    from crisisgov.geo.models import Area
    from crisisgov.kernel import pii

    area, _ = Area.objects.get_or_create(
        code="990100000000",
        defaults={
            "path": path_from_code("990100000000", Level.CITY),
            "level": Level.CITY,
            "name_zh": "基准市",
            "name_en": "Bench City",
        },
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-surge")
    item, _ = RationedItem.objects.get_or_create(
        code="mask",
        defaults={
            "name_zh": "口罩",
            "name_en": "masks",
            "quota_quantity": 1,
            "quota_days": 7,
            "area_path": area.path,
        },  # fmt: skip
    )
    # a fresh run: the previous run's reservations and counters go
    Reservation.objects.all().delete()
    PharmacyStock.objects.all().delete()
    client = redis_client()
    for key in client.scan_iter("crisisgov:res:*", count=1000):
        client.delete(key)
    today = timezone.localdate()
    redis_store = store.RedisStore(client)
    pharmacies: dict[str, list[int]] = {"edge": [], "naive": []}
    for path in pharmacies:
        for n in range(PHARMACIES):
            org = Organisation.objects.create(
                kind="pharmacy", name_zh=f"药店{n}", name_en=f"Pharmacy {n}", area=area,
                area_path=area.path,
            )  # fmt: skip
            quantity = SMALL_STOCK if n % 2 == 0 else LARGE_STOCK
            PharmacyStock.objects.create(
                pharmacy=org, item=item, day=today, quantity=quantity, area_path=area.path,
                published_at=timezone.now(),
            )  # fmt: skip
            if path == "edge":
                redis_store.publish_stock(
                    item="mask", pharmacy_id=org.pk, day=today, total=quantity, taken=0
                )
            pharmacies[path].append(org.pk)
    key = edge_pass.pass_key(settings.SECRET_KEY)
    ring = pii.key_ring()
    rng = random.Random(7)
    now = time.time()
    # the naive endpoint gets residents and pharmacies of its own: its reservations bypass Redis
    ranges = {"edge": range(persons), "naive": range(persons, persons + persons // 8)}
    for path, people in ranges.items():
        with open(f"{requests_file}.{path}", "w") as out:
            for n in people:
                birth = dt.date(1950, 1, 1) + dt.timedelta(days=n // 1000)
                number = make("990101", birth, n % 1000)
                index = pii.blind_index(number, context="blind-index.national_id", ring=ring)
                text = edge_pass.pass_issue(
                    key=key, account_id=user.pk, residents=[(n + 1, index)], now=now, lifetime=3600
                )
                body = {
                    "item": "mask",
                    "pharmacy_id": rng.choice(pharmacies[path]),
                    "day": today.isoformat(),
                    "id_number": number,
                    "quantity": 1,
                    "idempotency_key": f"bench-{n}-{rng.getrandbits(48):012x}",
                }
                out.write(f"{text}\t{json.dumps(body, separators=(',', ':'))}\n")
    return {"lua": store.RESERVE_LUA, "edge": pharmacies["edge"], "naive": pharmacies["naive"]}


def check() -> dict:
    """After the drain: nothing Redis accepted is missing, nothing oversold, no quota breached."""
    from django.db.models import Count, Sum
    from django.utils import timezone

    from crisisgov.citizen.publishing import redis_client
    from crisisgov.citizen.reservations import store
    from crisisgov.citizen.reservations.models import PharmacyStock, Reservation

    client = redis_client()
    rows = Reservation.objects.count()
    per_pharmacy = dict(Reservation.objects.values_list("pharmacy_id").annotate(n=Sum("quantity")))
    oversold = mismatched = redis_taken = 0
    for stock in PharmacyStock.objects.all():
        held = per_pharmacy.get(stock.pharmacy_id, 0)
        oversold += held > stock.quantity
        mismatched += held != stock.reserved
        counter = client.hgetall(store.stock_key("mask", stock.pharmacy_id, timezone.localdate()))
        if counter:
            redis_taken += int(counter[b"total"]) - int(counter[b"left"])
    redis_rows = Reservation.objects.filter(source="redis").count()
    over_quota = (
        Reservation.objects.values("person_key").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    return {
        "rows": rows,
        "redis_taken": redis_taken,
        "lost": max(0, redis_taken - redis_rows),
        "oversold": oversold,
        "mismatched": mismatched,
        "over_quota": over_quota,
    }


urlpatterns: list[Any] = []


def naive_application() -> Any:
    """Django (the platform's settings, middleware and URLs) plus the naive endpoint, for
    gunicorn: `benchmarks.bench_reservations:naive_application()`."""
    _django()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.urls import include, path

    urlpatterns[:] = [
        path("bench/naive-reserve", _naive_view()),
        path("", include(settings.ROOT_URLCONF)),
    ]
    settings.ROOT_URLCONF = __name__
    return get_wsgi_application()


def _naive_view() -> Any:
    """The same endpoint written the obvious Django way: lock the stock row with
    select_for_update, count the person's reservations, insert, update — one transaction."""
    import datetime as dt
    import secrets

    from django.conf import settings
    from django.db import IntegrityError, transaction
    from django.db.models import Sum
    from django.http import JsonResponse
    from django.utils import timezone
    from django.views.decorators.csrf import csrf_exempt

    from crisisgov.citizen import edge_pass
    from crisisgov.citizen.reservations import store
    from crisisgov.citizen.reservations.models import PharmacyStock, RationedItem, Reservation
    from crisisgov.directory import idnumber
    from crisisgov.kernel import pii

    key = edge_pass.pass_key(settings.SECRET_KEY)

    @csrf_exempt
    def naive_reserve(request: Any) -> JsonResponse:
        try:
            holder = edge_pass.pass_verify(
                request.COOKIES.get(edge_pass.COOKIE_NAME), key=key, now=time.time()
            )
        except edge_pass.PassRefused as refused:
            return JsonResponse({"detail": str(refused)}, status=401)
        try:
            body = json.loads(request.body)
            number = idnumber.validate(body["id_number"])
            item = RationedItem.objects.get(code=body["item"], active=True)
            quantity, pharmacy_id = int(body["quantity"]), int(body["pharmacy_id"])
            day = dt.date.fromisoformat(body["day"])
        except (ValueError, KeyError, TypeError, RationedItem.DoesNotExist):
            return JsonResponse({"detail": "invalid"}, status=422)
        person_key = pii.blind_index(number, context="blind-index.national_id")
        if person_key not in holder.id_indexes:
            return JsonResponse({"detail": "not yours"}, status=403)
        now = timezone.now()
        try:
            with transaction.atomic():
                done = Reservation.objects.filter(idempotency_key=body["idempotency_key"]).first()
                if done is not None:
                    return JsonResponse({"id": done.pk, "code": done.code}, status=200)
                stock = (
                    PharmacyStock.objects.select_for_update()
                    .filter(item=item, pharmacy_id=pharmacy_id, day=day)
                    .first()
                )
                if stock is None:
                    return JsonResponse({"detail": "not_open"}, status=409)
                used = (
                    Reservation.objects.filter(
                        item=item,
                        person_key=person_key,
                        state__in=store.ACTIVE_STATES,
                        created_at__gt=now - dt.timedelta(days=item.quota_days),
                    ).aggregate(n=Sum("quantity"))["n"]
                    or 0
                )
                if used + quantity > item.quota_quantity:
                    return JsonResponse({"detail": "quota_exceeded"}, status=409)
                if stock.reserved + quantity > stock.quantity:
                    return JsonResponse({"detail": "sold_out"}, status=409)
                reservation = Reservation.objects.create(
                    id=secrets.token_hex(16), code=store.new_code(), item=item,
                    pharmacy_id=pharmacy_id, day=day, person_key=person_key, quantity=quantity,
                    account_id=holder.account_id, idempotency_key=body["idempotency_key"],
                    body_hash="naive", created_at=now, pickup_deadline=now + store.PICKUP_WINDOW,
                    source="db",
                )  # fmt: skip
                stock.reserved += quantity
                stock.save(update_fields=["reserved"])
        except IntegrityError:
            return JsonResponse({"detail": "retry"}, status=409)
        return JsonResponse({"id": reservation.pk, "code": reservation.code}, status=201)

    return naive_reserve


if __name__ == "__main__":
    _django()
    role, args = sys.argv[1], sys.argv[2:]
    if role == "seed":
        print(json.dumps(seed(args[0], int(args[1]))))
    elif role == "check":
        print(json.dumps(check()))
    else:
        raise SystemExit(f"unknown role {role!r}")
