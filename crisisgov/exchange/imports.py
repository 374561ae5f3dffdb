"""Imports: an uploaded file streamed through the reader and the validator into a dataset.

`import_create` stores the upload and queues the job; `import_run` does the work, in batches so
that memory stays bounded whatever the file size. Two modes:

- accept valid rows: each batch commits its valid records and its rejected rows together, so a
  crash loses nothing already accepted and the page shows progress as it goes;
- all or nothing: a first pass only validates (and records the rejected rows); only when every
  row is valid does a second pass write everything in one transaction.

Re-importing a file changes nothing: records are matched by their natural key and compared by
a keyed hash of their content.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crisisgov.directory.facade import actor_for_user
from crisisgov.exchange.models import (
    Dataset,
    ImportJob,
    ImportMode,
    ImportStatus,
    RecordSource,
    RejectedRow,
)
from crisisgov.exchange.permissions import ExchangePermission
from crisisgov.exchange.readers import FileProblem, RowProblem, open_table
from crisisgov.exchange.records import RecordParts, RecordShaper
from crisisgov.exchange.tableschema import RowError, RowValidator, TableSchema
from crisisgov.exchange.writer import Provenance, publish_changes, write_records
from crisisgov.geo.facade import area_paths_for_codes
from crisisgov.kernel.actor import SYSTEM, Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import DomainError, NotFound

BATCH_SIZE = 2000
UPLOADS = "uploads"


def import_create(
    *,
    actor: Actor,
    dataset_id: int,
    upload: BinaryIO,
    filename: str,
    mode: str = ImportMode.ACCEPT_VALID,
) -> ImportJob:
    """Store an upload for a dataset the actor manages and queue its import."""
    if mode not in ImportMode.values:
        raise DomainError(f"mode must be one of: {', '.join(ImportMode.values)}", field="mode")
    dataset = (
        Dataset.objects.for_actor(actor, ExchangePermission.MANAGE_DATASET)
        .filter(pk=dataset_id)
        .first()
    )
    if dataset is None:
        raise NotFound("no such dataset", field="dataset_id")
    folder = Path(settings.VAR_DIR) / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{uuid.uuid4().hex}{Path(filename).suffix.lower()[:10]}"
    size = 0
    with stored.open("wb") as out:
        while chunk := upload.read(1 << 20):
            size += len(chunk)
            out.write(chunk)
    with transaction.atomic():
        job = ImportJob.objects.create(
            dataset=dataset,
            uploaded_by_id=actor.user_id,
            filename=Path(filename).name[:255],
            stored_path=str(stored),
            size_bytes=size,
            mode=mode,
        )
        audit_record(
            actor=actor,
            action="exchange.import_queued",
            permission=ExchangePermission.MANAGE_DATASET,
            target_type="exchange.importjob",
            target_id=job.pk,
            area_path=dataset.area_path,
            detail={"dataset_id": dataset.pk, "filename": job.filename, "bytes": size},
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from crisisgov.exchange.tasks import run_import

    run_import.enqueue(job_id=job_id)


class _Rows:
    """The file's rows mapped from its column labels to the schema's field names."""

    def __init__(self, path: str, filename: str, schema: TableSchema):
        self.table = open_table(Path(path), filename=filename)
        columns, problems = schema.resolve_header(self.table.header)
        if not any(columns):
            problems = [
                f"none of the columns is a field of {schema.name} {schema.version}: "
                "is the header row missing, or is this file for another dataset?"
            ]
        if problems:
            self.table.close()
            raise FileProblem("header", "; ".join(problems))
        self.pairs = [
            (label, name) for label, name in zip(self.table.header, columns, strict=True) if name
        ]

    def __iter__(self) -> Iterator[tuple[int, dict | RowProblem]]:
        pairs = self.pairs
        for number, row in self.table:
            if isinstance(row, RowProblem):
                yield number, row
            else:
                yield number, {name: row.get(label) for label, name in pairs}


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class _Importer:
    """One run of one job: validation, area checks and the batched writes."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.dataset = job.dataset
        self.schema = TableSchema.from_descriptor(self.dataset.schema.descriptor)
        self.validator = RowValidator(self.schema)
        self.shaper = RecordShaper(self.schema)
        self.area_paths: dict[str, str] = {}
        self.changes: list[int] = []

    def check(self, batch: list) -> tuple[list[tuple[int, RecordParts, str]], list[RejectedRow]]:
        """Split a batch into accepted (row, parts, area path) and rejected rows."""
        accepted, rejected = [], []
        shaped = []
        for number, row in batch:
            if isinstance(row, RowProblem):
                problem = {"field": row.field or "", "value": "", "reason": row.message}
                rejected.append(self._rejected(number, None, [problem]))
                continue
            record, errors = self.validator.validate(number, row)
            if record is None:
                rejected.append(self._rejected(number, row, [_error(e) for e in errors]))
            else:
                shaped.append((number, row, self.shaper.shape(record)))
        self._resolve_areas([parts.area_code for _, _, parts in shaped if parts.area_code])
        for number, row, parts in shaped:
            path = self._area_path(parts)
            if path is None:
                field = self.shaper.area_field or ""
                reason = "no such area, or outside the dataset's area"
                rejected.append(
                    self._rejected(
                        number,
                        row,
                        [{"field": field, "value": parts.area_code or "", "reason": reason}],
                    )
                )
            else:
                accepted.append((number, parts, path))
        return accepted, rejected

    def _rejected(self, number: int, row: dict | None, errors: list[dict]) -> RejectedRow:
        raw = json.dumps(row, ensure_ascii=False, default=str) if row is not None else ""
        return RejectedRow(job=self.job, row_number=number, errors=errors, raw=raw)

    def _resolve_areas(self, codes: list[str]) -> None:
        unknown = [c for c in set(codes) if c not in self.area_paths]
        if unknown:
            found = area_paths_for_codes(unknown)
            self.area_paths.update({c: found.get(c, "") for c in unknown})

    def _area_path(self, parts: RecordParts) -> str | None:
        if parts.area_code is None:
            return self.dataset.area_path
        path = self.area_paths.get(parts.area_code, "")
        return path if path and path.startswith(self.dataset.area_path) else None

    def write(self, accepted: list[tuple[int, RecordParts, str]]) -> tuple[int, int, int]:
        """Create, update or leave each record; log each change. Returns the three counts."""
        result = write_records(
            self.dataset,
            [(parts, path) for _, parts, path in accepted],
            Provenance(source=RecordSource.IMPORT, source_import_id=self.job.pk),
        )
        self.changes += result.change_ids
        return result.created, result.updated, result.unchanged


