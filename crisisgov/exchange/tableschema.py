"""Shared data standards as Frictionless Table Schemas, and the fast row validator for imports.

A standard (`standards/<name>-<version>.json`) says which columns a department's file has, their
types and constraints, which columns are personal data, and the natural key that makes re-importing
the same file idempotent. `check_compatibility` says whether a new version may keep its major
number. `RowValidator` checks a stream of rows against a standard, fast enough for a million-row
upload, and reports each rejected cell with the value masked when it is personal; how single
cells are read (Excel serial dates, ID numbers stored as numbers, full-width digits) is in cells.py.

Pure: no Django, so it is tested against frictionless (the reference implementation) and
benchmarked alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from crisisgov.exchange.cells import (
    DEFAULT_FALSE_VALUES,
    DEFAULT_TRUE_VALUES,
    PARSERS,
    Cell,
    InvalidCell,
    boolean_parser,
    escape_formula,
    mask,
    national_id_check_char,
    shown,
)

__all__ = [
    "Compatibility",
    "FieldSpec",
    "RowError",
    "RowValidator",
    "SchemaError",
    "TableSchema",
    "check_compatibility",
    "escape_formula",
    "load_standard",
    "mask",
    "national_id_check_char",
    "standards",
]

STANDARDS_DIR = Path(__file__).with_name("standards")
CONSTRAINTS_BY_TYPE: dict[str, frozenset[str]] = {
    "string": frozenset({"required", "enum", "pattern", "minLength", "maxLength"}),
    "integer": frozenset({"required", "enum", "minimum", "maximum"}),
    "number": frozenset({"required", "enum", "minimum", "maximum"}),
    "boolean": frozenset({"required", "enum"}),
    "date": frozenset({"required", "enum", "minimum", "maximum"}),
    "datetime": frozenset({"required", "enum", "minimum", "maximum"}),
    "year": frozenset({"required", "enum", "minimum", "maximum"}),
}
# Our semantic formats, all on string fields. Plain Table Schema knows a string `format` only as
# email, uri, binary or uuid: give other tools (frictionless too) a descriptor without these.
SEMANTIC_FORMATS = frozenset({"national_id", "phone", "area_code"})
_FIELD_KEYS = frozenset(
    {"name", "type", "title", "title_zh", "description", "constraints", "personal", "format"}
    | {"trueValues", "falseValues", "example"}
)
_SCHEMA_KEYS = frozenset(
    {"name", "version", "title", "title_zh", "description", "fields", "primaryKey"}
    | {"missingValues", "$schema"}
)
_SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
REQUIRED = "required value is missing"


class SchemaError(ValueError):
    """A descriptor that is not a usable data standard; the message names what is wrong where."""


# --- Descriptor ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One column of a standard. `enum`, `minimum` and `maximum` hold typed values."""

    name: str
    type: str
    title: str = ""
    title_zh: str = ""
    description: str = ""
    required: bool = False
    enum: frozenset | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: object = None
    maximum: object = None
    personal: bool = False
    format: str | None = None
    true_values: tuple[str, ...] = DEFAULT_TRUE_VALUES
    false_values: tuple[str, ...] = DEFAULT_FALSE_VALUES


