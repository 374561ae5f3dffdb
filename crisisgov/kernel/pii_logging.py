"""Keep national ID and phone numbers out of logs and error pages.

Numbers are recognised by shape (an 18-character resident ID, a mainland mobile number) and
masked wherever they appear: in a log message and its traceback, in an error page's local
variables, request data, settings and exception message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.template.defaultfilters import pprint
from django.utils.safestring import SafeString, mark_safe
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from crisisgov.kernel.pii import mask_national_id, mask_phone

# 18-character resident ID (17 digits + digit or X) and mainland mobile numbers, written
# straight through or, as people copy them from forms, grouped by spaces or hyphens:
# "420102 19910101 002X" (region, birth date, sequence) and "138-1234-5678".
NATIONAL_ID_PATTERN = re.compile(r"(?<!\d)\d{6}[ -]?\d{8}[ -]?\d{3}[\dXx](?!\d)")
MOBILE_PATTERN = re.compile(r"(?<!\d)1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")


def _masked(number: str, mask: Callable[[str], str]) -> str:
    """`mask` applied to the digits alone; the grouping spaces or hyphens stay where they were."""
    masked = iter(mask(number.replace(" ", "").replace("-", "")))
    return "".join(char if char in " -" else next(masked) for char in number)


def redact(text: str) -> str:
    text = NATIONAL_ID_PATTERN.sub(lambda m: _masked(m.group(), mask_national_id), text)
    return MOBILE_PATTERN.sub(lambda m: _masked(m.group(), mask_phone), text)


class RedactPIIFilter(logging.Filter):
    """Masks ID and phone numbers in a record's message, traceback and stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the unredacted traceback (whose
            # exception message may quote a number) is never rendered.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _Shown:
    """A value as an error page shows it, already pretty-printed and redacted."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


class PIIExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports mask ID and phone numbers wherever they appear in a value."""

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        return redact(cleansed) if isinstance(cleansed, str) else cleansed

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        return [
            (name, self._redacted(value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

    @staticmethod
    def _redacted(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value)
        # A dict, list or object may hold a number too: show its redacted printout instead.
        shown = pprint(value)
        redacted = redact(shown)
        return value if redacted == shown else _Shown(redacted)

    def get_post_parameters(self, request: Any) -> Any:
        params = super().get_post_parameters(request)
        if hasattr(params, "copy"):
            params = params.copy()
            for key in list(params.keys()):
                value = params[key]
                if isinstance(value, str):
                    params[key] = redact(value)
        return params


class PIIExceptionReporter(ExceptionReporter):
    """The technical error page and report with every ID and phone number masked.

    The filter above covers values it is handed; the exception message, the URL and the
    query string reach the page without it, so the whole rendered report is redacted too.
    Select it with DEFAULT_EXCEPTION_REPORTER.
    """

    # Masking swaps digits for asterisks, which leaves safe markup safe.
    def get_traceback_html(self) -> SafeString:
        return mark_safe(redact(super().get_traceback_html()))  # noqa: S308

    def get_traceback_text(self) -> SafeString:
        return mark_safe(redact(super().get_traceback_text()))  # noqa: S308
