"""Every directory and kernel endpoint against an anonymous caller and another district.

Geo's endpoints have the same cases in crisisgov/geo/tests/test_api.py. A route added to these
routers fails `test_every_endpoint_has_its_outsider_case` until it gets a case here.
"""

import datetime as dt

import pytest
from django.test import Client

from crisisgov.directory.api import router as directory_router
from crisisgov.directory.idnumber import make
from crisisgov.directory.models import Organisation, Person, RoleAssignment
from crisisgov.directory.tests.factories import OrganisationFactory, PersonFactory
from crisisgov.kernel.api import router as kernel_router
from crisisgov.kernel.models import AuditEntry
from tests.scoping import assert_hidden_from_outsiders, rows_snapshot

snapshot = rows_snapshot(Person, Organisation, RoleAssignment, AuditEntry)


@pytest.fixture
def b(city, make_user):
    """District B's objects, and the district A users who must not reach them."""
    person = PersonFactory(
        home_building=city.building_b, national_id=make("420103", dt.date(1990, 1, 1), 5)
    )
    org = OrganisationFactory(area=city.district_b)
    grant = RoleAssignment.objects.get(user=make_user("grid_worker", city.grid_b))
    return {
        "person": person,
        "org": org,
        "grant": grant,
        "worker_a": make_user("grid_worker", city.grid_a),
        "officer_a": make_user("department_officer", city.district_a),
        "admin_a": make_user("account_admin", city.district_a),
        "auditor_a": make_user("auditor", city.district_a),
        "commander_a": make_user("commander", city.district_a),
    }


def new_person_body(city):
    return {
        "name": "周敏",
        "national_id": make("420103", dt.date(1991, 2, 2), 8),
        "home_building_id": city.building_b.id,
    }


CASES = {
    ("GET", "/people/{person_id}"): lambda city, b: dict(
        method="get",
        url=f"/api/directory/people/{b['person'].pk}?purpose=relief",
        outsider_user=b["officer_a"],
        missing_url="/api/directory/people/99999999?purpose=relief",
    ),
    ("PATCH", "/people/{person_id}"): lambda city, b: dict(
        method="patch",
        url=f"/api/directory/people/{b['person'].pk}",
        body={"phone": "13900000000"},
        outsider_user=b["worker_a"],
        missing_url="/api/directory/people/99999999",
    ),
    ("POST", "/people"): lambda city, b: dict(
        method="post",
        url="/api/directory/people",
        body=new_person_body(city),
        outsider_user=b["worker_a"],
        missing_body=new_person_body(city) | {"home_building_id": 99999999},
    ),
    ("POST", "/people/lookup"): lambda city, b: dict(
        method="post",
        url="/api/directory/people/lookup",
        body={"national_id": b["person"].national_id, "purpose": "relief"},
        outsider_user=b["officer_a"],
        missing_body={"national_id": make("420103", dt.date(1970, 1, 1), 1), "purpose": "relief"},
    ),
    ("GET", "/organisations/{organisation_id}"): lambda city, b: dict(
        method="get",
        url=f"/api/directory/organisations/{b['org'].pk}",
        outsider_user=b["officer_a"],
        missing_url="/api/directory/organisations/99999999",
    ),
    ("POST", "/organisations"): lambda city, b: dict(
        method="post",
        url="/api/directory/organisations",
        body={
            "kind": "ngo",
            "name_zh": "红十字会",
            "name_en": "Red Cross",
            "area_id": city.district_b.id,
        },
        outsider_user=b["commander_a"],
        missing_body={
            "kind": "ngo",
            "name_zh": "红十字会",
            "name_en": "Red Cross",
            "area_id": 99999999,
        },
    ),
    ("POST", "/role-assignments"): lambda city, b: dict(
        method="post",
        url="/api/directory/role-assignments",
        body={"user_id": b["worker_a"].pk, "role": "commander", "area_id": city.district_b.id},
        outsider_user=b["admin_a"],
        missing_body={"user_id": b["worker_a"].pk, "role": "commander", "area_id": 99999999},
    ),
    ("DELETE", "/role-assignments/{assignment_id}"): lambda city, b: dict(
        method="delete",
        url=f"/api/directory/role-assignments/{b['grant'].pk}",
        outsider_user=b["admin_a"],
        missing_url="/api/directory/role-assignments/99999999",
    ),
}

# Lists answer 200 to an outsider, with none of the other district's rows in them.
LIST_CASES = {
    ("GET", "/people"): ("/api/directory/people", "items"),
    ("GET", "/organisations"): ("/api/directory/organisations", None),
    ("GET", "/me/record"): None,
    ("GET", "/me/access-log"): None,
}
KERNEL_CASES = {("GET", "/audit/verify"), ("GET", "/audit/entries")}


def endpoints(router):
    return {
        (method, path)
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }


def test_every_endpoint_has_its_outsider_case():
    assert endpoints(directory_router) == set(CASES) | set(LIST_CASES)
    assert endpoints(kernel_router) == KERNEL_CASES


@pytest.mark.parametrize("key", list(CASES), ids=lambda k: f"{k[0]} {k[1]}")
def test_another_district_learns_nothing_and_changes_nothing(city, b, key):
    assert_hidden_from_outsiders(Client(), snapshot=snapshot, **CASES[key](city, b))


def test_lists_hold_nothing_of_another_district(city, b):
    client = Client()
    for user in (b["officer_a"], b["commander_a"]):
        client.force_login(user)
        people = client.get("/api/directory/people").json()
        assert b["person"].pk not in [p["id"] for p in people["items"]]
        orgs = client.get("/api/directory/organisations").json()
        assert b["org"].pk not in [o["id"] for o in orgs]
    for url in (
        "/api/directory/people",
        "/api/directory/organisations",
        "/api/directory/me/record",
        "/api/directory/me/access-log",
        "/api/kernel/audit/verify",
        "/api/kernel/audit/entries",
    ):
        assert Client().get(url).status_code == 401, url


def test_a_staff_member_has_no_own_record_and_an_outsider_no_audit_rights(city, b):
    client = Client()
    client.force_login(b["worker_a"])
    assert client.get("/api/directory/me/record").status_code == 404
    assert client.get("/api/directory/me/access-log").status_code == 404
    assert client.get("/api/kernel/audit/verify").status_code == 403
    assert client.get("/api/kernel/audit/entries").status_code == 403


def test_an_auditor_sees_only_their_districts_entries(city, b, make_user):
    from crisisgov.directory import services
    from crisisgov.directory.facade import actor_for_user

    officer_b = actor_for_user(make_user("department_officer", city.district_b))
    services.person_read(actor=officer_b, person_id=b["person"].pk, purpose="relief")
    client = Client()
    client.force_login(b["auditor_a"])
    paths = {e["area_path"] for e in client.get("/api/kernel/audit/entries").json()}
    assert not any(p.startswith(city.district_b.path) for p in paths)
    client.force_login(make_user("auditor", city.district_b))
    actions = [e["action"] for e in client.get("/api/kernel/audit/entries").json()]
    assert actions == ["directory.person_read"]