def _error(error: RowError) -> dict:
    return {"field": error.field, "value": error.value, "reason": error.reason}


def import_run(*, job_id: int, on_progress: Callable[[float], None] | None = None) -> ImportJob:
    """Run a queued import to the end; the job row tells how it went."""
    job = ImportJob.objects.select_related("dataset__schema").get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return job  # already finished: a retried task does nothing twice
    job.status = ImportStatus.RUNNING
    ImportJob.objects.filter(pk=job.pk).update(status=job.status)
    importer = _Importer(job)
    try:
        if job.mode == ImportMode.ALL_OR_NOTHING:
            _run_all_or_nothing(importer, on_progress)
        else:
            _run_accept_valid(importer, on_progress)
    except FileProblem as problem:
        job.status, job.problem = ImportStatus.REFUSED, str(problem)
    job.finished_at = timezone.now()
    if job.status == ImportStatus.RUNNING:
        job.status = ImportStatus.DONE
    job.progress = 1.0
    with transaction.atomic():
        job.save()
        _finish(importer)
    Path(job.stored_path).unlink(missing_ok=True)  # the upload may hold personal data
    return job


def _progress(job: ImportJob, rows: _Rows, share: float, offset: float, on_progress) -> None:  # type: ignore[no-untyped-def]
    job.progress = offset + share * rows.table.progress
    ImportJob.objects.filter(pk=job.pk).update(progress=job.progress, rows_read=job.rows_read)
    if on_progress:
        on_progress(job.progress)


def _run_accept_valid(importer: _Importer, on_progress) -> None:  # type: ignore[no-untyped-def]
    job = importer.job
    rows = _Rows(job.stored_path, job.filename, importer.schema)
    with rows.table:
        for batch in _batches(rows, BATCH_SIZE):
            accepted, rejected = importer.check(batch)
            with transaction.atomic():
                created, updated, unchanged = importer.write(accepted)
                RejectedRow.objects.bulk_create(rejected)
                job.rows_read += len(batch)
                job.rows_created += created
                job.rows_updated += updated
                job.rows_unchanged += unchanged
                job.rows_rejected += len(rejected)
                job.save(
                    update_fields=[
                        "rows_read",
                        "rows_created",
                        "rows_updated",
                        "rows_unchanged",
                        "rows_rejected",
                    ]
                )
            _progress(job, rows, 1.0, 0.0, on_progress)


def _run_all_or_nothing(importer: _Importer, on_progress) -> None:  # type: ignore[no-untyped-def]
    job = importer.job
    rows = _Rows(job.stored_path, job.filename, importer.schema)
    with rows.table:  # pass 1: validate only, keep the report
        for batch in _batches(rows, BATCH_SIZE):
            _, rejected = importer.check(batch)
            RejectedRow.objects.bulk_create(rejected)
            job.rows_read += len(batch)
            job.rows_rejected += len(rejected)
            _progress(job, rows, 0.5, 0.0, on_progress)
    if job.rows_rejected:
        job.status = ImportStatus.REFUSED
        job.problem = f"{job.rows_rejected} rows were rejected: nothing was imported"
        return
    importer.validator = RowValidator(importer.schema)  # forget pass 1's keys
    rows = _Rows(job.stored_path, job.filename, importer.schema)
    with rows.table, transaction.atomic():  # pass 2: everything or nothing
        for batch in _batches(rows, BATCH_SIZE):
            accepted, _ = importer.check(batch)
            created, updated, unchanged = importer.write(accepted)
            job.rows_created += created
            job.rows_updated += updated
            job.rows_unchanged += unchanged
        job.save()


def _finish(importer: _Importer) -> None:
    """The import's audit entry and, when records changed, the event subscriptions follow."""
    job = importer.job
    audit_record(
        actor=_job_actor(job),
        action="exchange.import_finished",
        permission=ExchangePermission.MANAGE_DATASET,
        target_type="exchange.importjob",
        target_id=job.pk,
        area_path=job.dataset.area_path,
        detail={
            "status": job.status,
            "created": job.rows_created,
            "updated": job.rows_updated,
            "unchanged": job.rows_unchanged,
            "rejected": job.rows_rejected,
        },
    )
    publish_changes(job.dataset_id, importer.changes)


def _job_actor(job: ImportJob) -> Actor:
    """The worker acts on the uploader's behalf; the entry names them and their role."""
    if job.uploaded_by is None:
        return SYSTEM
    return actor_for_user(job.uploaded_by)
