"""How a validated row becomes a stored record: natural key, personal part, indexes, hash.

Pure apart from the kernel's crypto helpers: the import writes what this module computes.
`RecordShaper.shape` serves one record (a form, a correction); `RecordShaper.shape_values`
serves an import, a row at a time, and gives the JSON texts the writer stores as they are.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crisisgov.exchange.tableschema import TableSchema
from crisisgov.kernel import pii

KEY_SEPARATOR = "|"
# The keyed content hash covers the record's exact JSON: a change of case or spacing is a
# change. (Version 1 hashed it through the blind-index normalisation, which ignored those.)
CONTENT_CONTEXT = b"exchange.content.v2\x00"
# json.dumps builds a new encoder on every call that passes options; build it once.
_to_json = json.JSONEncoder(ensure_ascii=False).encode


@dataclass(frozen=True)
class RecordParts:
    natural_key: str
    data: dict  # non-personal fields, JSON-ready
    personal: dict  # personal fields, JSON-ready (stored encrypted)
    id_index: str
    phone_index: str
    content_hash: str
    area_code: str | None


class ShapedRow(NamedTuple):
    """What an import stores for one row, the JSON already written out."""

    natural_key: str
    data_json: str
    personal_json: str  # plaintext: the writer encrypts it
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


def _isoformat(value: dt.date) -> str:
    return value.isoformat()


def keyed_digest(key: bytes, context: str, value: str) -> str:
    """`pii.blind_index(value, context=context)` with the key given: one HMAC call, and the
    normalisation skipped for the ASCII letters and digits that validated IDs and phones are."""
    # What normalise_for_index makes of ASCII letters and digits: the same, upper-cased.
    plain = value.isascii() and value.isalnum()
    text = value.upper() if plain else pii.normalise_for_index(value)
    return hmac.digest(key, f"{context}\x00{text}".encode(), "sha256").hex()[:40]


def content_hash(key: bytes, data_json: str, personal_json: str) -> str:
    """The keyed hash of a record's content (keyed, so a low-entropy record cannot be
    brute-forced), over the JSON text of `[data, personal]` with sorted keys."""
    canonical = f"[{data_json}, {personal_json}]".encode()
    return hmac.digest(key, CONTENT_CONTEXT + canonical, "sha256").hex()[:40]


class RecordShaper:
    """Compiled once per schema: splits each cleaned row into what the `Record` row stores."""

    def __init__(self, schema: TableSchema):
        names = schema.field_names
        self.names = names
        self.key_fields = schema.primary_key
        self.personal_fields = frozenset(schema.personal_fields)
        self.key_is_personal = bool(self.personal_fields & set(self.key_fields))
        by_format = {spec.format: spec.name for spec in schema.fields if spec.format}
        self.id_field = by_format.get("national_id")
        self.phone_field = by_format.get("phone")
        self.area_field = by_format.get("area_code")
        # Compiled for shape_values: positions in the schema's field order. Both parts list
        # their fields by name, so their JSON has sorted keys and is the canonical form as is.
        at = {name: i for i, name in enumerate(names)}
        data_names = sorted(n for n in names if n not in self.personal_fields)
        personal_names = sorted(self.personal_fields)
        self._data = (tuple(data_names), _getter([at[n] for n in data_names]))
        self._personal = (tuple(personal_names), _getter([at[n] for n in personal_names]))
        self._key_at = tuple(at[n] for n in self.key_fields)
        self._id_at = at.get(self.id_field or "")
        self._phone_at = at.get(self.phone_field or "")
        self._area_at = at.get(self.area_field or "")
        self._convert = tuple(
            (at[spec.name], str if spec.type == "number" else _isoformat)
            for spec in schema.fields
            if spec.type in ("number", "date", "datetime")
        )

    def shape(self, record: dict) -> RecordParts:
        """The parts of one cleaned record (keyed by field name)."""
        row, data, personal = self._shape([record.get(name) for name in self.names])
        return RecordParts(
            natural_key=row.natural_key,
            data=data,
            personal=personal,
            id_index=row.id_index,
            phone_index=row.phone_index,
            content_hash=row.content_hash,
            area_code=row.area_code,
        )

    def shape_values(self, values: list) -> ShapedRow:
        """The stored form of a row's cleaned values in the schema's field order (as
        `RowValidator.validate_cells` gives them; the list is changed in place)."""
        return self._shape(values)[0]

    def area_code(self, values: list) -> str | None:
        """The area code of a row's cleaned values in field order, if the schema has one."""
        area = values[self._area_at] if self._area_at is not None else None
        return str(area) if area else None

    def _shape(self, values: list) -> tuple[ShapedRow, dict, dict]:
        blind_key = pii.key_ring().blind_index_key
        for i, convert in self._convert:
            if values[i] is not None:
                values[i] = convert(values[i])
        data_names, data_values = self._data
        personal_names, personal_values = self._personal
        data = dict(zip(data_names, data_values(values), strict=True))
        personal = dict(zip(personal_names, personal_values(values), strict=True))
        data_json, personal_json = _to_json(data), _to_json(personal)
        key_at = self._key_at
        key = values[key_at[0]] if len(key_at) == 1 else None
        if type(key) is not str:
            key = KEY_SEPARATOR.join(str(values[i]) for i in key_at)
        if self.key_is_personal:
            # A key made of personal data is stored only as its keyed hash.
            key = keyed_digest(blind_key, "exchange.natural_key", key)
        national_id = values[self._id_at] if self._id_at is not None else None
        phone = values[self._phone_at] if self._phone_at is not None else None
        row = ShapedRow(
            key,
            data_json,
            personal_json,
            keyed_digest(blind_key, "blind-index.national_id", national_id) if national_id else "",
            keyed_digest(blind_key, "blind-index.phone", phone) if phone else "",
            content_hash(blind_key, data_json, personal_json),
            self.area_code(values),
        )
        return row, data, personal


def _getter(positions: list[int]) -> itemgetter:
    """Values at `positions` as a tuple, whatever their number."""
    if len(positions) == 1:
        return lambda values, i=positions[0]: (values[i],)  # type: ignore[return-value]
    if not positions:
        return lambda values: ()  # type: ignore[return-value]
    return itemgetter(*positions)


class Sealer:
    """Encrypts many values for one column as `pii.encrypt` does, one key schedule for all:
    the same `pii1:<key id>:<base64url(nonce | ciphertext | tag)>` text and associated data,
    so the model field decrypts it."""

    def __init__(self, context: str, ring: pii.KeyRing | None = None) -> None:
        ring = ring or pii.key_ring()
        self._aead = AESGCM(ring.key(ring.current_id))
        self._aad = context.encode()
        self._prefix = f"{pii.PREFIX}:{ring.current_id}:"

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(pii.NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), self._aad)
        return self._prefix + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
