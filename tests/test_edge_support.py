"""Shared set-up of the surge-edge tests (no tests here): a citizen with a resident and an edge
pass, a pharmacy with stock, the edge on the test database, granian and redis-server processes.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ITEM = "mask"


def database_url() -> str:
    """The test database as a URL a separate process (or the edge's own driver) can open; ""
    on SQLite, whose test database lives in this process's memory."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor != "postgresql":
        return ""
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def redis_clean(url: str) -> None:
    """Forget the reservation keys and published documents of earlier tests (only ours)."""
    import redis

    client = redis.Redis.from_url(url)
    for pattern in ("crisisgov:res:*", "crisisgov:doc:*"):
        keys = list(client.scan_iter(pattern, count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    client.close()


@dataclass
class Citizen:
    user: object
    person: object
    national_id: str
    id_index: str


def make_citizen(make_user, city, n: int) -> Citizen:
    from crisisgov.directory.idnumber import make
    from crisisgov.directory.tests.factories import PersonFactory

    user = make_user("citizen", city.building_a)
    number = make("420102", dt.date(1970, 1, 1) + dt.timedelta(days=n // 500), n % 500 * 2 + 1)
    person = PersonFactory(home_building=city.building_a, national_id=number, account=user)
    return Citizen(user, person, number, person.national_id_index)


def make_pharmacy(city, *, stock: int, day: dt.date | None = None, quota: int = 1):
    """A pharmacy with `stock` masks for `day` (today), published to Redis too when it is set."""
    from django.conf import settings
    from django.utils import timezone

    from crisisgov.citizen.reservations import store
    from crisisgov.citizen.reservations.models import PharmacyStock, RationedItem
    from crisisgov.directory.tests.factories import OrganisationFactory

    day = day or timezone.localdate()
    RationedItem.objects.get_or_create(
        code=ITEM,
        defaults={
            "name_zh": "口罩",
            "name_en": "masks",
            "quota_quantity": quota,
            "quota_days": 7,
            "area_path": city.city.path,
        },
    )
    pharmacy = OrganisationFactory(
        kind="pharmacy", department_type="", area=city.community_a, name_en="Pharmacy"
    )
    PharmacyStock.objects.create(
        pharmacy=pharmacy,
        item_id=ITEM,
        day=day,
        quantity=stock,
        area_path=pharmacy.area_path,
        published_at=timezone.now(),
    )
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        store.RedisStore(client).publish_stock(
            item=ITEM, pharmacy_id=pharmacy.pk, day=day, total=stock, taken=0
        )
        client.close()
    return pharmacy


def edge_pass_for(citizen: Citizen, *, others: tuple[Citizen, ...] = (), now=None) -> str:
    from django.conf import settings

    from crisisgov.citizen import edge_pass

    residents = [(c.person.pk, c.id_index) for c in (citizen, *others)]
    return edge_pass.pass_issue(
        key=edge_pass.pass_key(settings.SECRET_KEY),
        account_id=citizen.user.pk,
        residents=residents,
        now=time.time() if now is None else now,
    )


def edge_config(**changes):
    """The edge's configuration for the test settings: the same keys Django uses."""
    import dataclasses

    from django.conf import settings

    from crisisgov.citizen import edge_pass, token_keys
    from crisisgov.edge.config import EdgeConfig
    from crisisgov.kernel import pii

    config = EdgeConfig(
        production=False,
        database_url=database_url(),
        redis_url=settings.REDIS_URL,
        var_dir=Path(settings.VAR_DIR),
        pass_key=edge_pass.pass_key(settings.SECRET_KEY),
        key_ring=pii.key_ring(),
        signing_keys=token_keys.signing_keys(),
        max_in_flight=64,
        retry_after=1,
    )
    return dataclasses.replace(config, **changes)


def edge_database():
    """The edge's database: its own psycopg connections on PostgreSQL; on SQLite (an in-memory
    test database) the test's own connection, one call at a time."""
    from django.db import connection

    from crisisgov.edge.db import Database

    url = database_url()
    if url:
        return Database.from_config(url, "")
    connection.ensure_connection()
    raw = connection.connection
    return Database(lambda: raw, "qmark", threads=1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 20.0, process=None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


def process_env(**extra: str) -> dict[str, str]:
    """The environment of a server process started by a test: the test's settings."""
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISGOV_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env |= {
        "CRISISGOV_VAR_DIR": str(settings.VAR_DIR),
        "CRISISGOV_SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
    }
    if settings.PII_KEYS:
        env["CRISISGOV_PII_KEYS"] = settings.PII_KEYS
    if settings.PII_KEY_FILE:
        env["CRISISGOV_PII_KEY_FILE"] = settings.PII_KEY_FILE
    if settings.BLIND_INDEX_KEY:
        env["CRISISGOV_BLIND_INDEX_KEY"] = settings.BLIND_INDEX_KEY
    if settings.CITIZEN_TOKEN_KEYS:
        env["CRISISGOV_CITIZEN_TOKEN_KEYS"] = settings.CITIZEN_TOKEN_KEYS
    return env | extra


def start_edge(port: int, env: dict[str, str], workers: int = 1, log=None) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603 (our own server)
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-ws",
            "crisisgov.edge.app:app",
        ],
        env=env,
        cwd=ROOT,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for_port(port, process=process)
    return process


def start_redis(port: int, directory: Path) -> subprocess.Popen:
    """A redis-server of the test's own, durable: every write is fsynced before the reply."""
    process = subprocess.Popen(  # noqa: S603
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for_port(port, process=process)
    return process


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def needs_postgres():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("runs on the PostgreSQL leg (a separate process cannot open SQLite's test db)")
