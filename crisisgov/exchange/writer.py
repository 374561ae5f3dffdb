"""The one way records enter a dataset: created, updated or left as they are, each change logged.

Imports, entry forms and corrected rows all come through here, so that every source gets the
same natural-key matching, the same change log and the same delivery to subscribers
(`publish_changes`, called once the caller's transaction holds its changes). Forms and
corrections call `write_records` with `RecordParts`; an import calls `write_shaped` with rows
already written out as JSON, a batch at a time.

Measured on a million-row import, Django model instances and per-row SQL cost most of the time,
so rows go to the database as plain values: on PostgreSQL by COPY into a staging table and one
upsert statement that also appends the change log; on SQLite by prepared statements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from crisisgov.exchange.models import Dataset, Record, RecordChange, RecordSource
from crisisgov.exchange.records import RecordParts, Sealer, ShapedRow
from crisisgov.kernel.outbox import outbox_publish

# The columns an import fills, in the staging table's order.
_COLUMNS = ("natural_key", "data", "personal", "id_index", "phone_index", "content_hash")
_LOOKUP_CHUNK = 900  # keys per IN (...) on SQLite, under its limit of bound variables
# A form's one row does not need a staging table (DDL on a fresh connection): from this many
# rows on, PostgreSQL gets COPY and the one-statement upsert.
COPY_FROM_ROWS = 100


@dataclass(frozen=True)
class Provenance:
    """Where records came from: an import job, or a person through a form or a correction."""

    source: str = RecordSource.IMPORT
    source_import_id: int | None = None
    submitted_by_id: int | None = None


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    change_ids: list[int] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)  # in the order of the items given


def write_records(
    dataset: Dataset, items: list[tuple[RecordParts, str]], provenance: Provenance
) -> WriteResult:
    """Store (parts, area path) items in the caller's transaction. A key given twice in one
    call is written once, with the last content."""
    shaped = [
        (
            ShapedRow(
                parts.natural_key,
                json.dumps(parts.data, ensure_ascii=False),
                json.dumps(parts.personal, ensure_ascii=False),
                parts.id_index,
                parts.phone_index,
                parts.content_hash,
                parts.area_code,
            ),
            path,
        )
        for parts, path in items
    ]
    return write_shaped(dataset.pk, shaped, provenance, record_ids=True)


def write_shaped(
    dataset_id: int,
    items: list[tuple[ShapedRow, str]],
    provenance: Provenance,
    *,
    record_ids: bool = False,
) -> WriteResult:
    """Store (shaped row, area path) items in the caller's transaction: records whose key is
    new are created, those whose content hash differs are updated, the rest left alone; each
    creation and update is logged, creations first, each in the order given. `record_ids`
    also looks up every item's record id."""
    latest: dict[str, tuple[ShapedRow, str]] = {}
    for item in items:  # a key given twice keeps its first place and its last content
        latest[item[0].natural_key] = item
    if connection.vendor == "postgresql" and len(latest) >= COPY_FROM_ROWS:
        # The upsert finds existing keys itself (the same index lookup a query first would do).
        logged = _upsert_by_copy(dataset_id, list(latest.values()), provenance)
    else:
        stored = _stored_hashes(dataset_id, list(latest))
        todo = [item for key, item in latest.items() if stored.get(key) != item[0].content_hash]
        logged = _upsert_by_statements(dataset_id, todo, stored, provenance) if todo else []
    result = WriteResult(change_ids=[change_id for change_id, _ in logged])
    result.created = sum(1 for _, kind in logged if kind == "created")
    result.updated = len(logged) - result.created
    result.unchanged = len(latest) - len(logged)
    if record_ids:
        ids = _record_ids(dataset_id, list(latest))
        result.record_ids = [ids[row.natural_key] for row, _ in items]
    return result


def publish_changes(dataset_id: int, change_ids: list[int]) -> None:
    """Tell subscribers (through the outbox, in the caller's transaction) that records changed."""
    if change_ids:
        outbox_publish(
            topic="exchange.records_changed",
            payload={
                "dataset_id": dataset_id,
                "first_change": min(change_ids),
                "last_change": max(change_ids),
            },
        )


def _chunks(keys: list[str]) -> list[list[str]]:
    return [keys[i : i + _LOOKUP_CHUNK] for i in range(0, len(keys), _LOOKUP_CHUNK)]


def _stored_hashes(dataset_id: int, keys: list[str]) -> dict[str, str]:
    """natural key -> content hash of the records that exist already."""
    found: dict[str, str] = {}
    for chunk in _chunks(keys):
        found.update(
            Record.objects.filter(dataset_id=dataset_id, natural_key__in=chunk).values_list(
                "natural_key", "content_hash"
            )
        )
    return found


