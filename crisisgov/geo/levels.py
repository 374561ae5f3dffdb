"""Administrative levels and the area code scheme.

Upper levels use the 12-digit statistical division code (PP CC DD SSS CCC: province, city,
district/county, street/township, community/village). Grid, residential area and building
extend it by three digits each. An area's `path` is its code cut to its own level's digits,
so every descendant's path starts with it: a subtree is one indexed prefix range.
"""

from __future__ import annotations

from enum import IntEnum

from django.utils.translation import gettext_lazy as _


class Level(IntEnum):
    PROVINCE = 1
    CITY = 2
    DISTRICT = 3
    STREET = 4
    COMMUNITY = 5
    GRID = 6
    RESIDENTIAL_AREA = 7
    BUILDING = 8


LEVEL_LABELS = {
    Level.PROVINCE: _("province"),
    Level.CITY: _("city"),
    Level.DISTRICT: _("district/county"),
    Level.STREET: _("street/township"),
    Level.COMMUNITY: _("community/village"),
    Level.GRID: _("grid"),
    Level.RESIDENTIAL_AREA: _("residential area"),
    Level.BUILDING: _("building"),
}
LEVEL_SLUGS = {level: level.name.lower() for level in Level}
# Digits of the path at each level.
PATH_DIGITS = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.DISTRICT: 6,
    Level.STREET: 9,
    Level.COMMUNITY: 12,
    Level.GRID: 15,
    Level.RESIDENTIAL_AREA: 18,
    Level.BUILDING: 21,
}
STATISTICAL_CODE_DIGITS = 12


LEVELS_BY_SLUG = {slug: level for level, slug in LEVEL_SLUGS.items()}


def level_from_value(value: object) -> Level | None:
    """The level a file or form names by number (1-8) or slug ("grid"), or None."""
    if isinstance(value, bool):  # a JSON true is not level 1
        return None
    if isinstance(value, int):
        return Level(value) if Level.PROVINCE <= value <= Level.BUILDING else None
    if isinstance(value, str):
        return LEVELS_BY_SLUG.get(value)
    return None


def path_from_code(code: str, level: Level) -> str:
    return code[: PATH_DIGITS[level]]


def code_from_path(path: str, level: Level) -> str:
    """Upper levels are shown as the 12-digit statistical code, zero-padded."""
    if PATH_DIGITS[level] <= STATISTICAL_CODE_DIGITS:
        return path.ljust(STATISTICAL_CODE_DIGITS, "0")
    return path


def check_code(code: str, level: Level, parent_path: str | None) -> str | None:
    """Why `code` is not a valid code for an area at `level` under `parent_path`, or None."""
    digits = PATH_DIGITS[level]
    expected_length = max(digits, STATISTICAL_CODE_DIGITS)
    # isascii(): str.isdigit() also accepts full-width and superscript digits.
    if not (code.isascii() and code.isdigit()) or len(code) != expected_length:
        return f"a {LEVEL_SLUGS[level]} code has {expected_length} digits"
    own = code[:digits]
    if set(code[digits:]) - {"0"}:
        return f"a {LEVEL_SLUGS[level]} code has zeros after its first {digits} digits"
    parent_digits = PATH_DIGITS[Level(level - 1)] if level > Level.PROVINCE else 0
    if set(own[parent_digits:]) == {"0"}:
        return f"the {LEVEL_SLUGS[level]} part of the code must not be all zeros"
    if parent_path is not None and not own.startswith(parent_path):
        return f"the code must start with its parent's digits {parent_path}"
    return None
