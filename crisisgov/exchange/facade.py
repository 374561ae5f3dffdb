"""What other apps may use of the exchange."""

from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True)
class EvidenceRecord:
    """A record about a person as health-status rules read it: no personal fields."""

    standard: str
    record_id: int
    id_index: str
    phone_index: str
    area_path: str
    data: dict
    created_at: datetime
    updated_at: datetime


def health_evidence(
    *, standards: list[str], id_indexes: list[str], phone_indexes: dict[str, list[str]]
) -> list[EvidenceRecord]:
    """Unscoped, for health-status rules: records of `standards` whose ID-number blind index is
    in `id_indexes`, plus records of the standards keyed in `phone_indexes` ({standard: phone
    blind indexes}, for records that carry only a phone, such as venue check-ins)."""
    from django.db.models import Q

    from crisisgov.exchange.models import Record

    def chunks(values: list[str]) -> list[list[str]]:
        unique = sorted({v for v in values if v})
        return [unique[i : i + 500] for i in range(0, len(unique), 500)]

    queries = [
        Q(dataset__schema__name__in=standards, id_index__in=chunk) for chunk in chunks(id_indexes)
    ]
    for standard, phones in phone_indexes.items():
        queries += [
            Q(dataset__schema__name=standard, phone_index__in=chunk) for chunk in chunks(phones)
        ]
    found: dict[int, EvidenceRecord] = {}
    for query in queries:
        rows = Record.objects.filter(query).values_list(
            "id",
            "dataset__schema__name",
            "id_index",
            "phone_index",
            "area_path",
            "data",
            "created_at",
            "updated_at",
        )
        for row in rows:
            found[row[0]] = EvidenceRecord(row[1], row[0], *row[2:])
    return sorted(found.values(), key=lambda r: r.record_id)


def changed_record_indexes(
    *, dataset_id: int, first_change: int, last_change: int
) -> tuple[str, list[str], list[str]]:
    """Unscoped, for outbox handlers: (standard, ID-number blind indexes, phone blind indexes)
    of the records an `exchange.records_changed` event names."""
    from crisisgov.exchange.models import RecordChange

    standard = dataset_standard_and_area(dataset_id)
    rows = RecordChange.objects.filter(
        dataset_id=dataset_id, id__gte=first_change, id__lte=last_change
    ).values_list("record__id_index", "record__phone_index")
    ids = sorted({i for i, _ in rows if i})
    phones = sorted({p for _, p in rows if p})
    return (standard[0] if standard else "", ids, phones)


def dataset_standard_and_area(dataset_id: int) -> tuple[str, str] | None:
    """Unscoped: (standard name, area path) of a dataset, for outbox handlers of other apps."""
    from crisisgov.exchange.models import Dataset

    row = Dataset.objects.filter(pk=dataset_id).values_list("schema__name", "area_path").first()
    return (row[0], row[1]) if row else None


def small_count_rule() -> tuple[int, str]:
    """(threshold, label) of the open-data rule: a count from 1 to threshold - 1 is never
    published as such but as the label ("<10"). The citizen bulletins use the same rule."""
    from crisisgov.exchange.opendata import SMALL_COUNT, SUPPRESSED

    return SMALL_COUNT, SUPPRESSED
