"""The master person index's review queue in a real browser: an officer compares a masked pair
with its evidence, merges it, undoes the merge, separates another pair, then reads the page in
English."""

from __future__ import annotations

import pytest

from crisisgov.exchange.models import PersonLink, ReviewItem
from crisisgov.kernel import pii
from tests.browser.test_map_browser import DESKTOP, log_in, open_page
from tests.person_index_data import build, person

pytestmark = pytest.mark.browser


def person_of(key: str) -> int:
    return PersonLink.objects.get(record__natural_key=key).person_id


def test_an_officer_merges_undoes_and_separates_pairs(
    browser, live_server, city, make_user, screenshots, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    build(city.district_a, city.building_a)
    make_user("department_officer", city.district_a, username="reviewer")
    item = ReviewItem.objects.get(left__natural_key="R00025")
    pair = f"article.review-pair[data-item-id='{item.pk}']"
    context, page, errors = open_page(browser, DESKTOP)
    try:
        log_in(page, live_server.url, "reviewer")
        page.goto(f"{live_server.url}/exchange/")
        page.click("#review-link")
        page.wait_for_selector("#review-panel")
        assert page.inner_text("#review-count") == "3"
        cells = page.locator(f"{pair} table.review-sides tbody tr").first.locator("td")
        masked = pii.mask_name(person(25)["name"])
        assert cells.all_inner_texts() == [masked, masked]
        assert person(25)["name"] not in page.content()
        evidence = page.locator(f"{pair} ul.evidence li").all_inner_texts()
        assert evidence == ["姓名: 完全一致", "出生日期: 缺失", "电话: 不同", "地址: 同一区域"]
        page.screenshot(path=str(screenshots / "review-queue.png"), full_page=True)

        # No reason: the browser itself refuses to send the form.
        page.click(f"{pair} button[value=merge]")
        assert page.inner_text("#review-count") == "3"
        assert ReviewItem.objects.get(pk=item.pk).status == "open"

        page.fill(f"{pair} input[name=reason]", "同一人，换了手机号")
        page.click(f"{pair} button[value=merge]")
        page.wait_for_load_state()
        assert page.inner_text("#review-count") == "2"
        assert person_of("R00025") == person_of("S00025")
        row = page.locator("table.merges tbody tr").first
        assert row.locator("td").nth(4).inner_text() == "同一人，换了手机号"

        row.locator("input[name=reason]").fill("看错了")
        row.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert page.url.endswith("/exchange/person-index/#merges")
        assert page.inner_text("#review-count") == "3"
        assert page.inner_text("table.merges .status-undone") == "已撤销"
        assert person_of("R00025") != person_of("S00025")

        page.fill(f"{pair} input[name=reason]", "两个人")
        page.click(f"{pair} button[value=separate]")
        page.wait_for_load_state()
        assert page.inner_text("#review-count") == "2"
        assert ReviewItem.objects.get(pk=item.pk).status == "separated"
        page.screenshot(path=str(screenshots / "review-queue-decided.png"), full_page=True)

        page.click("form.lang-switch button")
        page.wait_for_load_state()
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("h1").startswith("Pairs to review")
        assert page.locator("button[value=merge]").first.inner_text() == "Merge: one person"
        assert errors == []
    finally:
        context.close()
