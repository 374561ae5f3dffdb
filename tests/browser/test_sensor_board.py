"""The sensor status board in a real browser: a reading over the threshold arrives while the
page is open, and htmx's polling shows the new state without a reload (zh-Hans, then English)."""

from __future__ import annotations

import datetime as dt

import pytest

from crisisgov.earlywarning.models import Indicator, Sensor
from crisisgov.earlywarning.sensors import SensorIngestor
from tests.browser.test_map_browser import DESKTOP, log_in, open_page

pytestmark = pytest.mark.browser


def test_the_board_follows_a_sensor_over_its_threshold(
    browser, live_server, city, make_user, screenshots
):
    water = Indicator.objects.create(
        code="water_level",
        name_zh="水位",
        name_en="water level",
        kind="sensor",
        unit="m",
        resolution="hour",
        area_level=5,
        additive=False,
    )
    Sensor.objects.create(
        code="river-1",
        name="江滩水位",
        indicator=water,
        area=city.community_a,
        area_path=city.community_a.path,
        low_threshold=1.0,
        high_threshold=5.0,
    )
    make_user("analyst", city.district_a, username="watcher")
    row = "tr[data-sensor='river-1']"
    context, page, errors = open_page(browser, DESKTOP)
    try:
        log_in(page, live_server.url, "watcher")
        page.goto(f"{live_server.url}/earlywarning/sensors/")
        assert page.get_attribute(row, "data-state") == "new"
        assert page.inner_text(f"{row} .sensor-state") == "尚未上报"

        ingestor = SensorIngestor()
        now = dt.datetime.now(dt.UTC)
        ingestor.add(
            topic="crisisgov/sensors/river-1",
            payload=f'{{"value": 5.8, "measured_at": "{now.isoformat()}"}}'.encode(),
            received_at=now,
        )
        ingestor.flush()
        # No reload: the next poll (every 5 s) brings the new state.
        page.wait_for_selector(f"{row}[data-state='above']", timeout=12_000)
        assert page.inner_text(f"{row} .sensor-state") == "超过上限"
        assert page.inner_text(f"{row} td[data-value]") == "5.8"
        page.screenshot(path=str(screenshots / "sensor-board.png"), full_page=True)

        page.click("button[value=en]")
        page.wait_for_load_state()
        assert page.inner_text(f"{row} .sensor-state") == "above threshold"
        assert errors == []
    finally:
        context.close()
