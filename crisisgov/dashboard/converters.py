"""URL converters of the pages."""

from __future__ import annotations


class AreaIdConverter:
    """A database id: at most 18 digits, so that no lookup overflows a 64-bit column (a longer
    number is simply no page, 404, rather than a database error)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
