"""What of a ticket's free text everyone who sees the ticket may read.

Reasons, notes and answers are written by people and may quote the caller: they are masked
with the project's redactor (phones and landlines, ID numbers, bank cards, emails, addresses),
the same one the core's intake applies to the call's text.
"""

from __future__ import annotations

from crisisgov.opinion.analysis.text import redact


def masked(text: str) -> str:
    """`text` with personal data replaced by tokens such as [PHONE] and [ADDRESS]."""
    return redact(text or "").text
