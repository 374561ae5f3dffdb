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
