"""The surge edge: the few citizen endpoints that take a surge, as a small Starlette app served by
granian (`granian --interface asgi --workers N crisisgov.edge.app:app`), beside Django.

No Django here (an import-linter contract says so): the citizen is known by the edge pass
cookie Django issued (`crisisgov.citizen.edge_pass`), decisions are the reservation store's
(`crisisgov.citizen.reservations.store`), tokens are `crisisgov.citizen.tokens`. Settings come
from the same environment variables as Django's (`crisisgov.edge.config`). See docs/edge.md.

Overload: at most `CRISISGOV_EDGE_MAX_IN_FLIGHT` reservations are worked on at once per
process; the next one is answered 429 with Retry-After at once, so the admitted ones stay
fast and goodput holds instead of every request timing out together.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import redis.asyncio
import redis.exceptions
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crisisgov.citizen import edge_pass, tokens
from crisisgov.citizen.reservations import store
from crisisgov.directory import idnumber
from crisisgov.edge.config import EdgeConfig, read_config
from crisisgov.edge.db import Database, as_utc
from crisisgov.edge.reserve import REDIS_TIMEOUT, Items, RedisReservations, SqlReservations
from crisisgov.kernel import pii

# What a store that is down or restarting raises: answered 503 with Retry-After.
UNAVAILABLE = (
    OSError,
    sqlite3.OperationalError,
    psycopg.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
)
BLIND_INDEX_CONTEXT = "blind-index.national_id"  # as kernel.fields.blind_index_for("national_id")
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,100}")
ITEM_CODE = re.compile(r"[-a-zA-Z0-9_]{1,30}")
DOCUMENT_NAME = re.compile(r"[-a-zA-Z0-9_]{1,60}")
MAX_BODY = 4096
PUBLISHED_CACHE_SECONDS = 1.0  # the edge re-reads a published document at most once a second
STATUS_TOKEN_MINUTES = 60  # a QR token holds an hour at most, never past the status itself
REDIS_DOC_KEY = "crisisgov:doc:{name}"  # as crisisgov.citizen.publishing.REDIS_KEY
ONE_DAY = timedelta(days=1)
MAX_ADVANCE = timedelta(days=15)


def error(status: int, code: str, message: str, field: str | None = None, **headers: str) -> Any:
    detail: dict[str, str] = {"code": code, "message": message}
    if field:
        detail["field"] = field
    response = JSONResponse(
        {"detail": [detail]},
        status_code=status,
        headers={name.replace("_", "-"): value for name, value in headers.items()} or None,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


class Edge:
    """The edge's state for one process: config, connections, the in-flight count."""

    def __init__(self, config: EdgeConfig, db: Database | None = None):
        self.config = config
        self.db = db or Database.from_config(config.database_url, str(config.sqlite_path))
        self.items = Items(self.db)
        self.redis: Any = None
        if config.redis_url:
            # No per-read socket timeout (redis-py would wrap every read and write in its own
            # wait_for): each whole call is bounded instead (reserve.REDIS_TIMEOUT).
            self.redis = redis.asyncio.Redis.from_url(config.redis_url, socket_connect_timeout=1)
            self.reservations: RedisReservations | SqlReservations = RedisReservations(
                self.redis, self.db
            )
        else:
            self.reservations = SqlReservations(self.db)
        self.in_flight = 0
        self.signing_kid, self.signing_key = config.signing_keys[0]
        own = {kid: key.public_key() for kid, key in config.signing_keys}
        self.verification_keys = tokens.key_registry(own=own)
        self._documents: dict[str, tuple[float, tuple[bytes, str, datetime] | None]] = {}

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()

    def the_pass(self, request: Request) -> edge_pass.EdgePass:
        text = request.cookies.get(edge_pass.COOKIE_NAME)
        auth = request.headers.get("authorization", "")
        if not text and auth.startswith("Bearer "):
            text = auth.removeprefix("Bearer ").strip()  # clients that keep no cookies
        return edge_pass.pass_verify(text, key=self.config.pass_key, now=time.time())

    # -- reserve ------------------------------------------------------------------------------
    def retry_after(self) -> str:
        """Retry-After in whole seconds, spread over 1-3x the setting: refused clients that all
        honour it do not come back in the same second."""
        base = self.config.retry_after
        return str(random.randint(base, 3 * base))  # noqa: S311 (not a secret)

    def overloaded(self) -> Response:
        retry = self.retry_after()
        return error(
            429, "overloaded", f"too many requests: try again in {retry} s", Retry_After=retry
        )

    async def reserve(self, request: Request) -> Response:
        if self.in_flight >= self.config.max_in_flight:
            return self.overloaded()
        self.in_flight += 1
        try:
            return await self._reserve(request)
        finally:
            self.in_flight -= 1

    async def _reserve(self, request: Request) -> Response:
        try:
            holder = self.the_pass(request)
        except edge_pass.PassRefused as refused:
            return error(401, "unauthorized", str(refused))
        # A JSON content type cannot be sent cross-site without a CORS preflight, which the
        # edge never grants: together with SameSite=Strict this is the edge's CSRF defence.
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return error(415, "unsupported_media_type", "send application/json")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return error(413, "too_large", f"the body is over {MAX_BODY} bytes")
        try:
            body = json.loads(raw)
        except ValueError:
            return error(422, "invalid", "the body is not JSON")
        if not isinstance(body, dict):
            return error(422, "invalid", "the body must be a JSON object")
        parsed = await self._parse(body, holder)
        if isinstance(parsed, Response):
            return parsed
        try:
            outcome = await self.reservations.reserve(parsed, datetime.now(UTC))
        except UNAVAILABLE:
            # The store is down or restarting. Whether it took the reservation is unknown to
            # us; a retry with the same idempotency key gets the original answer if it did.
            return error(
                503,
                "unavailable",
                "the reservation store is not answering: try again",
                Retry_After=self.retry_after(),
            )
        return reserve_answer(parsed, outcome)

    async def _parse(
        self, body: dict[str, Any], holder: edge_pass.EdgePass
    ) -> store.ReserveRequest | Response:
        """The request, or a 422 naming the first bad field (403 for someone else's ID)."""
        item = body.get("item")
        if not isinstance(item, str) or not ITEM_CODE.fullmatch(item):
            return error(422, "invalid", "item must be an item code such as mask", "item")
        rule = await self.items.get(item)
        if rule is None:
            return error(422, "invalid", f"no rationed item {item!r}", "item")
        pharmacy_id = body.get("pharmacy_id")
        if type(pharmacy_id) is not int or not 1 <= pharmacy_id < 2**62:
            return error(
                422, "invalid", "pharmacy_id must be a positive whole number", "pharmacy_id"
            )
        try:
            day = date.fromisoformat(body.get("day"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return error(422, "invalid", "day must be a date like 2026-11-27", "day")
        # The city's local day may be a day ahead of or behind UTC's; stock is published
        # at most two weeks ahead.
        today = datetime.now(UTC).date()
        if not today - ONE_DAY <= day <= today + MAX_ADVANCE:
            return error(422, "invalid", "day must be today or a day with published stock", "day")
        quantity = body.get("quantity", 1)
        if type(quantity) is not int or not 1 <= quantity <= rule.quota_quantity:
            return error(
                422,
                "invalid",
                f"quantity must be 1 to {rule.quota_quantity} (the per-person quota)",
                "quantity",
            )
        key = body.get("idempotency_key")
        if not isinstance(key, str) or not IDEMPOTENCY_KEY.fullmatch(key):
            return error(
                422,
                "invalid",
                "idempotency_key must be 8-100 letters, digits or _.:-",
                "idempotency_key",
            )
        number = body.get("id_number")
        try:
            if not isinstance(number, str):
                raise idnumber.InvalidNationalId("id_number must be text")
            number = idnumber.validate(number)
        except idnumber.InvalidNationalId as exc:
            return error(422, "invalid_id_number", str(exc), "id_number")
        person_key = pii.blind_index(number, context=BLIND_INDEX_CONTEXT, ring=self.config.key_ring)
        if person_key not in holder.id_indexes:
            return error(
                403,
                "not_yours",
                "you may reserve only for yourself or a resident you are registered to act for",
                "id_number",
            )
        return store.ReserveRequest(
            item=item,
            pharmacy_id=pharmacy_id,
            day=day,
            person_key=person_key,
            quantity=quantity,
            idempotency_key=key,
            body_hash=store.body_hash_of(
                item=item,
                pharmacy_id=pharmacy_id,
                day=day,
                person_key=person_key,
                quantity=quantity,
                account_id=holder.account_id,
            ),
            account_id=holder.account_id,
            quota_quantity=rule.quota_quantity,
            quota_days=rule.quota_days,
        )

    # -- reads --------------------------------------------------------------------------------
    async def mine(self, request: Request) -> Response:
        try:
            holder = self.the_pass(request)
        except edge_pass.PassRefused as refused:
            return error(401, "unauthorized", str(refused))
        keys = sorted(holder.id_indexes)
        rows = await self.reservations.mine(keys, await self.items.codes())
        # The blind index stays inside: the answer says which resident by position in the pass.
        position = {index: n for n, (_, index) in enumerate(holder.residents)}
        for row in rows:
            row["person_id"] = holder.residents[position[row.pop("person_key")]][0]
        return private({"reservations": rows})

    async def status(self, request: Request) -> Response:
        try:
            holder = self.the_pass(request)
        except edge_pass.PassRefused as refused:
            return error(401, "unauthorized", str(refused))
        people = list(holder.person_ids)
        rows = await self.db.run(lambda conn, ps: _statuses(conn, ps, people)) if people else {}
        now = datetime.now(UTC)
        answer = []
        for person in people:
            status, valid_until, rule = rows.get(person, (None, None, None))
            entry: dict[str, Any] = {"person_id": person, "status": None, "token": None}
            if status in tokens.STATUSES and valid_until is not None and valid_until > now:
                minutes = min(STATUS_TOKEN_MINUTES, int((valid_until - now).total_seconds() // 60))
                entry |= {
                    "status": status,
                    "rule": rule,
                    "valid_until": valid_until.isoformat().replace("+00:00", "Z"),
                }
                if minutes >= 1:
                    entry["token"] = tokens.token_issue(
                        private_key=self.signing_key,
                        key_id=self.signing_kid,
                        status=status,
                        valid_minutes=minutes,
                        now=now,
                    )
            answer.append(entry)
        return private({"residents": answer})

    async def verify(self, request: Request) -> Response:
        """As Django's citizen `verify` view: 200 with the status, 422 with the reason."""
        try:
            token = json.loads(await request.body()).get("token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str):
            return private({"reason": "bad_request", "detail": 'expected {"token": "..."}'}, 400)
        try:
            claims = tokens.token_verify(token, keys=self.verification_keys, now=datetime.now(UTC))
        except tokens.TokenRefused as refused:
            return private({"reason": str(refused.reason), "detail": str(refused)}, 422)
        valid_until = claims.valid_until.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return private(
            {"status": claims.status, "valid_until": valid_until, "issuer": claims.issuer_region}
        )

    async def published(self, request: Request) -> Response:
        name = request.path_params["name"]
        if not DOCUMENT_NAME.fullmatch(name):
            return error(404, "not_found", "no such document")
        document = await self._document(name)
        if document is None:
            return error(404, "not_found", f"no published document {name!r}")
        body, etag, published_at = document
        headers = {
            "ETag": f'"{etag}"',
            "Cache-Control": "public, max-age=30",
            "Last-Modified": published_at.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        }
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    async def _document(self, name: str) -> tuple[bytes, str, datetime] | None:
        cached = self._documents.get(name)
        if cached is not None and time.monotonic() - cached[0] < PUBLISHED_CACHE_SECONDS:
            return cached[1]
        document = None
        if self.redis is not None:
            async with asyncio.timeout(REDIS_TIMEOUT):
                raw = await self.redis.hmget(
                    REDIS_DOC_KEY.format(name=name), "body", "etag", "published_at"
                )
            if raw[0] is not None:
                document = (raw[0], raw[1].decode(), as_utc(raw[2].decode()) or _EPOCH)
        if document is None:
            document = await self.db.run(lambda conn, ps: _document_row(conn, ps, name))
        if len(self._documents) > 1000:  # names are checked, but bound the cache anyway
            self._documents.clear()
        self._documents[name] = (time.monotonic(), document)
        return document


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def reserve_answer(req: store.ReserveRequest, outcome: store.ReserveOutcome) -> Response:
    """The HTTP answer of a store decision, as Django's reservations API gives it."""
    if outcome.result in (store.ACCEPTED, store.DUPLICATE):
        return private(
            {
                "result": outcome.result,
                "reservation_id": outcome.reservation_id,
                "code": outcome.code,
                "remaining": outcome.remaining,
                "replayed": outcome.result == store.DUPLICATE,
            },
            201 if outcome.result == store.ACCEPTED else 200,
        )
    field, message = REFUSALS[outcome.result]
    return error(409, outcome.result, message, field)


# As crisisgov/citizen/reservations/api.py (Django) words them; the edge takes a day as well.
REFUSALS = {
    store.KEY_REUSED: ("idempotency_key", "this idempotency key was used for a different request"),
    store.SOLD_OUT: ("pharmacy_id", "the pharmacy has no stock left for that day"),
    store.QUOTA_EXCEEDED: ("id_number", "this person's quota for the period is used up"),
    store.NOT_OPEN: (
        "pharmacy_id",
        "the pharmacy has published no stock of this item for that day",
    ),
}


def private(body: dict, status: int = 200) -> Response:
    response = JSONResponse(body, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _statuses(conn: Any, paramstyle: str, people: list[int]) -> dict[int, tuple]:
    marks = ", ".join(["?" if paramstyle == "qmark" else "%s"] * len(people))
    cursor = conn.cursor()
    try:
        sql = "SELECT person_id, status, valid_until, rule_code FROM citizen_healthstatus"
        cursor.execute(f"{sql} WHERE person_id IN ({marks})", people)  # noqa: S608 (marks only)
        rows = cursor.fetchall()
    finally:
        cursor.close()
        if not getattr(conn, "autocommit", True):
            conn.rollback()
    return {int(row[0]): (row[1], as_utc(row[2]), row[3]) for row in rows}


def _document_row(conn: Any, paramstyle: str, name: str) -> tuple[bytes, str, datetime] | None:
    cursor = conn.cursor()
    try:
        mark = "?" if paramstyle == "qmark" else "%s"
        sql = "SELECT body, etag, published_at FROM citizen_publisheddocument WHERE name = "
        cursor.execute(sql + mark, [name])
        row = cursor.fetchone()
    finally:
        cursor.close()
        if not getattr(conn, "autocommit", True):
            conn.rollback()
    if row is None:
        return None
    return (row[0].encode(), row[1], as_utc(row[2]) or _EPOCH)


def create_app(config: EdgeConfig | None = None, db: Database | None = None) -> Starlette:
    """The edge as an ASGI app; tests pass their own config and database."""
    edge = Edge(config or read_config(), db)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await edge.close()

    app = Starlette(
        routes=[
            Route("/edge/reserve", edge.reserve, methods=["POST"]),
            Route("/edge/reservations/mine", edge.mine, methods=["GET"]),
            Route("/edge/status/mine", edge.status, methods=["GET"]),
            Route("/edge/verify", edge.verify, methods=["POST"]),
            Route("/edge/published/{name}.json", edge.published, methods=["GET"]),
            Route("/edge/health", health, methods=["GET"]),
        ],
        middleware=[*_cors(edge.config), Middleware(Admission, edge=edge)],
        lifespan=lifespan,
    )
    app.state.edge = edge
    return app


def _cors(config: EdgeConfig) -> list[Middleware]:
    """Cross-origin access for the citizen pages' own origins only, outermost so that a 429
    carries it too (a page must read Retry-After). Other sites get no CORS header: with the
    JSON content type (a preflight) and the SameSite=Strict pass they cannot reserve."""
    if not config.allowed_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(config.allowed_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            allow_credentials=True,
            expose_headers=["Retry-After"],
            max_age=600,
        )
    ]


class Admission:
    """Refuses a reservation over the in-flight limit before routing, parsing or anything else:
    under ten times the load, the 429s must cost as little as possible."""

    def __init__(self, app: Any, edge: Edge):
        self.app, self.edge = app, edge

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == "/edge/reserve"
            and self.edge.in_flight >= self.edge.config.max_in_flight
        ):
            await self.edge.overloaded()(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def health(request: Request) -> Response:
    return private({"ok": True})


class _LazyApp:
    """`crisisgov.edge.app:app` for granian: built on first use, so importing this module
    (tests, lint) reads no environment and opens nothing."""

    def __init__(self) -> None:
        self._app: Starlette | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            self._app = create_app()
        await self._app(scope, receive, send)


app = _LazyApp()
