"""Tickets through HTTP: the API flow, the pages, personal data only for the handler, the
caller's rating page and the catalogue page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from crisisgov.kernel.models import AuditEntry
from crisisgov.opinion.tickets import clock, services
from crisisgov.opinion.tickets.models import TimeLimitClass
from tests.test_opinion_tickets_support import (
    CALL_TEXT,
    ID_NUMBER,
    PHONE,
    START,
    dispatched,
    world_build,
)

API = "/api/opinion/tickets"
SECRETS = (PHONE, ID_NUMBER, "王小明")


@pytest.fixture(autouse=True)
def _ngram_embedder(monkeypatch):
    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")


@pytest.fixture
def world(city, make_user):
    return world_build(city, make_user)


def as_user(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def assert_no_personal_data(content: bytes) -> None:
    text = content.decode()
    for secret in SECRETS:
        assert secret not in text


def test_the_whole_flow_through_the_api(city, world):
    operator, officer = as_user(world.operator), as_user(world.health_officer)
    body = {
        "area_id": city.street_a.id, "text": CALL_TEXT, "caller_name": "王小明",
        "caller_phone": PHONE, "category": "medical_help", "urgency": "normal",
    }  # fmt: skip
    created = operator.post(f"{API}/calls", body, content_type="application/json")
    assert created.status_code == 201, created.content
    ticket = created.json()
    assert_no_personal_data(created.content)
    assert ticket["state"] == "new" and ticket["suggestions"][0]["department"] == "health"
    tid = ticket["id"]
    assert [t["id"] for t in operator.get(f"{API}/dispatch").json()] == [tid]

    refused = operator.post(f"{API}/{tid}/dispatch", {"department": "police"},
                            content_type="application/json")  # fmt: skip
    assert refused.status_code == 400 and refused.json()["detail"][0]["field"] == "reason"
    sent = operator.post(f"{API}/{tid}/dispatch", {"department": "health"},
                         content_type="application/json")  # fmt: skip
    assert sent.json()["state"] == "assigned" and sent.json()["department"] == "health"

    inbox = officer.get(f"{API}/inbox").json()
    assert [t["id"] for t in inbox] == [tid] and inbox[0]["seconds_left"] > 0
    assert (
        officer.post(f"{API}/{tid}/accept", {}, content_type="application/json").json()["state"]
        == "accepted"
    )
    whole = officer.get(f"{API}/{tid}/whole").json()
    assert PHONE in whole["text"] and whole["caller_phone"] == PHONE
    assert AuditEntry.objects.filter(action="opinion.ticket_read_whole").count() == 1
    resolved = officer.post(f"{API}/{tid}/resolve", {"answer": "已安排家庭医生上门"},
                            content_type="application/json")  # fmt: skip
    assert resolved.json()["state"] == "resolved"
    link = officer.get(f"{API}/{tid}/whole").json()["rating_path"]
    token = link.rstrip("/").rsplit("/", 1)[1]

    rated = Client().post(f"{API}/rate/{token}", {"satisfaction": 5},
                          content_type="application/json")  # fmt: skip
    assert rated.json() == {"state": "closed", "satisfaction": 5}
    again = Client().post(f"{API}/rate/{token}", {"satisfaction": 1},
                          content_type="application/json")  # fmt: skip
    assert again.status_code == 409
    figures = as_user(world.commander).get(f"{API}/stats").json()
    assert [(f["code"], f["satisfaction_rate"]) for f in figures] == [("health", 1.0)]


def test_personal_data_never_reaches_a_viewer_without_the_handler_role(city, world):
    with clock.frozen(START):
        from crisisgov.directory.facade import actor_for_user

        ticket = dispatched(actor_for_user(world.operator), city.district_a)
        # The handler's own words may quote the caller's numbers too.
        handler = actor_for_user(world.health_officer)
        services.ticket_accept(actor=handler, ticket_id=ticket.pk, note=f"已回电 {PHONE}")
        services.ticket_resolve(actor=handler, ticket_id=ticket.pk, answer=f"已核实 {ID_NUMBER}")
    viewers = (world.operator, world.commander, world.police_officer)
    for user in viewers:
        client = as_user(user)
        for url in (f"{API}/{ticket.pk}", f"{API}/dispatch", f"{API}/inbox"):
            response = client.get(url)
            assert_no_personal_data(response.content)
        page = client.get(f"/opinion/tickets/{ticket.pk}/")
        assert_no_personal_data(page.content)
        assert client.get(f"{API}/{ticket.pk}/whole").status_code in (403, 404)
    # The police officer (another department) does not see the ticket at all.
    assert as_user(world.police_officer).get(f"/opinion/tickets/{ticket.pk}/").status_code == 404
    assert as_user(world.operator).get(f"/opinion/tickets/{ticket.pk}/").status_code == 200
    assert not AuditEntry.objects.filter(action="opinion.ticket_read_whole").exists()

    # The handler's page shows the whole text and the contact, and the view is audited.
    page = as_user(world.health_officer).get(f"/opinion/tickets/{ticket.pk}/")
    assert PHONE in page.content.decode() and ID_NUMBER in page.content.decode()
    read = AuditEntry.objects.get(action="opinion.ticket_read_whole")
    assert read.actor_user_id == world.health_officer.pk
    assert sorted(read.fields_read) == ["caller_name", "caller_phone", "text"]


def test_the_hotline_pages_register_and_dispatch_a_call(city, world):
    operator = as_user(world.operator)
    page = operator.get("/opinion/tickets/calls/")
    assert page.status_code == 200 and 'id="call-form"' in page.content.decode()
    posted = operator.post(
        "/opinion/tickets/calls/",
        {"area_id": city.district_a.id, "text": CALL_TEXT, "caller_phone": PHONE,
         "category": "medical_help", "urgency": "urgent"},
    )  # fmt: skip
    assert posted.status_code == 302
    detail = operator.get(posted["Location"])
    html = detail.content.decode()
    assert 'id="dispatch-form"' in html and "%" in html
    assert_no_personal_data(detail.content)
    empty = operator.post("/opinion/tickets/calls/", {"area_id": city.district_a.id, "text": ""})
    assert empty.status_code == 400 and 'data-field="text"' in empty.content.decode()
    sent = operator.post(posted["Location"], {"action": "dispatch", "department": "police"})
    assert sent.status_code == 400 and 'data-field="reason"' in sent.content.decode()
    sent = operator.post(posted["Location"], {"action": "dispatch", "department": "health"})
    assert sent.status_code == 302
    inbox = as_user(world.health_officer).get("/opinion/tickets/inbox/").content.decode()
    assert 'class="clock' in inbox and 'data-ticket="' in inbox


def test_the_department_pages_accept_return_and_resolve(city, world):
    with clock.frozen(START):
        from crisisgov.directory.facade import actor_for_user

        ticket = dispatched(actor_for_user(world.operator), city.district_a)
    officer = as_user(world.health_officer)
    url = f"/opinion/tickets/{ticket.pk}/"
    refused = officer.post(url, {"action": "return", "reason": ""})
    assert refused.status_code == 400 and 'data-field="reason"' in refused.content.decode()
    # Past both deadlines (the clock is the real one here): the inbox shows it red.
    services.tickets_sweep_clock(now=START + dt.timedelta(hours=3))
    inbox = officer.get("/opinion/tickets/inbox/").content.decode()
    assert "ticket-card breached" in inbox and "clock breached" in inbox
    assert officer.post(url, {"action": "accept"}).status_code == 302
    assert officer.post(url, {"action": "resolve", "answer": "已处理"}).status_code == 302
    page = officer.get(url).content.decode()
    assert 'id="rating-link"' in page


def test_the_rating_page_needs_no_account(city, world):
    with clock.frozen(START):
        from crisisgov.directory.facade import actor_for_user

        ticket = dispatched(actor_for_user(world.operator), city.district_a)
        ticket = services.ticket_resolve(
            actor=actor_for_user(world.health_officer), ticket_id=ticket.pk, answer="医生已联系您"
        )
    page = Client().get(f"/opinion/tickets/rate/{ticket.rating_token}/")
    assert page.status_code == 200 and "医生已联系您" in page.content.decode()
    assert_no_personal_data(page.content)
    done = Client().post(f"/opinion/tickets/rate/{ticket.rating_token}/", {"satisfaction": "4"})
    assert done.status_code == 302
    assert 'id="thanks"' in Client().get(done["Location"]).content.decode()
    assert Client().get("/opinion/tickets/rate/not-a-token/").status_code == 404


def test_the_catalogue_is_changed_by_the_citys_managers_only(city, world, make_user):
    manager = as_user(world.commander)  # commander at the city
    page = manager.get("/opinion/tickets/catalogue/")
    assert page.status_code == 200 and 'id="time-limits"' in page.content.decode()
    changed = manager.post(
        "/opinion/tickets/catalogue/",
        {"action": "time_limit", "code": "urgent_2h", "hours": "3", "response_hours": "1",
         "reminder_before_hours": "0.5"},
    )  # fmt: skip
    assert changed.status_code == 302
    assert TimeLimitClass.objects.get(code="urgent_2h").hours == 3.0
    bad = manager.post(
        "/opinion/tickets/catalogue/",
        {"action": "time_limit", "code": "urgent_2h", "hours": "1", "response_hours": "2",
         "reminder_before_hours": "0.5"},
    )  # fmt: skip
    assert bad.status_code == 400 and 'data-field="response_hours"' in bad.content.decode()
    district_commander = as_user(make_user("commander", city.district_a))
    refused = district_commander.put(
        f"{API}/time-limits/urgent_2h",
        {"hours": 9, "response_hours": 1, "reminder_before_hours": 1},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert TimeLimitClass.objects.get(code="urgent_2h").hours == 3.0
    moved = manager.put(
        f"{API}/categories/noise",
        {"department_code": "police", "area_level": "district", "time_limit": "utility_24h"},
        content_type="application/json",
    )
    assert moved.json()["department_code"] == "police"
    assert AuditEntry.objects.filter(action="opinion.ticket_category_changed").count() == 1


def test_the_board_panel_counts_and_clocks_only(city, world):
    from django.template.loader import render_to_string

    from crisisgov.directory.facade import actor_for_user
    from crisisgov.opinion.tickets.board import board_panel

    with clock.frozen(START):
        dispatched(actor_for_user(world.operator), city.district_a)
        services.call_register(actor=actor_for_user(world.operator), area_id=city.district_a.id,
                               text="停水两天了")  # fmt: skip
    services.tickets_sweep_clock(now=START + dt.timedelta(hours=3))
    context = board_panel(actor_for_user(world.commander))
    panel = context["tickets_panel"]
    assert panel["waiting_dispatch"] == 1 and panel["breached"] == 1
    [health] = panel["departments"]
    assert (health["code"], health["open"], health["escalated"]) == ("health", 1, 1)
    html = render_to_string("opinion_tickets/_board_panel.html", context)
    assert 'data-department="health"' in html
    assert_no_personal_data(html.encode())


def test_the_figures_page_is_scoped_by_district(city, world):
    from crisisgov.directory.facade import actor_for_user

    with clock.frozen(START):
        dispatched(actor_for_user(world.operator), city.district_a)
    page = as_user(world.commander).get("/opinion/tickets/stats/").content.decode()
    assert 'data-code="health"' in page and f'value="{city.district_b.path}"' in page
    only_b = as_user(world.commander).get(f"/opinion/tickets/stats/?area={city.district_b.path}")
    assert 'data-code="health"' not in only_b.content.decode()
    other = as_user(world.health_officer_b).get("/opinion/tickets/stats/").content.decode()
    assert 'data-code="health"' not in other
    assert f'value="{city.district_a.path}"' not in other
    figures = as_user(world.health_officer_b).get(f"{API}/stats").json()
    assert figures == []


def test_the_situation_board_shows_the_tickets_panel(city, world):
    from crisisgov.directory.facade import actor_for_user

    with clock.frozen(START):
        dispatched(actor_for_user(world.operator), city.district_a)
    board = as_user(world.commander).get("/opinion/")
    html = board.content.decode()
    assert board.status_code == 200 and 'id="tickets-board"' in html
    assert 'data-department="health"' in html
    assert_no_personal_data(board.content)


def test_an_address_and_a_landline_in_a_reason_are_masked_for_a_non_handler(city, world):
    from crisisgov.directory.facade import actor_for_user

    reason = "不归卫健管，来电人住中山路88号3栋502室，座机027-87654321"
    with clock.frozen(START):
        ticket = dispatched(actor_for_user(world.operator), city.district_a)
        services.ticket_return(
            actor=actor_for_user(world.health_officer), ticket_id=ticket.pk, reason=reason
        )
    page = as_user(world.operator).get(f"/opinion/tickets/{ticket.pk}/").content.decode()
    assert "不归卫健管" in page  # the reason itself is there for the dispatcher ...
    for secret in ("88号3栋502室", "87654321"):  # ... but not where the caller lives
        assert secret not in page
    api = as_user(world.operator).get(f"{API}/{ticket.pk}").content.decode()
    assert "87654321" not in api and "502室" not in api


def test_a_water_officer_sees_the_water_alarms_only(city, world, make_user):
    from crisisgov.directory.facade import actor_for_user
    from crisisgov.directory.models import Organisation
    from crisisgov.opinion.models import HotspotAlarm, Topic
    from crisisgov.opinion.selectors import departments_of
    from crisisgov.opinion.tickets.catalogue import department_desk

    desk = department_desk(code="water", area_path=city.district_a.path)
    water = Organisation.objects.get(pk=desk.organisation_id)
    assert water.department_type == "water"
    officer = make_user("department_officer", city.district_a, water)
    assert departments_of(actor_for_user(officer)) == ["water"]
    topic = Topic.objects.create(centroid=b"", label_en="outage")
    alarms = {
        department: HotspotAlarm.objects.create(
            topic=topic if department == "water" else Topic.objects.create(centroid=b""),
            area=city.district_a,
            area_path=city.district_a.path,
            bin_start=START,
            observed=30,
            expected=2.0,
            p_value=1e-9,
            department=department,
        )  # fmt: skip
        for department in ("water", "health", "")
    }
    inbox = as_user(officer).get("/opinion/alarms/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-alarm-id="{alarms["water"].pk}"' in inbox
    assert f'data-alarm-id="{alarms["health"].pk}"' not in inbox
    assert f'data-alarm-id="{alarms[""].pk}"' not in inbox

    # An officer of an organisation that is no known department sees no alarm at all.
    company = Organisation.objects.create(
        kind="company", name_zh="某公司", name_en="A company", area=city.district_a,
        area_path=city.district_a.path,
    )  # fmt: skip
    stranger = make_user("department_officer", city.district_a, company)
    assert departments_of(actor_for_user(stranger)) == []
    inbox = as_user(stranger).get("/opinion/alarms/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-alarm-id" not in inbox
    # The command centre still sees every one.
    commander = as_user(world.commander).get("/opinion/alarms/").content.decode()
    assert all(f'data-alarm-id="{a.pk}"' in commander for a in alarms.values())


def test_a_reminded_ticket_stands_out_in_the_department_inbox(city, world, actor_of):
    """The clock's reminder reaches the people who must answer: a badge on the ticket and a
    line at the top of their inbox, in both languages, until the deadline passes."""
    TimeLimitClass.objects.filter(code="general_7d").update(reminder_before_hours=4)
    with clock.frozen(START):
        ticket = dispatched(actor_of(world.operator), city.district_a, category="noise")
    officer = as_user(world.health_officer)
    before = officer.get("/opinion/tickets/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-ticket="{ticket.pk}"' in before and "deadline is near" not in before
    assert services.tickets_sweep_clock(now=START + dt.timedelta(hours=20)) == 1  # 4 h ahead
    page = officer.get("/opinion/tickets/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "reminder: deadline near" in page
    assert "1 ticket's deadline is near: answer it first." in page
    page_zh = officer.get("/opinion/tickets/inbox/", HTTP_ACCEPT_LANGUAGE="zh-hans").content
    assert "即将到期" in page_zh.decode()
    # Past the deadline the ticket is overdue (red), no longer "near".
    services.tickets_sweep_clock(now=START + dt.timedelta(hours=25))
    late = officer.get("/opinion/tickets/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "deadline near" not in late and "breached" in late