@dataclass(frozen=True)
class TableSchema:
    """One version of a data standard: its fields, natural key and the values that mean missing."""

    name: str
    version: str
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...] = ()
    title: str = ""
    title_zh: str = ""
    description: str = ""
    missing_values: tuple[str, ...] = ("",)
    descriptor_json: str = field(default="{}", repr=False, compare=False)

    @classmethod
    def from_descriptor(cls, descriptor: Mapping) -> TableSchema:
        """Parse a descriptor, refusing anything malformed with a message naming the field."""
        if not isinstance(descriptor, Mapping):
            raise SchemaError("a table schema descriptor is a JSON object")
        where = f"schema {descriptor.get('name', '?')!r}"
        _refuse_unknown(descriptor, _SCHEMA_KEYS, where)
        name = _text_property(descriptor, "name", where, required=True)
        version = _text_property(descriptor, "version", where, required=True)
        if not _SEMVER.fullmatch(version):
            raise SchemaError(f"{where}: version {version!r} is not MAJOR.MINOR.PATCH")
        missing = descriptor.get("missingValues", [""])
        if not isinstance(missing, list) or not all(isinstance(v, str) for v in missing):
            raise SchemaError(f"{where}: missingValues must be a list of strings")
        raw_fields = descriptor.get("fields")
        if not isinstance(raw_fields, list) or not raw_fields:
            raise SchemaError(f"{where}: 'fields' must be a non-empty list")
        fields = tuple(_parse_field(raw, where) for raw in raw_fields)
        names = [f.name for f in fields]
        for duplicate in sorted({n for n in names if names.count(n) > 1}):
            raise SchemaError(f"{where}: field {duplicate!r} is defined twice")
        primary_key = descriptor.get("primaryKey", [])
        if isinstance(primary_key, str):
            primary_key = [primary_key]
        if not isinstance(primary_key, list):
            raise SchemaError(f"{where}: primaryKey must be a field name or a list of them")
        for key in primary_key:
            if key not in names:
                raise SchemaError(f"{where}: primary key field {key!r} is not a field")
            if not fields[names.index(key)].required:
                raise SchemaError(
                    f"{where}: primary key field {key!r} must be required "
                    "(a natural key cannot be missing)"
                )
        return cls(
            name=name,
            version=version,
            fields=fields,
            primary_key=tuple(primary_key),
            title=_text_property(descriptor, "title", where),
            title_zh=_text_property(descriptor, "title_zh", where),
            description=_text_property(descriptor, "description", where),
            missing_values=tuple(missing),
            descriptor_json=json.dumps(descriptor, ensure_ascii=False),
        )

    def to_descriptor(self) -> dict:
        """The descriptor this schema was parsed from (a fresh copy)."""
        return json.loads(self.descriptor_json)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def personal_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.personal)

    @property
    def major(self) -> int:
        return _semver(self.version)[0]

    def get_field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def resolve_header(self, columns: Sequence[str]) -> tuple[list[str | None], list[str]]:
        """Map a file's header to field names, and list what is wrong with the header.

        A column may be labelled with the field's name, its English title or its Chinese title
        (the label a department's own template uses). Unknown, blank and repeated columns and
        missing required columns are problems; a missing optional column is not.
        """
        labels: dict[str, str] = {}
        for spec in self.fields:
            for label in (spec.title_zh, spec.title, spec.name):  # the name wins a clash
                if label:
                    labels[label] = spec.name
        resolved: list[str | None] = []
        problems: list[str] = []
        first_column: dict[str, int] = {}
        for number, column in enumerate(columns, start=1):
            label = str(column).lstrip("\ufeff").strip()
            name = labels.get(label)
            resolved.append(name)
            if not label:
                problems.append(f"column {number} has no name")
            elif name is None:
                problems.append(f"unknown column {label!r} (column {number})")
            elif name in first_column:
                problems.append(f"columns {first_column[name]} and {number} are both {name!r}")
            else:
                first_column[name] = number
        for spec in self.fields:
            if spec.required and spec.name not in first_column:
                problems.append(f"missing required column {spec.name!r} ({spec.title_zh})")
        return resolved, problems

    def check_header(self, columns: Sequence[str]) -> list[str]:
        """What is wrong with a file's header row, as messages for the uploader (none: fine)."""
        return self.resolve_header(columns)[1]


def _refuse_unknown(mapping: Mapping, known: frozenset[str], where: str) -> None:
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise SchemaError(f"{where}: unknown properties {', '.join(map(repr, unknown))}")


def _text_property(mapping: Mapping, key: str, where: str, *, required: bool = False) -> str:
    value = mapping.get(key, "")
    if not isinstance(value, str):
        raise SchemaError(f"{where}: {key!r} must be a string")
    if required and not value.strip():
        raise SchemaError(f"{where}: {key!r} must not be empty")
    return value


