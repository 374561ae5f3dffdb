"""The surge edge as it is deployed: a granian process serving `crisisgov.edge.app:app`.

On PostgreSQL (with Redis on its leg) hundreds of concurrent clients reserve through it; after
the write-behind is drained the database holds every accepted reservation exactly once, no
pharmacy is oversold and no person holds more than the quota."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter

import httpx2 as httpx
import pytest
from django.conf import settings
from django.utils import timezone

from crisisgov.citizen import edge_pass
from tests.test_edge_support import (
    ITEM,
    database_url,
    edge_pass_for,
    free_port,
    make_citizen,
    make_pharmacy,
    needs_postgres,
    process_env,
    redis_clean,
    start_edge,
    stop,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_granian_edge_verifies_tokens_and_refuses_without_a_pass():
    from crisisgov.citizen import token_keys, tokens

    kid, key = token_keys.signing_keys()[0]
    token = tokens.token_issue(
        private_key=key, key_id=kid, status="yellow", valid_minutes=30, now=timezone.now()
    )
    port = free_port()
    edge = start_edge(port, process_env())
    try:
        base = f"http://127.0.0.1:{port}"
        answer = httpx.post(f"{base}/edge/verify", json={"token": token}, timeout=10)
        assert answer.status_code == 200
        assert answer.json()["status"] == "yellow"
        assert httpx.post(f"{base}/edge/verify", json={"token": token[:-3]}).status_code == 422
        refused = httpx.get(f"{base}/edge/reservations/mine", timeout=10)
        assert refused.status_code == 401
    finally:
        stop(edge)


async def _surge(base: str, plans: list[dict]) -> list[tuple[dict, int, dict]]:
    """Every plan is one client's request; a 429/503 is retried after Retry-After with the same
    idempotency key, as a well-behaved client does."""
    limits = httpx.Limits(max_connections=len(plans), max_keepalive_connections=len(plans))
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def one(plan: dict) -> tuple[dict, int, dict]:
            for _ in range(50):
                answer = await client.post(
                    "/edge/reserve", json=plan["body"], headers=plan["headers"]
                )
                if answer.status_code not in (429, 503):
                    return plan, answer.status_code, answer.json()
                await asyncio.sleep(float(answer.headers.get("retry-after", "1")) / 10)
            raise AssertionError("a client was refused 50 times")

        return await asyncio.gather(*(one(p) for p in plans))


def test_hundreds_of_clients_through_granian_keep_the_invariants(city, make_user):
    from crisisgov.citizen.reservations.models import PharmacyStock, Reservation

    needs_postgres()
    if settings.REDIS_URL:
        redis_clean(settings.REDIS_URL)
    people = [make_citizen(make_user, city, n) for n in range(150)]
    pharmacies = [make_pharmacy(city, stock=40), make_pharmacy(city, stock=40)]
    today = timezone.localdate().isoformat()
    plans = []
    for citizen in people:
        headers = {"Cookie": f"{edge_pass.COOKIE_NAME}={edge_pass_for(citizen)}"}
        # each person tries both pharmacies (the quota allows one box a week), and sends the
        # first request twice (a retry after a lost answer)
        key = uuid.uuid4().hex
        for pharmacy, idem in ((pharmacies[0], key), (pharmacies[1], uuid.uuid4().hex)):
            body = {
                "item": ITEM,
                "pharmacy_id": pharmacy.pk,
                "day": today,
                "id_number": citizen.national_id,
                "quantity": 1,
                "idempotency_key": idem,
            }
            plans.append({"body": body, "headers": headers, "person": citizen.person.pk})
        plans.append(dict(plans[-2]))
    port = free_port()
    edge = start_edge(port, process_env(CRISISGOV_EDGE_MAX_IN_FLIGHT="16"), workers=2)
    try:
        answers = asyncio.run(_surge(f"http://127.0.0.1:{port}", plans))
    finally:
        stop(edge)
    statuses = Counter(status for _, status, _ in answers)
    assert set(statuses) <= {200, 201, 409}, statuses
    accepted = {a["reservation_id"]: plan for plan, status, a in answers if status in (200, 201)}
    # 80 boxes for 150 people: all sold, nobody got two
    assert len(accepted) == 80
    assert statuses[201] == 80
    if settings.REDIS_URL:
        from crisisgov.citizen.reservations.writebehind import writebehind_drain

        writebehind_drain()
    rows = list(Reservation.objects.values_list("id", "pharmacy_id", "person_key"))
    assert sorted(r[0] for r in rows) == sorted(accepted)  # every accepted one, exactly once
    per_person = Counter(person_key for _, _, person_key in rows)
    assert max(per_person.values()) == 1
    for pharmacy in pharmacies:
        stock = PharmacyStock.objects.get(pharmacy=pharmacy)
        assert stock.reserved == 40 == sum(1 for r in rows if r[1] == pharmacy.pk)
    # every refusal says why: sold out or quota, naming the field
    refusals = Counter(a["detail"][0]["code"] for _, status, a in answers if status == 409)
    assert set(refusals) <= {"sold_out", "quota_exceeded"}


SEED_EMBEDDED = """
import json, time
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from crisisgov.citizen import edge_pass
from crisisgov.citizen.reservations.models import PharmacyStock, RationedItem
from crisisgov.directory.models import Organisation
from crisisgov.geo.models import Area
from crisisgov.kernel import pii
area = Area.objects.create(code="990100000000", path="9901", level=2, name_zh="市", name_en="City")
user = get_user_model().objects.create_user("resident")
item = RationedItem.objects.create(code="mask", name_zh="口罩", name_en="masks", area_path="9901")
pharmacy = Organisation.objects.create(kind="pharmacy", name_zh="药店", name_en="Pharmacy",
                                       area=area, area_path="9901")
