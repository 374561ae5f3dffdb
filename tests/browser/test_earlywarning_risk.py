"""Risk levels and alerts in a real browser: an official approves a proposed level from the risk
map, and an analyst triages an alert and publishes it as CAP from the inbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crisisgov.earlywarning import risk
from crisisgov.earlywarning.alerting import alert_raise
from crisisgov.earlywarning.models import Alert, CapMessage, Indicator, Observation, RiskLevel
from tests.browser.test_map_browser import DESKTOP, log_in, open_page

pytestmark = pytest.mark.browser

# The level each district is drawn in, read back from ECharts itself.
CHART_COLOURS = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById("risk-map"));
  return chart.getOption().series[0].data.map(d => [d.name, d.itemStyle.areaColor]);
}"""


def test_an_official_approves_a_proposal_from_the_risk_map(
    browser, live_server, city, make_user, screenshots
):
    indicator = Indicator.objects.create(
        code="confirmed-cases",
        name_zh="确诊病例数",
        name_en="Confirmed cases",
        kind="cases",
        unit="cases",
        resolution="day",
        area_level=5,
    )
    today = timezone.localdate()
    Observation.objects.create(
        indicator=indicator,
        area=city.community_a,
        area_path=city.community_a.path,
        period_start=timezone.make_aware(dt.datetime.combine(today, dt.time.min)),
        value=52,
        source="drill",
    )
    risk.risk_rules_seed_default()
    [proposal] = risk.risk_evaluate(rule_set_id=risk.RiskRuleSet.objects.get().pk, as_of=today)
    make_user("commander", city.city, username="official")
    context, page, errors = open_page(browser, DESKTOP)
    try:
        log_in(page, live_server.url, "official")
        page.goto(f"{live_server.url}/earlywarning/risk/")
        page.wait_for_selector("#risk-map[data-map-ready=true] canvas", timeout=15_000)
        assert sorted(page.evaluate(CHART_COLOURS)) == [
            [city.district_a.code, "#7cc48f"],
            [city.district_b.code, "#7cc48f"],
        ]
        card = f"article.proposal[data-proposal-id='{proposal.pk}']"
        assert page.inner_text("#proposal-count") == "1"
        fired = page.locator(f"{card} tr[data-fired=true]").count()
        assert fired == 2  # 52 cases: both the high and the medium case-count rules
        page.screenshot(path=str(screenshots / "risk-map.png"), full_page=True)

        # Rejecting without a reason: the browser itself refuses to send the form.
        page.click(f"{card} .reject-form button")
        assert RiskLevel.objects.count() == 0

        page.fill(f"{card} .approve-form input[name=reason]", "同意")
        page.click(f"{card} .approve-form button")
        page.wait_for_load_state()
        page.wait_for_selector("#risk-map[data-map-ready=true] canvas", timeout=15_000)
        assert page.inner_text("#proposal-count") == "0"
        level = RiskLevel.objects.get()
        assert (level.area_path, level.level, level.valid_to) == (
            city.district_a.path,
            "high",
            None,
        )
        assert [city.district_a.code, "#d9534f"] in page.evaluate(CHART_COLOURS)
        row = page.locator(f"#risk-table tr[data-area-code='{city.district_a.code}']")
        assert row.locator("[data-level]").inner_text() == "高风险"
        assert errors == []
    finally:
        context.close()


def test_an_analyst_triages_and_publishes_an_alert_from_the_inbox(
    browser, live_server, city, make_user, screenshots
):
    alert, _ = alert_raise(
        source="detector",
        kind="ears-c2",
        area_id=city.community_a.id,
        area_path=city.community_a.path,
        title_zh="江岸社区确诊病例超出预期",
        title_en="Confirmed cases above expected in Jiang'an Community",
        dedup_key="browser",
        detail={"indicator": "confirmed-cases"},
    )
    make_user("analyst", city.district_a, username="analyst")
    item = f"#alert-{alert.pk}"
    context, page, errors = open_page(browser, DESKTOP)
    try:
        log_in(page, live_server.url, "analyst")
        page.goto(f"{live_server.url}/earlywarning/alerts/")
        assert page.inner_text(f"{item} h2").startswith("江岸社区确诊病例超出预期")

        page.click(f"{item} button[value=dismiss]")  # no reason: the server says so
        page.wait_for_load_state()
        assert page.locator(f"{item} .field-error").count() == 1
        assert Alert.objects.get().status == "new"

        page.click(f"{item} button[value=confirm]")
        page.wait_for_load_state()
        assert page.get_attribute(item, "data-status") == "confirmed"
        page.click(f"{item} button[value=publish]")
        page.wait_for_load_state()
        message = CapMessage.objects.get()
        link = page.locator(f"{item} .cap-messages a")
        assert link.inner_text() == message.identifier
        page.screenshot(path=str(screenshots / "alert-inbox.png"), full_page=True)

        page.fill(f"{item} .cap-form input[name=reason]", "病例继续增加")
        page.click(f"{item} button[value=update]")
        page.wait_for_load_state()
        assert page.locator(f"{item} .cap-messages li").count() == 2
        link.first.click()
        page.wait_for_load_state()
        assert message.identifier in page.content()
        assert [e for e in errors if "400 (Bad Request)" not in e] == []  # but the dismissal
    finally:
        context.close()
