"""The situation board's panel of tickets: per department, the tickets in hand with their
clocks (breached first). The board renders templates/opinion_tickets/_board_panel.html with
the dict `board_panel(actor)` returns as its context (one key, `tickets_panel`)."""

from __future__ import annotations

from django.db.models import F

from crisisgov.kernel.actor import Actor
from crisisgov.opinion.tickets import clock, selectors
from crisisgov.opinion.tickets.models import TicketState
from crisisgov.opinion.tickets.services import tickets_visible

PER_DEPARTMENT = 5
DEPARTMENTS = 12


def board_panel(actor: Actor) -> dict:
    """{"tickets_panel": {"departments": [{name_zh, name_en, code, area_path, open, breached,
    escalated, tickets: [{id, state, clock, escalated}]}], "waiting_dispatch": n,
    "breached": n}}. Ticket texts are not on the board: the panel is counts and clocks only."""
    now = clock.now()
    visible = tickets_visible(actor)
    in_hand = (
        visible.filter(state__in=selectors.IN_HAND)
        .select_related("department")
        .order_by(F("breached_at").asc(nulls_last=True), "resolve_due", "id")
    )
    by_desk: dict[int, dict] = {}
    for ticket in in_hand[:2000]:
        desk = ticket.department
        entry = by_desk.setdefault(
            desk.pk,
            {"code": desk.code, "name_zh": desk.name_zh, "name_en": desk.name_en,
             "area_path": desk.area_path, "open": 0, "breached": 0, "escalated": 0,
             "tickets": []},
        )  # fmt: skip
        ticket_clock = selectors.ticket_clock(ticket, now)
        entry["open"] += 1
        entry["breached"] += ticket.breached_at is not None or ticket_clock.breached
        entry["escalated"] += ticket.escalated_at is not None
        if len(entry["tickets"]) < PER_DEPARTMENT:
            entry["tickets"].append(
                {"id": ticket.pk, "state": ticket.state, "clock": ticket_clock,
                 "escalated": ticket.escalated_at is not None}
            )  # fmt: skip
    departments = sorted(by_desk.values(), key=lambda d: (-d["breached"], -d["open"], d["code"]))
    waiting = visible.filter(state__in=(TicketState.NEW, TicketState.RETURNED)).count()
    panel = {
        "departments": departments[:DEPARTMENTS],
        "waiting_dispatch": waiting,
        "breached": sum(d["breached"] for d in departments),
    }
    return {"tickets_panel": panel}
