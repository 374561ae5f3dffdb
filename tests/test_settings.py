"""Production mode refuses to start half-configured, and passes Django's deploy checks."""

import base64
import os
import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from crisisgov.config.env import read_environment


def production_env() -> dict[str, str]:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    token_key = base64.b64encode(secrets.token_bytes(32)).decode()
    return {
        "CRISISGOV_ENV": "production",
        "CRISISGOV_SECRET_KEY": secrets.token_urlsafe(64),
        "CRISISGOV_ALLOWED_HOSTS": "crisis.example.gov.cn",
        "DATABASE_URL": "postgres://crisisgov@127.0.0.1:5432/crisisgov",
        "CRISISGOV_PII_KEYS": f"k1:{key}",
        "CRISISGOV_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "CRISISGOV_CITIZEN_TOKEN_KEYS": f"990100-1:{token_key}",
    }


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("CRISISGOV_SECRET_KEY", "CRISISGOV_SECRET_KEY"),
        ("CRISISGOV_ALLOWED_HOSTS", "CRISISGOV_ALLOWED_HOSTS"),
        ("CRISISGOV_PII_KEYS", "CRISISGOV_PII_KEYS"),
        ("CRISISGOV_BLIND_INDEX_KEY", "CRISISGOV_BLIND_INDEX_KEY"),
        ("CRISISGOV_CITIZEN_TOKEN_KEYS", "CRISISGOV_CITIZEN_TOKEN_KEYS"),
    ],
)
def test_production_refuses_each_missing_setting_by_name(missing, named):
    env = production_env()
    del env[missing]
    with pytest.raises(ImproperlyConfigured) as error:
        read_environment(env)
    assert named in str(error.value)


def test_production_refuses_sqlite_and_a_short_secret():
    env = production_env() | {"DATABASE_URL": "", "CRISISGOV_SECRET_KEY": "short"}
    with pytest.raises(ImproperlyConfigured) as error:
        read_environment(env)
    assert "PostgreSQL" in str(error.value) and "50 characters" in str(error.value)


def run_crisisgov(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CRISISGOV_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "crisisgov", *args],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_checks_pass_in_production_mode():
    result = run_crisisgov("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_command_will_not_start_unconfigured_production():
    result = run_crisisgov("check", env={"CRISISGOV_ENV": "production"})
    assert result.returncode != 0
    assert "Refusing to start in production mode" in result.stderr


def test_production_refuses_a_malformed_health_token_key_at_start():
    env = production_env() | {"CRISISGOV_CITIZEN_TOKEN_KEYS": "990100-2026-1:not-a-key"}
    result = run_crisisgov("check", env=env)
    assert result.returncode != 0
    assert "CRISISGOV_CITIZEN_TOKEN_KEYS" in result.stderr
    assert "not-a-key" not in result.stderr  # key material is never echoed
