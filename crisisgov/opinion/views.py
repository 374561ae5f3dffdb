"""Public opinion pages: the citizens' form (/opinion/say, no login, mobile-first), the
situation board (/opinion/), its hot-spot map, the alarm inbox and an alarm's page, and the
CSV import page. Texts shown are always the redacted ones."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crisisgov.geo.facade import Level, area_geometries, areas_at_level
from crisisgov.kernel.errors import DomainError, TooManyAttempts
from crisisgov.kernel.http import actor_of, not_found_as_404
from crisisgov.opinion import alarms, imports, selectors, services
from crisisgov.opinion.api import post_allow
from crisisgov.opinion.intake import MAX_TEXT, message_receive
from crisisgov.opinion.models import AlarmState, Channel, Source
from crisisgov.opinion.permissions import OpinionPermission
from crisisgov.opinion.rumors import board as rumors_board
from crisisgov.opinion.tickets import board as tickets_board

P = OpinionPermission.VIEW_BOARD
PANELS = (  # the sub-apps' board panels: (template, board_panel(actor) giving its context)
    ("opinion_rumors/_board_panel.html", rumors_board.board_panel),
    ("opinion_tickets/_board_panel.html", tickets_board.board_panel),
)


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _language() -> str:
    return "zh" if _zh() else "en"


def _viewer(request: HttpRequest):  # type: ignore[no-untyped-def]
    actor = actor_of(request)
    if not actor.can(P):
        raise Http404("no situation board here")
    return actor


# --- the citizens' form ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def say(request: HttpRequest) -> HttpResponse:
    """Tell the government what you see: a short form, anonymous allowed (rate-limited)."""
    districts = [
        (a.code, a.name_zh if _zh() else a.name_en)
        for city in areas_at_level(Level.CITY)
        for a in areas_at_level(Level.DISTRICT, under=city.path)
    ]
    context: dict = {"districts": districts, "max_text": MAX_TEXT, "text": "", "area_code": ""}
    status = 200
    if request.method == "POST":
        text = request.POST.get("text", "")
        area_code = request.POST.get("area_code", "")
        context |= {"text": text, "area_code": area_code}
        if area_code and area_code not in {code for code, _ in districts}:
            context["error"] = {
                "field": "area_code",
                "message": _("Choose a district from the list."),
            }
            status = 422
        elif (throttled := _throttled(request)) is not None:
            context["error"] = {"field": "", "message": throttled}
            status = 429
        else:
            try:
                received = message_receive(channel=Channel.POST, text=text, area_code=area_code)
            except DomainError as exc:
                context["error"] = {"field": exc.field or "text", "message": _error_text(exc)}
                status = 422
            else:
                return redirect(reverse("opinion:say") + f"?thanks={received.message.pk}")
    context["thanks"] = request.GET.get("thanks", "").isdigit()
    return render(request, "opinion/say.html", context, status=status)


def _throttled(request: HttpRequest) -> str | None:
    """The page's message when the caller is over the posting limit (the API's limiter)."""
    try:
        post_allow(request)
    except TooManyAttempts:
        return _("Too many messages from here: wait a few minutes.")
    return None


def _error_text(exc: DomainError) -> str:
    return {
        "empty": _("Write your message first: it is empty."),
        "binary": _("The message holds characters that are not text."),
        "too_long": _("The message is longer than %(max)s characters: shorten or split it.")
        % {"max": MAX_TEXT},
    }.get(exc.code, exc.message)


# --- the situation board -----------------------------------------------------------------------


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    actor = _viewer(request)
    language = _language()
    now = timezone.now()
    rising = selectors.topics_rising(actor=actor, now=now)
    alarm_rows = list(selectors.alarms_for(actor=actor)[:50])
    sentiment = selectors.sentiment_hourly(actor=actor, now=now)
    counts = selectors.alarm_counts_by_district(actor=actor)
    districts = [
        {"area": a, "name": a.name_zh if _zh() else a.name_en, "alarms": counts.get(a.path, 0)}
        for a in selectors.board_districts(actor)
    ]
    context = {
        "rising": [
            {"row": r, "label": selectors.topic_label(r.topic, language), "ratio": f"{r.ratio:.1f}"}
            for r in rising
        ],
        "alarms": [_alarm_row(a, language) for a in alarm_rows],
        "sentiment": sentiment,
        "sentiment_rows": list(
            zip(
                sentiment["hours"],
                sentiment["negative"],
                sentiment["neutral"],
                sentiment["positive"],
                strict=True,
            )
        )[-12:],  # fmt: skip
        "sentiment_chart": {
            **sentiment,
            "names": {
                "negative": _("negative"),
                "neutral": _("neutral"),
                "positive": _("positive"),
            },
        },
        "districts": districts,
        "map_url": reverse("opinion:map"),
        "map_labels": {
            "alarms": _("Live alarms"),
            "no_outline": _("No outline has been drawn for this area yet."),
            "load_failed": _("The map could not be loaded. The table lists the same areas."),
        },
        "recent": list(selectors.messages_for(actor=actor)[:20]),
        "panels": _panels(request, actor),
        "may_import": actor.can(OpinionPermission.IMPORT_MESSAGES),
        "may_curate": services.can_curate(actor),
    }
    return render(request, "opinion/board.html", context)


def _alarm_row(alarm, language: str) -> dict:  # type: ignore[no-untyped-def]
    return {
        "alarm": alarm,
        "topic": selectors.topic_label(alarm.topic, language),
        "area": alarm.area.name_zh if language == "zh" else alarm.area.name_en,
    }


def _panels(request: HttpRequest, actor) -> list[str]:  # type: ignore[no-untyped-def]
    """The sub-apps' panels (the rumor queue, tickets by department), rendered."""
    return [
        render_to_string(template, board_panel(actor), request=request)
        for template, board_panel in PANELS
    ]


