"""`crisisgov rumors load-kb [--from dataset|PATH] [--area CODE]`: load the known rumors (their
canonical zh/en statements and official clarifications) into the knowledge base, as the system.
Loading again updates changed rows and leaves the others alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crisisgov.geo.facade import area_id_for_code
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import DomainError
from crisisgov.opinion.rumors.kb_source import rows_from
from crisisgov.opinion.rumors.services import kb_load


class Command(BaseCommand):
    help = "Rumors: load the knowledge base of known rumors and their clarifications."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load-kb", help="load known rumors (default: the project dataset)")
        load.add_argument(
            "--from", dest="source", default="dataset",
            help='"dataset" (crisisgov/opinion/dataset/) or a directory or rumors.jsonl file',
        )  # fmt: skip
        load.add_argument("--area", default="", help="an area code (default: the first city)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        area_id = None
        if options["area"]:
            area_id = area_id_for_code(options["area"])
            if area_id is None:
                raise CommandError(f"no area has the code {options['area']}")
        try:
            source = options["source"]
            rows = rows_from(None if source == "dataset" else Path(source))
            result = kb_load(actor=SYSTEM, rows=rows, area_id=area_id)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"rumors: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )
