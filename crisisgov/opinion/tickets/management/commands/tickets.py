"""`crisisgov tickets load-catalogue | sweep | demo`: the dispatch catalogue's defaults, one
round of the response clock, and the demo's hotline tickets."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from crisisgov.opinion.tickets.catalogue import catalogue_load_defaults
from crisisgov.opinion.tickets.demo import opinion_tickets_demo_ensure
from crisisgov.opinion.tickets.services import tickets_sweep_clock


class Command(BaseCommand):
    help = "Hotline tickets: load the catalogue's defaults, sweep the clocks, or seed the demo."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["load-catalogue", "sweep", "demo"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "load-catalogue":
            classes, categories = catalogue_load_defaults()
            self.stdout.write(f"{classes} time-limit classes and {categories} categories added")
        elif action == "sweep":
            self.stdout.write(f"{tickets_sweep_clock()} reminders, breaches and escalations")
        else:
            for line in opinion_tickets_demo_ensure():
                self.stdout.write(line)
