"""Collect-once entry forms: every standard gets a generated form, and what is typed into it
lands in the owning dataset exactly as an imported row would.

`build_form` turns a `TableSchema` into a form description (one input per field, in schema
order) that the page renders. `record_submit` checks a submission with the same
`RowValidator` and area rules as imports, then stores it through `writer.write_records`, so a
record entered by a grid worker reaches every subscriber like an imported one.

Who may submit: the dataset's managers (`exchange.manage_dataset`) anywhere in its area, and
holders of `exchange.submit_records` (grid workers) for records inside their own area, into any
dataset whose area overlaps theirs (a grid worker reports into the district's datasets).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from crisisgov.exchange.cells import mask
from crisisgov.exchange.models import Dataset, Record, RecordSource
from crisisgov.exchange.permissions import ExchangePermission
from crisisgov.exchange.records import RecordParts, RecordShaper
from crisisgov.exchange.tableschema import REQUIRED, FieldSpec, RowValidator, TableSchema
from crisisgov.exchange.writer import Provenance, publish_changes, write_records
from crisisgov.geo.facade import (
    AreaInfo,
    Level,
    area_id_for_code,
    area_info,
    area_paths_for_codes,
    areas_at_level,
)
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import DomainError, NotFound

AREA_CHOICES_MAX = 300  # more than this is no usable select on a phone: a text input instead
AREA_LEVELS = (Level.COMMUNITY, Level.GRID, Level.RESIDENTIAL_AREA, Level.BUILDING)
MAX_VALUE_LENGTH = 10_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Client-side hints only; the server's parser (cells.parse_phone) decides.
PHONE_PATTERN = (
    r"(\+86|0086)?[ \-]?"
    r"(1[3-9][0-9][ \-]?[0-9]{4}[ \-]?[0-9]{4}|0[1-9][0-9]{1,2}[ \-]?[0-9]{7,8})"
)
NATIONAL_ID_PATTERN = "[0-9]{17}[0-9Xx]"
AREA_CODE_PATTERN = "[0-9]{12,21}"
OUTSIDE_DATASET = "no such area, or outside the dataset's area"  # the import's own words
OUTSIDE_OWN_AREA = "outside the area you may report for"
OTHER_AREAS_RECORD = "this record was entered for another area: ask the dataset's owner"


# --- The form description -----------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    """One input of an entry form. `widget` is an <input> type, "select" or "textarea"."""

    name: str
    label: str
    help: str
    widget: str
    required: bool
    attrs: dict[str, str] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    personal: bool = False
    sticky: bool = False  # kept for the next record after a submission (area, report dates)


def _zh(language: str | None) -> bool:
    return (language or get_language() or "").lower().startswith("zh")


def _html_pattern(pattern: str) -> str | None:
    """A standard's regular expression as an HTML `pattern`, or None when browsers would read it
    differently. Browsers compile patterns with the `v` flag, where a `-` at the edge of a
    character class must be escaped."""
    if "(?" in pattern or "\\A" in pattern or "\\Z" in pattern:
        return None
    return pattern.replace("-]", "\\-]").replace("[-", "[\\-")


def _enum_values(schema: TableSchema, spec: FieldSpec) -> list[str]:
    """The allowed values in the order the standard lists them (FieldSpec keeps a set)."""
    for raw in schema.to_descriptor()["fields"]:
        if raw["name"] == spec.name:
            return [str(v) for v in raw.get("constraints", {}).get("enum", [])]
    return sorted(str(v) for v in spec.enum or ())


def _word(values: tuple[str, ...], preferred: tuple[str, ...]) -> str:
    return next((v for v in preferred if v in values), values[0] if values else preferred[-1])


def _bound(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _form_field(
    schema: TableSchema, spec: FieldSpec, zh: bool, areas: list[Choice] | None
) -> FormField:
    label = (spec.title_zh or spec.title) if zh else (spec.title or spec.title_zh)
    attrs: dict[str, str] = {}
    choices: tuple[Choice, ...] = ()
    widget = "text"
    if spec.enum is not None:
        widget = "select"
        choices = tuple(Choice(v, v) for v in _enum_values(schema, spec))
    elif spec.type == "boolean":
        widget = "select"
        choices = (
            Choice(_word(spec.true_values, ("是", "true")), _("yes")),
            Choice(_word(spec.false_values, ("否", "false")), _("no")),
        )
    elif spec.type in ("integer", "number", "year"):
        widget = "number"
        attrs["step"] = "any" if spec.type == "number" else "1"
        attrs["inputmode"] = "decimal" if spec.type == "number" else "numeric"
    elif spec.type == "date":
        widget = "date"
    elif spec.type == "datetime":
        widget = "datetime-local"
        attrs["step"] = "1"
    elif spec.format == "national_id":
        attrs.update(inputmode="numeric", maxlength="18", pattern=NATIONAL_ID_PATTERN)
    elif spec.format == "phone":
        widget = "tel"
        attrs.update(inputmode="tel", maxlength="20", pattern=PHONE_PATTERN)
    elif spec.format == "area_code":
        if areas is not None:
            widget, choices = "select", tuple(areas)
        else:
            attrs.update(inputmode="numeric", maxlength="21", pattern=AREA_CODE_PATTERN)
    elif spec.max_length is not None and spec.max_length > 200:
        widget = "textarea"
    if spec.type in ("integer", "number", "year", "date"):
        if spec.minimum is not None:
            attrs["min"] = _bound(spec.minimum)
        if spec.maximum is not None:
            attrs["max"] = _bound(spec.maximum)
    if spec.type == "string" and widget not in ("select",):
        if spec.max_length is not None and "maxlength" not in attrs:
            attrs["maxlength"] = str(spec.max_length)
        if spec.min_length:
            attrs["minlength"] = str(spec.min_length)
        if spec.pattern and (html := _html_pattern(spec.pattern)):
            attrs["pattern"] = html
    if spec.personal:
        attrs["autocomplete"] = "off"  # a shared phone must not offer the last resident's ID
    sticky = spec.format == "area_code" or (
        spec.type in ("date", "datetime") and spec.required and not spec.personal
    )
    return FormField(
        name=spec.name,
        label=label or spec.name,
        help=spec.description,
        widget=widget,
        required=spec.required,
        attrs=attrs,
        choices=choices,
        personal=spec.personal,
        sticky=sticky,
    )


def build_form(
    schema: TableSchema, *, areas: list[Choice] | None = None, language: str | None = None
) -> tuple[FormField, ...]:
    """The entry form of a standard: one field per column, in the standard's order.

    `areas` are the choices of an area-code field (None: too many, a text input instead)."""
    zh = _zh(language)
    return tuple(_form_field(schema, spec, zh, areas) for spec in schema.fields)


def areas_of_paths(paths: tuple[str, ...]) -> list[AreaInfo]:
    """The areas at these paths (a path is its area's code cut to its level's digits)."""
    found = []
    for path in dict.fromkeys(paths):
        area_id = area_id_for_code(path.ljust(12, "0"))
        info = area_info(area_id) if area_id is not None else None
        if info is not None:
            found.append(info)
    return found


def area_choices(
    base: list[AreaInfo], *, language: str | None = None, limit: int = AREA_CHOICES_MAX
) -> list[Choice] | None:
    """The areas a record may be entered for: each base area (when it is a community or
    below) and its communities, grids, residential areas and buildings, as deep as fits in
    `limit` choices. None when even the top level does not fit."""
    zh = _zh(language)
    found: list[AreaInfo] = [a for a in base if a.level >= Level.COMMUNITY]
    for level in AREA_LEVELS:
        below = [
            a for root in base if level > root.level for a in areas_at_level(level, under=root.path)
        ]
        if len(found) + len(below) > limit:
            break
        found += below
    if not found:
        return None
    found = sorted({a.path: a for a in found}.values(), key=lambda a: a.path)  # bases may nest
    top = min(a.level for a in found)
    return [
        Choice(a.code, "\u3000" * (a.level - top) + (a.name_zh if zh else a.name_en)) for a in found
    ]


# --- Who may submit where -----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A dataset open to the actor's submissions, and the area paths its records may have."""

    dataset: Dataset
    paths: tuple[str, ...]
    permission: ExchangePermission


