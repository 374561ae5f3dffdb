"""Domain events through a durable outbox.

`outbox_publish` writes the event, and one delivery row per subscribed handler, in the
caller's transaction; once that commits, it enqueues the delivery on Django's tasks API. An
event of a transaction that rolls back is never seen.

Each delivery runs its handler inside a transaction that holds the delivery row locked and
marks it delivered in the same commit, so a handler's database effect happens exactly once
however often the task or the sweep runs. A handler that raises has its writes rolled back
(a savepoint) and is retried with exponential backoff; after MAX_ATTEMPTS it is parked as
dead for an operator. Effects outside the database (a text message sent) are at least once.

Handlers subscribe with `@event_handler(topic)` in a module named `handlers.py` of their
app; the kernel imports every app's `handlers` module at start-up, so every process, the
publisher included, knows every subscriber. `crisisgov worker` runs the task queue and
sweeps what is due: retries, and events whose enqueue was lost in a crash.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from crisisgov.kernel.models import OutboxDelivery, OutboxEvent
from crisisgov.kernel.pii_logging import redact

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
Handler = Callable[[OutboxEvent], None]
_handlers: dict[str, dict[str, Handler]] = defaultdict(dict)


def event_handler(topic: str) -> Callable[[Handler], Handler]:
    """Subscribe a function to a topic; its dotted name identifies its deliveries."""

    def register(func: Handler) -> Handler:
        _handlers[topic][handler_name(func)] = func
        return func

    return register


def handler_name(func: Handler) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def handlers_for(topic: str) -> dict[str, Handler]:
    return dict(_handlers.get(topic, {}))


# A publisher that delivers its own event right after the commit leaves it this long to the
# worker's sweep, which takes it over only if the publisher died first.
INLINE_GRACE = dt.timedelta(seconds=30)


def outbox_publish(*, topic: str, payload: dict, deliver_inline: bool = False) -> OutboxEvent:
    """Record an event in the current transaction; delivery is scheduled on commit.

    `deliver_inline`: the caller delivers it itself after its commit (outbox_deliver_event),
    as a stream stage does to keep its latency: no task is queued, and the worker's sweep
    attempts it only after INLINE_GRACE."""
    with transaction.atomic():  # the event and its deliveries stand or fall together
        event = OutboxEvent.objects.create(topic=topic, payload=payload)
        due = timezone.now() + (INLINE_GRACE if deliver_inline else dt.timedelta(0))
        deliveries = OutboxDelivery.objects.bulk_create(
            OutboxDelivery(event=event, handler=name, next_attempt_at=due)
            for name in handlers_for(topic)
        )
        if deliveries and not deliver_inline:
            transaction.on_commit(lambda: _enqueue(event.pk))
    return event


def _enqueue(event_id: int) -> None:
    from crisisgov.kernel.tasks import deliver_outbox_event

    try:
        deliver_outbox_event.enqueue(event_id=event_id)
    except Exception:  # the sweep picks it up; the event itself is already durable
        logger.exception("could not enqueue delivery of outbox event %s", event_id)


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failure: 2 s, 4 s, 8 s ... at most an hour."""
    return dt.timedelta(seconds=min(2**attempts, 3600))


class Outcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"  # rescheduled, or dead after MAX_ATTEMPTS
    SKIPPED = "skipped"  # already delivered or dead, or another worker holds it


def outbox_deliver_event(*, event_id: int) -> int:
    """Deliver one event to every handler still waiting for it; returns how many succeeded."""
    pending = OutboxDelivery.objects.filter(
        event_id=event_id, delivered_at__isnull=True, dead=False
    ).values_list("id", flat=True)
    outcomes = [_deliver_one(delivery_id) for delivery_id in list(pending)]
    return outcomes.count(Outcome.DELIVERED)


