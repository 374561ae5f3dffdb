"""The close-contact self-check in Chromium on a phone: an itinerary that overlaps a published
exposure is flagged, one that does not is not, and no request the page makes carries any of
the itinerary's values (every request is recorded: URLs and bodies)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, quote_plus

import pytest
from django.utils import timezone

from crisisgov.citizen.queries import exposures
from crisisgov.kernel.actor import SYSTEM
from tests.browser.test_map_browser import open_page

pytestmark = pytest.mark.browser
NARROW = {"width": 360, "height": 780}


def wall(moment: dt.datetime) -> str:
    """A datetime-local input's value in the city's time."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_the_itinerary_is_matched_in_the_browser_and_never_sent(
    browser, live_server, city, screenshots
):
    now = timezone.now().replace(second=0, microsecond=0)
    exposures.venue_publish(
        actor=SYSTEM, area_id=city.residential_a.id, name_zh="江岸菜市场",
        name_en="Jiang'an Market", address="江岸路1号",
        starts_at=now - dt.timedelta(hours=5), ends_at=now - dt.timedelta(hours=3),
    )  # fmt: skip
    trip_day = timezone.localdate() - dt.timedelta(days=2)
    exposures.trip_publish(
        actor=SYSTEM, area_id=city.district_a.id, mode="train", number="G1234",
        travel_date=trip_day, from_stop="汉口", to_stop="北京西",
    )  # fmt: skip

    overlapping = {
        "place": "江岸菜市",  # typed, part of the published name
        "from": wall(now - dt.timedelta(hours=4, minutes=13)),
        "to": wall(now - dt.timedelta(hours=2, minutes=7)),
        "trip": "ｇ 1234",
        "date": trip_day.isoformat(),
    }
    apart = {
        "place": "Jiang'an Market",
        "from": wall(now - dt.timedelta(hours=31, minutes=17)),
        "to": wall(now - dt.timedelta(hours=29, minutes=41)),
        "trip": "D7731",
        "date": (trip_day - dt.timedelta(days=1)).isoformat(),
    }
    context, page, errors = open_page(browser, NARROW)
    requests: list[tuple[str, str, str]] = []
    page.on("request", lambda r: requests.append((r.method, r.url, r.post_data or "")))
    try:
        page.goto(f"{live_server.url}/citizen/queries/self-check/")
        page.wait_for_selector("#place-venue option:nth-child(2)", state="attached")
        assert page.locator("#verdict").inner_text() == "请添加您去过的地点和乘坐的交通工具。"

        def enter(itinerary: dict) -> str:
            page.fill("#place-name", itinerary["place"])
            page.fill("#place-from", itinerary["from"])
            page.fill("#place-to", itinerary["to"])
            page.click("#add-place")
            page.fill("#trip-number", itinerary["trip"])
            page.fill("#trip-date", itinerary["date"])
            page.click("#add-trip")
            return page.locator("#result").inner_text()

        result = enter(overlapping)
        assert page.locator("#verdict").get_attribute("class") == "risk risk-high"
        assert "江岸菜市场" in result and "G1234" in result
        assert page.locator("#result li").count() == 2  # the place and the trip
        page.screenshot(path=screenshots / "citizen-selfcheck-match.png", full_page=True)
        # Kept on the phone: a reload shows the same itinerary and verdict.
        page.reload()
        page.wait_for_selector("#verdict.risk-high")
        assert page.locator("#itinerary li").count() == 2
        assert not page.locator("#itinerary-empty").is_visible()
        stored = page.evaluate("() => localStorage.getItem('crisisgov.selfcheck.v1')")
        assert overlapping["from"] in stored

        page.click("#forget")
        result = enter(apart)
        assert page.locator("#verdict").get_attribute("class") == "risk risk-low"
        assert page.locator("#verdict").inner_text() == "与已公布的地点和行程没有重合。"
        # Chosen from the published list instead of typed: the same place, another time.
        page.select_option("#place-venue", index=1)
        page.fill("#place-from", overlapping["from"])
        page.fill("#place-to", overlapping["to"])
        page.click("#add-place")
        page.wait_for_selector("#verdict.risk-high")
        # A 360 px phone scrolls only downwards.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= NARROW["width"]
        assert errors == []
    finally:
        context.close()

    assert requests, "the page made no request at all?"
    assert {method for method, _, _ in requests} == {"GET"}
    values = [v for itinerary in (overlapping, apart) for v in itinerary.values()]
    values += [v.replace("T", " ") for v in values if "T" in v]
    for _, url, body in requests:
        for value in values:
            for form in {value, quote(value), quote_plus(value)}:
                assert form not in url, (url, value)
                assert form not in body, (url, value)
    urls = [url.removeprefix(live_server.url) for _, url, _ in requests]
    assert "/citizen/published/exposures.json" in urls


def test_the_query_pages_fit_a_360_px_phone(browser, live_server, city, make_user, screenshots):
    from crisisgov.citizen.queries.facade import queries_publish_all
    from crisisgov.directory.tests.factories import OrganisationFactory

    site = OrganisationFactory(
        kind="testing_site", area=city.street_a, name_zh="江岸街道核酸检测点"
    )
    exposures.trip_publish(
        actor=SYSTEM, area_id=city.district_a.id, mode="bus", number="公交 18路",
        travel_date=timezone.localdate(), from_stop="解放路口", to_stop="临江人民医院",
    )  # fmt: skip
    queries_publish_all()
    make_user("service_point_staff", city.street_a, site, username="site-staff")
    context, page, errors = open_page(browser, NARROW)
    try:
        page.goto(f"{live_server.url}/citizen/queries/")
        page.fill("#q", "江岸区 江岸小区")
        page.click("#q ~ button")
        page.wait_for_selector("#risk-answer")
        assert "江岸小区" in page.inner_text("#risk-answer .cq-area")
        page.fill("#number", "18路")
        page.fill("#date", timezone.localdate().isoformat())
        page.click("#trip button[type=submit]")
        page.wait_for_selector("#trip-answer .risk-high")
        page.screenshot(path=screenshots / "citizen-queries-home.png", full_page=True)
        widths = [page.evaluate("() => document.documentElement.scrollWidth")]
        page.goto(f"{live_server.url}/citizen/queries/testing-sites/")
        assert page.locator(f"#site-{site.pk}").get_attribute("data-queue") in ("unknown", "closed")
        widths.append(page.evaluate("() => document.documentElement.scrollWidth"))
        # The site's staff taps "long queue" on the phone page; the directory shows it.
        log_in_as(page, live_server.url, "site-staff")
        page.goto(f"{live_server.url}/citizen/queries/testing-sites/{site.pk}/edit/")
        page.fill(f"#day{timezone.localtime().weekday()}", "00:00-24:00")
        page.click("form:has(input[value=hours]) button[type=submit]")
        page.click("button[name=status][value=long]")
        widths.append(page.evaluate("() => document.documentElement.scrollWidth"))
        page.goto(f"{live_server.url}/citizen/queries/testing-sites/")
        assert page.locator(f"#site-{site.pk}").get_attribute("data-queue") == "long"
        assert max(widths) <= NARROW["width"], widths
        assert errors == []
    finally:
        context.close()


def log_in_as(page, base_url: str, username: str) -> None:
    from tests.browser.conftest import PASSWORD

    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
