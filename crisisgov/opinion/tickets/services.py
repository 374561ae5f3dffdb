"""Tickets: take a call, dispatch it, respond, send it back, resolve, rate; the clock sweep.

A state change is one function: one transaction, the write, a TicketEvent for the people
involved and an audit entry naming the actor. Every deadline is computed from the injectable
clock (`clock.now()`).

Rules of handling:
- The first department that receives a ticket handles it. Passing it on needs a reason and
  goes back to the dispatcher (state "returned"); departments never pass tickets among
  themselves.
- The clock runs from the call: a return does not restart it (the caller is still waiting).
- Past the response deadline without a first response, or past the resolve deadline without
  an answer, the ticket is breached. Past the resolve deadline it is also escalated: to the
  same department one area level up (its officers see it in their inbox as "escalated to
  you") and, through the outbox event `opinion.ticket_escalated`, to the command centre.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from crisisgov.geo.facade import Level, area_for_actor
from crisisgov.kernel.actor import ANONYMOUS, SYSTEM, Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied
from crisisgov.kernel.outbox import outbox_publish
from crisisgov.opinion.analyser import messages_analyse
from crisisgov.opinion.intake import message_receive, retention_days
from crisisgov.opinion.models import Channel, Message
from crisisgov.opinion.permissions import OpinionPermission
from crisisgov.opinion.tickets import clock
from crisisgov.opinion.tickets.catalogue import (
    command_centre_id,
    department_desk,
    department_names,
    desk_parent,
    desk_path,
)
from crisisgov.opinion.tickets.masking import masked
from crisisgov.opinion.tickets.models import (
    OPEN_STATES,
    Category,
    Ticket,
    TicketEvent,
    TicketState,
    TimeLimitClass,
    Urgency,
)
from crisisgov.opinion.tickets.routing import routing_suggest
from crisisgov.opinion.understanding import vector_from_bytes

P = OpinionPermission
MAX_TEXT = 5000
MIN_REASON = 4  # characters: "wrong department" in a word or two, not an empty click


# --- who may do what ------------------------------------------------------------------------


def handler_organisations(actor: Actor, area_path: str) -> set[int]:
    """Organisations the actor handles tickets for at `area_path` (their department roles)."""
    return {
        s.organisation_id
        for s in actor.scopes_for(P.HANDLE_TICKETS)
        if s.organisation_id is not None and area_path.startswith(s.area_path)
    }


def is_handler(actor: Actor, ticket: Ticket) -> bool:
    """The assigned department's officers (and those it was escalated to) handle a ticket;
    only they see its whole text and the caller's contact."""
    if actor.is_system:
        return True
    if ticket.state not in (TicketState.ASSIGNED, TicketState.ACCEPTED, TicketState.RESOLVED,
                            TicketState.CLOSED):  # fmt: skip
        return False
    orgs = handler_organisations(actor, ticket.area_path)
    escalated = ticket.escalated_to.organisation_id if ticket.escalated_to_id else None
    return ticket.organisation_id in orgs or (escalated is not None and escalated in orgs)


def tickets_visible(actor: Actor):  # type: ignore[no-untyped-def]
    """Tickets the actor may see (texts redacted): the board and the hotline by area, the
    departments by area and organisation (their own, and those escalated to them)."""
    if actor.is_system:
        return Ticket.objects.all()
    condition = Q(pk__in=[])
    for scope in actor.scopes_for(P.VIEW_BOARD) + actor.scopes_for(P.TAKE_CALLS):
        if scope.organisation_id is None:
            condition |= Q(area_path__under=scope.area_path)
    for scope in actor.scopes_for(P.HANDLE_TICKETS):
        if scope.organisation_id is not None:
            condition |= Q(area_path__under=scope.area_path) & (
                Q(organisation_id=scope.organisation_id)
                | Q(escalated_to__organisation_id=scope.organisation_id)
            )
    return Ticket.objects.filter(condition)


def ticket_for(actor: Actor, ticket_id: int, *, lock: bool = True) -> Ticket:
    rows = tickets_visible(actor).select_related(
        "message", "department", "escalated_to", "category"
    )
    if lock:
        rows = rows.select_for_update(of=("self",))
    ticket = rows.filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound("no such ticket", field="ticket_id")
    return ticket


