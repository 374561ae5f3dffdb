"""Resident identity card numbers (GB 11643-1999): 6-digit area code, 8-digit birth date,
3-digit sequence (odd for men, even for women), and an ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"\d{17}[\dX]")


class InvalidNationalId(ValueError):
    pass


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise(value: str) -> str:
    """Full-width digits become ASCII (NFKC); spaces go; a lower-case x becomes X."""
    return unicodedata.normalize("NFKC", value).strip().replace(" ", "").upper()


def validate(value: str, *, today: dt.date | None = None) -> str:
    """Return the normalised number, or raise InvalidNationalId saying what is wrong."""
    number = normalise(value)
    # \d would also take Arabic-Indic and other digits, whose blind index differs.
    if not number.isascii() or not _SHAPE.fullmatch(number):
        raise InvalidNationalId("an ID number has 17 digits followed by a digit or X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidNationalId("the birth date in the ID number does not exist") from exc
    if birth < dt.date(1880, 1, 1) or birth > (today or dt.date.today()):
        raise InvalidNationalId("the birth date in the ID number is out of range")
    if check_character(number[:17]) != number[17]:
        raise InvalidNationalId("the ID number's check digit is wrong")
    return number


def birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex(number: str) -> str:
    """ "M" or "F", from the parity of the sequence code."""
    return "M" if int(number[16]) % 2 else "F"


def make(area_code6: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number (the synthetic city uses it): sequence 0-999."""
    first17 = f"{area_code6}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
