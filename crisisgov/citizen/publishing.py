"""Publishing read models that are the same for everyone (risk levels, stock per pharmacy).

`document_publish` stores the JSON once, with an ETag; readers (the Django view below and the
surge edge) serve the stored bytes with Cache-Control, never recomputing per request. With
REDIS_URL set a copy goes to the Redis hash `crisisgov:doc:<name>` so the edge reads no
database at all.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from crisisgov.citizen.models import PublishedDocument

REDIS_KEY = "crisisgov:doc:{name}"


def document_publish(name: str, payload: object, *, now: datetime | None = None) -> str:
    """Store `payload` as the current document `name`; returns its ETag."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]
    published_at = now or timezone.now()
    PublishedDocument.objects.update_or_create(
        name=name, defaults={"body": body, "etag": etag, "published_at": published_at}
    )
    if settings.REDIS_URL:
        redis_client().hset(
            REDIS_KEY.format(name=name),
            mapping={"body": body, "etag": etag, "published_at": published_at.isoformat()},
        )
    return etag


def document_get(name: str) -> PublishedDocument | None:
    return PublishedDocument.objects.filter(name=name).first()


_client = None


def redis_client():  # type: ignore[no-untyped-def]
    """One client per process for the citizen services' Redis use (REDIS_URL)."""
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client