def _dispatcher_ticket(actor: Actor, ticket_id: int) -> Ticket:
    ticket = ticket_for(actor, ticket_id)
    if not actor.can_at(P.TAKE_CALLS, ticket.area_path):
        raise PermissionDenied("only the hotline dispatches tickets")
    return ticket


def _handled_ticket(actor: Actor, ticket_id: int) -> Ticket:
    ticket = ticket_for(actor, ticket_id)
    if not is_handler(actor, ticket):
        raise PermissionDenied("only the receiving department handles this ticket")
    return ticket


# --- the record of each step ----------------------------------------------------------------


def _event(ticket: Ticket, actor: Actor, action: str, *, reason: str = "", code: str = "") -> None:
    TicketEvent.objects.create(
        ticket=ticket, at=clock.now(), actor_username=actor.username, action=action,
        department_code=code or (ticket.department.code if ticket.department_id else ""),
        reason=reason,
    )  # fmt: skip


def _audit(
    actor: Actor, ticket: Ticket, action: str, permission: str | None, *,
    fields_read: tuple[str, ...] = (), **detail: object,
) -> None:  # fmt: skip
    audit_record(
        actor=actor, action=action, permission=permission, target_type="opinion_tickets.ticket",
        target_id=ticket.pk, area_path=ticket.area_path, fields_read=fields_read, detail=detail,
    )  # fmt: skip


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise DomainError("give a reason (a few words at least)", field="reason")
    return masked(reason[:1000])  # reasons are shown to everyone who sees the ticket


# --- taking a call --------------------------------------------------------------------------


def _message_store(*, text: str, area_code: str, at: dt.datetime) -> Message:
    """The call's text as an opinion message through the core's intake (normalised, redacted
    for everyone but its handler), analysed now rather than with the next batch: the operator
    is waiting for the routing suggestions, which read its embedding."""
    message = message_receive(
        channel=Channel.HOTLINE, text=text, posted_at=at, area_code=area_code
    ).message
    messages_analyse(message_ids=[message.pk])
    message.refresh_from_db()
    return message


def _embedding(message: Message) -> np.ndarray | None:
    if not message.embedding:
        return None
    return vector_from_bytes(message.embedding)


