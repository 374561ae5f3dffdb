"""Outbox handlers of the exchange: accepted records flow on to push subscribers."""

from __future__ import annotations

from crisisgov.exchange.subscriptions import subscriptions_deliver, webhook_send_due
from crisisgov.kernel.models import OutboxEvent
from crisisgov.kernel.outbox import event_handler, worker_sweep


@event_handler("exchange.records_changed")
def owe_subscribers(event: OutboxEvent) -> None:
    """Runs in the outbox delivery's transaction, so each event's deliveries are made once."""
    subscriptions_deliver(
        dataset_id=event.payload["dataset_id"],
        first_change=event.payload["first_change"],
        last_change=event.payload["last_change"],
    )


@worker_sweep
def send_due_webhooks() -> int:
    """Every worker round: deliveries whose task was never enqueued (a crash) or whose retry is
    due go out even without their task."""
    return webhook_send_due()
