"""Partner platforms' signed deliveries: POST /api/opinion/webhook/<source name>.

The partner signs the raw body with the source's secret, the way this platform signs its own
outgoing webhooks (crisisgov/exchange/subscriptions.py): header `X-CrisisGov-Signature:
sha256=<hex HMAC-SHA256>`. The body carries the same Unix `timestamp` as the
`X-CrisisGov-Timestamp` header, so the signature covers it; a delivery more than five minutes
off the platform's clock is refused (replay). A replay inside the window stores nothing new:
each message's `id` is the partner's, and (source, id) is stored once.

Body: {"timestamp": "1764300000", "messages": [{"id": "p-1", "text": "...",
"posted_at": "2026-11-28T09:00:00+08:00", "area_code": "...", "lon": 114.1, "lat": 30.5}]}

A partner posts into its own area only: an area code or coordinates outside the source's area
is refused for that message (naming the field), and a place named in the text outside it is
not used. An unknown or deactivated source gets the same 401 as a bad signature (no one learns
which partner names exist); every refused delivery is audited (`opinion.webhook_refused`).
Deliveries are rate-limited per source (kernel/ratelimit.py: 429).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crisisgov.geo.facade import area_at_point_public, area_by_code
from crisisgov.kernel.actor import ANONYMOUS, Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import DomainError
from crisisgov.kernel.ratelimit import attempt_allow
from crisisgov.kernel.signing import body_signature as sign
from crisisgov.opinion.intake import Unprocessable, message_receive
from crisisgov.opinion.models import Channel, Source

SIGNATURE_HEADER = "X-CrisisGov-Signature"
TIMESTAMP_HEADER = "X-CrisisGov-Timestamp"
WINDOW = dt.timedelta(minutes=5)
MAX_BATCH = 500
ITEM_FIELDS = {"id", "text", "posted_at", "area_code", "lon", "lat"}
DELIVERIES_PER_MINUTE = 120  # per source: a partner's normal pace is a batch every few seconds
REFUSALS_PER_MINUTE = 30  # per calling address: a partner with a broken key or clock
_NO_SECRET = secrets.token_urlsafe(32)  # signs for unknown names: no match, same work


class BadSignature(DomainError):
    status_code = 401
    code = "bad_signature"


@dataclass
class DeliveryResult:
    accepted: list[dict] = field(default_factory=list)  # {"index", "id", "message_id", "created"}
    rejected: list[dict] = field(default_factory=list)  # {"index", "id", "field", "message"}


def webhook_receive(
    *,
    source_name: str,
    body: bytes,
    signature: str,
    timestamp: str,
    now: dt.datetime | None = None,
    caller: str = "",
) -> DeliveryResult:
    """Check the delivery (source, signature, time window, shape), then accept each message
    on its own: a bad message is rejected by its index and id, the good ones are kept.
    `caller` (the client's address) limits the refusals."""
    source = Source.objects.filter(name=source_name, channel=Channel.WEBHOOK, active=True).first()
    try:
        # An unknown name gets the very answer (and the same HMAC work) a wrong signature
        # gets: the name is part of the credential.
        secret = source.webhook_secret if source is not None else ""
        expected = sign(secret or _NO_SECRET, body)
        if not hmac.compare_digest(expected, signature.strip()) or not secret:
            raise _signature_refused()
        payload = _payload(body)
        sent_at = _timestamp(timestamp, payload.get("timestamp"))
        now = now or timezone.now()
        if abs(now - sent_at) > WINDOW:
            raise BadSignature(
                "the delivery is more than 5 minutes old or ahead (replay refused)",
                field="timestamp",
            )
    except BadSignature as exc:
        # Refusals are audited, so they are limited per caller too: no one fills the audit
        # trail by knocking with made-up names (over the limit: 429, not audited).
        attempt_allow(
            "opinion.webhook_refused", caller or "unknown", limit=REFUSALS_PER_MINUTE,
            window_seconds=60, field="signature",
        )  # fmt: skip
        _refusal_audit(source_name, source, exc)
        raise
    attempt_allow(
        "opinion.webhook", str(source.pk), limit=DELIVERIES_PER_MINUTE, window_seconds=60,
        field="source",
    )  # fmt: skip
    items = payload.get("messages")
    if not isinstance(items, list) or not items:
        raise Unprocessable("messages must be a non-empty list", field="messages")
    if len(items) > MAX_BATCH:
        raise Unprocessable(f"at most {MAX_BATCH} messages per delivery", field="messages")
    result = DeliveryResult()
    for index, item in enumerate(items):
        external_id = item.get("id") if isinstance(item, dict) else None
        try:
            received = _one(source, item)
        except DomainError as exc:
            result.rejected.append(
                {
                    "index": index,
                    "id": external_id if isinstance(external_id, str) else None,
                    "field": f"messages[{index}].{exc.field or 'item'}",
                    "message": exc.message,
                }
            )
            continue
        result.accepted.append(
            {
                "index": index,
                "id": external_id,
                "message_id": received.message.pk,
                "created": received.created,
            }
        )
    audit_record(
        actor=_source_actor(source),
        action="opinion.webhook_received",
        target_type="opinion.source",
        target_id=source.pk,
        area_path=source.area_path,
        detail={
            "accepted": len(result.accepted),
            "new": sum(1 for a in result.accepted if a["created"]),
            "rejected": len(result.rejected),
        },
    )
    return result


def _signature_refused() -> BadSignature:
    return BadSignature(
        f"the {SIGNATURE_HEADER} header is missing or does not match the body",
        field="signature",
    )


def _refusal_audit(source_name: str, source: Source | None, exc: DomainError) -> None:
    """A refused delivery is someone knocking with a wrong key (or a partner's broken clock):
    recorded, with the name tried (cut short) and why, never the body."""
    audit_record(
        actor=ANONYMOUS,  # whoever knocked did not prove to be the partner
        action="opinion.webhook_refused",
        target_type="opinion.source",
        target_id=source.pk if source is not None else None,
        area_path=source.area_path if source is not None else "",
        detail={
            "source": source_name[:100],
            "known": source is not None,
            "field": exc.field or "",
            "reason": exc.message[:200],
        },
    )


def _payload(body: bytes) -> dict:
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Unprocessable("the body is not valid UTF-8", field="body") from None
    except ValueError:
        raise DomainError("the body is not valid JSON", field="body", code="malformed") from None
    if not isinstance(payload, dict):
        raise Unprocessable("the body must be a JSON object", field="body")
    return payload


def _timestamp(header: str, in_body: object) -> dt.datetime:
    if not header or not header.strip().isdigit():
        raise BadSignature(f"the {TIMESTAMP_HEADER} header must be Unix seconds", field="timestamp")
    if str(in_body) != header.strip():
        raise BadSignature(
            "the body's timestamp must equal the timestamp header (the signature covers it)",
            field="timestamp",
        )
    try:
        return dt.datetime.fromtimestamp(int(header), tz=dt.UTC)
    except (OverflowError, ValueError, OSError):
        raise BadSignature("the timestamp is out of range", field="timestamp") from None


def _one(source: Source, item: object):  # type: ignore[no-untyped-def]
    if not isinstance(item, dict):
        raise Unprocessable("each message must be a JSON object")
    unknown = sorted(set(item) - ITEM_FIELDS)
    if unknown:
        raise Unprocessable(f"unknown field {unknown[0]}", field=unknown[0])
    external_id = item.get("id")
    if not isinstance(external_id, str) or not external_id.strip():
        raise Unprocessable("each message needs its platform id (a string)", field="id")
    posted_at = None
    if item.get("posted_at") is not None:
        posted_at = (
            parse_datetime(str(item["posted_at"])) if isinstance(item["posted_at"], str) else None
        )
        if posted_at is None:
            raise Unprocessable("posted_at must be an ISO 8601 date and time", field="posted_at")
    lon, lat = item.get("lon"), item.get("lat")
    for name, value in (("lon", lon), ("lat", lat)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise Unprocessable("a coordinate must be a number", field=name)
    area_code = item.get("area_code") or ""
    if not isinstance(area_code, str):
        raise Unprocessable("area_code must be a string", field="area_code")
    _within_source(source, area_code.strip(), lon, lat)
    return message_receive(
        channel=Channel.WEBHOOK,
        text=item.get("text"),
        posted_at=posted_at,
        source=source,
        external_id=external_id,
        area_code=area_code,
        lon=lon,
        lat=lat,
        within=source.area_path,
    )


def _within_source(source: Source, area_code: str, lon: object, lat: object) -> None:
    """Refuse an area code or a point outside the source's own area (a partner cannot post
    into another city or district)."""
    if area_code:
        area = area_by_code(area_code)
        if area is not None and not area.path.startswith(source.area_path):
            raise Unprocessable("the area is outside this partner's area", field="area_code")
    if isinstance(lon, int | float) and isinstance(lat, int | float):
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return  # the intake names the field
        area = area_at_point_public(lon=lon, lat=lat)
        if area is None or not area.path.startswith(source.area_path):
            raise Unprocessable("the coordinates are outside this partner's area", field="lon")


def _source_actor(source: Source) -> Actor:
    return Actor(user_id=None, username=f"partner:{source.name}", is_system=True)
