"""The pure rules: trip numbers as people type them, weekly hours, open or closed."""

import datetime as dt

import pytest

from crisisgov.citizen.queries.rules import (
    RuleError,
    hours_check,
    hours_parse_line,
    is_open,
    trip_number_key,
)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("G1234", "G1234"),
        ("ｇ１２３４", "G1234"),
        (" g 12 34 ", "G1234"),
        ("G1234次", "G1234"),
        ("ca-1501", "CA1501"),
        ("航班CA1501", "CA1501"),
        ("公交 18路", "18"),
        ("１８路", "18"),
        ("地铁2号线", "2"),
        ("Line 2", "2"),
        ("路", "路"),  # a suffix alone is kept rather than emptied
    ],
)
def test_trip_numbers_are_folded_to_one_key(typed, key):
    assert trip_number_key(typed) == key


@pytest.mark.parametrize("typed", ["", "   ", "!!!", "G1234<script>", "x" * 41])
def test_an_unusable_trip_number_names_the_field(typed):
    with pytest.raises(RuleError) as refused:
        trip_number_key(typed)
    assert refused.value.field == "number"


def test_hours_are_checked_day_by_day_and_missing_days_are_closed():
    hours = hours_check({"0": [["08:00", "12:00"], ["14:00", "24:00"]]})
    assert hours["0"] == [["08:00", "12:00"], ["14:00", "24:00"]]
    assert hours["6"] == []
    for bad, field in (
        ({"7": []}, "hours"),
        ({"0": [["12:00", "08:00"]]}, "hours.0[0]"),
        ({"1": [["08:00", "12:00"], ["11:00", "13:00"]]}, "hours.1[1]"),
        ({"2": [["8:00", "12:00"]]}, "hours.2[0]"),
        ({"3": [["08:00"]]}, "hours.3"),
        ([], "hours"),
    ):
        with pytest.raises(RuleError) as refused:
            hours_check(bad)
        assert refused.value.field == field, bad


def test_a_typed_day_parses_and_open_is_half_open():
    assert hours_parse_line("08:00-12:00，14:00-17:30", "hours.0") == [
        ["08:00", "12:00"],
        ["14:00", "17:30"],
    ]
    assert hours_parse_line("  ", "hours.0") == []
    with pytest.raises(RuleError):
        hours_parse_line("8 to 12", "hours.0")
    hours = hours_check({"0": [["08:00", "12:00"]]})
    monday = dt.datetime(2026, 11, 23)
    assert [is_open(hours, monday.replace(hour=h, minute=m)) for h, m in
            ((7, 59), (8, 0), (11, 59), (12, 0))] == [False, True, True, False]  # fmt: skip
    assert not is_open(hours, monday + dt.timedelta(days=1, hours=9))
