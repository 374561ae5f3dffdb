"""Pure rules of the queries (no Django): trip numbers as citizens type them, weekly opening
hours, and whether a site is open at a moment. static/citizen_queries/selfcheck.js repeats
`trip_number_key` for the self-check in the browser; keep the two the same."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

# What people add around a number: "公交 18路", "地铁2号线", "Line 2", "G1234次", "航班CA1501".
_SEPARATORS = re.compile(r"[\s\-_·.．、/]+")
_PREFIXES = ("轨道交通", "公交", "地铁", "航班", "BUS", "METRO", "LINE", "FLIGHT", "NO")
_SUFFIXES = ("号线", "路", "线", "次", "航班")
_KEY = re.compile(r"[0-9A-Z\u4e00-\u9fff]{1,20}")
MAX_NUMBER_LENGTH = 40


class RuleError(ValueError):
    """Input that breaks a rule; `field` names it."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def fold(text: str) -> str:
    """Full-width to half-width (NFKC), upper case, no spaces or separators."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).upper())


def trip_number_key(number: str) -> str:
    """The form a trip number is matched in: "ｇ１２３４" and "G 1234次" are "G1234", "公交
    18路" and "18路" are "18". RuleError (field `number`) when nothing usable is left."""
    if len(number) > MAX_NUMBER_LENGTH:
        raise RuleError(f"a trip number has at most {MAX_NUMBER_LENGTH} characters", "number")
    key = fold(number)
    for prefix in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
            break
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
            break
    if not _KEY.fullmatch(key):
        raise RuleError(
            "a trip number is letters and digits, such as G1234, CA1501 or 18路", "number"
        )
    return key


# --- opening hours ------------------------------------------------------------------------------

WEEKDAYS = ("0", "1", "2", "3", "4", "5", "6")  # Monday .. Sunday, as datetime.weekday()
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")
MAX_INTERVALS = 4


def _minutes(text: str, field: str) -> int:
    if not isinstance(text, str) or not _TIME.fullmatch(text):
        raise RuleError(f"{text!r} is not a time of day HH:MM (00:00 to 24:00)", field)
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def hours_check(hours: object) -> dict[str, list[list[str]]]:
    """Weekly hours, checked: {"0": [["08:00", "12:00"], ...], ...} with every weekday key
    present (an empty list: closed that day), intervals in order and not overlapping."""
    if not isinstance(hours, dict):
        raise RuleError("hours map weekdays 0 (Monday) to 6 (Sunday) to intervals", "hours")
    unknown = sorted(set(hours) - set(WEEKDAYS))
    if unknown:
        raise RuleError(f"{unknown[0]!r} is not a weekday 0 (Monday) to 6 (Sunday)", "hours")
    checked: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        intervals = hours.get(day, [])
        field = f"hours.{day}"
        if not isinstance(intervals, list) or len(intervals) > MAX_INTERVALS:
            raise RuleError(f"at most {MAX_INTERVALS} [from, to] intervals a day", field)
        end_before = -1
        for index, interval in enumerate(intervals):
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                raise RuleError('an interval is [from, to], e.g. ["08:00", "12:00"]', field)
            start = _minutes(interval[0], f"{field}[{index}]")
            end = _minutes(interval[1], f"{field}[{index}]")
            if start >= end:
                raise RuleError("an interval ends after it starts", f"{field}[{index}]")
            if start < end_before:
                raise RuleError("intervals are in order and do not overlap", f"{field}[{index}]")
            end_before = end
        checked[day] = [[a, b] for a, b in intervals]
    return checked


def hours_parse_line(line: str, field: str) -> list[list[str]]:
    """One day typed on a form: "08:00-12:00, 14:00-17:30" (empty: closed)."""
    intervals = []
    for part in re.split(r"[,，;；\s]+", unicodedata.normalize("NFKC", line).strip()):
        if not part:
            continue
        start, sep, end = part.partition("-")
        if not sep:
            raise RuleError(f"{part!r}: write an interval as 08:00-12:00", field)
        intervals.append([start.strip(), end.strip()])
    return intervals


def is_open(hours: dict, moment: dt.datetime) -> bool:
    """Whether `moment` (local time) falls inside one of that weekday's intervals."""
    minute = moment.hour * 60 + moment.minute
    for start, end in hours.get(str(moment.weekday()), []):
        if _minutes(start, "hours") <= minute < _minutes(end, "hours"):
            return True
    return False