def call_register(
    *, actor: Actor, area_id: int, text: str, caller_name: str = "", caller_phone: str = "",
    category_code: str = "", urgency: str = Urgency.NORMAL,
) -> Ticket:  # fmt: skip
    """A hotline operator registers a call: the message, the ticket (waiting for dispatch)
    and the routing suggestions the dispatcher will confirm or override."""
    area = area_for_actor(actor=actor, area_id=area_id, action=P.TAKE_CALLS)
    if area.level < Level.DISTRICT:
        raise DomainError("choose the caller's district (or a street in it)", field="area_id")
    text = (text or "").strip()
    if not text:
        raise DomainError("write down what the caller said", field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(f"at most {MAX_TEXT} characters", field="text")
    if urgency not in Urgency.values:
        raise DomainError("urgency is normal or urgent", field="urgency")
    phone = re.sub(r"[\s-]", "", caller_phone or "")
    if phone and not re.fullmatch(r"\+?\d{5,15}", phone):
        raise DomainError("a phone number has 5 to 15 digits", field="caller_phone")
    category = None
    if category_code:
        category = Category.objects.filter(code=category_code, active=True).first()
        if category is None:
            raise DomainError("unknown category", field="category")
    at = clock.now()
    with transaction.atomic():
        message = _message_store(text=text, area_code=area.code, at=at)
        suggestions = routing_suggest(
            text=message.text, category=category.code if category else None,
            rule_department=category.department_code if category else None,
            embedding=_embedding(message),
        )  # fmt: skip
        ticket = Ticket.objects.create(
            message=message, category=category, urgency=urgency, area_id=area.id,
            area_path=area.path, caller_name=(caller_name or "").strip()[:100],
            caller_phone=phone, received_at=at, suggestions=[s.as_dict() for s in suggestions],
            created_by_id=actor.user_id,
        )  # fmt: skip
        _event(ticket, actor, "registered")
        _audit(actor, ticket, "opinion.ticket_registered", P.TAKE_CALLS,
               category=category_code, urgency=urgency)  # fmt: skip
    return ticket


# --- dispatching ----------------------------------------------------------------------------


def time_limit_for(
    ticket: Ticket, limits: dict[str, TimeLimitClass] | None = None
) -> TimeLimitClass:
    """The category's class; an urgent call (a threat to life or property) is urgent_2h."""
    code = "urgent_2h" if ticket.urgency == Urgency.URGENT else None
    if code is None:
        code = ticket.category.time_limit.code if ticket.category_id else "general_7d"
    if limits is not None:
        limit = limits.get(code)
    else:
        limit = TimeLimitClass.objects.filter(code=code).first()
    if limit is None:
        raise Conflict("the dispatch catalogue is not loaded (no time-limit classes)")
    return limit


def ticket_dispatch(
    *, actor: Actor, ticket_id: int, department_code: str, reason: str = "",
    category_code: str = "",
) -> Ticket:  # fmt: skip
    """Send a ticket to a department desk. Confirming the top suggestion needs no reason;
    picking another department, or sending back a returned ticket, does."""
    with transaction.atomic():
        ticket = _dispatcher_ticket(actor, ticket_id)
        if ticket.state not in (TicketState.NEW, TicketState.RETURNED):
            raise Conflict("only a new or returned ticket is dispatched", field="ticket_id")
        if department_code not in department_names():
            raise DomainError("unknown department", field="department")
        if category_code:
            category = Category.objects.filter(code=category_code, active=True).first()
            if category is None:
                raise DomainError("unknown category", field="category")
            ticket.category = category
        top = ticket.suggestions[0]["department"] if ticket.suggestions else None
        overriding = ticket.state == TicketState.RETURNED or department_code != top
        if overriding:
            reason = _reason(reason)
        level = ticket.category.area_level if ticket.category_id else "district"
        desk = department_desk(code=department_code, area_path=desk_path(ticket.area_path, level))
        first = ticket.assigned_at is None
        ticket.department, ticket.organisation_id = desk, desk.organisation_id
        ticket.state, ticket.assigned_at = TicketState.ASSIGNED, clock.now()
        if first:  # the clock runs from the call and is not restarted by a return
            limit = time_limit_for(ticket)
            ticket.response_due = ticket.received_at + dt.timedelta(hours=limit.response_hours)
            ticket.resolve_due = ticket.received_at + dt.timedelta(hours=limit.hours)
        ticket.save()
        action = "dispatched" if first else "reassigned"
        _event(ticket, actor, action, reason=reason)
        _audit(actor, ticket, f"opinion.ticket_{action}", P.TAKE_CALLS,
               department=department_code, suggested=top, reason=reason)  # fmt: skip
    return ticket


# --- the department -------------------------------------------------------------------------


def _mark_if_late(ticket: Ticket, actor: Actor) -> None:
    """A step taken after its deadline marks the ticket breached, if the sweep had not yet."""
    if ticket.breached_at is not None:
        return
    late_response = ticket.responded_at and ticket.responded_at > ticket.response_due
    late_answer = ticket.resolved_at and ticket.resolved_at > ticket.resolve_due
    if late_response or late_answer:
        ticket.breached_at = ticket.resolved_at or ticket.responded_at
        _event(ticket, actor, "breached", reason="resolve" if late_answer else "response")


def ticket_accept(*, actor: Actor, ticket_id: int, note: str = "") -> Ticket:
    """The department's first response: it has the ticket in hand (stops the response clock)."""
    with transaction.atomic():
        ticket = _handled_ticket(actor, ticket_id)
        if ticket.state != TicketState.ASSIGNED:
            raise Conflict("only an assigned ticket is accepted", field="ticket_id")
        ticket.state, ticket.responded_at = TicketState.ACCEPTED, clock.now()
        _mark_if_late(ticket, actor)
        ticket.save()
        _event(ticket, actor, "accepted", reason=masked((note or "").strip()[:1000]))
        _audit(actor, ticket, "opinion.ticket_accepted", P.HANDLE_TICKETS)
    return ticket


def ticket_return(*, actor: Actor, ticket_id: int, reason: str) -> Ticket:
    """Send a ticket back to the dispatcher (not to another department): a reason is required."""
    reason = _reason(reason)
    with transaction.atomic():
        ticket = _handled_ticket(actor, ticket_id)
        if ticket.state not in (TicketState.ASSIGNED, TicketState.ACCEPTED):
            raise Conflict("only a ticket in hand is sent back", field="ticket_id")
        _event(ticket, actor, "returned", reason=reason)
        ticket.state = TicketState.RETURNED
        ticket.save()
        _audit(actor, ticket, "opinion.ticket_returned", P.HANDLE_TICKETS, reason=reason)
    return ticket


def _rating_token(ticket: Ticket) -> str:
    token = secrets.token_urlsafe(24)  # 192 bits: unguessable; the link is the caller's key
    ticket.rating_token = token
    ticket.rating_token_digest = hashlib.sha256(token.encode()).hexdigest()
    return token


def rating_path(token: str) -> str:
    return reverse("opinion_tickets:rate", args=[token])


def ticket_resolve(*, actor: Actor, ticket_id: int, answer: str) -> Ticket:
    """The department's answer. The caller gets a rating link (the hotline sends it by text
    message: the outbox event `opinion.ticket_resolved` carries the ticket id)."""
    answer = (answer or "").strip()
    if not answer:
        raise DomainError("write the answer given to the caller", field="answer")
    with transaction.atomic():
        ticket = _handled_ticket(actor, ticket_id)
        if ticket.state not in (TicketState.ASSIGNED, TicketState.ACCEPTED):
            raise Conflict("only a ticket in hand is resolved", field="ticket_id")
        now = clock.now()
        ticket.responded_at = ticket.responded_at or now
        ticket.state, ticket.resolved_at, ticket.answer = TicketState.RESOLVED, now, answer[:5000]
        ticket.keep_until = timezone.localdate(now) + dt.timedelta(days=retention_days())
        _mark_if_late(ticket, actor)
        _rating_token(ticket)
        ticket.save()
        _event(ticket, actor, "resolved")
        _audit(actor, ticket, "opinion.ticket_resolved", P.HANDLE_TICKETS)
        outbox_publish(topic="opinion.ticket_resolved", payload={"ticket_id": ticket.pk})
    return ticket


def ticket_by_rating_token(token: str) -> Ticket:
    digest = hashlib.sha256((token or "").encode()).hexdigest()
    ticket = Ticket.objects.filter(rating_token_digest=digest).exclude(rating_token_digest="")
    found = ticket.select_related("department", "category").first()
    if found is None:
        raise NotFound("this rating link is not valid", field="token")
    return found


def ticket_rate(*, token: str, satisfaction: int) -> Ticket:
    """The caller rates the answer 1-5 through their link (no account); once."""
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise DomainError("rate from 1 to 5", field="satisfaction")
    with transaction.atomic():
        ticket = ticket_by_rating_token(token)
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.rated_at is not None:
            raise Conflict("this answer has already been rated", field="token")
        ticket.satisfaction, ticket.rated_at = satisfaction, clock.now()
        ticket.state = TicketState.CLOSED
        ticket.save()
        _event(ticket, ANONYMOUS, "rated", reason=str(satisfaction))
        _audit(ANONYMOUS, ticket, "opinion.ticket_rated", None, satisfaction=satisfaction)
    return ticket


@dataclass(frozen=True)
class WholeTicket:
    text: str
    caller_name: str
    caller_phone: str
    rating_path: str


def ticket_read_whole(*, actor: Actor, ticket_id: int) -> WholeTicket:
    """The whole text and the caller's contact, for the handling department only; audited."""
    with transaction.atomic():
        ticket = ticket_for(actor, ticket_id, lock=False)
        if not is_handler(actor, ticket):
            raise PermissionDenied("only the handling department reads the whole ticket")
        message = Message.objects.get(pk=ticket.message_id)
        _audit(actor, ticket, "opinion.ticket_read_whole", P.HANDLE_TICKETS,
               fields_read=("text", "caller_name", "caller_phone"))  # fmt: skip
    token = ticket.rating_token if ticket.state == TicketState.RESOLVED else ""
    return WholeTicket(
        message.text_sealed or message.text, ticket.caller_name, ticket.caller_phone,
        rating_path(token) if token else "",
    )  # fmt: skip


# --- the clock ------------------------------------------------------------------------------


def response_reminder_at(ticket: Ticket, limit: TimeLimitClass) -> dt.datetime | None:
    """When the reminder before the first-response deadline goes out: `reminder_before_hours`
    before it, if the class allows one, i.e. that moment comes after the ticket reached the
    department (a reminder at the moment of dispatch would tell the desk nothing)."""
    if ticket.response_due is None or limit.reminder_before_hours <= 0:
        return None
    moment = ticket.response_due - dt.timedelta(hours=limit.reminder_before_hours)
    return moment if moment > (ticket.assigned_at or ticket.received_at) else None


def tickets_sweep_clock(*, now: dt.datetime | None = None) -> int:
    """Reminders before the first-response and the resolve deadlines, breaches after either
    deadline, escalation after the resolve deadline. Returns how many steps were taken (0 when
    nothing was due)."""
    now = now or clock.now()
    done = 0
    in_hand = Ticket.objects.filter(state__in=(TicketState.ASSIGNED, TicketState.ACCEPTED))
    # Only tickets within the longest reminder window of their deadline are looked at: the
    # worker runs this every round, so it must not walk every open ticket.
    limits = {limit.code: limit for limit in TimeLimitClass.objects.all()}
    widest = dt.timedelta(
        hours=max((limit.reminder_before_hours for limit in limits.values()), default=0.0)
    )
    awaiting_response = in_hand.filter(
        state=TicketState.ASSIGNED, response_reminded_at__isnull=True, response_due__gt=now,
        response_due__lte=now + widest,
    ).select_related("category__time_limit")  # fmt: skip
    for ticket in awaiting_response:
        moment = response_reminder_at(ticket, time_limit_for(ticket, limits))
        if moment is not None and now >= moment:
            done += _step(ticket.pk, now, _remind_response)
    near = in_hand.filter(
        reminded_at__isnull=True, resolve_due__gt=now, resolve_due__lte=now + widest,
    ).select_related("category__time_limit")  # fmt: skip
    for ticket in near:
        limit = time_limit_for(ticket, limits)
        if now >= ticket.resolve_due - dt.timedelta(hours=limit.reminder_before_hours):
            done += _step(ticket.pk, now, _remind)
    late = Q(state=TicketState.ASSIGNED, response_due__lte=now) | Q(resolve_due__lte=now)
    for ticket_id in in_hand.filter(late, breached_at__isnull=True).values_list("pk", flat=True):
        done += _step(ticket_id, now, _breach)
    overdue = in_hand.filter(resolve_due__lte=now, escalated_at__isnull=True)
    for ticket_id in overdue.values_list("pk", flat=True):
        done += _step(ticket_id, now, _escalate)
    return done


def _step(ticket_id: int, now: dt.datetime, step) -> int:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("department")
            .filter(pk=ticket_id, state__in=OPEN_STATES)
            .first()
        )
        return step(ticket, now) if ticket is not None else 0


