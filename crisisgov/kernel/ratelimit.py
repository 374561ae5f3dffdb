"""Counting attempts per key in fixed windows, in Django's cache (Redis in production, so the
count holds across processes). For lookups that would otherwise let someone enumerate
personal data, e.g. which ID numbers belong to registered residents."""

from __future__ import annotations

import time

from django.core.cache import cache

from crisisgov.kernel.errors import TooManyAttempts


def attempt_count(scope: str, key: str, *, window_seconds: int) -> int:
    """Counts one more attempt of `key` in the current window and returns the count so far."""
    name = f"ratelimit:{scope}:{key}:{int(time.time() // window_seconds)}"
    if cache.add(name, 1, timeout=window_seconds + 1):
        return 1
    try:
        return cache.incr(name)
    except ValueError:  # expired between add and incr: a new window
        cache.add(name, 1, timeout=window_seconds + 1)
        return 1


def attempt_allow(scope: str, key: str, *, limit: int, window_seconds: int, field: str) -> None:
    """Raises TooManyAttempts (429, naming `field`) once `key` is over `limit` in the window."""
    if attempt_count(scope, key, window_seconds=window_seconds) > limit:
        minutes = max(1, window_seconds // 60)
        raise TooManyAttempts(
            f"too many attempts: at most {limit} in {minutes} minutes, try again later",
            field=field,
        )
