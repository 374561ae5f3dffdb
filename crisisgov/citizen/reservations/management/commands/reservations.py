"""`crisisgov reservations reconcile|drain|check`: operate the Redis reservation store.

crisisgov reservations drain       write every reservation Redis accepted to the database now
crisisgov reservations reconcile   rebuild Redis's counters (stock left, quotas, idempotency
                                   keys) from the database plus the unwritten stream
crisisgov reservations check       say whether Redis is configured not to lose reservations
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Operate the Redis reservation store: drain the write-behind, reconcile counters."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["drain", "reconcile", "check"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if not settings.REDIS_URL:
            raise CommandError("REDIS_URL is not set: reservations live in the database only")
        from crisisgov.citizen.reservations import writebehind

        if action == "drain":
            written = writebehind.writebehind_drain()
            self.stdout.write(f"wrote {written} stream entries; the stream is empty")
        elif action == "reconcile":
            writebehind.writebehind_drain()  # fewer entries to add back by hand
            counts = writebehind.reconcile()
            self.stdout.write(
                "rebuilt {stocks} stock counters, {quota_members} quota entries,"
                " {idempotency_keys} idempotency keys ({pending} unwritten)".format(**counts)
            )
        else:
            problems = writebehind.redis_durability_problems()
            for problem in problems:
                self.stderr.write(problem)
            if problems:
                raise CommandError("Redis may lose accepted reservations in a crash")
            self.stdout.write("Redis fsyncs every write (appendonly yes, appendfsync always)")
