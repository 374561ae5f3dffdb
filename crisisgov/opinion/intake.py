"""Intake: every channel's message goes through `message_receive`.

The citizens' form and API, the hotline (the tickets sub-app registers its calls here), CSV
exports of social media (imports.py) and partner platforms' signed webhooks (webhooks.py) all
end in one function that checks the text, normalises it, finds its language, redacts personal
data, collapses near-duplicates, resolves the area, embeds it, assigns a topic and a sentiment,
counts it in its hot-spot bin, stores it, and publishes `opinion.message_received`.

Decisions:
- A text longer than MAX_TEXT characters is refused (422 naming the field), never truncated:
  a cut message could change its meaning, and the sender can split it.
- A near-duplicate (same SimHash within Hamming distance 3, posted within DUPLICATE_WINDOW)
  is stored, points at the first message (`duplicate_of`), and raises that one's
  `duplicate_count`. It shares the original's topic and sentiment (no second embedding) and
  still counts in the hot-spot bins: a repost is volume, which is what a hot spot measures.
- A message in another language is kept and marked `other` (or `und`), not embedded, and has
  no topic or sentiment.
- Only hotline calls keep their whole text (encrypted, for the ticket's handler); every other
  channel keeps the redacted text alone (SEALED_CHANNELS).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from crisisgov.geo.facade import (
    PATH_DIGITS,
    AreaInfo,
    Level,
    area_at_point_public,
    area_by_code,
    area_info,
    areas_at_level,
)
from crisisgov.kernel.errors import DomainError
from crisisgov.kernel.outbox import outbox_publish
from crisisgov.opinion import understanding as u
from crisisgov.opinion.models import (
    Channel,
    FingerprintBand,
    HotspotBin,
    Language,
    Message,
    Source,
    Topic,
)

logger = logging.getLogger(__name__)

MAX_TEXT = 5000
MAX_EXTERNAL_ID = 100
DUPLICATE_WINDOW = dt.timedelta(hours=24)
BIN = dt.timedelta(minutes=15)
ANALYSED = {Language.ZH, Language.EN}
# Only a channel with a handler keeps the whole text (encrypted, `text_sealed`): a hotline
# ticket's department may need to call back. Posts, comments, social exports and partner
# deliveries have no handler, so their personal data is not collected at all.
SEALED_CHANNELS = {Channel.HOTLINE}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Unprocessable(DomainError):
    """Input that can never be accepted as it is (422, naming the field)."""

    status_code = 422


@dataclass(frozen=True)
class Received:
    message: Message
    created: bool  # False: the source had already delivered this external id


def retention_days() -> int:
    return int(getattr(settings, "CRISISGOV_OPINION_RETENTION_DAYS", 180))


def text_check(raw: object, *, field: str = "text") -> str:
    """The text as a str, or Unprocessable naming `field`: not text, not UTF-8, binary,
    empty or only spaces, or longer than MAX_TEXT characters."""
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise Unprocessable("the text is not valid UTF-8", field=field) from None
    if not isinstance(raw, str):
        raise Unprocessable("the text must be a string", field=field)
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, from a JSON "\ud800"
        raise Unprocessable("the text is not valid UTF-8", field=field) from None
    if _CONTROL.search(raw):
        raise Unprocessable(
            "the text holds binary data (NUL or control characters)", field=field, code="binary"
        )
    if not raw.strip():
        raise Unprocessable("the text is empty", field=field, code="empty")
    if len(raw) > MAX_TEXT:
        raise Unprocessable(
            f"the text is longer than {MAX_TEXT:,} characters ({len(raw):,}); split it",
            field=field,
            code="too_long",
        )
    return raw


def bin_start(at: dt.datetime) -> dt.datetime:
    """The start of the 15-minute bin holding `at` (UTC)."""
    at = at.astimezone(dt.UTC)
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def message_receive(
    *,
    channel: str,
    text: object,
    posted_at: dt.datetime | None = None,
    source: Source | None = None,
    external_id: str = "",
    area_code: str = "",
    lon: float | None = None,
    lat: float | None = None,
    parent_id: int | None = None,
    within: str = "",
) -> Received:
    """Accept one message of any channel (see the module's docstring). Raises Unprocessable
    naming the field for input that cannot be accepted; a source's external id delivered again
    returns the stored message (`created` False). `within` (an area path): a place named in the
    text outside it is not used (a partner's message stays in the partner's area)."""
    if channel not in Channel.values:
        raise Unprocessable("unknown channel", field="channel")
    raw = text_check(text)
    external_id = (external_id or "").strip()
    if len(external_id) > MAX_EXTERNAL_ID or _CONTROL.search(external_id):
        raise Unprocessable("the id is longer than 100 characters or binary", field="id")
    if external_id and source is None:
        external_id = ""  # only a source's ids make deliveries idempotent
    if source is not None and external_id:
        existing = Message.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return Received(existing, False)
    now = timezone.now()
    posted_at = _posted_at(posted_at, now)
    parent = None
    if parent_id is not None:
        parent = Message.objects.filter(pk=parent_id).first()
        if parent is None:
            raise Unprocessable("no such post to comment on", field="parent_id")
    area = _area(
        area_code=area_code, lon=lon, lat=lat, text=raw, source=source, parent=parent,
        within=within,
    )  # fmt: skip

    normalised = u.normalise(raw)
    if not normalised.strip():  # only characters that normalise away (zero-width, emoji)
        normalised = raw.strip()
    language = u.language_of(normalised)
    if language not in Language.values:
        language = Language.OTHER
    redaction = u.redact(normalised)
    # Everything derived from the text (fingerprint, embedding, topic keywords) is derived from
    # the redacted text: no phone or ID number can surface in a topic label, and two posts
    # differing only in the caller's number are duplicates.
    fingerprint = u.simhash(redaction.text)
    try:
        with transaction.atomic():
            message = _store(
                channel=channel, source=source, external_id=external_id, area=area,
                posted_at=posted_at, language=language, normalised=normalised,
                redaction=redaction, fingerprint=fingerprint, parent=parent, now=now,
            )  # fmt: skip
    except IntegrityError:
        # The same delivery stored by a concurrent request: theirs stands.
        existing = Message.objects.filter(source=source, external_id=external_id).first()
        if existing is None:
            raise
        return Received(existing, False)
    return Received(message, True)


def _posted_at(posted_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if posted_at is None:
        return now
    if timezone.is_naive(posted_at):
        posted_at = timezone.make_aware(posted_at)
    # A clock running ahead must not put a message into a future bin.
    return min(posted_at, now)


def _store(
    *,
    channel: str,
    source: Source | None,
    external_id: str,
    area: AreaInfo | None,
    posted_at: dt.datetime,
    language: str,
    normalised: str,
    redaction: u.Redaction,  # type: ignore[name-defined]
    fingerprint: int,
    parent: Message | None,
    now: dt.datetime,
) -> Message:
    # A text of only symbols has no fingerprint (0): such texts are not duplicates of each other.
    original = _original_of(fingerprint, posted_at) if fingerprint else None
    message = Message(
        channel=channel,
        source=source,
        external_id=external_id,
        area_id=area.id if area else None,
        area_path=area.path if area else "",
        posted_at=posted_at,
        language=language,
        text=redaction.text,
        text_sealed=normalised if channel in SEALED_CHANNELS else "",
        pii_kinds=",".join(sorted(redaction.kinds)),
        fingerprint=fingerprint,
        parent=parent,
        keep_until=timezone.localdate(now) + dt.timedelta(days=retention_days()),
    )
    if original is not None:
        message.duplicate_of = original
        message.embedding = original.embedding
        message.topic_id = original.topic_id
        message.sentiment = original.sentiment
        Message.objects.filter(pk=original.pk).update(duplicate_count=F("duplicate_count") + 1)
    elif language in ANALYSED:
        vector = u.embed([redaction.text])[0]
        message.embedding = u.vector_to_bytes(vector)
        message.topic_id = _topic_assign(vector, redaction.text, posted_at)
        message.sentiment = u.sentiments(vector[None, :])[0]
    message.save(force_insert=True)
    if original is None and fingerprint:
        FingerprintBand.objects.bulk_create(
            FingerprintBand(message=message, band=band, value=value, posted_at=posted_at)
            for band, value in u.bands(fingerprint)
        )
    if message.topic_id:
        _bin_count(message.topic_id, message.area_path, posted_at)
    outbox_publish(
        topic="opinion.message_received",
        payload={"message_id": message.pk, "duplicate_of": message.duplicate_of_id},
    )
    return message


def _original_of(fingerprint: int, posted_at: dt.datetime) -> Message | None:
    """The first original message near-identical to this one, posted within DUPLICATE_WINDOW
    of it: one indexed lookup of the fingerprint's bands, then the exact distance test."""
    same_band = Q()
    for band, value in u.bands(fingerprint):
        same_band |= Q(band=band, value=value)
    candidates = (
        FingerprintBand.objects.filter(
            same_band,
            posted_at__gte=posted_at - DUPLICATE_WINDOW,
            posted_at__lte=posted_at + DUPLICATE_WINDOW,
        )
        .values_list("message_id", "message__fingerprint")
        .order_by("posted_at", "message_id")[:5000]
    )
    for message_id, stored in candidates:
        if u.near_duplicate(stored, fingerprint):
            return (
                Message.objects.only("id", "embedding", "topic_id", "sentiment")
                .filter(pk=message_id)
                .first()
            )
    return None


# --- topics -------------------------------------------------------------------------------------


_topics: dict[str, object] = {"model": None, "key": None, "version": None}
_topics_lock = threading.Lock()  # the cached model is mutated by each assignment


def _topics_version() -> tuple[int, int, int]:
    """(count, highest id, total size) of the Topic rows: one aggregate row. Every change to
    a topic (opened, joined: its centroid moves and its size grows, deleted) changes it."""
    row = Topic.objects.aggregate(count=Count("id"), top=Max("id"), total=Sum("size"))
    return row["count"], row["top"] or 0, row["total"] or 0


def _topic_model(dimension: int) -> u.OnlineTopics:
    """The process's OnlineTopics, loaded once and rebuilt from the Topic rows only when
    another process (or a rolled-back transaction) changed them, as the version shows."""
    key = (u.embedder_name(), dimension)
    version = _topics_version()
    if _topics["model"] is None or _topics["key"] != key or _topics["version"] != version:
        states = [
            u.TopicState(pk, bytes(centroid), size)
            for pk, centroid, size in Topic.objects.values_list("id", "centroid", "size")
            if len(centroid) == 4 * dimension  # topics of another embedder are left alone
        ]
        model = u.OnlineTopics(topics=states, dim=dimension, threshold=u.topic_threshold())
        _topics.update(model=model, key=key, version=version)
    return _topics["model"]  # type: ignore[return-value]


def _topic_assign(vector: np.ndarray, text: str, at: dt.datetime) -> int:
    """Nearest centroid above the threshold (analysis/topics.py), else a new candidate topic
    labelled from its first message; the joined topic's centroid moves to the running mean.
    Two processes assigning at the same moment may each move a centroid from the same start
    (one step is lost): a topic is hundreds of messages, so that drift is negligible."""
    with _topics_lock:
        return _topic_assign_locked(vector, text, at)


def _topic_assign_locked(vector: np.ndarray, text: str, at: dt.datetime) -> int:
    model = _topic_model(len(vector))
    count, top, total = _topics["version"]  # type: ignore[misc]
    assignment = model.assign(vector[None, :])[0]
    moved = next(s for s in model.states(only_changed=True) if s.key == assignment.topic)
    if assignment.opened:
        label = u.topic_labels({0: [text]})[0]
        topic = Topic.objects.create(
            centroid=moved.centroid,
            size=1,
            keywords=label.keywords,
            label_zh=label.label_zh[:200],
            label_en=label.label_en[:200],
            last_seen_at=at,
        )
        model.rekey(assignment.topic, topic.pk)
        _topics["version"] = (count + 1, max(top, topic.pk), total + 1)  # our own change
        return topic.pk
    Topic.objects.filter(pk=assignment.topic).update(centroid=moved.centroid, size=F("size") + 1)
    Topic.objects.filter(pk=assignment.topic).filter(
        Q(last_seen_at__lt=at) | Q(last_seen_at__isnull=True)
    ).update(last_seen_at=at)
    _topics["version"] = (count, top, total + 1)
    return assignment.topic


def _bin_count(topic_id: int, area_path: str, at: dt.datetime) -> None:
    """Count the message in its 15-minute bin of (topic, district or city)."""
    path = area_path[: PATH_DIGITS[Level.DISTRICT]]
    start = bin_start(at)
    updated = HotspotBin.objects.filter(topic_id=topic_id, area_path=path, start=start).update(
        count=F("count") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                HotspotBin.objects.create(topic_id=topic_id, area_path=path, start=start, count=1)
        except IntegrityError:  # created meanwhile by a concurrent message
            HotspotBin.objects.filter(topic_id=topic_id, area_path=path, start=start).update(
                count=F("count") + 1
            )


# --- areas --------------------------------------------------------------------------------------

GAZETTEER_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY)
GAZETTEER_TTL = 300.0
_gazetteer: dict[str, object] = {}


def _area(
    *,
    area_code: str,
    lon: float | None,
    lat: float | None,
    text: str,
    source: Source | None,
    parent: Message | None,
    within: str = "",
) -> AreaInfo | None:
    """An explicit area code, else the coordinates, else a place named in the text, else the
    post commented on, the source's area or the city (when there is only one)."""
    code = (area_code or "").strip()
    if code:
        area = area_by_code(code)
        if area is None:
            raise Unprocessable("no area has this code", field="area_code")
        return area
    if (lon is None) != (lat is None):
        raise Unprocessable(
            "give both lon and lat, or neither", field="lat" if lat is None else "lon"
        )
    if lon is not None and lat is not None:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise Unprocessable("the coordinates are outside the globe", field="lon")
        area = area_at_point_public(lon=lon, lat=lat)
        if area is not None:
            return area
    named = _area_named_in(text)
    if named is not None and named.path.startswith(within):
        return named
    if parent is not None and parent.area_id:
        return area_info(parent.area_id)
    if source is not None:
        return area_info(source.area_id)
    return default_area()


def _area_named_in(text: str) -> AreaInfo | None:
    entries, gazetteer = _gazetteer_current()
    found = u.places_in_text(text, gazetteer)
    if not found:
        return None
    areas = [entries[i] for i in found if i in entries]
    return areas[0] if areas else None  # the deepest (the most precise) place named first


def _gazetteer_current() -> tuple[dict[int, AreaInfo], object]:
    """The gazetteer of district, street and community names (cached a few minutes per
    process, rebuilt at once when the areas or the cities change)."""
    from crisisgov.geo.facade import areas_count

    key = (areas_count(), tuple(a.id for a in areas_at_level(Level.CITY)))
    cached = _gazetteer.get("value")
    fresh = cached is not None and time.monotonic() - cached[1] < GAZETTEER_TTL  # type: ignore[index]
    if fresh and cached[0] == key:  # type: ignore[index]
        return cached[2], cached[3]  # type: ignore[index]
    entries = {a.id: a for level in GAZETTEER_LEVELS for a in areas_at_level(level)}
    names = {name: a.id for a in entries.values() for name in (a.name_zh, a.name_en) if name}
    gazetteer = u.gazetteer_build(names, {a.id: a.level for a in entries.values()})
    _gazetteer["value"] = (key, time.monotonic(), entries, gazetteer)
    return entries, gazetteer


def default_area() -> AreaInfo | None:
    """The city, when the platform serves exactly one."""
    cities = areas_at_level(Level.CITY)
    return cities[0] if len(cities) == 1 else None
