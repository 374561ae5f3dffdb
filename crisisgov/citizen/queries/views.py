"""Citizen queries' pages. The citizens' pages need no login and keep nothing about who asks;
the officials' and testing-site staff's pages are behind login and the services' checks."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.citizen.queries import exposures, risk, sites
from crisisgov.citizen.queries.models import QueueStatus, TripMode
from crisisgov.citizen.queries.rules import WEEKDAYS, RuleError, hours_parse_line
from crisisgov.kernel.errors import DomainError, NotFound
from crisisgov.kernel.http import actor_of, not_found_as_404


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _float(text: str, field: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise DomainError("a coordinate is a decimal number, e.g. 114.305", field=field) from None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Risk level of an area (by address, code or point) and the same-trip query."""
    get = request.GET
    context: dict = {"zh": _zh(), "modes": TripMode.choices, "form": get}
    try:
        if get.get("q", "").strip():
            context["address"] = risk.risk_by_address(get["q"])
            context["answer"] = context["address"].best
        elif get.get("code", "").strip():
            context["answer"] = risk.risk_by_code(get["code"][:40])
        elif get.get("lon", "").strip() or get.get("lat", "").strip():
            lon, lat = _float(get.get("lon", ""), "lon"), _float(get.get("lat", ""), "lat")
            context["answer"] = risk.risk_by_point(lon, lat)
    except DomainError as exc:
        context["risk_error"] = exc
    if get.get("number", "").strip() or get.get("date", "").strip():
        try:
            context["trip"] = exposures.trip_check(
                number=get.get("number", ""), date=get.get("date", "")[:20]
            )
        except DomainError as exc:
            context["trip_error"] = exc
    return render(request, "citizen_queries/home.html", context)


@require_GET
def self_check(request: HttpRequest) -> HttpResponse:
    """The itinerary is typed, kept and matched in the browser only (selfcheck.js)."""
    exposures.exposures_republish_if_new_day()  # no-op unless the day's document is missing
    return render(
        request,
        "citizen_queries/self_check.html",
        {
            "document_url": reverse("citizen:published", args=[exposures.DOCUMENT]),
            "labels": _self_check_labels(),
        },
    )


def _self_check_labels() -> dict[str, str]:
    """The script's words, in the page's language ({name} is filled in by the script)."""
    return {
        "lang": "zh" if _zh() else "en",
        "remove": _("Remove"),
        "match_title": _("Possible exposure"),
        "none": _("No overlap with the published places and trips."),
        "empty": _("Add the places you went and the trips you took."),
        "advice": _(
            "Stay at home, tell your community or grid worker (or call the hotline) and get "
            "tested. Do not go to work or school until you are told it is safe."
        ),
        "place_overlap": _(
            "You were at {place} from {from} to {to}; a confirmed case was there from {start} "
            "to {end}."
        ),
        "trip_overlap": _("A confirmed case travelled on {number} on {date} ({from} → {to})."),
        "as_of": _("Published exposures as of {date}: {venues} place windows, {trips} trips."),
        "load_failed": _("The published exposures could not be loaded. Try again later."),
        "need_place": _("Choose a published place or type one."),
        "bad_window": _("Give the time you arrived and the time you left, the second later."),
        "bad_number": _("A trip number is letters and digits, such as G1234, CA1501 or 18路."),
    }


@require_GET
def testing_sites(request: HttpRequest) -> HttpResponse:
    found, published_at = sites.testing_sites_now()
    return render(
        request,
        "citizen_queries/sites.html",
        {
            "zh": _zh(),
            "sites": found,
            "published_at": published_at,
            "valid_minutes": sites.QUEUE_VALID_MINUTES,
            "document_url": reverse("citizen:published", args=[sites.DOCUMENT]),
        },
    )


# --- officials and testing-site staff --------------------------------------------------------


def _publishing_areas(request: HttpRequest) -> list[str]:
    return [s.area_path for s in actor_of(request).scopes_for(CitizenPermission.PUBLISH_EXPOSURES)]


def _area_choices(request: HttpRequest) -> list:
    from crisisgov.geo.facade import areas_for_paths

    found = areas_for_paths(_publishing_areas(request))
    return [found[p] for p in sorted(found)]