def test_exchange_endpoints_refuse_anonymous_callers_and_hide_other_districts(city, b):
    from django.utils import timezone

    from crisisgov.exchange.api import router as exchange_router
    from crisisgov.exchange.models import (
        Dataset,
        ImportJob,
        RejectedRow,
        SchemaVersion,
        SharingAgreement,
        Subscription,
        WebhookDelivery,
    )
    from crisisgov.exchange.services import standards_sync

    standards_sync()
    dataset = Dataset.objects.create(
        owner=b["org"],
        schema=SchemaVersion.objects.get(name="case_report"),
        name_zh="乙区病例",
        name_en="B cases",
        area=city.district_b,
        area_path=city.district_b.path,
    )
    job = ImportJob.objects.create(
        dataset=dataset, filename="b.csv", stored_path="", mode="accept_valid"
    )
    # District B's own approved agreement, its push subscription and a dead delivery.
    agreement = SharingAgreement.objects.create(
        dataset=dataset,
        consumer=b["org"],
        consumer_area_path=city.district_b.path,
        fields=["report_id"],
        purpose="relief",
        legal_basis="law",
        area=city.district_b,
        area_path=city.district_b.path,
        valid_until=timezone.now() + dt.timedelta(days=1),
        status="approved",
    )
    subscription = Subscription.objects.create(
        agreement=agreement, url="https://b.example.org/hook", secret="s3cret"
    )
    dead = WebhookDelivery.objects.create(
        subscription=subscription,
        first_change=1,
        last_change=1,
        status="dead",
        attempts=8,
        next_attempt_at=timezone.now(),
    )
    held = RejectedRow.objects.create(job=job, row_number=2, errors=[], raw='{"report_id": "B1"}')
    urls = {
        ("GET", "/standards"): "/api/exchange/standards",
        ("GET", "/datasets"): "/api/exchange/datasets",
        ("POST", "/datasets/{dataset_id}/imports"): f"/api/exchange/datasets/{dataset.pk}/imports",
        ("GET", "/imports/{job_id}"): f"/api/exchange/imports/{job.pk}",
        ("GET", "/imports/{job_id}/rejected"): f"/api/exchange/imports/{job.pk}/rejected",
        (
            "POST",
            "/datasets/{dataset_id}/agreements",
        ): f"/api/exchange/datasets/{dataset.pk}/agreements",
        ("POST", "/agreements/{agreement_id}/decision"): "/api/exchange/agreements/1/decision",
        ("GET", "/agreements/{agreement_id}/feed"): "/api/exchange/agreements/1/feed",
        ("GET", "/datasets/{dataset_id}/reads"): f"/api/exchange/datasets/{dataset.pk}/reads",
        (
            "POST",
            "/agreements/{agreement_id}/subscriptions",
        ): f"/api/exchange/agreements/{agreement.pk}/subscriptions",
        (
            "GET",
            "/subscriptions/{subscription_id}/dead-letters",
        ): f"/api/exchange/subscriptions/{subscription.pk}/dead-letters",
        (
            "POST",
            "/deliveries/{delivery_id}/replay",
        ): f"/api/exchange/deliveries/{dead.pk}/replay",
        ("GET", "/subscriptions"): "/api/exchange/subscriptions",
        (
            "POST",
            "/subscriptions/{subscription_id}/deactivate",
        ): f"/api/exchange/subscriptions/{subscription.pk}/deactivate",
        (
            "POST",
            "/subscriptions/{subscription_id}/secret",
        ): f"/api/exchange/subscriptions/{subscription.pk}/secret",
        (
            "GET",
            "/imports/{job_id}/rejected/{row_id}",
        ): f"/api/exchange/imports/{job.pk}/rejected/{held.pk}",
        (
            "POST",
            "/imports/{job_id}/rejected/{row_id}/correction",
        ): f"/api/exchange/imports/{job.pk}/rejected/{held.pk}/correction",
        (
            "PUT",
            "/datasets/{dataset_id}/publication",
        ): f"/api/exchange/datasets/{dataset.pk}/publication",
        ("POST", "/datasets/{dataset_id}/records"): f"/api/exchange/datasets/{dataset.pk}/records",
    }
    urls |= PERSON_INDEX_URLS  # their outsider cases: test_person_index_hides_other_districts
    assert endpoints(exchange_router) == set(urls)
    for (method, _), url in urls.items():
        response = Client().generic(method, url)
        assert response.status_code == 401, url
    client = Client()
    client.force_login(b["officer_a"])
    assert client.get("/api/exchange/datasets").json() == []
    assert client.get(f"/api/exchange/imports/{job.pk}").status_code == 404
    assert client.get(f"/api/exchange/imports/{job.pk}/rejected").status_code == 404
    assert client.post(f"/api/exchange/datasets/{dataset.pk}/imports").status_code in (404, 422)
    assert client.get(f"/api/exchange/datasets/{dataset.pk}/reads").status_code == 404
    assert ImportJob.objects.count() == 1
    subscribe = client.post(
        f"/api/exchange/agreements/{agreement.pk}/subscriptions",
        {"url": "https://a.example.org/hook"},
        content_type="application/json",
    )
    assert subscribe.status_code == 404
    assert (
        client.get(f"/api/exchange/subscriptions/{subscription.pk}/dead-letters").status_code == 404
    )
    assert client.post(f"/api/exchange/deliveries/{dead.pk}/replay").status_code == 404
    assert Subscription.objects.count() == 1
    assert WebhookDelivery.objects.get().status == "dead"
    assert client.get("/api/exchange/subscriptions").json() == []
    for action in ("deactivate", "secret"):
        url = f"/api/exchange/subscriptions/{subscription.pk}/{action}"
        assert client.post(url).status_code == 404
    assert Subscription.objects.get().active
    held_url = f"/api/exchange/imports/{job.pk}/rejected/{held.pk}"
    assert client.get(held_url).status_code == 404
    correction = client.post(
        f"{held_url}/correction", {"values": {"report_id": "B1"}}, content_type="application/json"
    )
    assert correction.status_code == 404
    assert RejectedRow.objects.get().corrected_at is None
    publication = client.put(
        f"/api/exchange/datasets/{dataset.pk}/publication",
        {"open": True, "dimensions": ["case_type"]},
        content_type="application/json",
    )
    assert publication.status_code == 404 and not Dataset.objects.get().open
    # An entry-form record for district B's dataset: the same answer as no such dataset.
    from crisisgov.exchange.models import Record

    entry = {"report_id": "B1", "area_code": city.building_b.code}
    for user in (b["officer_a"], b["worker_a"]):
        client.force_login(user)
        refused = client.post(
            f"/api/exchange/datasets/{dataset.pk}/records", entry, content_type="application/json"
        )
        missing = client.post(
            "/api/exchange/datasets/99999999/records", entry, content_type="application/json"
        )
        assert refused.status_code == missing.status_code == 404
        assert refused.json() == missing.json()
    assert not Record.objects.exists()


# The master person index: every route, anonymous (401) and from district A about district B's
# index (the same answer as about nothing, nothing changed). Ids in these URLs are placeholders.
PERSON_INDEX_URLS = {
    ("GET", "/person-index/review"): "/api/exchange/person-index/review",
    ("POST", "/person-index/review/{item_id}/merge"): "/api/exchange/person-index/review/1/merge",
    (
        "POST",
        "/person-index/review/{item_id}/separate",
    ): "/api/exchange/person-index/review/1/separate",
    ("GET", "/person-index/merges"): "/api/exchange/person-index/merges",
    ("POST", "/person-index/merges/{merge_id}/undo"): "/api/exchange/person-index/merges/1/undo",
    (
        "GET",
        "/person-index/people/{person_id}/records",
    ): "/api/exchange/person-index/people/1/records",
    ("POST", "/person-index/runs"): "/api/exchange/person-index/runs",
}


def test_person_index_hides_other_districts(city, b, settings, tmp_path):
    from crisisgov.exchange import mpi
    from crisisgov.exchange.models import MasterPerson, PersonLink, PersonMerge, ReviewItem
    from crisisgov.kernel.actor import SYSTEM
    from tests.person_index_data import build

    settings.VAR_DIR = tmp_path
    build(city.district_b, city.building_b)
    open_item, merged_item = ReviewItem.objects.order_by("id")[:2]
    merge = mpi.review_merge(actor=SYSTEM, item_id=merged_item.pk, reason="same")
    person = PersonLink.objects.get(record_id=open_item.left_id).person_id
    index = rows_snapshot(MasterPerson, PersonLink, ReviewItem, PersonMerge, AuditEntry)
    api = "/api/exchange/person-index"
    reason = {"reason": "outsider"}
    cases = [
        (
            "post",
            f"{api}/review/{open_item.pk}/merge",
            reason,
            dict(missing_url=f"{api}/review/99999999/merge"),
        ),
        (
            "post",
            f"{api}/review/{open_item.pk}/separate",
            reason,
            dict(missing_url=f"{api}/review/99999999/separate"),
        ),
        (
            "post",
            f"{api}/merges/{merge.pk}/undo",
            reason,
            dict(missing_url=f"{api}/merges/99999999/undo"),
        ),
        (
            "get",
            f"{api}/people/{person}/records?purpose=epidemic_control",
            None,
            dict(missing_url=f"{api}/people/99999999/records?purpose=epidemic_control"),
        ),
        (
            "post",
            f"{api}/runs",
            {"area_id": city.district_b.id},
            dict(missing_body={"area_id": 99999999}),
        ),
    ]
    for method, url, body, missing in cases:
        assert_hidden_from_outsiders(
            Client(), method, url, b["officer_a"], body, snapshot=index, **missing
        )
    client = Client()
    for url in (f"{api}/review", f"{api}/merges"):
        assert client.get(url).status_code == 401
    client.force_login(b["officer_a"])
    assert client.get(f"{api}/review").json() == []
    assert client.get(f"{api}/review?status=merged").json() == []
    assert client.get(f"{api}/merges").json() == []


