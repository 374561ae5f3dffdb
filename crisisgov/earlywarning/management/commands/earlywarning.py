"""`crisisgov earlywarning observations FILE | evaluate [--as-of DATE] [--force] | indicators`.

`observations` stores a CSV of observations (columns indicator, area, period, value) as the
system, all or nothing, naming each bad line; `evaluate` runs the detectors and Rt per district
for indicators with new observations (all with --force); `indicators` syncs the registry.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crisisgov.earlywarning.detection import evaluation_run
from crisisgov.earlywarning.series import RowsRefused, indicators_sync, observations_upload
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import DomainError


class Command(BaseCommand):
    help = "Early-warning series: load observations, evaluate detectors and Rt, sync indicators."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("observations", help="store a CSV of observations")
        load.add_argument("file", type=Path)
        evaluate = sub.add_parser("evaluate", help="run detectors and Rt")
        evaluate.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        evaluate.add_argument("--force", action="store_true")
        sub.add_parser("indicators", help="create or update the built-in indicators")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "indicators":
            self.stdout.write(f"{indicators_sync()} indicators")
        elif action == "evaluate":
            done = evaluation_run(as_of=options["as_of"], force=options["force"])
            self.stdout.write(f"{done} indicators evaluated")
        else:
            self._load(options["file"])

    def _load(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        try:
            result = observations_upload(actor=SYSTEM, data=data)
        except RowsRefused as refused:
            lines = [f"{path} line {e.row}, {e.field}: {e.message}" for e in refused.errors]
            raise CommandError("nothing stored\n" + "\n".join(lines)) from None
        except DomainError as error:
            raise CommandError(f"{path}: {error.message}") from None
        self.stdout.write(
            f"{path}: {result.created} new, {result.revised} revised, {result.unchanged} unchanged"
        )
