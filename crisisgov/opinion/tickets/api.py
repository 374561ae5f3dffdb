"""Tickets: JSON API. The hotline registers and dispatches calls (opinion.take_calls), the
departments answer them (opinion.handle_tickets), the city's managers keep the catalogue
(opinion.manage_catalogue); the caller rates the answer through the link's token (no login).
Ticket texts are redacted here except in `/{ticket_id}/whole`, the handler's audited read."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from crisisgov.kernel.errors import NotFound
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.schemas import Id, PathId, StrictInput, text
from crisisgov.opinion.tickets import catalogue, selectors, services
from crisisgov.opinion.tickets.masking import masked
from crisisgov.opinion.tickets.models import Category, Ticket, TimeLimitClass

router = Router()
Code = Field(..., pattern=r"^[a-z0-9_]{1,40}$")


class SuggestionOut(Schema):
    department: str
    confidence: float
    source: str


class EventOut(Schema):
    at: dt.datetime
    actor_username: str
    action: str
    department_code: str
    reason: str


class TicketOut(Schema):
    id: int
    state: str
    urgency: str
    area_path: str
    category: str | None
    text: str  # redacted: phones, ID numbers, addresses, emails masked
    department: str | None
    department_name_zh: str | None
    department_name_en: str | None
    suggestions: list[SuggestionOut]
    received_at: dt.datetime
    response_due: dt.datetime | None
    resolve_due: dt.datetime | None
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    seconds_left: int | None
    breached: bool
    escalated: bool
    escalated_to: str | None
    answer: str
    satisfaction: int | None
    events: list[EventOut]

    @staticmethod
    def resolve_category(obj: Ticket) -> str | None:
        return obj.category.code if obj.category_id else None

    @staticmethod
    def resolve_text(obj: Ticket) -> str:
        return obj.message.text

    @staticmethod
    def resolve_answer(obj: Ticket) -> str:
        return masked(obj.answer)  # the whole answer: the handler's page, the caller's link

    @staticmethod
    def resolve_department(obj: Ticket) -> str | None:
        return obj.department.code if obj.department_id else None

    @staticmethod
    def resolve_department_name_zh(obj: Ticket) -> str | None:
        return obj.department.name_zh if obj.department_id else None

    @staticmethod
    def resolve_department_name_en(obj: Ticket) -> str | None:
        return obj.department.name_en if obj.department_id else None

    @staticmethod
    def resolve_seconds_left(obj: Ticket) -> int | None:
        return selectors.ticket_clock(obj).seconds_left

    @staticmethod
    def resolve_breached(obj: Ticket) -> bool:
        return obj.breached_at is not None or selectors.ticket_clock(obj).breached

    @staticmethod
    def resolve_escalated(obj: Ticket) -> bool:
        return obj.escalated_at is not None

    @staticmethod
    def resolve_escalated_to(obj: Ticket) -> str | None:
        return obj.escalated_to.name_en if obj.escalated_to_id else None

    @staticmethod
    def resolve_events(obj: Ticket) -> list:
        return list(obj.events.all())


class WholeOut(Schema):
    text: str
    caller_name: str
    caller_phone: str
    rating_path: str


class CategoryOut(Schema):
    code: str
    name_zh: str
    name_en: str
    department_code: str
    area_level: str
    time_limit: str
    active: bool

    @staticmethod
    def resolve_time_limit(obj: Category) -> str:
        return obj.time_limit.code


class TimeLimitOut(Schema):
    code: str
    name_zh: str
    name_en: str
    hours: float
    response_hours: float
    reminder_before_hours: float


class FiguresOut(Schema):
    department_id: int
    code: str
    name_zh: str
    name_en: str
    area_path: str
    tickets: int
    open: int
    breached: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    median_response_minutes: float | None


class CallIn(StrictInput):
    area_id: Id
    text: text(min_length=1, max_length=services.MAX_TEXT)  # type: ignore[valid-type]
    caller_name: text(max_length=100) = ""  # type: ignore[valid-type]
    caller_phone: text(max_length=30) = ""  # type: ignore[valid-type]
    category: text(max_length=40) = ""  # type: ignore[valid-type]
    urgency: str = Field("normal", pattern="^(normal|urgent)$")


class DispatchIn(StrictInput):
    department: text(min_length=1, max_length=30)  # type: ignore[valid-type]
    reason: text(max_length=1000) = ""  # type: ignore[valid-type]
    category: text(max_length=40) = ""  # type: ignore[valid-type]


class ReasonIn(StrictInput):
    reason: text(max_length=1000)  # type: ignore[valid-type]


class AnswerIn(StrictInput):
    answer: text(min_length=1, max_length=5000)  # type: ignore[valid-type]


class NoteIn(StrictInput):
    note: text(max_length=1000) = ""  # type: ignore[valid-type]


class RatingIn(StrictInput):
    satisfaction: int = Field(..., strict=True, ge=1, le=5)


class TimeLimitIn(StrictInput):
    hours: float = Field(..., gt=0)
    response_hours: float = Field(..., gt=0)
    reminder_before_hours: float = Field(..., ge=0)


class CategoryIn(StrictInput):
    department_code: text(min_length=1, max_length=30)  # type: ignore[valid-type]
    area_level: str = Field(..., pattern="^(city|district|street)$")
    time_limit: text(min_length=1, max_length=30)  # type: ignore[valid-type]
    active: bool = True


def _loaded(ticket: Ticket) -> Ticket:
    """The ticket with what TicketOut reads (one query per relation, not per field)."""
    return (
        Ticket.objects.select_related("message", "department", "escalated_to", "category")
        .prefetch_related("events")
        .get(pk=ticket.pk)
    )


# --- the caller (public) --------------------------------------------------------------------


class RatedOut(Schema):
    state: str
    satisfaction: int


@router.post("/rate/{token}", response=RatedOut, auth=None,
             summary="The caller rates the answer 1-5 (the link's token; no login)")  # fmt: skip
def rate(request: HttpRequest, token: str, payload: RatingIn) -> object:
    if len(token) > 64:
        raise NotFound("this rating link is not valid", field="token")
    return services.ticket_rate(token=token, satisfaction=payload.satisfaction)


# --- catalogue ------------------------------------------------------------------------------


@router.get("/categories", response=list[CategoryOut], summary="The dispatch catalogue")
def list_categories(request: HttpRequest) -> object:
    return Category.objects.select_related("time_limit").order_by("department_code", "code")


@router.get("/time-limits", response=list[TimeLimitOut], summary="The time-limit classes")
def list_time_limits(request: HttpRequest) -> object:
    return TimeLimitClass.objects.all()


@router.put("/time-limits/{code}", response=TimeLimitOut, summary="Change a time-limit class")
def set_time_limit(request: HttpRequest, code: str, payload: TimeLimitIn) -> object:
    return catalogue.time_limit_set(actor=actor_of(request), code=code[:30], **payload.dict())


@router.put("/categories/{code}", response=CategoryOut, summary="Change a catalogue line")
def set_category(request: HttpRequest, code: str, payload: CategoryIn) -> object:
    return catalogue.category_set(actor=actor_of(request), code=code[:40], **payload.dict())


# --- hotline --------------------------------------------------------------------------------


@router.post("/calls", response={201: TicketOut},
             summary="Register a hotline call (routing suggestions included)")  # fmt: skip
def register_call(request: HttpRequest, payload: CallIn) -> object:
    ticket = services.call_register(
        actor=actor_of(request), area_id=payload.area_id, text=payload.text,
        caller_name=payload.caller_name, caller_phone=payload.caller_phone,
        category_code=payload.category, urgency=payload.urgency,
    )  # fmt: skip
    return Status(201, _loaded(ticket))


@router.get("/dispatch", response=list[TicketOut], summary="New and returned tickets to dispatch")
def list_dispatch(request: HttpRequest) -> object:
    rows = selectors.dispatch_queue(actor=actor_of(request)).select_related("message")
    return rows.prefetch_related("events")[:200]


@router.get("/inbox", response=list[TicketOut], summary="Your department's tickets in hand")
def list_inbox(request: HttpRequest, done: bool = Query(False)) -> object:
    rows = selectors.inbox(actor=actor_of(request), include_done=done).select_related("message")
    return rows.prefetch_related("events")[:200]


@router.get("/stats", response=list[FiguresOut], summary="Figures per department")
def stats(request: HttpRequest, area_path: str = Query("", pattern=r"^\d{0,21}$")) -> object:
    return selectors.department_stats(actor=actor_of(request), area_path=area_path)


# --- one ticket -----------------------------------------------------------------------------


@router.get("/{ticket_id}", response=TicketOut, summary="A ticket (text redacted)")
def get_ticket(request: HttpRequest, ticket_id: PathId) -> object:
    return _loaded(selectors.ticket_get(actor=actor_of(request), ticket_id=ticket_id))


@router.get("/{ticket_id}/whole", response=WholeOut,
            summary="The whole text and the caller's contact (handler only; audited)")  # fmt: skip
def get_whole(request: HttpRequest, ticket_id: PathId) -> object:
    return services.ticket_read_whole(actor=actor_of(request), ticket_id=ticket_id)


@router.post("/{ticket_id}/dispatch", response=TicketOut,
             summary="Send to a department (another than suggested: with a reason)")  # fmt: skip
def dispatch(request: HttpRequest, ticket_id: PathId, payload: DispatchIn) -> object:
    ticket = services.ticket_dispatch(
        actor=actor_of(request), ticket_id=ticket_id, department_code=payload.department,
        reason=payload.reason, category_code=payload.category,
    )  # fmt: skip
    return _loaded(ticket)


@router.post("/{ticket_id}/accept", response=TicketOut, summary="First response: accept it")
def accept(request: HttpRequest, ticket_id: PathId, payload: NoteIn) -> object:
    ticket = services.ticket_accept(actor=actor_of(request), ticket_id=ticket_id, note=payload.note)
    return _loaded(ticket)


@router.post("/{ticket_id}/return", response=TicketOut,
             summary="Send back to the dispatcher, with a reason")  # fmt: skip
def send_back(request: HttpRequest, ticket_id: PathId, payload: ReasonIn) -> object:
    ticket = services.ticket_return(
        actor=actor_of(request), ticket_id=ticket_id, reason=payload.reason
    )
    return _loaded(ticket)


@router.post("/{ticket_id}/resolve", response=TicketOut, summary="Answer the caller")
def resolve(request: HttpRequest, ticket_id: PathId, payload: AnswerIn) -> object:
    ticket = services.ticket_resolve(
        actor=actor_of(request), ticket_id=ticket_id, answer=payload.answer
    )
    return _loaded(ticket)