def test_sensor_endpoints_hide_other_districts(city, b):
    """Every /sensors route: anonymous is 401, district A about district B's sensor gets the
    answer about no sensor at all, and nothing changes."""
    from crisisgov.earlywarning.models import Indicator, Sensor, SensorReading
    from crisisgov.earlywarning.sensor_api import router as sensor_router

    Indicator.objects.create(
        code="water_level",
        name_zh="水位",
        name_en="water level",
        kind="sensor",
        unit="m",
        resolution="hour",
        area_level=5,
        additive=False,
    )
    sensor = Sensor.objects.create(
        code="river-b",
        name="B river",
        indicator=Indicator.objects.get(),
        area=city.community_b,
        area_path=city.community_b.path,
        high_threshold=5.0,
    )
    sensors_snapshot = rows_snapshot(Sensor, SensorReading, AuditEntry)
    api = "/api/earlywarning/sensors"
    new = {"code": "river-b2", "indicator": "water_level", "name": "B2"}
    cases = {
        ("GET", "/sensors/{sensor_id}/readings"): (
            "get",
            f"{api}/{sensor.pk}/readings",
            None,
            dict(missing_url=f"{api}/99999999/readings"),
        ),
        ("PATCH", "/sensors/{sensor_id}"): (
            "patch",
            f"{api}/{sensor.pk}",
            {"high_threshold": 9.0},
            dict(missing_url=f"{api}/99999999"),
        ),
        ("POST", "/sensors"): (
            "post",
            api,
            new | {"area_id": city.community_b.id},
            dict(missing_body=new | {"area_id": 99999999}),
        ),
    }
    routes = {k for k in endpoints(sensor_router) if k[1].startswith("/sensors")}
    assert routes == set(cases) | {("GET", "/sensors")}
    for method, url, body, missing in cases.values():
        assert_hidden_from_outsiders(
            Client(), method, url, b["officer_a"], body, snapshot=sensors_snapshot, **missing
        )
    client = Client()
    assert client.get(api).status_code == 401
    client.force_login(b["officer_a"])
    assert client.get(api).json() == []


def test_risk_alert_and_cap_endpoints_hide_other_districts(city, b, make_user):
    """Every /risk, /alerts and /cap route of the early-warning API: anonymous is 401, and
    district A asking about district B's objects gets the answer for a missing one; nothing
    changes either way."""
    from crisisgov.earlywarning.api import router as earlywarning_router
    from crisisgov.earlywarning.models import (
        Alert,
        CapMessage,
        RiskLevel,
        RiskProposal,
        RiskRuleSet,
    )
    from crisisgov.earlywarning.risk import DEFAULT_RULES
    from crisisgov.kernel.models import OutboxEvent

    rules_b = RiskRuleSet.objects.create(
        name="B", area_level=4, rules=DEFAULT_RULES, area_path=city.district_b.path
    )
    proposal = RiskProposal.objects.create(
        rule_set=rules_b,
        area=city.street_b,
        area_path=city.street_b.path,
        proposed_level="high",
        explanation={},
        evaluated_for=dt.date(2026, 3, 1),
    )
    RiskLevel.objects.create(
        area=city.street_b,
        area_path=city.street_b.path,
        level="medium",
        version=1,
        valid_from=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )
    new, confirmed = (
        Alert.objects.create(
            source="detector",
            kind="ears-c2",
            title_zh="乙",
            title_en="B",
            area=city.district_b,
            area_path=city.district_b.path,
            dedup_key=key,
            status=status,
        )
        for key, status in (("b-new", "new"), ("b-confirmed", "confirmed"))
    )
    snapshot = rows_snapshot(
        RiskRuleSet, RiskProposal, RiskLevel, Alert, CapMessage, AuditEntry, OutboxEvent
    )
    analyst_a = make_user("analyst", city.district_a)
    api = "/api/earlywarning"
    rule_body = {"name": "x", "area_level": 4, "rules": DEFAULT_RULES}
    cases = {
        ("POST", "/risk/rule-sets"): dict(
            url=f"{api}/risk/rule-sets",
            body=rule_body | {"area_id": city.district_b.id},
            missing_body=rule_body | {"area_id": 99999999},
            outsider_user=analyst_a,
        ),
        ("PUT", "/risk/rule-sets/{rule_set_id}"): dict(
            url=f"{api}/risk/rule-sets/{rules_b.pk}",
            body={"rules": DEFAULT_RULES},
            missing_url=f"{api}/risk/rule-sets/99999999",
            outsider_user=analyst_a,
        ),
        ("POST", "/risk/proposals/{proposal_id}/approve"): dict(
            url=f"{api}/risk/proposals/{proposal.pk}/approve",
            body={},
            missing_url=f"{api}/risk/proposals/99999999/approve",
            outsider_user=b["commander_a"],
        ),
        ("POST", "/risk/proposals/{proposal_id}/reject"): dict(
            url=f"{api}/risk/proposals/{proposal.pk}/reject",
            body={"reason": "no"},
            missing_url=f"{api}/risk/proposals/99999999/reject",
            outsider_user=b["commander_a"],
        ),
        ("GET", "/risk/areas/{area_id}/levels"): dict(
            url=f"{api}/risk/areas/{city.street_b.id}/levels",
            missing_url=f"{api}/risk/areas/99999999/levels",
            outsider_user=analyst_a,
        ),
    }
    for action in ("confirm", "dismiss", "escalate"):
        cases[("POST", f"/alerts/{{alert_id}}/{action}")] = dict(
            url=f"{api}/alerts/{new.pk}/{action}",
            body={"reason": "outsider"},
            missing_url=f"{api}/alerts/99999999/{action}",
            outsider_user=analyst_a,
        )
    for action in ("publish", "update", "cancel"):
        cases[("POST", f"/cap/alerts/{{alert_id}}/{action}")] = dict(
            url=f"{api}/cap/alerts/{confirmed.pk}/{action}",
            body={},
            missing_url=f"{api}/cap/alerts/99999999/{action}",
            outsider_user=analyst_a,
        )
    lists = {
        ("GET", "/risk/rule-sets"): f"{api}/risk/rule-sets",
        ("GET", "/risk/proposals"): f"{api}/risk/proposals?status=",
        ("GET", "/risk/levels"): f"{api}/risk/levels",
        ("GET", "/alerts"): f"{api}/alerts",
    }
    mine = {
        key
        for key in endpoints(earlywarning_router)
        if key[1].startswith(("/risk", "/alerts", "/cap"))
    }
    assert mine == set(cases) | set(lists)
    for (method, _), case in cases.items():
        assert_hidden_from_outsiders(Client(), method, snapshot=snapshot, **case)
    client = Client()
    for url in lists.values():
        assert client.get(url).status_code == 401, url
    for user in (analyst_a, b["commander_a"]):
        client.force_login(user)
        for url in lists.values():
            assert client.get(url).json() == [], url
    assert snapshot()["earlywarning.RiskProposal"][0]["status"] == "pending"


