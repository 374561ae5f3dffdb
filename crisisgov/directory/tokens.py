"""Bearer tokens for service accounts: shown once at creation, stored only as a SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from crisisgov.directory.models import ApiToken
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record

TOKEN_PREFIX = "cgv_"  # noqa: S105 (a marker, not a secret)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(
    *, actor: Actor, user: Any, name: str, expires_at: Any = None
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the only copy of the secret (never stored)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=secret[:12], digest=_digest(secret), expires_at=expires_at
        )
        audit_record(
            actor=actor,
            action="directory.api_token_issued",
            target_type="auth.user",
            target_id=user.pk,
            detail={"name": name, "prefix": token.prefix},
        )
    return token, secret


def user_for_api_token(secret: str) -> Any | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(secret), revoked=False)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at <= now:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
