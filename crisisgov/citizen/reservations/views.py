"""Scarce-supply reservations: pages.

Citizens: stock at pharmacies (from the published read model), the reserve form (its hidden
idempotency key is made when the page is rendered, so a double submit or a retry after a
time-out is one reservation), their reservations and lottery registration. Pharmacy staff:
publish the day's stock, confirm pickups. Officials: rationed items and lottery windows.
Public: a lottery's verification page and the open data.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crisisgov.citizen.people import acting_for
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.citizen.publishing import document_get
from crisisgov.citizen.reservations import lottery, publishing, selectors, services, store
from crisisgov.directory.facade import public_places
from crisisgov.kernel.errors import DomainError
from crisisgov.kernel.http import actor_of, not_found_as_404

REFUSAL_TEXT = {
    store.KEY_REUSED: lambda: _("This form was already used for a different request."),
    store.SOLD_OUT: lambda: _("Sold out: this pharmacy has no stock left today."),
    store.QUOTA_EXCEEDED: lambda: _("This person's quota for the period is used up."),
    store.NOT_OPEN: lambda: _("This pharmacy has published no stock of this item today."),
}


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _stock_rows(area: str = "") -> tuple[dict, list[dict]]:
    """Today's stock from the published document (the worker keeps it fresh), else computed."""
    doc = document_get(publishing.STOCK_DOCUMENT)
    payload = json.loads(doc.body) if doc else publishing.stock_payload()
    today = timezone.localdate().isoformat()
    rows = [r for r in payload["stock"] if r["day"] == today]
    if area.isdigit():
        rows = [r for r in rows if r["area_path"].startswith(area)]
    name = "name_zh" if _zh() else "name_en"
    for r in rows:
        r["item_name"] = payload["items"].get(r["item"], {}).get(name, r["item"])
    return payload["items"], rows


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise services.InvalidField(_("Enter a whole number."), field=field) from None


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    context: dict = {"zh": _zh(), "result": None, "error": None}
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={request.path}")
        form = request.POST
        try:
            outcome = services.reservation_reserve(
                actor=actor_of(request),
                user=request.user,
                pharmacy_id=_int(form.get("pharmacy_id", ""), "pharmacy_id"),
                item=form.get("item", "")[:30],
                id_number=form.get("id_number", "")[:40],
                quantity=_int(form.get("quantity", ""), "quantity"),
                idempotency_key=form.get("idempotency_key", "")[:100] or uuid.uuid4().hex,
            )
            if outcome.result in REFUSAL_TEXT:
                context["error"] = {"field": "", "message": REFUSAL_TEXT[outcome.result]()}
            else:
                context["result"] = outcome
        except DomainError as exc:
            context["error"] = {"field": exc.field or "", "message": exc.message}
        context["form"] = form
    area = request.GET.get("area", "")[:21]
    items, rows = _stock_rows(area)
    context.update(
        {
            "items": items,
            "stock": rows,
            "area": area,
            "idempotency_key": uuid.uuid4().hex,  # a fresh key for the next form
            "today": timezone.localdate(),
            "edge_url": settings.EDGE_URL,  # the page reserves through the surge edge
            # The edge answers in English; the page shows its refusals in the page's language.
            "edge_refusals": {code: text() for code, text in REFUSAL_TEXT.items()}
            | {
                "invalid_id_number": _("This ID number is not valid: check it digit by digit."),
                "not_yours": _("You may reserve only for yourself or a resident you act for."),
            },
            "people": acting_for(request.user) if request.user.is_authenticated else [],
            "mine": selectors.my_reservations(user=request.user),
            "lotteries": selectors.lotteries_open(),
            "entries": selectors.my_lottery_entries(user=request.user),
        }
    )
    return render(request, "citizen_reservations/home.html", context)


@login_required
@require_http_methods(["POST"])
def lottery_register(request: HttpRequest, window_id: int) -> HttpResponse:
    try:
        services.lottery_register(
            actor=actor_of(request),
            user=request.user,
            window_id=window_id,
            id_number=request.POST.get("id_number", "")[:40],
        )
    except DomainError as exc:
        return render(
            request,
            "citizen_reservations/refused.html",
            {"message": exc.message, "field": exc.field or ""},
            status=exc.status_code,
        )
    return redirect(reverse("citizen_reservations:home") + "#lotteries")


@require_GET
@not_found_as_404
def lottery_page(request: HttpRequest, window_id: int) -> HttpResponse:
    window = selectors.lottery_get(window_id)
    doc = selectors.lottery_verification(window)
    return render(
        request,
        "citizen_reservations/lottery.html",
        {"zh": _zh(), "w": doc, "recipe": lottery.VERIFY_PYTHON},
    )


