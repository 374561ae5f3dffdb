"""The fast import path: the same records, counts, change log and readable personal data as the
plain one, on SQLite and on PostgreSQL (COPY and one upsert statement there)."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from crisisgov.exchange import writer
from crisisgov.exchange.models import Record, RecordChange
from crisisgov.exchange.records import RecordShaper, Sealer, ShapedRow, keyed_digest
from crisisgov.exchange.services import dataset_create
from crisisgov.exchange.tableschema import (
    InvalidCell,
    RowValidator,
    load_standard,
    standards,
)
from crisisgov.kernel import pii
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.fields import blind_index_of_kind
from tests.exchange_data import case_row, csv_bytes, run

ON_POSTGRES = connection.vendor == "postgresql"


def _changes(dataset) -> list[tuple[str, str]]:
    """The change log as (natural key, kind), in log order."""
    changes = RecordChange.objects.filter(dataset=dataset).select_related("record")
    return [(c.record.natural_key, c.kind) for c in changes.order_by("id")]


@pytest.fixture(params=["copy", "statements"])
def path(request, monkeypatch):
    """Each import test on both write paths (on SQLite both are statements)."""
    monkeypatch.setattr(writer, "COPY_FROM_ROWS", 1 if request.param == "copy" else 10**9)


def test_an_import_stores_decryptable_personal_data_and_the_directory_s_indexes(
    city, dataset, path
):
    row = case_row(1, city, name="张 三")
    job = run(dataset, csv_bytes([row, case_row(2, city)]))
    assert (job.status, job.rows_created) == ("done", 2)
    record = Record.objects.get(natural_key="R000001")  # the model field decrypts it
    assert json.loads(record.personal)["name"] == "张 三"
    assert record.id_index == blind_index_of_kind("national_id", row["national_id"])
    assert record.phone_index == blind_index_of_kind("phone", row["phone"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT personal FROM exchange_record WHERE id = %s", [record.pk])
        (raw,) = cursor.fetchone()
    assert raw.startswith(f"pii1:{pii.key_ring().current_id}:") and "张" not in raw


def test_re_import_is_unchanged_and_a_changed_row_is_updated_once(city, dataset, path):
    rows = [case_row(n, city) for n in range(1, 6)]
    first = run(dataset, csv_bytes(rows))
    again = run(dataset, csv_bytes(rows))
    assert (first.rows_created, again.rows_created, again.rows_unchanged) == (5, 0, 5)
    rows[2]["name"] = "病例三"  # personal data only: still a change of content
    rows[4]["case_type"] = "suspected"
    changed = run(dataset, csv_bytes(rows))
    assert (changed.rows_created, changed.rows_updated, changed.rows_unchanged) == (0, 2, 3)
    assert run(dataset, csv_bytes(rows)).rows_unchanged == 5
    created = [(f"R{n:06d}", "created") for n in range(1, 6)]
    assert _changes(dataset) == [*created, ("R000003", "updated"), ("R000005", "updated")]
    assert json.loads(Record.objects.get(natural_key="R000003").personal)["name"] == "病例三"


def test_a_change_of_case_or_spacing_is_a_change(city, dataset):
    run(dataset, csv_bytes([case_row(1, city, reporting_org="江岸区人民医院 A")]))
    job = run(dataset, csv_bytes([case_row(1, city, reporting_org="江岸区人民医院 a")]))
    assert job.rows_updated == 1


def test_a_late_encoding_error_refuses_the_file_from_the_reading_thread(city, dataset):
    data = csv_bytes([case_row(n, city) for n in range(1, 4)]) + b"R9,\xff\xfe\n"
    job = run(dataset, data)
    assert job.status == "refused" and "UTF-8" in job.problem


def _items(city, numbers, changes=None):
    shaper = RecordShaper(load_standard("case_report"))
    validator = RowValidator(load_standard("case_report"), unique_keys=False)
    items = []
    for n in numbers:
        record, errors = validator.validate(1, case_row(n, city, **(changes or {}).get(n, {})))
        assert not errors, errors
        parts = shaper.shape(record)
        items.append((ShapedRow(*_row(parts)), city.building_a.path))
    return items


def _row(parts):
    return (
        parts.natural_key,
        json.dumps(parts.data, ensure_ascii=False),
        json.dumps(parts.personal, ensure_ascii=False),
        parts.id_index,
        parts.phone_index,
        parts.content_hash,
        parts.area_code,
    )


def _stored(dataset) -> list[tuple]:
    return [
        (r.natural_key, r.data, json.loads(r.personal), r.id_index, r.content_hash, r.area_path)
        for r in Record.objects.filter(dataset=dataset).order_by("id")
    ]


@pytest.mark.skipif(not ON_POSTGRES, reason="COPY is PostgreSQL's")
def test_copy_and_plain_statements_store_the_same(city, dataset, monkeypatch):
    monkeypatch.setattr(writer, "COPY_FROM_ROWS", 1)
    other = dataset_create(
        actor=SYSTEM,
        owner_id=dataset.owner_id,
        schema_id=dataset.schema_id,
        name_zh="副本",
        name_en="copy",
        area_id=city.district_a.id,
    )
    provenance = writer.Provenance()
    counts = {}
    for target, upsert in ((dataset, "copy"), (other, "statements")):

        def write(items, target=target, upsert=upsert):
            if upsert == "copy":
                return writer.write_shaped(target.pk, items, provenance)
            stored = writer._stored_hashes(target.pk, [row.natural_key for row, _ in items])
            todo = [(r, p) for r, p in items if stored.get(r.natural_key) != r.content_hash]
            logged = writer._upsert_by_statements(target.pk, todo, stored, provenance)
            created = sum(1 for _, kind in logged if kind == "created")
            return writer.WriteResult(created, len(logged) - created, len(items) - len(logged))

        first = write(_items(city, [1, 2, 3]))
        second = write(_items(city, [4, 1, 2, 5, 3], {2: {"case_type": "suspected"}}))
        counts[upsert] = [(r.created, r.updated, r.unchanged) for r in (first, second)]
    assert counts["copy"] == counts["statements"] == [(3, 0, 0), (2, 1, 2)]
    assert _stored(dataset) == _stored(other)
    # Creations first, in the order given, then updates.
    created = [(f"R{n:06d}", "created") for n in range(1, 6)]
    assert _changes(dataset) == _changes(other) == [*created, ("R000002", "updated")]


def test_write_records_keeps_its_contract(city, dataset, path):
    shaper = RecordShaper(load_standard("case_report"))
    validator = RowValidator(load_standard("case_report"), unique_keys=False)
    first = shaper.shape(validator.validate(1, case_row(1, city))[0])
    last = shaper.shape(validator.validate(1, case_row(1, city, age="47"))[0])
    path = city.building_a.path
    result = writer.write_records(dataset, [(first, path), (last, path)], writer.Provenance())
    record = Record.objects.get()
    assert (result.created, result.record_ids) == (1, [record.pk, record.pk])
    assert record.data["age"] == 47 and len(result.change_ids) == 1
    again = writer.write_records(dataset, [(last, path)], writer.Provenance())
    assert (again.unchanged, again.change_ids, again.record_ids) == (1, [], [record.pk])


def test_shape_and_shape_values_agree_and_the_hash_is_over_sorted_json(city):
    schema = load_standard("case_report")
    shaper = RecordShaper(schema)
    record, _ = RowValidator(schema).validate(1, case_row(7, city, onset_date="2026-11-01"))
    parts = shaper.shape(dict(record))
    row = shaper.shape_values([record[name] for name in schema.field_names])
    assert _row(parts) == tuple(row)
    canonical = json.dumps([parts.data, parts.personal], sort_keys=True, ensure_ascii=False)
    assert f"[{row.data_json}, {row.personal_json}]" == canonical


@pytest.mark.parametrize("value", ["11010519491231002X", "13912345678", "张三", " 1３9-1234 5678x"])
def test_keyed_digest_is_the_kernel_s_blind_index(value):
    key = pii.key_ring().blind_index_key
    for context in ("blind-index.national_id", "exchange.natural_key"):
        assert keyed_digest(key, context, value) == pii.blind_index(value, context=context)


def test_the_sealer_writes_what_the_kernel_decrypts():
    sealed = Sealer("exchange.record.personal").seal('{"name": "张三"}')
    assert pii.decrypt(sealed, context="exchange.record.personal") == '{"name": "张三"}'
    with pytest.raises(pii.PIIKeyError):
        pii.decrypt(sealed, context="exchange.rejectedrow.raw")


# Cells that test every branch of some field's shortcut, joined by "|" to keep the list short.
_JOINED = (
    "| |  x  |0|1|-1|+5|151|150|1.5|1e3|NaN|true|是|否|２０２４-０１-０２|2024-01-02|2024/1/2|"
    "2024年1月2日|2024-02-30| 2024-01-02 |2024-01-02T10:00|2024-01-02 10:00:00+08:00|45000|"
    "1999|confirmed|mild |MILD|11010519491231002X|11010519491231002x|110105194912310021|"
    "4.20102E+17|13912345678|+86 139-1234-5678|12345|420102001001|420102001001001001001|A1|"
    "R-1_2.3|-R|12420000MB1234567X|12420000MB1234567I|NA|-"
)
_CELLS = [*_JOINED.split("|"), "a" * 51]


def test_the_text_shortcut_decides_as_the_generic_cleaner_does():
    for schema in standards(all_versions=True):
        validator = RowValidator(schema, unique_keys=False)
        for spec, clean in zip(schema.fields, validator._cleaners, strict=True):
            for cell in _CELLS:
                assert _outcome(clean, cell) == _outcome(clean.generic, cell), (spec.name, cell)


def _outcome(clean, cell):
    try:
        return "ok", clean(cell)
    except InvalidCell as invalid:
        return "invalid", invalid.reason
