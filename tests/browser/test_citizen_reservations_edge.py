"""The reservation page reserving through the surge edge: the page fetches its edge pass from
Django, posts JSON to the edge, and waits out a full edge (429 + Retry-After) with the same
idempotency key instead of failing.

The edge here is the real Starlette app (crisisgov.edge.app) on the test's database and Redis,
on another origin as in the demo (same host, another port: the pass cookie goes along, CORS is
needed); the browser's requests to it are carried to the app in-process by Playwright's routing
(a granian process could not open SQLite's in-memory test database). Nothing is faked: the
answers are the edge's own.
"""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from crisisgov.citizen.reservations.facade import reservations_drain
from crisisgov.citizen.reservations.models import Reservation
from crisisgov.edge.app import create_app
from tests.browser.test_map_browser import log_in, open_page
from tests.citizen_reservations_support import (
    flush_redis,
    make_item,
    make_pharmacy,
    make_resident,
    make_stock,
)
from tests.test_edge_support import edge_config, edge_database, free_port

pytestmark = pytest.mark.browser

EDGE_ORIGIN = f"http://localhost:{free_port()}"  # the live server's host; routed in-process
EDGE = f"{EDGE_ORIGIN}/edge/"
PHONE_360 = {"width": 360, "height": 740}


class EdgeRoute:
    """Carries the browser's requests for the edge's origin to the edge app, recording what the
    browser sent and the edge answered."""

    def __init__(self, page, client: TestClient):
        self.client = client
        self.seen: list[tuple[str, int, dict]] = []
        self.before_each = lambda: None
        page.route(f"{EDGE}**", self.handle)

    def handle(self, route) -> None:
        request = route.request
        self.before_each()
        answer = self.client.request(
            request.method,
            request.url.removeprefix(EDGE_ORIGIN),
            headers={k: v for k, v in request.all_headers().items() if not k.startswith(":")},
            content=request.post_data_buffer,
        )
        self.seen.append((request.url, answer.status_code, dict(request.all_headers())))
        route.fulfill(status=answer.status_code, headers=dict(answer.headers), body=answer.content)


@pytest.fixture
def edge_page(browser, live_server, settings):
    settings.EDGE_URL = EDGE
    origin = live_server.url
    config = edge_config(allowed_origins=(origin,), max_in_flight=4)
    app = create_app(config, edge_database())
    with TestClient(app, base_url=EDGE_ORIGIN) as client:
        context, page, errors = open_page(browser, PHONE_360)
        route = EdgeRoute(page, client)
        try:
            yield page, errors, route, app.state.edge
        finally:
            context.close()


def test_the_page_reserves_through_the_edge_with_the_pass_cookie(
    edge_page, live_server, city, make_user
):
    flush_redis()
    page, errors, route, _ = edge_page
    item = make_item(city, quota=2)
    pharmacy = make_pharmacy(city.street_a, "江岸大药房")
    make_stock(item, pharmacy, 5)
    resident = make_resident(city, make_user)

    log_in(page, live_server.url, resident.user.username)
    page.goto(f"{live_server.url}/citizen/reservations/")
    page.fill("#stock input[name=id_number]", resident.national_id)
    page.fill("#stock input[name=quantity]", "2")
    page.click("#stock button[type=submit]")
    page.wait_for_selector("#edge-code")
    code = page.inner_text("#edge-code")
    assert re.fullmatch(r"[2-9A-Z]{8}", code)
    assert code in page.inner_text("#mine")  # listed at once, before any reload

    [(url, status, headers)] = route.seen
    assert url == f"{EDGE}reserve" and status == 201
    assert "crisisgov_edge=" in headers.get("cookie", "")  # the HttpOnly pass, not a token in JS
    assert headers["origin"] == live_server.url
    assert errors == []
    reservations_drain()
    reservation = Reservation.objects.get()
    assert (reservation.code, reservation.quantity) == (code, 2)
    flush_redis()


def test_a_full_edge_is_waited_out_with_the_same_key(edge_page, live_server, city, make_user):
    flush_redis()
    page, errors, route, edge = edge_page
    item = make_item(city)
    pharmacy = make_pharmacy(city.street_a, "江岸大药房")
    make_stock(item, pharmacy, 5)
    resident = make_resident(city, make_user)
    log_in(page, live_server.url, resident.user.username)
    page.goto(f"{live_server.url}/citizen/reservations/")

    # The edge is working on as many reservations as it admits; it frees up after one refusal.
    edge.in_flight = edge.config.max_in_flight

    def free_after_first_refusal() -> None:
        if route.seen:
            edge.in_flight = 0

    route.before_each = free_after_first_refusal
    page.fill("#stock input[name=id_number]", resident.national_id)
    page.click("#stock button[type=submit]")
    page.wait_for_selector("#edge-result:not(.error) >> text=/\\d+ s/")  # "trying again in N s"
    page.wait_for_selector("#edge-code", timeout=15_000)

    assert [status for _, status, _ in route.seen] == [429, 201]
    assert errors == [e for e in errors if "429" in e]  # only Chromium's note of the 429
    reservations_drain()
    assert Reservation.objects.count() == 1
    flush_redis()


def test_the_edges_refusal_is_shown_in_the_pages_language(edge_page, live_server, city, make_user):
    """The edge answers in English with a code; the Chinese page shows its own words for it,
    names nothing reserved, and keeps the form for a corrected number."""
    flush_redis()
    page, errors, route, _ = edge_page
    item = make_item(city)
    make_stock(item, make_pharmacy(city.street_a, "江岸大药房"), 5)
    resident = make_resident(city, make_user)
    log_in(page, live_server.url, resident.user.username)
    page.goto(f"{live_server.url}/citizen/reservations/")
    wrong = resident.national_id[:-1] + ("0" if resident.national_id[-1] != "0" else "1")
    page.fill("#stock input[name=id_number]", wrong)
    page.click("#stock button[type=submit]")
    page.wait_for_selector("#edge-result.error")
    assert page.inner_text("#edge-result") == "身份证号码无效，请逐位核对。"
    assert [status for _, status, _ in route.seen] == [422]
    assert page.is_visible("#stock button[type=submit]")
    assert errors == [e for e in errors if "422" in e]  # only Chromium's note of the 422
    assert Reservation.objects.count() == 0
