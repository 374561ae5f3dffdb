"""A department officer works the ticket inbox on a 360 px phone: the overdue ticket comes
first and is red, the other shows its time left; the officer accepts and answers one, in
zh-Hans and then in English."""

from __future__ import annotations

import datetime as dt

import pytest

from crisisgov.directory.facade import actor_for_user
from crisisgov.opinion.tickets import clock, services
from tests.browser.test_map_browser import log_in, open_page
from tests.test_opinion_tickets_support import PHONE, dispatched, world_build

pytestmark = pytest.mark.browser
NARROW = {"width": 360, "height": 740}


def test_the_inbox_shows_the_clocks_and_the_officer_answers_on_a_phone(
    browser, live_server, city, make_user, screenshots, monkeypatch
):
    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")
    world = world_build(city, make_user)
    operator = actor_for_user(world.operator)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=5)
    with clock.frozen(long_ago):
        late = dispatched(operator, city.district_a)  # urgent_2h: overdue by now
    dispatched(operator, city.district_a, category="noise")  # general_7d: days left
    services.tickets_sweep_clock()

    context, page, errors = open_page(browser, NARROW)
    try:
        log_in(page, live_server.url, world.health_officer.username)
        page.goto(f"{live_server.url}/opinion/tickets/")
        assert page.url.endswith("/opinion/tickets/inbox/")
        cards = page.locator("#inbox .ticket-card")
        assert cards.count() == 2
        first = cards.nth(0)
        assert first.get_attribute("data-ticket") == str(late.pk)
        assert "breached" in first.get_attribute("class")
        assert "已超期" in first.locator(".clock").inner_text()
        second = cards.nth(1)
        assert "breached" not in second.get_attribute("class")
        assert int(second.locator(".clock").get_attribute("data-seconds-left")) > 0
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
        page.screenshot(path=str(screenshots / "tickets-inbox-zh-360.png"), full_page=True)

        first.locator("a").first.click()
        page.wait_for_load_state()
        assert PHONE in page.inner_text("#caller-contact")  # the handler sees the contact
        page.fill("#note", "已电话联系")
        page.click("#accept-form button")
        page.wait_for_load_state()
        page.fill("#answer-text", "家庭医生今天下午上门。")
        page.click("#resolve-form button")
        page.wait_for_load_state()
        assert page.inner_text("#state") == "已办结"
        assert "/opinion/tickets/rate/" in page.inner_text("#rating-link")
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]

        page.click("form.lang-switch button")
        page.wait_for_load_state()
        assert page.inner_text("#state") == "resolved"
        page.goto(f"{live_server.url}/opinion/tickets/inbox/")
        assert page.locator("#inbox .ticket-card").count() == 1
        page.screenshot(path=str(screenshots / "tickets-inbox-en-360.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


def test_the_operator_takes_a_call_and_confirms_the_suggestion(
    browser, live_server, city, make_user, screenshots, monkeypatch
):
    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")
    world = world_build(city, make_user)
    context, page, errors = open_page(browser, NARROW)
    try:
        log_in(page, live_server.url, world.operator.username)
        page.goto(f"{live_server.url}/opinion/tickets/calls/")
        page.fill("#caller_name", "王小明")
        page.fill("#caller_phone", PHONE)
        page.select_option("#area_id", str(city.district_a.id))
        page.select_option("#category", "medical_help")
        page.fill("#text", f"老人发烧三天，社区医院不收，电话{PHONE}")
        page.click("#call-form button[type=submit]")
        page.wait_for_load_state()
        assert PHONE not in page.content()  # the operator is not the handler
        first = page.locator("#dispatch-form .suggestions li").first
        assert "%" in first.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
        page.screenshot(path=str(screenshots / "tickets-dispatch-zh-360.png"), full_page=True)
        page.click("#dispatch-form button[type=submit]")
        page.wait_for_load_state()
        assert page.inner_text("#state") == "已派单"
        assert "卫生健康委员会" in page.inner_text("#ticket .meta")
        assert errors == []
    finally:
        context.close()
