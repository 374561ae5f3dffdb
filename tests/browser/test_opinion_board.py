"""The public-opinion situation board in a real browser, in Chinese then English: the hot-spot
map colours the district with a live alarm, the sentiment chart is drawn, the alarm's page
shows its trend and evidence (redacted), and a citizen posts from a phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crisisgov.opinion.alarms import hotspots_evaluate
from crisisgov.opinion.analyser import analyse_loop
from crisisgov.opinion.intake import message_receive
from crisisgov.opinion.models import HotspotAlarm, Message
from tests.browser.test_map_browser import DESKTOP, PHONE, log_in, open_page

pytestmark = pytest.mark.browser

MAP_COLOURS = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById("hotspot-map"));
  return chart.getOption().series[0].data.map(d => [d.name, d.itemStyle.areaColor]);
}"""
PHONE_NUMBER = "13712345678"


@pytest.fixture(autouse=True)
def _ngram(monkeypatch):
    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")


def test_the_board_in_both_languages(browser, live_server, city, make_user, screenshots):
    now = timezone.now()
    for n in range(9):
        message_receive(
            channel="post",
            text=f"江岸区的自来水被污染了，别喝！电话{PHONE_NUMBER}{'!' * n}",
            area_code=city.district_a.code,
            posted_at=now - dt.timedelta(minutes=1),
        )
    message_receive(channel="post", text="江汉区公交恢复了，谢谢", area_code=city.district_b.code)
    analyse_loop(once=True)
    hotspots_evaluate()
    alarm = HotspotAlarm.objects.get()
    make_user("commander", city.city, username="commander")
    context, page, errors = open_page(browser, DESKTOP)
    try:
        log_in(page, live_server.url, "commander")
        page.goto(f"{live_server.url}/opinion/")
        assert page.inner_text("h1") == "舆情态势看板"
        page.wait_for_selector("#hotspot-map[data-map-ready=true] canvas", timeout=15_000)
        page.wait_for_selector("#sentiment-chart[data-chart-ready=true] canvas")
        assert sorted(page.evaluate(MAP_COLOURS)) == [
            [city.district_a.code, "#f2c14e"],  # one live alarm
            [city.district_b.code, "#7cc48f"],
        ]
        assert page.inner_text("#alarm-count") == "1"
        assert "15分钟内 9 条消息" in page.inner_text("#alarms-panel")
        assert PHONE_NUMBER not in page.content()
        page.screenshot(path=str(screenshots / "opinion-board-zh.png"), full_page=True)

        page.click("form.lang-switch button")
        page.wait_for_load_state()
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("h1") == "Public opinion situation board"
        page.wait_for_selector("#hotspot-map[data-map-ready=true] canvas", timeout=15_000)
        assert "9 messages in 15 minutes" in page.inner_text("#alarms-panel")
        page.screenshot(path=str(screenshots / "opinion-board-en.png"), full_page=True)

        page.click(f"li[data-alarm-id='{alarm.pk}'] a")
        page.wait_for_selector("#trend-chart[data-chart-ready=true] canvas")
        assert page.locator("#evidence-panel li").count() == 9
        assert PHONE_NUMBER not in page.content()
        page.click("button[value=acknowledged]")
        page.wait_for_load_state()
        assert page.inner_text("#alarm-state") == "acknowledged"
        assert HotspotAlarm.objects.get().state == "acknowledged"
        assert errors == []
    finally:
        context.close()


def test_a_citizen_posts_from_a_phone(browser, live_server, city):
    context, page, errors = open_page(browser, PHONE)
    try:
        page.goto(f"{live_server.url}/opinion/say/")
        assert page.inner_text("h1") == "反映情况"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.fill("textarea[name=text]", "江汉区药店买不到退烧药")
        page.select_option("select[name=area_code]", city.district_b.code)
        page.click(".say-form button[type=submit]")
        page.wait_for_selector("#say-thanks")
        assert Message.objects.get().area_id == city.district_b.pk
        assert errors == []
    finally:
        context.close()


def test_a_city_analyst_names_a_topic_and_merges_another_into_it(
    browser, live_server, city, make_user
):
    from crisisgov.opinion.models import Topic

    ids = [
        message_receive(channel="post", text=text, area_code=city.district_a.code).message.pk
        for text in (
            "江岸区停水了",
            "江岸区停水一整天了",
            "药店买不到口罩了",
            "口罩卖光了，药店没货",
        )
    ]
    analyse_loop(once=True)
    water = Message.objects.get(pk=ids[0]).topic
    masks = Message.objects.get(pk=ids[2]).topic
    assert water.pk != masks.pk
    both = Message.objects.filter(topic__in=[water, masks]).count()
    make_user("analyst", city.city, username="analyst")
    context, page, errors = open_page(browser, DESKTOP)
    try:
        log_in(page, live_server.url, "analyst")
        page.goto(f"{live_server.url}/opinion/topics/")
        assert page.inner_text("h1") == "话题"
        row = page.locator(f'li[data-topic-id="{water.pk}"]')
        row.locator("input[name=label_zh]").fill("江岸区停水")
        row.locator("input[name=label_en]").fill("Water cut in Jiang'an")
        row.locator(".confirm-topic button").click()
        page.wait_for_load_state()
        assert "江岸区停水" in page.locator(f'li[data-topic-id="{water.pk}"] strong').inner_text()
        row = page.locator(f'li[data-topic-id="{masks.pk}"]')
        row.locator("select[name=into]").select_option(str(water.pk))
        row.locator("input[name=reason]").fill("同一件事")
        row.locator(".merge-topic button").click()
        page.wait_for_load_state()
        assert page.locator(f'li[data-topic-id="{masks.pk}"]').count() == 0
        assert not Topic.objects.filter(pk=masks.pk).exists()
        assert Message.objects.filter(topic=water).count() == both
        assert errors == []
    finally:
        context.close()