def test_citizen_queries_endpoints_hide_other_districts(city, b, make_user):
    """Every citizen-queries route. The citizens' reads are public (no login, 200 to anyone);
    every other route is 401 to an anonymous caller, and district A asking about district B's
    trips, venues and testing sites gets the answer about none; nothing changes."""
    from django.utils import timezone

    from crisisgov.citizen.queries import exposures
    from crisisgov.citizen.queries.api import router as queries_router
    from crisisgov.citizen.queries.models import ExposureVenue, TestingSiteInfo, TripSegment
    from crisisgov.directory.facade import actor_for_user

    officer_b = actor_for_user(make_user("department_officer", city.district_b))
    trip = exposures.trip_publish(
        actor=officer_b, area_id=city.district_b.id, mode="train", number="G1",
        travel_date=dt.date(2026, 11, 20),
    )  # fmt: skip
    start = timezone.now() - dt.timedelta(hours=3)
    venue = exposures.venue_publish(
        actor=officer_b, area_id=city.street_b.id, name_zh="乙菜场", starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
    )  # fmt: skip
    site = OrganisationFactory(kind="testing_site", area=city.street_b)
    staff_a = make_user(
        "service_point_staff", city.street_a,
        OrganisationFactory(kind="testing_site", area=city.street_a),
    )  # fmt: skip
    snapshot = rows_snapshot(TripSegment, ExposureVenue, TestingSiteInfo, AuditEntry)
    api = "/api/citizen/queries"
    trip_body = {"mode": "train", "number": "G2", "travel_date": "2026-11-20"}
    venue_body = {
        "name_zh": "x",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
    }
    hours = {"hours": {"0": [["08:00", "12:00"]]}}
    cases = {
        ("POST", "/trips"): dict(
            url=f"{api}/trips",
            body=trip_body | {"area_id": city.district_b.id},
            missing_body=trip_body | {"area_id": 99999999},
            outsider_user=b["officer_a"],
        ),
        ("POST", "/trips/{trip_id}/withdraw"): dict(
            url=f"{api}/trips/{trip.pk}/withdraw",
            missing_url=f"{api}/trips/99999999/withdraw",
            outsider_user=b["officer_a"],
        ),
        ("POST", "/venues"): dict(
            url=f"{api}/venues",
            body=venue_body | {"area_id": city.street_b.id},
            missing_body=venue_body | {"area_id": 99999999},
            outsider_user=b["officer_a"],
        ),
        ("POST", "/venues/{venue_id}/withdraw"): dict(
            url=f"{api}/venues/{venue.pk}/withdraw",
            missing_url=f"{api}/venues/99999999/withdraw",
            outsider_user=b["officer_a"],
        ),
    }
    for user in ("officer_a", "staff_a"):
        outsider = b["officer_a"] if user == "officer_a" else staff_a
        cases[("GET", "/testing-sites/{organisation_id}", user)] = dict(
            url=f"{api}/testing-sites/{site.pk}",
            missing_url=f"{api}/testing-sites/99999999",
            outsider_user=outsider,
        )
        cases[("PUT", "/testing-sites/{organisation_id}", user)] = dict(
            url=f"{api}/testing-sites/{site.pk}",
            body=hours,
            missing_url=f"{api}/testing-sites/99999999",
            outsider_user=outsider,
        )
        cases[("POST", "/testing-sites/{organisation_id}/queue", user)] = dict(
            url=f"{api}/testing-sites/{site.pk}/queue",
            body={"status": "short"},
            missing_url=f"{api}/testing-sites/99999999/queue",
            outsider_user=outsider,
        )
    lists = {("GET", "/trips"): f"{api}/trips", ("GET", "/venues"): f"{api}/venues"}
    public = {
        ("GET", "/risk"): f"{api}/risk?code={city.building_b.code}",
        ("GET", "/trips/check"): f"{api}/trips/check?number=G1&date=2026-11-20",
        ("GET", "/testing-sites"): f"{api}/testing-sites",
    }
    assert endpoints(queries_router) == {k[:2] for k in cases} | set(lists) | set(public)
    for (method, *_), case in cases.items():
        assert_hidden_from_outsiders(Client(), method, snapshot=snapshot, **case)
    client = Client()
    for url in lists.values():
        assert client.get(url).status_code == 401, url
    client.force_login(b["officer_a"])
    for url in lists.values():
        assert client.get(url).json() == [], url
    before = snapshot()
    for url in public.values():
        assert Client().get(url).status_code == 200, url
    assert Client().get(public[("GET", "/trips/check")]).json()["confirmed_case_on_board"]
    assert snapshot() == before


