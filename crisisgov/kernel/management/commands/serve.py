"""`crisisgov serve`: Django over WSGI under gunicorn (measured here: ASGI costs 6-7x the CPU
per request), static files from whitenoise, the outbox worker, the public-opinion analyser and
the surge edge (granian) beside it if asked."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def _broker_answers(url: str) -> bool:
    """A TCP probe (the kernel knows no MQTT): does anything listen at the broker's address?"""
    parts = urlsplit(url if "://" in url else f"mqtt://{url}")
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 1883), 1.0):
            return True
    except OSError:
        return False


def _start_edge(bind: str, workers: int, page_origins: list[str]) -> subprocess.Popen:
    """granian serving the edge by its module path: the kernel imports no domain app. The
    pages are on another port (another origin): the edge grants them CORS unless told
    otherwise."""
    host, _, port = bind.rpartition(":")
    env = dict(os.environ)
    env.setdefault("CRISISGOV_EDGE_ALLOWED_ORIGINS", ",".join(page_origins))
    command = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--host",
        host or "127.0.0.1",
        "--port",
        port,
        "--workers",
        str(workers),
        "--no-ws",
        "crisisgov.edge.app:app",
    ]
    return subprocess.Popen(command, env=env)  # noqa: S603


def _origins_of(bind: str) -> list[str]:
    host, _, port = bind.rpartition(":")
    hosts = {host or "127.0.0.1"} | (
        {"127.0.0.1", "localhost"} if host in ("", "127.0.0.1") else set()
    )
    return [f"http://{name}:{port}" for name in sorted(hosts)]


class Command(BaseCommand):
    help = "Serve the platform over WSGI with gunicorn."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1)))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="also run `crisisgov worker` and `crisisgov opinion analyse` beside it",
        )
        parser.add_argument(
            "--with-edge",
            action="store_true",
            help="also run the surge edge (Starlette on granian) for the /edge/ endpoints",
        )
        parser.add_argument("--edge-bind", default="127.0.0.1:8001")
        parser.add_argument("--edge-workers", type=int, default=max(1, (os.cpu_count() or 1)))
        parser.add_argument(
            "--with-sensors",
            action="store_true",
            help="also run `crisisgov sensors listen` and `sensors simulate` when the MQTT "
            "broker (MQTT_URL) answers",
        )

    def handle(
        self,
        *args: Any,
        bind: str,
        workers: int,
        threads: int,
        with_worker: bool,
        with_sensors: bool = False,
        with_edge: bool = False,
        edge_bind: str = "127.0.0.1:8001",
        edge_workers: int = 1,
        **options: Any,
    ) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        helpers = []
        if with_edge:
            helpers.append(_start_edge(edge_bind, edge_workers, _origins_of(bind)))
            # The pages reach the edge on its own port unless a proxy was configured.
            os.environ.setdefault("CRISISGOV_EDGE_URL", f"http://{edge_bind}/edge/")
            self.stdout.write(f"Surge edge at http://{edge_bind}/edge/ (route /edge/ there)")
        if with_worker:
            helpers.append(subprocess.Popen([sys.executable, "-m", "crisisgov", "worker"]))  # noqa: S603
            # The public-opinion analysis stage: micro-batches of whatever messages arrived.
            helpers.append(
                subprocess.Popen([sys.executable, "-m", "crisisgov", "opinion", "analyse"])  # noqa: S603
            )
        if with_sensors and _broker_answers(settings.MQTT_URL):
            for action in ("listen", "simulate"):
                helpers.append(
                    subprocess.Popen([sys.executable, "-m", "crisisgov", "sensors", action])  # noqa: S603
                )
        elif with_sensors:
            self.stdout.write(f"No MQTT broker at {settings.MQTT_URL}: no simulated sensors")
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
