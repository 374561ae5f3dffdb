"""The response clock: every deadline of a ticket is computed from `now()` here.

Tests (and the demo) move time with `frozen(at)` or `set_now(fn)`; everything else in the
app may use Django's timezone.now. A context variable, so that a frozen clock in one test
(or one thread) never leaks into another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_source: ContextVar[Callable[[], dt.datetime] | None] = ContextVar(
    "opinion_tickets_clock", default=None
)


def now() -> dt.datetime:
    source = _source.get()
    return source() if source is not None else timezone.now()


def set_now(source: Callable[[], dt.datetime] | None) -> None:
    """Replace the clock (None puts the real one back)."""
    _source.set(source)


@contextmanager
def frozen(at: dt.datetime) -> Iterator[Callable[[dt.timedelta], None]]:
    """The clock stands at `at` inside the block; the yielded `advance(delta)` moves it."""
    moment = [at]
    token = _source.set(lambda: moment[0])

    def advance(delta: dt.timedelta) -> None:
        moment[0] += delta

    try:
        yield advance
    finally:
        _source.reset(token)