def submission_target(*, actor: Actor, dataset_id: int) -> Target:
    """The dataset if the actor may enter records into it, else NotFound (a missing and a
    forbidden dataset look the same)."""
    managed = (
        Dataset.objects.for_actor(actor, ExchangePermission.MANAGE_DATASET)
        .select_related("schema")
        .filter(pk=dataset_id)
        .first()
    )
    if managed is not None:
        return Target(managed, (managed.area_path,), ExchangePermission.MANAGE_DATASET)
    dataset = Dataset.objects.select_related("schema").filter(pk=dataset_id).first()
    paths = _submit_paths(actor, dataset) if dataset is not None else ()
    if dataset is None or not paths:
        raise NotFound("no such dataset", field="dataset_id")
    return Target(dataset, paths, ExchangePermission.SUBMIT_RECORDS)


def _submit_paths(actor: Actor, dataset: Dataset) -> tuple[str, ...]:
    """Where `submit_records` lets the actor enter records into the dataset: the deeper of
    their area and the dataset's, for every assignment whose area overlaps the dataset's.
    An organisation-bound assignment reaches only its organisation's datasets."""
    paths = []
    for scope in actor.scopes_for(ExchangePermission.SUBMIT_RECORDS):
        if scope.organisation_id not in (None, dataset.owner_id):
            continue
        if scope.area_path.startswith(dataset.area_path):
            paths.append(scope.area_path)
        elif dataset.area_path.startswith(scope.area_path):
            paths.append(dataset.area_path)
    return tuple(paths)


