"""ID and phone numbers are masked in logs and on error pages."""

from __future__ import annotations

import io
import logging
import sys
from typing import Any

import pytest
from django.conf import settings
from django.test import RequestFactory, override_settings
from django.views.debug import technical_500_response

from crisisgov.kernel.pii_logging import PIIExceptionReporterFilter, RedactPIIFilter, redact
from crisisgov.kernel.tests.samples import MOBILE, NATIONAL_ID

MASKED_ID = "4201**********1234"
MASKED_MOBILE = "138****5678"


def test_redact_masks_both_kinds_of_number():
    text = f"resident {NATIONAL_ID} (tel {MOBILE}), x-form 42010219900307123x, ref 1234567890123"
    assert redact(text) == (
        f"resident {MASKED_ID} (tel {MASKED_MOBILE}), x-form 4201**********123x, ref 1234567890123"
    )


def test_longer_digit_runs_are_not_taken_for_numbers():
    assert redact("order 4201021990030712345 and 138123456789") == (
        "order 4201021990030712345 and 138123456789"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("ID 420102 19900307 1234.", "ID 4201** ******** 1234."),
        ("ID 420102-19900307-123X,", "ID 4201**-********-123X,"),
        ("ID 420102 19900307-123x", "ID 4201** ********-123x"),
        ("tel 138 1234 5678", "tel 138 **** 5678"),
        ("tel:138-1234-5678;", "tel:138-****-5678;"),
        ("tel 138 12345678", "tel 138 ****5678"),
        (
            "ID 420102 19900307 1234 / tel 139-8765-4321",
            "ID 4201** ******** 1234 / tel 139-****-4321",
        ),
    ],
)
def test_numbers_grouped_by_spaces_or_hyphens_are_masked(text, shown):
    assert redact(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "1420102 19900307 1234",  # a seventh digit in the first group
        "420102 19900307 12345",  # a fifth digit in the last group
        "420102  19900307 1234",  # two spaces: not how the number is written
        "138 1234 56789",
        "2138 1234 5678",
        "120 1234 5678",  # not a mobile prefix
        "2024-0101-1234",
    ],
)
def test_other_grouped_digits_are_left_alone(text):
    assert redact(text) == text


def test_a_logged_message_with_a_spaced_number_is_masked():
    logger, stream = redacting_logger("crisisgov.tests.redact_spaced")
    logger.warning("caller %s gave ID %s", "138-1234-5678", "420102 19900307 1234")
    assert stream.getvalue() == "WARNING caller 138-****-5678 gave ID 4201** ******** 1234\n"


def redacting_logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactPIIFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_log_messages_are_masked():
    logger, stream = redacting_logger("crisisgov.tests.redact_message")
    logger.info("looked up %s by phone %s", NATIONAL_ID, MOBILE)
    assert stream.getvalue() == f"INFO looked up {MASKED_ID} by phone {MASKED_MOBILE}\n"


def test_a_logged_traceback_is_masked():
    logger, stream = redacting_logger("crisisgov.tests.redact_traceback")
    try:
        raise ValueError(f"no resident with ID {NATIONAL_ID}")
    except ValueError:
        logger.exception("lookup failed for %s", MOBILE)
    output = stream.getvalue()
    assert output.startswith(f"ERROR lookup failed for {MASKED_MOBILE}\nTraceback")
    assert output.endswith(f"ValueError: no resident with ID {MASKED_ID}\n")
    assert NATIONAL_ID not in output
    assert MOBILE not in output


def test_the_project_logs_through_the_filter():
    logging_config: dict[str, Any] = settings.LOGGING
    assert logging_config["handlers"]["console"]["filters"] == ["redact_pii"]
    assert logging_config["filters"]["redact_pii"]["()"] == (
        "crisisgov.kernel.pii_logging.RedactPIIFilter"
    )


def error_page(path: str = "/people/") -> str:
    """The DEBUG error page of a view that failed while holding personal data."""
    request = RequestFactory().get(path, HTTP_ACCEPT="text/html")
    national_id = NATIONAL_ID  # noqa: F841 (a local variable the page shows)
    record = {"national_id": NATIONAL_ID, "phone": MOBILE}  # noqa: F841
    try:
        raise RuntimeError("lookup failed")
    except RuntimeError:
        response = technical_500_response(request, *sys.exc_info())
    assert response.status_code == 500
    return response.content.decode()


@override_settings(DEBUG=True)
def test_the_error_page_masks_local_variables():
    assert settings.DEFAULT_EXCEPTION_REPORTER_FILTER == (
        "crisisgov.kernel.pii_logging.PIIExceptionReporterFilter"
    )
    page = error_page()
    assert "national_id" in page  # the variables are shown ...
    assert MASKED_ID in page  # ... masked
    assert NATIONAL_ID not in page
    assert MOBILE not in page


@override_settings(
    DEBUG=True, DEFAULT_EXCEPTION_REPORTER="crisisgov.kernel.pii_logging.PIIExceptionReporter"
)
def test_the_pii_reporter_masks_the_message_and_the_query_too():
    request = RequestFactory().get(f"/people/?national_id={NATIONAL_ID}&phone={MOBILE}")
    try:
        raise LookupError(f"no resident {NATIONAL_ID}")
    except LookupError:
        response = technical_500_response(request, *sys.exc_info())
    page = response.content.decode()
    assert f"no resident {MASKED_ID}" in page
    assert NATIONAL_ID not in page
    assert MOBILE not in page


def test_the_filter_masks_post_data():
    request = RequestFactory().post("/people/", {"national_id": NATIONAL_ID, "phone": MOBILE})
    params = PIIExceptionReporterFilter().get_post_parameters(request)
    assert dict(params.items()) == {"national_id": MASKED_ID, "phone": MASKED_MOBILE}
