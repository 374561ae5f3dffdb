"""Redis mode: the stream of accepted reservations written behind to the database, and the
rebuild of Redis's counters from the database.

The stream `crisisgov:res:stream` holds exactly the reservations not yet in the database:
a consumer of the group reads a batch, inserts it in one transaction (idempotently, by
reservation id), and only after the commit acknowledges and deletes the entries. A consumer
that dies holding entries leaves them pending; another claims them after CLAIM_IDLE_MS
(XAUTOCLAIM). So an entry is written at least once and inserted exactly once.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from crisisgov.citizen.publishing import redis_client
from crisisgov.citizen.reservations import store
from crisisgov.citizen.reservations.models import (
    PharmacyStock,
    RationedItem,
    Reservation,
    ReservationState,
)

logger = logging.getLogger(__name__)
CLAIM_IDLE_MS = 30_000  # a consumer silent this long is presumed dead
BATCH = 500


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def ensure_group(client: Any) -> None:
    try:
        client.xgroup_create(store.STREAM, store.GROUP, id="0", mkstream=True)
    except Exception as exc:  # BUSYGROUP: it exists
        if "BUSYGROUP" not in str(exc):
            raise


def _write(client: Any, entries: list[tuple[Any, Any]]) -> int:
    """Insert a batch, then acknowledge it. Returns how many rows were new."""
    if not entries:
        return 0
    rows = [
        store.StreamedReservation.from_fields(store.stream_entry_fields(fields))
        for _, fields in entries
        if fields  # a deleted entry claimed from the pending list has no fields
    ]
    inserted = store.SqlStore(connection, "format", transaction=transaction.atomic).record(rows)
    ids = [entry_id for entry_id, _ in entries]
    # only after the commit: a crash before this line means a rewrite, which inserts nothing
    pipe = client.pipeline(transaction=True)
    pipe.xack(store.STREAM, store.GROUP, *ids)
    pipe.xdel(store.STREAM, *ids)
    pipe.execute()
    return inserted


def writebehind_run(
    *, consumer: str | None = None, count: int = BATCH, claim_idle_ms: int = CLAIM_IDLE_MS
) -> int:
    """One round: claim what dead consumers left pending, then read new entries. Returns how
    many entries were handled (written or found already written)."""
    client = redis_client()
    ensure_group(client)
    consumer = consumer or consumer_name()
    handled = 0
    start = "0-0"
    while True:  # the pending entries of consumers idle longer than claim_idle_ms
        reply = client.xautoclaim(
            store.STREAM, store.GROUP, consumer, claim_idle_ms, start_id=start, count=count
        )
        start, claimed = reply[0], reply[1]
        _write(client, claimed)
        handled += len(claimed)
        if not claimed or start in (b"0-0", "0-0"):
            break
    while True:
        reply = client.xreadgroup(store.GROUP, consumer, {store.STREAM: ">"}, count=count)
        entries = reply[0][1] if reply else []
        if not entries:
            break
        _write(client, entries)
        handled += len(entries)
        if len(entries) < count:
            break
    return handled


def writebehind_drain() -> int:
    """Write everything in the stream now, including entries other consumers hold (tests,
    benchmarks, before a reconcile)."""
    total = 0
    while True:
        done = writebehind_run(claim_idle_ms=0)
        total += done
        if not done and not redis_client().xlen(store.STREAM):
            return total


def pending_entries() -> list[store.StreamedReservation]:
    """Reservations accepted by Redis and not yet written (the whole stream)."""
    client = redis_client()
    entries: list[store.StreamedReservation] = []
    start = "-"
    while True:
        batch = client.xrange(store.STREAM, min=start, count=1000)
        entries.extend(
            store.StreamedReservation.from_fields(store.stream_entry_fields(f)) for _, f in batch
        )
        if len(batch) < 1000:
            return entries
        start = "(" + store.as_text(batch[-1][0])  # type: ignore[operator]


def reconcile(*, now: Any = None) -> dict[str, int]:
    """Rebuild Redis's counters from the database plus the stream's unwritten entries:
    stock left of today and later, every person's quota window, the idempotency keys still
    within their lifetime. Run it after a Redis loss, before reopening reservations: a
    reservation accepted while it runs could be counted twice in the quota (never lost)."""
    client = redis_client()
    now = now or timezone.now()
    today = timezone.localdate(now)
    pending = pending_entries()
    written = set(
        Reservation.objects.filter(pk__in=[p.reservation_id for p in pending]).values_list(
            "pk", flat=True
        )
    )
    pending = [p for p in pending if p.reservation_id not in written]
    longest = RationedItem.objects.aggregate(m=Max("quota_days"))["m"] or 7
    since = now - max(store.IDEMPOTENCY_TTL, timedelta(days=longest))
    active = list(
        Reservation.objects.filter(state__in=store.ACTIVE_STATES, created_at__gt=since).values_list(
            "pk",
            "item_id",
            "person_key",
            "quantity",
            "created_at",
            "idempotency_key",
            "body_hash",
            "code",
            "remaining_after",
        )
    )
    quota_days = dict(RationedItem.objects.values_list("code", "quota_days"))
    pipe = client.pipeline(transaction=True)
    # stock: published total minus what the database and the stream hold
    stocks = 0
    extra: dict[tuple[str, int, Any], int] = {}
    for p in pending:
        key = (p.item, p.pharmacy_id, p.day)
        extra[key] = extra.get(key, 0) + p.quantity
    for s in PharmacyStock.objects.filter(day__gte=today):
        taken = s.reserved + extra.get((s.item_id, s.pharmacy_id, s.day), 0)
        pipe.hset(
            store.stock_key(s.item_id, s.pharmacy_id, s.day),
            mapping={"total": s.quantity, "left": s.quantity - taken},
        )
        stocks += 1
    # quotas: every member of the window, from scratch
    for key in client.scan_iter(match=f"{store.PREFIX}quota:*", count=1000):
        pipe.delete(key)
    members = [
        (item, person_key, rid, quantity, created)
        for rid, item, person_key, quantity, created, *_ in active
    ] + [(p.item, p.person_key, p.reservation_id, p.quantity, p.created_at) for p in pending]
    for item, person_key, rid, quantity, created in members:
        window = timedelta(days=quota_days.get(item, longest))
        if created <= now - window:
            continue
        key = store.quota_key(item, person_key)
        pipe.zadd(key, {store.quota_member(rid, quantity): store.epoch_ms(created)})
        pipe.pexpire(key, window // timedelta(milliseconds=1))
    # idempotency keys still within their lifetime
    idem_since = now - store.IDEMPOTENCY_TTL
    keys = 0
    answers = [
        (key, body, code, remaining, rid)
        for rid, _, _, _, created, key, body, code, remaining in active
        if created > idem_since and not key.endswith(f":{rid}")
    ] + [(p.idempotency_key, p.body_hash, p.code, p.remaining, p.reservation_id) for p in pending]
    ttl_ms = store.IDEMPOTENCY_TTL // timedelta(milliseconds=1)
    for key, body, code, remaining, rid in answers:
        name = store.idem_key(key)
        pipe.hset(
            name,
            mapping={
                "body_hash": body,
                "code": code,
                "remaining": remaining if remaining is not None else 0,
                "rid": rid,
            },
        )
        pipe.pexpire(name, ttl_ms)
        keys += 1
    pipe.execute()
    return {
        "stocks": stocks,
        "quota_members": len(members),
        "idempotency_keys": keys,
        "pending": len(pending),
    }


def redis_durability_problems(client: Any | None = None) -> list[str]:
    """What in Redis's configuration could lose an accepted reservation in a crash."""
    client = client or redis_client()
    try:
        config = client.config_get("append*")
    except Exception:  # managed Redis may forbid CONFIG: say so rather than guess
        return ["cannot read Redis's configuration (CONFIG GET); check appendonly/appendfsync"]
    config = {store.as_text(k): store.as_text(v) for k, v in config.items()}
    problems = []
    if config.get("appendonly") != "yes":
        problems.append("Redis runs without the append-only file (appendonly yes)")
    elif config.get("appendfsync") != "always":
        problems.append(
            f"Redis fsyncs its append-only file '{config.get('appendfsync')}', not 'always':"
            " a crash can lose up to a second of accepted reservations"
        )
    return problems


def states_count() -> dict[str, int]:  # for the drain command's report
    return {
        state: Reservation.objects.filter(state=state).count() for state in ReservationState.values
    }