def submittable_datasets(*, actor: Actor) -> list[Target]:
    """The datasets whose entry forms the actor may fill, by area. Reads the whole catalogue
    (metadata only): a city has hundreds of datasets, not millions."""
    found = {
        d.pk: Target(d, (d.area_path,), ExchangePermission.MANAGE_DATASET)
        for d in Dataset.objects.for_actor(actor, ExchangePermission.MANAGE_DATASET)
        .select_related("schema")
        .order_by("area_path", "id")
    }
    for dataset in Dataset.objects.select_related("schema").order_by("area_path", "id"):
        if dataset.pk not in found and (paths := _submit_paths(actor, dataset)):
            found[dataset.pk] = Target(dataset, paths, ExchangePermission.SUBMIT_RECORDS)
    return sorted(found.values(), key=lambda t: (t.dataset.area_path, t.dataset.pk))


# --- Submitting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    """Why one field was refused; `reason` is the validator's (English) wording."""

    field: str
    reason: str
    value: str = ""  # as the validator shows it: masked when personal

    @property
    def message(self) -> str:
        return reason_text(self.reason)


class SubmissionRefused(DomainError):
    """A submission with invalid fields: nothing was stored. Answers 422 naming each field."""

    status_code = 422

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors), field=errors[0].field)
        self.errors = errors

    def as_dict(self) -> dict[str, object]:
        return {
            "detail": [
                {"code": "invalid", "field": e.field, "value": e.value, "message": e.reason}
                for e in self.errors
            ]
        }


@dataclass(frozen=True)
class Submitted:
    record_id: int
    outcome: str  # created | updated | unchanged


@lru_cache(maxsize=32)
def _compiled(descriptor_json: str) -> tuple[TableSchema, RowValidator, RecordShaper]:
    # A published version never changes, so its compiled checks are kept. Without
    # unique_keys the validator holds no state between rows and may be shared.
    schema = TableSchema.from_descriptor(json.loads(descriptor_json))
    return schema, RowValidator(schema, unique_keys=False), RecordShaper(schema)


def compiled_schema(dataset: Dataset) -> TableSchema:
    return _compiled(json.dumps(dataset.schema.descriptor, sort_keys=True))[0]