def _parse_field(raw: object, where: str) -> FieldSpec:
    if not isinstance(raw, Mapping):
        raise SchemaError(f"{where}: every field is a JSON object, got {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name or name != name.strip():
        raise SchemaError(f"{where}: a field has no usable name ({name!r})")
    where = f"{where}, field {name!r}"
    _refuse_unknown(raw, _FIELD_KEYS, where)
    type_ = raw.get("type")
    if type_ not in CONSTRAINTS_BY_TYPE:
        raise SchemaError(f"{where}: type {type_!r} is not one of {', '.join(CONSTRAINTS_BY_TYPE)}")
    format_ = raw.get("format")
    if format_ is not None and (type_ != "string" or format_ not in SEMANTIC_FORMATS):
        raise SchemaError(
            f"{where}: format {format_!r} is not one of {', '.join(sorted(SEMANTIC_FORMATS))} "
            "on a string field"
        )
    personal = raw.get("personal", False)
    true_values = raw.get("trueValues", list(DEFAULT_TRUE_VALUES))
    false_values = raw.get("falseValues", list(DEFAULT_FALSE_VALUES))
    for key, values in (("trueValues", true_values), ("falseValues", false_values)):
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SchemaError(f"{where}: {key} must be a list of strings")
    if set(true_values) & set(false_values):
        raise SchemaError(f"{where}: a value cannot be both true and false")
    constraints = raw.get("constraints", {})
    if not isinstance(personal, bool) or not isinstance(constraints, Mapping):
        raise SchemaError(f"{where}: 'personal' is true or false and 'constraints' an object")
    supported = CONSTRAINTS_BY_TYPE[type_]
    unsupported = sorted(set(constraints) - supported)
    if unsupported:
        raise SchemaError(f"{where}: constraints {unsupported} do not apply to a {type_} field")
    spec = FieldSpec(
        name=name,
        type=type_,
        title=_text_property(raw, "title", where),
        title_zh=_text_property(raw, "title_zh", where),
        description=_text_property(raw, "description", where),
        personal=personal,
        format=format_,
        true_values=tuple(true_values),
        false_values=tuple(false_values),
    )
    # Bounds and enum values are cast by the field's own parser, so they compare with cells.
    parse = _parser(spec)
    typed: dict[str, object] = {}
    for key, value in constraints.items():
        try:
            if key == "required":
                if not isinstance(value, bool):
                    raise ValueError("must be true or false")
                typed[key] = value
            elif key in ("minLength", "maxLength"):
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ValueError("must be a whole number, 0 or more")
                typed[key] = value
            elif key == "pattern":
                if not isinstance(value, str):
                    raise ValueError("must be a string")
                re.compile(value)
                typed[key] = value
            elif key == "enum":
                if not isinstance(value, list) or not value:
                    raise ValueError("must be a non-empty list")
                typed[key] = frozenset(parse(v) for v in value)
            else:
                typed[key] = parse(value)
        except (ValueError, re.error) as exc:
            raise SchemaError(f"{where}: constraint {key} {value!r} {exc}") from exc
        except InvalidCell as exc:
            raise SchemaError(f"{where}: constraint {key} {value!r}: {exc.reason}") from exc
    return replace(
        spec,
        required=typed.get("required", False),
        enum=typed.get("enum"),
        pattern=typed.get("pattern"),
        min_length=typed.get("minLength"),
        max_length=typed.get("maxLength"),
        minimum=typed.get("minimum"),
        maximum=typed.get("maximum"),
    )


def _semver(version: str) -> tuple[int, int, int]:
    match = _SEMVER.fullmatch(version)
    if not match:
        raise SchemaError(f"version {version!r} is not MAJOR.MINOR.PATCH")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


# --- The shipped standards ----------------------------------------------------------------------


@cache
def _standard_files() -> dict[tuple[str, str], Path]:
    files: dict[tuple[str, str], Path] = {}
    for path in STANDARDS_DIR.glob("*.json"):
        name, _, version = path.stem.rpartition("-")
        files[(name, version)] = path
    return files


def load_standard(name: str, version: str | None = None) -> TableSchema:
    """A shipped standard by name: the given version, or the newest when none is given."""
    versions = [v for (n, v) in _standard_files() if n == name]
    if not versions:
        raise KeyError(f"no data standard named {name!r}")
    if version is None:
        version = max(versions, key=_semver)
    if (name, version) not in _standard_files():
        raise KeyError(f"data standard {name!r} has no version {version!r}")
    return _load(name, version)


@cache
def _load(name: str, version: str) -> TableSchema:
    path = _standard_files()[(name, version)]
    schema = TableSchema.from_descriptor(json.loads(path.read_text(encoding="utf-8")))
    if (schema.name, schema.version) != (name, version):
        raise SchemaError(f"{path.name} holds {schema.name} {schema.version}")
    return schema


def standards(*, all_versions: bool = False) -> tuple[TableSchema, ...]:
    """The shipped standards, newest version of each (or every version), by name."""
    if all_versions:
        keys = sorted(_standard_files(), key=lambda k: (k[0], _semver(k[1])))
        return tuple(load_standard(n, v) for n, v in keys)
    return tuple(load_standard(n) for n in sorted({n for n, _ in _standard_files()}))


# --- Compatibility between versions -------------------------------------------------------------


@dataclass(frozen=True)
class Compatibility:
    """What changed from one version of a standard to the next, and whether the number fits.

    `breaking` changes make some file that was valid invalid (or change how stored data is kept),
    so they need a new MAJOR version; `compatible` ones (an added optional field, a relaxed
    constraint) need at least a new MINOR version.
    """

    old_version: str
    new_version: str
    breaking: tuple[str, ...]
    compatible: tuple[str, ...]
    version_problems: tuple[str, ...]

    @property
    def is_breaking(self) -> bool:
        return bool(self.breaking)

    @property
    def ok(self) -> bool:
        """The new version may be published under its number."""
        return not self.version_problems

    @property
    def needed_bump(self) -> str:
        return "major" if self.breaking else "minor" if self.compatible else "patch"


def check_compatibility(old: TableSchema, new: TableSchema) -> Compatibility:
    """Compare two versions of one standard, with a reason for each change."""
    breaking: list[str] = []
    compatible: list[str] = []
    if old.name != new.name:
        breaking.append(f"a different standard: {old.name!r} became {new.name!r}")
    new_fields = {f.name: f for f in new.fields}
    old_names = set(old.field_names)
    for before in old.fields:
        after = new_fields.get(before.name)
        if after is None:
            breaking.append(f"field {before.name!r} was removed")
        else:
            _compare_field(before, after, breaking, compatible)
    for after in new.fields:
        if after.name not in old_names:
            if after.required:
                breaking.append(f"new field {after.name!r} is required")
            else:
                compatible.append(f"added optional field {after.name!r}")
    if old.primary_key != new.primary_key:
        breaking.append(
            f"primary key changed from {list(old.primary_key)} to {list(new.primary_key)}"
        )
    if set(old.missing_values) != set(new.missing_values):
        breaking.append("the values that mean missing changed")

    old_v, new_v = _semver(old.version), _semver(new.version)
    problems: list[str] = []
    if new_v <= old_v:
        problems.append(f"version {new.version} does not come after {old.version}")
    elif breaking and new_v[0] <= old_v[0]:
        problems.append(f"breaking changes need a new major version, not {new.version}")
    elif compatible and new_v[:2] <= old_v[:2]:
        problems.append(
            f"added or relaxed fields need at least a new minor version, not {new.version}"
        )
    return Compatibility(
        old.version, new.version, tuple(breaking), tuple(compatible), tuple(problems)
    )


def _compare_field(
    old: FieldSpec, new: FieldSpec, breaking: list[str], compatible: list[str]
) -> None:
    name = repr(old.name)
    if old.type != new.type:
        breaking.append(f"field {name} changed type from {old.type} to {new.type}")
        return  # its constraints are not comparable any more
    if old.required != new.required:
        (breaking if new.required else compatible).append(
            f"field {name} {'became required' if new.required else 'is no longer required'}"
        )
    if old.personal != new.personal:
        breaking.append(f"field {name} personal flag changed: stored data must be re-encrypted")
    # Whether one regular expression accepts more than another is undecidable in practice, so
    # any new or changed pattern (or format) counts as narrowing.
    for label, before, after in (
        ("format", old.format, new.format),
        ("pattern", old.pattern, new.pattern),
    ):
        if before == after:
            continue
        if after is None:
            compatible.append(f"field {name} no longer has {label} {before}")
        elif before is None:
            breaking.append(f"field {name} now has {label} {after}")
        else:
            breaking.append(f"field {name} {label} changed from {before} to {after}")
    if old.enum != new.enum:
        if new.enum is None:
            compatible.append(f"field {name} no longer has an enum")
        elif old.enum is None:
            breaking.append(f"field {name} now has an enum")
        else:
            if old.enum - new.enum:
                breaking.append(f"field {name} enum lost {_listed(old.enum - new.enum)}")
            if new.enum - old.enum:
                compatible.append(f"field {name} enum gained {_listed(new.enum - old.enum)}")
    for label, before, after, lower_is_tighter in (
        ("minLength", old.min_length, new.min_length, False),
        ("maxLength", old.max_length, new.max_length, True),
        ("minimum", old.minimum, new.minimum, False),
        ("maximum", old.maximum, new.maximum, True),
    ):
        if before == after:
            continue
        if after is None:
            compatible.append(f"field {name} no longer has {label} {before}")
        elif before is None:
            breaking.append(f"field {name} now has {label} {after}")
        else:
            tighter = (after < before) if lower_is_tighter else (after > before)  # type: ignore[operator]
            (breaking if tighter else compatible).append(
                f"field {name} {label} {'tightened' if tighter else 'relaxed'} from {before} "
                f"to {after}"
            )
    for label, before, after in (
        ("true values", old.true_values, new.true_values),
        ("false values", old.false_values, new.false_values),
    ):
        if set(before) - set(after):
            breaking.append(f"field {name} {label} lost {_listed(set(before) - set(after))}")
        if set(after) - set(before):
            compatible.append(f"field {name} {label} gained {_listed(set(after) - set(before))}")


def _listed(values: Iterable[object]) -> str:
    return ", ".join(sorted(str(v) for v in values))


# --- Validating rows ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected cell: file row number, field, the value as shown (masked if personal), why."""

    row: int
    field: str
    value: str
    reason: str


def _parser(spec: FieldSpec) -> Callable[[Cell], object]:
    if spec.type == "boolean":
        return boolean_parser(spec.true_values, spec.false_values)
    return PARSERS[spec.format or spec.type]


def _cleaner(spec: FieldSpec, missing: frozenset[str]) -> Callable[[Cell], object]:
    """One field's rules in one closure: missing, type and format, then each constraint.

    Written out rather than as a list of small checks: this runs once per cell of every import.
    """
    parse = _parser(spec)
    plain_text = spec.type == "string" and spec.format is None
    required, enum = spec.required, spec.enum
    min_length, max_length = spec.min_length, spec.max_length
    match = re.compile(spec.pattern).fullmatch if spec.pattern is not None else None
    minimum, maximum = spec.minimum, spec.maximum
    not_in_enum = f"not one of: {_listed(enum or ())}"

    missing = missing - {""}  # an empty cell is missing anyway

    def clean(cell: Cell) -> object:
        if isinstance(cell, str):
            cell = cell.strip()
            if cell and not (missing and cell in missing):
                value = cell if plain_text else parse(cell)
            elif required:
                raise InvalidCell(REQUIRED)
            else:
                return None
        elif cell is None or cell != cell:  # NaN: an empty cell read through pandas
            if required:
                raise InvalidCell(REQUIRED)
            return None
        else:
            value = parse(cell)
        if enum is not None and value not in enum:
            raise InvalidCell(not_in_enum)
        if min_length is not None and len(value) < min_length:  # type: ignore[arg-type]
            raise InvalidCell(f"shorter than {min_length} characters")
        if max_length is not None and len(value) > max_length:  # type: ignore[arg-type]
            raise InvalidCell(f"longer than {max_length} characters")
        if match is not None and match(value) is None:  # type: ignore[arg-type]
            raise InvalidCell(f"does not match {spec.pattern}")
        try:
            if minimum is not None and value < minimum:  # type: ignore[operator]
                raise InvalidCell(f"below the minimum {minimum}")
            if maximum is not None and value > maximum:  # type: ignore[operator]
                raise InvalidCell(f"above the maximum {maximum}")
        except TypeError:  # a time with an offset against a bound without one, or the reverse
            raise InvalidCell(f"not comparable with the bounds {minimum}, {maximum}") from None
        return value

    return _text_first(spec, clean, parse if not plain_text else None, missing)


def _text_first(
    spec: FieldSpec,
    generic: Callable[[Cell], object],
    parse: Callable[[Cell], object] | None,
    missing: frozenset[str],
) -> Callable[[Cell], object]:
    """`generic` with a shortcut for a text cell (every cell of a CSV) that passes: only the
    checks this field has, as one predicate. Anything the shortcut does not accept goes to
    `generic`, so that decisions and messages are the generic closure's own."""
    checks: list[Callable[[object], object]] = []
    if spec.enum is not None:
        checks.append(spec.enum.__contains__)
    if spec.min_length is not None:
        checks.append(lambda v, n=spec.min_length: len(v) >= n)  # type: ignore[arg-type]
    if spec.max_length is not None:
        checks.append(lambda v, n=spec.max_length: len(v) <= n)  # type: ignore[arg-type]
    if spec.pattern is not None:
        checks.append(re.compile(spec.pattern).fullmatch)  # type: ignore[arg-type]
    if spec.minimum is not None or spec.maximum is not None:
        checks.append(lambda v, lo=spec.minimum, hi=spec.maximum: _within(v, lo, hi))
    check = None
    if len(checks) == 1:
        check = checks[0]
    elif checks:
        check = lambda v: all(c(v) for c in checks)  # noqa: E731

    def clean(cell: Cell) -> object:
        if type(cell) is str:
            text = cell.strip()
            if text and text not in missing:
                value = text if parse is None else parse(text)
                if check is None or check(value):
                    return value
        return generic(cell)

    clean.generic = generic  # type: ignore[attr-defined]  # for the tests that compare them
    return clean


def _within(value: object, minimum: object, maximum: object) -> bool:
    try:
        return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)  # type: ignore[operator]
    except TypeError:
        return False  # the generic check says why


