"""The resident list in a real browser: masked rows, htmx paging without a page load, and the
whole record only after stating a purpose."""

from __future__ import annotations

import datetime as dt

import pytest

from crisisgov.directory.idnumber import make
from crisisgov.directory.tests.factories import PersonFactory
from crisisgov.kernel.models import AuditEntry
from tests.browser.test_map_browser import PHONE, log_in, open_page

pytestmark = pytest.mark.browser


def test_a_grid_worker_pages_through_residents_and_reads_one_for_a_purpose(
    browser, live_server, city, make_user
):
    people = [
        PersonFactory(
            home_building=city.building_a,
            name=f"居民{n:02d}",
            national_id=make("420102", dt.date(1960, 1, 1) + dt.timedelta(days=n), 100 + n),
        )
        for n in range(60)
    ]
    make_user("grid_worker", city.grid_a, username="gw-browser")
    context, page, errors = open_page(browser, PHONE)
    try:
        log_in(page, live_server.url, "gw-browser")
        page.click(f"a[href='/areas/{city.grid_a.id}/people/']")
        page.wait_for_selector("table.people")
        assert page.locator("table.people tbody tr").count() == 50
        assert page.locator("table.people tbody tr").first.inner_text().startswith("居*")

        page.evaluate("window.stillTheSamePage = true")
        page.click(".pager a:has-text('下一页')")
        page.wait_for_function("document.querySelectorAll('table.people tbody tr').length === 10")
        assert page.url.endswith("?page=2")
        assert page.evaluate("window.stillTheSamePage") is True  # swapped by htmx, not reloaded

        last = people[-1]
        page.click(f"a[href='/people/{last.pk}/']")
        page.wait_for_selector("form.purpose-form")
        assert last.national_id not in page.content()
        page.select_option("select[name=purpose]", "grid_management")
        page.click("form.purpose-form button")
        page.wait_for_selector("p[role=status]")
        assert last.national_id in page.content() and "居民59" in page.content()
        assert AuditEntry.objects.filter(action="directory.person_read").count() == 1
        assert errors == []
    finally:
        context.close()
