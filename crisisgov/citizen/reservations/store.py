"""The reservation stores: one atomic decision for stock, quota and idempotency.

PURE module (no Django): the surge edge imports it as well as the Django services.

Two stores make the same decision with the same invariants — never oversell a pharmacy's
stock for the day, never exceed a person's rolling quota (across pharmacies), never lose an
accepted reservation, idempotent retries:

* `RedisStore`: one Lua script (`RESERVE_LUA`) checks the idempotency key, the stock and the
  quota, records them, and appends the reservation to the stream `crisisgov:res:stream`;
  the worker writes the stream behind to the database (`SqlStore.record`). The key/argument
  builders are separate from the executor so `redis.asyncio` callers run the same script.
* `SqlStore`: no Redis; conditional updates in one transaction on PostgreSQL (READ
  COMMITTED) or SQLite, through any DB-API connection (Django's, psycopg, sqlite3).

Only an accepted reservation is remembered under its idempotency key: a retry of a refused
request is decided afresh (stock may have been returned meanwhile).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

ACCEPTED = "accepted"
DUPLICATE = "duplicate"  # same key, same body: the original answer
KEY_REUSED = "key_reused"  # same key, different body
SOLD_OUT = "sold_out"
QUOTA_EXCEEDED = "quota_exceeded"
NOT_OPEN = "not_open"  # no stock published for that pharmacy/day/item
RESULTS = (ACCEPTED, DUPLICATE, KEY_REUSED, SOLD_OUT, QUOTA_EXCEEDED, NOT_OPEN)

# Unambiguous alphabet (no 0/O, 1/I/L): 31 symbols, 8 of them ≈ 40 bits. Codes are read out
# at a pharmacy counter; they are unique enough per pharmacy and day, and never a secret
# that protects more than one box.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
PICKUP_WINDOW = timedelta(hours=48)  # an unclaimed reservation expires and returns to stock
IDEMPOTENCY_TTL = timedelta(days=8)  # longer than a retrying client could plausibly wait

STREAM = "crisisgov:res:stream"
GROUP = "crisisgov-writebehind"
PREFIX = "crisisgov:res:"

# Tables of the Django app `citizen_reservations` (models pin these names; the SQL below
# spells them out literally).
STOCK_TABLE = "citizen_reservations_pharmacystock"
RESERVATION_TABLE = "citizen_reservations_reservation"
QUOTA_TABLE = "citizen_reservations_personquota"
ACTIVE_STATES = ("reserved", "picked_up")  # what counts against stock and quota
INSERT_RESERVATION = (
    "INSERT INTO citizen_reservations_reservation (id, code, item_code, pharmacy_id, day,"
    " person_key, quantity, account_id, idempotency_key, body_hash, state, created_at,"
    " pickup_deadline, source, remaining_after)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


@dataclass(frozen=True)
class ReserveRequest:
    item: str  # RationedItem.code, e.g. "mask"
    pharmacy_id: int
    day: date
    person_key: str  # the resident's ID-number blind index
    quantity: int
    idempotency_key: str
    body_hash: str  # see body_hash_of
    account_id: int
    quota_quantity: int  # e.g. 1 box ...
    quota_days: int  # ... per 7 days


@dataclass(frozen=True)
class ReserveOutcome:
    result: str  # one of RESULTS
    code: str | None = None  # the pickup code
    remaining: int | None = None  # stock left after this reservation (or now, when sold out)
    reservation_id: str | None = None


def body_hash_of(
    *, item: str, pharmacy_id: int, day: date, person_key: str, quantity: int, account_id: int
) -> str:
    """What an idempotency key is bound to: a retry must say exactly the same."""
    body = f"{item}|{pharmacy_id}|{day.isoformat()}|{person_key}|{quantity}|{account_id}"
    return hashlib.sha256(body.encode()).hexdigest()


def new_reservation_id() -> str:
    return uuid.uuid4().hex


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def check_request(req: ReserveRequest) -> None:
    """Refuse what no store should see (the services name the field to the user first)."""
    if not 1 <= req.quantity <= req.quota_quantity:
        raise ValueError(f"quantity must be 1..{req.quota_quantity}, got {req.quantity}")
    if req.quota_days < 1 or not req.idempotency_key or not req.person_key:
        raise ValueError("quota_days, idempotency_key and person_key are required")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, exactly (no float rounding: quotas compare them)."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


# --- Redis -----------------------------------------------------------------------------------
# Key layout (all under crisisgov:res:). Not hash-tagged: one Redis (plus replica) holds a
# city's reservations; for Redis Cluster put `{item}` tags on every key and one stream per item.


def stock_key(item: str, pharmacy_id: int, day: date) -> str:
    """Hash: total (published quantity), left (not yet reserved)."""
    return f"{PREFIX}stock:{item}:{pharmacy_id}:{day.isoformat()}"


def quota_key(item: str, person_key: str) -> str:
    """Sorted set of "<reservation id>:<quantity>" scored by reservation time (ms)."""
    return f"{PREFIX}quota:{item}:{person_key}"


def idem_key(idempotency_key: str) -> str:
    """Hash: body_hash, code, remaining, rid — the original answer to a key."""
    return f"{PREFIX}idem:{idempotency_key}"


def reservation_key(reservation_id: str) -> str:
    """Hash of one reservation (the stream entry's fields), for quick lookups by the edge."""
    return f"{PREFIX}r:{reservation_id}"


RESERVE_LUA = """
-- KEYS: 1 stock hash, 2 quota zset, 3 idempotency hash, 4 reservation hash, 5 stream
-- ARGV: 1 rid, 2 code, 3 item, 4 pharmacy, 5 day, 6 person_key, 7 quantity, 8 idem key,
--       9 body_hash, 10 account, 11 quota quantity, 12 quota ms, 13 now ms, 14 idem ttl ms,
--       15 pickup deadline ms
local prev = redis.call('HMGET', KEYS[3], 'body_hash', 'code', 'remaining', 'rid')
if prev[1] then
  if prev[1] == ARGV[9] then return {'duplicate', prev[2], prev[3], prev[4]} end
  return {'key_reused', false, false, false}
end
local left = redis.call('HGET', KEYS[1], 'left')
if not left then return {'not_open', false, false, false} end
left = tonumber(left)
local q = tonumber(ARGV[7])
if left < q then return {'sold_out', false, tostring(left), false} end
local now = tonumber(ARGV[13])
-- rolling window: drop reservations older than the quota period, sum the rest
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. tostring(now - tonumber(ARGV[12]) + 1))
local used = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  used = used + tonumber(string.match(member, ':(%d+)$'))
end
if used + q > tonumber(ARGV[11]) then return {'quota_exceeded', false, false, false} end
local remaining = redis.call('HINCRBY', KEYS[1], 'left', -q)
redis.call('ZADD', KEYS[2], now, ARGV[1] .. ':' .. ARGV[7])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[12]))
redis.call('HSET', KEYS[3], 'body_hash', ARGV[9], 'code', ARGV[2],
  'remaining', remaining, 'rid', ARGV[1])
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[14]))
local fields = {'rid', ARGV[1], 'code', ARGV[2], 'item', ARGV[3], 'pharmacy', ARGV[4],
  'day', ARGV[5], 'person_key', ARGV[6], 'quantity', ARGV[7], 'idempotency_key', ARGV[8],
  'body_hash', ARGV[9], 'account', ARGV[10], 'created_ms', ARGV[13], 'deadline_ms', ARGV[15],
  'remaining', tostring(remaining)}
redis.call('HSET', KEYS[4], unpack(fields))
redis.call('PEXPIRE', KEYS[4], tonumber(ARGV[14]))
-- the durable record: the worker writes the stream behind to the database
redis.call('XADD', KEYS[5], '*', unpack(fields))
return {'accepted', ARGV[2], tostring(remaining), ARGV[1]}
"""

# Returns a reservation to stock and to the person's quota (expiry, cancellation). Idempotent
# only together with the database's state change that precedes it (reserved -> expired).
# KEYS: 1 stock hash, 2 quota zset. ARGV: 1 quantity, 2 quota member.
RELEASE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'left', ARGV[1]) end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
"""

# Publishes (or changes) a day's stock. KEYS: 1 stock hash. ARGV: 1 new total, 2 units
# already taken (used only when the key is new). Returns the new `left`, or -1 when the new
# total is below what is already reserved.
PUBLISH_LUA = """
local total = tonumber(ARGV[1])
local old = redis.call('HGET', KEYS[1], 'total')
local left
if old then
  left = tonumber(redis.call('HGET', KEYS[1], 'left')) + total - tonumber(old)
