"""`crisisgov exchange`: the standards registry, datasets, imports and webhook sending from the
shell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from crisisgov.directory.facade import actor_for_user
from crisisgov.exchange import services
from crisisgov.exchange.imports import import_create, import_run
from crisisgov.exchange.models import ImportMode, RejectedRow, SchemaVersion
from crisisgov.exchange.mpi import mpi_link
from crisisgov.exchange.subscriptions import webhook_send_due
from crisisgov.geo.facade import area_paths_for_codes
from crisisgov.kernel.actor import SYSTEM, Actor
from crisisgov.kernel.errors import DomainError


class Command(BaseCommand):
    help = "Data standards, datasets and imports."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("standards", help="publish the shipped standards and list the registry")
        imp = sub.add_parser("import", help="import a CSV, XLSX or JSON file into a dataset")
        imp.add_argument("file", type=Path)
        imp.add_argument("--dataset", type=int, required=True, help="dataset id")
        imp.add_argument("--mode", choices=ImportMode.values, default=ImportMode.ACCEPT_VALID)
        imp.add_argument("--as", dest="username", help="act as this account (default: system)")
        imp.add_argument("--report", type=int, default=20, help="rejected rows to print")
        sub.add_parser("deliver", help="send the webhook deliveries that are due, then exit")
        link = sub.add_parser("link", help="link person records into the master person index")
        link.add_argument("--area", help="area code (default: every area)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "standards":
                self._standards()
            elif action == "deliver":
                self._deliver()
            elif action == "link":
                self._link(options.get("area"))
            else:
                self._import(**options)
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'input'}: {exc.message}") from exc

    def _standards(self) -> None:
        for version in services.standards_sync():
            self.stdout.write(f"published {version}")
        for version in SchemaVersion.objects.order_by("name", "major", "version"):
            self.stdout.write(
                f"{version.pk:>4}  {version.name}@{version.version}  {version.title_zh}"
            )

    def _deliver(self) -> None:
        total = sent = webhook_send_due()
        while sent:  # failures wait for their backoff, so this ends
            sent = webhook_send_due()
            total += sent
        self.stdout.write(f"attempted {total} webhook deliveries")

    def _link(self, code: str | None) -> None:
        path = ""
        if code:
            path = area_paths_for_codes([code]).get(code, "")
            if not path:
                raise CommandError(f"--area: no area with code {code}")
        run = mpi_link(actor=SYSTEM, area_path=path)
        self.stdout.write(
            f"linked {run.records} records into {run.people} people; {run.review} pairs to review"
        )

    def _actor(self, username: str | None) -> Actor:
        if not username:
            return SYSTEM
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"--as: no active account {username}")
        return actor_for_user(user)

    def _import(
        self, *, file: Path, dataset: int, mode: str, username: str | None, report: int, **_: Any
    ) -> None:
        if not file.is_file():
            raise CommandError(f"file: {file} does not exist")
        with file.open("rb") as upload:
            job = import_create(
                actor=self._actor(username),
                dataset_id=dataset,
                upload=upload,
                filename=file.name,
                mode=mode,
            )
        with tqdm(total=100, unit="%", desc=file.name, file=self.stderr) as bar:

            def progress(fraction: float) -> None:
                bar.update(round(fraction * 100) - bar.n)

            job = import_run(job_id=job.pk, on_progress=progress)
        self.stdout.write(
            f"{job.status}: {job.rows_created} created, {job.rows_updated} updated, "
            f"{job.rows_unchanged} unchanged, {job.rows_rejected} rejected of {job.rows_read} rows"
        )
        if job.problem:
            self.stdout.write(f"problem: {job.problem}")
        for rejected in RejectedRow.objects.filter(job=job)[:report]:
            for error in rejected.errors:
                self.stdout.write(
                    f"  row {rejected.row_number}: {error['field']} {error['value']!r}: "
                    f"{error['reason']}"
                )
        if job.status != "done":
            raise CommandError(f"import {job.pk} was {job.status}")
