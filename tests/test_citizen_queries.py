"""Citizen queries over HTTP: the risk level of an area by code, point and address, read from
the published document; the same-trip query; the testing-site directory; bad input named."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from crisisgov.citizen.models import PublishedDocument
from crisisgov.citizen.queries.models import TestingSiteInfo as SiteInfo
from crisisgov.citizen.queries.models import TripSegment
from crisisgov.directory.tests.factories import OrganisationFactory
from crisisgov.earlywarning.models import RiskLevel, RiskProposal, RiskRuleSet
from crisisgov.earlywarning.risk import DEFAULT_RULES
from crisisgov.kernel.models import AuditEntry
from crisisgov.kernel.outbox import outbox_deliver_due

API = "/api/citizen/queries"
SINCE = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


def level(area, value, *, version=1, since=SINCE):
    RiskLevel.objects.filter(area=area, valid_to=None).update(valid_to=since)
    return RiskLevel.objects.create(
        area=area, area_path=area.path, level=value, version=version, valid_from=since
    )


def risk(**params):
    response = Client().get(f"{API}/risk", params)
    return response.status_code, response.json()


def publish():
    call_command("citizen", "publish")


# --- risk level of an area ------------------------------------------------------------------


def test_code_point_and_address_give_the_level_of_the_nearest_area_that_has_one(city):
    level(city.district_a, "high")
    publish()

    status, body = risk(code=city.building_a.code)
    assert status == 200
    # The same answer for everyone: a shared cache may keep it.
    response = Client().get(f"{API}/risk", {"code": city.building_a.code})
    assert response["Cache-Control"] == "public, max-age=60"
    assert "Cookie" not in response.get("Vary", "")
    result = body["result"]
    assert (result["area"]["code"], result["level"]) == (city.building_a.code, "high")
    assert result["set_for"]["code"] == city.district_a.code
    assert dt.datetime.fromisoformat(result["since"]) == SINCE

    # A point inside district A's outline: the deepest area there, the building.
    status, body = risk(lon=114.05, lat=30.05)
    assert (body["result"]["area"]["code"], body["result"]["level"]) == (
        city.building_a.code,
        "high",
    )
    # An address naming the city, the district and the building.
    status, body = risk(q="武汉市 江岸区 江岸1栋")
    assert body["result"]["area"]["code"] == city.building_a.code
    assert body["result"]["level"] == "high"
    # A 6-digit district code is the district; district B has no level anywhere above it.
    status, body = risk(code=city.district_b.path)
    assert body["result"]["area"]["code"] == city.district_b.code
    assert (body["result"]["level"], body["result"]["since"], body["result"]["set_for"]) == (
        "low",
        None,
        None,
    )
    # The most specific decision wins: a street lowered inside a high district is low.
    level(city.street_a, "low")
    publish()
    assert risk(code=city.building_a.code)[1]["result"]["level"] == "low"
    assert risk(code=city.district_a.code)[1]["result"]["level"] == "high"


def test_an_ambiguous_address_lists_candidates_and_a_partial_one_too(city):
    publish()
    # "小区" is in both districts' estate names: no best match, both offered.
    status, body = risk(q="小区")
    assert status == 200 and body["result"] is None
    codes = [c["area"]["code"] for c in body["candidates"]]
    assert codes[:2] == [city.residential_a.code, city.residential_b.code]
    assert body["candidates"][0]["label_zh"].startswith("江岸区 ")
    # A whole estate name is the best match.
    status, body = risk(q="江汉小区")
    assert body["result"]["area"]["code"] == city.residential_b.code
    status, body = risk(q="没有这个地方")
    assert (body["result"], body["candidates"]) == (None, [])


def test_the_answer_comes_from_the_published_document_until_it_is_republished(city, make_user):
    """A level changed in early warning without republishing does not change the answer;
    an approval (its outbox event) republishes, and then it does."""
    level(city.district_b, "medium")
    publish()
    document = Client().get("/citizen/published/risk-levels.json")
    assert document.status_code == 200
    assert document["Cache-Control"] == "public, max-age=30"
    etag = document["ETag"]
    assert document.json()["areas"][city.district_b.code]["level"] == "medium"
    assert (
        Client().get("/citizen/published/risk-levels.json", HTTP_IF_NONE_MATCH=etag).status_code
        == 304
    )

    level(city.district_b, "high", version=2)  # straight into the table: nobody republished
    for _ in range(3):
        assert risk(code=city.building_b.code)[1]["result"]["level"] == "medium"
    assert Client().get("/citizen/published/risk-levels.json")["ETag"] == etag

    # An official approves a proposal: the event republishes the document.
    rules = RiskRuleSet.objects.create(
        name="B", area_level=3, rules=DEFAULT_RULES, area_path=city.district_b.path
    )
    proposal = RiskProposal.objects.create(
        rule_set=rules,
        area=city.street_b,
        area_path=city.street_b.path,
        current_level="",
        proposed_level="high",
        explanation={},
        evaluated_for=dt.date(2026, 11, 26),
    )
    client = Client()
    client.force_login(make_user("commander", city.district_b))
    approved = client.post(
        f"/api/earlywarning/risk/proposals/{proposal.pk}/approve",
        {"reason": "cluster"},
        content_type="application/json",
    )
    assert approved.status_code == 200, approved.content
    outbox_deliver_due()
    body = risk(code=city.building_b.code)[1]["result"]
    assert (body["level"], body["set_for"]["code"]) == ("high", city.street_b.code)
    assert Client().get("/citizen/published/risk-levels.json")["ETag"] != etag


def test_bad_lookups_are_refused_naming_what_is_wrong(city):
    publish()
    cases = [
        ({"code": "420199999999"}, 404, "code"),
        ({"code": "42a1"}, 400, "code"),
        ({"lon": 0.0, "lat": 0.0}, 404, "point"),
        ({"lon": 500, "lat": 30}, 400, "point"),
        ({"lon": 114.05}, 400, "point"),
        ({"code": city.district_a.code, "q": "江岸"}, 400, "query"),
        ({}, 400, "query"),
        ({"q": "江" * 101}, 400, "q"),
    ]
    for params, status, field in cases:
        got, body = risk(**params)
        assert (got, body["detail"][0]["field"]) == (status, field), params


def test_the_public_page_answers_without_login_and_names_bad_input(city):
    level(city.district_a, "high")
    publish()
    page = Client().get("/citizen/queries/", {"code": city.building_a.code})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="risk-answer"' in html and "risk-high" in html
    page = Client().get("/citizen/queries/", {"lon": "1", "lat": "1"})
    assert 'data-field="point"' in page.content.decode()
    page = Client().get("/citizen/queries/", {"number": "G1", "date": "2026-02-30"})
    assert 'data-field="date"' in page.content.decode()


# --- same trip ------------------------------------------------------------------------------


@pytest.fixture
def officer(city, make_user):
    client = Client()
    client.force_login(make_user("department_officer", city.district_a))
    return client


def publish_trip(client, city, **fields):
    body = {
        "area_id": city.district_a.id,
        "mode": "train",
        "number": "G1234",
        "travel_date": "2026-11-20",
        "from_stop": "汉口",
        "to_stop": "北京西",
        "departs_at": "08:12",
        "carriage": "5号车厢",
    } | fields
    return client.post(f"{API}/trips", body, content_type="application/json")


def check(number, date, **extra):
    response = Client().get(f"{API}/trips/check", {"number": number, "date": date, **extra})
    return response.status_code, response.json()


def test_same_trip_positive_negative_and_normalised(city, officer):
    assert publish_trip(officer, city).status_code == 201
    assert publish_trip(officer, city, mode="bus", number="公交 18路").status_code == 201

    for typed in ("G1234", "ｇ１２３４", " g 1234 ", "G1234次", "G-1234"):
        status, body = check(typed, "2026-11-20")
        assert (status, body["confirmed_case_on_board"]) == (200, True), typed
        assert [s["carriage"] for s in body["segments"]] == ["5号车厢"]
    assert check("G1235", "2026-11-20")[1]["confirmed_case_on_board"] is False
    assert check("G1234", "2026-11-21")[1]["confirmed_case_on_board"] is False
    for typed in ("18路", "公交18路", "18", "１８ 路"):
        status, body = check(typed, "2026-11-20")
        assert [s["number"] for s in body["segments"]] == ["公交 18路"], typed
    assert check("18", "2026-11-20", mode="train")[1]["segments"] == []
    # Nothing about the asker is kept: no audit entry, no row.
    before = AuditEntry.objects.count()
    check("G1234", "2026-11-20")
    assert AuditEntry.objects.count() == before


def test_same_trip_bad_input_and_withdrawal(city, officer):
    for number, date, field in (
        ("G1234", "2026-13-01", "date"),
        ("G1234", "", "date"),
        ("!!!", "2026-11-20", "number"),
        ("", "2026-11-20", "number"),
    ):
        status, body = check(number, date)
        assert (status, body["detail"][0]["field"]) == (400, field), (number, date)
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    refused = publish_trip(officer, city, travel_date=future)
    assert (refused.status_code, refused.json()["detail"][0]["field"]) == (400, "travel_date")
    assert not TripSegment.objects.exists()

    trip = publish_trip(officer, city).json()
    assert officer.post(f"{API}/trips/{trip['id']}/withdraw").status_code == 200
    assert check("G1234", "2026-11-20")[1]["confirmed_case_on_board"] is False


def test_exposures_document_carries_active_venues_and_trips(city, officer):
    now = timezone.localtime()
    start = (now - dt.timedelta(hours=5)).replace(microsecond=0)
    venue = {
        "area_id": city.residential_a.id,
        "name_zh": "江岸菜市场",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
    }
    assert officer.post(f"{API}/venues", venue, content_type="application/json").status_code == 201
    publish_trip(officer, city, travel_date=now.date().isoformat())
    old = publish_trip(officer, city, number="D1", travel_date="2026-01-01").json()
    response = Client().get("/citizen/published/exposures.json")
    assert response["Cache-Control"] == "public, max-age=30" and response["ETag"]
    document = response.json()
    assert [v["name_zh"] for v in document["venues"]] == ["江岸菜市场"]
    assert document["venues"][0]["area_code"] == city.residential_a.code
    assert [t["key"] for t in document["trips"]] == ["G1234"]  # D1 is older than 14 days
    assert old["number_key"] == "D1"
    backwards = venue | {"ends_at": venue["starts_at"]}
    refused = officer.post(f"{API}/venues", backwards, content_type="application/json")
    assert (refused.status_code, refused.json()["detail"][0]["field"]) == (400, "ends_at")


# --- testing sites --------------------------------------------------------------------------


@pytest.fixture
def site_a(city):
    return OrganisationFactory(kind="testing_site", area=city.street_a, name_zh="江岸检测点")


@pytest.fixture
def site_b(city):
    return OrganisationFactory(kind="testing_site", area=city.street_b, name_zh="江汉检测点")


WEEKDAYS_ONLY = {
    str(d): ([["08:00", "12:00"], ["14:00", "17:30"]] if d < 5 else []) for d in range(7)
}


def test_open_now_follows_the_hours_and_a_stale_queue_is_unknown(city, make_user, site_a):
    from crisisgov.citizen.queries import sites

    staff = Client()
    staff.force_login(make_user("service_point_staff", city.street_a, organisation=site_a))
    put = staff.put(
        f"{API}/testing-sites/{site_a.pk}",
        {"hours": WEEKDAYS_ONLY, "offers_pcr": True, "offers_antigen": True},
        content_type="application/json",
    )
    assert put.status_code == 200, put.content
    queue = staff.post(
        f"{API}/testing-sites/{site_a.pk}/queue",
        {"status": "long", "waiting_minutes": 45},
        content_type="application/json",
    )
    assert queue.status_code == 200
    reported = SiteInfo.objects.get().queue_updated_at
    local = timezone.localtime(reported)
    monday = local - dt.timedelta(days=local.weekday())

    def seen(at):
        found, _ = sites.testing_sites_now(now=at)
        return found[0].open_now, found[0].queue, found[0].waiting_minutes

    def on_monday(hour, minute):
        return monday.replace(hour=hour, minute=minute)

    # Hours alone (a queue report from another day is stale anyway).
    week_later = dt.timedelta(days=7)
    assert seen(on_monday(9, 0) + week_later) == (True, "unknown", None)
    assert seen(on_monday(12, 30) + week_later) == (False, "closed", None)
    assert seen(on_monday(17, 30) + week_later) == (False, "closed", None)
    assert seen(monday.replace(hour=10) + dt.timedelta(days=12)) == (False, "closed", None)
    # Staleness: with the site open around the clock, the report holds for two hours.
    staff.put(
        f"{API}/testing-sites/{site_a.pk}",
        {"hours": {str(d): [["00:00", "24:00"]] for d in range(7)}},
        content_type="application/json",
    )
    assert seen(reported + dt.timedelta(minutes=119)) == (True, "long", 45)
    assert seen(reported + dt.timedelta(minutes=121)) == (True, "unknown", None)
    # The public list and page read the same document.
    listed = Client().get(f"{API}/testing-sites")
    assert listed["Cache-Control"] == "public, max-age=60"
    assert [(s["name_zh"], s["open_now"], s["queue"]) for s in listed.json()] == [
        ("江岸检测点", True, "long")
    ]
    page = Client().get("/citizen/queries/testing-sites/").content.decode()
    assert f'id="site-{site_a.pk}" data-open="yes" data-queue="long"' in page


def test_staff_keep_only_their_own_site_and_officials_only_their_district(
    city, make_user, site_a, site_b
):
    body = {"status": "short", "waiting_minutes": 5}

    def queue(user, site_id):
        client = Client()
        client.force_login(user)
        return client.post(
            f"{API}/testing-sites/{site_id}/queue", body, content_type="application/json"
        )

    staff_a = make_user("service_point_staff", city.street_a, organisation=site_a)
    assert queue(staff_a, site_a.pk).status_code == 200
    refused, missing = queue(staff_a, site_b.pk), queue(staff_a, 99999999)
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()
    # Staff bound to no organisation keep no site, even inside their area.
    unbound = make_user("service_point_staff", city.street_a)
    assert queue(unbound, site_a.pk).status_code == 404
    officer_a = make_user("department_officer", city.district_a)
    assert queue(officer_a, site_a.pk).status_code == 200
    assert queue(officer_a, site_b.pk).status_code == 404
    assert list(SiteInfo.objects.values_list("organisation_id", flat=True)) == [site_a.pk]
    bad = Client()
    bad.force_login(staff_a)
    hours = bad.put(
        f"{API}/testing-sites/{site_a.pk}",
        {"hours": {"0": [["12:00", "08:00"]]}},
        content_type="application/json",
    )
    assert (hours.status_code, hours.json()["detail"][0]["field"]) == (400, "hours.0[0]")
    assert SiteInfo.objects.get().hours == {}


def test_the_staff_page_reports_the_queue_from_a_phone(city, make_user, site_a):
    client = Client()
    client.force_login(make_user("service_point_staff", city.street_a, organisation=site_a))
    url = f"/citizen/queries/testing-sites/{site_a.pk}/edit/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"form": "queue", "status": "medium"}).status_code == 302
    hours = {"form": "hours", "day0": "08:00-12:00, 13:00-17:00", "pcr": "on"}
    assert client.post(url, hours).status_code == 302
    info = SiteInfo.objects.get()
    assert (info.queue_status, info.hours["0"]) == (
        "medium",
        [["08:00", "12:00"], ["13:00", "17:00"]],
    )
    bad = client.post(url, {"form": "hours", "day1": "8 to 12", "pcr": "on"})
    assert bad.status_code == 400 and 'data-field="hours.1"' in bad.content.decode()
    assert client.get(f"/citizen/queries/testing-sites/{site_a.pk + 1}/edit/").status_code == 404


def test_the_demo_publishes_in_the_outbreak_district_once(db, settings, tmp_path):
    import io

    from crisisgov.citizen.queries.models import ExposureVenue
    from crisisgov.drills.citizen_queries_demo import citizen_queries_demo_ensure
    from crisisgov.geo.facade import Level, areas_at_level

    settings.VAR_DIR = tmp_path
    call_command("city", "generate", "--size", "tiny", stdout=io.StringIO(), stderr=io.StringIO())
    first = citizen_queries_demo_ensure()
    outbreak = areas_at_level(Level.DISTRICT)[0]
    assert first == [
        f"Citizen queries: 7 trips and venues published in {outbreak.name_en}, "
        f"{SiteInfo.objects.count()} testing sites with hours; /citizen/queries/"
    ]
    assert {t.area_path for t in TripSegment.objects.all()} == {outbreak.path}
    assert all(v.area_path.startswith(outbreak.path) for v in ExposureVenue.objects.all())
    assert not SiteInfo.objects.filter(hours={}).exists()
    etags = dict(PublishedDocument.objects.values_list("name", "etag"))
    assert set(etags) == {"risk-levels", "exposures", "testing-sites"}
    second = citizen_queries_demo_ensure()
    assert (TripSegment.objects.count(), ExposureVenue.objects.count()) == (4, 3)
    assert second[0].startswith("Citizen queries: 0 trips and venues published")
    day = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    assert check("G1234", day)[1]["confirmed_case_on_board"] is True
    venue = Client().get("/citizen/published/exposures.json").json()["venues"][0]
    status, body = risk(code=venue["area_code"])
    assert body["result"]["area"]["name_zh"] == venue["area_zh"]
    listed = Client().get(f"{API}/testing-sites").json()
    assert len(listed) == SiteInfo.objects.count() > 1


def test_the_redis_copy_of_each_document_is_the_published_one(city, settings):
    """What the surge edge serves (the Redis hash) is byte for byte what Django stores."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    from crisisgov.citizen.publishing import redis_client

    level(city.district_a, "medium")
    publish()
    for stored in PublishedDocument.objects.filter(
        name__in=["risk-levels", "exposures", "testing-sites"]
    ):
        copy = redis_client().hgetall(f"crisisgov:doc:{stored.name}")
        assert copy[b"etag"].decode() == stored.etag
        assert copy[b"body"].decode() == stored.body


