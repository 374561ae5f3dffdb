"""Sharing agreements: request, approve, read field by field, expire, refuse; every read audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crisisgov.directory.tests.factories import OrganisationFactory
from crisisgov.exchange import agreements
from crisisgov.exchange.models import Record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound
from crisisgov.kernel.models import AuditEntry
from tests.exchange_data import case_row, csv_bytes, run

PERSONAL = {"name", "national_id", "phone", "address"}


@pytest.fixture
def shared(city, dataset, make_user, actor_of):
    """District A's case reports, a civil-affairs consumer at the city, and their officers."""
    from crisisgov.directory.models import Organisation

    rows = [case_row(n, city) for n in range(1, 6)]
    run(dataset, csv_bytes(rows))
    owner = Organisation.objects.get(pk=dataset.owner_id)
    consumer = OrganisationFactory(area=city.city, department_type="civil_affairs")
    return {
        "owner": actor_of(make_user("department_officer", city.district_a, owner)),
        "consumer": actor_of(make_user("department_officer", city.city, consumer)),
        "consumer_org": consumer,
        "stranger": actor_of(make_user("department_officer", city.district_b)),
    }


def request(shared, dataset, city, **changes):
    params = dict(
        actor=shared["consumer"],
        dataset_id=dataset.pk,
        consumer_id=shared["consumer_org"].pk,
        fields=["report_id", "case_type", "name", "phone"],
        purpose="relief",
        legal_basis="《突发事件应对法》第五十六条",
        area_id=city.district_a.id,
        valid_until=timezone.now() + dt.timedelta(days=30),
    )
    return agreements.agreement_request(**(params | changes))


def test_the_whole_lifecycle(city, dataset, shared):
    agreement = request(shared, dataset, city)
    with pytest.raises(Conflict):  # not approved yet
        agreements.agreement_feed(actor=shared["consumer"], agreement_id=agreement.pk)
    agreements.agreement_decide(actor=shared["owner"], agreement_id=agreement.pk, approve=True)

    page = agreements.agreement_feed(actor=shared["consumer"], agreement_id=agreement.pk, limit=3)
    assert [i["record"]["report_id"] for i in page.items] == ["R000001", "R000002", "R000003"]
    # Field by field: exactly the agreed fields, nothing else.
    assert all(set(i["record"]) == {"report_id", "case_type", "name", "phone"} for i in page.items)
    assert page.items[0]["record"]["name"] == "病例1" and "subject" not in page.items[0]

    rest = agreements.agreement_feed(
        actor=shared["consumer"], agreement_id=agreement.pk, after=page.next_cursor
    )
    assert [i["record"]["report_id"] for i in rest.items] == ["R000004", "R000005"]
    empty = agreements.agreement_feed(
        actor=shared["consumer"], agreement_id=agreement.pk, after=rest.next_cursor
    )
    assert (empty.items, empty.next_cursor) == ([], rest.next_cursor)

    reads = agreements.agreement_reads(actor=shared["owner"], dataset_id=dataset.pk)
    assert [(r.purpose, r.detail["records"], r.fields_read) for r in reads] == [
        ("relief", 0, ["case_type", "name", "phone", "report_id"]),
        ("relief", 2, ["case_type", "name", "phone", "report_id"]),
        ("relief", 3, ["case_type", "name", "phone", "report_id"]),
    ]

    # The agreement expires by itself.
    type(agreement).objects.filter(pk=agreement.pk).update(
        valid_until=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(Conflict, match="expired"):
        agreements.agreement_feed(actor=shared["consumer"], agreement_id=agreement.pk)


def test_a_changed_record_comes_again_in_the_feed(city, dataset, shared):
    agreement = request(shared, dataset, city)
    agreements.agreement_decide(actor=shared["owner"], agreement_id=agreement.pk, approve=True)
    first = agreements.agreement_feed(actor=shared["consumer"], agreement_id=agreement.pk)
    run(dataset, csv_bytes([case_row(2, city, case_type="asymptomatic")]))
    after = agreements.agreement_feed(
        actor=shared["consumer"], agreement_id=agreement.pk, after=first.next_cursor
    )
    assert [(i["kind"], i["record"]["case_type"]) for i in after.items] == [
        ("updated", "asymptomatic")
    ]


def test_statistics_gets_pseudonyms_and_no_personal_fields(city, dataset, shared):
    with pytest.raises(DomainError) as error:
        request(shared, dataset, city, purpose="statistics")
    assert error.value.field == "fields" and "name" in error.value.message
    agreement = request(shared, dataset, city, purpose="statistics", fields=["case_type", "age"])
    agreements.agreement_decide(actor=shared["owner"], agreement_id=agreement.pk, approve=True)
    page = agreements.agreement_feed(actor=shared["consumer"], agreement_id=agreement.pk)
    subjects = [i["subject"] for i in page.items]
    assert len(set(subjects)) == 5 and all(len(s) == 40 for s in subjects)
    assert not PERSONAL & set().union(*(i["record"] for i in page.items))
    assert not any(s in Record.objects.values_list("natural_key", flat=True) for s in subjects)


def test_a_refusal_needs_a_reason_and_blocks_reading(city, dataset, shared):
    agreement = request(shared, dataset, city)
    with pytest.raises(DomainError):
        agreements.agreement_decide(actor=shared["owner"], agreement_id=agreement.pk, approve=False)
    agreements.agreement_decide(
        actor=shared["owner"], agreement_id=agreement.pk, approve=False, reason="不属于救助范围"
    )
    with pytest.raises(Conflict, match="refused"):
        agreements.agreement_feed(actor=shared["consumer"], agreement_id=agreement.pk)


def test_areas_outside_the_agreement_are_never_released(city, dataset, shared):
    agreement = request(shared, dataset, city, area_id=city.grid_a.id)
    agreements.agreement_decide(actor=shared["owner"], agreement_id=agreement.pk, approve=True)
    Record.objects.filter(natural_key="R000005").update(area_path=city.district_a.path)
    page = agreements.agreement_feed(actor=shared["consumer"], agreement_id=agreement.pk)
    assert [i["record"]["report_id"] for i in page.items] == [
        "R000001",
        "R000002",
        "R000003",
        "R000004",
    ]


def test_strangers_can_neither_decide_nor_read(city, dataset, shared):
    agreement = request(shared, dataset, city)
    with pytest.raises(NotFound):
        agreements.agreement_decide(
            actor=shared["stranger"], agreement_id=agreement.pk, approve=True
        )
    agreements.agreement_decide(actor=shared["owner"], agreement_id=agreement.pk, approve=True)
    for outsider in (shared["stranger"], shared["owner"]):
        with pytest.raises(NotFound):
            agreements.agreement_feed(actor=outsider, agreement_id=agreement.pk)
    assert AuditEntry.objects.filter(action="exchange.shared_read").count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"fields": ["report_id", "blood_type"]}, "fields"),
        ({"purpose": "curiosity"}, "purpose"),
        ({"legal_basis": "  "}, "legal_basis"),
        ({"valid_until": timezone.now() + dt.timedelta(days=400)}, "valid_until"),
    ],
)
def test_a_bad_request_names_its_field(city, dataset, shared, changes, field):
    with pytest.raises(DomainError) as error:
        request(shared, dataset, city, **changes)
    assert error.value.field == field