@login_required
@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest) -> HttpResponse:
    """Publish trips and venues (officials), and the testing sites one keeps (staff)."""
    actor = actor_of(request)
    publishes = actor.can(CitizenPermission.PUBLISH_EXPOSURES)
    kept = sites.sites_for_actor(actor=actor)
    if not publishes and not kept:
        raise Http404("nothing to keep here")
    errors: dict[str, DomainError] = {}
    if request.method == "POST":
        form = request.POST.get("form")
        try:
            _staff_post(request, form or "")
            return redirect(reverse("citizen_queries:staff") + f"#{form}")
        except DomainError as exc:
            errors[(form or "").replace("-", "_")] = exc
    return render(
        request,
        "citizen_queries/staff.html",
        {
            "zh": _zh(),
            "publishes": publishes,
            "areas": _area_choices(request) if publishes else [],
            "trips": exposures.trip_list(actor=actor) if publishes else [],
            "venues": exposures.venue_list(actor=actor) if publishes else [],
            "kept": kept,
            "modes": TripMode.choices,
            "errors": errors,
            "form": request.POST if request.method == "POST" else {},
            "today": timezone.localdate().isoformat(),
        },
        status=400 if errors else 200,
    )


def _id(text: str, field: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise DomainError("choose one from the list", field=field)
    return int(text)


def _datetime(text: str, field: str) -> dt.datetime:
    try:
        return timezone.make_aware(dt.datetime.fromisoformat(text))
    except ValueError:
        raise DomainError("a time is YYYY-MM-DD HH:MM", field=field) from None


def _time(text: str, field: str) -> dt.time | None:
    if not text:
        return None
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise DomainError("a time of day is HH:MM", field=field) from None


def _staff_post(request: HttpRequest, form: str) -> None:
    actor, post = actor_of(request), request.POST
    if form == "trip":
        cases = post.get("cases", "1")
        exposures.trip_publish(
            actor=actor,
            area_id=_id(post.get("area_id", ""), "area_id"),
            mode=post.get("mode", ""),
            number=post.get("number", "")[:40],
            travel_date=exposures.parse_date(post.get("travel_date", ""), field="travel_date"),
            from_stop=post.get("from_stop", "")[:100],
            to_stop=post.get("to_stop", "")[:100],
            departs_at=_time(post.get("departs_at", ""), "departs_at"),
            arrives_at=_time(post.get("arrives_at", ""), "arrives_at"),
            carriage=post.get("carriage", "")[:60],
            cases=int(cases) if cases.isdigit() and len(cases) < 6 else 0,
        )
    elif form == "venue":
        exposures.venue_publish(
            actor=actor,
            area_id=_id(post.get("area_id", ""), "area_id"),
            name_zh=post.get("name_zh", "")[:200],
            name_en=post.get("name_en", "")[:200],
            address=post.get("address", "")[:300],
            starts_at=_datetime(post.get("starts_at", ""), "starts_at"),
            ends_at=_datetime(post.get("ends_at", ""), "ends_at"),
        )
    elif form == "withdraw-trip":
        exposures.trip_withdraw(actor=actor, trip_id=_id(post.get("id", ""), "id"))
    elif form == "withdraw-venue":
        exposures.venue_withdraw(actor=actor, venue_id=_id(post.get("id", ""), "id"))
    else:
        raise DomainError("unknown form", field="form")


@login_required
@not_found_as_404
@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """A testing site's small phone page: tap the queue length, set the weekly hours."""
    actor = actor_of(request)
    site = sites.site_for_actor(actor=actor, organisation_id=organisation_id)
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("form") == "hours":
                _hours_post(request, organisation_id)
            else:
                minutes = request.POST.get("waiting_minutes", "").strip()
                if minutes and not (minutes.isdigit() and len(minutes) < 5):
                    raise DomainError("waiting minutes are a whole number", field="waiting_minutes")
                sites.site_queue_update(
                    actor=actor,
                    organisation_id=organisation_id,
                    status=request.POST.get("status", ""),
                    waiting_minutes=int(minutes) if minutes else None,
                )
            return redirect("citizen_queries:site-edit", organisation_id=organisation_id)
        except NotFound:
            raise
        except DomainError as exc:
            error = exc
    info = sites.site_info_get(actor=actor, organisation_id=organisation_id)
    days = [
        (day, ", ".join(f"{a}-{b}" for a, b in (info.hours or {}).get(day, []))) for day in WEEKDAYS
    ]
    return render(
        request,
        "citizen_queries/site_edit.html",
        {
            "zh": _zh(),
            "site": site,
            "info": info,
            "days": days,
            "statuses": QueueStatus.choices,
            "error": error,
        },
        status=400 if error else 200,
    )


def _hours_post(request: HttpRequest, organisation_id: int) -> None:
    hours = {}
    try:
        for day in WEEKDAYS:
            hours[day] = hours_parse_line(request.POST.get(f"day{day}", "")[:200], f"hours.{day}")
    except RuleError as exc:
        raise DomainError(str(exc), field=exc.field) from None
    sites.site_info_update(
        actor=actor_of(request),
        organisation_id=organisation_id,
        hours=hours,
        offers_pcr="pcr" in request.POST,
        offers_antigen="antigen" in request.POST,
    )
