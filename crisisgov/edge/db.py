"""The edge's database access: plain DB-API connections (psycopg for PostgreSQL, sqlite3 for the
embedded SQLite), one per worker thread, used off the event loop with a bounded thread pool.

The edge owns no tables: Django's migrations create them; the edge reads published read models
and health statuses and hands its connection to the reservation store.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
from anyio import to_thread

T = TypeVar("T")


class Database:
    """Runs `fn(connection, paramstyle)` in a worker thread with that thread's own connection."""

    def __init__(self, connect: Callable[[], Any], paramstyle: str, *, threads: int = 8):
        self._connect = connect
        self.paramstyle = paramstyle  # "format" (%s) for psycopg, "qmark" (?) for sqlite3
        self._local = threading.local()
        self._limiter: anyio.CapacityLimiter | None = None
        self._threads = threads

    @classmethod
    def from_config(cls, database_url: str, sqlite_path: str) -> Database:
        if database_url.startswith(("postgres://", "postgresql://")):
            import psycopg

            return cls(lambda: psycopg.connect(database_url, autocommit=True), "format")
        if database_url and not database_url.startswith("sqlite:"):
            raise ValueError("DATABASE_URL must be postgres://... or empty for SQLite")
        path = database_url.removeprefix("sqlite:///") if database_url else sqlite_path
        return cls(lambda: _sqlite(path), "qmark")

    def connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def forget(self) -> None:
        """Drop this thread's connection after an error: the next call opens a fresh one."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with contextlib.suppress(Exception):  # it is broken already
                conn.close()

    async def run(self, fn: Callable[[Any, str], T]) -> T:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._threads)
        return await to_thread.run_sync(self._call, fn, limiter=self._limiter)

    def _call(self, fn: Callable[[Any, str], T]) -> T:
        try:
            return fn(self.connection(), self.paramstyle)
        except Exception:
            self.forget()
            raise

    def mark(self, sql: str) -> str:
        """`sql` written with %s placeholders, in this database's placeholder style."""
        return sql if self.paramstyle == "format" else sql.replace("%s", "?")


def _sqlite(path: str) -> sqlite3.Connection:
    # Autocommit (isolation_level None); writers wait for the lock as Django's do.
    conn = sqlite3.connect(path, timeout=20, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=20000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def as_utc(value: Any) -> datetime | None:
    """A timestamp column as an aware UTC datetime (SQLite hands back naive UTC text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
