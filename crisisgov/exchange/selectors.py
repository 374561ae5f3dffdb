"""Reads of the exchange. Datasets are scoped by area and owning organisation."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from crisisgov.exchange.models import (
    Dataset,
    ImportJob,
    RejectedRow,
    SchemaVersion,
    SharingAgreement,
)
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


def catalogue_datasets(*, actor: Actor, q: str = "") -> QuerySet[Dataset]:
    """The catalogue: every dataset's metadata (never its records) for any department user.

    Open to whoever holds an exchange permission anywhere, since a department can only ask
    for access to a dataset it can find. `q` matches the names, the description and the
    standard. Entering records through a form (grid workers) is no reason to browse it."""
    browsers = set(ExchangePermission) - {ExchangePermission.SUBMIT_RECORDS}
    if not actor.is_system and not any(actor.can(p) for p in browsers):
        raise NotFound("no catalogue for this account")
    datasets = (
        Dataset.objects.select_related("schema")
        .annotate(record_count=Count("records"))
        .order_by("area_path", "id")
    )
    q = q.strip()
    if q:
        datasets = datasets.filter(
            Q(name_zh__icontains=q)
            | Q(name_en__icontains=q)
            | Q(description__icontains=q)
            | Q(schema__name__icontains=q)
            | Q(schema__title_zh__icontains=q)
            | Q(schema__title__icontains=q)
        )
    return datasets


def catalogue_dataset(*, actor: Actor, dataset_id: int) -> Dataset:
    """One catalogue entry (metadata only), e.g. for a consumer asking for access."""
    dataset = catalogue_datasets(actor=actor).filter(pk=dataset_id).first()
    if dataset is None:
        raise NotFound("no such dataset", field="dataset_id")
    return dataset


def dataset_managed(*, actor: Actor, dataset_id: int) -> Dataset:
    """A dataset the actor manages (its owner's officers), else NotFound."""
    dataset = (
        Dataset.objects.for_actor(actor, ExchangePermission.MANAGE_DATASET)
        .select_related("schema")
        .filter(pk=dataset_id)
        .first()
    )
    if dataset is None:
        raise NotFound("no such dataset", field="dataset_id")
    return dataset


def managed_dataset_ids(*, actor: Actor) -> set[int]:
    """The ids of the datasets the actor manages (to link the catalogue to their pages)."""
    return set(
        Dataset.objects.for_actor(actor, ExchangePermission.MANAGE_DATASET).values_list(
            "pk", flat=True
        )
    )


def dataset_imports(*, actor: Actor, dataset_id: int) -> QuerySet[ImportJob]:
    return dataset_managed(actor=actor, dataset_id=dataset_id).imports.order_by("-created_at")


def dataset_agreements(*, actor: Actor, dataset_id: int) -> QuerySet[SharingAgreement]:
    """For the owner: every agreement asked for or held on the dataset."""
    dataset = dataset_managed(actor=actor, dataset_id=dataset_id)
    return SharingAgreement.objects.filter(dataset=dataset).order_by("-requested_at", "-id")


def agreement_owned(*, actor: Actor, agreement_id: int) -> SharingAgreement:
    """An agreement on a dataset the actor manages (the owner's side), else NotFound."""
    datasets = Dataset.objects.for_actor(actor, ExchangePermission.MANAGE_DATASET)
    agreement = SharingAgreement.objects.filter(pk=agreement_id, dataset__in=datasets).first()
    if agreement is None:
        raise NotFound("no such agreement", field="agreement_id")
    return agreement


def consumer_agreements(*, actor: Actor) -> QuerySet[SharingAgreement]:
    """The agreements of the actor's organisation(s), as consumer."""
    return (
        SharingAgreement.objects.for_actor(actor, ExchangePermission.REQUEST_ACCESS)
        .select_related("dataset__schema", "area")
        .order_by("-requested_at", "-id")
    )
