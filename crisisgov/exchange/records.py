"""How a validated row becomes a stored record: natural key, personal part, indexes, hash.

Pure apart from the kernel's crypto helpers: the import writes what this module computes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from crisisgov.exchange.tableschema import TableSchema
from crisisgov.kernel import pii
from crisisgov.kernel.fields import blind_index_of_kind

KEY_SEPARATOR = "|"


@dataclass(frozen=True)
class RecordParts:
    natural_key: str
    data: dict  # non-personal fields, JSON-ready
    personal: dict  # personal fields, JSON-ready (stored encrypted)
    id_index: str
    phone_index: str
    content_hash: str
    area_code: str | None


def jsonable(value: object) -> object:
    """A cleaned cell as JSON keeps it: dates as ISO text, exact numbers as text."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class RecordShaper:
    """Compiled once per schema: splits each cleaned row into what the `Record` row stores."""

    def __init__(self, schema: TableSchema):
        self.key_fields = schema.primary_key
        self.personal_fields = frozenset(schema.personal_fields)
        self.key_is_personal = bool(self.personal_fields & set(self.key_fields))
        by_format = {spec.format: spec.name for spec in schema.fields if spec.format}
        self.id_field = by_format.get("national_id")
        self.phone_field = by_format.get("phone")
        self.area_field = by_format.get("area_code")

    def shape(self, record: dict) -> RecordParts:
        data, personal = {}, {}
        for name, value in record.items():
            (personal if name in self.personal_fields else data)[name] = jsonable(value)
        key = KEY_SEPARATOR.join(str(jsonable(record[name])) for name in self.key_fields)
        if self.key_is_personal:
            # A key made of personal data is stored only as its keyed hash.
            key = pii.blind_index(key, context="exchange.natural_key")
        canonical = json.dumps([data, personal], sort_keys=True, ensure_ascii=False)
        national_id = record.get(self.id_field) if self.id_field else None
        phone = record.get(self.phone_field) if self.phone_field else None
        return RecordParts(
            natural_key=key,
            data=data,
            personal=personal,
            id_index=blind_index_of_kind("national_id", national_id) if national_id else "",
            phone_index=blind_index_of_kind("phone", phone) if phone else "",
            # Keyed, so that the hash of a low-entropy record cannot be brute-forced.
            content_hash=pii.blind_index(canonical, context="exchange.content"),
            area_code=str(record[self.area_field])
            if self.area_field and record.get(self.area_field)
            else None,
        )
