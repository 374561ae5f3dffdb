"""Ticket pages: the hotline's call form and dispatch queue, a department's inbox with its
clocks, the ticket page, the figures per department, the catalogue, and the caller's rating
page. Each action calls one service; refusals are shown beside the form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from crisisgov.geo.facade import Level, areas_at_level, areas_for_paths
from crisisgov.kernel.errors import DomainError, NotFound
from crisisgov.kernel.http import actor_of, not_found_as_404
from crisisgov.opinion.permissions import OpinionPermission
from crisisgov.opinion.tickets import catalogue, selectors, services
from crisisgov.opinion.tickets.masking import masked
from crisisgov.opinion.tickets.models import Category, TicketState, TimeLimitClass

P = OpinionPermission


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def _name(obj: object) -> str:
    return getattr(obj, "name_en" if _lang() == "en" else "name_zh", "")


def _rows(actor, tickets) -> list[dict]:  # type: ignore[no-untyped-def]
    """Tickets with their clocks, as the lists show them (texts redacted)."""
    return [
        {
            "ticket": t,
            "clock": selectors.ticket_clock(t),
            "late": t.breached_at is not None or selectors.ticket_clock(t).breached,
            "department": _name(t.department) if t.department_id else "",
            "escalated_to_me": selectors.escalated_to_me(actor, t),
            "reminded": _reminded(t),
        }
        for t in tickets
    ]


def _reminded(ticket) -> bool:  # type: ignore[no-untyped-def]
    """The clock's reminder went off for the deadline now running, which has not passed."""
    if ticket.breached_at is not None or ticket.state not in selectors.IN_HAND:
        return False
    if ticket.state == TicketState.ASSIGNED and ticket.response_reminded_at is not None:
        return True
    return ticket.reminded_at is not None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if actor.can(P.HANDLE_TICKETS):
        return redirect("opinion_tickets:inbox")
    if actor.can(P.TAKE_CALLS):
        return redirect("opinion_tickets:calls")
    if actor.can(P.VIEW_BOARD):
        return redirect("opinion_tickets:stats")
    raise Http404("no tickets here")


def _caller_areas(actor) -> list:  # type: ignore[no-untyped-def]
    """Districts and streets the operator takes calls for, in path order."""
    paths = [s.area_path for s in actor.scopes_for(P.TAKE_CALLS)]
    areas = []
    for level in (Level.DISTRICT, Level.STREET):
        areas += [a for a in areas_at_level(level) if any(a.path.startswith(p) for p in paths)]
    return sorted(areas, key=lambda a: a.path)


