"""Worker sweeps of the reservations: write-behind, expiry, the published stock document."""

from __future__ import annotations

import logging

from django.conf import settings

from crisisgov.kernel.outbox import worker_sweep

logger = logging.getLogger(__name__)
_durability_checked = False


@worker_sweep
def write_reservations_behind() -> int:
    """With Redis: write the reservations Redis accepted to the database (and claim what a
    dead worker left pending). At the first round, warn when Redis could lose them."""
    global _durability_checked
    if not settings.REDIS_URL:
        return 0
    from crisisgov.citizen.reservations.writebehind import (
        redis_durability_problems,
        writebehind_run,
    )

    if not _durability_checked:
        _durability_checked = True
        for problem in redis_durability_problems():
            logger.warning(
                "reservations: %s — see docs/deployment.md (appendonly yes, appendfsync always)",
                problem,
            )
    return writebehind_run()


@worker_sweep
def expire_unclaimed_reservations() -> int:
    """Reservations not picked up by their deadline return to stock."""
    from crisisgov.citizen.reservations.services import reservations_expire

    return reservations_expire()


@worker_sweep
def republish_stock() -> int:
    """The public stock document, every few seconds and only when it changed. Returns 0: a
    refreshed read model is no outstanding work (`worker --once` would loop on it)."""
    from crisisgov.citizen.reservations.publishing import stock_publish_if_changed

    stock_publish_if_changed()
    return 0