def _remind(ticket: Ticket, now: dt.datetime) -> int:
    if ticket.reminded_at is not None:
        return 0
    ticket.reminded_at = now
    ticket.save(update_fields=["reminded_at"])
    _event(ticket, SYSTEM, "reminded", reason="resolve")
    outbox_publish(
        topic="opinion.ticket_reminder",
        payload={"ticket_id": ticket.pk, "organisation_id": ticket.organisation_id,
                 "deadline": "resolve", "resolve_due": ticket.resolve_due.isoformat()},
    )  # fmt: skip
    return 1


def _remind_response(ticket: Ticket, now: dt.datetime) -> int:
    if ticket.response_reminded_at is not None or ticket.state != TicketState.ASSIGNED:
        return 0  # already reminded, or the department has responded meanwhile
    ticket.response_reminded_at = now
    ticket.save(update_fields=["response_reminded_at"])
    _event(ticket, SYSTEM, "reminded", reason="response")
    outbox_publish(
        topic="opinion.ticket_reminder",
        payload={"ticket_id": ticket.pk, "organisation_id": ticket.organisation_id,
                 "deadline": "response", "response_due": ticket.response_due.isoformat()},
    )  # fmt: skip
    return 1


def _breach(ticket: Ticket, now: dt.datetime) -> int:
    if ticket.breached_at is not None:
        return 0
    missed = "response" if ticket.responded_at is None and ticket.response_due <= now else "resolve"
    ticket.breached_at = now
    ticket.save(update_fields=["breached_at"])
    _event(ticket, SYSTEM, "breached", reason=missed)
    _audit(SYSTEM, ticket, "opinion.ticket_breached", None, missed=missed)
    return 1


