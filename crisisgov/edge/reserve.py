"""The edge's reservation stores: the Redis script through `redis.asyncio`, or the SQL store on
the database when there is no Redis. Both make the decision of
`crisisgov.citizen.reservations.store`; the edge adds no rule of its own."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from crisisgov.citizen.reservations import store
from crisisgov.edge.db import Database, as_utc

ITEM_CACHE_SECONDS = 30.0
MINE_LIMIT = 50
REDIS_TIMEOUT = 3.0  # seconds
MINE_SQL = (
    "SELECT id, code, item_code, pharmacy_id, day, quantity, state, created_at,"
    " pickup_deadline, person_key FROM citizen_reservations_reservation"
)


@dataclass(frozen=True)
class ItemRule:
    code: str
    quota_quantity: int
    quota_days: int


class Items:
    """The rationed items and their quotas, read from the database at most every 30 s."""

    def __init__(self, db: Database):
        self.db = db
        self._items: dict[str, ItemRule] = {}
        self._read_at = float("-inf")

    async def get(self, code: str) -> ItemRule | None:
        age = time.monotonic() - self._read_at
        # An unknown code re-reads at most once a second: a new item shows up quickly, a
        # stream of made-up codes costs one query a second.
        if age > ITEM_CACHE_SECONDS or (code not in self._items and age > 1.0):
            await self._refresh()
        return self._items.get(code)

    async def codes(self) -> list[str]:
        if time.monotonic() - self._read_at > ITEM_CACHE_SECONDS:
            await self._refresh()
        return list(self._items)

    async def _refresh(self) -> None:
        self._items = await self.db.run(_read_items)
        self._read_at = time.monotonic()


def _read_items(conn: Any, paramstyle: str) -> dict[str, ItemRule]:
    cursor = conn.cursor()
    try:
        cursor.execute(
            "SELECT code, quota_quantity, quota_days FROM citizen_reservations_rationeditem"
            " WHERE active = %s".replace("%s", "?" if paramstyle == "qmark" else "%s"),
            [True],
        )
        return {row[0]: ItemRule(row[0], int(row[1]), int(row[2])) for row in cursor.fetchall()}
    finally:
        cursor.close()
        _end_read(conn)


def _end_read(conn: Any) -> None:
    # psycopg outside autocommit, or a sqlite3 connection: leave no transaction open.
    if not getattr(conn, "autocommit", True):
        conn.rollback()


class SqlReservations:
    """The SQL store on the edge's own connections (one per worker thread)."""

    def __init__(self, db: Database):
        self.db = db

    async def reserve(self, req: store.ReserveRequest, now: datetime) -> store.ReserveOutcome:
        return await self.db.run(lambda conn, ps: _sql_store(conn, ps).reserve(req, now))

    async def mine(self, person_keys: list[str], items: list[str]) -> list[dict]:
        return await self.db.run(lambda conn, ps: _rows_of(conn, ps, person_keys))


def _sql_store(conn: Any, paramstyle: str) -> store.SqlStore:
    if paramstyle == "format":  # psycopg in autocommit: its transaction() issues BEGIN
        return store.SqlStore(conn, paramstyle, dialect="postgresql", transaction=conn.transaction)
    return store.SqlStore(conn, paramstyle, dialect="sqlite")


def _rows_of(conn: Any, paramstyle: str, person_keys: list[str]) -> list[dict]:
    if not person_keys:
        return []
    marks = ", ".join(["?" if paramstyle == "qmark" else "%s"] * len(person_keys))
    cursor = conn.cursor()
    try:
        where = f"person_key IN ({marks}) ORDER BY created_at DESC LIMIT {MINE_LIMIT}"
        cursor.execute(f"{MINE_SQL} WHERE {where}", person_keys)  # noqa: S608 (marks only)
        rows = cursor.fetchall()
    finally:
        cursor.close()
        _end_read(conn)
    return [
        _reservation(
            rid=row[0],
            code=row[1],
            item=row[2],
            pharmacy_id=int(row[3]),
            day=row[4] if isinstance(row[4], str) else row[4].isoformat(),
            quantity=int(row[5]),
            state=row[6],
            created_at=as_utc(row[7]),
            deadline=as_utc(row[8]),
            person_key=row[9],
        )
        for row in rows
    ]


