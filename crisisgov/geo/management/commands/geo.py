"""`crisisgov geo import FILE` and `crisisgov geo export CODE`: the area tree as GeoJSON.

Both act as the system (a back-office operator at the console), so they see the whole tree.
An import is all or nothing; on a problem it names each feature at fault and exits non-zero.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crisisgov.geo import selectors, services
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import DomainError


class Command(BaseCommand):
    help = "Import or export administrative areas as GeoJSON."

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        importing = actions.add_parser("import", help="create or update areas from a file")
        importing.add_argument("file", type=Path, help="a GeoJSON FeatureCollection")
        exporting = actions.add_parser("export", help="write an area and its subtree")
        exporting.add_argument("code", help="the area's code, e.g. 420102000000")
        exporting.add_argument("--output", type=Path, help="file to write (default: stdout)")
        exporting.add_argument(
            "--max-level", type=int, choices=range(1, 9), help="deepest level to include (1-8)"
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "import":
            self.import_file(options["file"])
        else:
            self.export_area(options["code"], options["output"], options["max_level"])

    def import_file(self, file: Path) -> None:
        try:
            collection = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            report = services.areas_import_geojson(actor=SYSTEM, collection=collection)
        except services.ImportRejected as exc:
            for problem in exc.problems:
                detail = problem.as_detail()
                self.stderr.write(f"{detail['field']}: {detail['message']}")
            raise CommandError(exc.message) from exc
        except DomainError as exc:
            raise CommandError(f"{exc.field}: {exc.message}" if exc.field else exc.message) from exc
        self.stdout.write(
            f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}"
        )

    def export_area(self, code: str, output: Path | None, max_level: int | None) -> None:
        try:
            area = selectors.area_get_by_code(actor=SYSTEM, code=code)
        except DomainError as exc:
            raise CommandError(f"{exc.message}: {code}") from exc
        collection = selectors.area_subtree_geojson(actor=SYSTEM, area=area, max_level=max_level)
        text = json.dumps(collection, ensure_ascii=False)
        if output is None:
            self.stdout.write(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
            count = len(collection["features"])
            self.stderr.write(f"wrote {count} areas to {output}")
