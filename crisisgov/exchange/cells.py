"""Cells as government files give them: casting to typed values, masking, export escaping.

A cell arrives as text (CSV), or typed (a spreadsheet reader gives int, float, bool, date and
datetime). Each parser takes one non-missing cell (text already stripped) and returns the typed
value or raises `InvalidCell` with a reason the uploader can act on. What real files get wrong is
handled here: full-width digits (NFKC), Excel serial dates, and ID numbers that a spreadsheet
stored as numbers, which have lost their last digits and are refused, never repaired.

Pure: no Django.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

Cell = str | int | float | bool | date | datetime | None

DEFAULT_TRUE_VALUES = ("true", "True", "TRUE", "1", "是")
DEFAULT_FALSE_VALUES = ("false", "False", "FALSE", "0", "否")
STORED_AS_NUMBER = (
    "stored as a number: the spreadsheet kept only 15 digits; format the column as text and "
    "export again"
)
DATE_FORMS = "use YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日"


class InvalidCell(Exception):
    """One cell's value is not acceptable; `reason` is what the uploader reads."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _ascii(text: str) -> str:
    """Full-width digits, letters and spaces as ASCII (NFKC), only paid for when there are any."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text).strip()


def _whole(cell: Cell) -> int | None:
    """A spreadsheet number cell as a whole number, or None when it is not one."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return None


def _is_number(cell: Cell) -> bool:
    return isinstance(cell, int | float) and not isinstance(cell, bool)


# --- Table Schema types -------------------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SCIENTIFIC = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]+")
_DATE = re.compile(r"([0-9]{4})(?:([-/])([0-9]{1,2})\2([0-9]{1,2})|年([0-9]{1,2})月([0-9]{1,2})日)")
_DATETIME = re.compile(
    r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})[T ]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
)
_EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 61 is 1900-03-01; see excel_serial
_MIDNIGHT = datetime.min.time()


def parse_string(cell: Cell) -> str:
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        raise InvalidCell("a true/false cell where text was expected")
    if isinstance(cell, int | float):
        whole = _whole(cell)
        if whole is None:
            return repr(cell)
        if len(str(abs(whole))) > 15:
            raise InvalidCell(STORED_AS_NUMBER)
        return str(whole)
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    raise InvalidCell(f"unreadable cell of type {type(cell).__name__}")


def parse_integer(cell: Cell) -> int:
    if isinstance(cell, str):
        text = _ascii(cell)
        if _INTEGER.fullmatch(text):
            return int(text)
    else:
        whole = _whole(cell)
        if whole is not None:
            return whole
    raise InvalidCell("not a whole number")


def parse_number(cell: Cell) -> Decimal:
    if isinstance(cell, str):
        text = _ascii(cell)
        if _NUMBER.fullmatch(text):
            return Decimal(text)
    elif isinstance(cell, int) and not isinstance(cell, bool):
        return Decimal(cell)
    elif isinstance(cell, float) and math.isfinite(cell):
        return Decimal(repr(cell))  # the shortest text that reads back as this float
    raise InvalidCell("not a number")


def parse_year(cell: Cell) -> int:
    if isinstance(cell, str):
        text = _ascii(cell)
        if len(text) == 4 and text.isdigit():
            return int(text)
    else:
        whole = _whole(cell)
        if whole is not None and 0 <= whole <= 9999:
            return whole
    raise InvalidCell("not a year (four digits)")


def excel_serial(serial: float) -> datetime:
    """An Excel serial date (1900 date system) as the date and time Excel shows for it.

    Excel counts 1900-01-01 as day 1 and, copying Lotus 1-2-3, treats 1900 as a leap year:
    serial 60 is a 29 February 1900 that never was, and the days before it are one off.
    """
    if not 1 <= serial < 2958466:  # 2958465 is 9999-12-31, Excel's last day
        raise InvalidCell(f"{serial} is not an Excel serial date (1 is 1900-01-01)")
    if 60 <= serial < 61:
        raise InvalidCell("Excel serial 60 is 1900-02-29, a day that never existed (Excel's bug)")
    if serial < 60:
        serial += 1
    return _EXCEL_EPOCH + timedelta(seconds=round(serial * 86400))


