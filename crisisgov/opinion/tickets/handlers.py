"""Outbox handlers and worker sweeps of the tickets."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crisisgov.kernel.models import OutboxEvent
from crisisgov.kernel.outbox import event_handler, worker_sweep
from crisisgov.opinion.tickets.services import (
    ticket_from_message,
    tickets_expire,
    tickets_sweep_clock,
)

EXPIRE_EVERY = dt.timedelta(hours=1)  # retention counts in days: once an hour is plenty
_last_expiry: dt.datetime | None = None


@worker_sweep
def sweep_ticket_clocks() -> int:
    """Every worker round: reminders before deadlines, breaches and escalations after them."""
    return tickets_sweep_clock()


@worker_sweep
def sweep_expired_tickets() -> int:
    """Once an hour: delete answered tickets past their retention (releasing their messages)."""
    global _last_expiry
    now = timezone.now()
    if _last_expiry is not None and now - _last_expiry < EXPIRE_EVERY:
        return 0
    _last_expiry = now
    return tickets_expire()


@event_handler("opinion.message_received")
def open_ticket_for_hotline_message(event: OutboxEvent) -> None:
    """A hotline message that arrived through the core's intake (not the operators' form)
    still gets its ticket, waiting for dispatch; other channels are not tickets."""
    ticket_from_message(message_id=int(event.payload["message_id"]))
