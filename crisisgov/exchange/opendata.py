"""Open data: a dataset published as a CSV that anyone may download.

A dataset without personal fields (stock, sensor readings) publishes its records. A dataset
with personal fields never does: it publishes counts by the dimensions its owner chose (areas
rolled up to a level, non-personal fields such as the case type or the report date), and every
count below `SMALL_COUNT` is suppressed, so that no published cell points at a handful of
people. No totals are published beside the cells, so a suppressed cell cannot be recovered by
subtraction.

Every text cell written to a CSV goes through `csv_safe`: a value that a spreadsheet would
run as a formula (`=HYPERLINK(...)`) is escaped, never executed.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator

from django.core.cache import cache
from django.db import transaction
from django.db.models import Max

from crisisgov.exchange.models import Dataset, Record
from crisisgov.exchange.permissions import ExchangePermission
from crisisgov.exchange.selectors import dataset_managed
from crisisgov.exchange.tableschema import TableSchema
from crisisgov.geo.facade import PATH_DIGITS, Level, areas_for_paths
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import DomainError, NotFound

SMALL_COUNT = 10
SUPPRESSED = "<10"
AREA_DIMENSIONS = {
    "area:district": Level.DISTRICT,
    "area:street": Level.STREET,
    "area:community": Level.COMMUNITY,
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")


def csv_safe(value: object) -> object:
    """A cell as a spreadsheet may safely open it: text that starts like a formula gets a
    leading apostrophe (OWASP's advice); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """CSV text line by line (for a streaming response), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe(c) for c in header])
    yield "\ufeff" + buffer.getvalue()  # a BOM: Excel opens UTF-8 Chinese text correctly
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_safe(c) for c in row])
        yield buffer.getvalue()


def _schema(dataset: Dataset) -> TableSchema:
    return TableSchema.from_descriptor(dataset.schema.descriptor)


def allowed_dimensions(schema: TableSchema) -> list[str]:
    """What counts may be grouped by: area levels and the non-personal, non-area fields."""
    fields = [
        spec.name for spec in schema.fields if not spec.personal and spec.format != "area_code"
    ]
    return [*AREA_DIMENSIONS, *fields]


def dataset_publish(
    *, actor: Actor, dataset_id: int, open: bool, dimensions: list[str] | None = None
) -> Dataset:
    """The owner opens (or closes) a dataset. With personal fields, `dimensions` are required:
    only counts are published."""
    dataset = dataset_managed(actor=actor, dataset_id=dataset_id)
    schema = _schema(dataset)
    dimensions = list(dict.fromkeys(dimensions or []))
    allowed = allowed_dimensions(schema)
    unknown = [d for d in dimensions if d not in allowed]
    if unknown:
        raise DomainError(
            f"cannot group by {', '.join(unknown)}: choose from {', '.join(allowed)}",
            field="dimensions",
        )
    if open and schema.personal_fields and not dimensions:
        raise DomainError(
            "this dataset holds personal data: choose the dimensions its counts are published "
            "by; its records are never published",
            field="dimensions",
        )
    with transaction.atomic():
        dataset.open, dataset.open_dimensions = open, dimensions
        dataset.save(update_fields=["open", "open_dimensions"])
        audit_record(
            actor=actor,
            action="exchange.dataset_published" if open else "exchange.dataset_unpublished",
            permission=ExchangePermission.MANAGE_DATASET,
            target_type="exchange.dataset",
            target_id=dataset.pk,
            area_path=dataset.area_path,
            detail={"dimensions": dimensions},
        )
    return dataset


def open_dataset(dataset_id: int) -> Dataset:
    """A published dataset, for anyone; an unpublished one is no page (NotFound)."""
    dataset = Dataset.objects.select_related("schema").filter(pk=dataset_id, open=True).first()
    if dataset is None:
        raise NotFound("no such open dataset", field="dataset_id")
    return dataset


def open_table(dataset: Dataset) -> tuple[list[str], Iterable[list[object]]]:
    """The published table: records when nothing in it is personal, else suppressed counts."""
    schema = _schema(dataset)
    if not schema.personal_fields:
        names = list(schema.field_names)
        records = (
            Record.objects.filter(dataset=dataset)
            .order_by("natural_key")
            .values_list("data", flat=True)
            .iterator(chunk_size=2000)
        )
        return names, ([data.get(n) for n in names] for data in records)
    return open_counts(dataset)


def open_counts(dataset: Dataset) -> tuple[list[str], list[list[object]]]:
    """Counts by the published dimensions, small ones suppressed. Cached until records change."""
    last_change = dataset.changes.aggregate(last=Max("id"))["last"] or 0
    key = f"exchange:open:{dataset.pk}:{last_change}:{'|'.join(dataset.open_dimensions)}"
    table = cache.get(key)
    if table is None:
        table = _count(dataset, dataset.open_dimensions)
        cache.set(key, table, 3600)
    return table


def _count(dataset: Dataset, dimensions: list[str]) -> tuple[list[str], list[list[object]]]:
    counts: Counter[tuple] = Counter()
    rows = Record.objects.filter(dataset=dataset).values_list("area_path", "data")
    for area_path, data in rows.iterator(chunk_size=5000):
        counts[
            tuple(
                area_path[: PATH_DIGITS[AREA_DIMENSIONS[d]]]
                if d in AREA_DIMENSIONS
                else data.get(d)
                for d in dimensions
            )
        ] += 1
    areas = areas_for_paths(
        sorted({cell for k in counts for cell, d in zip(k, dimensions, strict=True)
                if d in AREA_DIMENSIONS})
    )  # fmt: skip
    header: list[str] = []
    for d in dimensions:
        if d in AREA_DIMENSIONS:
            level = d.split(":")[1]
            header += [f"{level}_code", f"{level}_name_zh", f"{level}_name_en"]
        else:
            header.append(d)
    header.append("count")
    table = []
    for k in sorted(counts, key=lambda k: tuple("" if c is None else str(c) for c in k)):
        row: list[object] = []
        for cell, d in zip(k, dimensions, strict=True):
            if d in AREA_DIMENSIONS:
                area = areas.get(cell)
                row += [area.code, area.name_zh, area.name_en] if area else [cell, "", ""]
            else:
                row.append(cell)
        n = counts[k]
        row.append(n if n >= SMALL_COUNT else SUPPRESSED)
        table.append(row)
    return header, table
