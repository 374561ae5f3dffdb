"""Two-official overrides, appeals and acting for another person, through the HTTP API and the
pages, with the notices the citizen gets and the public override counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from crisisgov.citizen.api import router as citizen_router
from crisisgov.citizen.facade import acting_for, may_act_for
from crisisgov.citizen.models import (
    CitizenNotice,
    Delegation,
    HealthStatus,
    StatusAppeal,
    StatusOverride,
)
from crisisgov.citizen.status import statuses_compute_for_ids
from crisisgov.directory.idnumber import make
from crisisgov.directory.tests.factories import PersonFactory
from crisisgov.kernel.models import AuditEntry
from tests.test_citizen_status import Loader, days_ago, result_row

ELDER_ID = make("420102", dt.date(1941, 5, 2), 12)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def post(client: Client, url: str, body: object = None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def people(city, make_user):
    citizen = make_user("citizen", city.building_a)
    elder = PersonFactory(home_building=city.building_a, national_id=ELDER_ID, name="王秀英")
    own = PersonFactory(
        home_building=city.building_a,
        national_id=make("420102", dt.date(1975, 8, 8), 40),
        name="王建国",
        account=citizen,
    )
    return {
        "citizen": citizen,
        "own": own,
        "elder": elder,
        "officer_1": make_user("department_officer", city.district_a),
        "officer_2": make_user("department_officer", city.district_a),
        "officer_b": make_user("department_officer", city.district_b),
        "worker_a": make_user("grid_worker", city.grid_a),
        "worker_b": make_user("grid_worker", city.grid_b),
    }


def in_days(days: float) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


def propose(client: Client, **changes):
    body = {
        "national_id": ELDER_ID,
        "status": "green",
        "reason": "lab_error",
        "expires_at": in_days(3),
    } | changes
    return post(client, "/api/citizen/overrides", body)


# --- overrides -------------------------------------------------------------------------------


def test_an_override_needs_a_second_official_then_applies_notifies_and_expires(people, city):
    elder, first, second = people["elder"], people["officer_1"], people["officer_2"]
    Loader(city).load("test_result", [result_row(elder, 1, "positive", days_ago(1))])
    assert HealthStatus.objects.get(person_id=elder.pk).status == "red"

    response = propose(as_user(first))
    assert response.status_code == 201, response.json()
    override = response.json()
    assert (override["state"], override["person_id"]) == ("proposed", elder.pk)
    # Proposed is not applied.
    assert HealthStatus.objects.get(person_id=elder.pk).status == "red"

    same = post(as_user(first), f"/api/citizen/overrides/{override['id']}/confirm")
    assert same.status_code == 400
    assert same.json()["detail"][0]["code"] == "same_official"
    assert StatusOverride.objects.get().state == "proposed"

    confirmed = post(as_user(second), f"/api/citizen/overrides/{override['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.json()
    row = HealthStatus.objects.get(person_id=elder.pk)
    assert (row.status, row.rule_code, row.override_id) == (
        "green",
        "override:lab_error",
        override["id"],
    )
    assert row.valid_until <= StatusOverride.objects.get().expires_at
    [notice] = CitizenNotice.objects.filter(person_id=elder.pk)
    assert notice.kind == "override_applied"
    assert notice.params["status"] == "green"
    actions = list(
        AuditEntry.objects.filter(target_type="citizen.statusoverride")
        .order_by("seq")
        .values_list("action", "actor_user_id")
    )
    assert actions == [
        ("citizen.override_proposed", first.pk),
        ("citizen.override_confirmed", second.pk),
    ]
    # After the expiry the rules decide again: red from the positive test.
    later = StatusOverride.objects.get().expires_at + dt.timedelta(minutes=1)
    statuses_compute_for_ids([elder.pk], now=later)
    row = HealthStatus.objects.get(person_id=elder.pk)
    assert (row.status, row.rule_code, row.override_id) == ("red", "positive_test", None)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "because I said so"}, "reason"),
        ({"expires_at": in_days(15)}, "expires_at"),
        ({"expires_at": in_days(-1)}, "expires_at"),
        ({"national_id": ELDER_ID[:-1] + ("0" if ELDER_ID[-1] != "0" else "1")}, "national_id"),
    ],
)
def test_an_override_is_refused_without_a_listed_reason_a_short_expiry_or_a_valid_id(
    people, changes, field
):
    response = propose(as_user(people["officer_1"]), **changes)
    assert response.status_code == 400, response.json()
    assert response.json()["detail"][0]["field"] == field
    assert not StatusOverride.objects.exists()


def test_an_override_without_expiry_or_for_a_list_of_people_is_refused(people):
    client = as_user(people["officer_1"])
    body = {"national_id": ELDER_ID, "status": "green", "reason": "lab_error"}
    assert post(client, "/api/citizen/overrides", body).status_code == 422
    many = body | {"expires_at": in_days(2), "national_id": [ELDER_ID, ELDER_ID]}
    assert post(client, "/api/citizen/overrides", many).status_code == 422
    assert not StatusOverride.objects.exists()


def test_there_is_no_bulk_override_endpoint():
    routes = {
        (method, path)
        for path, view in citizen_router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
        if path.startswith("/overrides")
    }
    # One resident per proposal, one proposal per confirmation: nothing takes a list or area.
    assert routes == {
        ("POST", "/overrides"),
        ("GET", "/overrides"),
        ("POST", "/overrides/{override_id}/confirm"),
        ("POST", "/overrides/{override_id}/withdraw"),
    }


def test_an_official_of_another_district_can_neither_propose_nor_confirm(people):
    outsider = as_user(people["officer_b"])
    response = propose(outsider)
    assert response.status_code == 404
    assert response.json()["detail"][0]["field"] == "national_id"
    override = propose(as_user(people["officer_1"])).json()
    assert post(outsider, f"/api/citizen/overrides/{override['id']}/confirm").status_code == 404
    assert StatusOverride.objects.get().state == "proposed"


def test_the_public_override_page_counts_without_naming_anyone(people):
    override = propose(as_user(people["officer_1"])).json()
    post(as_user(people["officer_2"]), f"/api/citizen/overrides/{override['id']}/confirm")
    propose(as_user(people["officer_1"]), national_id=people["own"].national_id)  # unconfirmed
    response = Client().get("/citizen/overrides/")  # no login
    assert response.status_code == 200
    page = response.content.decode()
    month = timezone.localtime().strftime("%Y-%m")
    assert month in page and "江岸区" in page
    assert '<td class="number">1</td>' in page  # the confirmed one only
    for secret in ("王秀英", "王*英", ELDER_ID, ELDER_ID[:4] + "*", people["officer_1"].username):
        assert secret not in page


# --- appeals ---------------------------------------------------------------------------------


def test_an_appeal_upheld_excludes_the_record_and_the_citizen_is_told(people, city):
    own, citizen = people["own"], people["citizen"]
    loader = Loader(city)
    [record] = loader.load("test_result", [result_row(own, 1, "positive", days_ago(1))])
    client = as_user(citizen)
    [mine] = client.get("/api/citizen/status").json()
    assert (mine["status"], mine["rule_code"], mine["evidence_record_id"]) == (
        "red",
        "positive_test",
        record,
    )
    wrong = post(
        client,
        "/api/citizen/appeals",
        {"person_id": own.pk, "evidence_record_id": record + 1000, "reason": "not my sample"},
    )
    assert wrong.status_code == 400
    assert wrong.json()["detail"][0]["field"] == "evidence_record_id"
    body = {"person_id": own.pk, "evidence_record_id": record, "reason": "不是我的样本"}
    appeal = post(client, "/api/citizen/appeals", body)
    assert appeal.status_code == 201, appeal.json()
    assert post(client, "/api/citizen/appeals", body).status_code == 409  # one at a time
    appeal_id = appeal.json()["id"]

    # A reviewer of the other district sees nothing; one of the area decides.
    outsider = as_user(people["officer_b"])
    assert outsider.get("/api/citizen/appeals/review").json() == []
    decision = {"decision": "uphold", "outcome": "exclude"}
    assert post(outsider, f"/api/citizen/appeals/{appeal_id}/decision", decision).status_code == 404
    reviewer = as_user(people["officer_1"])
    assert [a["id"] for a in reviewer.get("/api/citizen/appeals/review").json()] == [appeal_id]
    decided = post(reviewer, f"/api/citizen/appeals/{appeal_id}/decision", decision)
    assert decided.status_code == 200, decided.json()
    assert (decided.json()["state"], decided.json()["outcome"]) == ("upheld", "exclude")

    [mine] = client.get("/api/citizen/status").json()
    assert (mine["status"], mine["rule_code"]) == ("green", "no_evidence")
    home = client.get("/citizen/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your appeal was upheld: the contested record no longer counts." in home
    assert CitizenNotice.objects.get(person_id=own.pk).kind == "appeal_upheld"


def test_a_dismissal_needs_a_reason_and_keeps_the_colour(people, city):
    own = people["own"]
    [record] = Loader(city).load("test_result", [result_row(own, 1, "positive", days_ago(1))])
    appeal = StatusAppeal.objects.get(
        pk=post(
            as_user(people["citizen"]),
            "/api/citizen/appeals",
            {"person_id": own.pk, "evidence_record_id": record, "reason": "wrong"},
        ).json()["id"]
    )
    reviewer = as_user(people["officer_1"])
    url = f"/api/citizen/appeals/{appeal.pk}/decision"
    refused = post(reviewer, url, {"decision": "dismiss"})
    assert refused.status_code == 400
    assert refused.json()["detail"][0]["field"] == "note"
    done = post(reviewer, url, {"decision": "dismiss", "note": "复检确认阳性"})
    assert done.json()["state"] == "dismissed"
    assert HealthStatus.objects.get(person_id=own.pk).status == "red"
    notice = CitizenNotice.objects.get(person_id=own.pk)
    assert (notice.kind, notice.params["note"]) == ("appeal_dismissed", "复检确认阳性")


# --- acting for another person ---------------------------------------------------------------


def test_asking_to_act_for_someone_is_limited_so_id_numbers_cannot_be_probed(people):
    """Whether an ID number is a registered resident's is personal: ten tries a day, then a
    429 naming the field (and nothing is looked up)."""
    client = as_user(people["citizen"])
    for n in range(10):
        probe = make("420102", dt.date(1990, 1, 1) + dt.timedelta(days=n), 11)
        answer = post(
            client, "/api/citizen/delegations", {"national_id": probe, "relationship": "child"}
        )
        assert answer.status_code == 404
    stopped = post(
        client, "/api/citizen/delegations", {"national_id": ELDER_ID, "relationship": "child"}
    )
    assert stopped.status_code == 429
    assert stopped.json()["detail"][0]["field"] == "national_id"
    assert not Delegation.objects.exists()


def test_acting_for_an_elderly_resident_after_the_grid_worker_confirms(people):
    citizen, elder = people["citizen"], people["elder"]
    client = as_user(citizen)
    bad_digit = ELDER_ID[:-1] + ("0" if ELDER_ID[-1] != "0" else "1")
    refused = post(
        client, "/api/citizen/delegations", {"national_id": bad_digit, "relationship": "child"}
    )
    assert refused.status_code == 400
    assert refused.json()["detail"][0]["field"] == "national_id"
    assert "check digit" in refused.json()["detail"][0]["message"]
    bad_relation = post(
        client, "/api/citizen/delegations", {"national_id": ELDER_ID, "relationship": "friend"}
    )
    assert bad_relation.json()["detail"][0]["field"] == "relationship"
    assert not Delegation.objects.exists()

    asked = post(
        client, "/api/citizen/delegations", {"national_id": ELDER_ID, "relationship": "child"}
    )
    assert asked.status_code == 201, asked.json()
    delegation_id = asked.json()["id"]
    # Asking is not enough: only an active delegation lets the account act.
    assert [p.person_id for p in acting_for(citizen)] == [people["own"].pk]
    assert not may_act_for(citizen, elder.pk)
    assert client.get(f"/api/citizen/status/{elder.pk}").status_code == 404

    # The grid worker of another grid cannot see or confirm it; the elder's can.
    other = as_user(people["worker_b"])
    assert other.get("/api/citizen/delegations/pending").json() == []
    assert post(other, f"/api/citizen/delegations/{delegation_id}/confirm").status_code == 404
    worker = as_user(people["worker_a"])
    assert [d["id"] for d in worker.get("/api/citizen/delegations/pending").json()] == [
        delegation_id
    ]
    confirmed = post(worker, f"/api/citizen/delegations/{delegation_id}/confirm")
    assert confirmed.json()["state"] == "active"

    people_now = acting_for(citizen)
    assert [(p.person_id, p.own) for p in people_now] == [
        (people["own"].pk, True),
        (elder.pk, False),
    ]
    assert people_now[1].label == "王*英"
    assert people_now[1].id_index == elder.national_id_index
    assert may_act_for(citizen, elder.pk)
    status = client.get(f"/api/citizen/status/{elder.pk}")
    assert status.status_code == 200
    assert status.json()["label"] == "王*英"

    revoked = post(client, f"/api/citizen/delegations/{delegation_id}/revoke")
    assert revoked.json()["state"] == "revoked"
    assert not may_act_for(citizen, elder.pk)
    assert client.get(f"/api/citizen/status/{elder.pk}").status_code == 404
    actions = list(
        AuditEntry.objects.filter(target_type="citizen.delegation")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "citizen.delegation_requested",
        "citizen.delegation_confirmed",
        "citizen.delegation_revoked",
    ]
    assert [n.kind for n in CitizenNotice.objects.filter(person_id=elder.pk).order_by("id")] == [
        "delegation_active",
        "delegation_revoked",
    ]


def test_the_resident_own_account_may_end_a_delegation(people, city, make_user):
    carer = make_user("citizen", city.building_b)
    delegation = Delegation.objects.create(
        carer=carer,
        person=people["own"],
        area_path=people["own"].area_path,
        relationship="child",
        state="active",
        requested_at=timezone.now(),
    )
    assert may_act_for(carer, people["own"].pk)
    # A stranger cannot end it (it is hidden), the resident can.
    stranger = make_user("citizen", city.building_a)
    assert (
        post(as_user(stranger), f"/api/citizen/delegations/{delegation.pk}/revoke").status_code
        == 404
    )
    response = post(as_user(people["citizen"]), f"/api/citizen/delegations/{delegation.pk}/revoke")
    assert response.json()["state"] == "revoked"
    assert not may_act_for(carer, people["own"].pk)


def test_the_home_page_links_to_status_and_lists_whom_one_acts_for(people):
    page = as_user(people["citizen"]).get("/citizen/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/citizen/status/"' in html
    assert "王*国" in html and "王建国" not in html
    staff = as_user(people["worker_a"]).get("/citizen/")
    assert staff.status_code == 403
    assert Client().get("/citizen/").status_code == 302  # to the login page


# --- the pages ----------------------------------------------------------------------------------


def test_two_officials_override_through_the_inbox_page(people):
    first, second = as_user(people["officer_1"]), as_user(people["officer_2"])
    expires = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form = {"national_id": ELDER_ID, "status": "green", "reason": "medical_exemption"}
    response = first.post("/citizen/staff/overrides/", form | {"expires_at": expires})
    assert response.status_code == 302
    inbox = first.get("/citizen/staff/overrides/").content.decode()
    assert "王*英" in inbox and "王秀英" not in inbox and ELDER_ID not in inbox
    override = StatusOverride.objects.get()
    # The proposer gets no confirm button, and posting it anyway is refused with the reason.
    assert 'value="confirm"' not in inbox
    refused = first.post(
        "/citizen/staff/overrides/",
        {"action": "confirm", "override": override.pk},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "提议人不能确认自己的提议，须由另一名工作人员确认" in refused.content.decode()
    assert 'value="confirm"' in second.get("/citizen/staff/overrides/").content.decode()
    second.post("/citizen/staff/overrides/", {"action": "confirm", "override": override.pk})
    override.refresh_from_db()
    assert (override.state, override.confirmed_by_id) == ("confirmed", people["officer_2"].pk)
    # Without an expiry nothing is proposed.
    missing = first.post(
        "/citizen/staff/overrides/",
        form | {"national_id": people["own"].national_id},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Expires: an override needs an expiry" in missing.content.decode()
    assert StatusOverride.objects.count() == 1


def test_a_carer_asks_on_the_page_and_the_grid_worker_confirms_in_the_inbox(people):
    carer = as_user(people["citizen"])
    bad = ELDER_ID[:-1] + ("0" if ELDER_ID[-1] != "0" else "1")
    page = carer.post(
        "/citizen/delegations/",
        {"national_id": bad, "relationship": "child"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "ID number: the ID number&#x27;s check digit is wrong" in page
    carer.post("/citizen/delegations/", {"national_id": ELDER_ID, "relationship": "child"})
    delegation = Delegation.objects.get()
    worker = as_user(people["worker_a"])
    inbox = worker.get("/citizen/staff/delegations/").content.decode()
    assert "王*英" in inbox and ELDER_ID not in inbox
    assert (
        as_user(people["worker_b"])
        .get("/citizen/staff/delegations/")
        .content.decode()
        .count('name="delegation"')
        == 0
    )
    worker.post("/citizen/staff/delegations/", {"action": "confirm", "delegation": delegation.pk})
    delegation.refresh_from_db()
    assert delegation.state == "active"
    status = carer.get(f"/citizen/status/?person={people['elder'].pk}")
    assert status.status_code == 200
    assert 'class="qr"' in status.content.decode()
    assert carer.get("/citizen/status/?person=99999999").status_code == 404


def test_the_appeal_inbox_lists_the_area_s_pending_appeals_only(people, city):
    own = people["own"]
    [record] = Loader(city).load("test_result", [result_row(own, 1, "positive", days_ago(1))])
    citizen = as_user(people["citizen"])
    sent = citizen.post(
        "/citizen/status/appeal",
        {"person": own.pk, "evidence_record_id": record, "reason": "样本不是我的"},
    )
    assert sent.status_code == 302
    inbox = as_user(people["officer_1"]).get("/citizen/staff/appeals/").content.decode()
    assert "样本不是我的" in inbox and "王*国" in inbox
    assert (
        "样本不是我的"
        not in as_user(people["officer_b"]).get("/citizen/staff/appeals/").content.decode()
    )
    assert as_user(people["citizen"]).get("/citizen/staff/appeals/").status_code == 403


def test_a_carer_sees_the_residents_notices_only_from_the_delegation_on(people):
    from crisisgov.citizen.notices import notice_send, notices_for

    elder, citizen = people["elder"], people["citizen"]
    notice_send(person_id=elder.pk, kind="appeal_dismissed", params={"note": "before"})
    delegation = Delegation.objects.create(
        carer=citizen,
        person=elder,
        area_path=elder.area_path,
        relationship="child",
        state="active",
        requested_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    notice_send(person_id=elder.pk, kind="appeal_dismissed", params={"note": "after"})
    seen = [(n.params["note"], whose) for n, _, whose in notices_for(citizen)]
    assert seen == [("after", "王*英")]
    delegation.state = "revoked"
    delegation.save()
    assert notices_for(citizen) == []
