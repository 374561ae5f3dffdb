"""`crisisgov bulletins draft [--date D] [--area CODE]`: draft the day's bulletin (default:
yesterday's) of every city, or of the area given, as the system. Drafting again refreshes an
unpublished draft's figures; a published day is left alone (correct it through the API)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crisisgov.citizen.bulletins.services import bulletin_draft
from crisisgov.geo.facade import Level, area_by_code, areas_at_level
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import Conflict, DomainError


class Command(BaseCommand):
    help = "Situation bulletins: draft a day's bulletin from the early-warning numbers."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        draft = sub.add_parser("draft", help="draft a day's bulletin (default: yesterday's)")
        draft.add_argument("--date", type=dt.date.fromisoformat, default=None)
        draft.add_argument("--area", default="", help="an area code (default: every city)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        day = options["date"] or timezone.localdate() - dt.timedelta(days=1)
        if options["area"]:
            area = area_by_code(options["area"])
            if area is None:
                raise CommandError(f"no area has the code {options['area']}")
            areas = [area]
        else:
            areas = areas_at_level(Level.CITY)
        for area in areas:
            try:
                bulletin, created = bulletin_draft(actor=SYSTEM, area_id=area.id, day=day)
            except Conflict as error:
                self.stdout.write(f"{area.code} {day}: {error.message}")
                continue
            except DomainError as error:
                raise CommandError(f"{area.code} {day}: {error.message}") from None
            verb = "drafted" if created else "refreshed"
            self.stdout.write(f"{area.code} {day}: bulletin #{bulletin.pk} {verb}")
