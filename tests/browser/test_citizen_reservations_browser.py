"""Reserving masks on a 360-pixel phone: the stock list, the form with its hidden
idempotency key, the pickup code; then the pharmacy's staff hand the box over by that code."""

from __future__ import annotations

import re

import pytest

from crisisgov.citizen.reservations.facade import reservations_drain
from crisisgov.citizen.reservations.models import PharmacyStock, Reservation
from tests.browser.test_map_browser import log_in, open_page
from tests.citizen_reservations_support import (
    flush_redis,
    make_item,
    make_pharmacy,
    make_resident,
    make_stock,
)

pytestmark = pytest.mark.browser

PHONE_360 = {"width": 360, "height": 740}


def test_a_citizen_reserves_on_a_phone_and_the_pharmacy_hands_it_over(
    browser, live_server, city, make_user, screenshots
):
    flush_redis()
    item = make_item(city, quota=2)
    pharmacy = make_pharmacy(city.street_a, "江岸大药房")
    make_stock(item, pharmacy, 5)
    resident = make_resident(city, make_user)
    staff = make_user("service_point_staff", city.district_a, organisation=pharmacy)

    context, page, errors = open_page(browser, PHONE_360)
    try:
        log_in(page, live_server.url, resident.user.username)
        page.goto(f"{live_server.url}/citizen/reservations/")
        assert "江岸大药房" in page.inner_text("#stock")
        page.fill("#stock input[name=id_number]", resident.national_id)
        page.fill("#stock input[name=quantity]", "2")
        page.click("#stock button[type=submit]")
        page.wait_for_selector("#reserved .code")
        code = page.inner_text("#reserved .code")
        assert re.fullmatch(r"[2-9A-Z]{8}", code)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_360["width"]
        assert resident.national_id not in page.content()  # the page does not echo it back
        page.screenshot(path=str(screenshots / "citizen-reservations-360-zh.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
    reservations_drain()
    assert Reservation.objects.get().code == code

    context, page, errors = open_page(browser, PHONE_360)
    try:
        log_in(page, live_server.url, staff.username)
        page.goto(f"{live_server.url}/citizen/reservations/pharmacy/")
        page.fill("#pickup input[name=code]", code.lower())
        page.click("#pickup button[type=submit]")
        page.wait_for_selector("p.flash[role=status]")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_360["width"]
        assert errors == []
    finally:
        context.close()
    stock = PharmacyStock.objects.get()
    assert (stock.reserved, stock.picked_up) == (2, 2)
    flush_redis()