@login_required
@require_http_methods(["GET", "POST"])
def calls(request: HttpRequest) -> HttpResponse:
    """The operator's call form, and the queue of tickets waiting for dispatch."""
    actor = actor_of(request)
    if not actor.can(P.TAKE_CALLS):
        raise Http404("the hotline's page")
    error = None
    if request.method == "POST":
        form = request.POST
        try:
            area = form.get("area_id", "")
            if not area.isdigit() or len(area) > 18:
                raise DomainError("choose the caller's district", field="area_id")
            ticket = services.call_register(
                actor=actor, area_id=int(area), text=form.get("text", "")[:10_000],
                caller_name=form.get("caller_name", "")[:100],
                caller_phone=form.get("caller_phone", "")[:30],
                category_code=form.get("category", "")[:40],
                urgency=form.get("urgency", "normal")[:10],
            )  # fmt: skip
            return redirect("opinion_tickets:detail", ticket.pk)
        except DomainError as exc:
            error = exc
    return render(
        request,
        "opinion_tickets/calls.html",
        {
            "areas": _caller_areas(actor),
            "categories": Category.objects.filter(active=True).order_by("department_code", "code"),
            "queue": _rows(actor, selectors.dispatch_queue(actor=actor)[:100]),
            "error": error,
            "form": request.POST if error else {},
        },
        status=400 if error else 200,
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.can(P.HANDLE_TICKETS):
        raise Http404("a department's page")
    done = request.GET.get("done") == "1"
    rows = _rows(actor, selectors.inbox(actor=actor, include_done=done)[:200])
    reminded = sum(1 for row in rows if row["reminded"])
    return render(
        request, "opinion_tickets/inbox.html", {"rows": rows, "done": done, "reminded": reminded}
    )


@login_required
@not_found_as_404
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    actor = actor_of(request)
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    error = None
    if request.method == "POST":
        form, action = request.POST, request.POST.get("action", "")
        try:
            if action == "dispatch":
                services.ticket_dispatch(
                    actor=actor, ticket_id=ticket_id, department_code=form.get("department", ""),
                    reason=form.get("reason", "")[:1000], category_code=form.get("category", ""),
                )  # fmt: skip
            elif action == "accept":
                services.ticket_accept(actor=actor, ticket_id=ticket_id, note=form.get("note", ""))
            elif action == "return":
                services.ticket_return(
                    actor=actor, ticket_id=ticket_id, reason=form.get("reason", "")[:1000]
                )
            elif action == "resolve":
                services.ticket_resolve(
                    actor=actor, ticket_id=ticket_id, answer=form.get("answer", "")[:5000]
                )
            else:
                raise DomainError("unknown action", field="action")
            return redirect("opinion_tickets:detail", ticket_id)
        except NotFound:
            raise
        except DomainError as exc:
            error = exc
            ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    handler = services.is_handler(actor, ticket)
    # The handler sees the whole text and the caller's contact; each such view is audited.
    whole = services.ticket_read_whole(actor=actor, ticket_id=ticket_id) if handler else None
    dispatcher = actor.can_at(P.TAKE_CALLS, ticket.area_path) and ticket.state in (
        TicketState.NEW, TicketState.RETURNED,
    )  # fmt: skip
    names = catalogue.department_names()
    return render(
        request,
        "opinion_tickets/detail.html",
        {
            "ticket": ticket,
            "text": ticket.message.text,
            "answer": ticket.answer if handler else masked(ticket.answer),
            "whole": whole,
            "handler": handler,
            "in_hand": handler and ticket.state in (TicketState.ASSIGNED, TicketState.ACCEPTED),
            "dispatcher": dispatcher,
            "clock": selectors.ticket_clock(ticket),
            "department": _name(ticket.department) if ticket.department_id else "",
            "departments": [(code, n[1] if _lang() == "en" else n[0]) for code, n in names.items()],
            "suggestions": [
                {
                    **s,
                    "name": (names.get(s["department"], ("", ""))[1 if _lang() == "en" else 0]),
                    "percent": round(100 * s["confidence"]),
                }
                for s in ticket.suggestions
            ],  # fmt: skip
            "categories": Category.objects.filter(active=True).order_by("department_code", "code"),
            "events": list(ticket.events.all()),
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not any(actor.can(p) for p in (P.VIEW_BOARD, P.TAKE_CALLS, P.HANDLE_TICKETS)):
        raise Http404("no figures here")
    area_path = request.GET.get("area", "")
    if not (area_path.isdigit() and len(area_path) <= 21):
        area_path = ""
    figures = selectors.department_stats(actor=actor, area_path=area_path)
    districts = [
        a for a in areas_at_level(Level.DISTRICT)
        if any(a.path.startswith(s.area_path) or s.area_path.startswith(a.path)
               for s in actor.scopes if s.permissions & {P.VIEW_BOARD, P.TAKE_CALLS,
                                                          P.HANDLE_TICKETS})
    ]  # fmt: skip
    areas = areas_for_paths(sorted({f.area_path for f in figures}))
    rows = [{"f": f, "area": _name(areas.get(f.area_path)), "name": f.name(_lang())}
            for f in figures]  # fmt: skip
    return render(
        request,
        "opinion_tickets/stats.html",
        {"rows": rows, "districts": districts, "area_path": area_path},
    )


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not any(actor.can(p) for p in (P.MANAGE_CATALOGUE, P.TAKE_CALLS, P.HANDLE_TICKETS)):
        raise Http404("the dispatch catalogue")
    manager = catalogue.may_manage_catalogue(actor)
    error = None
    if request.method == "POST":
        form = request.POST
        try:
            if form.get("action") == "time_limit":
                catalogue.time_limit_set(
                    actor=actor, code=form.get("code", "")[:30],
                    hours=_hours(form, "hours"), response_hours=_hours(form, "response_hours"),
                    reminder_before_hours=_hours(form, "reminder_before_hours"),
                )  # fmt: skip
            elif form.get("action") == "category":
                catalogue.category_set(
                    actor=actor, code=form.get("code", "")[:40],
                    department_code=form.get("department_code", "")[:30],
                    area_level=form.get("area_level", "")[:10],
                    time_limit=form.get("time_limit", "")[:30],
                    active=form.get("active") == "on",
                )  # fmt: skip
            else:
                raise DomainError("unknown action", field="action")
            return redirect("opinion_tickets:catalogue")
        except DomainError as exc:
            error = exc
    names = catalogue.department_names()
    return render(
        request,
        "opinion_tickets/catalogue.html",
        {
            "manager": manager,
            "limits": TimeLimitClass.objects.all(),
            "categories": Category.objects.select_related("time_limit"),
            "departments": [(code, n[1] if _lang() == "en" else n[0]) for code, n in names.items()],
            "levels": ["city", "district", "street"],
            "error": error,
        },
        status=400 if error else 200,
    )


def _hours(form, name: str) -> float:  # type: ignore[no-untyped-def]
    try:
        value = float(form.get(name, ""))
    except ValueError:
        raise DomainError("a number of hours", field=name) from None
    if value != value:  # NaN
        raise DomainError("a number of hours", field=name)
    return value


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """The caller's page: the answer they were given, and 1-5 stars. No account needed."""
    try:
        ticket = services.ticket_by_rating_token(token)
    except NotFound:
        raise Http404("this rating link is not valid") from None
    error = None
    if request.method == "POST" and ticket.rated_at is None:
        score = request.POST.get("satisfaction", "")
        try:
            services.ticket_rate(token=token, satisfaction=int(score) if score.isdigit() else 0)
            return redirect("opinion_tickets:rate", token)
        except DomainError as exc:
            error = exc
    return render(
        request,
        "opinion_tickets/rate.html",
        {"ticket": ticket, "error": error, "scores": [1, 2, 3, 4, 5],
         "department": _name(ticket.department) if ticket.department_id else ""},
        status=400 if error else 200,
    )  # fmt: skip
