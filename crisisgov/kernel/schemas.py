"""Shared building blocks of API request schemas."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Path, Schema
from pydantic import ConfigDict

# Control characters other than tab and line breaks are never part of real input; NUL in
# particular makes PostgreSQL refuse the statement (a 500 instead of a 422).
NO_CONTROL_CHARACTERS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
MAX_OFFSET = 1_000_000  # deeper than any page a person reads; keeps OFFSET inside 64 bits


def text(*, max_length: int, min_length: int = 0) -> Any:
    """A string field with bounded length and no control characters."""
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length, pattern=NO_CONTROL_CHARACTERS)
    ]


# A database id in a URL path: larger numbers are a 422, not an overflow in the database.
PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]
# A database id in a body: a JSON integer (not "12", not true) that fits a 64-bit column.
Id = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]


class StrictInput(Schema):
    """Base of request bodies: an unknown field is a 422 naming it, never silently dropped."""

    model_config = ConfigDict(extra="forbid")
