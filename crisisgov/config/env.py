"""The one place that reads the environment.

Every setting the platform takes from outside is read here, validated, and documented in
docs/configuration.md (a test keeps the two in step).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEV_SECRET_KEY = "crisisgov-development-only-not-secret"  # noqa: S105


@dataclass(frozen=True)
class Environment:
    production: bool
    secret_key: str
    allowed_hosts: list[str]
    database_url: str
    redis_url: str
    mqtt_url: str
    pii_keys: str
    pii_key_file: str
    blind_index_key: str
    citizen_token_keys: str
    edge_url: str
    opinion_retention_days: int
    var_dir: Path
    log_level: str
    debug: bool


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _positive_int(name: str, text: str) -> int:
    text = text.strip()
    if not text.isdigit() or int(text) < 1:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least 1, got {text!r}")
    return int(text)


def read_environment(environ: dict[str, str] | os._Environ[str] = os.environ) -> Environment:
    var_dir = Path(environ.get("CRISISGOV_VAR_DIR", str(PROJECT_ROOT / "var")))
    env = Environment(
        production=environ.get("CRISISGOV_ENV", "development").strip().lower() == "production",
        secret_key=environ.get("CRISISGOV_SECRET_KEY", ""),
        allowed_hosts=[
            h.strip() for h in environ.get("CRISISGOV_ALLOWED_HOSTS", "").split(",") if h.strip()
        ],
        database_url=environ.get("DATABASE_URL", ""),
        redis_url=environ.get("REDIS_URL", ""),
        mqtt_url=environ.get("MQTT_URL", "mqtt://127.0.0.1:1883"),
        pii_keys=environ.get("CRISISGOV_PII_KEYS", ""),
        pii_key_file=environ.get("CRISISGOV_PII_KEY_FILE", ""),
        blind_index_key=environ.get("CRISISGOV_BLIND_INDEX_KEY", ""),
        citizen_token_keys=environ.get("CRISISGOV_CITIZEN_TOKEN_KEYS", ""),
        edge_url=environ.get("CRISISGOV_EDGE_URL", "").strip(),
        opinion_retention_days=_positive_int(
            "CRISISGOV_OPINION_RETENTION_DAYS",
            environ.get("CRISISGOV_OPINION_RETENTION_DAYS", "180"),
        ),
        var_dir=var_dir,
        log_level=environ.get("CRISISGOV_LOG_LEVEL", "INFO").upper(),
        debug=_flag(environ.get("CRISISGOV_DEBUG", "false")),
    )
    if env.production:
        refuse_unsafe_production(env)
    return env


def refuse_unsafe_production(env: Environment) -> None:
    """Production mode does not start half-configured: every gap is named at once."""
    problems = []
    if len(env.secret_key) < 50 or env.secret_key == DEV_SECRET_KEY or len(set(env.secret_key)) < 5:
        problems.append("CRISISGOV_SECRET_KEY must be a random string of at least 50 characters")
    if not env.allowed_hosts:
        problems.append("CRISISGOV_ALLOWED_HOSTS must list the host names the platform answers to")
    if not env.database_url.startswith(("postgres://", "postgresql://")):
        problems.append("DATABASE_URL must point to PostgreSQL (postgres://...)")
    if not (env.pii_keys or env.pii_key_file):
        problems.append("CRISISGOV_PII_KEYS or CRISISGOV_PII_KEY_FILE must provide encryption keys")
    if not env.blind_index_key:
        problems.append("CRISISGOV_BLIND_INDEX_KEY must be set (base64, 32 bytes)")
    if not env.citizen_token_keys:
        problems.append(
            "CRISISGOV_CITIZEN_TOKEN_KEYS must provide the health-token signing keys"
            " (kid:base64, newest first)"
        )
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start in production mode:\n  - " + "\n  - ".join(problems)
        )