@require_GET
@not_found_as_404
def lottery_json(request: HttpRequest, window_id: int) -> JsonResponse:
    doc = selectors.lottery_verification(selectors.lottery_get(window_id))
    response = JsonResponse(doc, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=30"
    return response


# --- pharmacy staff ---------------------------------------------------------------------------


def _staff_pharmacies(request: HttpRequest) -> list:
    actor = actor_of(request)
    scopes = actor.scopes_for(CitizenPermission.RUN_SERVICE_POINT)
    ids = [s.organisation_id for s in scopes if s.organisation_id]
    return public_places(kind="pharmacy", ids=ids) if ids else []


@login_required
@require_http_methods(["GET", "POST"])
@not_found_as_404
def pharmacy(request: HttpRequest, pharmacy_id: int) -> HttpResponse:
    actor = actor_of(request)
    services._require_pharmacy_staff(actor, pharmacy_id)
    context: dict = {"zh": _zh(), "done": None, "error": None}
    if request.method == "POST":
        form = request.POST
        try:
            if form.get("form") == "stock":
                stock = services.stock_publish(
                    actor=actor,
                    pharmacy_id=pharmacy_id,
                    item=form.get("item", "")[:30],
                    day=_date(form.get("day", "")),
                    quantity=_int(form.get("quantity", ""), "quantity"),
                )
                context["done"] = _("Stock published: %(n)s for %(day)s.") % {
                    "n": stock.quantity,
                    "day": stock.day,
                }
            else:
                r = services.pickup_confirm(
                    actor=actor, pharmacy_id=pharmacy_id, code=form.get("code", "")[:12]
                )
                context["done"] = _("Handed over: %(n)s × %(item)s, code %(code)s.") % {
                    "n": r.quantity,
                    "item": r.item_id,
                    "code": r.code,
                }
        except DomainError as exc:
            context["error"] = {"field": exc.field or "", "message": exc.message}
    context.update(
        {
            "pharmacy": public_places(kind="pharmacy", ids=[pharmacy_id])[0],
            "items": selectors.items_active(),
            "today": timezone.localdate(),
            "reservations": selectors.pharmacy_reservations(actor=actor, pharmacy_id=pharmacy_id),
            "stock": [
                r for r in publishing.stock_payload()["stock"] if r["pharmacy_id"] == pharmacy_id
            ],
        }
    )
    return render(request, "citizen_reservations/pharmacy.html", context)


@login_required
@require_GET
def staff_home(request: HttpRequest) -> HttpResponse:
    """A pharmacy's staff member lands on their pharmacy's page."""
    places = _staff_pharmacies(request)
    if len(places) == 1:
        return redirect("citizen_reservations:pharmacy", pharmacy_id=places[0].id)
    return render(request, "citizen_reservations/staff.html", {"places": places, "zh": _zh()})


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise services.InvalidField(_("Enter a date."), field="day") from None


def _datetime(value: str, field: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise services.InvalidField(_("Enter a date and time."), field=field) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


# --- officials ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@not_found_as_404
def manage(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.can(CitizenPermission.MANAGE_RATIONING):
        return render(
            request,
            "citizen_reservations/refused.html",
            {"message": _("This page is for officials who manage rationing.")},
            status=403,
        )
    context: dict = {"zh": _zh(), "done": None, "error": None}
    if request.method == "POST":
        form = request.POST
        try:
            if form.get("form") == "item":
                item = services.item_define(
                    actor=actor,
                    code=form.get("code", "")[:30],
                    name_zh=form.get("name_zh", "")[:100],
                    name_en=form.get("name_en", "")[:100],
                    quota_quantity=_int(form.get("quota_quantity", ""), "quota_quantity"),
                    quota_days=_int(form.get("quota_days", ""), "quota_days"),
                )
                context["done"] = _("Saved %(code)s.") % {"code": item.code}
            elif form.get("form") == "lottery":
                window = services.lottery_open(
                    actor=actor,
                    item=form.get("item", "")[:30],
                    pharmacy_id=_int(form.get("pharmacy_id", ""), "pharmacy_id"),
                    title_zh=form.get("title_zh", "")[:200],
                    title_en=form.get("title_en", "")[:200],
                    opens_at=_datetime(form.get("opens_at", ""), "opens_at"),
                    closes_at=_datetime(form.get("closes_at", ""), "closes_at"),
                    pickup_day=_date(form.get("pickup_day", "")),
                    stock=_int(form.get("stock", ""), "stock"),
                )
                context["done"] = _("Lottery window opened; its seed commitment is published.")
                context["opened"] = window
            else:
                window = services.lottery_draw(
                    actor=actor, window_id=_int(form.get("window_id", ""), "window_id")
                )
                context["done"] = _("Drawn: %(n)s winners.") % {"n": window.winners}
        except DomainError as exc:
            context["error"] = {"field": exc.field or "", "message": exc.message}
    area_paths = [s.area_path for s in actor.scopes_for(CitizenPermission.MANAGE_RATIONING)]
    context.update(
        {
            "items": selectors.items_active(),
            "windows": selectors.lotteries_recent(),
            "pharmacies": [
                p
                for p in public_places(kind="pharmacy")
                if any(p.area_path.startswith(a) for a in area_paths)
            ][:300],
        }
    )
    return render(request, "citizen_reservations/manage.html", context)


# --- open data -------------------------------------------------------------------------------


def _open_data_range(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    try:
        since = dt.date.fromisoformat(request.GET.get("since", "")[:10])
    except ValueError:
        since = today - dt.timedelta(days=30)
    try:
        until = dt.date.fromisoformat(request.GET.get("until", "")[:10])
    except ValueError:
        until = today + dt.timedelta(days=14)
    return since, min(until, since + dt.timedelta(days=366))


@require_GET
def open_data_json(request: HttpRequest) -> JsonResponse:
    since, until = _open_data_range(request)
    rows = publishing.open_data_rows(since=since, until=until)
    response = JsonResponse(
        {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "fields": publishing.OPEN_DATA_FIELDS,
            "rows": rows,
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def open_data_csv(request: HttpRequest) -> HttpResponse:
    since, until = _open_data_range(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="pharmacy-stock.csv"'
    response["Cache-Control"] = "public, max-age=60"
    writer = csv.DictWriter(response, fieldnames=publishing.OPEN_DATA_FIELDS)
    writer.writeheader()
    writer.writerows(publishing.open_data_rows(since=since, until=until))
    return response
