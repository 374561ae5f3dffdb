"""`crisisgov city generate --seed N --size tiny|small|medium|large [--replace]`."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from tqdm import tqdm

from crisisgov.drills.citygen import SIZES, city_plan
from crisisgov.drills.loader import city_generate
from crisisgov.geo.facade import LEVEL_LABELS
from crisisgov.kernel.errors import DomainError


class Command(BaseCommand):
    help = "Generate the synthetic drill city (Linjiang, code 9901) into the database."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        generate = actions.add_parser(
            "generate", help="build a deterministic city: same seed and size, same city"
        )
        generate.add_argument("--seed", type=int, default=2020)
        generate.add_argument(
            "--size",
            choices=list(SIZES),
            default="small",
            help="tiny ~500, small ~10,000 (the demo), medium ~100,000, large ~1,000,000 residents",
        )
        generate.add_argument(
            "--replace", action="store_true", help="delete an existing drill city first"
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        seed, size = options["seed"], options["size"]
        plan = city_plan(seed, size)
        started = time.perf_counter()
        # The bar goes to the real stderr: Django's wrapper would end every redraw with "\n".
        with tqdm(
            total=plan.residents, unit=" residents", file=sys.stderr, mininterval=0.5, delay=0.5
        ) as progress:
            try:
                city = city_generate(
                    seed=seed, size=size, replace=options["replace"], on_residents=progress.update
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        seconds = time.perf_counter() - started
        loaded = city.loaded
        out = self.stdout.write
        out(f"Linjiang (临江市), seed {seed}, size {size}")
        if city.replaced:
            removed = ", ".join(
                f"{n} {kind.replace('_', ' ')}" for kind, n in city.replaced.items()
            )
            out(f"  replaced the previous drill city ({removed})")
        with translation.override("en"):
            for level, count in loaded.areas_per_level.items():
                out(f"  {LEVEL_LABELS[level]}: {count}")
        out(f"  organisations: {loaded.organisations}")
        out(f"  households: {loaded.households}")
        out(f"  residents: {loaded.residents}")
        out(f"  seconds: {seconds:.1f}")
        out(f"  residents/s: {loaded.residents / seconds:.0f}")
