"""Public opinion: JSON API under /api/opinion.

Anyone may post a message (anonymous callers are rate-limited per IP address); partner
platforms deliver signed batches to /webhook/<source name> (no login: the signature is the
credential). Reading messages, topics, sentiment and alarms needs opinion.view_board in the
areas read; texts are always the redacted ones.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router, Schema, Status

from crisisgov.kernel.errors import DomainError, NotFound, PermissionDenied
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.ratelimit import attempt_allow
from crisisgov.kernel.schemas import MAX_OFFSET, Id, PathId, StrictInput, text
from crisisgov.opinion import alarms, selectors, services, webhooks
from crisisgov.opinion.intake import MAX_TEXT, message_receive
from crisisgov.opinion.models import Channel, HotspotAlarm, Message, Source
from crisisgov.opinion.permissions import OpinionPermission

router = Router()

# Posts per window (limit, seconds): per IP address for anonymous callers, per account when
# logged in. Counted by the kernel's limiter, which answers 429 "too_many_attempts".
ANONYMOUS_POSTS = (10, 600)
ACCOUNT_POSTS = (60, 600)


def post_allow(request: HttpRequest) -> None:
    """Count this post against its caller's window; TooManyAttempts (429) once it is full."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        key, (limit, window) = f"user:{user.pk}", ACCOUNT_POSTS
    else:
        key, (limit, window) = f"ip:{request.META.get('REMOTE_ADDR', 'unknown')}", ANONYMOUS_POSTS
    attempt_allow("opinion.posts", key, limit=limit, window_seconds=window, field="")


def _viewer(request: HttpRequest):  # type: ignore[no-untyped-def]
    actor = actor_of(request)
    if not actor.can(OpinionPermission.VIEW_BOARD):
        raise PermissionDenied(f"this needs the {OpinionPermission.VIEW_BOARD} permission")
    return actor


class MessageIn(StrictInput):
    # Checked by the intake service (empty, binary, too long) so every channel answers alike.
    text: str
    channel: str = Channel.POST
    area_code: text(max_length=21) = ""  # type: ignore[valid-type]
    lon: float | None = None
    lat: float | None = None
    parent_id: Id | None = None


class ReceiptOut(Schema):
    id: int
    language: str
    text: str  # as stored: normalised and redacted
    pii_redacted: list[str]
    duplicate_of: int | None
    area_code: str | None


class MessageOut(Schema):
    id: int
    channel: str
    posted_at: dt.datetime
    language: str
    text: str
    pii_redacted: list[str]
    area_code: str | None
    topic_id: int | None
    sentiment: str
    duplicate_of: int | None
    duplicate_count: int


def _message(message: Message) -> dict:
    return {
        "id": message.pk,
        "channel": message.channel,
        "posted_at": message.posted_at,
        "language": message.language,
        "text": message.text,
        "pii_redacted": [k for k in message.pii_kinds.split(",") if k],
        "area_code": message.area.code if message.area_id else None,
        "topic_id": message.topic_id,
        "sentiment": message.sentiment,
        "duplicate_of": message.duplicate_of_id,
        "duplicate_count": message.duplicate_count,
    }


class TopicOut(Schema):
    id: int
    label_zh: str
    label_en: str
    keywords: list[str]
    candidate: bool
    last_hour: int
    baseline: float


class SentimentOut(Schema):
    hours: list[str]
    negative: list[int]
    neutral: list[int]
    positive: list[int]


class AlarmOut(Schema):
    id: int
    topic_id: int
    area_code: str
    bin_start: dt.datetime
    observed: int
    expected: float
    p_value: float
    new_topic: bool
    department: str
    state: str
    evidence: list[int]


def _alarm(alarm: HotspotAlarm) -> dict:
    return {
        "id": alarm.pk,
        "topic_id": alarm.topic_id,
        "area_code": alarm.area.code,
        "bin_start": alarm.bin_start,
        "observed": alarm.observed,
        "expected": alarm.expected,
        "p_value": alarm.p_value,
        "new_topic": alarm.new_topic,
        "department": alarm.department,
        "state": alarm.state,
        "evidence": alarm.evidence,
    }


class CuratedTopicOut(Schema):
    id: int
    label_zh: str
    label_en: str
    keywords: list[str]
    candidate: bool
    size: int
    last_seen_at: dt.datetime | None


class TopicConfirmIn(StrictInput):
    label_zh: text(max_length=200) = ""  # type: ignore[valid-type]
    label_en: text(max_length=200) = ""  # type: ignore[valid-type]


