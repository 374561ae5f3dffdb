"""What other apps may use of the exchange."""

from crisisgov.exchange.permissions import ExchangePermission

__all__ = ["ExchangePermission"]


def standards_sync() -> list:
    from crisisgov.exchange.services import standards_sync as sync

    return sync()


def schema_version_id(name: str) -> int | None:
    """The newest published version of a standard, by name."""
    from crisisgov.exchange.models import SchemaVersion

    versions = list(SchemaVersion.objects.filter(name=name))
    newest = max(versions, key=lambda v: tuple(map(int, v.version.split("."))), default=None)
    return newest.pk if newest else None


def dataset_create(**kwargs: object) -> int:
    from crisisgov.exchange.services import dataset_create as create

    return create(**kwargs).pk  # type: ignore[arg-type]


def dataset_ids_named(name_en: str) -> list[int]:
    from crisisgov.exchange.models import Dataset

    return list(Dataset.objects.filter(name_en=name_en).values_list("pk", flat=True))


def import_file(*, actor: object, dataset_id: int, path: str, mode: str = "accept_valid") -> dict:
    """Import a file now (not in the background); returns the job's counts."""
    from pathlib import Path

    from crisisgov.exchange.imports import import_create, import_run

    with Path(path).open("rb") as upload:
        job = import_create(
            actor=actor,
            dataset_id=dataset_id,
            upload=upload,
            filename=Path(path).name,
            mode=mode,  # type: ignore[arg-type]
        )
    job = import_run(job_id=job.pk)
    return {"status": job.status, "created": job.rows_created, "rejected": job.rows_rejected}


def agreement_ensure(
    *,
    dataset_id: int,
    consumer_id: int,
    fields: list[str],
    purpose: str,
    legal_basis: str,
    days: int,
    approve: bool | None,
) -> int:
    """For drills: a sharing agreement asked for on the consumer's behalf (system actor), then
    approved, refused or (None) left pending. Returns its id."""
    import datetime as dt

    from django.utils import timezone

    from crisisgov.exchange.agreements import agreement_decide, agreement_request
    from crisisgov.exchange.models import Dataset
    from crisisgov.kernel.actor import SYSTEM

    dataset = Dataset.objects.get(pk=dataset_id)
    agreement = agreement_request(
        actor=SYSTEM,
        dataset_id=dataset_id,
        consumer_id=consumer_id,
        fields=fields,
        purpose=purpose,
        legal_basis=legal_basis,
        area_id=dataset.area_id,
        valid_until=timezone.now() + dt.timedelta(days=days),
    )
    if approve is not None:
        agreement_decide(actor=SYSTEM, agreement_id=agreement.pk, approve=approve, reason="drill")
    return agreement.pk


def dataset_publish(*, dataset_id: int, dimensions: list[str]) -> None:
    """For drills: publish a dataset as open data (system actor)."""
    from crisisgov.exchange.opendata import dataset_publish as publish
    from crisisgov.kernel.actor import SYSTEM

    publish(actor=SYSTEM, dataset_id=dataset_id, open=True, dimensions=dimensions)


def case_report_counts(*, under: str = "") -> list[tuple[str, str, str, int]]:
    """Unscoped, for the early-warning series: (community path, report_date, case_type, count)
    of the case-report records of every dataset, in one GROUP BY. Records filed at an area
    above a community cannot be placed in one and are left out; so are those without a
    report date."""
    from django.db.models import Count
    from django.db.models.fields.json import KT
    from django.db.models.functions import Length, Substr

    from crisisgov.exchange.models import Record
    from crisisgov.geo.facade import PATH_DIGITS, Level

    digits = PATH_DIGITS[Level.COMMUNITY]
    records = Record.objects.filter(dataset__schema__name="case_report")
    if under:
        records = records.filter(area_path__under=under)
    rows = (
        records.annotate(
            depth=Length("area_path"),
            community=Substr("area_path", 1, digits),
            day=KT("data__report_date"),
            kind=KT("data__case_type"),
        )
        .filter(depth__gte=digits, day__isnull=False)
        .values_list("community", "day", "kind")
        .annotate(count=Count("id"))
        .order_by()
    )
    # (An empty report date is dropped here: comparing a JSON text with "" in SQL is not
    # portable to SQLite.)
    return [(community, day, kind, count) for community, day, kind, count in rows if day]


def dataset_standard_and_area(dataset_id: int) -> tuple[str, str] | None:
    """Unscoped: (standard name, area path) of a dataset, for outbox handlers of other apps."""
    from crisisgov.exchange.models import Dataset

    row = Dataset.objects.filter(pk=dataset_id).values_list("schema__name", "area_path").first()
    return (row[0], row[1]) if row else None
