"""Outbox handlers and worker sweeps of the citizen services' health status."""

from __future__ import annotations

from crisisgov.citizen import status_rules
from crisisgov.citizen.status import statuses_compute_for_ids, statuses_refresh_due
from crisisgov.directory.facade import resident_ids_for_indexes
from crisisgov.exchange.facade import changed_record_indexes
from crisisgov.kernel.models import OutboxEvent
from crisisgov.kernel.outbox import event_handler, worker_sweep


@event_handler("exchange.records_changed")
def recompute_statuses(event: OutboxEvent) -> None:
    """Residents named by changed health records get their status recomputed (in the
    delivery's transaction: a failure retries the whole batch)."""
    standard, id_indexes, phone_indexes = changed_record_indexes(
        dataset_id=event.payload["dataset_id"],
        first_change=event.payload["first_change"],
        last_change=event.payload["last_change"],
    )
    if standard == status_rules.STAY_STANDARD:
        people = resident_ids_for_indexes(id_indexes=[], phone_indexes=phone_indexes)
    elif standard in status_rules.EVIDENCE_STANDARDS:
        people = resident_ids_for_indexes(id_indexes=id_indexes, phone_indexes=[])
    else:
        return
    if people:
        statuses_compute_for_ids(people)


@worker_sweep
def refresh_due_statuses() -> int:
    """Every worker round: statuses whose window closed or whose override expired."""
    return statuses_refresh_due()
