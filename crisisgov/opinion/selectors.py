"""Public opinion: reads for the situation board, the alarm inbox and the API. Every read starts
from `for_actor(actor, opinion.view_board)`: the actor's area subtrees only. Texts are always
the redacted ones (`Message.text`); the whole text is read only through services'
`message_whole_read`, audited."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from crisisgov.geo.facade import PATH_DIGITS, AreaInfo, Level, areas_at_level, areas_for_paths
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.errors import NotFound
from crisisgov.opinion.models import AlarmState, HotspotAlarm, HotspotBin, Message, Topic
from crisisgov.opinion.permissions import OpinionPermission

P = OpinionPermission.VIEW_BOARD
LIVE = (AlarmState.OPEN, AlarmState.ACKNOWLEDGED)


# An officer whose organisation is no known department gets this "department": no alarm
# carries it, so they see none (rather than every department's).
def messages_for(
    *,
    actor: Actor,
    topic_id: int | None = None,
    area_path: str = "",
    since: dt.datetime | None = None,
) -> QuerySet[Message]:
    rows = Message.objects.for_actor(actor, P).select_related("area", "topic")
    if topic_id is not None:
        rows = rows.filter(topic_id=topic_id)
    if area_path:
        rows = rows.filter(area_path__under=area_path)
    if since is not None:
        rows = rows.filter(posted_at__gte=since)
    return rows.order_by("-posted_at", "-id")


def message_for(*, actor: Actor, message_id: int) -> Message:
    message = messages_for(actor=actor).filter(pk=message_id).first()
    if message is None:
        raise NotFound("no such message", field="message_id")
    return message


@dataclass(frozen=True)
class RisingTopic:
    topic: Topic
    last_hour: int
    baseline: float  # mean hourly count over the 24 hours before
    ratio: float


def topics_rising(
    *, actor: Actor, now: dt.datetime | None = None, limit: int = 10
) -> list[RisingTopic]:
    """Topics of the actor's areas by how far the last hour exceeds the hourly mean of the
    24 hours before it (both from the hot-spot bins)."""
    now = now or timezone.now()
    hour_ago = now - dt.timedelta(hours=1)
    bins = HotspotBin.objects.for_actor(actor, P).filter(start__gte=now - dt.timedelta(hours=25))
    recent = dict(
        bins.filter(start__gte=hour_ago)
        .values("topic_id")
        .annotate(n=Sum("count"))
        .values_list("topic_id", "n")
    )
    if not recent:
        return []
    before = dict(
        bins.filter(start__lt=hour_ago, topic_id__in=recent)
        .values("topic_id")
        .annotate(n=Sum("count"))
        .values_list("topic_id", "n")
    )
    topics = Topic.objects.in_bulk(list(recent))
    rows = []
    for topic_id, count in recent.items():
        baseline = before.get(topic_id, 0) / 24
        rows.append(RisingTopic(topics[topic_id], count, baseline, (count + 1) / (baseline + 1)))
    rows.sort(key=lambda r: (-r.ratio, -r.last_hour, r.topic.pk))
    return rows[:limit]


def sentiment_hourly(*, actor: Actor, now: dt.datetime | None = None, hours: int = 24) -> dict:
    """{"hours": [iso...], "negative": [...], "neutral": [...], "positive": [...]} of the
    messages of the actor's areas per hour, the last `hours` hours (duplicates included)."""
    now = now or timezone.now()
    end = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    start = end - dt.timedelta(hours=hours)
    counts: dict[tuple[dt.datetime, str], int] = defaultdict(int)
    rows = (
        Message.objects.for_actor(actor, P)
        .filter(posted_at__gte=start, posted_at__lt=end)
        .exclude(sentiment="")
        .annotate(hour=TruncHour("posted_at", tzinfo=dt.UTC))
        .values("hour", "sentiment")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[(row["hour"].astimezone(dt.UTC), row["sentiment"])] += row["n"]
    slots = [start + dt.timedelta(hours=k) for k in range(hours)]
    series = {"hours": [timezone.localtime(s).strftime("%m-%d %H:00") for s in slots]}
    for label in ("negative", "neutral", "positive"):
        series[label] = [counts.get((s, label), 0) for s in slots]
    return series


def board_districts(actor: Actor) -> list[AreaInfo]:
    """The districts the actor watches: those inside their areas, or the one around it."""
    digits = PATH_DIGITS[Level.DISTRICT]
    found: dict[str, AreaInfo] = {}
    for scope in actor.scopes_for(P):
        if len(scope.area_path) <= digits:
            found |= {a.path: a for a in areas_at_level(Level.DISTRICT, under=scope.area_path)}
        else:
            found |= areas_for_paths([scope.area_path[:digits]])
    return [found[p] for p in sorted(found)]


def alarms_for(*, actor: Actor, live_only: bool = True, department: str = "") -> QuerySet:
    rows = HotspotAlarm.objects.for_actor(actor, P).select_related("topic", "area")
    if live_only:
        rows = rows.filter(state__in=LIVE)
    if department:
        rows = rows.filter(department=department)
    return rows.order_by("-bin_start", "-id")


def alarm_for(*, actor: Actor, alarm_id: int) -> HotspotAlarm:
    alarm = alarms_for(actor=actor, live_only=False).filter(pk=alarm_id).first()
    if alarm is None:
        raise NotFound("no such alarm", field="alarm_id")
    return alarm


def alarm_counts_by_district(*, actor: Actor) -> dict[str, int]:
    """{district path: live alarms under it} within the actor's areas."""
    counts: dict[str, int] = defaultdict(int)
    digits = PATH_DIGITS[Level.DISTRICT]
    for path in alarms_for(actor=actor).values_list("area_path", flat=True):
        counts[path[:digits]] += 1
    return dict(counts)


def evidence_of(*, actor: Actor, alarm: HotspotAlarm) -> list[Message]:
    """The alarm's evidence messages (redacted text), as far as they still exist."""
    rows = messages_for(actor=actor).filter(pk__in=alarm.evidence)
    return list(rows)


def departments_of(actor: Actor) -> list[str] | None:
    """The department codes of the actor's organisations (for their alarm inbox); None for
    the command centre and area-wide roles (analysts, commanders), who see every department's
    alarms. Never fails open: an organisation of no known department adds nothing."""
    from crisisgov.directory.facade import organisation_info
    from crisisgov.opinion.tickets.departments import COMMAND_CENTRE_TYPE, department_of_type

    codes = []
    for scope in actor.scopes_for(P):
        if scope.organisation_id is None:
            return None  # an area-wide role: every department of their areas
        info = organisation_info(scope.organisation_id)
        kind = getattr(info, "department_type", "") or ""
        if kind == COMMAND_CENTRE_TYPE:
            return None
        code = department_of_type(kind)
        if code:
            codes.append(code)
    return sorted(set(codes))


def topic_label(topic: Topic | None, language: str) -> str:
    if topic is None:
        return ""
    first, second = (
        (topic.label_en, topic.label_zh) if language == "en" else (topic.label_zh, topic.label_en)
    )
    return first or second or " ".join(topic.keywords[:3]) or f"#{topic.pk}"


def topics_for_curation(*, limit: int = 100) -> list[Topic]:
    """The topics found online, candidates first, the most recently active first."""
    return list(
        Topic.objects.order_by("-candidate", F("last_seen_at").desc(nulls_last=True), "-id")[:limit]
    )