else
  left = total - tonumber(ARGV[2])
end
if left < 0 then return -1 end
redis.call('HSET', KEYS[1], 'total', total, 'left', left)
return left
"""


def reserve_keys(req: ReserveRequest, reservation_id: str) -> list[str]:
    return [
        stock_key(req.item, req.pharmacy_id, req.day),
        quota_key(req.item, req.person_key),
        idem_key(req.idempotency_key),
        reservation_key(reservation_id),
        STREAM,
    ]


def reserve_args(
    req: ReserveRequest, now: datetime, *, reservation_id: str, code: str | None = None
) -> list[str | int]:
    """The script's ARGV; `reservation_id` is made by the caller (new_reservation_id()) so
    the write-behind can insert it idempotently."""
    check_request(req)
    return [
        reservation_id,
        code or new_code(),
        req.item,
        req.pharmacy_id,
        req.day.isoformat(),
        req.person_key,
        req.quantity,
        req.idempotency_key,
        req.body_hash,
        req.account_id,
        req.quota_quantity,
        req.quota_days * 86_400_000,
        epoch_ms(now),
        int(IDEMPOTENCY_TTL.total_seconds() * 1000),
        epoch_ms(now + PICKUP_WINDOW),
    ]


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_reserve_result(raw: Sequence[Any]) -> ReserveOutcome:
    result, code, remaining, rid = (as_text(v) for v in list(raw) + [None] * (4 - len(raw)))
    if result not in RESULTS:
        raise ValueError(f"unexpected reservation script answer {raw!r}")
    return ReserveOutcome(
        result=result,
        code=code,
        remaining=int(remaining) if remaining is not None else None,
        reservation_id=rid,
    )


def quota_member(reservation_id: str, quantity: int) -> str:
    return f"{reservation_id}:{quantity}"


class RedisStore:
    """Synchronous executor of the scripts (Django services, worker, tests)."""

    def __init__(self, client: Any):
        self.client = client
        self._reserve = client.register_script(RESERVE_LUA)  # EVALSHA, EVAL when not cached
        self._release = client.register_script(RELEASE_LUA)
        self._publish = client.register_script(PUBLISH_LUA)

    def reserve(self, req: ReserveRequest, now: datetime) -> ReserveOutcome:
        rid = new_reservation_id()
        raw = self._reserve(
            keys=reserve_keys(req, rid), args=reserve_args(req, now, reservation_id=rid)
        )
        return parse_reserve_result(raw)

    def release(
        self,
        *,
        item: str,
        pharmacy_id: int,
        day: date,
        person_key: str,
        reservation_id: str,
        quantity: int,
    ) -> None:
        self._release(
            keys=[stock_key(item, pharmacy_id, day), quota_key(item, person_key)],
            args=[quantity, quota_member(reservation_id, quantity)],
        )

    def publish_stock(
        self, *, item: str, pharmacy_id: int, day: date, total: int, taken: int
    ) -> int | None:
        """Set a day's total; returns units left, None when `total` < units already taken."""
        left = int(self._publish(keys=[stock_key(item, pharmacy_id, day)], args=[total, taken]))
        return None if left < 0 else left

    def stock_left(self, *, item: str, pharmacy_id: int, day: date) -> int | None:
        value = self.client.hget(stock_key(item, pharmacy_id, day), "left")
        return None if value is None else int(value)


