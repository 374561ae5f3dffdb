"""Worker sweeps of the bulletins."""

from __future__ import annotations

from crisisgov.citizen.bulletins.services import bulletins_draft_due
from crisisgov.kernel.outbox import worker_sweep


@worker_sweep
def draft_daily_bulletins() -> int:
    """Every worker round: once yesterday's case numbers are in, each city's bulletin of
    yesterday is drafted (once: one bulletin per area and day) for an official to publish."""
    return bulletins_draft_due()
