"""Redis mode: the write-behind loses nothing and inserts once; reconcile rebuilds Redis."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from crisisgov.citizen.publishing import redis_client
from crisisgov.citizen.reservations import services, store, writebehind
from crisisgov.citizen.reservations.models import PharmacyStock, Reservation
from tests.citizen_reservations_support import flush_redis, make_item, make_pharmacy, make_stock

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set")


@pytest.fixture
def shop(city, make_user):
    flush_redis()
    account = make_user("citizen", city.district_a)
    item = make_item(city, quota=2, days=7)
    pharmacies = [make_pharmacy(city.street_a, f"店{i}") for i in range(2)]
    for p in pharmacies:
        make_stock(item, p, 10)
    yield {"item": item, "pharmacies": pharmacies, "account": account}
    flush_redis()


def reserve(shop, person: str, pharmacy, quantity=1, key=None):
    day = timezone.localdate()
    item = shop["item"]
    req = store.ReserveRequest(
        item=item.code,
        pharmacy_id=pharmacy.pk,
        day=day,
        person_key=person,
        quantity=quantity,
        idempotency_key=key or uuid.uuid4().hex,
        body_hash=f"{person}-{pharmacy.pk}-{quantity}",
        account_id=shop["account"].pk,
        quota_quantity=item.quota_quantity,
        quota_days=item.quota_days,
    )
    return services.redis_store().reserve(req, timezone.now())


def test_entries_a_dead_worker_held_are_claimed_and_written_once(shop):
    accepted = [reserve(shop, f"p{i}", shop["pharmacies"][i % 2]) for i in range(8)]
    assert {o.result for o in accepted} == {"accepted"}
    client = redis_client()
    writebehind.ensure_group(client)
    # a worker reads the entries and dies before writing them
    taken = client.xreadgroup(store.GROUP, "dead-worker", {store.STREAM: ">"}, count=100)
    assert len(taken[0][1]) == 8
    # a live worker does not steal them while the dead one might still be busy ...
    assert writebehind.writebehind_run(consumer="live") == 0
    assert Reservation.objects.count() == 0
    # ... but claims them once it has been silent long enough
    assert writebehind.writebehind_run(consumer="live", claim_idle_ms=0) == 8
    assert set(Reservation.objects.values_list("pk", flat=True)) == {
        o.reservation_id for o in accepted
    }
    assert client.xlen(store.STREAM) == 0
    assert client.xpending(store.STREAM, store.GROUP)["pending"] == 0
    assert sum(PharmacyStock.objects.values_list("reserved", flat=True)) == 8


def test_writing_an_entry_twice_inserts_it_once(shop):
    reserve(shop, "p1", shop["pharmacies"][0], quantity=2)
    entry = writebehind.pending_entries()[0]
    sql = services.store.SqlStore(
        services.connection, "format", transaction=services.transaction.atomic
    )
    assert sql.record([entry]) == 1
    assert sql.record([entry]) == 0  # a crash between the commit and XACK: rewritten, no-op
    writebehind.writebehind_drain()
    assert Reservation.objects.count() == 1
    assert PharmacyStock.objects.get(pharmacy=shop["pharmacies"][0]).reserved == 2


def test_a_key_redis_forgot_does_not_lose_the_second_reservation(shop):
    first = reserve(shop, "p1", shop["pharmacies"][0], key="same-key-1")
    writebehind.writebehind_drain()
    redis_client().delete(store.idem_key("same-key-1"))  # expired, say
    second = reserve(shop, "p2", shop["pharmacies"][1], key="same-key-1")
    assert second.result == "accepted"
    writebehind.writebehind_drain()
    assert set(Reservation.objects.values_list("pk", flat=True)) == {
        first.reservation_id,
        second.reservation_id,
    }


def redis_state():
    client = redis_client()
    state = {}
    for key in client.scan_iter(match=f"{store.PREFIX}*"):
        name = key.decode()
        if name == store.STREAM or name.startswith(f"{store.PREFIX}r:"):
            continue  # the stream is the source; reservation hashes are a cache
        kind = client.type(key).decode()
        if kind == "hash":
            state[name] = client.hgetall(key)
        elif kind == "zset":
            state[name] = client.zrange(key, 0, -1, withscores=True)
    return state


def test_reconcile_rebuilds_the_counters_after_a_redis_loss(shop):
    a, b = shop["pharmacies"]
    for i in range(6):
        assert reserve(shop, f"p{i}", a if i % 2 else b, quantity=1 + i % 2).result == "accepted"
    writebehind.writebehind_drain()
    for i in range(6, 9):  # accepted, not yet written behind
        assert reserve(shop, f"p{i}", a).result == "accepted"
    before = redis_state()
    assert len(before) == 2 + 9 + 9  # stock counters, quotas, idempotency keys
    client = redis_client()
    for key in before:
        client.delete(key)
    counts = writebehind.reconcile()
    assert counts["pending"] == 3
    assert redis_state() == before
    # and the rebuilt counters decide correctly
    assert reserve(shop, "p0", a).result == "accepted"  # p0 holds 1 of 2
    assert reserve(shop, "p1", b, quantity=1).result == "quota_exceeded"  # p1 holds 2


def test_the_commands_drain_and_reconcile(shop, capsys):
    reserve(shop, "p1", shop["pharmacies"][0])
    call_command("reservations", "drain")
    assert Reservation.objects.count() == 1
    call_command("reservations", "reconcile")
    out = capsys.readouterr().out
    assert "rebuilt 2 stock counters" in out


def test_the_worker_warns_when_redis_could_lose_a_reservation():
    client = redis_client()
    config = {
        k.decode() if isinstance(k, bytes) else k: v
        for k, v in client.config_get("append*").items()
    }
    problems = writebehind.redis_durability_problems()
    safe = str(config.get("appendonly")) in ("yes", "b'yes'") and "always" in str(
        config.get("appendfsync")
    )
    assert (problems == []) == safe


def test_the_worker_writes_behind_and_warns_about_durability(shop, caplog):
    from crisisgov.citizen.reservations import handlers

    accepted = reserve(shop, "p1", shop["pharmacies"][0])
    handlers._durability_checked = False
    call_command("worker", "--once")
    assert Reservation.objects.get().pk == accepted.reservation_id
    assert redis_client().xlen(store.STREAM) == 0
    if writebehind.redis_durability_problems():
        assert "appendonly" in caplog.text or "appendfsync" in caplog.text
