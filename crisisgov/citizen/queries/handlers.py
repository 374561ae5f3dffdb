"""Outbox handlers and worker sweeps of the citizen queries."""

from __future__ import annotations

from crisisgov.citizen.queries.exposures import exposures_republish_if_new_day
from crisisgov.citizen.queries.risk import risk_document_publish
from crisisgov.kernel.models import OutboxEvent
from crisisgov.kernel.outbox import event_handler, worker_sweep


@event_handler("earlywarning.risk_level_changed")
def republish_risk_levels(event: OutboxEvent) -> None:
    """An approved level: the published document `risk-levels` is rebuilt whole (a few hundred
    areas at most), so a lost or repeated event still leaves it right."""
    risk_document_publish()


@worker_sweep
def republish_exposures_daily() -> int:
    """Every worker round, but once a day: exposures older than the window drop out."""
    return exposures_republish_if_new_day()