class TopicMergeIn(StrictInput):
    into: Id
    reason: text(min_length=3, max_length=500)  # type: ignore[valid-type]


class AlarmStateIn(StrictInput):
    note: text(max_length=500) = ""  # type: ignore[valid-type]


class SourceIn(StrictInput):
    name: text(min_length=1, max_length=100)  # type: ignore[valid-type]
    channel: str
    area_id: Id


class SourceOut(Schema):
    id: int
    name: str
    channel: str
    webhook_url: str
    secret: str  # the signing secret of a partner platform: shown now, and never again


# --- intake ------------------------------------------------------------------------------------


@router.post(
    "/messages",
    response={201: ReceiptOut, 200: ReceiptOut},
    auth=None,
    summary=f"Post a message (a citizen's post or comment, at most {MAX_TEXT} characters)",
)
def post_message(request: HttpRequest, payload: MessageIn) -> object:
    if payload.channel not in (Channel.POST, Channel.COMMENT):
        raise DomainError("citizens post posts and comments", field="channel")
    if payload.channel == Channel.COMMENT and payload.parent_id is None:
        raise DomainError("a comment names the post it answers", field="parent_id")
    post_allow(request)
    received = message_receive(
        channel=payload.channel,
        text=payload.text,
        area_code=payload.area_code,
        lon=payload.lon,
        lat=payload.lat,
        parent_id=payload.parent_id,
    )
    message = received.message
    return Status(
        201,
        {
            "id": message.pk,
            "language": message.language,
            "text": message.text,
            "pii_redacted": [k for k in message.pii_kinds.split(",") if k],
            "duplicate_of": message.duplicate_of_id,
            "area_code": message.area.code if message.area_id else None,
        },
    )


@router.post("/webhook/{source_name}", auth=None, summary="A partner platform's signed batch")
def webhook(request: HttpRequest, source_name: str) -> HttpResponse:
    result = webhooks.webhook_receive(
        source_name=source_name,
        body=request.body,
        signature=request.headers.get(webhooks.SIGNATURE_HEADER, ""),
        timestamp=request.headers.get(webhooks.TIMESTAMP_HEADER, ""),
        caller=request.META.get("REMOTE_ADDR", ""),
    )
    body = {"accepted": result.accepted, "rejected": result.rejected}
    return JsonResponse(body, status=200 if result.accepted else 422)


@router.post(
    "/sources", response={201: SourceOut}, summary="Register a partner platform or an export source"
)
def create_source(request: HttpRequest, payload: SourceIn) -> object:
    source, secret = services.source_create(
        actor=actor_of(request), name=payload.name, channel=payload.channel, area_id=payload.area_id
    )
    url = f"/api/opinion/webhook/{source.name}" if source.channel == Channel.WEBHOOK else ""
    return Status(
        201,
        {"id": source.pk, "name": source.name, "channel": source.channel, "webhook_url": url,
         "secret": secret},
    )  # fmt: skip


class SourceStateOut(Schema):
    id: int
    name: str
    channel: str
    active: bool
    secret: str  # the new signing secret after a rotation (shown once), else ""


class DeactivateIn(StrictInput):
    reason: text(max_length=200) = ""  # type: ignore[valid-type]


def _source_named(request: HttpRequest, source_id: int) -> str:
    """The name of a source of the caller's import areas (404 for any other)."""
    actor = actor_of(request)
    name = (
        Source.objects.for_actor(actor, OpinionPermission.IMPORT_MESSAGES)
        .filter(pk=source_id)
        .values_list("name", flat=True)
        .first()
    )
    if name is None:
        raise NotFound("no such source", field="source_id")
    return name


@router.post(
    "/sources/{source_id}/rotate",
    response=SourceStateOut,
    summary="A partner platform's new signing secret (the old one stops working)",
)
def rotate_source(request: HttpRequest, source_id: PathId) -> object:
    source, secret = services.source_rotate_secret(
        actor=actor_of(request), name=_source_named(request, source_id)
    )
    return {"id": source.pk, "name": source.name, "channel": source.channel,
            "active": source.active, "secret": secret}  # fmt: skip


@router.post(
    "/sources/{source_id}/deactivate",
    response=SourceStateOut,
    summary="Refuse a source's deliveries from now on (its messages stay)",
)
def deactivate_source(request: HttpRequest, source_id: PathId, payload: DeactivateIn) -> object:
    source = services.source_deactivate(
        actor=actor_of(request), name=_source_named(request, source_id), reason=payload.reason
    )
    return {"id": source.pk, "name": source.name, "channel": source.channel,
            "active": source.active, "secret": ""}  # fmt: skip