def outbox_deliver_due(*, limit: int = 500) -> int:
    """Attempt what is due (retries, and events whose enqueue was lost in a crash).

    Returns how many deliveries were attempted, delivered or not, so a caller can repeat
    until nothing is due.
    """
    due = (
        OutboxDelivery.objects.filter(
            delivered_at__isnull=True, dead=False, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    outcomes = [_deliver_one(delivery_id) for delivery_id in list(due)]
    return len(outcomes) - outcomes.count(Outcome.SKIPPED)


def _deliver_one(delivery_id: int) -> Outcome:
    with transaction.atomic():
        # Another worker delivering it holds the lock: leave it to them (PostgreSQL; SQLite
        # serialises writers anyway).
        delivery = (
            OutboxDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(id=delivery_id)
            .first()
        )
        if delivery is None or delivery.delivered_at or delivery.dead:
            return Outcome.SKIPPED
        delivery.attempts += 1
        try:
            handler = handlers_for(delivery.event.topic).get(delivery.handler)
            if handler is None:
                raise LookupError(f"no handler {delivery.handler} is registered")
            with transaction.atomic():  # a savepoint: a failing handler's writes roll back
                handler(delivery.event)
        except Exception as exc:
            _record_failure(delivery, f"{type(exc).__name__}: {exc}")
            return Outcome.FAILED
        delivery.delivered_at = timezone.now()
        delivery.last_error = ""
        delivery.save(update_fields=["attempts", "delivered_at", "last_error"])
        return Outcome.DELIVERED


def _record_failure(delivery: OutboxDelivery, error: str) -> None:
    error = redact(error)  # an exception message may quote a phone or ID number
    delivery.last_error = error[:2000]
    delivery.dead = delivery.attempts >= MAX_ATTEMPTS
    delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
    delivery.save(update_fields=["attempts", "last_error", "dead", "next_attempt_at"])
    if delivery.dead:
        logger.error(
            "outbox delivery %s (%s) is dead after %s attempts: %s",
            delivery.pk,
            delivery.handler,
            delivery.attempts,
            error,
        )
    else:
        logger.warning(
            "outbox delivery %s (%s) failed, attempt %s: %s",
            delivery.pk,
            delivery.handler,
            delivery.attempts,
            error,
        )


# --- sweeps the worker runs every round -----------------------------------------------------

Sweep = Callable[[], int]
_sweeps: dict[str, Sweep] = {}


def worker_sweep(func: Sweep) -> Sweep:
    """Register work `crisisgov worker` does every round (returns how much it did), so that
    work whose trigger was lost in a crash (an enqueue after a commit) is still picked up."""
    _sweeps[f"{func.__module__}.{func.__qualname__}"] = func
    return func


def worker_sweeps_run() -> int:
    done = 0
    for name, sweep in sorted(_sweeps.items()):
        try:
            done += sweep()
        except Exception:  # one app's failing sweep must not stop the others
            logger.exception("worker sweep %s failed", name)
    return done


# Retention: an event whose every handler has run is kept this long (for an audit of what
# flowed where), then deleted. Events with a dead delivery stay until someone looks.
OUTBOX_RETENTION = dt.timedelta(days=30)
PRUNE_EVERY = dt.timedelta(hours=1)
_last_prune: dt.datetime | None = None


def outbox_prune(*, now: dt.datetime | None = None, limit: int = 10_000) -> int:
    """Delete up to `limit` fully delivered events older than OUTBOX_RETENTION."""
    from django.db.models import Exists, OuterRef

    cutoff = (now or timezone.now()) - OUTBOX_RETENTION
    pending = OutboxDelivery.objects.filter(event=OuterRef("pk"), delivered_at__isnull=True)
    ids = list(
        OutboxEvent.objects.filter(created_at__lt=cutoff)
        .exclude(Exists(pending))
        .values_list("pk", flat=True)[:limit]
    )
    OutboxEvent.objects.filter(pk__in=ids).delete()  # their deliveries go with them
    return len(ids)


@worker_sweep
def prune_delivered_events() -> int:
    """At most once an hour per worker: the outbox does not grow without end."""
    global _last_prune
    now = timezone.now()
    if _last_prune is not None and now - _last_prune < PRUNE_EVERY:
        return 0
    _last_prune = now
    return outbox_prune(now=now)
