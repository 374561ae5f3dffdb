"""An area's epidemic curve in a real browser, in Chinese: the bars, the bounds and the alarm
markers are drawn by ECharts, and the Rt chart below it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.browser.test_map_browser import log_in, open_page
from tests.test_earlywarning_series_pages import outbreak

pytestmark = pytest.mark.browser

# What the chart holds, read back from ECharts itself.
CURVE_SERIES = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById("curve-chart"));
  return chart.getOption().series.map(s => ({name: s.name, type: s.type, data: s.data}));
}"""
RT_SERIES = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById("rt-chart"));
  return chart.getOption().series.map(s => s.name);
}"""


def test_the_curve_shows_the_alarm_in_chinese(browser, live_server, city, make_user, screenshots):
    outbreak(city)
    analyst = make_user("analyst", city.district_a)
    context, page, errors = open_page(browser, {"width": 1280, "height": 900})
    try:
        log_in(page, live_server.url, analyst.username)
        page.goto(f"{live_server.url}/earlywarning/")
        page.click(f"tr[data-area='{city.district_a.code}'] a")
        page.wait_for_selector("#curve-chart canvas", timeout=15_000)
        assert page.title().startswith("江岸区 · 流行曲线")
        series = page.evaluate(CURVE_SERIES)
        assert [(s["name"], s["type"]) for s in series] == [
            ("观测值", "bar"),
            ("期望值", "line"),
            ("上限", "line"),
            ("警报", "scatter"),
        ]
        assert series[3]["data"] == [[timezone.localdate().isoformat(), 30]]
        rt_series = page.evaluate(RT_SERIES)
        assert "95% 可信区间" in rt_series
        assert {"预测病例数", "预测 95% 区间"} <= set(rt_series)  # the projection and its band
        page.screenshot(path=str(screenshots / "earlywarning-curve.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
