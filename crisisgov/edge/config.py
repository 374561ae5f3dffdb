"""The edge's settings, read from the same environment variables as the Django side (see
docs/configuration.md and docs/edge.md), without importing Django or its settings.

`crisisgov.config.env` is the Django side's one reader; it imports Django for its error type,
so the edge reads the handful of variables it needs here, with the same defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crisisgov.citizen import edge_pass, tokens
from crisisgov.kernel import pii

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class EdgeConfig:
    production: bool
    database_url: str  # empty: the embedded SQLite database under var_dir
    redis_url: str
    var_dir: Path
    pass_key: bytes
    key_ring: pii.KeyRing
    signing_keys: tuple[tuple[str, Ed25519PrivateKey], ...]
    max_in_flight: int  # reservations admitted at once per process; the rest get 429
    retry_after: int  # seconds a refused client should wait
    # Origins of the citizen pages when the edge is on another origin (the demo: Django on
    # :8000, the edge on :8001); empty behind a proxy that serves both on one origin.
    allowed_origins: tuple[str, ...] = ()

    @property
    def sqlite_path(self) -> Path:
        return self.var_dir / "crisisgov.sqlite3"


def read_config(environ: dict[str, str] | os._Environ[str] = os.environ) -> EdgeConfig:
    """The edge's configuration; raises ValueError naming the variable that is wrong."""
    production = environ.get("CRISISGOV_ENV", "development").strip().lower() == "production"
    var_dir = Path(environ.get("CRISISGOV_VAR_DIR", str(PROJECT_ROOT / "var")))
    secret = environ.get("CRISISGOV_SECRET_KEY", "")
    if not secret:
        if production:
            raise ValueError("CRISISGOV_SECRET_KEY must be set: it signs the edge pass")
        secret = edge_pass.DEV_SECRET_KEY
    pii_file = environ.get("CRISISGOV_PII_KEY_FILE", "") or (
        "" if production else str(var_dir / "dev-pii-keys.json")
    )
    ring = pii.load_key_ring(
        keys=environ.get("CRISISGOV_PII_KEYS", ""),
        key_file=pii_file,
        blind_index_key=environ.get("CRISISGOV_BLIND_INDEX_KEY", ""),
        create_missing=not production,
    )
    return EdgeConfig(
        production=production,
        database_url=environ.get("DATABASE_URL", ""),
        redis_url=environ.get("REDIS_URL", ""),
        var_dir=var_dir,
        pass_key=edge_pass.pass_key(secret),
        key_ring=ring,
        signing_keys=_signing_keys(environ.get(tokens.KEYS_VARIABLE, ""), production, var_dir),
        max_in_flight=_positive(environ, "CRISISGOV_EDGE_MAX_IN_FLIGHT", 32),
        retry_after=_positive(environ, "CRISISGOV_EDGE_RETRY_AFTER", 1),
        allowed_origins=_origins(environ.get("CRISISGOV_EDGE_ALLOWED_ORIGINS", "")),
    )


def _origins(text: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in text.split(",") if o.strip())
    for origin in origins:
        if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
            raise ValueError(
                f"CRISISGOV_EDGE_ALLOWED_ORIGINS: {origin!r} is not an origin like"
                " https://crisis.example.gov.cn"
            )
    return origins


def _positive(environ: dict[str, str] | os._Environ[str], name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a positive whole number")
    return int(text)


def _signing_keys(
    spec: str, production: bool, var_dir: Path
) -> tuple[tuple[str, Ed25519PrivateKey], ...]:
    """The health-token signing keys, loaded as the Django side loads them (the same
    development key file outside production)."""
    dev_key_file = "" if production else str(var_dir / "dev-citizen-token-keys.txt")
    try:
        return tokens.load_signing_keys(spec, dev_key_file)
    except tokens.TokenKeyError as exc:
        raise ValueError(str(exc)) from None
