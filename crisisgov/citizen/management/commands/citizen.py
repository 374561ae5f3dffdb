"""`crisisgov citizen statuses [--area CODE]`: recompute residents' health statuses with the
published rule set (after a rule-set change, or to fill the table the surge edge reads).

`crisisgov citizen publish`: rebuild the published documents (risk levels, exposures, testing
sites) from the database, e.g. after a restore or an import that bypassed the services."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crisisgov.citizen import status_rules
from crisisgov.citizen.queries.facade import queries_publish_all
from crisisgov.citizen.status import statuses_compute_under
from crisisgov.geo.facade import area_paths_for_codes


class Command(BaseCommand):
    help = "Citizen services: recompute health statuses; republish the public documents."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        statuses = sub.add_parser("statuses", help="recompute residents' health statuses")
        statuses.add_argument("--area", help="area code (default: every resident)")
        sub.add_parser("publish", help="rebuild and publish the public documents now")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "publish":
            for name, etag in queries_publish_all().items():
                self.stdout.write(f"published {name} (ETag {etag})")
            return
        code = options.get("area")
        path = ""
        if code:
            path = area_paths_for_codes([code]).get(code, "")
            if not path:
                raise CommandError(f"--area: no area with code {code}")
        started = time.perf_counter()
        count = statuses_compute_under(path)
        self.stdout.write(
            f"computed {count} statuses with rule set {status_rules.RULESET_VERSION} "
            f"in {time.perf_counter() - started:.1f} s"
        )
