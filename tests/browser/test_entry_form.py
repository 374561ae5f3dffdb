"""A grid worker fills the case-report entry form on a small phone, in Chinese: the browser
stops a bad phone number before sending, the server names a mistyped ID number next to its
field with everything typed kept, and the corrected record is stored and confirmed."""

from __future__ import annotations

import pytest

from crisisgov.directory.idnumber import make
from crisisgov.exchange.models import Record
from tests.browser.test_map_browser import log_in, open_page

pytestmark = pytest.mark.browser

SMALL_PHONE = {"width": 360, "height": 740}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def test_a_grid_worker_corrects_an_id_number_and_submits_on_a_small_phone(
    browser, live_server, city, dataset, make_user, screenshots
):
    import datetime as dt

    make_user("grid_worker", city.grid_a, username="worker-form")
    good_id = make("420102", dt.date(1980, 1, 1), 7)
    wrong_id = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")  # the check digit mistyped
    context, page, errors = open_page(browser, SMALL_PHONE)
    try:
        log_in(page, live_server.url, "worker-form")
        page.goto(f"{live_server.url}/exchange/datasets/{dataset.pk}/form/")
        page.wait_for_selector("form#entry-form")
        assert page.evaluate("document.documentElement.lang") == "zh-Hans"
        assert page.inner_text("label[for=field-national_id]").startswith("公民身份号码")
        page.fill("#field-report_id", "R900001")
        page.fill("#field-disease", "新型冠状病毒感染")
        page.select_option("#field-case_type", "confirmed")
        page.fill("#field-name", "王小明")
        page.fill("#field-national_id", wrong_id)
        page.select_option("#field-sex", "1")
        page.fill("#field-age", "46")
        page.fill("#field-phone", "12345")
        page.select_option("#field-area_code", city.building_a.code)
        page.fill("#field-report_date", "2026-11-20")
        page.fill("#field-reporting_org", "江岸区社区卫生服务中心")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        # The phone number fails its pattern in the browser: nothing is sent.
        page.click("form#entry-form button[type=submit]")
        page.wait_for_selector(".field-error.client[data-field=phone]")
        assert page.url.endswith(f"/exchange/datasets/{dataset.pk}/form/")
        assert Record.objects.count() == 0

        # The server finds the mistyped check digit and says so next to the ID field.
        page.fill("#field-phone", "13912345678")
        page.click("form#entry-form button[type=submit]")
        page.wait_for_selector("#error-national_id")
        assert "校验位不符" in page.inner_text("#error-national_id")
        assert page.get_attribute("#field-national_id", "aria-invalid") == "true"
        assert page.input_value("#field-name") == "王小明"  # nothing typed is lost
        assert page.input_value("#field-phone") == "13912345678"
        assert page.input_value("#field-area_code") == city.building_a.code
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.screenshot(path=str(screenshots / "entry-form-error.png"), full_page=True)
        assert Record.objects.count() == 0

        page.fill("#field-national_id", good_id)
        page.click("form#entry-form button[type=submit]")
        page.wait_for_selector("#confirmation")
        assert "已保存" in page.inner_text("#confirmation")
        # Ready for the next record: the area and the report date stay, the person goes.
        assert page.input_value("#field-area_code") == city.building_a.code
        assert page.input_value("#field-report_date") == "2026-11-20"
        assert page.input_value("#field-name") == ""
        assert "R900001" in page.inner_text("#recent") and "王*" in page.inner_text("#recent")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(screenshots / "entry-form-saved.png"), full_page=True)
        record = Record.objects.get()
        assert (record.source, record.data["report_id"]) == ("form", "R900001")
        # The refused form comes back as a 400 page, which Chromium logs; nothing else may.
        assert [e for e in errors if "status of 400" not in e] == []
    finally:
        context.close()