def test_earlywarning_series_endpoints_hide_other_districts(city, b, make_user):
    """Every /indicators, /observations, /series, /detections and /rt route: anonymous is
    401, and district A asking about district B's series gets the answer about no area at all
    (a batch or file naming B's area: the answer about an unknown code); nothing changes."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from crisisgov.earlywarning import detection, series
    from crisisgov.earlywarning.models import Alert, Detection, Observation, RtEstimate
    from crisisgov.earlywarning.series_api import router as series_router
    from crisisgov.kernel.actor import SYSTEM

    series.indicators_sync()
    day = dt.date(2026, 11, 20)
    rows = [
        series.ObservationRow("confirmed-cases", city.community_b.code,
                              (day - dt.timedelta(days=i)).isoformat(), float(i % 4))
        for i in range(20)
    ]  # fmt: skip
    series.observations_record(actor=SYSTEM, rows=rows, source="drill")
    detection.evaluation_run(as_of=day)
    assert Detection.objects.filter(area=city.district_b).exists()
    snapshot = rows_snapshot(Observation, Detection, RtEstimate, Alert, AuditEntry)
    analyst_a = make_user("analyst", city.district_a)
    api = "/api/earlywarning"

    def batch(code: str) -> dict:
        return {"rows": [{"indicator": "confirmed-cases", "area": code, "period": "2026-11-20",
                          "value": 1}]}  # fmt: skip

    query = "indicator=confirmed-cases"
    cases = {
        ("POST", "/observations"): dict(
            url=f"{api}/observations",
            body=batch(city.community_b.code),
            missing_body=batch("420199999999"),
        ),
        ("GET", "/series/{area_id}"): dict(
            url=f"{api}/series/{city.district_b.id}?{query}",
            missing_url=f"{api}/series/99999999?{query}",
        ),
        ("GET", "/series/{area_id}/history"): dict(
            url=f"{api}/series/{city.community_b.id}/history?{query}&period=2026-11-20",
            missing_url=f"{api}/series/99999999/history?{query}&period=2026-11-20",
        ),
        ("GET", "/detections/{area_id}"): dict(
            url=f"{api}/detections/{city.district_b.id}?{query}",
            missing_url=f"{api}/detections/99999999?{query}",
        ),
        ("GET", "/rt/{area_id}"): dict(
            url=f"{api}/rt/{city.district_b.id}", missing_url=f"{api}/rt/99999999"
        ),
    }
    mine = ("/indicators", "/observations", "/series", "/detections", "/rt")
    routes = {k for k in endpoints(series_router) if k[1].startswith(mine)}
    assert routes == set(cases) | {("GET", "/indicators"), ("POST", "/observations/upload")}
    for (method, _), case in cases.items():
        assert_hidden_from_outsiders(
            Client(), method, outsider_user=analyst_a, snapshot=snapshot, **case
        )
    before = snapshot()
    client = Client()
    assert client.get(f"{api}/indicators").status_code == 401
    upload = f"{api}/observations/upload"

    def csv_file(code: str) -> SimpleUploadedFile:
        text = f"indicator,area,period,value\nconfirmed-cases,{code},2026-11-20,1\n"
        return SimpleUploadedFile("obs.csv", text.encode())

    assert client.post(upload, {"file": csv_file(city.community_b.code)}).status_code == 401
    client.force_login(analyst_a)
    hidden = client.post(upload, {"file": csv_file(city.community_b.code)})
    missing = client.post(upload, {"file": csv_file("420199999999")})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()
    assert snapshot() == before


def test_citizen_approval_endpoints_hide_other_districts_and_applicants(
    city, b, make_user, settings, tmp_path
):
    """Online approvals (district B's service and application against district A's staff and
    another citizen). The catalogue, certificate verification and visit statistics are public
    by design; an application is its applicant's and the deciding departments' only."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from crisisgov.citizen.approvals import services as approvals
    from crisisgov.citizen.approvals.api import router as approvals_router
    from crisisgov.citizen.approvals.models import (
        Application,
        Certificate,
        DepartmentHead,
        Service,
        ServiceVersion,
        Step,
    )
    from crisisgov.directory.facade import actor_for_user
    from tests.test_citizen_approvals_support import CREDIT_CODE, PDF, good_fields, world_build

    settings.VAR_DIR = tmp_path

    def plan() -> SimpleUploadedFile:
        return SimpleUploadedFile("plan.pdf", PDF)

    world = world_build(city, make_user, district=city.district_b)
    citizen_b = actor_for_user(world.citizen)
    application = approvals.application_submit(
        actor=citizen_b, service_id=world.service.pk, company_name="乙公司",
        credit_code=CREDIT_CODE, fields=good_fields(), uploads={"prevention_plan": plan()},
    )  # fmt: skip
    approved = approvals.application_submit(
        actor=citizen_b, service_id=world.service.pk, company_name="丙公司",
        credit_code=CREDIT_CODE, fields=good_fields(), uploads={"prevention_plan": plan()},
    )  # fmt: skip
    for officer in (world.market_officer, world.health_officer, world.emergency_officer):
        decider = actor_for_user(officer)
        approvals.step_decide(actor=decider, application_id=approved.pk, action="approve")
    snapshot = rows_snapshot(
        Service, ServiceVersion, Application, Step, Certificate, DepartmentHead, AuditEntry
    )
    market_a = OrganisationFactory(area=city.district_a, department_type="market_regulation")
    officer_a = make_user("department_officer", city.district_a, market_a)
    citizen_a = make_user("citizen", city.grid_a)
    api = "/api/citizen/approvals"
    service = world.service.pk
    definition = {"fields": [], "stages": [[{"department_id": world.market.pk, "hours": 4}]]}
    names = {"name_zh": "新服务", "name_en": "New service"}
    correction = {"fields": {"employees": 3}}
    decision = {"action": "approve"}
    cases = {
        ("POST", "/services"): dict(
            url=f"{api}/services",
            body={"slug": "permit", "area_id": city.district_b.pk, **names, **definition},
            missing_body={"slug": "permit", "area_id": 99999999, **names, **definition},
            outsider_user=b["commander_a"],
        ),
        ("PUT", "/services/{service_id}"): dict(
            url=f"{api}/services/{service}", body={**names, **definition},
            missing_url=f"{api}/services/99999999", outsider_user=b["commander_a"],
        ),
        ("POST", "/department-heads"): dict(
            url=f"{api}/department-heads",
            body={"department_id": world.market.pk, "user_id": world.market_officer.pk},
            missing_body={"department_id": 99999999, "user_id": world.market_officer.pk},
            outsider_user=b["commander_a"],
        ),
        ("POST", "/applications"): dict(  # staff of district A may not apply at all
            url=f"{api}/applications",
            body={"service_id": service, "fields": good_fields()},
            missing_body={"service_id": 99999999, "fields": good_fields()},
            outsider_user=officer_a,
        ),
        ("GET", "/applications/{application_id}"): dict(
            url=f"{api}/applications/{application.pk}",
            missing_url=f"{api}/applications/99999999", outsider_user=citizen_a,
        ),
        ("POST", "/applications/{application_id}/correction"): dict(
            url=f"{api}/applications/{application.pk}/correction", body=correction,
            missing_url=f"{api}/applications/99999999/correction", outsider_user=citizen_a,
        ),
        ("GET", "/inbox/{application_id}"): dict(
            url=f"{api}/inbox/{application.pk}",
            missing_url=f"{api}/inbox/99999999", outsider_user=officer_a,
        ),
        ("POST", "/inbox/{application_id}/decision"): dict(
            url=f"{api}/inbox/{application.pk}/decision", body=decision,
            missing_url=f"{api}/inbox/99999999/decision", outsider_user=officer_a,
        ),
        ("POST", "/applications/{application_id}/certificate/revoke"): dict(
            url=f"{api}/applications/{approved.pk}/certificate/revoke", body={"reason": "x"},
            missing_url=f"{api}/applications/99999999/certificate/revoke",
            outsider_user=b["commander_a"],
        ),
    }  # fmt: skip
    lists = {("GET", "/services"), ("GET", "/applications"), ("GET", "/inbox")}
    public = {("GET", "/verify/{signed_serial}"), ("GET", "/statistics")}
    catalogue = {("GET", "/services/{service_id}")}
    assert endpoints(approvals_router) == set(cases) | lists | public | catalogue
    for (method, _), case in cases.items():
        assert_hidden_from_outsiders(Client(), method, snapshot=snapshot, **case)

    before = snapshot()
    client = Client()
    for url in ("/services", f"/services/{service}", "/applications", "/inbox"):
        assert client.get(api + url).status_code == 401, url
    client.force_login(citizen_a)
    assert client.get(f"{api}/applications").json() == []
    assert client.get(f"{api}/services/{service}").json()["id"] == service  # the catalogue
    client.force_login(officer_a)
    assert client.get(f"{api}/inbox").json() == []
    # Public: a certificate's minimal facts and the statistic, nothing about the applicant.
    signed = approvals.signed_serial(Certificate.objects.get().serial)
    verified = Client().get(f"{api}/verify/{signed}").json()
    assert set(verified) == {
        "status", "serial", "service_zh", "service_en", "company_name", "approved_on"
    }  # fmt: skip
    assert Client().get(f"{api}/statistics").json()["approved"] == 1
    assert snapshot() == before


def test_citizen_status_endpoints_hide_other_districts(city, b, make_user):
    """Health status, appeals, overrides and acting-for: anonymous is 401; a user of district
    A about district B's resident gets the answer about no such object; nothing changes."""
    from django.utils import timezone

    from crisisgov.citizen.api import router as citizen_router
    from crisisgov.citizen.models import (
        CitizenNotice,
        Delegation,
        HealthStatus,
        StatusAppeal,
        StatusOverride,
    )

    person = b["person"]
    now = timezone.now()
    citizen_a = make_user("citizen", city.building_a)
    officer_b = make_user("department_officer", city.district_b)
    override = StatusOverride.objects.create(
        person=person,
        area_path=person.area_path,
        status="green",
        reason="lab_error",
        expires_at=now + dt.timedelta(days=2),
        proposed_by=officer_b,
        proposed_at=now,
    )
    appeal = StatusAppeal.objects.create(
        person=person,
        area_path=person.area_path,
        submitted_by=officer_b,
        rule_code="positive_test",
        evidence_standard="test_result",
        evidence_record_id=1,
        reason="not mine",
        submitted_at=now,
    )
    delegation = Delegation.objects.create(
        carer=make_user("citizen", city.building_b),
        person=person,
        area_path=person.area_path,
        relationship="child",
        requested_at=now,
    )
    citizen_snapshot = rows_snapshot(
        StatusOverride, StatusAppeal, Delegation, HealthStatus, CitizenNotice, AuditEntry
    )
    api = "/api/citizen"
    nobody = make("420103", dt.date(1950, 1, 1), 77)
    cases = {
        ("GET", "/status/{person_id}"): dict(
            url=f"{api}/status/{person.pk}", missing_url=f"{api}/status/99999999",
            outsider_user=citizen_a,
        ),
        ("POST", "/appeals"): dict(
            url=f"{api}/appeals",
            body={"person_id": person.pk, "evidence_record_id": 1, "reason": "x"},
            missing_body={"person_id": 99999999, "evidence_record_id": 1, "reason": "x"},
            outsider_user=citizen_a,
        ),
        ("POST", "/appeals/{appeal_id}/decision"): dict(
            url=f"{api}/appeals/{appeal.pk}/decision", body={"decision": "dismiss", "note": "x"},
            missing_url=f"{api}/appeals/99999999/decision", outsider_user=b["officer_a"],
        ),
        ("POST", "/overrides"): dict(
            url=f"{api}/overrides",
            body={"national_id": person.national_id, "status": "green", "reason": "lab_error",
                  "expires_at": (now + dt.timedelta(days=1)).isoformat()},
            missing_body={"national_id": nobody, "status": "green", "reason": "lab_error",
                          "expires_at": (now + dt.timedelta(days=1)).isoformat()},
            outsider_user=b["officer_a"],
        ),
        ("POST", "/overrides/{override_id}/confirm"): dict(
            url=f"{api}/overrides/{override.pk}/confirm",
            missing_url=f"{api}/overrides/99999999/confirm", outsider_user=b["officer_a"],
        ),
        ("POST", "/overrides/{override_id}/withdraw"): dict(
            url=f"{api}/overrides/{override.pk}/withdraw",
            missing_url=f"{api}/overrides/99999999/withdraw", outsider_user=b["officer_a"],
        ),
        # Anyone may ask to act for a relative wherever they live; staff accounts may not.
        ("POST", "/delegations"): dict(
            url=f"{api}/delegations",
            body={"national_id": person.national_id, "relationship": "child"},
            missing_body={"national_id": nobody, "relationship": "child"},
            outsider_user=b["officer_a"],
        ),
        ("POST", "/delegations/{delegation_id}/confirm"): dict(
            url=f"{api}/delegations/{delegation.pk}/confirm",
            missing_url=f"{api}/delegations/99999999/confirm", outsider_user=b["worker_a"],
        ),
        ("POST", "/delegations/{delegation_id}/revoke"): dict(
            url=f"{api}/delegations/{delegation.pk}/revoke",
            missing_url=f"{api}/delegations/99999999/revoke", outsider_user=b["worker_a"],
        ),
    }  # fmt: skip
    lists = {
        ("GET", "/status"),
        ("GET", "/appeals"),
        ("GET", "/appeals/review"),
        ("GET", "/overrides"),
        ("GET", "/delegations"),
        ("GET", "/delegations/pending"),
    }
    assert endpoints(citizen_router) == set(cases) | lists
    for (method, _), case in cases.items():
        assert_hidden_from_outsiders(Client(), method, snapshot=citizen_snapshot, **case)

    before = citizen_snapshot()
    client = Client()
    for _, path in lists:
        assert client.get(f"{api}{path}").status_code == 401, path
    client.force_login(b["officer_a"])
    for path in ("/appeals/review", "/overrides", "/delegations/pending"):
        assert client.get(f"{api}{path}").json() == [], path
    client.force_login(b["worker_a"])
    assert client.get(f"{api}/delegations/pending").json() == []
    client.force_login(citizen_a)
    assert client.get(f"{api}/status").json() == []  # no resident linked to this account
    assert client.get(f"{api}/appeals").json() == []
    assert client.get(f"{api}/delegations").json() == []
    assert citizen_snapshot() == before