def parse_date(cell: Cell) -> date:
    if isinstance(cell, str):
        text = _ascii(cell)
        if len(text) == 10 and text[4] == "-" == text[7]:
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise InvalidCell(f"not a valid date ({DATE_FORMS})") from None
        match = _DATE.fullmatch(text)
        if match:
            year, _, month, day, month_zh, day_zh = match.groups()
            try:
                return date(int(year), int(month or month_zh), int(day or day_zh))
            except ValueError:
                pass
        elif text.isdigit() and len(text) <= 5:
            # Text, not a number cell: whoever exported it can fix the column at the source.
            raise InvalidCell(
                f"not a date: {text} looks like an Excel serial date; format the column as a "
                "date and export again"
            )
        raise InvalidCell(f"not a valid date ({DATE_FORMS})")
    if isinstance(cell, datetime):
        if cell.time() != _MIDNIGHT:
            raise InvalidCell("has a time of day where a date was expected")
        return cell.date()
    if isinstance(cell, date):
        return cell
    if _is_number(cell):
        stamp = excel_serial(cell)  # type: ignore[arg-type]
        if stamp.time() != _MIDNIGHT:
            raise InvalidCell("an Excel serial with a time of day where a date was expected")
        return stamp.date()
    raise InvalidCell(f"not a valid date ({DATE_FORMS})")


def parse_datetime(cell: Cell) -> datetime:
    """A date and time; naive unless the cell gives an offset (naive means the city's time)."""
    if isinstance(cell, str):
        text = _ascii(cell)
        if len(text) >= 16 and text[4] == "-" and text[10] in "T ":
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                pass
        match = _DATETIME.fullmatch(text)
        if match:
            try:
                return datetime(*(int(part or 0) for part in match.groups()))
            except ValueError:
                pass
        raise InvalidCell("not a valid date and time (use YYYY-MM-DD HH:MM:SS)")
    if isinstance(cell, datetime):
        return cell
    if isinstance(cell, date):
        raise InvalidCell("a date without a time of day")
    if _is_number(cell):
        return excel_serial(cell)  # type: ignore[arg-type]
    raise InvalidCell("not a valid date and time (use YYYY-MM-DD HH:MM:SS)")


def boolean_parser(
    true_values: tuple[str, ...] = DEFAULT_TRUE_VALUES,
    false_values: tuple[str, ...] = DEFAULT_FALSE_VALUES,
) -> Callable[[Cell], bool]:
    """A parser for a boolean field with the field's own words for true and false."""
    words = {v: True for v in true_values} | {v: False for v in false_values}
    reason = f"not true or false (use {', '.join(true_values + false_values)})"

    def parse_boolean(cell: Cell) -> bool:
        if isinstance(cell, bool):
            return cell
        if isinstance(cell, str):
            value = words.get(cell)
            if value is None:
                value = words.get(_ascii(cell))
            if value is not None:
                return value
        elif _is_number(cell) and cell in (0, 1):
            return bool(cell)
        raise InvalidCell(reason)

    return parse_boolean


# --- Our semantic formats (all on string fields) ------------------------------------------------

# GB 11643-1999: 6-digit area, 8-digit birth date, 3-digit sequence, ISO 7064 MOD 11-2 check.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_THIS_YEAR = date.today().year
# Every MMDD of a leap year; cheaper than building a date for every imported ID number.
_MONTH_DAYS = frozenset(
    f"{month:02d}{day:02d}"
    for month in range(1, 13)
    for day in range(1, calendar.monthrange(2000, month)[1] + 1)
)


def national_id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of an ID number's first 17 digits."""
    if not (len(first17) == 17 and first17.isascii() and first17.isdigit()):
        raise ValueError("the first 17 characters of an ID number are ASCII digits")
    # ID_WEIGHTS are 2**(18 - i) mod 11 and 13 = 2 (mod 11): reading the digits in base 13
    # gives half the weighted sum, mod 11, in one C call (this runs on every imported ID).
    return ID_CHECK_CHARS[2 * int(first17, 13) % 11]