def _escalate(ticket: Ticket, now: dt.datetime) -> int:
    if ticket.escalated_at is not None:
        return 0
    parent = desk_parent(ticket.department) if ticket.department_id else None
    ticket.escalated_at, ticket.escalated_to = now, parent
    ticket.save(update_fields=["escalated_at", "escalated_to"])
    _event(ticket, SYSTEM, "escalated", code=parent.code if parent else "")
    centre = command_centre_id(ticket.area_path)
    to_organisation = parent.organisation_id if parent else None
    _audit(SYSTEM, ticket, "opinion.ticket_escalated", None, to_organisation=to_organisation,
           command_centre=centre)  # fmt: skip
    outbox_publish(
        topic="opinion.ticket_escalated",
        payload={"ticket_id": ticket.pk, "organisation_id": ticket.organisation_id,
                 "escalated_to_organisation_id": parent.organisation_id if parent else None,
                 "command_centre_id": centre, "area_path": ticket.area_path},
    )  # fmt: skip
    return 1


# --- retention ------------------------------------------------------------------------------

EXPIRE_BATCH = 500


def tickets_expire(*, today: dt.date | None = None) -> int:
    """Delete the answered tickets whose retention ended before `today` (the injected clock's
    day by default): the ticket with the caller's name, phone and the answer, its events. Its
    message is then no longer protected and goes with the core's retention sweep. Open tickets
    have no `keep_until` and stay until answered. One audit entry per run that deleted any."""
    today = today or timezone.localdate(clock.now())
    done = (TicketState.RESOLVED, TicketState.CLOSED)
    expired = Ticket.objects.filter(keep_until__lt=today, state__in=done)
    deleted = 0
    while ids := list(expired.values_list("pk", flat=True)[:EXPIRE_BATCH]):
        with transaction.atomic():
            TicketEvent.objects.filter(ticket_id__in=ids).delete()
            deleted += (
                Ticket.objects.filter(pk__in=ids, state__in=done)
                .delete()[1]
                .get(Ticket._meta.label, 0)
            )
    if deleted:
        with transaction.atomic():
            audit_record(
                actor=SYSTEM, action="opinion.tickets_expired",
                target_type="opinion_tickets.ticket",
                detail={"deleted": deleted, "before": str(today)},
            )  # fmt: skip
    return deleted


def hotline_messages_among(message_ids: list[int]) -> list[int]:
    return list(
        Message.objects.filter(pk__in=message_ids, channel=Channel.HOTLINE).values_list(
            "pk", flat=True
        )
    )


def ticket_from_message(*, message_id: int) -> Ticket | None:
    """The ticket of a hotline message taken in elsewhere (idempotent; None for other
    channels, or when the message already has its ticket)."""
    message = Message.objects.filter(pk=message_id, channel=Channel.HOTLINE).first()
    if message is None or message.area_id is None or len(message.area_path) < 6:
        return None  # no district: the core's intake leaves it for the board
    if Ticket.objects.filter(message_id=message_id).exists():
        return None
    suggestions = routing_suggest(text=message.text, embedding=_embedding(message))
    ticket = Ticket.objects.create(
        message=message, area_id=message.area_id, area_path=message.area_path,
        received_at=message.posted_at, suggestions=[s.as_dict() for s in suggestions],
    )  # fmt: skip
    _event(ticket, SYSTEM, "registered")
    return ticket
