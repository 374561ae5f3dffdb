"""Domain events through a durable outbox.

`outbox_publish` writes the event in the caller's transaction and, once that commits, enqueues
its delivery on Django's tasks API. Each subscribed handler runs in its own transaction that
also marks its delivery done, so a handler's effect happens exactly once even if a worker dies
mid-way; failures are retried with exponential backoff and parked as dead after
MAX_ATTEMPTS. `crisisgov worker` runs the task queue and sweeps anything a crash left behind.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from crisisgov.kernel.models import OutboxDelivery, OutboxEvent

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
Handler = Callable[[OutboxEvent], None]
_handlers: dict[str, dict[str, Handler]] = defaultdict(dict)


def event_handler(topic: str) -> Callable[[Handler], Handler]:
    """Subscribe a function to a topic; its dotted name identifies its deliveries."""

    def register(func: Handler) -> Handler:
        _handlers[topic][f"{func.__module__}.{func.__qualname__}"] = func
        return func

    return register


def handlers_for(topic: str) -> dict[str, Handler]:
    return dict(_handlers.get(topic, {}))


def outbox_publish(*, topic: str, payload: dict) -> OutboxEvent:
    """Record an event in the current transaction; delivery is scheduled on commit."""
    event = OutboxEvent.objects.create(topic=topic, payload=payload)
    now = timezone.now()
    OutboxDelivery.objects.bulk_create(
        OutboxDelivery(event=event, handler=name, next_attempt_at=now)
        for name in handlers_for(topic)
    )
    transaction.on_commit(lambda: _enqueue(event.pk))
    return event


def _enqueue(event_id: int) -> None:
    from crisisgov.kernel.tasks import deliver_outbox_event

    try:
        deliver_outbox_event.enqueue(event_id=event_id)
    except Exception:  # the sweep picks it up; the event itself is already durable
        logger.exception("could not enqueue delivery of outbox event %s", event_id)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(2**attempts, 3600))


def outbox_deliver_event(*, event_id: int) -> int:
    """Deliver one event to every handler still waiting for it; returns how many succeeded."""
    delivered = 0
    pending = OutboxDelivery.objects.filter(
        event_id=event_id, delivered_at__isnull=True, dead=False
    ).values_list("id", flat=True)
    for delivery_id in list(pending):
        delivered += _deliver_one(delivery_id)
    return delivered


def _deliver_one(delivery_id: int) -> int:
    error = ""
    try:
        with transaction.atomic():
            delivery = (
                OutboxDelivery.objects.select_for_update()
                .select_related("event")
                .get(id=delivery_id)
            )
            if delivery.delivered_at or delivery.dead:
                return 0  # another worker got there first
            handler = handlers_for(delivery.event.topic).get(delivery.handler)
            if handler is None:
                raise LookupError(f"no handler {delivery.handler} is registered")
            handler(delivery.event)
            delivery.attempts += 1
            delivery.delivered_at = timezone.now()
            delivery.save(update_fields=["attempts", "delivered_at"])
            return 1
    except Exception as exc:  # the handler's own writes were rolled back with it
        error = f"{type(exc).__name__}: {exc}"
        logger.warning("outbox delivery %s failed: %s", delivery_id, error)
    with transaction.atomic():
        delivery = OutboxDelivery.objects.select_for_update().get(id=delivery_id)
        delivery.attempts += 1
        delivery.last_error = error[:2000]
        delivery.dead = delivery.attempts >= MAX_ATTEMPTS
        delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
        delivery.save(update_fields=["attempts", "last_error", "dead", "next_attempt_at"])
    return 0


def outbox_deliver_due(*, limit: int = 500) -> int:
    """Deliver what is due: retries, and events whose enqueue was lost in a crash."""
    due = (
        OutboxDelivery.objects.filter(
            delivered_at__isnull=True, dead=False, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    return sum(_deliver_one(delivery_id) for delivery_id in list(due))
