"""`crisisgov worker`: run background tasks and deliver outbox events.

    crisisgov worker [--once] [--interval SECONDS]

Each round runs every ready task of the database task queue (django_tasks_db), then attempts
the outbox deliveries that are due: retries, and events whose enqueue was lost in a crash.
`--once` repeats rounds until one finds nothing to do, then exits.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.db.utils import OperationalError
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker, valid_interval
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from crisisgov.kernel.outbox import outbox_deliver_due, worker_sweeps_run


class Command(BaseCommand):
    help = "Run background tasks and deliver outbox events."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="do what is outstanding, then exit")
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=1.0,
            help="seconds to wait when there is nothing to do (default: %(default)s)",
        )

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        if not once:
            worker.configure_signals()  # finish the running task on SIGTERM, then stop
        tasks_run = deliveries = 0
        while worker.running:
            if not once:
                close_old_connections()  # as Django does around a request
            ran = self.run_ready_tasks(worker)
            attempted = outbox_deliver_due() + worker_sweeps_run()
            tasks_run, deliveries = tasks_run + ran, deliveries + attempted
            if ran or attempted:
                continue
            if once:
                break
            time.sleep(interval)
        self.stdout.write(f"ran {tasks_run} tasks, attempted {deliveries} outbox deliveries")

    def run_ready_tasks(self, worker: Worker) -> int:
        """Run ready tasks one by one, as the library's worker does; returns how many ran."""
        ran = 0
        while worker.running:
            ready = DBTaskResult.objects.ready().filter(backend_name=worker.backend_name)
            try:
                with exclusive_transaction(ready.db):
                    task_result = ready.get_locked()
                    if task_result is not None:
                        task_result.claim(worker.worker_id)  # so no other worker runs it
            except OperationalError as exc:
                if not is_locked_database_exception(exc):
                    raise
                return ran  # SQLite is busy; try again next round
            if task_result is None:
                return ran
            worker.run_task(task_result)
            ran += 1
        return ran
