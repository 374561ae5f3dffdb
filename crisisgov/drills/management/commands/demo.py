"""`crisisgov demo`: migrate, generate the demo city once, reset the demo accounts, serve."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from crisisgov.directory.facade import demo_accounts_ensure
from crisisgov.drills.citizen_approvals_demo import citizen_approvals_demo_ensure
from crisisgov.drills.citizen_bulletins_demo import citizen_bulletins_demo_ensure
from crisisgov.drills.citizen_queries_demo import citizen_queries_demo_ensure
from crisisgov.drills.citizen_reservations_demo import citizen_reservations_demo_ensure
from crisisgov.drills.citizen_status_demo import citizen_status_demo_ensure
from crisisgov.drills.earlywarning_demo import earlywarning_demo_ensure
from crisisgov.drills.exchange_demo import exchange_demo_ensure
from crisisgov.drills.risk_demo import risk_demo_ensure
from crisisgov.drills.sensors_demo import sensors_demo_ensure
from crisisgov.geo.facade import Level, areas_at_level
from crisisgov.opinion.facade import opinion_demo_ensure


class Command(BaseCommand):
    help = "Set up and serve the demo platform on the embedded database."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--size", default="small", choices=["tiny", "small", "medium"])
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="set up, print, and stop")

    def handle(
        self, *args: Any, seed: int, size: str, bind: str, no_serve: bool, **options: Any
    ) -> None:
        if settings.PRODUCTION:
            raise CommandError("the demo resets accounts and must not run in production mode")
        call_command("migrate", interactive=False, verbosity=0)
        if not areas_at_level(Level.CITY):
            self.stdout.write(f"Generating the {size} synthetic city (seed {seed})...")
            call_command("city", "generate", "--seed", str(seed), "--size", size)
        for line in exchange_demo_ensure():
            self.stdout.write(line)
        for line in earlywarning_demo_ensure(seed=seed):  # a year of series, an outbreak
            self.stdout.write(line)
        for line in risk_demo_ensure():  # after the outbreak: it evaluates the demo's data
            self.stdout.write(line)
        for line in sensors_demo_ensure():
            self.stdout.write(line)
        # Citizen services, on the city's test results and approved risk levels.
        for ensure in (
            citizen_status_demo_ensure,
            citizen_queries_demo_ensure,
            citizen_reservations_demo_ensure,
            citizen_bulletins_demo_ensure,
        ):
            for line in ensure():
                self.stdout.write(line)
        accounts = demo_accounts_ensure()
        # After the accounts: the demo officer becomes the head an overdue step escalates to.
        for line in citizen_approvals_demo_ensure():
            self.stdout.write(line)
        for line in opinion_demo_ensure():  # rumors, the stream of posts, hotline tickets
            self.stdout.write(line)
        self.stdout.write("\nDemo accounts (passwords are new on every run):")
        for account in accounts:
            self.stdout.write(
                f"  {account.role:<20} {account.username:<26} {account.password:<14}"
                f" {account.area.name_en}"
            )
        if not no_serve:
            call_command("serve", bind=bind, with_worker=True, with_sensors=True, with_edge=True)
