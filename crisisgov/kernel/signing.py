"""The signature of webhook bodies, both ways: what the exchange sends its subscribers and what
partner platforms send the opinion app."""

from __future__ import annotations

import hashlib
import hmac


def body_signature(secret: str, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 of the raw body, keyed with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