def test_citizen_reservation_endpoints_hide_other_districts(city, b, make_user):
    """Pharmacy staff and officials of district A reach nothing of district B's pharmacies,
    items and lottery windows; a citizen cannot reserve or register with B's resident's ID
    number (the same answer as for a number of nobody). A window's public facts are public."""
    from django.utils import timezone

    from crisisgov.citizen.reservations import lottery
    from crisisgov.citizen.reservations.api import router as reservations_router
    from crisisgov.citizen.reservations.models import (
        LotteryEntry,
        LotteryWindow,
        PharmacyStock,
        RationedItem,
        Reservation,
    )

    res_snapshot = rows_snapshot(
        RationedItem, PharmacyStock, Reservation, LotteryWindow, LotteryEntry, AuditEntry
    )
    now = timezone.now()
    today = timezone.localdate()
    item_b = RationedItem.objects.create(
        code="mask-b", name_zh="口罩", name_en="Masks", area_path=city.district_b.path
    )
    pharmacy_b = OrganisationFactory(kind="pharmacy", department_type="", area=city.street_b)
    pharmacy_a = OrganisationFactory(kind="pharmacy", department_type="", area=city.street_a)
    PharmacyStock.objects.create(
        item=item_b,
        pharmacy=pharmacy_b,
        day=today,
        quantity=5,
        area_path=pharmacy_b.area_path,
        published_at=now,
    )
    seed = lottery.new_seed()
    window = LotteryWindow.objects.create(
        item=item_b,
        pharmacy=pharmacy_b,
        title_zh="抽签",
        title_en="Lottery",
        opens_at=now - dt.timedelta(hours=2),
        closes_at=now - dt.timedelta(hours=1),
        pickup_day=today,
        stock=3,
        seed=seed,
        seed_commitment=lottery.commitment(seed),
        area_path=pharmacy_b.area_path,
    )
    staff_a = make_user("service_point_staff", city.district_a, organisation=pharmacy_a)
    citizen_a = make_user("citizen", city.grid_a)
    nobody = make("420103", dt.date(1960, 6, 6), 7)
    api = "/api/citizen/reservations"
    reserve = {
        "pharmacy_id": pharmacy_b.pk,
        "item": "mask-b",
        "quantity": 1,
        "idempotency_key": "outsider-key-1",
    }
    lottery_body = {
        "item": "mask-b",
        "title_zh": "抽签",
        "title_en": "Lottery",
        "opens_at": now.isoformat(),
        "closes_at": (now + dt.timedelta(hours=1)).isoformat(),
        "pickup_day": (today + dt.timedelta(days=1)).isoformat(),
        "stock": 5,
    }
    stock = {"item": "mask-b", "day": today.isoformat(), "quantity": 50}
    cases = {
        ("POST", "/reserve"): dict(
            url=f"{api}/reserve", body=reserve | {"id_number": b["person"].national_id},
            missing_body=reserve | {"id_number": nobody}, outsider_user=citizen_a,
        ),
        ("POST", "/pharmacies/{pharmacy_id}/stock"): dict(
            url=f"{api}/pharmacies/{pharmacy_b.pk}/stock", body=stock,
            missing_url=f"{api}/pharmacies/99999999/stock", outsider_user=staff_a,
        ),
        ("POST", "/pharmacies/{pharmacy_id}/pickups"): dict(
            url=f"{api}/pharmacies/{pharmacy_b.pk}/pickups", body={"code": "ABCDEFGH"},
            missing_url=f"{api}/pharmacies/99999999/pickups", outsider_user=staff_a,
        ),
        ("GET", "/pharmacies/{pharmacy_id}/reservations"): dict(
            url=f"{api}/pharmacies/{pharmacy_b.pk}/reservations",
            missing_url=f"{api}/pharmacies/99999999/reservations", outsider_user=staff_a,
        ),
        ("POST", "/items"): dict(  # B's item cannot be redefined from A
            url=f"{api}/items",
            body={"code": "mask-b", "name_zh": "口罩", "name_en": "Masks",
                  "quota_quantity": 5, "quota_days": 1},
            outsider_user=b["officer_a"],
        ),
        ("POST", "/lotteries"): dict(
            url=f"{api}/lotteries", body=lottery_body | {"pharmacy_id": pharmacy_b.pk},
            missing_body=lottery_body | {"pharmacy_id": 99999999}, outsider_user=b["officer_a"],
        ),
        ("POST", "/lotteries/{window_id}/entries"): dict(
            url=f"{api}/lotteries/{window.pk}/entries",
            body={"id_number": b["person"].national_id},
            missing_body={"id_number": nobody}, outsider_user=citizen_a,
        ),
        ("POST", "/lotteries/{window_id}/draw"): dict(
            url=f"{api}/lotteries/{window.pk}/draw",
            missing_url=f"{api}/lotteries/99999999/draw", outsider_user=b["officer_a"],
        ),
    }  # fmt: skip
    lists = {("GET", "/mine")}
    public = {("GET", "/lotteries/{window_id}")}  # what the public lottery page shows
    assert endpoints(reservations_router) == set(cases) | lists | public
    for (method, _), case in cases.items():
        assert_hidden_from_outsiders(Client(), method, snapshot=res_snapshot, **case)

    before = res_snapshot()
    client = Client()
    for url in (f"{api}/mine", f"{api}/lotteries/{window.pk}"):
        assert client.get(url).status_code == 401, url
    client.force_login(citizen_a)
    assert client.get(f"{api}/mine").json() == []
    public_answer = client.get(f"{api}/lotteries/{window.pk}").json()
    assert public_answer["seed"] is None and public_answer["entries"] == 0
    assert res_snapshot() == before


