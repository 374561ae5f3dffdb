"""The reservation invariants, the same tests against both stores.

"sql" is the database store (SQLite here without Redis, PostgreSQL in the CI's other leg);
"redis" is the Lua script plus the write-behind (skipped when REDIS_URL is empty). Hundreds
of concurrent requests in threads against small stock and quotas, then count.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
import tempfile
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest
from django.db import connection, transaction
from django.utils import timezone

from crisisgov.citizen.reservations import services, store
from crisisgov.citizen.reservations.models import PharmacyStock, Reservation
from tests.citizen_reservations_support import (
    finish,
    kind_fixture,  # noqa: F401 (the store fixture)
    make_item,
    make_pharmacy,
    make_stock,
)


def store_for(kind: str):
    if kind == "redis":
        return services.redis_store()
    return store.SqlStore(connection, "format", transaction=transaction.atomic)


def request_for(item, pharmacy_id, person_key, *, key=None, quantity=1, day=None, account=None):
    if account is None:
        from django.contrib.auth import get_user_model

        account = get_user_model().objects.order_by("pk").values_list("pk", flat=True).first()
    day = day or timezone.localdate()
    return store.ReserveRequest(
        item=item.code,
        pharmacy_id=pharmacy_id,
        day=day,
        person_key=person_key,
        quantity=quantity,
        idempotency_key=key or uuid.uuid4().hex,
        body_hash=store.body_hash_of(
            item=item.code,
            pharmacy_id=pharmacy_id,
            day=day,
            person_key=person_key,
            quantity=quantity,
            account_id=account,
        ),
        account_id=account,
        quota_quantity=item.quota_quantity,
        quota_days=item.quota_days,
    )


def run_concurrently(kind: str, requests: list, *, workers: int = 16) -> list:
    now = timezone.now()
    if kind == "sql" and connection.vendor == "sqlite":
        return _run_on_sqlite_file(requests, now, workers)

    def one(req):
        try:
            return store_for(kind).reserve(req, now)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, requests))


def _run_on_sqlite_file(requests: list, now, workers: int) -> list:
    """The test database lives in memory, where SQLite's shared cache refuses concurrent
    writers instead of queueing them. Run the surge on a file copy, through plain sqlite3
    connections as the edge uses them (qmark, BEGIN IMMEDIATE), then copy it back."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "surge.sqlite3")
        connection.ensure_connection()
        with closing(sqlite3.connect(path)) as copy:
            connection.connection.backup(copy)
            copy.execute("PRAGMA journal_mode=WAL")

        def one(req):
            with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as conn:
                return store.SqlStore(conn, "qmark").reserve(req, now)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(one, requests))
        with closing(sqlite3.connect(path)) as copy:
            copy.backup(connection.connection)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_a_surge_never_oversells_never_breaches_a_quota_and_loses_nothing(kind, city, make_user):
    account = make_user("citizen", city.district_a)
    item = make_item(city, quota=2, days=7)
    pharmacies = [make_pharmacy(city.street_a, f"药房{i}") for i in range(3)]
    for p in pharmacies:
        make_stock(item, p, 7)  # 21 boxes for 60 people wanting 2 each
    people = [f"person-{i:03d}" for i in range(60)]
    rng = random.Random(5)
    requests = []
    for person in people:
        for _ in range(4):  # each tries several pharmacies, one or two boxes
            requests.append(
                request_for(
                    item,
                    rng.choice(pharmacies).pk,
                    person,
                    quantity=rng.choice([1, 2]),
                    account=account.pk,
                )
            )
    retries = rng.sample(requests, 40)  # clients retrying the same request
    outcomes = run_concurrently(kind, requests + retries)
    finish(kind)

    by_key: dict[str, list] = {}
    for req, out in zip(requests + retries, outcomes, strict=True):
        by_key.setdefault(req.idempotency_key, []).append((req, out))
    accepted = {}
    for pairs in by_key.values():
        results = [o for _, o in pairs]
        winners = [o for o in results if o.result == store.ACCEPTED]
        assert len(winners) <= 1  # one key, one reservation
        if winners:
            # the retry got the original answer
            assert all(o.code == winners[0].code for o in results if o.result == "duplicate")
            accepted[winners[0].reservation_id] = pairs[0][0]
    taken = Counter()
    per_person = Counter()
    for req in accepted.values():
        taken[req.pharmacy_id] += req.quantity
        per_person[req.person_key] += req.quantity
    assert all(taken[p.pk] <= 7 for p in pharmacies)  # no oversell
    assert sum(taken.values()) >= 20  # and demand far above supply sold it (almost) all
    assert max(per_person.values()) <= 2  # no quota breach
    # every accepted reservation is in the database, as accepted
    rows = {r.pk: r for r in Reservation.objects.all()}
    assert set(rows) == set(accepted)
    for rid, req in accepted.items():
        assert (rows[rid].pharmacy_id, rows[rid].person_key, rows[rid].quantity) == (
            req.pharmacy_id,
            req.person_key,
            req.quantity,
        )
    for p in pharmacies:
        assert PharmacyStock.objects.get(pharmacy=p).reserved == taken[p.pk]


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_key_make_one_reservation(kind, city, make_user):
    make_user("citizen", city.district_a)
    item = make_item(city, quota=1)
    pharmacy = make_pharmacy(city.street_a)
    make_stock(item, pharmacy, 10)
    req = request_for(item, pharmacy.pk, "someone")
    outcomes = run_concurrently(kind, [req] * 30, workers=10)
    finish(kind)
    assert Counter(o.result for o in outcomes) == {"accepted": 1, "duplicate": 29}
    assert len({o.code for o in outcomes}) == 1
    assert len({o.reservation_id for o in outcomes}) == 1
    assert Reservation.objects.count() == 1
    assert PharmacyStock.objects.get().reserved == 1


