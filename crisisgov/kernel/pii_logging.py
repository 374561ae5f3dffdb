"""Keep national ID and phone numbers out of logs and error pages."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

from crisisgov.kernel.pii import mask_national_id, mask_phone

# 18-character resident ID (17 digits + digit or X) and mainland mobile numbers.
NATIONAL_ID_PATTERN = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE_PATTERN = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def redact(text: str) -> str:
    text = NATIONAL_ID_PATTERN.sub(lambda m: mask_national_id(m.group()), text)
    return MOBILE_PATTERN.sub(lambda m: mask_phone(m.group()), text)


class RedactPIIFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class PIIExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports mask ID and phone numbers wherever they appear in a value."""

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        return redact(cleansed) if isinstance(cleansed, str) else cleansed

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        return [
            (name, redact(value) if isinstance(value, str) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

    def get_post_parameters(self, request: Any) -> Any:
        params = super().get_post_parameters(request)
        if hasattr(params, "copy"):
            params = params.copy()
            for key in list(params.keys()):
                value = params[key]
                if isinstance(value, str):
                    params[key] = redact(value)
        return params