class RowValidator:
    """Checks rows of one standard as they stream by, compiled once per import.

    `validate` returns the typed record, or None and the errors of every rejected cell. With
    `unique_keys` it also refuses a row whose natural key repeats an earlier row of the same
    file; that keeps one entry per distinct key in memory. `validate_cells` does the same for
    a row given as a list of cells in field order, which is what a million-row import uses.
    """

    def __init__(self, schema: TableSchema, *, unique_keys: bool = True) -> None:
        self.schema = schema
        missing = frozenset(schema.missing_values)
        self._names = schema.field_names
        self._cleaners = tuple(_cleaner(spec, missing) for spec in schema.fields)
        self._show = tuple(
            (lambda cell, f=spec.format: mask(shown(cell), f)) if spec.personal else shown
            for spec in schema.fields
        )
        self._key = schema.primary_key if unique_keys else ()
        self._key_label = ",".join(self._key)
        self._key_personal = any(schema.get_field(name).personal for name in self._key)
        self._key_at = tuple(self._names.index(name) for name in self._key)
        self._seen: dict[object, int] = {}

    def check_header(self, columns: Sequence[str]) -> list[str]:
        """What is wrong with the file's header row (see TableSchema.resolve_header)."""
        return self.schema.check_header(columns)

    def validate(
        self, row_number: int, row: Mapping[str, Cell]
    ) -> tuple[dict | None, list[RowError]]:
        """The cleaned record of one row keyed by field name, or None and why it was rejected."""
        get = row.get
        values, errors = self.validate_cells(row_number, [get(name) for name in self._names])
        if values is None:
            return None, errors
        return dict(zip(self._names, values, strict=True)), errors

    def validate_cells(
        self, row_number: int, cells: Sequence[Cell]
    ) -> tuple[list | None, list[RowError]]:
        """`validate` for a row given as its cells in the schema's field order: the cleaned
        values in that order, or None and the errors."""
        try:
            # The common case in one comprehension; only a row with a bad cell goes cell by cell.
            values = [clean(cell) for clean, cell in zip(self._cleaners, cells, strict=True)]
        except InvalidCell:
            return None, self._errors(row_number, cells)
        if self._key:
            errors: list[RowError] = []
            self._check_key(row_number, [values[i] for i in self._key_at], errors)
            if errors:
                return None, errors
        return values, []

    def _errors(self, row_number: int, cells: Sequence[Cell]) -> list[RowError]:
        errors: list[RowError] = []
        values: dict[int, object] = {}
        for i, (clean, cell) in enumerate(zip(self._cleaners, cells, strict=True)):
            try:
                values[i] = clean(cell)
            except InvalidCell as invalid:
                show = self._show[i](cell)
                errors.append(RowError(row_number, self._names[i], show, invalid.reason))
        if self._key and all(i in values for i in self._key_at):
            # A key of valid cells counts as seen even when another cell of the row is bad.
            self._check_key(row_number, [values[i] for i in self._key_at], errors)
        return errors

    def _check_key(self, row_number: int, values: list, errors: list[RowError]) -> None:
        key = values[0] if len(values) == 1 else tuple(values)
        first = self._seen.setdefault(key, row_number)
        if first != row_number:
            text = ",".join(map(str, key)) if isinstance(key, tuple) else str(key)
            if self._key_personal:
                text = mask(text)
            reason = f"duplicate key: the same as row {first}"
            errors.append(RowError(row_number, self._key_label, text, reason))
