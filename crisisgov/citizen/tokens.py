"""Signed health-status tokens for QR codes, verified offline by any scanner.

A token says only: a status, when it was issued and for how many minutes it holds, which
issuer key signed it, and a random pseudonym. No name, no ID number, no location. Scanners
check it against the issuers' published public keys (a JWKS document, RFC 8037); a registry
of other regions' published keys lets their tokens pass here too (mutual recognition).

Layout (big-endian), sent as base64url without padding:

    version     1 byte    VERSION
    status      1 byte    1 + index in STATUSES
    issued at   4 bytes   minutes since the Unix epoch (UTC)
    valid for   2 bytes   minutes
    key id len  1 byte
    key id      n bytes   ASCII "<region>-<label>", e.g. "990100-2026-1"
    pseudonym   16 bytes  random, links to nothing outside the issuer
    signature   64 bytes  Ed25519 over SIGNING_CONTEXT + everything above

With a 13-character key id that is 102 bytes, 136 characters: it fits a version 7 QR code
at error correction L, or version 8 at M.

Pure code: no Django, only `cryptography`.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VERSION = 1
STATUSES = ("green", "yellow", "red")
# version, status, issued-at minute, valid minutes, key id length
HEADER = struct.Struct(">BBIHB")
PSEUDONYM_BYTES = 16
SIGNATURE_BYTES = 64
MAX_VALID_MINUTES = 0xFFFF
# Signing a fixed prefix too means an issuer key can never be tricked into signing
# something that also parses as a token of another protocol, or the other way round.
SIGNING_CONTEXT = b"crisisgov-health-token\x00"
# The region is the 6-digit administrative division code of the issuer.
KEY_ID_PATTERN = re.compile(r"(?P<region>[0-9]{6})-[A-Za-z0-9_.-]{1,26}")
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,400}")


class Reason(StrEnum):
    """Why a token was refused: stable codes a scanner can show or translate."""

    MALFORMED = "malformed"
    UNKNOWN_VERSION = "unknown_version"
    UNKNOWN_ISSUER = "unknown_issuer"
    BAD_SIGNATURE = "bad_signature"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"


class TokenRefused(Exception):
    """The token must not be accepted; `reason` says why, the message says it in words."""

    def __init__(self, reason: Reason, message: str):
        super().__init__(message)
        self.reason = reason


class TokenKeyError(ValueError):
    """A signing key, key id or published key set is unusable. Never echoes key material."""


@dataclass(frozen=True)
class TokenClaims:
    """Everything a token says: a status for a window of time, and who vouches for it."""

    status: str
    issued_at: datetime
    valid_minutes: int
    key_id: str
    pseudonym: bytes

    @property
    def valid_until(self) -> datetime:
        return self.issued_at + timedelta(minutes=self.valid_minutes)

    @property
    def issuer_region(self) -> str:
        return key_region(self.key_id)


def key_region(key_id: str) -> str:
    """The issuing region's code carried in a key id ("990100-2026-1" -> "990100")."""
    match = KEY_ID_PATTERN.fullmatch(key_id)
    if match is None:
        raise TokenKeyError(f"key id {key_id!r} must look like <6-digit region>-<label>")
    return match["region"]


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    """Strict base64url without padding; anything else raises ValueError."""
    if not TOKEN_PATTERN.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _minute(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    return int(moment.timestamp()) // 60


def token_issue(
    *,
    private_key: Ed25519PrivateKey,
    key_id: str,
    status: str,
    valid_minutes: int,
    now: datetime,
) -> str:
    """A signed token saying `status` from this minute for `valid_minutes` minutes."""
    key_region(key_id)  # refuses a key id that does not name a region
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    if not 1 <= valid_minutes <= MAX_VALID_MINUTES:
        raise ValueError(f"valid_minutes must be 1 to {MAX_VALID_MINUTES}")
    kid = key_id.encode("ascii")
    body = (
        HEADER.pack(VERSION, STATUSES.index(status) + 1, _minute(now), valid_minutes, len(kid))
        + kid
        + secrets.token_bytes(PSEUDONYM_BYTES)
    )
    return _b64encode(body + private_key.sign(SIGNING_CONTEXT + body))


def token_verify(
    token: str,
    *,
    keys: Mapping[str, Ed25519PublicKey],
    now: datetime,
    max_clock_skew: timedelta = timedelta(minutes=2),
) -> TokenClaims:
    """The token's claims, or TokenRefused naming the first thing wrong with it.

    `max_clock_skew` forgives that far of a difference between the issuer's and the
    scanner's clocks, at both ends of the window.
    """
    try:
        raw = _b64decode(token) if isinstance(token, str) else b""
    except (ValueError, binascii.Error):
        raw = b""
    if not raw:
        raise TokenRefused(Reason.MALFORMED, "not a token: expected base64url text")
    if raw[0] != VERSION:
        raise TokenRefused(Reason.UNKNOWN_VERSION, f"token version {raw[0]} is not known here")
    if len(raw) < HEADER.size:
        raise TokenRefused(Reason.MALFORMED, "the token is truncated")
    _, status_code, minute, valid_minutes, kid_length = HEADER.unpack_from(raw)
    body_length = HEADER.size + kid_length + PSEUDONYM_BYTES
    if len(raw) != body_length + SIGNATURE_BYTES:
        raise TokenRefused(Reason.MALFORMED, "the token has the wrong length")
    key_id = raw[HEADER.size : HEADER.size + kid_length].decode("ascii", errors="replace")
    if not KEY_ID_PATTERN.fullmatch(key_id):
        raise TokenRefused(Reason.MALFORMED, "the token's issuer key id is malformed")

    public_key = keys.get(key_id)
    if public_key is None:
        raise TokenRefused(
            Reason.UNKNOWN_ISSUER,
            f"issuer key {key_id} (region {key_region(key_id)}) is not a recognised issuer",
        )
    body, signature = raw[:body_length], raw[body_length:]
    try:
        public_key.verify(signature, SIGNING_CONTEXT + body)
    except InvalidSignature:
        raise TokenRefused(
            Reason.BAD_SIGNATURE, f"the signature does not match issuer key {key_id}"
        ) from None
    # Checked only after the signature: a genuine issuer never signs an unknown status.
    if not 1 <= status_code <= len(STATUSES):
        raise TokenRefused(Reason.MALFORMED, f"status code {status_code} is not known")

    claims = TokenClaims(
        status=STATUSES[status_code - 1],
        issued_at=datetime.fromtimestamp(minute * 60, tz=UTC),
        valid_minutes=valid_minutes,
        key_id=key_id,
        pseudonym=raw[body_length - PSEUDONYM_BYTES : body_length],
    )
    if now < claims.issued_at - max_clock_skew:
        raise TokenRefused(
            Reason.NOT_YET_VALID, f"the token is valid only from {claims.issued_at.isoformat()}"
        )
    if now >= claims.valid_until + max_clock_skew:
        raise TokenRefused(Reason.EXPIRED, f"the token expired at {claims.valid_until.isoformat()}")
    return claims


# Keys: the signing key list from settings, and the published JWKS document (RFC 8037).


def new_signing_key(key_id: str) -> str:
    """A fresh ``kid:base64`` signing-key entry (the 32-byte Ed25519 private key)."""
    key_region(key_id)
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def parse_signing_keys(spec: str) -> tuple[tuple[str, Ed25519PrivateKey], ...]:
    """Parse ``kid:base64,kid:base64`` (newest first; the first signs).

    Errors name the key by its id, or by its position when the id itself is malformed.
    """
    keys: list[tuple[str, Ed25519PrivateKey]] = []
    items = [part.strip() for part in spec.split(",") if part.strip()]
    for number, item in enumerate(items, start=1):
        kid, sep, material = item.partition(":")
        if not sep or not KEY_ID_PATTERN.fullmatch(kid):
            raise TokenKeyError(
                f"token signing key number {number} must look like kid:base64,"
                " with kid <6-digit region>-<label>"
            )
        if any(kid == seen for seen, _ in keys):
            raise TokenKeyError(f"token signing key {kid!r} appears twice")
        try:
            seed = base64.b64decode(material.strip(), validate=True)
        except ValueError:
            raise TokenKeyError(f"token signing key {kid!r} is not valid base64") from None
        if len(seed) != 32:
            raise TokenKeyError(f"token signing key {kid!r} must be 32 bytes, got {len(seed)}")
        keys.append((kid, Ed25519PrivateKey.from_private_bytes(seed)))
    return tuple(keys)


KEYS_VARIABLE = "CRISISGOV_CITIZEN_TOKEN_KEYS"
# The development key signs in the name of the synthetic drill city (990100).
DEV_KEY_ID = "990100-dev-1"


def load_signing_keys(spec: str, dev_key_file: str) -> tuple[tuple[str, Ed25519PrivateKey], ...]:
    """The signing keys from `spec` (KEYS_VARIABLE), else from the development key file
    (created when missing; pass "" in production). Django's settings and the surge edge both
    load them here, so they sign and verify with the same keys."""
    if not spec and dev_key_file:
        spec = _dev_key_spec(Path(dev_key_file))
    try:
        keys = parse_signing_keys(spec)
    except TokenKeyError as exc:
        raise TokenKeyError(f"{KEYS_VARIABLE}: {exc}") from None
    if not keys:
        raise TokenKeyError(f"no health-token signing keys: set {KEYS_VARIABLE}")
    return keys


def _dev_key_spec(path: Path) -> str:
    """The development key file's ``kid:base64`` line, written (mode 0600) when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    line = new_signing_key(DEV_KEY_ID)
    with os.fdopen(fd, "w") as handle:
        handle.write(line + "\n")
    return line


def jwks_document(public_keys: Mapping[str, Ed25519PublicKey]) -> dict:
    """The JWKS document that publishes `public_keys` for scanners and other regions."""
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "kid": kid,
                "x": _b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)),
                "alg": "EdDSA",
                "use": "sig",
            }
            for kid, key in public_keys.items()
        ]
    }


def jwks_parse(document: object) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 public keys of a JWKS document, by key id.

    The whole document is refused when any entry is not an OKP/Ed25519 signing key:
    a published key set that holds something else is an error for its issuer to fix.
    """
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise TokenKeyError('a JWKS document must be {"keys": [...]}')
    keys: dict[str, Ed25519PublicKey] = {}
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise TokenKeyError(f"JWKS key number {number} is not an object")
        kid = entry.get("kid")
        name = f"JWKS key {kid!r}" if isinstance(kid, str) else f"JWKS key number {number}"
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
            raise TokenKeyError(f"{name} is not an Ed25519 key (kty OKP, crv Ed25519)")
        if "d" in entry:
            raise TokenKeyError(f"{name} publishes private key material")
        if entry.get("alg", "EdDSA") != "EdDSA" or entry.get("use", "sig") != "sig":
            raise TokenKeyError(f"{name} is not for EdDSA signatures")
        if not isinstance(kid, str) or not KEY_ID_PATTERN.fullmatch(kid):
            raise TokenKeyError(f"{name} needs a kid like <6-digit region>-<label>")
        if kid in keys:
            raise TokenKeyError(f"{name} appears twice")
        try:
            raw = _b64decode(entry.get("x") or "")
            keys[kid] = Ed25519PublicKey.from_public_bytes(raw)
        except (ValueError, TypeError, binascii.Error):
            raise TokenKeyError(f"{name} has no valid 32-byte x") from None
    return keys


def key_registry(
    *,
    own: Mapping[str, Ed25519PublicKey],
    foreign: Mapping[str, object] | None = None,
) -> dict[str, Ed25519PublicKey]:
    """Our keys plus the published JWKS of each registered region (region code -> document).

    A region may only publish keys in its own name, and may not replace a key already
    registered: otherwise one region could vouch for tokens that claim to be another's.
    """
    registry = dict(own)
    for region, document in (foreign or {}).items():
        for kid, key in jwks_parse(document).items():
            if key_region(kid) != region:
                raise TokenKeyError(f"region {region} publishes key {kid!r} of another region")
            if kid in registry:
                raise TokenKeyError(f"key {kid!r} of region {region} is already registered")
            registry[kid] = key
    return registry