def test_citizen_bulletin_endpoints_hide_other_districts(city, b):
    """Every /api/citizen/bulletins route. The public ones (published bulletins, rumor-vs-fact
    notes) answer anyone and never show a draft; the officials' ones are 401 anonymously, and a
    commander of district A asking about district B's bulletins gets the answer about none,
    changing nothing."""
    from django.utils import timezone

    from crisisgov.citizen.bulletins.api import router as bulletins_router
    from crisisgov.citizen.bulletins.models import Bulletin, Clarification

    texts = {"title_zh": "乙区通报", "title_en": "B", "body_zh": "正文", "body_en": "Text"}
    draft_b = Bulletin.objects.create(
        area=city.district_b, area_path=city.district_b.path, date=dt.date(2026, 11, 20), **texts
    )
    published_b = Bulletin.objects.create(
        area=city.district_b,
        area_path=city.district_b.path,
        date=dt.date(2026, 11, 19),
        state="published",
        number=1,
        published_at=timezone.now(),
        **texts,
    )
    bulletins_snapshot = rows_snapshot(Bulletin, Clarification, AuditEntry)
    api = "/api/citizen/bulletins"
    note = {"claim_zh": "谣", "claim_en": "R", "fact_zh": "实", "fact_en": "F"}
    day = {"date": "2026-11-18"}
    cases = {
        ("GET", "/drafts/{bulletin_id}"): dict(
            method="get", url=f"{api}/drafts/{draft_b.pk}", missing_url=f"{api}/drafts/99999999"
        ),
        ("PATCH", "/drafts/{bulletin_id}"): dict(
            method="patch",
            url=f"{api}/drafts/{draft_b.pk}",
            body={"title_en": "changed"},
            missing_url=f"{api}/drafts/99999999",
        ),
        ("POST", "/drafts/{bulletin_id}/publish"): dict(
            method="post",
            url=f"{api}/drafts/{draft_b.pk}/publish",
            missing_url=f"{api}/drafts/99999999/publish",
        ),
        ("POST", "/{bulletin_id}/correct"): dict(
            method="post",
            url=f"{api}/{published_b.pk}/correct",
            missing_url=f"{api}/99999999/correct",
        ),
        ("POST", "/drafts"): dict(
            method="post",
            url=f"{api}/drafts",
            body=day | {"area_id": city.district_b.id},
            missing_body=day | {"area_id": 99999999},
        ),
        ("POST", "/clarifications"): dict(
            method="post",
            url=f"{api}/clarifications",
            body=note | {"area_id": city.district_b.id},
            missing_body=note | {"area_id": 99999999},
        ),
    }
    public = {("GET", ""), ("GET", "/{bulletin_id}"), ("GET", "/clarifications")}
    assert endpoints(bulletins_router) == set(cases) | public | {("GET", "/drafts")}
    for case in cases.values():
        assert_hidden_from_outsiders(
            Client(), outsider_user=b["commander_a"], snapshot=bulletins_snapshot, **case
        )
    client = Client()
    assert client.get(f"{api}/drafts").status_code == 401
    assert [x["id"] for x in client.get(api).json()] == [published_b.pk]
    assert client.get(f"{api}/{published_b.pk}").status_code == 200
    assert client.get(f"{api}/{draft_b.pk}").status_code == 404
    assert client.get(f"{api}/clarifications").json() == []
    client.force_login(b["commander_a"])
    assert client.get(f"{api}/drafts").json() == []
    assert Bulletin.objects.get(pk=draft_b.pk).state == "draft"


def test_opinion_rumor_endpoints_hide_other_districts(city, b, make_user):
    """Every /api/opinion/rumors route. Published clarifications are public; everything else
    is 401 anonymously, and an analyst of district A asking about district B's candidate, known
    rumor, clarification or message gets the answer about none, changing nothing."""
    from django.utils import timezone

    from crisisgov.citizen.bulletins.models import Clarification as BulletinNote
    from crisisgov.opinion.models import Message
    from crisisgov.opinion.rumors.api import router as rumors_router
    from crisisgov.opinion.rumors.models import (
        Clarification,
        Rumor,
        RumorMatch,
        RumorStatement,
    )

    now = timezone.now()
    where = {"area": city.district_b, "area_path": city.district_b.path}
    candidate = Rumor.objects.create(code="C-B", state="candidate", **where)
    known = Rumor.objects.create(code="R-B", state="confirmed", verdict="false", **where)
    RumorStatement.objects.create(rumor=known, language="zh", text="乙区谣言", kind="canonical")
    RumorStatement.objects.create(rumor=known, language="en", text="B rumor", kind="canonical")
    draft = Clarification.objects.create(
        rumor=known, area_path=known.area_path, text_zh="事实", text_en="Fact"
    )
    message = Message.objects.create(
        channel="post", posted_at=now, language="en", text="heard B rumor",
        keep_until=now.date(), **where,
    )  # fmt: skip
    RumorMatch.objects.create(
        message=message, rumor=candidate, score=0.0, stance="spreads", method="claim",
        area_path=message.area_path, posted_at=now,
    )  # fmt: skip
    snapshot = rows_snapshot(
        Rumor, RumorStatement, Clarification, RumorMatch, BulletinNote, AuditEntry
    )
    analyst_a = make_user("analyst", city.district_a)
    api = "/api/opinion/rumors"
    confirm = {"statement_zh": "甲", "statement_en": "A", "verdict": "false"}
    clarify = {"text_zh": "事实", "text_en": "Fact"}
    cases = {
        ("GET", "/messages/{message_id}"): dict(
            method="get", url=f"{api}/messages/{message.pk}", missing_url=f"{api}/messages/99999999"
        ),
        ("POST", "/clarifications/{clarification_id}/publish"): dict(
            method="post",
            url=f"{api}/clarifications/{draft.pk}/publish",
            missing_url=f"{api}/clarifications/99999999/publish",
        ),
        ("GET", "/{rumor_id}"): dict(
            method="get", url=f"{api}/{known.pk}", missing_url=f"{api}/99999999"
        ),
        ("GET", "/{rumor_id}/reach"): dict(
            method="get", url=f"{api}/{known.pk}/reach", missing_url=f"{api}/99999999/reach"
        ),
        ("POST", "/{rumor_id}/confirm"): dict(
            method="post", url=f"{api}/{candidate.pk}/confirm", body=confirm,
            missing_url=f"{api}/99999999/confirm",
        ),
        ("POST", "/{rumor_id}/merge"): dict(
            method="post", url=f"{api}/{candidate.pk}/merge", body={"into_id": known.pk},
            missing_url=f"{api}/99999999/merge",
        ),
        ("POST", "/{rumor_id}/dismiss"): dict(
            method="post", url=f"{api}/{candidate.pk}/dismiss", body={"reason": "no"},
            missing_url=f"{api}/99999999/dismiss",
        ),
        ("POST", "/{rumor_id}/clarifications"): dict(
            method="post", url=f"{api}/{known.pk}/clarifications", body=clarify,
            missing_url=f"{api}/99999999/clarifications",
        ),
    }  # fmt: skip
    lists = {("GET", ""), ("GET", "/queue")}
    public = {("GET", "/clarifications")}
    assert endpoints(rumors_router) == set(cases) | lists | public
    for case in cases.values():
        assert_hidden_from_outsiders(Client(), outsider_user=analyst_a, snapshot=snapshot, **case)
    client = Client()
    for url in (api, f"{api}/queue"):
        assert client.get(url).status_code == 401, url
    assert client.get(f"{api}/clarifications").json() == []  # the draft is not public
    client.force_login(analyst_a)
    assert client.get(api).json() == []
    assert client.get(f"{api}/queue").json() == []
    assert Rumor.objects.get(pk=candidate.pk).state == "candidate"