PharmacyStock.objects.create(pharmacy=pharmacy, item=item, day=timezone.localdate(), quantity=1,
                             area_path="9901", published_at=timezone.now())
from crisisgov.directory.idnumber import make
import datetime
numbers = [make("110105", datetime.date(1949, 12, 31), n) for n in (2, 3)]
passes = [edge_pass.pass_issue(key=edge_pass.pass_key(settings.SECRET_KEY), account_id=user.pk,
          residents=[(n + 1, pii.blind_index(number, context="blind-index.national_id"))],
          now=time.time()) for n, number in enumerate(numbers)]
print(json.dumps({"pharmacy": pharmacy.pk, "day": timezone.localdate().isoformat(),
                  "numbers": numbers, "passes": passes}))
"""


def test_the_edge_on_the_embedded_sqlite_database(tmp_path):
    """No DATABASE_URL, no REDIS_URL: granian's edge decides on the SQLite file itself."""
    import json
    import sqlite3
    import subprocess
    import sys

    from tests.test_edge_support import ROOT

    if database_url():
        pytest.skip("the SQLite leg covers the embedded database")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRISISGOV_", "DATABASE_"))}
    env |= {"CRISISGOV_VAR_DIR": str(tmp_path), "REDIS_URL": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for command in (["migrate", "-v", "0"], ["shell", "-c", SEED_EMBEDDED]):
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "crisisgov", *command],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    seeded = json.loads(out.stdout.strip().splitlines()[-1])
    port = free_port()
    edge = start_edge(port, env)
    try:
        answers = []
        for number, text in zip(seeded["numbers"], seeded["passes"], strict=True):
            answers.append(
                httpx.post(
                    f"http://127.0.0.1:{port}/edge/reserve",
                    json={
                        "item": ITEM,
                        "pharmacy_id": seeded["pharmacy"],
                        "day": seeded["day"],
                        "id_number": number,
                        "quantity": 1,
                        "idempotency_key": uuid.uuid4().hex,
                    },
                    headers={"Authorization": f"Bearer {text}"},
                    timeout=10,
                )
            )
    finally:
        stop(edge)
    # one box: the first resident gets it, the second is told it is sold out
    assert [a.status_code for a in answers] == [201, 409]
    assert answers[1].json()["detail"][0]["code"] == "sold_out"
    with sqlite3.connect(tmp_path / "crisisgov.sqlite3") as db:
        rows = db.execute(
            "SELECT id, code, source FROM citizen_reservations_reservation"
        ).fetchall()
        reserved = db.execute("SELECT reserved FROM citizen_reservations_pharmacystock").fetchone()
    assert rows == [(answers[0].json()["reservation_id"], answers[0].json()["code"], "db")]
    assert reserved == (1,)
