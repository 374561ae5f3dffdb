"""Outbox handlers and worker sweeps of the early warning app."""

from __future__ import annotations

from crisisgov.earlywarning.detection import evaluation_run
from crisisgov.earlywarning.series import case_reports_sync
from crisisgov.kernel.models import OutboxEvent
from crisisgov.kernel.outbox import event_handler, worker_sweep


@event_handler("exchange.records_changed")
def count_case_reports(event: OutboxEvent) -> None:
    """Accepted case reports become daily counts per community (a changed count: a new
    revision). Runs in the delivery's transaction, so an event is counted once."""
    case_reports_sync(dataset_id=event.payload["dataset_id"])


@worker_sweep
def evaluate_signals() -> int:
    """Every worker round: detectors and Rt rerun for indicators with new observations (a
    no-op otherwise), so a day's new counts are evaluated without anyone asking."""
    return evaluation_run()


@worker_sweep
def evaluate_risk_levels_daily() -> int:
    """Every worker round, but each rule set once a day: the default rule sets are seeded when
    missing and the day's changes of level become proposals for an official."""
    from crisisgov.earlywarning.risk import risk_evaluate_due, risk_rules_seed_default

    risk_rules_seed_default()
    return risk_evaluate_due()


@worker_sweep
def mark_silent_sensors() -> int:
    """Every worker round: a sensor that missed twice its reporting interval is marked silent
    and raises one alert (its next reading clears the mark)."""
    from crisisgov.earlywarning.sensors import sensors_silent_sweep

    return sensors_silent_sweep()
