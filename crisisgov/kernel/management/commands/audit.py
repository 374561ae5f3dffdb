"""`crisisgov audit`: check the audit log and publish its daily root.

    crisisgov audit verify
    crisisgov audit export-root [--date YYYY-MM-DD] [--output FILE]

`verify` walks the hash chain and exits non-zero at the first entry that was altered,
removed or inserted. `export-root` gives the hash of the last entry of a day (UTC): handed to
outside witnesses, it lets anyone later prove that the log up to that day was not rewritten.
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crisisgov.kernel.audit import audit_daily_root, audit_verify


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Verify the audit log's hash chain, or export the root hash of a day."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        verify = actions.add_parser("verify", help="walk the chain and report the first break")
        verify.add_argument("--batch-size", type=int, default=5000)
        export = actions.add_parser("export-root", help="print a day's root hash as JSON")
        export.add_argument("--date", type=iso_date, default=None, help="default: yesterday (UTC)")
        export.add_argument("--output", type=Path, default=None, help="write to this file")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "verify":
            self.verify(batch_size=options["batch_size"])
        else:
            self.export_root(day=options["date"], output=options["output"])

    def verify(self, *, batch_size: int) -> None:
        report = audit_verify(batch_size=batch_size)
        if not report.ok:
            raise CommandError(
                f"audit chain broken at entry {report.first_bad_seq}: {report.problem}"
                f" ({report.checked} entries before it verified)"
            )
        self.stdout.write(f"chain intact: {report.checked} entries")

    def export_root(self, *, day: dt.date | None, output: Path | None) -> None:
        day = day or timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=1)
        text = json.dumps(audit_daily_root(day=day), indent=2, sort_keys=True)
        if output is None:
            self.stdout.write(text)
            return
        output.write_text(text + "\n")
        self.stdout.write(f"wrote the root of {day.isoformat()} to {output}")