def parse_national_id(cell: Cell) -> str:
    """A resident ID number (GB 11643), upper-case X; refused when it was a number cell."""
    if _is_number(cell):
        raise InvalidCell(STORED_AS_NUMBER)
    if not isinstance(cell, str):
        raise InvalidCell("not an ID number (17 digits and a check digit 0-9 or X)")
    number = cell
    if not _ID_SHAPE.fullmatch(number):
        number = _ascii(cell).replace(" ", "").upper()
    if not _ID_SHAPE.fullmatch(number):
        if _SCIENTIFIC.fullmatch(number):
            raise InvalidCell(STORED_AS_NUMBER)
        if len(number) == 15 and number.isdigit():
            raise InvalidCell("a 15-digit first-generation ID number; give the 18-digit number")
        raise InvalidCell("not an ID number (17 digits and a check digit 0-9 or X)")
    year, month_day = int(number[6:10]), number[10:14]
    if month_day not in _MONTH_DAYS or (month_day == "0229" and not calendar.isleap(year)):
        raise InvalidCell("the birth date in the ID number does not exist")
    if year < 1880 or (year >= _THIS_YEAR and number[6:14] > f"{date.today():%Y%m%d}"):
        raise InvalidCell("the birth date in the ID number is out of range")
    if ID_CHECK_CHARS[2 * int(number[:17], 13) % 11] != number[17]:
        raise InvalidCell("the check digit does not match: a digit was mistyped")
    return number


_PHONE_JUNK = str.maketrans("", "", " -()")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[1-9][0-9]{8,10}")  # area code with its 0, then 7 or 8 digits


def parse_phone(cell: Cell) -> str:
    """A mainland mobile or landline number as digits only (no +86, spaces or hyphens)."""
    if isinstance(cell, str):
        if _MOBILE.fullmatch(cell):
            return cell  # most cells: a mobile number, already clean
        number = _ascii(cell).translate(_PHONE_JUNK)
        for prefix in ("+86", "0086"):
            if number.startswith(prefix):
                number = number[len(prefix) :]
        if _MOBILE.fullmatch(number) or _LANDLINE.fullmatch(number):
            return number
        raise InvalidCell(
            "not a phone number (an 11-digit mobile, or a landline with its area code)"
        )
    if _is_number(cell):
        digits = str(_whole(cell))
        if _MOBILE.fullmatch(digits):
            return digits  # an 11-digit mobile number survives a number cell whole
        raise InvalidCell(
            "stored as a number: a leading 0 or digits may be lost; format the column as text "
            "and export again"
        )
    raise InvalidCell("not a phone number")


_AREA_CODE = re.compile(r"[0-9]{12,21}")


def parse_area_code(cell: Cell) -> str:
    """An administrative area code (GB/T 2260 + 3 + 3 digits, longer for grids): 12-21 digits."""
    if _is_number(cell):
        code = str(_whole(cell))
        if len(code) > 15 or not code.isdigit():
            raise InvalidCell(STORED_AS_NUMBER)
    elif isinstance(cell, str):
        if _AREA_CODE.fullmatch(cell):
            return cell
        code = _ascii(cell)
        if _SCIENTIFIC.fullmatch(code):
            raise InvalidCell(STORED_AS_NUMBER)
    else:
        raise InvalidCell("not an area code")
    if not _AREA_CODE.fullmatch(code):
        raise InvalidCell("not an area code (12 to 21 digits)")
    return code


PARSERS: dict[str, Callable[[Cell], object]] = {
    "string": parse_string,
    "integer": parse_integer,
    "number": parse_number,
    "boolean": boolean_parser(),
    "date": parse_date,
    "datetime": parse_datetime,
    "year": parse_year,
    "national_id": parse_national_id,
    "phone": parse_phone,
    "area_code": parse_area_code,
}


# --- Showing and exporting ----------------------------------------------------------------------


def mask(text: str, format_: str | None = None) -> str:
    """A personal value as an error report may show it: ID `4201**********1234`, phone
    `138****5678`, anything else its first character (`张*`)."""
    n = len(text)
    if format_ == "national_id" and n >= 12:
        return text[:4] + "*" * (n - 8) + text[-4:]
    if format_ == "phone" and n >= 9:
        return text[:3] + "*" * (n - 7) + text[-4:]
    return text[:1] + "*" * (n - 1)


def shown(cell: Cell) -> str:
    """A cell as an error report shows it: stripped, at most 100 characters."""
    if cell is None:
        return ""
    text = cell.strip() if isinstance(cell, str) else str(cell)
    return text if len(text) <= 100 else text[:100] + "…"


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: object) -> object:
    """A cell for CSV export that a spreadsheet will not run as a formula (OWASP CSV injection):
    text starting with = + - @ tab or CR gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