def _cells(schema: TableSchema, values: Mapping[str, object]) -> dict[str, object]:
    """The submitted values as cells of one row; anything that is no single value is refused."""
    names = set(schema.field_names)
    errors = [
        FieldError(str(k)[:60], "not a field of this standard") for k in values if k not in names
    ]
    row: dict[str, object] = {}
    for name in schema.field_names:
        value = values.get(name)
        if isinstance(value, str):
            if len(value) > MAX_VALUE_LENGTH or _CONTROL.search(value):
                errors.append(FieldError(name, "contains control characters or is too long"))
                continue
        elif value is not None and not isinstance(value, int | float | bool):
            errors.append(FieldError(name, "not a single value"))
            continue
        row[name] = value
    if errors:
        raise SubmissionRefused(errors)
    return row


def compiled_shaper(dataset: Dataset) -> RecordShaper:
    return _compiled(json.dumps(dataset.schema.descriptor, sort_keys=True))[2]


def row_check(dataset: Dataset, values: Mapping[str, object]) -> tuple[RecordParts, str]:
    """One row entered by a person (a form, a corrected held row), validated like an imported
    row and placed in the dataset's area: (parts, area path), or SubmissionRefused."""
    schema, validator, shaper = _compiled(json.dumps(dataset.schema.descriptor, sort_keys=True))
    record, errors = validator.validate(1, _cells(schema, values))
    if record is None:
        raise SubmissionRefused([FieldError(e.field, e.reason, e.value) for e in errors])
    parts = shaper.shape(record)
    if parts.area_code is None:
        return parts, dataset.area_path
    path = area_paths_for_codes([parts.area_code]).get(parts.area_code, "")
    if not path.startswith(dataset.area_path):
        area_field = shaper.area_field or ",".join(schema.primary_key)
        raise SubmissionRefused([FieldError(area_field, OUTSIDE_DATASET, parts.area_code)])
    return parts, path


def record_submit(
    *, actor: Actor, dataset_id: int, values: Mapping[str, object], via: str = "form"
) -> Submitted:
    """Enter one record into a dataset: validated like an imported row, area-checked, stored
    (created, or updated by its natural key), published to subscribers and audited."""
    target = submission_target(actor=actor, dataset_id=dataset_id)
    parts, path = row_check(target.dataset, values)
    area_field = compiled_shaper(target.dataset).area_field or ",".join(
        compiled_schema(target.dataset).primary_key
    )
    if not any(path.startswith(p) for p in target.paths):
        raise SubmissionRefused([FieldError(area_field, OUTSIDE_OWN_AREA)])
    try:
        return _store(actor, target, parts, path, via)
    except IntegrityError:
        # Two people entered the same new key at once: on the second try it is an update.
        return _store(actor, target, parts, path, via)


def _store(actor: Actor, target: Target, parts: RecordParts, path: str, via: str) -> Submitted:
    dataset = target.dataset
    with transaction.atomic():
        existing = (
            Record.objects.select_for_update()
            .filter(dataset=dataset, natural_key=parts.natural_key)
            .values_list("area_path", flat=True)
            .first()
        )
        # A submitter may not overwrite a record of an area outside their own.
        if existing is not None and not any(existing.startswith(p) for p in target.paths):
            key = ",".join(compiled_schema(dataset).primary_key)
            raise SubmissionRefused([FieldError(key, OTHER_AREAS_RECORD)])
        result = write_records(
            dataset,
            [(parts, path)],
            Provenance(source=RecordSource.FORM, submitted_by_id=actor.user_id),
        )
        publish_changes(dataset.pk, result.change_ids)
        outcome = "created" if result.created else "updated" if result.updated else "unchanged"
        record_id = result.record_ids[0]
        audit_record(
            actor=actor,
            action="exchange.form_submitted",
            permission=target.permission,
            target_type="exchange.record",
            target_id=record_id,
            area_path=path,
            detail={"dataset_id": dataset.pk, "outcome": outcome, "via": via},
        )
    return Submitted(record_id, outcome)


