"""CSV exports of social media: each good row becomes a message (channel `social`) of the
named source; each bad row is reported by its row number and column, and the good rows are
kept. Importing the same file again stores nothing twice: (source, id) is stored once.

Columns: `id` and `text` (required), `posted_at` (ISO 8601), `area_code`, `lon`, `lat`.
The encoding is detected: UTF-8 (with or without a BOM), else what charset-normalizer finds,
GBK and GB2312 being read as their superset GB18030.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field

import charset_normalizer
from django.utils.dateparse import parse_datetime

from crisisgov.geo.facade import areas_for_paths
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import DomainError, NotFound
from crisisgov.opinion.intake import Unprocessable, message_receive
from crisisgov.opinion.models import Channel, Source
from crisisgov.opinion.permissions import OpinionPermission

P = OpinionPermission.IMPORT_MESSAGES
MAX_BYTES = 20_000_000
MAX_ROWS = 100_000
REQUIRED = ("id", "text")
_CHINESE = {"gbk", "gb2312", "gb18030", "hz", "cp936"}


@dataclass
class RowError:
    row: int  # the line of the file (the header is row 1)
    column: str
    message: str


@dataclass
class ImportResult:
    source: str
    encoding: str
    created: int = 0
    unchanged: int = 0  # already imported (same source and id)
    errors: list[RowError] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of a CSV file's bytes, or DomainError naming the file."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    guess = charset_normalizer.from_bytes(data).best()
    encoding = codecs.lookup(guess.encoding).name if guess is not None else ""
    if encoding in _CHINESE or not encoding:
        encoding = "gb18030"  # GBK's superset: a GBK export always reads
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        raise DomainError(
            "the file's encoding is not recognised (not UTF-8 or GBK/GB18030): save it as UTF-8",
            field="file",
            code="unknown_encoding",
        ) from None


def source_for_import(*, actor: Actor, name: str, area_id: int | None = None) -> Source:
    """The named social-media source inside the actor's areas; a new name is created at
    `area_id` (the actor's area when not given)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Unprocessable("name the source (1-100 characters)", field="source")
    source = Source.objects.filter(name=name).first()
    if source is not None:
        if source.channel != Channel.SOCIAL or not actor.can_at(P, source.area_path):
            raise NotFound("no social-media source of this name in your areas", field="source")
        if not source.active:
            raise DomainError("this source is deactivated", field="source", code="inactive")
        return source
    from crisisgov.geo.facade import area_for_actor

    if area_id is None:
        scope = actor.scopes_for(P)[0] if actor.scopes_for(P) else None
        if scope is None and not actor.is_system:
            raise NotFound("no social-media source of this name in your areas", field="source")
        area = areas_for_paths([scope.area_path]).get(scope.area_path) if scope else None
        if area is None:
            from crisisgov.opinion.intake import default_area

            area = default_area()
        if area is None:
            raise Unprocessable("name the area of the new source", field="area")
    else:
        area = area_for_actor(actor=actor, area_id=area_id, action=P)
    source = Source.objects.create(
        name=name, channel=Channel.SOCIAL, area_id=area.id, area_path=area.path
    )
    audit_record(
        actor=actor,
        action="opinion.source_created",
        permission=P,
        target_type="opinion.source",
        target_id=source.pk,
        area_path=source.area_path,
        detail={"name": name, "channel": Channel.SOCIAL},
    )
    return source


def messages_import_csv(*, actor: Actor, source: Source, data: bytes) -> ImportResult:
    """Import a CSV export into `source` (see the module's docstring)."""
    if not actor.can_at(P, source.area_path):
        raise NotFound("no social-media source of this name in your areas", field="source")
    if len(data) > MAX_BYTES:
        raise DomainError("the file is larger than 20 MB: split it", field="file", code="too_large")
    if not data.strip():
        raise Unprocessable("the file is empty", field="file")
    text, encoding = decode(data)
    result = ImportResult(source=source.name, encoding=encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise Unprocessable("the file is empty", field="file") from None
    except csv.Error as exc:
        raise Unprocessable(f"row 1: {exc}", field="file") from None
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise Unprocessable(f"row 1: the column {missing[0]} is missing", field=missing[0])
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.errors.append(RowError(reader.line_num, "", str(exc)))
            continue
        row_number = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if row_number > MAX_ROWS + 1:
            result.errors.append(RowError(row_number, "", f"more than {MAX_ROWS} rows: not read"))
            break
        row = dict(zip(header, cells, strict=False))
        try:
            received = _row(source, row)
        except DomainError as exc:
            result.errors.append(RowError(row_number, exc.field or "", exc.message))
            continue
        result.message_ids.append(received.message.pk)
        if received.created:
            result.created += 1
        else:
            result.unchanged += 1
    audit_record(
        actor=actor,
        action="opinion.messages_imported",
        permission=P,
        target_type="opinion.source",
        target_id=source.pk,
        area_path=source.area_path,
        detail={
            "encoding": encoding,
            "created": result.created,
            "unchanged": result.unchanged,
            "rejected": len(result.errors),
        },
    )
    return result


def _row(source: Source, row: dict[str, str]):  # type: ignore[no-untyped-def]
    external_id = (row.get("id") or "").strip()
    if not external_id:
        raise Unprocessable("the id is empty", field="id")
    posted_at = None
    if (row.get("posted_at") or "").strip():
        posted_at = parse_datetime(row["posted_at"].strip())
        if posted_at is None:
            raise Unprocessable("not an ISO 8601 date and time", field="posted_at")
    lon = _number(row, "lon")
    lat = _number(row, "lat")
    return message_receive(
        channel=Channel.SOCIAL,
        text=row.get("text") or "",
        posted_at=posted_at,
        source=source,
        external_id=external_id,
        area_code=(row.get("area_code") or "").strip(),
        lon=lon,
        lat=lat,
    )


def _number(row: dict[str, str], name: str) -> float | None:
    value = (row.get(name) or "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise Unprocessable("not a number", field=name) from None