def _record_ids(dataset_id: int, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(keys):
        found.update(
            Record.objects.filter(dataset_id=dataset_id, natural_key__in=chunk).values_list(
                "natural_key", "id"
            )
        )
    return found


def _sealer() -> Sealer:
    field = Record._meta.get_field("personal")
    return Sealer(field.crypto_context)  # type: ignore[attr-defined]


_STAGE = "exchange_record_stage"
_STAGE_DDL = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} (
    ord integer, natural_key text, data text, personal text, id_index text,
    phone_index text, content_hash text, area_path text
) ON COMMIT DELETE ROWS
"""
# One statement: insert the new keys, update the changed ones (ON CONFLICT ... WHERE the hash
# differs: an identical row is not touched), and log each in the order the import gave them.
# xmax = 0 tells a row this statement inserted from one it updated.
_UPSERT = f"""
WITH upserted AS (
    INSERT INTO exchange_record AS r (
        dataset_id, natural_key, data, personal, id_index, phone_index, content_hash,
        area_path, source, source_import_id, submitted_by_id, created_at, updated_at
    )
    SELECT %(dataset)s, s.natural_key, s.data::jsonb, s.personal, s.id_index, s.phone_index,
        s.content_hash, s.area_path, %(source)s, %(import)s, %(by)s, %(now)s, %(now)s
    FROM {_STAGE} s ORDER BY s.ord
    ON CONFLICT (dataset_id, natural_key) DO UPDATE SET
        data = EXCLUDED.data, personal = EXCLUDED.personal, id_index = EXCLUDED.id_index,
        phone_index = EXCLUDED.phone_index, content_hash = EXCLUDED.content_hash,
        area_path = EXCLUDED.area_path, source = EXCLUDED.source,
        source_import_id = EXCLUDED.source_import_id,
        submitted_by_id = EXCLUDED.submitted_by_id, updated_at = EXCLUDED.updated_at
    WHERE r.content_hash <> EXCLUDED.content_hash
    RETURNING r.id, r.natural_key, r.xmax = 0 AS created
), logged AS (
    INSERT INTO exchange_recordchange (dataset_id, record_id, kind, at)
    SELECT %(dataset)s, u.id, CASE WHEN u.created THEN 'created' ELSE 'updated' END, %(now)s
    FROM upserted u JOIN {_STAGE} s ON s.natural_key = u.natural_key
    ORDER BY u.created DESC, s.ord
    RETURNING id, kind
)
SELECT id, kind FROM logged ORDER BY id
"""  # noqa: S608 (fixed table names)


def _upsert_by_copy(
    dataset_id: int, items: list[tuple[ShapedRow, str]], provenance: Provenance
) -> list[tuple[int, str]]:
    seal = _sealer().seal
    with connection.cursor() as cursor:
        cursor.execute(_STAGE_DDL)
        cursor.execute(f"TRUNCATE {_STAGE}")  # a batch earlier in this transaction
        columns = ", ".join(("ord", *_COLUMNS, "area_path"))
        with cursor.copy(f"COPY {_STAGE} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for ord_, (row, path) in enumerate(items):
                write(
                    (
                        ord_,
                        row.natural_key,
                        row.data_json,
                        seal(row.personal_json),
                        row.id_index,
                        row.phone_index,
                        row.content_hash,
                        path,
                    )
                )
        cursor.execute(
            _UPSERT,
            {
                "dataset": dataset_id,
                "source": provenance.source,
                "import": provenance.source_import_id,
                "by": provenance.submitted_by_id,
                "now": timezone.now(),
            },
        )
        return cursor.fetchall()


def _upsert_by_statements(
    dataset_id: int,
    items: list[tuple[ShapedRow, str]],
    stored: dict[str, str],
    provenance: Provenance,
) -> list[tuple[int, str]]:
    """The same as the upsert, as prepared statements, for SQLite and for a few rows. As with
    any read-then-write, a key another connection adds in between makes this fail (a unique
    key or a busy database), never write twice."""
    seal = _sealer().seal
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    source = (provenance.source, provenance.source_import_id, provenance.submitted_by_id)
    new, changed = [], []
    for row, path in items:
        values = (row.data_json, seal(row.personal_json), row.id_index, row.phone_index)
        values += (row.content_hash, path, *source, now)
        if row.natural_key in stored:
            changed.append((*values, dataset_id, row.natural_key))
        else:
            new.append((dataset_id, row.natural_key, *values, now))
    record, change = Record._meta.db_table, RecordChange._meta.db_table
    settings = "data, personal, id_index, phone_index, content_hash, area_path, source, "
    settings += "source_import_id, submitted_by_id, updated_at"
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {record} (dataset_id, natural_key, {settings}, created_at) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * 13)})",
            new,
        )
        assignments = ", ".join(f"{name.strip()} = %s" for name in settings.split(","))
        cursor.executemany(
            f"UPDATE {record} SET {assignments} "  # noqa: S608
            "WHERE dataset_id = %s AND natural_key = %s",
            changed,
        )
        ids = _record_ids(dataset_id, [row[1] for row in new] + [row[-1] for row in changed])
        kinds = [(row[1], "created") for row in new] + [(row[-1], "updated") for row in changed]
        logged: list[tuple[int, str]] = []
        for start in range(0, len(kinds), 200):  # RETURNING needs one statement, not many
            part = kinds[start : start + 200]
            cursor.execute(
                f"INSERT INTO {change} (dataset_id, record_id, kind, at) VALUES "  # noqa: S608
                + ", ".join(["(%s, %s, %s, %s)"] * len(part))
                + " RETURNING id, kind",
                [v for key, kind in part for v in (dataset_id, ids[key], kind, now)],
            )
            logged += sorted(cursor.fetchall())
    return logged
