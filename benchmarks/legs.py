"""A benchmark leg in its own process: its peak RSS is its own, and it reads its database from
DATABASE_URL. The leg prints its figures as JSON on its last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def leg_env(database_url: str, var_dir: str, **extra: str) -> dict[str, str]:
    """The environment of a leg: none of ours leaks in but the database and a var dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRISISGOV_", "DATABASE_"))}
    return env | {"CRISISGOV_VAR_DIR": str(ROOT / var_dir), "DATABASE_URL": database_url} | extra


def run_leg(module: str, args: list[str], env: dict[str, str], name: str) -> dict:
    """Run `python -m module args...`; its last output line, parsed. A failure stops the run."""
    out = subprocess.run(  # noqa: S603 (our own module, our own arguments)
        [sys.executable, "-m", module, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        print(out.stdout[-2000:], out.stderr[-4000:])
        raise SystemExit(f"the {name} leg failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def postgres_or_sqlite(url: str) -> str:
    """`url` when PostgreSQL answers on it (its database created if missing), else "" — the
    legs then run on SQLite, and the caller says so."""
    up = subprocess.run(
        [sys.executable, str(ROOT / "scripts/service-up.py"), "postgres", url],
        capture_output=True,
        check=False,
    )
    if up.returncode != 0:
        return ""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return url
