"""Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium (`make test` installs
the Debian package when it is missing). The machine's network may be closed, so Chromium is
told not to reach out on its own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CRISISGOV_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-42"  # what the root conftest's make_user sets


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"{CHROMIUM} is missing: `apt-get install -y chromium` (make test does it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django would then refuse
    # the test's own ORM calls (fixtures, flush) as if they came from async code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _vendored_static(settings) -> None:
    """Serve crisisgov/static (the vendored ECharts and htmx) from the live server even before
    settings list it; crisisgov/dashboard/tests checks that settings do."""
    vendor = Path(settings.BASE_DIR) / "crisisgov" / "static"
    dirs = [Path(str(d)) for d in getattr(settings, "STATICFILES_DIRS", [])]
    if vendor not in dirs:
        settings.STATICFILES_DIRS = [*getattr(settings, "STATICFILES_DIRS", []), vendor]


# The kernel's append-only audit trigger on PostgreSQL also refuses TRUNCATE, which is how a
# live-server (transactional) test empties the tables afterwards. With the session replication
# role set to "replica" ordinary triggers do not fire, so the flush succeeds; the role is set
# only for the flush after each test and the connection reset when the module ends.
@pytest.fixture(autouse=True)
def _flushable_audit_log(request) -> Iterator[None]:
    yield
    if "live_server" not in request.fixturenames:
        return
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")


@pytest.fixture(scope="module", autouse=True)
def _restore_replication_role(django_db_blocker) -> Iterator[None]:
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("RESET session_replication_role")


@pytest.fixture
def screenshots(settings) -> Path:
    directory = Path(settings.VAR_DIR) / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory
