"""Intake: every channel's message goes through `message_receive`.

The citizens' form and API, the hotline (the tickets sub-app registers its calls here), CSV
exports of social media (imports.py) and partner platforms' signed webhooks (webhooks.py) all
end in one function that checks the text, normalises it, finds its language, redacts personal
data, collapses near-duplicates, resolves the area and stores it. Its embedding, topic,
sentiment and hot-spot count come from the analysis stage (analyser.py), in micro-batches.

Decisions:
- A text longer than MAX_TEXT characters is refused (422 naming the field), never truncated:
  a cut message could change its meaning, and the sender can split it.
- A near-duplicate (SimHash within NEAR_DUPLICATE_DISTANCE bits, posted within DUPLICATE_WINDOW)
  is stored, points at the first message (`duplicate_of`), and raises that one's
  `duplicate_count`. The analysis stage gives it the original's topic and sentiment (no second
  embedding) and still counts it in the hot-spot bins: a repost is volume, which is what a
  hot spot measures.
- A message in another language is kept and marked `other` (or `und`), not embedded, and has
  no topic or sentiment.
- Only hotline calls keep their whole text (encrypted, for the ticket's handler); every other
  channel keeps the redacted text alone (SEALED_CHANNELS).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from crisisgov.geo.facade import (
    AreaInfo,
    Level,
    area_at_point_public,
    area_by_code,
    area_info,
    areas_at_level,
)
from crisisgov.kernel.errors import DomainError
from crisisgov.opinion import understanding as u
from crisisgov.opinion.models import (
    Channel,
    FingerprintBand,
    Language,
    Message,
    Source,
)

logger = logging.getLogger(__name__)

MAX_TEXT = 5000
MAX_EXTERNAL_ID = 100
DUPLICATE_WINDOW = dt.timedelta(hours=24)
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
        Message.objects.filter(pk=original.pk).update(duplicate_count=F("duplicate_count") + 1)
    message.save(force_insert=True)
    if original is None and fingerprint:
        FingerprintBand.objects.bulk_create(
            FingerprintBand(message=message, band=band, value=value, posted_at=posted_at)
            for band, value in u.bands(fingerprint)
        )
    return message


def _candidates_sql(
    probes: list[tuple[int, list[int]]], window: list[object]
) -> tuple[str, list[object]]:
    """The messages holding one of the probed (band, value) pairs within the window, oldest
    first. On PostgreSQL the 696 pairs go as two arrays joined to the index, one index probe
    each; written as IN lists (or OR-ed band conditions) PostgreSQL spent 5 ms planning them,
    or scanned the window. SQLite takes the IN lists, one per band, as integer literals."""
    bands, messages = FingerprintBand._meta.db_table, Message._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT b.message_id, m.fingerprint FROM unnest(%s::int[], %s::int[]) AS p(band, "  # noqa: S608
            f"value) JOIN {bands} b ON b.band = p.band AND b.value = p.value "
            f"JOIN {messages} m ON m.id = b.message_id "
            "WHERE b.posted_at >= %s AND b.posted_at <= %s ORDER BY b.posted_at, b.message_id"
        )
        pairs = [(band, value) for band, values in probes for value in values]
        return sql, [[b for b, _ in pairs], [v for _, v in pairs], *window]
    sql = " OR ".join(
        f"(b.band = {band} AND b.value IN ({','.join(map(str, values))}))"
        for band, values in probes
    )
    sql = (
        f"SELECT b.message_id, m.fingerprint FROM {bands} b JOIN {messages} m "  # noqa: S608
        f"ON m.id = b.message_id WHERE ({sql}) AND b.posted_at >= %s AND b.posted_at <= %s "
        "ORDER BY b.posted_at, b.message_id"
    )
    return sql, window


def _original_of(fingerprint: int, posted_at: dt.datetime) -> Message | None:
    """The first original message near-identical to this one, posted within DUPLICATE_WINDOW
    of it: one indexed lookup of the fingerprint's probed band values, then the exact
    distance test on the few candidates."""
    window = [
        connection.ops.adapt_datetimefield_value(t)
        for t in (posted_at - DUPLICATE_WINDOW, posted_at + DUPLICATE_WINDOW)
    ]
    with connection.cursor() as cursor:
        cursor.execute(*_candidates_sql(u.band_probes(fingerprint), window))
        for message_id, stored in cursor.fetchall():
            if u.near_duplicate(stored, fingerprint):
                return Message(pk=message_id)
    return None


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
        area = _area_by_code(code)
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


AREA_CODE_TTL = 60.0
_areas_by_code: dict[str, tuple[float, AreaInfo]] = {}


def _area_by_code(code: str) -> AreaInfo | None:
    """The area of a code, cached a minute per process: a surge names the same few districts
    thousands of times, and an area's code and path do not change under a running stream."""
    cached = _areas_by_code.get(code)
    if cached is not None and time.monotonic() - cached[0] < AREA_CODE_TTL:
        return cached[1]
    area = area_by_code(code)
    if area is not None:
        if len(_areas_by_code) > 10_000:
            _areas_by_code.clear()
        _areas_by_code[code] = (time.monotonic(), area)
    return area


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
