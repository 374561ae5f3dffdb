"""`crisisgov serve`: Django over WSGI under gunicorn (measured here: ASGI costs 6-7x the CPU
per request), static files from whitenoise, the outbox worker beside it if asked."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform over WSGI with gunicorn."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1)))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--with-worker", action="store_true", help="also run `crisisgov worker` beside it"
        )

    def handle(
        self, *args: Any, bind: str, workers: int, threads: int, with_worker: bool, **options: Any
    ) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        helpers = []
        if with_worker:
            helpers.append(subprocess.Popen([sys.executable, "-m", "crisisgov", "worker"]))  # noqa: S603
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "crisisgov.config.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
        ]
        self.stdout.write(f"CrisisGov at http://{bind}/  (Ctrl+C stops)")
        try:
            subprocess.run(command, check=False)  # noqa: S603
        except KeyboardInterrupt:
            pass
        finally:
            for helper in helpers:
                helper.terminate()
                helper.wait(timeout=10)