@dataclass(frozen=True)
class RecentSubmission:
    at: dt.datetime
    key: str
    who: str  # the first personal field, masked


def submissions_today(*, actor: Actor, dataset: Dataset, limit: int = 10) -> list[RecentSubmission]:
    """The actor's own form entries into the dataset since midnight, newest first, masked."""
    if actor.user_id is None:
        return []
    schema = compiled_schema(dataset)
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time()))
    records = Record.objects.filter(
        dataset=dataset,
        source=RecordSource.FORM,
        submitted_by_id=actor.user_id,
        updated_at__gte=midnight,
    ).order_by("-updated_at", "-id")[:limit]
    personal = [s for s in schema.fields if s.personal]
    rows = []
    for record in records:
        values = {**record.data, **(json.loads(record.personal) if record.personal else {})}
        key = ",".join(
            mask(str(values.get(n, ""))) if schema.get_field(n).personal else str(values.get(n, ""))
            for n in schema.primary_key
        )
        first = next((s for s in personal if values.get(s.name)), None)
        who = mask(str(values[first.name]), first.format) if first else ""
        rows.append(RecentSubmission(record.updated_at, key, who))
    return rows


# --- Messages in the page's language ------------------------------------------------------------

_FIXED_REASONS = {
    REQUIRED: lambda: _("This field is required."),
    OUTSIDE_DATASET: lambda: _("No such area, or outside the dataset's area."),
    OUTSIDE_OWN_AREA: lambda: _("Outside the area you may report for."),
    OTHER_AREAS_RECORD: lambda: _(
        "This record was entered for another area: ask the dataset's owner."
    ),
    "the check digit does not match: a digit was mistyped": lambda: _(
        "The check digit does not match: a digit was mistyped."
    ),
    "the birth date in the ID number does not exist": lambda: _(
        "The birth date in the ID number does not exist."
    ),
    "the birth date in the ID number is out of range": lambda: _(
        "The birth date in the ID number is out of range."
    ),
    "not an ID number (17 digits and a check digit 0-9 or X)": lambda: _(
        "Not an ID number (17 digits and a check digit 0-9 or X)."
    ),
    "a 15-digit first-generation ID number; give the 18-digit number": lambda: _(
        "A 15-digit first-generation ID number: give the 18-digit number."
    ),
    "not a phone number (an 11-digit mobile, or a landline with its area code)": lambda: _(
        "Not a phone number (an 11-digit mobile, or a landline with its area code)."
    ),
    "not a whole number": lambda: _("Not a whole number."),
    "not a number": lambda: _("Not a number."),
    "not an area code (12 to 21 digits)": lambda: _("Not an area code (12 to 21 digits)."),
    "contains control characters or is too long": lambda: _(
        "Contains control characters or is too long."
    ),
}
_PATTERNED_REASONS = (
    (re.compile(r"below the minimum (.+)"), lambda v: _("At least %(bound)s.") % {"bound": v}),
    (re.compile(r"above the maximum (.+)"), lambda v: _("At most %(bound)s.") % {"bound": v}),
    (
        re.compile(r"longer than (\d+) characters"),
        lambda v: _("At most %(count)s characters.") % {"count": v},
    ),
    (
        re.compile(r"shorter than (\d+) characters"),
        lambda v: _("At least %(count)s characters.") % {"count": v},
    ),
    (re.compile(r"not one of: (.+)"), lambda v: _("Choose one of: %(values)s.") % {"values": v}),
    (re.compile(r"does not match .+"), lambda v: _("Not in the expected format.")),
    (re.compile(r"not a valid date and time.*"), lambda v: _("Not a valid date and time.")),
    (re.compile(r"not a valid date.*"), lambda v: _("Not a valid date.")),
)


def reason_text(reason: str) -> str:
    """A validator's reason in the active language where we have it, else as it is."""
    fixed = _FIXED_REASONS.get(reason)
    if fixed is not None:
        return fixed()
    for pattern, render in _PATTERNED_REASONS:
        match = pattern.fullmatch(reason)
        if match:
            return render(match.group(1) if match.groups() else "")
    return reason
