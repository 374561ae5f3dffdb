"""The platform's own health-token keys, from settings (see docs/configuration.md)."""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings

from crisisgov.citizen import tokens

KEYS_VARIABLE = tokens.KEYS_VARIABLE
DEV_KEY_ID = tokens.DEV_KEY_ID


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
    return tokens.load_signing_keys(spec, dev_key_file)