@require_GET
def board_map(request: HttpRequest) -> HttpResponse:
    """GeoJSON of the viewer's districts, each with its number of live alarms."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": [{"code": "not_authenticated"}]}, status=401)
    actor = actor_of(request)
    if not actor.can(P):
        return JsonResponse({"type": "FeatureCollection", "features": []})
    counts = selectors.alarm_counts_by_district(actor=actor)
    districts = selectors.board_districts(actor)
    geometries = area_geometries([a.id for a in districts])
    features = [
        {
            "type": "Feature",
            "geometry": geometries.get(a.id),
            "properties": {
                "code": a.code,
                "name": a.name_zh if _zh() else a.name_en,
                "alarms": counts.get(a.path, 0),
            },
        }
        for a in districts
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


# --- alarms ------------------------------------------------------------------------------------


@login_required
@require_GET
def alarm_inbox(request: HttpRequest) -> HttpResponse:
    """The alarms for the viewer's department (all of them for the command centre)."""
    actor = _viewer(request)
    departments = selectors.departments_of(actor)
    rows = selectors.alarms_for(actor=actor)
    if departments is not None:  # a department's staff: its own alarms only
        rows = rows.filter(department__in=departments)
    language = _language()
    return render(
        request,
        "opinion/alarms.html",
        {"alarms": [_alarm_row(a, language) for a in rows[:200]], "departments": departments},
    )


@login_required
@require_http_methods(["GET", "POST"])
@not_found_as_404
def alarm_detail(request: HttpRequest, alarm_id: int) -> HttpResponse:
    actor = _viewer(request)
    error = None
    if request.method == "POST":
        state = request.POST.get("state", "")
        try:
            alarms.alarm_set_state(
                actor=actor, alarm_id=alarm_id, state=state, note=request.POST.get("note", "")
            )
            return redirect("opinion:alarm", alarm_id)
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            error = exc
    alarm = selectors.alarm_for(actor=actor, alarm_id=alarm_id)
    trend = alarms.alarm_trend(alarm)
    language = _language()
    return render(
        request,
        "opinion/alarm.html",
        {
            **_alarm_row(alarm, language),
            "evidence": selectors.evidence_of(actor=actor, alarm=alarm),
            "trend": {
                "labels": [timezone.localtime(at).strftime("%H:%M") for at, _ in trend],
                "counts": [count for _, count in trend],
                "name": _("Messages per 15 minutes"),
            },
            "trend_rows": [(timezone.localtime(at), c) for at, c in trend if c][-16:],
            "error": error,
            "live": alarm.state != AlarmState.CLOSED,
        },
    )


# --- imports -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.can(OpinionPermission.IMPORT_MESSAGES):
        raise Http404("no imports here")
    result, error, status = None, None, 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError(_("Choose a CSV file."), field="file")
            if upload.size > imports.MAX_BYTES:
                raise DomainError(_("The file is larger than 20 MB: split it."), field="file")
            source = imports.source_for_import(actor=actor, name=request.POST.get("source", ""))
            result = imports.messages_import_csv(actor=actor, source=source, data=upload.read())
        except DomainError as exc:
            error, status = exc, 422 if exc.status_code != 404 else 404
    sources = Source.objects.for_actor(actor, OpinionPermission.IMPORT_MESSAGES).filter(
        channel=Channel.SOCIAL, active=True
    )
    return render(
        request,
        "opinion/import.html",
        {"result": result, "error": error, "sources": list(sources.order_by("name"))},
        status=status,
    )


# --- curating topics ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@not_found_as_404
def topics_page(request: HttpRequest) -> HttpResponse:
    """The topics found online, candidates first. A city analyst confirms a topic (naming it,
    if the automatic label misleads) or merges one into another that is the same subject."""
    actor = _viewer(request)
    if not services.can_curate(actor):
        raise Http404("no topics to curate here")
    error, status = None, 200
    if request.method == "POST":
        action, topic_id = request.POST.get("action", ""), request.POST.get("topic", "")
        try:
            if not topic_id.isdigit():
                raise DomainError(_("Choose a topic."), field="topic")
            if action == "confirm":
                services.topic_confirm(
                    actor=actor, topic_id=int(topic_id),
                    label_zh=request.POST.get("label_zh", ""),
                    label_en=request.POST.get("label_en", ""),
                )  # fmt: skip
            elif action == "merge":
                into = request.POST.get("into", "")
                if not into.isdigit():
                    raise DomainError(_("Choose the topic to merge it into."), field="into")
                services.topic_merge(
                    actor=actor, topic_id=int(topic_id), into_id=int(into),
                    reason=request.POST.get("reason", ""),
                )  # fmt: skip
            else:
                raise DomainError("unknown action", field="action")
            return redirect("opinion:topics")
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            error, status = exc, exc.status_code
    language = _language()
    topics = selectors.topics_for_curation()
    rows = [{"topic": t, "label": selectors.topic_label(t, language)} for t in topics]
    return render(request, "opinion/topics.html", {"rows": rows, "error": error}, status=status)
