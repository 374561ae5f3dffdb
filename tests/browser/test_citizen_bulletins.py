"""A citizen reads the day's bulletin on a 360 px phone, without logging in, in zh-Hans and
then in English: the figures table fits the screen and small counts read "少于10" / "<10"."""

from __future__ import annotations

import pytest

from crisisgov.citizen.bulletins.facade import bulletin_publish_for_drill, clarification_publish
from crisisgov.citizen.bulletins.models import Bulletin
from crisisgov.kernel.actor import SYSTEM
from tests.browser.test_map_browser import open_page
from tests.test_citizen_bulletins import _days_back, series

pytestmark = pytest.mark.browser
__all__ = ["series"]  # the fixture shared with the bulletins' main tests
NARROW = {"width": 360, "height": 740}


def test_the_bulletin_page_reads_well_on_a_phone_in_both_languages(
    browser, live_server, series, screenshots
):
    bulletin_publish_for_drill(area_id=series.city.id, day=_days_back(1))
    clarification_publish(
        actor=SYSTEM,
        area_id=series.city.id,
        claim_zh="网传明日封城",
        claim_en="The city locks down tomorrow",
        fact_zh="不实，请以官方发布为准",
        fact_en="False: rely on official notices",
        external_ref="browser:1",
    )
    bulletin = Bulletin.objects.get()
    context, page, errors = open_page(browser, NARROW)
    try:
        page.goto(f"{live_server.url}/citizen/bulletins/")
        assert page.get_attribute("html", "lang") == "zh-Hans"
        assert page.inner_text("h1") == "疫情通报"
        assert page.inner_text("#rumor-vs-fact .claim").endswith("网传明日封城")
        page.click("#latest-bulletin h2 a")
        page.wait_for_load_state()
        assert page.inner_text("h1") == bulletin.title_zh
        row = f"#bulletin-figures tr[data-area-code='{series.district_b.code}']"
        assert page.inner_text(f"{row} [data-cell=new]") == "少于10"
        assert page.inner_text("[data-figure=new]") == "—"  # withheld: it would give B away
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
        page.screenshot(path=str(screenshots / "bulletin-zh-360.png"), full_page=True)

        page.click("form.lang-switch button")  # the site-wide switch (a cookie), back here
        page.wait_for_load_state()
        assert page.url == f"{live_server.url}/citizen/bulletins/{bulletin.pk}/"
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("h1") == bulletin.title_en
        assert page.inner_text(f"{row} [data-cell=new]") == "<10"
        assert "Rumor vs fact" in page.inner_text("#rumor-vs-fact h2")
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
        page.screenshot(path=str(screenshots / "bulletin-en-360.png"), full_page=True)
        page.click(".bulletin-langs a")  # the page's own link, as feeds give it: ?lang=zh-hans
        page.wait_for_load_state()
        assert page.inner_text(f"{row} [data-cell=new]") == "少于10"
        assert errors == []
    finally:
        context.close()