def stream_entry_fields(raw: dict[Any, Any]) -> dict[str, str]:
    """A stream entry (bytes or str) as a plain str dict."""
    return {as_text(k) or "": as_text(v) or "" for k, v in raw.items()}


# --- SQL -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamedReservation:
    """One accepted reservation as the stream carries it (what the database must hold)."""

    reservation_id: str
    code: str
    item: str
    pharmacy_id: int
    day: date
    person_key: str
    quantity: int
    idempotency_key: str
    body_hash: str
    account_id: int
    created_at: datetime
    pickup_deadline: datetime
    remaining: int | None = None

    @classmethod
    def from_fields(cls, f: dict[str, str]) -> StreamedReservation:
        return cls(
            reservation_id=f["rid"],
            code=f["code"],
            item=f["item"],
            pharmacy_id=int(f["pharmacy"]),
            day=date.fromisoformat(f["day"]),
            person_key=f["person_key"],
            quantity=int(f["quantity"]),
            idempotency_key=f["idempotency_key"],
            body_hash=f["body_hash"],
            account_id=int(f["account"]),
            created_at=from_ms(int(f["created_ms"])),
            pickup_deadline=from_ms(int(f["deadline_ms"])),
            remaining=int(f["remaining"]) if f.get("remaining") else None,
        )