def _reservation(
    *,
    rid: str,
    code: str,
    item: str,
    pharmacy_id: int,
    day: str,
    quantity: int,
    state: str,
    created_at: datetime | None,
    deadline: datetime | None,
    person_key: str,
) -> dict:
    return {
        "id": rid,
        "code": code,
        "item": item,
        "pharmacy_id": pharmacy_id,
        "day": day,
        "quantity": quantity,
        "state": state,
        "created_at": _iso(created_at),
        "pickup_deadline": _iso(deadline),
        "person_key": person_key,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


class Coalescer:
    """Sends the script calls of every request that is waiting at the same moment as one
    pipeline: one write and one read per batch instead of one per request. Under a surge most
    of the edge's time went into redis-py's per-command round trip (benchmarks/
    bench_reservations.py); batching changes nothing else: each call gets its own answer or
    its own error, in order."""

    def __init__(self, client: Any, max_batch: int = 256):
        self.client = client
        self.max_batch = max_batch
        self._waiting: list[tuple[tuple[Any, ...], asyncio.Future]] = []
        self._scheduled = False

    async def call(self, *command: Any) -> Any:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((command, future))
        if not self._scheduled:
            # After the requests already runnable have queued theirs: they go in this batch.
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._scheduled = False
        waiting, self._waiting = self._waiting, []
        for start in range(0, len(waiting), self.max_batch):
            batch = waiting[start : start + self.max_batch]
            task = asyncio.ensure_future(self._send(batch))
            _background.add(task)
            task.add_done_callback(_background.discard)

    async def _send(self, batch: list[tuple[tuple[Any, ...], asyncio.Future]]) -> None:
        from redis.exceptions import ResponseError

        pool = self.client.connection_pool
        connection = await pool.get_connection()
        try:
            await connection.send_packed_command([resp_command(c) for c, _ in batch])
            answers: list[Any] = []
            for _ in batch:
                try:
                    answers.append(await connection.read_response())
                except ResponseError as refused:  # an error answer to this one command
                    answers.append(refused)
        except BaseException as exc:  # the connection failed (redis-py closed it): all did
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        finally:
            await pool.release(connection)
        for (_, future), answer in zip(batch, answers, strict=True):
            if future.done():  # its request gave up waiting (timeout)
                continue
            if isinstance(answer, Exception):
                future.set_exception(answer)
            else:
                future.set_result(answer)


def resp_command(command: tuple[Any, ...]) -> bytes:
    """A command in the Redis protocol (RESP). Ours are text and whole numbers only; redis-py's
    general encoder cost more than the rest of a reservation (profiled)."""
    parts = [b"*%d\r\n" % len(command)]
    for arg in command:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


_background: set[asyncio.Task] = set()  # the event loop keeps only weak references to tasks


class RedisReservations:
    """The Lua script by EVALSHA on `redis.asyncio` (loaded again after NOSCRIPT), batched by
    the Coalescer; `mine` merges the database's rows with those still waiting for the
    write-behind."""

    def __init__(self, client: Any, db: Database):
        self.client = client
        self.coalescer = Coalescer(client)
        self.sql = SqlReservations(db)
        self._sha: str | None = None

    async def _evalsha(self, keys: list[str], args: list[Any]) -> Any:
        from redis.exceptions import NoScriptError

        if self._sha is None:
            self._sha = await self.client.script_load(store.RESERVE_LUA)
        try:
            return await self.coalescer.call("EVALSHA", self._sha, len(keys), *keys, *args)
        except NoScriptError:  # Redis restarted or flushed its script cache
            self._sha = await self.client.script_load(store.RESERVE_LUA)
            return await self.client.evalsha(self._sha, len(keys), *keys, *args)

    async def reserve(self, req: store.ReserveRequest, now: datetime) -> store.ReserveOutcome:
        rid = store.new_reservation_id()
        # A request waiting on a dead Redis holds an admission slot: give up after a while
        # (TimeoutError; the edge answers 503, and a retry with the same key is safe).
        async with asyncio.timeout(REDIS_TIMEOUT):
            raw = await self._evalsha(
                store.reserve_keys(req, rid), store.reserve_args(req, now, reservation_id=rid)
            )
        return store.parse_reserve_result(raw)

    async def mine(self, person_keys: list[str], items: list[str]) -> list[dict]:
        async with asyncio.timeout(REDIS_TIMEOUT):
            return await self._mine(person_keys, items)

    async def _mine(self, person_keys: list[str], items: list[str]) -> list[dict]:
        found = {r["id"]: r for r in await self.sql.mine(person_keys, items)}
        # Accepted but not yet written behind: the person's quota set names them.
        async with self.client.pipeline(transaction=False) as pipe:
            for item in items:
                for key in person_keys:
                    pipe.zrange(store.quota_key(item, key), 0, -1)
            members = await pipe.execute()
        rids = {m.decode().rsplit(":", 1)[0] for ms in members for m in ms} - set(found)
        if rids:
            async with self.client.pipeline(transaction=False) as pipe:
                for rid in rids:
                    pipe.hgetall(store.reservation_key(rid))
                for raw in await pipe.execute():
                    if raw:
                        r = store.StreamedReservation.from_fields(store.stream_entry_fields(raw))
                        found[r.reservation_id] = _reservation(
                            rid=r.reservation_id,
                            code=r.code,
                            item=r.item,
                            pharmacy_id=r.pharmacy_id,
                            day=r.day.isoformat(),
                            quantity=r.quantity,
                            state="reserved",
                            created_at=r.created_at,
                            deadline=r.pickup_deadline,
                            person_key=r.person_key,
                        )
        return sorted(found.values(), key=lambda r: r["created_at"] or "", reverse=True)


def parse_day(text: object) -> date:
    if not isinstance(text, str):
        raise ValueError("day must be a date like 2026-11-27")
    return date.fromisoformat(text)
