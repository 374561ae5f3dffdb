"""A citizen's status page on a 360-pixel phone, in Chinese and English: the colour, the rule
and record behind it, a QR code whose token the public verifier accepts, nothing sideways."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from crisisgov.directory.idnumber import make
from crisisgov.directory.tests.factories import PersonFactory
from tests.browser.test_map_browser import log_in, open_page
from tests.test_citizen_status import Loader, days_ago, result_row

pytestmark = pytest.mark.browser

PHONE_360 = {"width": 360, "height": 740}


def test_the_status_page_shows_qr_rule_and_record_in_both_languages(
    browser, live_server, city, make_user, settings, tmp_path, screenshots
):
    settings.VAR_DIR = tmp_path
    user = make_user("citizen", city.building_a, username="citizen-browser")
    person = PersonFactory(
        home_building=city.building_a,
        national_id=make("420102", dt.date(1950, 4, 4), 15),
        name="李秀兰",
        account=user,
    )
    Loader(city).load("test_result", [result_row(person, 1, "positive", days_ago(2))])
    sampled = days_ago(2).strftime("%Y-%m-%d")

    context, page, errors = open_page(browser, PHONE_360)
    try:
        log_in(page, live_server.url, user.username)
        page.goto(f"{live_server.url}/citizen/status/")
        page.wait_for_selector(".status-card .qr svg")
        assert page.inner_text(".status-card .colour") == "红码"
        assert page.inner_text("dd.rule") == "14天内采样的检测结果为阳性"
        assert page.inner_text("dd.record") == f"检测结果 · {sampled}"
        assert "李秀兰" not in page.content() and person.national_id not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_360["width"]
        box = page.locator(".qr svg").bounding_box()
        assert box["width"] >= 150  # big enough to scan from a phone screen
        page.screenshot(path=str(screenshots / "citizen-status-360-zh.png"), full_page=True)

        # The code's token is what a scanner reads: the public verifier accepts it as red.
        token = page.get_attribute(".qr", "data-token")
        verified = Client().post(
            "/citizen/verify", data=json.dumps({"token": token}), content_type="application/json"
        )
        assert (verified.status_code, verified.json()["status"]) == (200, "red")

        page.click("form.lang-switch button")
        page.wait_for_load_state()
        page.wait_for_selector(".status-card .qr svg")
        assert page.inner_text(".status-card .colour") == "Red"
        assert (
            page.inner_text("dd.rule")
            == "A test of a sample taken in the last 14 days was positive"
        )
        assert page.inner_text("dd.record") == f"test result · {sampled}"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_360["width"]
        page.screenshot(path=str(screenshots / "citizen-status-360-en.png"), full_page=True)

        # The appeal form names the record; sending it shows the appeal as waiting.
        page.fill("textarea[name=reason]", "I was in hospital that day")
        page.click("#appeal button[type=submit]")
        page.wait_for_selector("p.flash")
        assert "waiting for an official" in page.inner_text("#appeal")

        # The home, the published rules and the public counts fit the phone too.
        for url in ("/citizen/", "/citizen/status/rules/", "/citizen/overrides/"):
            page.goto(f"{live_server.url}{url}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE_360["width"], url
        assert errors == []
    finally:
        context.close()
