"""The edge pass: a short-lived, HMAC-signed cookie that lets the surge edge act for a citizen
without a database, a session store or Django.

Django issues it after login (`edge_views.edge_pass_refresh`); it names the account, when it
expires and the residents the account may act for — each as (person id, blind index of the
ID number), never the number itself. The edge checks the signature and expiry and then only
accepts ID numbers whose blind index is in the pass.

Format: ``base64url(JSON payload) "." base64url(HMAC-SHA256)``, the payload compact JSON
``{"v": 1, "a": account id, "x": expiry (Unix seconds), "r": [[person id, id index], ...]}``.

The HMAC key is derived from the platform's secret key (CRISISGOV_SECRET_KEY) with its own
label, so a pass can never be confused with a Django signature and the edge needs no other
setting. Rotating the secret key invalidates every pass (they live minutes anyway).

Pure code: no Django.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass

VERSION = 1
COOKIE_NAME = "crisisgov_edge"
COOKIE_PATH = "/edge/"
# Minutes, not hours: the pass is a bearer credential the edge cannot revoke; the citizen
# pages refresh it while the person uses them.
LIFETIME_SECONDS = 15 * 60
KEY_LABEL = b"crisisgov.edge-pass.v1"
# The same value as crisisgov.config.env.DEV_SECRET_KEY (a test keeps the two equal): the edge
# reads the secret key without importing the Django-side settings.
DEV_SECRET_KEY = "crisisgov-development-only-not-secret"  # noqa: S105
MAX_PASS_CHARS = 4096
ID_INDEX_PATTERN = re.compile(r"[0-9a-f]{40}")


class PassRefused(Exception):
    """The pass is missing, malformed, forged or expired; the message says which."""


@dataclass(frozen=True)
class EdgePass:
    account_id: int
    expires_at: int  # Unix seconds
    residents: tuple[tuple[int, str], ...]  # (person id, blind index of the ID number)

    @property
    def id_indexes(self) -> frozenset[str]:
        return frozenset(index for _, index in self.residents)

    @property
    def person_ids(self) -> tuple[int, ...]:
        return tuple(person for person, _ in self.residents)


def pass_key(secret_key: str) -> bytes:
    """The pass-signing key: derived from the secret key under a label of its own."""
    return hmac.new(secret_key.encode(), KEY_LABEL, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pass_issue(
    *,
    key: bytes,
    account_id: int,
    residents: list[tuple[int, str]] | tuple[tuple[int, str], ...],
    now: float,
    lifetime: int = LIFETIME_SECONDS,
) -> str:
    """A pass for `account_id`, acting for `residents` (person id, id index), from `now`."""
    for person, index in residents:
        if not isinstance(person, int) or not ID_INDEX_PATTERN.fullmatch(index):
            raise ValueError("a resident is (person id, 40-hex blind index)")
    payload = {
        "v": VERSION,
        "a": int(account_id),
        "x": int(now) + lifetime,
        "r": [[person, index] for person, index in residents],
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(signature)}"


def pass_verify(text: str | None, *, key: bytes, now: float) -> EdgePass:
    """The pass's contents, or PassRefused: the signature is checked before anything is read."""
    if not text:
        raise PassRefused("no edge pass: sign in and open the citizen pages")
    if len(text) > MAX_PASS_CHARS or text.count(".") != 1:
        raise PassRefused("the edge pass is malformed")
    body, _, signature = text.partition(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise PassRefused("the edge pass signature does not match")
    try:
        payload = json.loads(_unb64(body))
        if payload["v"] != VERSION:
            raise PassRefused("the edge pass version is not known here")
        edge_pass = EdgePass(
            account_id=int(payload["a"]),
            expires_at=int(payload["x"]),
            residents=tuple((int(p), str(i)) for p, i in payload["r"]),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        # Signed by us yet unreadable: only a bug or a changed format gets here.
        raise PassRefused("the edge pass is malformed") from None
    if now >= edge_pass.expires_at:
        raise PassRefused("the edge pass has expired: reload the citizen page")
    return edge_pass