def test_opinion_ticket_endpoints_hide_other_districts(city, make_user, monkeypatch):
    """Every tickets route. A ticket of district B, dispatched to B's health commission: the
    hotline and the health commission of district A get the answer about no ticket, and
    nothing changes; the catalogue is changed from a city-wide role only (403 for a
    district's commander); the caller's rating link is public (a bad token is a 404)."""
    from crisisgov.directory.facade import actor_for_user
    from crisisgov.opinion.models import Message
    from crisisgov.opinion.tickets.api import router as tickets_router
    from crisisgov.opinion.tickets.models import Category, Ticket, TicketEvent, TimeLimitClass
    from tests.test_opinion_tickets_support import dispatched, world_build

    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")
    world = world_build(city, make_user)
    ticket = dispatched(actor_for_user(world.operator), city.district_b)
    operator_a = make_user("hotline_operator", city.district_a)
    commander_a = make_user("commander", city.district_a)
    snapshot = rows_snapshot(Ticket, TicketEvent, Message, Category, TimeLimitClass, AuditEntry)
    api = "/api/opinion/tickets"
    call = {"text": "停水了", "category": "medical_help"}
    cases = {
        ("POST", "/calls"): dict(
            method="post", url=f"{api}/calls", body=call | {"area_id": city.district_b.id},
            missing_body=call | {"area_id": 99999999}, outsider_user=operator_a,
        ),
        ("GET", "/{ticket_id}"): dict(
            method="get", url=f"{api}/{ticket.pk}", missing_url=f"{api}/99999999",
            outsider_user=world.health_officer,
        ),
        ("GET", "/{ticket_id}/whole"): dict(
            method="get", url=f"{api}/{ticket.pk}/whole", missing_url=f"{api}/99999999/whole",
            outsider_user=world.health_officer,
        ),
        ("POST", "/{ticket_id}/dispatch"): dict(
            method="post", url=f"{api}/{ticket.pk}/dispatch",
            body={"department": "police", "reason": "outsider"},
            missing_url=f"{api}/99999999/dispatch", outsider_user=operator_a,
        ),
        ("POST", "/{ticket_id}/accept"): dict(
            method="post", url=f"{api}/{ticket.pk}/accept", body={},
            missing_url=f"{api}/99999999/accept", outsider_user=world.health_officer,
        ),
        ("POST", "/{ticket_id}/return"): dict(
            method="post", url=f"{api}/{ticket.pk}/return", body={"reason": "not ours"},
            missing_url=f"{api}/99999999/return", outsider_user=world.health_officer,
        ),
        ("POST", "/{ticket_id}/resolve"): dict(
            method="post", url=f"{api}/{ticket.pk}/resolve", body={"answer": "done"},
            missing_url=f"{api}/99999999/resolve", outsider_user=world.health_officer,
        ),
        ("PUT", "/time-limits/{code}"): dict(
            method="put", url=f"{api}/time-limits/urgent_2h",
            body={"hours": 9, "response_hours": 1, "reminder_before_hours": 1},
            outsider_user=commander_a, expected_status=(403,),
        ),
        ("PUT", "/categories/{code}"): dict(
            method="put", url=f"{api}/categories/noise",
            body={"department_code": "police", "area_level": "city", "time_limit": "urgent_2h"},
            outsider_user=commander_a, expected_status=(403,),
        ),
    }  # fmt: skip
    lists = {
        ("GET", "/dispatch"): f"{api}/dispatch",
        ("GET", "/inbox"): f"{api}/inbox",
        ("GET", "/stats"): f"{api}/stats",
    }
    catalogue = {("GET", "/categories"): f"{api}/categories",
                 ("GET", "/time-limits"): f"{api}/time-limits"}  # fmt: skip
    public = {("POST", "/rate/{token}")}
    assert endpoints(tickets_router) == set(cases) | set(lists) | set(catalogue) | public
    for case in cases.values():
        assert_hidden_from_outsiders(Client(), snapshot=snapshot, **case)
    client = Client()
    for url in (*lists.values(), *catalogue.values()):
        assert client.get(url).status_code == 401, url
    for user in (operator_a, world.health_officer):
        client.force_login(user)
        for url in lists.values():
            assert client.get(url).json() == [], url
    before = snapshot()
    rate = client.post(f"{api}/rate/not-a-token", {"satisfaction": 5},
                       content_type="application/json")  # fmt: skip
    assert rate.status_code == 404 and snapshot() == before


def test_opinion_endpoints_hide_other_districts(city, b, make_user, monkeypatch):
    """Every /api/opinion route of the core. Posting a message is public (anyone, rate-limited),
    the webhook's credential is its signature; every read and action is 401 to an anonymous
    caller, and district A asking about district B's message or alarm, or registering a source
    in B, gets the answer about none; nothing changes."""
    from crisisgov.opinion.analyser import messages_analyse
    from crisisgov.opinion.api import router as opinion_router
    from crisisgov.opinion.intake import message_receive
    from crisisgov.opinion.models import HotspotAlarm, Message, Source, Topic

    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")
    message = message_receive(
        channel="post", text="江汉区药店排队", area_code=city.district_b.code
    ).message
    messages_analyse()
    alarm = HotspotAlarm.objects.create(
        topic=Topic.objects.get(), area=city.district_b, area_path=city.district_b.path,
        bin_start=message.posted_at, observed=9, expected=0.5, p_value=1e-9,
    )  # fmt: skip
    source_b = Source.objects.create(
        name="partner-of-b", channel="webhook", area=city.district_b,
        area_path=city.district_b.path, webhook_secret="s" * 43,
    )  # fmt: skip
    analyst_a = make_user("analyst", city.district_a)
    snapshot = rows_snapshot(Message, HotspotAlarm, Source, AuditEntry)
    api = "/api/opinion"
    source = {"name": "partner-b", "channel": "webhook"}
    cases = {
        ("GET", "/messages/{message_id}"): dict(
            url=f"{api}/messages/{message.pk}", missing_url=f"{api}/messages/99999999"
        ),
        ("GET", "/alarms/{alarm_id}"): dict(
            url=f"{api}/alarms/{alarm.pk}", missing_url=f"{api}/alarms/99999999"
        ),
        ("POST", "/alarms/{alarm_id}/acknowledge"): dict(
            url=f"{api}/alarms/{alarm.pk}/acknowledge",
            body={},
            missing_url=f"{api}/alarms/99999999/acknowledge",
        ),  # fmt: skip
        ("POST", "/alarms/{alarm_id}/close"): dict(
            url=f"{api}/alarms/{alarm.pk}/close",
            body={},
            missing_url=f"{api}/alarms/99999999/close",
        ),  # fmt: skip
        ("POST", "/sources"): dict(
            url=f"{api}/sources",
            body=source | {"area_id": city.district_b.id},
            missing_body=source | {"area_id": 99999999},
        ),  # fmt: skip
        ("POST", "/sources/{source_id}/rotate"): dict(
            url=f"{api}/sources/{source_b.pk}/rotate",
            body={},
            missing_url=f"{api}/sources/99999999/rotate",
        ),  # fmt: skip
        ("POST", "/sources/{source_id}/deactivate"): dict(
            url=f"{api}/sources/{source_b.pk}/deactivate",
            body={},
            missing_url=f"{api}/sources/99999999/deactivate",
        ),  # fmt: skip
    }
    lists = {
        ("GET", "/messages"): f"{api}/messages",
        ("GET", "/alarms"): f"{api}/alarms",
        ("GET", "/topics/rising"): f"{api}/topics/rising",
    }
    public = {("POST", "/messages"), ("POST", "/webhook/{source_name}")}
    # The topics are the city's: a district's analyst is refused outright (403), not shown none.
    topic = Topic.objects.get()
    city_only = {
        ("GET", "/topics"): ("get", f"{api}/topics", None),
        ("POST", "/topics/{topic_id}/confirm"): ("post", f"{api}/topics/{topic.pk}/confirm", {}),
        ("POST", "/topics/{topic_id}/merge"): (
            "post", f"{api}/topics/{topic.pk}/merge", {"into": topic.pk, "reason": "same"},
        ),
    }  # fmt: skip
    assert endpoints(opinion_router) == (
        set(cases) | set(lists) | public | set(city_only) | {("GET", "/sentiment")}
    )
    for method, url, body in city_only.values():
        kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
        assert getattr(Client(), method)(url, **kwargs).status_code == 401, url
        district = Client()
        district.force_login(analyst_a)
        assert getattr(district, method)(url, **kwargs).status_code == 403, url
    for (method, _), case in cases.items():
        assert_hidden_from_outsiders(
            Client(), method, outsider_user=analyst_a, snapshot=snapshot, **case
        )
    client = Client()
    for url in [*lists.values(), f"{api}/sentiment"]:
        assert client.get(url).status_code == 401, url
    client.force_login(analyst_a)
    for url in lists.values():
        assert client.get(url).json() == [], url
    sentiment = client.get(f"{api}/sentiment").json()
    assert sum(sentiment["negative"] + sentiment["neutral"] + sentiment["positive"]) == 0
    unsigned = Client().post(f"{api}/webhook/nobody", b"{}", content_type="application/json")
    assert unsigned.status_code == 401  # an unknown source answers like a bad signature
    assert HotspotAlarm.objects.get().state == "open"
