"""Reads of tickets: the dispatcher's queue, a department's inbox with its clocks, and the
per-department figures. Every read starts from what the actor may see."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet

from crisisgov.kernel.actor import Actor
from crisisgov.opinion.permissions import OpinionPermission
from crisisgov.opinion.tickets import clock
from crisisgov.opinion.tickets.models import Department, Ticket, TicketState
from crisisgov.opinion.tickets.services import (
    handler_organisations,
    ticket_for,
    tickets_visible,
)

P = OpinionPermission
IN_HAND = (TicketState.ASSIGNED, TicketState.ACCEPTED)


def _base(actor: Actor) -> QuerySet:
    return tickets_visible(actor).select_related(
        "message", "department", "escalated_to", "category"
    )


def ticket_get(*, actor: Actor, ticket_id: int) -> Ticket:
    return ticket_for(actor, ticket_id, lock=False)


def dispatch_queue(*, actor: Actor) -> QuerySet:
    """New and returned tickets of the operator's areas, oldest first."""
    areas = Q(pk__in=[])
    for scope in actor.scopes_for(P.TAKE_CALLS):
        areas |= Q(area_path__under=scope.area_path)
    if actor.is_system:
        areas = Q()
    states = (TicketState.NEW, TicketState.RETURNED)
    return _base(actor).filter(areas, state__in=states).order_by("received_at", "id")


def inbox(*, actor: Actor, include_done: bool = False) -> QuerySet:
    """A department's tickets in hand (and those escalated to it), breached first, then by
    the nearest deadline."""
    orgs = Q(pk__in=[])
    for scope in actor.scopes_for(P.HANDLE_TICKETS):
        if scope.organisation_id is not None:
            orgs |= Q(area_path__under=scope.area_path) & (
                Q(organisation_id=scope.organisation_id)
                | Q(escalated_to__organisation_id=scope.organisation_id)
            )
    rows = _base(actor).filter(orgs)
    if not include_done:
        rows = rows.filter(state__in=IN_HAND)
    return rows.order_by(F("breached_at").asc(nulls_last=True), "resolve_due", "id")


def escalated_to_me(actor: Actor, ticket: Ticket) -> bool:
    if not ticket.escalated_to_id:
        return False
    return ticket.escalated_to.organisation_id in handler_organisations(actor, ticket.area_path)


@dataclass(frozen=True)
class Clock:
    """A ticket's clock as a page shows it."""

    due: dt.datetime | None
    seconds_left: int | None  # negative past the deadline
    breached: bool  # the current deadline has passed
    which: str  # "response" | "resolve" | ""

    @property
    def label(self) -> str:
        if self.seconds_left is None:
            return ""
        left = abs(self.seconds_left)
        text = (
            f"{left // 86400}d {left % 86400 // 3600}h"
            if left >= 86400
            else (f"{left // 3600}h {left % 3600 // 60:02d}m")
        )
        return text


def ticket_clock(ticket: Ticket, now: dt.datetime | None = None) -> Clock:
    now = now or clock.now()
    if ticket.state == TicketState.ASSIGNED:
        due, which = ticket.response_due, "response"
    elif ticket.state in (TicketState.ACCEPTED, TicketState.RETURNED):
        due, which = ticket.resolve_due, "resolve"
    else:
        due, which = None, ""
    left = int((due - now).total_seconds()) if due else None
    return Clock(due, left, left is not None and left < 0, which)


# --- figures per department -----------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentFigures:
    department_id: int
    code: str
    name_zh: str
    name_en: str
    area_path: str
    tickets: int
    open: int
    breached: int
    response_due: int  # tickets whose response was due by now (or given)
    responded_in_time: int
    resolve_due: int
    resolved_in_time: int
    rated: int
    satisfied: int  # rated 4 or 5
    median_response_minutes: float | None

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part / whole, 3) if whole else None

    @property
    def response_rate(self) -> float | None:
        return self._rate(self.responded_in_time, self.response_due)

    @property
    def resolution_rate(self) -> float | None:
        return self._rate(self.resolved_in_time, self.resolve_due)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.rated)

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_zh


def department_stats(
    *, actor: Actor, area_path: str = "", now: dt.datetime | None = None
) -> list[DepartmentFigures]:
    """Per department desk, over the tickets the actor may see (under `area_path` if given).

    Response rate: first responses given by the response deadline / tickets whose response
    was due (deadline passed, or answered). Resolution rate likewise with the resolve
    deadline. Satisfaction rate: ratings of 4 or 5 / ratings. Median time from the call to
    the first response, in minutes.
    """
    now = now or clock.now()
    rows = tickets_visible(actor).filter(department__isnull=False)
    if area_path:
        rows = rows.filter(area_path__under=area_path)
    by_desk: dict[int, list[Ticket]] = {}
    fields = ("department_id", "state", "received_at", "response_due", "resolve_due",
              "responded_at", "resolved_at", "breached_at", "satisfaction")  # fmt: skip
    for ticket in rows.only(*fields).order_by("id").iterator(chunk_size=5000):
        by_desk.setdefault(ticket.department_id, []).append(ticket)
    desks = Department.objects.in_bulk(list(by_desk))
    figures = [_figures(desks[desk_id], tickets, now) for desk_id, tickets in by_desk.items()]
    return sorted(figures, key=lambda f: (f.area_path, f.code))


def _missed(ticket: Ticket, now: dt.datetime) -> bool:
    """A deadline passed without its step (whether or not the sweep saw it at the time)."""
    if ticket.breached_at is not None:
        return True
    late_response = (ticket.responded_at or now) > ticket.response_due
    return late_response or (ticket.resolved_at or now) > ticket.resolve_due


def _figures(desk: Department, tickets: list[Ticket], now: dt.datetime) -> DepartmentFigures:
    response_due = [
        t for t in tickets if t.responded_at or (t.response_due and t.response_due <= now)
    ]
    resolve_due = [t for t in tickets if t.resolved_at or (t.resolve_due and t.resolve_due <= now)]
    waits = [
        (t.responded_at - t.received_at).total_seconds() / 60 for t in tickets if t.responded_at
    ]
    rated = [t for t in tickets if t.satisfaction is not None]
    return DepartmentFigures(
        department_id=desk.pk, code=desk.code, name_zh=desk.name_zh, name_en=desk.name_en,
        area_path=desk.area_path, tickets=len(tickets),
        open=sum(t.state in IN_HAND for t in tickets),
        breached=sum(_missed(t, now) for t in tickets),
        response_due=len(response_due),
        responded_in_time=sum(
            bool(t.responded_at and t.responded_at <= t.response_due) for t in response_due
        ),
        resolve_due=len(resolve_due),
        resolved_in_time=sum(
            bool(t.resolved_at and t.resolved_at <= t.resolve_due) for t in resolve_due
        ),
        rated=len(rated), satisfied=sum(t.satisfaction >= 4 for t in rated),
        median_response_minutes=round(statistics.median(waits), 1) if waits else None,
    )  # fmt: skip