# --- reads -------------------------------------------------------------------------------------


@router.get("/messages", response=list[MessageOut], summary="Messages of your areas (redacted)")
def list_messages(
    request: HttpRequest,
    topic_id: int | None = Query(None, ge=1, le=2**63 - 1),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> object:
    rows = selectors.messages_for(actor=_viewer(request), topic_id=topic_id)
    return [_message(m) for m in rows[offset : offset + limit]]


@router.get("/messages/{message_id}", response=MessageOut, summary="A message (redacted)")
def get_message(request: HttpRequest, message_id: PathId) -> object:
    return _message(selectors.message_for(actor=_viewer(request), message_id=message_id))


@router.get("/topics/rising", response=list[TopicOut], summary="Topics rising in your areas")
def rising_topics(request: HttpRequest) -> object:
    return [
        {
            "id": row.topic.pk,
            "label_zh": row.topic.label_zh,
            "label_en": row.topic.label_en,
            "keywords": row.topic.keywords,
            "candidate": row.topic.candidate,
            "last_hour": row.last_hour,
            "baseline": round(row.baseline, 3),
        }
        for row in selectors.topics_rising(actor=_viewer(request))
    ]


def _curated(topic) -> dict:  # type: ignore[no-untyped-def]
    fields = ("id", "label_zh", "label_en", "keywords", "candidate", "size", "last_seen_at")
    return {field: getattr(topic, field) for field in fields}


@router.get(
    "/topics", response=list[CuratedTopicOut], summary="Topics found online, candidates first"
)
def list_topics(request: HttpRequest, limit: int = Query(100, ge=1, le=500)) -> object:
    services.curator_required(actor_of(request))  # the city's topics: for its analysts
    return [_curated(t) for t in selectors.topics_for_curation(limit=limit)]


@router.post(
    "/topics/{topic_id}/confirm", response=CuratedTopicOut, summary="Confirm (and name) a topic"
)
def confirm_topic(request: HttpRequest, topic_id: PathId, payload: TopicConfirmIn) -> object:
    topic = services.topic_confirm(
        actor=actor_of(request), topic_id=topic_id,
        label_zh=payload.label_zh, label_en=payload.label_en,
    )  # fmt: skip
    return _curated(topic)


@router.post(
    "/topics/{topic_id}/merge", response=CuratedTopicOut, summary="Merge a topic into another"
)
def merge_topic(request: HttpRequest, topic_id: PathId, payload: TopicMergeIn) -> object:
    topic = services.topic_merge(
        actor=actor_of(request), topic_id=topic_id, into_id=payload.into, reason=payload.reason
    )
    return _curated(topic)


@router.get("/sentiment", response=SentimentOut, summary="Sentiment per hour, last 24 hours")
def sentiment(request: HttpRequest) -> object:
    return selectors.sentiment_hourly(actor=_viewer(request))


@router.get("/alarms", response=list[AlarmOut], summary="Live hot-spot alarms of your areas")
def list_alarms(
    request: HttpRequest, department: str = Query("", max_length=30, pattern="^[a-z_]*$")
) -> object:
    rows = selectors.alarms_for(actor=_viewer(request), department=department)
    return [_alarm(a) for a in rows[:200]]


@router.get("/alarms/{alarm_id}", response=AlarmOut, summary="A hot-spot alarm")
def get_alarm(request: HttpRequest, alarm_id: PathId) -> object:
    return _alarm(selectors.alarm_for(actor=_viewer(request), alarm_id=alarm_id))


@router.post("/alarms/{alarm_id}/acknowledge", response=AlarmOut, summary="Acknowledge an alarm")
def acknowledge_alarm(request: HttpRequest, alarm_id: PathId, payload: AlarmStateIn) -> object:
    alarm = alarms.alarm_set_state(
        actor=actor_of(request), alarm_id=alarm_id, state="acknowledged", note=payload.note
    )
    return _alarm(alarm)


@router.post("/alarms/{alarm_id}/close", response=AlarmOut, summary="Close an alarm")
def close_alarm(request: HttpRequest, alarm_id: PathId, payload: AlarmStateIn) -> object:
    alarm = alarms.alarm_set_state(
        actor=actor_of(request), alarm_id=alarm_id, state="closed", note=payload.note
    )
    return _alarm(alarm)
