"""Reads of the exchange. Datasets are scoped by area and owning organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from crisisgov.exchange.models import Dataset, ImportJob, RejectedRow, SchemaVersion
from crisisgov.exchange.permissions import ExchangePermission
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.errors import NotFound


def schema_versions() -> QuerySet[SchemaVersion]:
    """The registry is public to every signed-in department: standards are shared by design."""
    return SchemaVersion.objects.order_by("name", "major", "version")


def dataset_list(*, actor: Actor) -> QuerySet[Dataset]:
    return (
        Dataset.objects.for_actor(actor, ExchangePermission.VIEW_DATASET)
        .select_related("schema")
        .order_by("area_path", "id")
    )


def import_get(*, actor: Actor, job_id: int) -> ImportJob:
    """An import, to those who manage its dataset (its report may quote masked personal data)."""
    datasets = Dataset.objects.for_actor(actor, ExchangePermission.MANAGE_DATASET)
    job = ImportJob.objects.filter(pk=job_id, dataset__in=datasets).first()
    if job is None:
        raise NotFound("no such import", field="job_id")
    return job


def import_rejected_rows(*, actor: Actor, job_id: int) -> QuerySet[RejectedRow]:
    return import_get(actor=actor, job_id=job_id).rejected.order_by("row_number")
