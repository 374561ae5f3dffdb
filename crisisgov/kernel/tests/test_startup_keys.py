"""In production the personal-data keys are checked at start-up, naming the variable to fix."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

SHORT_KEY = base64.b64encode(secrets.token_bytes(16)).decode()


def b64_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def production_env(**overrides: str) -> dict[str, str]:
    """A complete production environment (only `check` runs: no database is reached)."""
    env = {
        "CRISISGOV_ENV": "production",
        "CRISISGOV_SECRET_KEY": secrets.token_urlsafe(64),
        "CRISISGOV_ALLOWED_HOSTS": "crisis.example.gov.cn",
        "DATABASE_URL": "postgres://crisisgov@127.0.0.1:5432/crisisgov",
        "CRISISGOV_PII_KEYS": f"k1:{b64_key()}",
        "CRISISGOV_BLIND_INDEX_KEY": b64_key(),
        "CRISISGOV_CITIZEN_TOKEN_KEYS": f"990100-1:{b64_key()}",  # health-token signing key
    }
    return {name: value for name, value in (env | overrides).items() if value}


def crisisgov_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CRISISGOV_", "DATABASE_"))}
    return subprocess.run(  # noqa: S603  (our own interpreter and command)
        [sys.executable, "-m", "crisisgov", "check"],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_well_keyed_production_starts():
    result = crisisgov_check(production_env())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("overrides", "named", "problem"),
    [
        ({"CRISISGOV_PII_KEYS": "k1:notbase64"}, "CRISISGOV_PII_KEYS", "is not valid base64"),
        ({"CRISISGOV_PII_KEYS": f"k1:{SHORT_KEY}"}, "CRISISGOV_PII_KEYS", "must be 32 bytes"),
        ({"CRISISGOV_PII_KEYS": "no-colon"}, "CRISISGOV_PII_KEYS", "must look like id:base64key"),
        ({"CRISISGOV_BLIND_INDEX_KEY": SHORT_KEY}, "CRISISGOV_BLIND_INDEX_KEY", "32 bytes"),
        (
            {
                "CRISISGOV_PII_KEYS": "",
                "CRISISGOV_PII_KEY_FILE": "/nonexistent/crisisgov-keys.json",
            },
            "CRISISGOV_PII_KEY_FILE",
            "/nonexistent/crisisgov-keys.json does not exist",
        ),
    ],
)
def test_a_bad_key_stops_production_at_start(overrides, named, problem):
    result = crisisgov_check(production_env(**overrides))
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        f"django.core.exceptions.ImproperlyConfigured: Refusing to start in production mode:"
        f" {named}: "
    ), result.stderr
    assert problem in last_line
    assert SHORT_KEY not in result.stderr


def test_a_malformed_key_file_is_named(tmp_path: Path):
    path = tmp_path / "keys.json"
    path.write_text('{"keys": [{"id": "k1", "key": "AAAA"}]}')
    result = crisisgov_check(
        production_env(CRISISGOV_PII_KEYS="", CRISISGOV_PII_KEY_FILE=str(path))
    )
    assert result.returncode != 0
    assert (
        "Refusing to start in production mode: CRISISGOV_PII_KEY_FILE:"
        f" personal-data key 'k1' must be 32 bytes (AES-256), got 3 (in {path})"
    ) in result.stderr
