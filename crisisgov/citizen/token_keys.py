"""The platform's own health-token keys, from settings (see docs/configuration.md)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings

from crisisgov.citizen import tokens

KEYS_VARIABLE = "CRISISGOV_CITIZEN_TOKEN_KEYS"
# The development key signs in the name of the synthetic drill city (990100).
DEV_KEY_ID = "990100-dev-1"


def signing_keys() -> tuple[tuple[str, Ed25519PrivateKey], ...]:
    """(kid, private key) pairs, newest first: the first one signs."""
    return _load(settings.CITIZEN_TOKEN_KEYS, settings.CITIZEN_TOKEN_DEV_KEY_FILE)


def public_keys() -> dict[str, Ed25519PublicKey]:
    """Our published keys, by key id: every key still in the list, so older tokens verify."""
    return {kid: key.public_key() for kid, key in signing_keys()}


def verification_keys() -> dict[str, Ed25519PublicKey]:
    """Every key a token may be signed with: ours, and those of recognised regions."""
    return tokens.key_registry(own=public_keys())


@lru_cache(maxsize=4)
def _load(spec: str, dev_key_file: str) -> tuple[tuple[str, Ed25519PrivateKey], ...]:
    # Keyed by the settings themselves, so a test that overrides them gets its own keys.
    if not spec and dev_key_file:
        spec = _dev_key_spec(Path(dev_key_file))
    try:
        keys = tokens.parse_signing_keys(spec)
    except tokens.TokenKeyError as exc:
        raise tokens.TokenKeyError(f"{KEYS_VARIABLE}: {exc}") from None
    if not keys:
        raise tokens.TokenKeyError(f"no health-token signing keys: set {KEYS_VARIABLE}")
    return keys


def _dev_key_spec(path: Path) -> str:
    """The development key file's ``kid:base64`` line, written (mode 0600) when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    line = tokens.new_signing_key(DEV_KEY_ID)
    with os.fdopen(fd, "w") as handle:
        handle.write(line + "\n")
    return line
