"""The demo's hotline: tickets of the project's dataset taken over the last three days in the
generated city, dispatched to their departments and running against their clocks: answered in
time and rated, answered late, sent back once, overdue and escalated, and fresh ones with time
left. The first district's health commission (the demo department officer) has a full inbox.
Idempotent: a city that already has tickets gets none added."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from crisisgov.geo.facade import Level, areas_at_level
from crisisgov.kernel.actor import Actor, Scope
from crisisgov.opinion.dataset import load as dataset
from crisisgov.opinion.permissions import OpinionPermission
from crisisgov.opinion.tickets import clock, services
from crisisgov.opinion.tickets.catalogue import catalogue_load_defaults, department_desk
from crisisgov.opinion.tickets.models import Category, Ticket

TICKETS = 36
HEALTH_IN_FIRST_DISTRICT = 8
P = OpinionPermission


def _actor(name: str, permission: str, area_path: str, organisation_id: int | None = None):
    scope = Scope(role="demo", permissions=frozenset({permission}), area_path=area_path,
                  organisation_id=organisation_id)  # fmt: skip
    return Actor(user_id=None, username=name, scopes=(scope,))


def _picked(rows: list, districts: list) -> list[tuple]:
    """(dataset ticket, district): health tickets for the first district first, then a mix."""
    health = [t for t in rows if t.department == "health"][:HEALTH_IN_FIRST_DISTRICT]
    others = [t for t in rows if t.department != "health"][: TICKETS - len(health)]
    out = [(t, districts[0]) for t in health]
    out += [(t, d) for t, d in zip(others, itertools.cycle(districts), strict=False)]
    return out


def opinion_tickets_demo_ensure() -> list[str]:
    classes, categories = catalogue_load_defaults()
    cities = areas_at_level(Level.CITY)
    if not cities:
        return ["Hotline tickets: no city yet"]
    city = cities[0]
    if Ticket.objects.filter(area_path__under=city.path).exists():
        return ["Hotline tickets: already there (catalogue loaded)"]
    districts = areas_at_level(Level.DISTRICT, under=city.path)
    operator = _actor("demo-hotline", P.TAKE_CALLS, city.path)
    known = set(Category.objects.values_list("code", flat=True))
    now = timezone.now()
    made = late = 0
    for number, (row, district) in enumerate(_picked(dataset.tickets(), districts)):
        received = now - dt.timedelta(hours=70) + dt.timedelta(hours=2 * number)
        with clock.frozen(received) as advance:
            ticket = services.call_register(
                actor=operator, area_id=district.id, text=row.text,
                caller_name=f"来电人{number + 1:02d}", caller_phone=f"1390000{number:04d}",
                category_code=row.category if row.category in known else "",
                urgency=row.urgency if row.urgency in ("normal", "urgent") else "normal",
            )  # fmt: skip
            advance(dt.timedelta(minutes=3))
            ticket = services.ticket_dispatch(
                actor=operator, ticket_id=ticket.pk, department_code=row.department,
                reason="demo: the dataset's department",
            )  # fmt: skip
            late += _handle(ticket, number, advance, now)
        made += 1
    swept = services.tickets_sweep_clock(now=now)
    return [
        f"Hotline tickets: catalogue {classes} classes and {categories} categories new; "
        f"{made} tickets over the last 3 days ({late} answered late), {swept} clock steps "
        "(reminders, breaches, escalations); the demo department officer's inbox: "
        "/opinion/tickets/inbox/"
    ]


def _handle(ticket: Ticket, number: int, advance, now: dt.datetime) -> int:  # type: ignore[no-untyped-def]
    """What the department does with the `number`-th ticket (a fixed pattern of outcomes)."""
    desk = department_desk(code=ticket.department.code, area_path=ticket.department.area_path)
    officer = _actor(f"demo-{desk.code}", P.HANDLE_TICKETS, desk.area_path, desk.organisation_id)
    outcome = number % 6
    if clock.now() + dt.timedelta(hours=6) > now:
        return 0  # the freshest tickets are still waiting, with time left
    if outcome in (0, 1, 2):  # answered, mostly in time, and rated
        advance(dt.timedelta(minutes=20 if outcome else 90))
        services.ticket_accept(actor=officer, ticket_id=ticket.pk, note="已联系来电人")
        advance(dt.timedelta(hours=1 + 5 * outcome))
        ticket = services.ticket_resolve(actor=officer, ticket_id=ticket.pk,
                                         answer="已核实并处理，感谢您的来电。")  # fmt: skip
        services.ticket_rate(token=ticket.rating_token, satisfaction=(5, 4, 2)[outcome])
        return int(ticket.breached_at is not None)
    if outcome == 3:  # accepted, still in hand
        advance(dt.timedelta(minutes=15))
        services.ticket_accept(actor=officer, ticket_id=ticket.pk)
    if outcome == 4:  # sent back once: not this department's
        advance(dt.timedelta(minutes=30))
        services.ticket_return(actor=officer, ticket_id=ticket.pk,
                               reason="不属于本部门职责，请重新派单")  # fmt: skip
    return 0  # outcome 5: nobody touched it (it will breach and escalate)