@pytest.mark.django_db(transaction=True)
def test_refusals_say_why_and_change_nothing(kind, city, make_user):
    make_user("citizen", city.district_a)  # the accounts reservations belong to
    item = make_item(city, quota=1, days=7)
    a, b = make_pharmacy(city.street_a, "甲"), make_pharmacy(city.street_a, "乙")
    make_stock(item, a, 1)
    s, now = store_for(kind), timezone.now()
    first = request_for(item, a.pk, "p1", key="k1")
    assert s.reserve(first, now).result == "accepted"
    # same key, different body
    reused = request_for(item, b.pk, "p1", key="k1")
    assert s.reserve(reused, now).result == "key_reused"
    # the same person at another pharmacy: quota (one per 7 days, across pharmacies)
    make_stock(item, b, 5)
    assert s.reserve(request_for(item, b.pk, "p1"), now).result == "quota_exceeded"
    # sold out at a
    sold = s.reserve(request_for(item, a.pk, "p2"), now)
    assert (sold.result, sold.remaining) == ("sold_out", 0)
    # no stock published for tomorrow
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert s.reserve(request_for(item, a.pk, "p2", day=tomorrow), now).result == "not_open"
    # eight days later the quota allows another box
    later = now + dt.timedelta(days=8)
    assert s.reserve(request_for(item, b.pk, "p1"), later).result == "accepted"
    finish(kind)
    assert Reservation.objects.count() == 2
    assert PharmacyStock.objects.get(pharmacy=b).reserved == 1


@pytest.mark.django_db(transaction=True)
def test_the_store_refuses_a_quantity_outside_the_quota(kind, city):
    item = make_item(city, quota=2)
    pharmacy = make_pharmacy(city.street_a)
    make_stock(item, pharmacy, 10)
    for quantity in (0, -1, 3, 10**9):
        with pytest.raises(ValueError, match="quantity"):
            store_for(kind).reserve(
                request_for(item, pharmacy.pk, "p", quantity=quantity), timezone.now()
            )
    assert Reservation.objects.count() == 0