def test_the_officials_page_publishes_and_withdraws_and_names_bad_input(city, make_user):
    client = Client()
    client.force_login(make_user("department_officer", city.district_a))
    url = "/citizen/queries/staff/"
    assert client.get(url).status_code == 200
    trip = {"form": "trip", "area_id": city.district_a.id, "mode": "flight", "number": "CA1501"}
    bad = client.post(url, trip | {"travel_date": "20.11.2026"})
    assert bad.status_code == 400 and 'data-field="travel_date"' in bad.content.decode()
    assert 'value="CA1501"' in bad.content.decode()  # what was typed is kept
    outside = client.post(url, trip | {"travel_date": "2026-11-20", "area_id": city.district_b.id})
    assert outside.status_code == 400 and 'data-field="area_id"' in outside.content.decode()
    assert not TripSegment.objects.exists()
    assert client.post(url, trip | {"travel_date": "2026-11-20"}).status_code == 302
    published = TripSegment.objects.get()
    assert (published.number_key, published.area_path) == ("CA1501", city.district_a.path)
    assert check("ca 1501", "2026-11-20")[1]["confirmed_case_on_board"] is True
    client.post(url, {"form": "withdraw-trip", "id": published.pk})
    assert check("ca 1501", "2026-11-20")[1]["confirmed_case_on_board"] is False
    # A citizen has nothing to keep here.
    citizen = Client()
    citizen.force_login(make_user("citizen", city.grid_a))
    assert citizen.get(url).status_code == 404
