"""Chaos: the edge, the write-behind worker and Redis are killed (SIGKILL) in the middle of a
reservation surge and started again; after a drain, every reservation a client was told was
accepted is in PostgreSQL exactly once, no pharmacy is oversold and nobody exceeds the quota.

Our own redis-server (appendonly yes, appendfsync always: a reply means the write is on disk),
a granian edge and a `crisisgov worker`, on the PostgreSQL test database. Runs on the
PostgreSQL leg; the embedded SQLite test database cannot be shared with other processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter

import httpx2 as httpx
import pytest
import redis
from django.utils import timezone

from crisisgov.citizen import edge_pass
from tests.test_edge_support import (
    ITEM,
    ROOT,
    edge_pass_for,
    free_port,
    make_citizen,
    make_pharmacy,
    needs_postgres,
    process_env,
    start_edge,
    start_redis,
    stop,
)

pytestmark = pytest.mark.django_db(transaction=True)
STOCK = 40  # per pharmacy; 100 people try both pharmacies
PEOPLE = 100
CONCURRENT = 40


def redis_port() -> int:
    """The first free port of the range this suite's own redis-servers use."""
    for port in range(6391, 6400):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip("no free port in 6391-6399 for a redis-server")


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the process and its children (granian's workers): no chance to clean up."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def start_worker(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "crisisgov", "worker", "--interval", "0.2"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_killing_edge_worker_and_redis_mid_surge_loses_nothing(city, make_user, tmp_path):
    from crisisgov.citizen.reservations import store
    from crisisgov.citizen.reservations.models import PharmacyStock, Reservation

    needs_postgres()
    if shutil.which("redis-server") is None:
        pytest.skip("Debian's redis-server is not installed")
    port = redis_port()
    data = tmp_path / "redis"
    data.mkdir()
    redis_server = start_redis(port, data)
    redis_url = f"redis://127.0.0.1:{port}/0"
    env = process_env(REDIS_URL=redis_url, CRISISGOV_EDGE_MAX_IN_FLIGHT="8")
    edge = worker = None
    log = (tmp_path / "processes.log").open("w")
    try:
        people = [make_citizen(make_user, city, n) for n in range(PEOPLE)]
        # the stock rows in the database, the counters in our Redis
        pharmacies = [_pharmacy(city, redis_url, store, make_pharmacy) for _ in range(2)]
        plans = _plans(people, pharmacies)
        edge_port = free_port()
        edge = start_edge(edge_port, env, workers=2, log=log)
        worker = start_worker(env, log)
        processes = {"edge": edge, "worker": worker, "redis": redis_server}
        moments: dict[str, int] = {}

        async def chaos(answers: list) -> None:
            # mid-surge: once a quarter of the requests have their answer
            while len(answers) < len(plans) // 4:
                await asyncio.sleep(0.01)
            for name in ("edge", "worker", "redis"):
                await asyncio.to_thread(kill, processes[name])
            moments["killed"] = len(answers)
            await asyncio.sleep(0.3)
            processes["redis"] = await asyncio.to_thread(start_redis, port, data)
            processes["edge"] = await asyncio.to_thread(start_edge, edge_port, env, 2, log)
            processes["worker"] = await asyncio.to_thread(start_worker, env, log)
            moments["restarted"] = len(answers)

        started = time.monotonic()
        answers = asyncio.run(_surge(f"http://127.0.0.1:{edge_port}", plans, chaos))
        assert time.monotonic() - started < 45
        edge, worker, redis_server = processes["edge"], processes["worker"], processes["redis"]
        stop(edge)
        stop(worker)
        drained = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "crisisgov", "reservations", "drain"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert drained.returncode == 0, drained.stdout + drained.stderr
        # what the restarted Redis counts (replayed from its append-only file)
        client = redis.Redis.from_url(redis_url)
        taken = {
            p.pk: int(c[b"total"]) - int(c[b"left"])
            for p in pharmacies
            for c in [client.hgetall(store.stock_key(ITEM, p.pk, timezone.localdate()))]
        }
        client.close()
    finally:
        for process in (edge, worker, redis_server):
            stop(process)
        log.close()

    # the kill came mid-surge: requests were still coming, and answered after the restart
    assert moments["killed"] <= moments["restarted"] < len(plans) - CONCURRENT
    statuses = Counter(status for _, status, _ in answers)
    assert set(statuses) <= {200, 201, 409}, statuses
    accepted = {
        body["reservation_id"]: plan for plan, status, body in answers if status in (200, 201)
    }
    assert accepted, "no reservation got through"
    rows = list(Reservation.objects.values_list("id", "pharmacy_id", "person_key"))
    ids = Counter(r[0] for r in rows)
    # every reservation a client saw accepted is there, exactly once
    assert not set(accepted) - set(ids), "accepted reservations are missing"
    assert max(ids.values()) == 1
    # nobody holds more than one box a week, no pharmacy gave out more than its stock
    assert max(Counter(r[2] for r in rows).values()) == 1
    for pharmacy in pharmacies:
        held = sum(1 for r in rows if r[1] == pharmacy.pk)
        assert held <= STOCK
        assert PharmacyStock.objects.get(pharmacy=pharmacy).reserved == held
        assert taken[pharmacy.pk] == held  # Redis lost none of the units it had handed out
    assert len(rows) == 2 * STOCK  # the surge outlasted the stock: all of it was sold


def _pharmacy(city, redis_url: str, store, make_pharmacy):
    import redis
    from django.test import override_settings

    with override_settings(REDIS_URL=""):
        pharmacy = make_pharmacy(city, stock=STOCK)
    client = redis.Redis.from_url(redis_url)
    store.RedisStore(client).publish_stock(
        item=ITEM, pharmacy_id=pharmacy.pk, day=timezone.localdate(), total=STOCK, taken=0
    )
    client.close()
    return pharmacy


def _plans(people, pharmacies) -> list[dict]:
    plans = []
    for citizen in people:
        headers = {"Cookie": f"{edge_pass.COOKIE_NAME}={edge_pass_for(citizen)}"}
        for pharmacy in pharmacies:
            body = {
                "item": ITEM,
                "pharmacy_id": pharmacy.pk,
                "day": timezone.localdate().isoformat(),
                "id_number": citizen.national_id,
                "quantity": 1,
                "idempotency_key": uuid.uuid4().hex,
            }
            plans.append({"body": body, "headers": headers})
    return plans


async def _surge(base: str, plans: list[dict], chaos) -> list:
    """CONCURRENT clients work through the plans; a refused or unanswered request (429, 503, a
    dropped connection) is sent again with the same idempotency key until it has an answer."""
    answers: list = []
    queue: asyncio.Queue = asyncio.Queue()
    for plan in plans:
        queue.put_nowait(plan)
    deadline = time.monotonic() + 40

    async with httpx.AsyncClient(base_url=base, timeout=5) as client:

        async def client_loop() -> None:
            while not queue.empty():
                plan = queue.get_nowait()
                while time.monotonic() < deadline:
                    try:
                        answer = await client.post(
                            "/edge/reserve", json=plan["body"], headers=plan["headers"]
                        )
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)  # the edge is down: wait, send it again
                        continue
                    if answer.status_code in (429, 503):
                        await asyncio.sleep(float(answer.headers.get("retry-after", "1")) / 5)
                        continue
                    answers.append((plan, answer.status_code, answer.json()))
                    break
                else:
                    raise AssertionError("a request got no answer before the deadline")

        await asyncio.gather(chaos(answers), *(client_loop() for _ in range(CONCURRENT)))
    return answers
