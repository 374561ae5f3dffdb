"""Personal-data protection: authenticated field encryption with a key ring, blind indexes.

Ciphertext format: ``pii1:<key id>:<base64url(nonce | ciphertext | tag)>``. The key id lets
old rows be read while `crisisgov pii rotate` re-encrypts them under the newest key. The
associated data binds a ciphertext to its column, so a value copied into another column
does not decrypt.

Keys come from CRISISGOV_PII_KEYS (``id:base64key,id:base64key``, newest first) or a JSON key
file (``{"keys": [{"id": ..., "key": ...}], "blind_index_key": ...}``, newest first). They are
never stored in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "pii1"
NONCE_BYTES = 12
# The environment variables the key ring comes from, named in errors about it.
KEYS_VARIABLE = "CRISISGOV_PII_KEYS"
KEY_FILE_VARIABLE = "CRISISGOV_PII_KEY_FILE"
BLIND_INDEX_VARIABLE = "CRISISGOV_BLIND_INDEX_KEY"


class PIIKeyError(Exception):
    """A key is missing, malformed, or a ciphertext does not authenticate.

    `variable` names the environment variable to fix when the key ring itself is at fault.
    """

    def __init__(self, message: str, *, variable: str = ""):
        super().__init__(message)
        self.variable = variable


class Sealed(str):
    """A ciphertext to store as it is: an encrypted field encrypts every other value.

    Only kernel code that has just sealed the value (key rotation) wraps it in this.
    """


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[tuple[str, bytes], ...]  # (id, 32-byte key), newest first
    blind_index_key: bytes

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes:
        for kid, key in self.keys:
            if kid == key_id:
                return key
        raise PIIKeyError(f"no personal-data key with id {key_id!r} in the key ring")


def _decode_key(text: str, *, what: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise PIIKeyError(f"{what} is not valid base64") from None
    if len(key) != 32:
        raise PIIKeyError(f"{what} must be 32 bytes (AES-256), got {len(key)}")
    return key


KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")


def parse_key_list(spec: str) -> tuple[tuple[str, bytes], ...]:
    """Parse ``id:base64key,id:base64key`` (newest first).

    Errors name the key by its id, or by its position when the id itself is malformed, and
    never echo key material.
    """
    keys: list[tuple[str, bytes]] = []
    items = [part.strip() for part in spec.split(",") if part.strip()]
    for number, item in enumerate(items, start=1):
        kid, sep, material = item.partition(":")
        if not sep or not KEY_ID_PATTERN.fullmatch(kid):
            raise PIIKeyError(
                f"personal-data key number {number} must look like id:base64key"
                " (id: 1-32 letters, digits, _ or -)"
            )
        # Ids differing only in case would be one id to SQLite's LIKE, which rotation uses.
        if any(kid.casefold() == seen.casefold() for seen, _ in keys):
            raise PIIKeyError(
                f"personal-data key {kid!r} appears twice in the key ring (ids ignore case)"
            )
        keys.append((kid, _decode_key(material, what=f"personal-data key {kid!r}")))
    return tuple(keys)


def new_key_file(path: Path) -> None:
    """Write a fresh development key file (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "keys": [{"id": "dev1", "key": base64.b64encode(secrets.token_bytes(32)).decode()}],
        "blind_index_key": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(body, handle, indent=2)


def _read_key_file(path: Path) -> tuple[tuple[tuple[str, bytes], ...], str]:
    """The keys (newest first) and the blind-index key text of a JSON key file."""
    try:
        data = json.loads(path.read_text())
        entries = [(str(k["id"]), str(k["key"])) for k in data["keys"]]
        blind = str(data.get("blind_index_key", ""))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PIIKeyError(
            f"personal-data key file {path} must hold"
            ' {"keys": [{"id": ..., "key": ...}], "blind_index_key": ...}'
        ) from exc
    spec = ",".join(f"{kid}:{key}" for kid, key in entries)
    try:
        return parse_key_list(spec), blind
    except PIIKeyError as exc:
        raise PIIKeyError(f"{exc} (in {path})") from None


def load_key_ring(
    *, keys: str, key_file: str, blind_index_key: str, create_missing: bool = False
) -> KeyRing:
    """Build the key ring from the environment's key list or else from a key file.

    `create_missing` writes a fresh key file where none exists: for development only, since
    in production a mistyped path would otherwise start a new, unknown key.
    """
    ring: tuple[tuple[str, bytes], ...] = ()
    file_blind = ""
    if keys:
        with _blame(KEYS_VARIABLE):
            ring = parse_key_list(keys)
    elif key_file:
        path = Path(key_file)
        with _blame(KEY_FILE_VARIABLE):
            if not path.exists():
                if not create_missing:
                    raise PIIKeyError(f"personal-data key file {path} does not exist")
                new_key_file(path)
            ring, file_blind = _read_key_file(path)
    if not ring:
        raise PIIKeyError(
            f"no personal-data keys: set {KEYS_VARIABLE} or {KEY_FILE_VARIABLE}",
            variable=KEY_FILE_VARIABLE if key_file and not keys else KEYS_VARIABLE,
        )
    blind_text = blind_index_key or file_blind
    blind_variable = (
        BLIND_INDEX_VARIABLE if blind_index_key or not file_blind else KEY_FILE_VARIABLE
    )
    with _blame(blind_variable):
        if not blind_text:
            raise PIIKeyError(f"no blind-index key: set {BLIND_INDEX_VARIABLE}")
        blind_key = _decode_key(blind_text, what="blind-index key")
    return KeyRing(keys=ring, blind_index_key=blind_key)


@contextmanager
def _blame(variable: str) -> Iterator[None]:
    """Key-ring errors raised inside name `variable` as the setting to fix."""
    try:
        yield
    except PIIKeyError as exc:
        exc.variable = exc.variable or variable
        raise


_ring_lock = threading.Lock()
_ring: KeyRing | None = None


def key_ring() -> KeyRing:
    global _ring
    if _ring is None:
        with _ring_lock:
            if _ring is None:
                from django.conf import settings

                _ring = load_key_ring(
                    keys=settings.PII_KEYS,
                    key_file=settings.PII_KEY_FILE,
                    blind_index_key=settings.BLIND_INDEX_KEY,
                    create_missing=not getattr(settings, "PRODUCTION", False),
                )
    return _ring


def use_key_ring(ring: KeyRing | None) -> None:
    """Replace the process's key ring (rotation tests, key reload)."""
    global _ring
    with _ring_lock:
        _ring = ring


def encrypt(plaintext: str, *, context: str, ring: KeyRing | None = None) -> str:
    """Seal `plaintext` under the newest key, bound to `context` (app.model.field)."""
    ring = ring or key_ring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(ring.key(ring.current_id)).encrypt(nonce, plaintext.encode(), context.encode())
    token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{PREFIX}:{ring.current_id}:{token}"


def _split(ciphertext: str) -> tuple[str, str]:
    prefix, _, rest = ciphertext.partition(":")
    kid, sep, token = rest.partition(":")
    if prefix != PREFIX or not sep or not kid or not token:
        raise PIIKeyError("not a personal-data ciphertext")
    return kid, token


def key_id_of(ciphertext: str) -> str:
    """The id of the key a ciphertext was sealed under."""
    return _split(ciphertext)[0]


def decrypt(ciphertext: str, *, context: str, ring: KeyRing | None = None) -> str:
    ring = ring or key_ring()
    kid, token = _split(ciphertext)
    key = ring.key(kid)  # names a key id missing from the ring
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        return plain.decode()
    except Exception as exc:  # InvalidTag: tampered, truncated, or moved to another column
        raise PIIKeyError(f"personal-data ciphertext for {context} does not authenticate") from exc


def normalise_for_index(value: str) -> str:
    """Exact-match form: NFKC (full-width digits to ASCII), no spaces or dashes, upper case."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value)).upper()


def blind_index(value: str, *, context: str, ring: KeyRing | None = None) -> str:
    """A keyed HMAC for exact lookups that reveals nothing without the key."""
    ring = ring or key_ring()
    message = f"{context}\x00{normalise_for_index(value)}".encode()
    return hmac.new(ring.blind_index_key, message, hashlib.sha256).hexdigest()[:40]


def mask_national_id(value: str) -> str:
    """4201**********1234: enough for a person to recognise their own number."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    digits = value.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str) -> str:
    """张*明 / J*** S****: the first character of each part stays."""
    if not value:
        return value
    if value.isascii():
        return " ".join(part[0] + "*" * (len(part) - 1) for part in value.split())
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
