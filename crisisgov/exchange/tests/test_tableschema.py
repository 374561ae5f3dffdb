"""Data standards, compatibility between versions, and the streaming row validator.

Pure tests: no database. The last group checks that our verdict on each row agrees with
frictionless, the reference Table Schema implementation, on rows generated from every standard.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import random
import re
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from crisisgov.exchange.cells import ID_WEIGHTS, STORED_AS_NUMBER, excel_serial
from crisisgov.exchange.tableschema import (
    STANDARDS_DIR,
    RowError,
    RowValidator,
    SchemaError,
    TableSchema,
    check_compatibility,
    escape_formula,
    load_standard,
    mask,
    national_id_check_char,
    standards,
)

STANDARD_NAMES = [
    "case_report",
    "close_contact",
    "hotline_ticket",
    "material_request",
    "material_stock",
    "person",
    "quarantine_order",
    "sensor_reading",
    "test_result",
    "venue_checkin",
]
# GB 11643's own examples; the second one's check character is X.
ID_A = "440524188001010014"
ID_X = "11010519491231002X"


def make_id(first17: str) -> str:
    return first17 + national_id_check_char(first17)


def schema_of(*fields: dict, primary_key: list[str] | None = None, **extra) -> TableSchema:
    return TableSchema.from_descriptor(
        {"name": "t", "version": "1.0.0", "fields": list(fields), "primaryKey": primary_key or []}
        | extra
    )


def clean_one(field: dict, cell):
    """Validate one cell of a one-field schema: (typed value or None, reason or None)."""
    record, errors = RowValidator(schema_of(field)).validate(2, {field["name"]: cell})
    if errors:
        assert record is None and len(errors) == 1
        return None, errors[0].reason
    return record[field["name"]], None


# --- Purity -------------------------------------------------------------------------------------


def test_modules_import_without_django():
    code = (
        "import sys, crisisgov.exchange.tableschema, crisisgov.exchange.cells\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'django')\n"
        "assert not loaded, loaded\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


# --- The shipped standards ----------------------------------------------------------------------


def test_every_standard_loads_with_titles_and_keys():
    assert [s.name for s in standards()] == STANDARD_NAMES
    for schema in standards():
        assert schema.version == "1.0.0"
        assert schema.title and schema.title_zh and schema.description, schema.name
        for spec in schema.fields:
            assert spec.title and spec.title_zh and spec.description, (schema.name, spec.name)
        for key in schema.primary_key:
            assert schema.get_field(key).required
        path = STANDARDS_DIR / f"{schema.name}-{schema.version}.json"
        assert schema.to_descriptor() == json.loads(path.read_text(encoding="utf-8"))


def test_natural_keys_and_personal_fields():
    keys = {s.name: s.primary_key for s in standards()}
    assert keys == {
        "case_report": ("report_id",),
        "close_contact": ("contact_id",),
        "hotline_ticket": ("ticket_id",),
        "material_request": ("request_id",),
        "material_stock": ("warehouse_code", "material_code", "stock_date"),
        "person": ("person_id",),
        "quarantine_order": ("order_id",),
        "sensor_reading": ("sensor_id", "metric", "measured_at"),
        "test_result": ("sample_id",),
        "venue_checkin": ("checkin_id",),
    }
    assert load_standard("case_report").personal_fields == (
        "name",
        "national_id",
        "phone",
        "address",
    )
    assert load_standard("material_stock").personal_fields == ()
    assert load_standard("sensor_reading").personal_fields == ()
    case = load_standard("case_report")
    assert case.get_field("case_type").enum == {"confirmed", "suspected", "asymptomatic"}
    assert case.get_field("national_id").format == "national_id"
    assert case.get_field("age").maximum == 150


def test_load_standard_by_version_and_unknown_names():
    assert load_standard("person", "1.0.0") is load_standard("person")
    with pytest.raises(KeyError, match="no data standard named 'people'"):
        load_standard("people")
    with pytest.raises(KeyError, match="has no version '9.0.0'"):
        load_standard("person", "9.0.0")


# --- Malformed descriptors ----------------------------------------------------------------------


def _field(**overrides) -> dict:
    return {"name": "age", "type": "integer"} | overrides


@pytest.mark.parametrize(
    ("descriptor", "message"),
    [
        ({"version": "1.0.0", "fields": [_field()]}, "'name' must not be empty"),
        ({"name": "t", "version": "1.0", "fields": [_field()]}, "version '1.0' is not MAJOR"),
        ({"name": "t", "version": "1.0.0", "fields": []}, "'fields' must be a non-empty list"),
        ({"name": "t", "version": "1.0.0", "fields": [_field()], "feilds": []}, "'feilds'"),
        ({"name": "t", "version": "1.0.0", "fields": [_field(), _field()]}, "'age' is defined"),
        (
            {"name": "t", "version": "1.0.0", "fields": [_field(type="int")]},
            "field 'age': type 'int' is not one of",
        ),
        (
            {"name": "t", "version": "1.0.0", "fields": [_field(constraints={"pattern": "x"})]},
            "field 'age': constraints ['pattern'] do not apply to a integer field",
        ),
        (
            {"name": "t", "version": "1.0.0", "fields": [_field(constraints={"requried": True})]},
            "field 'age': constraints ['requried']",
        ),
        (
            {"name": "t", "version": "1.0.0", "fields": [_field(personnal=True)]},
            "field 'age': unknown properties 'personnal'",
        ),
        (
            {"name": "t", "version": "1.0.0", "fields": [_field(format="phone")]},
            "field 'age': format 'phone' is not one of",
        ),
        (
            {"name": "t", "version": "1.0.0", "fields": [_field(constraints={"minimum": "x"})]},
            "field 'age': constraint minimum 'x': not a whole number",
        ),
        (
            {
                "name": "t",
                "version": "1.0.0",
                "fields": [_field(type="string", constraints={"pattern": "(["})],
            },
            "field 'age': constraint pattern '(['",
        ),
        (
            {
                "name": "t",
                "version": "1.0.0",
                "fields": [_field(type="string", constraints={"maxLength": -1})],
            },
            "field 'age': constraint maxLength -1 must be a whole number",
        ),
        (
            {"name": "t", "version": "1.0.0", "fields": [_field()], "primaryKey": ["id"]},
            "primary key field 'id' is not a field",
        ),
        (
            {"name": "t", "version": "1.0.0", "fields": [_field()], "primaryKey": ["age"]},
            "primary key field 'age' must be required",
        ),
        (
            {
                "name": "t",
                "version": "1.0.0",
                "fields": [_field(type="boolean", trueValues=["1"], falseValues=["1"])],
            },
            "field 'age': a value cannot be both true and false",
        ),
    ],
)
def test_malformed_descriptors_are_refused_naming_the_field(descriptor, message):
    with pytest.raises(SchemaError) as refused:
        TableSchema.from_descriptor(descriptor)
    assert message in str(refused.value)


def test_enum_and_bounds_are_typed_by_the_field():
    schema = schema_of(
        {"name": "day", "type": "date", "constraints": {"minimum": "2020-01-01"}},
        {"name": "n", "type": "number", "constraints": {"enum": [0.5, "1.5"]}},
    )
    assert schema.get_field("day").minimum == date(2020, 1, 1)
    assert schema.get_field("n").enum == {Decimal("0.5"), Decimal("1.5")}


# --- Compatibility ------------------------------------------------------------------------------


def evolve(version: str, change=None, base: str = "case_report") -> TableSchema:
    descriptor = copy.deepcopy(load_standard(base).to_descriptor())
    descriptor["version"] = version
    if change:
        change(descriptor)
    return TableSchema.from_descriptor(descriptor)


def field_of(descriptor: dict, name: str) -> dict:
    return next(f for f in descriptor["fields"] if f["name"] == name)


OLD = "1.0.0"


def test_unchanged_schema_needs_only_a_later_version():
    result = check_compatibility(evolve(OLD), evolve("1.0.1"))
    assert (result.breaking, result.compatible, result.version_problems) == ((), (), ())
    assert result.needed_bump == "patch" and result.ok
    same = check_compatibility(evolve(OLD), evolve(OLD))
    assert same.version_problems == ("version 1.0.0 does not come after 1.0.0",)


def test_added_optional_field_is_a_minor_change():
    def add(d):
        d["fields"].append({"name": "ward", "type": "string", "title": "Ward"})

    result = check_compatibility(evolve(OLD), evolve("1.1.0", add))
    assert result.compatible == ("added optional field 'ward'",)
    assert not result.is_breaking and result.ok and result.needed_bump == "minor"
    patch = check_compatibility(evolve(OLD), evolve("1.0.1", add))
    assert patch.version_problems == (
        "added or relaxed fields need at least a new minor version, not 1.0.1",
    )


def test_relaxed_constraints_are_compatible():
    def relax(d):
        field_of(d, "case_type")["constraints"]["enum"].append("clinical")
        field_of(d, "age")["constraints"]["maximum"] = 200
        field_of(d, "disease")["constraints"]["maxLength"] = 100
        field_of(d, "report_date")["constraints"].pop("required")
        field_of(d, "reporting_org_code").pop("constraints")

    result = check_compatibility(evolve(OLD), evolve("1.1.0", relax))
    assert result.breaking == ()
    assert result.compatible == (
        "field 'disease' maxLength relaxed from 50 to 100",
        "field 'case_type' enum gained clinical",
        "field 'age' maximum relaxed from 150 to 200",
        "field 'report_date' is no longer required",
        "field 'reporting_org_code' no longer has pattern "
        "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}",
    )
    assert result.ok


def test_breaking_changes_each_give_a_reason_and_need_a_major_version():
    def tighten(d):
        d["fields"] = [f for f in d["fields"] if f["name"] != "occupation"]
        field_of(d, "age")["type"] = "string"
        field_of(d, "age")["constraints"] = {"required": True}
        field_of(d, "hospital")["constraints"] = {"required": True, "maxLength": 100}
        field_of(d, "case_type")["constraints"]["enum"].remove("suspected")
        field_of(d, "disease")["constraints"]["pattern"] = "[A-Z].*"
        field_of(d, "address").pop("personal")
        field_of(d, "reporting_org")["format"] = "area_code"
        d["fields"].append(
            {"name": "ward", "type": "string", "title": "Ward", "constraints": {"required": True}}
        )
        d["primaryKey"] = ["report_id", "disease"]
        field_of(d, "disease")["constraints"]["required"] = True

    result = check_compatibility(evolve(OLD), evolve("1.1.0", tighten))
    assert result.breaking == (
        "field 'disease' now has pattern [A-Z].*",
        "field 'case_type' enum lost suspected",
        "field 'age' changed type from integer to string",
        "field 'address' personal flag changed: stored data must be re-encrypted",
        "field 'occupation' was removed",
        "field 'reporting_org' now has format area_code",
        "field 'hospital' became required",
        "new field 'ward' is required",
        "primary key changed from ['report_id'] to ['report_id', 'disease']",
    )
    assert result.needed_bump == "major"
    assert result.version_problems == ("breaking changes need a new major version, not 1.1.0",)
    assert check_compatibility(evolve(OLD), evolve("2.0.0", tighten)).ok


def test_new_enum_pattern_and_tighter_bounds_are_breaking():
    def tighten(d):
        field_of(d, "severity")["constraints"] = {"enum": ["mild"]}
        field_of(d, "occupation")["constraints"] = {"enum": ["worker"]}
        field_of(d, "age")["constraints"]["minimum"] = 1
        field_of(d, "disease")["constraints"]["minLength"] = 2

    result = check_compatibility(evolve(OLD), evolve("2.0.0", tighten))
    assert result.breaking == (
        "field 'disease' now has minLength 2",
        "field 'severity' enum lost critical, moderate, severe",
        "field 'age' minimum tightened from 0 to 1",
        "field 'occupation' now has an enum",
    )
    assert result.ok


def test_a_different_standard_is_breaking():
    other = evolve("2.0.0", base="person")
    result = check_compatibility(evolve(OLD), other)
    assert result.breaking[0] == "a different standard: 'case_report' became 'person'"


# --- Casting cells ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_type", "cell", "expected"),
    [
        ("string", " 张三 ", "张三"),
        ("string", 12345, "12345"),
        ("string", 12.0, "12"),
        ("string", 1.5, "1.5"),
        ("string", date(2024, 1, 5), "2024-01-05"),
        ("integer", "42", 42),
        ("integer", " -7 ", -7),
        ("integer", "+3", 3),
        ("integer", "１２３", 123),
        ("integer", 5, 5),
        ("integer", 5.0, 5),
        ("number", "3.25", Decimal("3.25")),
        ("number", "-0.5", Decimal("-0.5")),
        ("number", "1e3", Decimal("1E+3")),
        ("number", "３.５", Decimal("3.5")),
        ("number", 0.1, Decimal("0.1")),
        ("number", 7, Decimal(7)),
        ("boolean", "true", True),
        ("boolean", "是", True),
        ("boolean", "否", False),
        ("boolean", "0", False),
        ("boolean", "１", True),
        ("boolean", True, True),
        ("boolean", 0, False),
        ("date", "2024-01-05", date(2024, 1, 5)),
        ("date", "2024/1/5", date(2024, 1, 5)),
        ("date", "2024-1-5", date(2024, 1, 5)),
        ("date", "2024年1月5日", date(2024, 1, 5)),
        ("date", "２０２４年１２月３１日", date(2024, 12, 31)),
        ("date", datetime(2024, 1, 5), date(2024, 1, 5)),
        ("date", date(2024, 1, 5), date(2024, 1, 5)),
        ("datetime", "2024-01-05 10:30:00", datetime(2024, 1, 5, 10, 30)),
        ("datetime", "2024-01-05T10:30", datetime(2024, 1, 5, 10, 30)),
        ("datetime", "2024/1/5 8:05", datetime(2024, 1, 5, 8, 5)),
        (
            "datetime",
            "2024-01-05T10:30:00+08:00",
            datetime(2024, 1, 5, 10, 30, tzinfo=timezone(timedelta(hours=8))),
        ),
        ("datetime", datetime(2024, 1, 5, 10, 30), datetime(2024, 1, 5, 10, 30)),
        ("year", "2024", 2024),
        ("year", 2024, 2024),
        ("year", "２０２４", 2024),
    ],
)
def test_casts(field_type, cell, expected):
    value, reason = clean_one({"name": "x", "type": field_type}, cell)
    assert reason is None
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("field_type", "cell", "reason"),
    [
        ("string", True, "a true/false cell where text was expected"),
        ("integer", "1.5", "not a whole number"),
        ("integer", "1_000", "not a whole number"),
        ("integer", "1,000", "not a whole number"),
        ("integer", 1.5, "not a whole number"),
        ("integer", True, "not a whole number"),
        ("number", "NaN", "not a number"),
        ("number", "inf", "not a number"),
        ("number", "12元", "not a number"),
        ("number", float("inf"), "not a number"),
        (
            "boolean",
            "yes",
            "not true or false (use true, True, TRUE, 1, 是, false, False, FALSE, 0, 否)",
        ),
        (
            "boolean",
            2,
            "not true or false (use true, True, TRUE, 1, 是, false, False, FALSE, 0, 否)",
        ),
        ("date", "2024-02-30", "not a valid date (use YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日)"),
        ("date", "2024.01.05", "not a valid date (use YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日)"),
        ("date", "2024-01/05", "not a valid date (use YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日)"),
        ("date", datetime(2024, 1, 5, 9), "has a time of day where a date was expected"),
        ("datetime", "2024-01-05", "not a valid date and time (use YYYY-MM-DD HH:MM:SS)"),
        ("datetime", "2024-01-05 25:00", "not a valid date and time (use YYYY-MM-DD HH:MM:SS)"),
        ("datetime", date(2024, 1, 5), "a date without a time of day"),
        ("year", "24", "not a year (four digits)"),
        ("year", 20245, "not a year (four digits)"),
    ],
)
def test_cast_failures(field_type, cell, reason):
    assert clean_one({"name": "x", "type": field_type}, cell) == (None, reason)


@pytest.mark.parametrize("cell", [None, "", "   ", "\u3000", "\t\n", float("nan")])
def test_empty_and_whitespace_cells_are_missing(cell):
    assert clean_one({"name": "x", "type": "integer"}, cell) == (None, None)
    required = {"name": "x", "type": "integer", "constraints": {"required": True}}
    assert clean_one(required, cell) == (None, "required value is missing")


def test_schema_missing_values():
    schema = schema_of({"name": "x", "type": "integer"}, missingValues=["", "-", "无"])
    validator = RowValidator(schema)
    assert validator.validate(2, {"x": "无"}) == ({"x": None}, [])
    assert validator.validate(3, {"x": " - "}) == ({"x": None}, [])


def test_custom_true_and_false_words():
    field = {"name": "x", "type": "boolean", "trueValues": ["Y"], "falseValues": ["N"]}
    assert clean_one(field, "Y") == (True, None)
    assert clean_one(field, "true") == (None, "not true or false (use Y, N)")


# --- Constraints --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "cell", "expected"),
    [
        ({"type": "string", "constraints": {"enum": ["a", "b"]}}, "c", (None, "not one of: a, b")),
        ({"type": "string", "constraints": {"enum": ["a", "b"]}}, " b ", ("b", None)),
        (
            {"type": "string", "constraints": {"minLength": 2}},
            "张",
            (None, "shorter than 2 characters"),
        ),
        (
            {"type": "string", "constraints": {"maxLength": 2}},
            "张三丰",
            (None, "longer than 2 characters"),
        ),
        ({"type": "string", "constraints": {"maxLength": 2}}, "张三", ("张三", None)),
        ({"type": "string", "constraints": {"pattern": "[A-Z]{3}"}}, "CHN", ("CHN", None)),
        (
            {"type": "string", "constraints": {"pattern": "[A-Z]{3}"}},
            "CHNA",
            (None, "does not match [A-Z]{3}"),
        ),
        (
            {"type": "string", "constraints": {"pattern": "[A-Z]{3}"}},
            "chn",
            (None, "does not match [A-Z]{3}"),
        ),
        ({"type": "integer", "constraints": {"minimum": 0}}, "-1", (None, "below the minimum 0")),
        ({"type": "integer", "constraints": {"minimum": 0}}, "0", (0, None)),
        (
            {"type": "integer", "constraints": {"maximum": 150}},
            "151",
            (None, "above the maximum 150"),
        ),
        ({"type": "integer", "constraints": {"enum": [1, 2]}}, "2", (2, None)),
        ({"type": "integer", "constraints": {"enum": [1, 2]}}, "3", (None, "not one of: 1, 2")),
        (
            {"type": "number", "constraints": {"minimum": 34, "maximum": 43}},
            "36.6",
            (Decimal("36.6"), None),
        ),
        (
            {"type": "number", "constraints": {"maximum": 43}},
            "43.01",
            (None, "above the maximum 43"),
        ),
        (
            {"type": "date", "constraints": {"minimum": "2020-01-01"}},
            "2019/12/31",
            (None, "below the minimum 2020-01-01"),
        ),
        (
            {"type": "year", "constraints": {"maximum": 2030}},
            "2031",
            (None, "above the maximum 2030"),
        ),
        (
            {"type": "datetime", "constraints": {"minimum": "2020-01-01T00:00:00"}},
            "2024-01-05T10:30:00+08:00",
            (None, "not comparable with the bounds 2020-01-01 00:00:00, None"),
        ),
    ],
)
def test_constraints(field, cell, expected):
    assert clean_one({"name": "x"} | field, cell) == expected


def test_all_rejected_cells_of_a_row_are_reported_in_field_order():
    validator = RowValidator(load_standard("material_stock"))
    row = {
        "warehouse_code": "WH-01",
        "warehouse_name": "江岸区应急物资储备库",
        "area_code": "420102001001",
        "material_code": "PPE-N95",
        "material_name": "N95口罩",
        "category": "masks",
        "unit": "个",
        "quantity": "-5",
        "stock_date": "2024年2月30日",
    }
    assert validator.validate(7, row) == (
        None,
        [
            RowError(
                7,
                "category",
                "masks",
                "not one of: daily_necessity, disinfectant, food, medical_device, medicine, "
                "other, ppe, test_kit",
            ),
            RowError(7, "quantity", "-5", "below the minimum 0"),
            RowError(
                7,
                "stock_date",
                "2024年2月30日",
                "not a valid date (use YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日)",
            ),
        ],
    )


# --- Our formats: ID numbers, phones, area codes ------------------------------------------------


def test_national_id_check_character():
    assert national_id_check_char(ID_A[:17]) == "4"
    assert national_id_check_char(ID_X[:17]) == "X"
    with pytest.raises(ValueError, match="ASCII digits"):
        national_id_check_char("1101051949123100")


def test_check_character_is_the_weighted_sum_of_gb_11643():
    rng = random.Random(11643)
    for _ in range(2000):
        first17 = "".join(rng.choices("0123456789", k=17))
        total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
        assert national_id_check_char(first17) == "10X98765432"[total % 11]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (ID_X, ID_X),
        (ID_X.lower(), ID_X),
        ("１１０１０５１９４９１２３１００２Ｘ", ID_X),
        ("110105 19491231 002X", ID_X),
        (ID_A, ID_A),
    ],
)
def test_national_ids_are_normalised(cell, expected):
    field = {"name": "x", "type": "string", "format": "national_id"}
    assert clean_one(field, cell) == (expected, None)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        (420102199001011234, STORED_AS_NUMBER),
        (date(1990, 1, 1), "not an ID number (17 digits and a check digit 0-9 or X)"),
        (4.20102199001011e17, STORED_AS_NUMBER),
        ("4.20102E+17", STORED_AS_NUMBER),
        ("4.20102e17", STORED_AS_NUMBER),
        ("420102900101123", "a 15-digit first-generation ID number; give the 18-digit number"),
        ("11010519491231002", "not an ID number (17 digits and a check digit 0-9 or X)"),
        ("11010519491231002Y", "not an ID number (17 digits and a check digit 0-9 or X)"),
        (make_id("11010519490230002")[:17] + "0", "the birth date in the ID number does not exist"),
        (make_id("11010518700101002"), "the birth date in the ID number is out of range"),
        (make_id("11010530000101002"), "the birth date in the ID number is out of range"),
        ("110105194912310021", "the check digit does not match: a digit was mistyped"),
    ],
)
def test_bad_national_ids(cell, reason):
    field = {"name": "x", "type": "string", "format": "national_id"}
    assert clean_one(field, cell) == (None, reason)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("13812345678", ("13812345678", None)),
        ("138 1234 5678", ("13812345678", None)),
        ("+86 138-1234-5678", ("13812345678", None)),
        ("１３８１２３４５６７８", ("13812345678", None)),
        ("027-87654321", ("02787654321", None)),
        ("(0710)1234567", ("07101234567", None)),
        (13812345678, ("13812345678", None)),
        (13812345678.0, ("13812345678", None)),
        (
            2787654321,
            (
                None,
                "stored as a number: a leading 0 or digits may be lost; "
                "format the column as text and export again",
            ),
        ),
        (
            "12345",
            (None, "not a phone number (an 11-digit mobile, or a landline with its area code)"),
        ),
        (
            "1381234567",
            (None, "not a phone number (an 11-digit mobile, or a landline with its area code)"),
        ),
    ],
)
def test_phones(cell, expected):
    assert clean_one({"name": "x", "type": "string", "format": "phone"}, cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("420102001001", ("420102001001", None)),
        ("420102001001001002003", ("420102001001001002003", None)),
        (420102001001, ("420102001001", None)),
        (420102001001.0, ("420102001001", None)),
        (4201020010010010, (None, STORED_AS_NUMBER)),
        ("4.20102001001E+20", (None, STORED_AS_NUMBER)),
        ("420102", (None, "not an area code (12 to 21 digits)")),
        ("42010200100A", (None, "not an area code (12 to 21 digits)")),
    ],
)
def test_area_codes(cell, expected):
    assert clean_one({"name": "x", "type": "string", "format": "area_code"}, cell) == expected


# --- Excel pitfalls -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, datetime(1900, 1, 1)),
        (59, datetime(1900, 2, 28)),
        (61, datetime(1900, 3, 1)),
        (45292, datetime(2024, 1, 1)),
        (45292.5, datetime(2024, 1, 1, 12)),
        (45292.75001, datetime(2024, 1, 1, 18, 0, 1)),
        (2958465, datetime(9999, 12, 31)),
    ],
)
def test_excel_serials(serial, expected):
    assert excel_serial(serial) == expected


def test_excel_serial_dates_in_cells():
    day = {"name": "x", "type": "date"}
    moment = {"name": "x", "type": "datetime"}
    assert clean_one(day, 45292) == (date(2024, 1, 1), None)
    assert clean_one(day, 45292.0) == (date(2024, 1, 1), None)
    assert clean_one(moment, 45292.25) == (datetime(2024, 1, 1, 6), None)
    assert clean_one(day, 60) == (
        None,
        "Excel serial 60 is 1900-02-29, a day that never existed (Excel's bug)",
    )
    assert clean_one(day, 0) == (None, "0 is not an Excel serial date (1 is 1900-01-01)")
    assert clean_one(day, 45292.5) == (
        None,
        "an Excel serial with a time of day where a date was expected",
    )
    # Text is not a number cell: the exporter can fix the column, so say so instead of guessing.
    assert clean_one(day, "45292") == (
        None,
        "not a date: 45292 looks like an Excel serial date; format the column as a date and "
        "export again",
    )


def test_long_numbers_in_plain_text_columns_are_refused():
    field = {"name": "x", "type": "string"}
    assert clean_one(field, 123456789012345) == ("123456789012345", None)
    assert clean_one(field, 4201021990010112) == (None, STORED_AS_NUMBER)
    assert clean_one(field, 4.201021990010112e17) == (None, STORED_AS_NUMBER)


# --- Masking personal values in errors ----------------------------------------------------------


def test_mask():
    assert mask("420102199001011234", "national_id") == "4201**********1234"
    assert mask("13812345678", "phone") == "138****5678"
    assert mask("张三") == "张*"
    assert mask("欧阳娜娜") == "欧***"
    assert mask("") == ""


def test_errors_mask_personal_values_only():
    validator = RowValidator(load_standard("case_report"))
    row = {
        "report_id": "R-1",
        "disease": "新型冠状病毒感染",
        "case_type": "confirmed",
        "name": "张三" * 30,
        "national_id": "420102199001011235",
        "sex": "1",
        "age": "abc",
        "phone": "1381234567",
        "area_code": "420102001001",
        "report_date": "2024-01-06",
        "reporting_org": "武汉市第一医院",
    }
    record, errors = validator.validate(12, row)
    assert record is None
    assert errors == [
        RowError(12, "name", "张" + "*" * 59, "longer than 50 characters"),
        RowError(
            12,
            "national_id",
            "4201**********1235",
            "the check digit does not match: a digit was mistyped",
        ),
        RowError(12, "age", "abc", "not a whole number"),
        RowError(
            12,
            "phone",
            "138***4567",
            "not a phone number (an 11-digit mobile, or a landline with its area code)",
        ),
    ]


def test_an_id_stored_as_a_number_is_refused_and_masked():
    validator = RowValidator(load_standard("person"))
    row = {"person_id": "P1", "name": "李四", "sex": "2", "area_code": "420102001001"}
    _, errors = validator.validate(3, row | {"national_id": 420102199001011000})
    assert errors == [RowError(3, "national_id", "4201**********1000", STORED_AS_NUMBER)]
    _, errors = validator.validate(4, row | {"person_id": "P2", "national_id": "4.20102E+17"})
    assert errors == [RowError(4, "national_id", "4**********", STORED_AS_NUMBER)]


# --- Rows, keys and headers ---------------------------------------------------------------------


def test_a_valid_row_becomes_a_typed_record():
    validator = RowValidator(load_standard("test_result"))
    row = {
        "sample_id": "S0001",
        "name": "王五",
        "national_id": ID_X,
        "test_type": "pcr",
        "pathogen": "SARS-CoV-2",
        "collected_at": "2022/4/1 9:30",
        "result": "positive",
        "ct_value": "31.5",
        "lab_name": "武汉金域医学检验所",
        "area_code": "420102001001",
        "unknown_column": "ignored",
    }
    record, errors = validator.validate(2, row)
    assert errors == []
    assert record == {
        "sample_id": "S0001",
        "name": "王五",
        "national_id": ID_X,
        "phone": None,
        "test_type": "pcr",
        "pathogen": "SARS-CoV-2",
        "sampling_mode": None,
        "pool_size": None,
        "collected_at": datetime(2022, 4, 1, 9, 30),
        "tested_at": None,
        "result": "positive",
        "ct_value": Decimal("31.5"),
        "lab_name": "武汉金域医学检验所",
        "lab_code": None,
        "area_code": "420102001001",
        "collection_site": None,
    }


def test_a_repeated_natural_key_in_one_file_is_refused():
    schema = load_standard("material_stock")
    row = {
        "warehouse_code": "WH-01",
        "warehouse_name": "储备库",
        "area_code": "420102001001",
        "material_code": "PPE-N95",
        "material_name": "N95口罩",
        "category": "ppe",
        "unit": "个",
        "quantity": "100",
        "stock_date": "2024-01-05",
    }
    validator = RowValidator(schema)
    assert validator.validate(2, row)[1] == []
    assert validator.validate(3, row | {"stock_date": "2024-01-06"})[1] == []
    assert validator.validate(4, row | {"stock_date": "2024/1/5", "quantity": "90"}) == (
        None,
        [
            RowError(
                4,
                "warehouse_code,material_code,stock_date",
                "WH-01,PPE-N95,2024-01-05",
                "duplicate key: the same as row 2",
            )
        ],
    )
    # A row whose key cell is missing gets one error, not a second one about the key.
    assert validator.validate(5, row | {"warehouse_code": " "})[1] == [
        RowError(5, "warehouse_code", "", "required value is missing")
    ]
    unchecked = RowValidator(schema, unique_keys=False)
    assert unchecked.validate(2, row)[1] == unchecked.validate(3, row)[1] == []


def test_header_problems():
    schema = load_standard("venue_checkin")
    good = ["checkin_id", "venue_code", "venue_name", "area_code", "checked_in_at", "phone"]
    assert schema.check_header(good) == []
    assert RowValidator(schema).check_header(good) == []
    assert schema.check_header(["\ufeffcheckin_id", *good[1:], "temperature "]) == []
    assert schema.check_header(
        ["登记编号", "Venue code", "场所名称", "venue_name", "备注", "", "phone"]
    ) == [
        "columns 3 and 4 are both 'venue_name'",
        "unknown column '备注' (column 5)",
        "column 6 has no name",
        "missing required column 'area_code' (区划代码)",
        "missing required column 'checked_in_at' (登记时间)",
    ]
    names, _ = schema.resolve_header(["登记编号", "Venue code", "备注"])
    assert names == ["checkin_id", "venue_code", None]


# --- CSV export ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("张三", "张三"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_escape_formula(value, expected):
    assert escape_formula(value) == expected


# --- Agreement with frictionless ----------------------------------------------------------------
# Standard Table Schema only: our semantic formats are dropped (frictionless refuses them), and
# the generated cells avoid what we accept on purpose and frictionless does not (padding spaces,
# whitespace-only cells, YYYY/MM/DD, full-width digits, Excel serials).

PATTERN_SAMPLES = ("K{i:06d}", "91420100MA4K7D8X2P", "CHN")
TEXT_SAMPLES = ("张三", "武汉市第一医院", "解放大道1号", "SARS-CoV-2", "个")


def plain_descriptor(schema: TableSchema) -> dict:
    descriptor = schema.to_descriptor()
    for spec in descriptor["fields"]:
        spec.pop("format", None)
    return descriptor


def valid_text(spec, rng: random.Random, i: int) -> str:
    low = spec.minimum if spec.minimum is not None else -50
    high = spec.maximum if spec.maximum is not None else 1000
    if spec.enum is not None:
        return str(rng.choice(sorted(spec.enum)))
    if spec.type == "string" and spec.pattern:
        for sample in PATTERN_SAMPLES:
            text = sample.format(i=i)
            if re.fullmatch(spec.pattern, text):
                return text
        raise AssertionError(f"no sample matches {spec.pattern}: add one to PATTERN_SAMPLES")
    if spec.type == "string":
        return rng.choice(TEXT_SAMPLES)[: spec.max_length or None]
    if spec.type == "integer":
        return str(rng.randint(int(low), int(high)))
    if spec.type == "number":
        return f"{rng.randint(int(low * 100), int(high * 100)) / 100:.2f}"
    if spec.type == "boolean":
        return rng.choice(spec.true_values + spec.false_values)
    day = date(2020, 1, 1) + timedelta(days=rng.randint(0, 1500))
    if spec.type == "date":
        return day.isoformat()
    if spec.type == "datetime":
        return f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    return str(rng.randint(1990, 2030))


def invalid_texts(spec) -> list[str]:
    """Cells that break exactly this field, under standard Table Schema rules."""
    texts = {
        "integer": ["abc", "1.5"],
        "number": ["abc", "1,5"],
        "boolean": ["maybe"],
        "date": ["2024-02-30", "05/01/2024"],
        "datetime": ["2024-13-01T00:00:00", "soon"],
        "year": ["20x4"],
        "string": [],
    }[spec.type]
    if spec.required:
        texts.append("")
    if spec.enum is not None:
        texts.append("zz_not_listed")
    if spec.pattern:
        texts.append("!!bad!!")
    if spec.max_length is not None:
        texts.append("长" * (spec.max_length + 1))
    if spec.minimum is not None:
        texts.append(str(spec.minimum - 1))
    if spec.maximum is not None:
        texts.append(str(spec.maximum + 1))
    return texts


def generate_rows(schema: TableSchema, count: int, seed: int):
    """Rows as CSV text with the expected verdict of each: the set of invalid fields."""
    rng = random.Random(seed)
    breakable = [s for s in schema.fields if s.name not in schema.primary_key and invalid_texts(s)]
    rows, expected = [], []
    for i in range(count):
        row = {spec.name: valid_text(spec, rng, i) for spec in schema.fields}
        verdict: set[str] = set()
        kind = i % 5
        if kind in (1, 2):  # one or two invalid cells
            for spec in rng.sample(breakable, kind):
                row[spec.name] = rng.choice(invalid_texts(spec))
                verdict.add(spec.name)
        elif kind == 3 and i > 10:  # an otherwise valid row repeating an earlier key
            earlier = rows[rng.randrange(i - 10, i)]
            row |= {name: earlier[name] for name in schema.primary_key}
            verdict.add("primary-key")
        rows.append(row)
        expected.append(verdict)
    return rows, expected


@pytest.mark.parametrize("name", STANDARD_NAMES)
def test_verdicts_agree_with_frictionless(name, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    from frictionless import formats

    schema = TableSchema.from_descriptor(plain_descriptor(load_standard(name)))
    rows, expected = generate_rows(schema, 300, seed=len(name))
    path = tmp_path / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=schema.field_names)
        writer.writeheader()
        writer.writerows(rows)

    validator = RowValidator(schema)
    ours = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header, as frictionless counts
        _, errors = validator.validate(number, row)
        ours.append(
            {"primary-key" if e.reason.startswith("duplicate key") else e.field for e in errors}
        )

    report = frictionless.validate(
        path.name,
        basepath=str(tmp_path),  # frictionless reads absolute paths only below its basepath
        schema=frictionless.Schema.from_descriptor(plain_descriptor(schema)),
        control=formats.CsvControl(delimiter=","),
        encoding="utf-8",
        limit_errors=100_000,
    )
    theirs: list[set[str]] = [set() for _ in rows]
    for row_number, field_name, error_type in report.flatten(["rowNumber", "fieldName", "type"]):
        assert row_number is not None, f"frictionless refused the file: {error_type}"
        label = field_name if error_type in ("type-error", "constraint-error") else error_type
        theirs[row_number - 2].add(label)

    disagreements = [
        (number, row, mine, other)
        for number, (row, mine, other) in enumerate(zip(rows, ours, theirs, strict=True), start=2)
        if mine != other
    ]
    assert disagreements == []
    assert ours == expected
