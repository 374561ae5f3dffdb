"""An import in a real browser: upload a CSV with a bad row through the dataset page, then
watch the import page poll itself (htmx) until the job is done and the report appears."""

from __future__ import annotations

import pytest

from crisisgov.directory.models import Organisation
from crisisgov.exchange.imports import import_run
from crisisgov.exchange.models import ImportJob
from tests.browser.test_map_browser import DESKTOP, log_in, open_page
from tests.exchange_data import case_row, csv_bytes

pytestmark = pytest.mark.browser


def test_an_officer_uploads_a_file_and_the_report_appears_without_a_reload(
    browser, live_server, city, dataset, make_user, screenshots
):
    owner = Organisation.objects.get(pk=dataset.owner_id)
    make_user("department_officer", city.district_a, owner, username="officer-browser")
    rows = [case_row(n, city) for n in range(1, 6)]
    rows[3]["phone"] = "12345"
    context, page, errors = open_page(browser, DESKTOP)
    try:
        log_in(page, live_server.url, "officer-browser")
        page.click("header a.nav-link")
        page.wait_for_selector("table.datasets")
        page.screenshot(path=str(screenshots / "exchange-catalogue.png"), full_page=True)
        page.click(f"a[href='/exchange/datasets/{dataset.pk}/']")
        page.wait_for_selector("form.upload-form")
        page.screenshot(path=str(screenshots / "exchange-dataset.png"), full_page=True)
        page.set_input_files(
            "input[name=file]",
            {"name": "cases.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)},
        )
        page.check("input[name=mode][value=accept_valid]")
        page.click("form.upload-form button[type=submit]")
        page.wait_for_selector("#import-status")
        job = ImportJob.objects.get()
        assert page.url == f"{live_server.url}/exchange/imports/{job.pk}/"
        assert page.get_attribute("#import-status", "data-status") == "queued"
        assert page.get_attribute("#import-status", "hx-trigger") == "every 1s"

        page.evaluate("window.stillTheSamePage = true")
        import_run(job_id=job.pk)  # the worker's part, while the page polls
        page.wait_for_selector("#import-status[data-status=done]", timeout=10_000)
        assert page.evaluate("window.stillTheSamePage") is True  # swapped in, not reloaded
        assert page.inner_text("#import-state") == "完成"
        assert page.inner_text("dd[data-count=created]") == "4"
        assert page.inner_text("dd[data-count=rejected]") == "1"
        cells = page.locator("table.rejected tbody tr[data-row='5'] td").all_inner_texts()
        assert cells[:2] == ["5", "phone"]
        assert cells[2] == job.rejected.get().errors[0]["value"] and "12345" not in cells[2]
        # Done: the panel carries no trigger any more, so the polling has stopped.
        assert page.get_attribute("#import-status", "hx-trigger") is None
        page.screenshot(path=str(screenshots / "exchange-import-report.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


def test_an_officer_corrects_a_held_row_and_it_lands(
    browser, live_server, city, dataset, make_user, screenshots
):
    from crisisgov.exchange.models import Record, RejectedRow
    from tests.exchange_data import run

    owner = Organisation.objects.get(pk=dataset.owner_id)
    make_user("department_officer", city.district_a, owner, username="officer-fixer")
    rows = [case_row(n, city) for n in range(1, 4)]
    rows[1]["case_type"] = "疑似"
    job = run(dataset, csv_bytes(rows))
    context, page, errors = open_page(browser, DESKTOP)
    try:
        log_in(page, live_server.url, "officer-fixer")
        page.goto(f"{live_server.url}/exchange/imports/{job.pk}/")
        page.click("button[data-correct='3']")
        page.wait_for_selector("form.held-row-form")
        field = page.locator("input[name=case_type]")
        assert field.input_value() == "疑似" and field.get_attribute("aria-invalid") == "true"
        field.fill("suspect")  # still wrong: the page says so, and keeps what was typed
        page.click("form.held-row-form button[type=submit]")
        page.wait_for_selector(".field-error[data-field=case_type]")
        assert page.locator("input[name=case_type]").input_value() == "suspect"
        page.locator("input[name=case_type]").fill("suspected")
        page.screenshot(path=str(screenshots / "exchange-held-row.png"), full_page=True)
        page.click("form.held-row-form button[type=submit]")
        page.wait_for_selector("[data-corrected='3']")
        assert Record.objects.get(natural_key="R000002").data["case_type"] == "suspected"
        assert RejectedRow.objects.get().corrected_at is not None
        # The refused send answered 400 (the form with its errors), as form pages do here.
        assert [e for e in errors if "status of 400" not in e] == []
    finally:
        context.close()
