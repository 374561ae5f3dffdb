"""Outbox handlers and worker sweeps of the tickets."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crisisgov.kernel.models import OutboxEvent
from crisisgov.kernel.outbox import event_handler, worker_sweep
from crisisgov.opinion.tickets.services import (
    hotline_messages_among,
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


@event_handler("opinion.messages_analysed")
def open_tickets_for_hotline_messages(event: OutboxEvent) -> None:
    """A hotline message that arrived through the core's intake (not the operators' form)
    still gets its ticket, waiting for dispatch; other channels are not tickets."""
    for message_id in hotline_messages_among([int(i) for i in event.payload["message_ids"]]):
        ticket_from_message(message_id=message_id)


@event_handler("opinion.ticket_escalated")
def escalation_to_command_centre(event: OutboxEvent) -> None:
    """A ticket past its resolve deadline goes up: its department's parent desk sees it in its
    inbox ("escalated to you"), and the command centre gets it in its alert inbox, beside the
    hot spots and the outbreak signals."""
    from crisisgov.earlywarning.facade import opinion_alarm_raise
    from crisisgov.opinion.tickets.models import Ticket

    ticket = (
        Ticket.objects.select_related("department", "escalated_to", "area")
        .filter(pk=event.payload["ticket_id"])
        .first()
    )
    if ticket is None or ticket.escalated_at is None:  # deleted by retention meanwhile
        return
    desk = ticket.department
    desk_zh = desk.name_zh if desk else "未派单"
    opinion_alarm_raise(
        kind="ticket_overdue",
        area_id=ticket.area_id,
        area_path=ticket.area_path,
        title_zh=f"热线工单 #{ticket.pk} 超时未办结，已升级（{desk_zh}）",
        title_en=(
            f"Hotline ticket #{ticket.pk} past its deadline, escalated "
            f"({desk.name_en if desk else 'not dispatched'})"
        ),
        dedup_key=f"opinion:ticket-escalated:{ticket.pk}",
        detail={
            "ticket_id": ticket.pk,
            "department": desk.code if desk else "",
            "escalated_to": ticket.escalated_to.code if ticket.escalated_to_id else "",
            "resolve_due": ticket.resolve_due.isoformat() if ticket.resolve_due else None,
        },
    )