def test_the_area_must_lie_within_the_dataset(city, dataset, shared):
    with pytest.raises(DomainError) as error:
        request(shared, dataset, city, area_id=city.district_b.id)
    assert error.value.field == "area_id"


def test_over_the_api_a_consumer_gets_exactly_the_agreed_fields(city, dataset, shared, make_user):
    from django.test import Client

    from crisisgov.directory.models import Organisation

    owner = Client()
    owner.force_login(
        make_user(
            "department_officer", city.district_a, Organisation.objects.get(pk=dataset.owner_id)
        )
    )
    consumer = Client()
    consumer.force_login(make_user("department_officer", city.city, shared["consumer_org"]))
    asked = ["report_id", "age", "national_id"]
    response = consumer.post(
        f"/api/exchange/datasets/{dataset.pk}/agreements",
        {
            "consumer_id": shared["consumer_org"].pk,
            "fields": asked,
            "purpose": "epidemic_control",
            "legal_basis": "《传染病防治法》第十二条",
            "area_id": city.district_a.id,
            "valid_until": (timezone.now() + dt.timedelta(days=7)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    agreement_id = response.json()["id"]
    feed_url = f"/api/exchange/agreements/{agreement_id}/feed"
    assert consumer.get(feed_url).status_code == 409  # requested, not yet approved
    decision = owner.post(
        f"/api/exchange/agreements/{agreement_id}/decision",
        {"approve": True},
        content_type="application/json",
    )
    assert decision.json()["status"] == "approved"

    items = consumer.get(feed_url).json()["items"]
    assert len(items) == 5
    for item in items:  # field by field: nothing but what was agreed
        assert sorted(item["record"]) == sorted(asked)
        assert item["record"]["national_id"].startswith("420102")
    assert owner.get(feed_url).status_code == 404  # the owner is not the consumer

    reads = owner.get(f"/api/exchange/datasets/{dataset.pk}/reads").json()
    assert [(r["purpose"], r["records"], r["fields"]) for r in reads] == [
        ("epidemic_control", 5, sorted(asked))
    ]
    assert consumer.get(f"/api/exchange/datasets/{dataset.pk}/reads").status_code == 404
