"""The online application on a 360 px phone in Chromium: the form names a bad field and keeps
what was typed, the submission opens the progress page, and the page follows the departments'
decisions and an overdue escalation, without horizontal scrolling."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crisisgov.citizen.approvals import services
from crisisgov.citizen.approvals.models import Application
from crisisgov.directory.facade import actor_for_user
from tests.browser.test_map_browser import log_in, open_page
from tests.test_citizen_approvals_support import CREDIT_CODE, PDF, world_build

pytestmark = pytest.mark.browser
NARROW = {"width": 360, "height": 780}


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_citizen_submits_once_and_follows_the_progress_on_a_phone(
    browser, live_server, city, make_user, settings, tmp_path, screenshots
):
    settings.VAR_DIR = tmp_path
    world = world_build(city, make_user)
    context, page, errors = open_page(browser, NARROW)
    try:
        log_in(page, live_server.url, world.citizen.username)
        page.goto(f"{live_server.url}/citizen/approvals/")
        page.click("#services a")
        page.fill("#company_name", "武汉示例机械有限公司")
        page.fill("#credit_code", CREDIT_CODE[:17] + ("1" if CREDIT_CODE[17] == "0" else "0"))
        page.fill("#field-address", "江岸区解放大道100号")
        page.fill("#field-employees", "35")
        page.fill("#field-resume_date", "2026-12-01")
        page.select_option("#field-industry", "manufacturing")
        page.check("input[name=field-masks_in_stock]")
        plan = {"name": "方案.pdf", "mimeType": "application/pdf", "buffer": PDF}
        page.set_input_files("#file-prevention_plan", plan)
        page.click("#apply-form button[type=submit]")
        error = page.locator('[data-field="credit_code"]')
        assert "GB 32100" in error.inner_text()
        assert page.input_value("#field-address") == "江岸区解放大道100号"  # kept
        assert no_horizontal_scroll(page)

        page.fill("#credit_code", CREDIT_CODE)
        page.set_input_files("#file-prevention_plan", plan)  # files are never kept by browsers
        page.click("#apply-form button[type=submit]")
        page.wait_for_selector("#progress")
        application = Application.objects.get()
        assert page.url.endswith(f"/citizen/approvals/applications/{application.pk}/")
        assert page.locator(".step[data-state=pending]").count() == 2
        assert page.locator(".step[data-state=waiting]").count() == 1
        assert page.inner_text("#visits") == "1"
        assert no_horizontal_scroll(page)

        market = actor_for_user(world.market_officer)
        services.step_decide(actor=market, application_id=application.pk, action="approve")
        later = timezone.now() + dt.timedelta(hours=25)
        assert services.steps_escalate_overdue(now=later) == 1
        page.reload()
        approved = page.locator(f'.step[data-department="{world.market.pk}"]')
        assert approved.get_attribute("data-state") == "approved"
        health = page.locator(f'.step[data-department="{world.health.pk}"] [data-flag=overdue]')
        assert "上报" in health.inner_text() or "escalated" in health.inner_text()
        assert no_horizontal_scroll(page)
        page.screenshot(
            path=str(screenshots / "citizen-approvals-progress-360.png"), full_page=True
        )
        # The refused form answers 400 on purpose; anything else logged is a script error.
        assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    finally:
        context.close()
