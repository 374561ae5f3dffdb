"""The region map in a real browser: scoping, drill-down, the language switch and the 404 page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# What the chart draws, read back from ECharts itself.
CHART_REGIONS = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById("area-map"));
  return chart.getOption().series[0].data.map(d => ({code: d.name, name: d.areaName}));
}"""
# Pixels of the map canvas that hold a region's shading (not the empty background).
SHADED_PIXELS = """() => {
  const canvas = document.querySelector("#area-map canvas");
  const ctx = canvas.getContext("2d");
  const {data} = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let shaded = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (b > r + 20 && r + g + b < 600) shaded += 1;  // the blue population shades
  }
  return shaded;
}"""


def open_page(browser, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return context, page, errors


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    assert "/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()


def wait_for_map(page) -> None:
    page.wait_for_selector("#area-map[data-map-ready=true] canvas", timeout=15_000)


def test_grid_worker_sees_only_their_grid_and_switches_to_english(
    browser, live_server, city, make_user, screenshots
):
    worker = make_user("grid_worker", city.grid_a)
    context, page, errors = open_page(browser, PHONE)
    try:
        log_in(page, live_server.url, worker.username)
        assert page.url == f"{live_server.url}/areas/{city.grid_a.pk}/"
        assert page.inner_text("h1") == "江岸一网格"
        wait_for_map(page)
        assert page.evaluate(CHART_REGIONS) == [
            {"code": city.residential_a.code, "name": "江岸小区"}
        ]
        assert page.locator("table.areas tbody th").all_inner_texts() == ["江岸小区"]
        assert "江汉" not in page.content()
        assert page.inner_text(".who-role") == "网格员"
        page.screenshot(path=str(screenshots / "grid-worker-phone.png"), full_page=True)
        # The page fits a phone: nothing scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.click("form.lang-switch button")
        page.wait_for_load_state()
        assert page.url == f"{live_server.url}/areas/{city.grid_a.pk}/"
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("h1") == "江岸 Grid 1"
        assert page.inner_text(".who-role") == "grid worker"
        assert page.locator(".panel h2").all_inner_texts()[-1].startswith("Areas within")
        wait_for_map(page)
        assert page.evaluate(CHART_REGIONS) == [
            {"code": city.residential_a.code, "name": "江岸 Estate"}
        ]
        assert page.locator("table.areas tbody th").all_inner_texts() == ["江岸 Estate"]

        response = page.goto(f"{live_server.url}/areas/{city.district_b.pk}/")
        assert response.status == 404
        assert page.inner_text("h1") == "Not found"
        assert "outside your jurisdiction" in page.inner_text("main")
        assert "江汉" not in page.content()
        page.screenshot(path=str(screenshots / "grid-worker-404-phone.png"), full_page=True)
        # The only console error is the browser reporting that very 404.
        assert len(errors) == 1, errors
        assert "404" in errors[0]
    finally:
        context.close()


def test_commander_drills_down_from_the_city_map(
    browser, live_server, city, make_user, screenshots
):
    commander = make_user("commander", city.city)
    context, page, errors = open_page(browser, DESKTOP)
    try:
        log_in(page, live_server.url, commander.username)
        assert page.url == f"{live_server.url}/areas/{city.city.pk}/"
        wait_for_map(page)
        assert page.evaluate(CHART_REGIONS) == [
            {"code": city.district_a.code, "name": "江岸区"},
            {"code": city.district_b.code, "name": "江汉区"},
        ]
        page.screenshot(path=str(screenshots / "commander-city.png"), full_page=True)
        assert page.evaluate(SHADED_PIXELS) > 10_000  # the two districts are painted

        # Select district B on the map (its centre, converted to screen pixels by ECharts).
        x, y = page.evaluate(
            """() => echarts.getInstanceByDom(document.getElementById("area-map"))
                 .convertToPixel({seriesIndex: 0}, [114.25, 30.05])"""
        )
        box = page.locator("#area-map").bounding_box()
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_url(f"{live_server.url}/areas/{city.district_b.pk}/")
        assert page.inner_text("h1") == "江汉区"
        wait_for_map(page)
        assert page.evaluate(CHART_REGIONS) == [{"code": city.street_b.code, "name": "江汉街道"}]

        # A building, the leaf, shows its own outline and no table.
        page.goto(f"{live_server.url}/areas/{city.building_b.pk}/")
        wait_for_map(page)
        assert page.evaluate(CHART_REGIONS) == [{"code": city.building_b.code, "name": "江汉1栋"}]
        assert page.locator("table.areas").count() == 0
        page.screenshot(path=str(screenshots / "commander-building.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
