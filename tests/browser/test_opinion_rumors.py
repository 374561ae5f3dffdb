"""A fact-checker takes a candidate rumor from the queue, confirms it with statements of their
own, writes a clarification and publishes it; a citizen then reads it on the public page."""

from __future__ import annotations

import pytest

from tests.browser.test_map_browser import log_in, open_page
from tests.test_opinion_rumors_support import PHONE, _ngram_embedder, kb, post

pytestmark = pytest.mark.browser
__all__ = ["_ngram_embedder", "kb"]  # fixtures
CLAIM = f"听说明天全区停水三天，赶紧转发给家人囤水！联系{PHONE}"


def test_queue_to_published_clarification(browser, live_server, city, kb, make_user, screenshots):
    post(CLAIM, city.community_a)
    post(CLAIM + "！", city.community_a)
    checker = make_user("analyst", city.district_a)
    context, page, errors = open_page(browser, {"width": 1280, "height": 900})
    try:
        log_in(page, live_server.url, checker.username)
        page.goto(f"{live_server.url}/opinion/rumors/")
        item = page.locator("#rumor-queue .queue-item").first
        assert "2" in item.locator("[data-count]").inner_text()
        assert PHONE not in page.content()
        item.locator("a").click()
        page.wait_for_load_state()
        assert page.get_attribute(".rumors", "data-state") == "candidate"
        page.fill("#statement_zh", "明天全区停水三天。")
        page.fill("#statement_en", "The district's water is cut for three days from tomorrow.")
        page.select_option("#verdict", "false")
        page.fill("#department", "water")
        page.click("#confirm-form button[type=submit]")
        page.wait_for_load_state()
        assert page.get_attribute(".rumors", "data-state") == "confirmed"

        page.fill("#text_zh", "水务局未安排停水，供水正常，请勿囤水。")
        page.fill("#text_en", "No water cut is planned; supply is normal.")
        page.fill("#source_title", "区水务局通告")
        page.click("#write-form button[type=submit]")
        page.wait_for_load_state()
        draft = page.locator("#clarifications .fact[data-published=no]")
        assert draft.count() == 1
        draft.locator(".publish-form button").click()
        page.wait_for_load_state()
        assert page.locator("#clarifications .fact[data-published=yes]").count() == 1
        assert page.inner_text("#reach-before") == "2"
        page.screenshot(path=str(screenshots / "rumor-published.png"), full_page=True)

        page.goto(f"{live_server.url}/opinion/rumors/facts?lang=en")
        assert "No water cut is planned" in page.inner_text("#facts")
        page.click(".facts-langs a")
        page.wait_for_load_state()
        assert "水务局未安排停水" in page.inner_text("#facts")
        assert errors == []
    finally:
        context.close()