class SqlStore:
    """The same decision as RESERVE_LUA as conditional updates in one transaction.

    `connection` is a DB-API connection (or Django's `django.db.connection`); `paramstyle`
    is "format" (%s: psycopg, Django) or "qmark" (?: sqlite3). `transaction` is a context
    manager factory owning commit/rollback — pass `django.db.transaction.atomic` from Django;
    by default the connection's own commit()/rollback() are used (for sqlite3, open the
    connection with autocommit/isolation_level=None so BEGIN IMMEDIATE is ours to issue).

    Concurrency: each decision first locks the person's quota row (insert-if-absent, then an
    UPDATE of it), so two requests of one person are serialised; the stock is taken by a
    single conditional UPDATE (`reserved + q <= quantity`), which PostgreSQL re-checks on the
    latest row version under READ COMMITTED; SQLite serialises writers anyway. The
    idempotency key is UNIQUE, so a concurrent double insert fails and is answered from the
    row that won.
    """

    def __init__(
        self,
        connection: Any,
        paramstyle: str = "format",
        *,
        dialect: str | None = None,
        transaction: Callable[[], AbstractContextManager[Any]] | None = None,
    ):
        if paramstyle not in ("format", "qmark"):
            raise ValueError("paramstyle must be 'format' or 'qmark'")
        self.connection = connection
        self.paramstyle = paramstyle
        self.dialect = dialect or _dialect_of(connection)
        self._transaction = transaction or self._dbapi_transaction

    # -- plumbing
    @contextmanager
    def _dbapi_transaction(self) -> Iterator[None]:
        if self.dialect == "sqlite":
            self.connection.execute("BEGIN IMMEDIATE")  # take the write lock up front
        try:
            yield
        except BaseException:
            self.connection.rollback()
            raise
        self.connection.commit()

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.paramstyle == "qmark" else sql

    def _param(self, value: Any) -> Any:
        if self.dialect == "sqlite":
            # Django's SQLite format: naive UTC text; dates as ISO text
            if isinstance(value, datetime):
                return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
            if isinstance(value, date):
                return value.isoformat()
        return value

    def _execute(self, cursor: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        cursor.execute(self._sql(sql), [self._param(p) for p in params])
        return cursor

    # -- the decision
    def reserve(self, req: ReserveRequest, now: datetime) -> ReserveOutcome:
        check_request(req)
        try:
            with self._transaction():
                cursor = self.connection.cursor()
                try:
                    return self._reserve(cursor, req, now)
                finally:
                    cursor.close()
        except Exception as exc:
            if not _is_integrity_error(exc):
                raise
            conflict = exc
        # The same idempotency key won in a concurrent transaction: answer from its row.
        with self._transaction():
            cursor = self.connection.cursor()
            try:
                found = self._by_key(cursor, req)
            finally:
                cursor.close()
        if found is None:  # another constraint (a foreign key): not ours to explain
            raise conflict
        return found

    def _by_key(self, cursor: Any, req: ReserveRequest) -> ReserveOutcome | None:
        row = self._execute(
            cursor,
            "SELECT body_hash, code, remaining_after, id FROM citizen_reservations_reservation"
            " WHERE idempotency_key = %s",
            [req.idempotency_key],
        ).fetchone()
        if row is None:
            return None
        if row[0] != req.body_hash:
            return ReserveOutcome(KEY_REUSED)
        return ReserveOutcome(DUPLICATE, row[1], row[2], str(row[3]))

    def _reserve(self, cursor: Any, req: ReserveRequest, now: datetime) -> ReserveOutcome:
        # 1. lock the person's quota row: serialises this person's decisions
        self._execute(
            cursor,
            "INSERT INTO citizen_reservations_personquota (item_code, person_key, touched_at)"
            " VALUES (%s, %s, %s) ON CONFLICT (item_code, person_key) DO NOTHING",
            [req.item, req.person_key, now],
        )
        self._execute(
            cursor,
            "UPDATE citizen_reservations_personquota SET touched_at = %s"
            " WHERE item_code = %s AND person_key = %s",
            [now, req.item, req.person_key],
        )
        # 2. idempotency (after the lock: a same-person retry sees the committed first try)
        found = self._by_key(cursor, req)
        if found is not None:
            return found
        # 3. quota over the rolling window, across pharmacies
        used = self._execute(
            cursor,
            "SELECT COALESCE(SUM(quantity), 0) FROM citizen_reservations_reservation"
            " WHERE item_code = %s AND person_key = %s AND state IN (%s, %s)"
            " AND created_at > %s",
            [req.item, req.person_key, *ACTIVE_STATES, now - timedelta(days=req.quota_days)],
        ).fetchone()[0]
        # 4. stock: one conditional update
        self._execute(
            cursor,
            "UPDATE citizen_reservations_pharmacystock SET reserved = reserved + %s"
            " WHERE item_code = %s AND pharmacy_id = %s AND day = %s"
            " AND reserved + %s <= quantity",
            [req.quantity, req.item, req.pharmacy_id, req.day, req.quantity],
        )
        taken = cursor.rowcount == 1
        stock = self._execute(
            cursor,
            "SELECT quantity - reserved FROM citizen_reservations_pharmacystock"
            " WHERE item_code = %s AND pharmacy_id = %s AND day = %s",
            [req.item, req.pharmacy_id, req.day],
        ).fetchone()
        if stock is None:
            return ReserveOutcome(NOT_OPEN)
        if not taken:
            return ReserveOutcome(SOLD_OUT, remaining=int(stock[0]))
        if int(used) + req.quantity > req.quota_quantity:
            # give the units back in this same transaction (rolled back below, in effect)
            self._execute(
                cursor,
                "UPDATE citizen_reservations_pharmacystock SET reserved = reserved - %s"
                " WHERE item_code = %s AND pharmacy_id = %s AND day = %s",
                [req.quantity, req.item, req.pharmacy_id, req.day],
            )
            return ReserveOutcome(QUOTA_EXCEEDED)
        rid, code, remaining = new_reservation_id(), new_code(), int(stock[0])
        self._insert(
            cursor,
            StreamedReservation(
                reservation_id=rid,
                code=code,
                item=req.item,
                pharmacy_id=req.pharmacy_id,
                day=req.day,
                person_key=req.person_key,
                quantity=req.quantity,
                idempotency_key=req.idempotency_key,
                body_hash=req.body_hash,
                account_id=req.account_id,
                created_at=now,
                pickup_deadline=now + PICKUP_WINDOW,
            ),
            source="db",
            remaining=remaining,
        )
        return ReserveOutcome(ACCEPTED, code, remaining, rid)

    def _row(self, r: StreamedReservation, *, source: str, remaining: int | None) -> list:
        values = [
            r.reservation_id,
            r.code,
            r.item,
            r.pharmacy_id,
            r.day,
            r.person_key,
            r.quantity,
            r.account_id,
            r.idempotency_key,
            r.body_hash,
            "reserved",
            r.created_at,
            r.pickup_deadline,
            source,
            remaining,
        ]
        return [self._param(v) for v in values]

    def _insert(
        self, cursor: Any, r: StreamedReservation, *, source: str, remaining: int | None
    ) -> None:
        cursor.execute(
            self._sql(INSERT_RESERVATION), self._row(r, source=source, remaining=remaining)
        )

    # -- write-behind (Redis mode)
    def record(self, entries: Sequence[StreamedReservation]) -> int:
        """Insert reservations accepted by Redis, idempotently by id, and count the stock
        they took, in one transaction. Returns how many were new. The caller acknowledges
        the stream entries only after this returns (committed)."""
        unique = list({r.reservation_id: r for r in entries}.values())
        if not unique:
            return 0
        with self._transaction():
            cursor = self.connection.cursor()
            try:
                return self._record(cursor, unique)
            finally:
                cursor.close()

    def _existing(self, cursor: Any, column: str, values: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(values), 500):
            chunk = values[i : i + 500]
            marks = ", ".join(["%s"] * len(chunk))  # placeholders only, never values
            sql = (
                f"SELECT {column} FROM citizen_reservations_reservation"  # noqa: S608
                f" WHERE {column} IN ({marks})"
            )
            found.update(str(row[0]) for row in self._execute(cursor, sql, chunk).fetchall())
        return found

    def _record(self, cursor: Any, entries: list[StreamedReservation]) -> int:
        # Batched: two lookups, one multi-row insert, one stock update per pharmacy and day —
        # the write-behind must outpace a surge.
        written = self._existing(cursor, "id", [r.reservation_id for r in entries])
        new = [r for r in entries if r.reservation_id not in written]
        if not new:
            return 0
        taken_keys = self._existing(cursor, "idempotency_key", [r.idempotency_key for r in new])
        rows = []
        stock: dict[tuple[str, int, date], int] = {}
        for r in new:
            if r.idempotency_key in taken_keys:
                # Redis forgot the key (expired, or lost and rebuilt) and accepted again: the
                # reservation stands, it must not be lost; keep it under a derived key.
                r = StreamedReservation(
                    **{**r.__dict__, "idempotency_key": f"{r.idempotency_key}:{r.reservation_id}"}
                )
            taken_keys.add(r.idempotency_key)
            rows.append(self._row(r, source="redis", remaining=r.remaining))
            key = (r.item, r.pharmacy_id, r.day)
            stock[key] = stock.get(key, 0) + r.quantity
        cursor.executemany(self._sql(INSERT_RESERVATION), rows)
        for (item, pharmacy_id, day), quantity in sorted(stock.items()):
            self._execute(
                cursor,
                "UPDATE citizen_reservations_pharmacystock SET reserved = reserved + %s"
                " WHERE item_code = %s AND pharmacy_id = %s AND day = %s",
                [quantity, item, pharmacy_id, day],
            )
        return len(rows)


def _dialect_of(connection: Any) -> str:
    vendor = getattr(connection, "vendor", None)  # Django's connection wrapper
    if vendor:
        return "sqlite" if vendor == "sqlite" else "postgresql"
    return "sqlite" if type(connection).__module__.startswith("sqlite3") else "postgresql"


def _is_integrity_error(exc: BaseException) -> bool:
    # DB-API modules each define their own IntegrityError; Django wraps them in its own.
    return type(exc).__name__ in ("IntegrityError", "UniqueViolation")
