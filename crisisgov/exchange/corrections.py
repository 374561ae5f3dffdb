"""Rows held for correction, and one row entered by a person.

An import in "accept valid rows" mode holds each bad row (encrypted) on its report. The
uploader opens a held row — an audited read of the personal data it may hold —, corrects the
values and sends it again: the row goes through the same validator, shaping and area check as
an import, lands as a record with provenance "correction", and flows to subscribers. The report
keeps the row, marked corrected, so the import's history stays whole.

The checks are the entry forms' (`entryforms.row_check`): one set of rules whatever the way in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from crisisgov.exchange.entryforms import SubmissionRefused, row_check
from crisisgov.exchange.models import Dataset, RecordSource, RejectedRow
from crisisgov.exchange.permissions import ExchangePermission
from crisisgov.exchange.records import RecordParts
from crisisgov.exchange.tableschema import TableSchema
from crisisgov.exchange.writer import Provenance, publish_changes, write_records
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, NotFound


@dataclass(frozen=True)
class RowCheck:
    """A row checked against its dataset: ready to write, or the problems field by field."""

    parts: RecordParts | None
    area_path: str
    errors: list[dict]  # [{"field", "value" (masked if personal), "reason"}]


def check_row(dataset: Dataset, row: dict[str, str]) -> RowCheck:
    """Validate one row by the dataset's schema and place it in the dataset's area."""
    try:
        parts, path = row_check(dataset, row)
    except SubmissionRefused as refused:
        problems = [
            {"field": e.field, "value": e.value, "reason": e.reason} for e in refused.errors
        ]
        return RowCheck(None, "", problems)
    return RowCheck(parts, path, [])


def _held(actor: Actor, row_id: int, job_id: int | None = None) -> RejectedRow:
    datasets = Dataset.objects.for_actor(actor, ExchangePermission.MANAGE_DATASET)
    rows = RejectedRow.objects.select_related("job__dataset__schema").filter(
        pk=row_id, job__dataset__in=datasets
    )
    if job_id is not None:
        rows = rows.filter(job_id=job_id)
    row = rows.first()
    if row is None:
        raise NotFound("no such held row", field="row_id")
    return row


def held_row_values(*, actor: Actor, row_id: int, job_id: int | None = None) -> dict[str, str]:
    """The held row as uploaded, for its correction: an audited read of what may be personal."""
    row = _held(actor, row_id, job_id)
    values = json.loads(row.raw) if row.raw else {}
    schema = TableSchema.from_descriptor(row.job.dataset.schema.descriptor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="exchange.held_row_read",
            permission=ExchangePermission.MANAGE_DATASET,
            target_type="exchange.rejectedrow",
            target_id=row.pk,
            area_path=row.job.dataset.area_path,
            purpose="correction",
            fields_read=[n for n in schema.personal_fields if values.get(n)],
            detail={"job_id": row.job_id, "row_number": row.row_number},
        )
    return {name: "" if values.get(name) is None else str(values[name]) for name in values}


def held_row_correct(
    *, actor: Actor, row_id: int, values: dict[str, str], job_id: int | None = None
) -> RowCheck:
    """Send a corrected held row again. Returns the check: with errors nothing is stored and
    the held row stays as it was."""
    row = _held(actor, row_id, job_id)
    if row.corrected_at is not None:
        raise Conflict("this row was already corrected", field="row_id")
    dataset = row.job.dataset
    check = check_row(dataset, values)
    if check.parts is None:
        return check
    with transaction.atomic():
        locked = RejectedRow.objects.select_for_update().get(pk=row.pk)
        if locked.corrected_at is not None:
            raise Conflict("this row was already corrected", field="row_id")
        result = write_records(
            dataset,
            [(check.parts, check.area_path)],
            Provenance(
                source=RecordSource.CORRECTION,
                source_import_id=row.job_id,
                submitted_by_id=actor.user_id,
            ),
        )
        locked.corrected_record_id = result.record_ids[0]
        locked.corrected_at = timezone.now()
        locked.raw = ""  # the corrected values live in the record now; drop the held copy
        locked.save(update_fields=["corrected_record", "corrected_at", "raw"])
        audit_record(
            actor=actor,
            action="exchange.held_row_corrected",
            permission=ExchangePermission.MANAGE_DATASET,
            target_type="exchange.rejectedrow",
            target_id=row.pk,
            area_path=dataset.area_path,
            detail={
                "job_id": row.job_id,
                "row_number": row.row_number,
                "record_id": result.record_ids[0],
                "created": result.created,
                "updated": result.updated,
            },
        )
        publish_changes(dataset.pk, result.change_ids)
    return check
