"""Reserving, picking up and expiring through the HTTP API, on both stores."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from crisisgov.citizen.models import Delegation
from crisisgov.citizen.reservations import services
from crisisgov.citizen.reservations.models import PharmacyStock, Reservation
from crisisgov.directory.facade import actor_for_user
from crisisgov.directory.idnumber import make
from crisisgov.kernel.models import AuditEntry
from tests.citizen_reservations_support import (
    finish,
    kind_fixture,  # noqa: F401 (the store fixture)
    make_item,
    make_pharmacy,
    make_resident,
    make_stock,
)

API = "/api/citizen/reservations"


@pytest.fixture
def world(kind, city, make_user):
    item = make_item(city, quota=2, days=7)
    pharmacy = make_pharmacy(city.street_a)
    stock = make_stock(item, pharmacy, 3)
    resident = make_resident(city, make_user)
    client = Client()
    client.force_login(resident.user)
    staff = make_user("service_point_staff", city.district_a, organisation=pharmacy)
    return {
        "kind": kind,
        "item": item,
        "pharmacy": pharmacy,
        "stock": stock,
        "resident": resident,
        "client": client,
        "staff": staff,
        "city": city,
        "make_user": make_user,
    }


def reserve(w, *, key=None, quantity=1, id_number=None, client=None, pharmacy=None):
    body = {
        "pharmacy_id": (pharmacy or w["pharmacy"]).pk,
        "item": "mask",
        "id_number": id_number or w["resident"].national_id,
        "quantity": quantity,
        "idempotency_key": key or uuid.uuid4().hex,
    }
    return (client or w["client"]).post(f"{API}/reserve", body, content_type="application/json")


def field_of(response):
    return response.json()["detail"][0]["field"]


def test_reserve_answers_a_pickup_code_and_a_retry_gets_the_same(world):
    first = reserve(world, key="key-00000001")
    assert first.status_code == 201, first.content
    answer = first.json()
    assert answer["result"] == "accepted"
    assert len(answer["code"]) == 8 and answer["remaining"] == 2
    retry = reserve(world, key="key-00000001")
    assert retry.status_code == 200
    assert retry.json() | {"replayed": True} == answer | {
        "result": "duplicate",
        "replayed": True,
    }
    # the same key for another body is refused, naming the key
    other = reserve(world, key="key-00000001", quantity=2)
    assert other.status_code == 409
    assert (other.json()["detail"][0]["code"], field_of(other)) == ("key_reused", "idempotency_key")
    finish(world["kind"])
    row = Reservation.objects.get()
    assert (row.code, row.quantity, row.person_key) == (
        answer["code"],
        1,
        world["resident"].person.national_id_index,
    )
    mine = world["client"].get(f"{API}/mine").json()
    assert [(m["code"], m["state"]) for m in mine] == [(answer["code"], "reserved")]


def test_bad_input_is_refused_naming_the_field_and_nothing_is_taken(world, city, make_user):
    good = world["resident"].national_id
    wrong_digit = good[:17] + ("0" if good[17] != "0" else "1")
    cases = [
        (dict(id_number=wrong_digit), 422, "id_number"),
        (dict(id_number="12345"), 422, "id_number"),
        (dict(quantity=0), 422, "quantity"),
        (dict(quantity=-3), 422, "quantity"),
        (dict(quantity=3), 422, "quantity"),  # above the quota of 2
        (dict(quantity=10**12), 422, "quantity"),
    ]
    someone_else = make_resident(city, make_user)
    cases.append((dict(id_number=someone_else.national_id), 422, "id_number"))
    # a valid number of nobody registered: the same answer as someone else's
    cases.append((dict(id_number=make("420102", dt.date(1950, 5, 5), 999)), 422, "id_number"))
    for kwargs, status, field in cases:
        response = reserve(world, **kwargs)
        assert (response.status_code, field_of(response)) == (status, field), kwargs
    finish(world["kind"])
    assert Reservation.objects.count() == 0
    assert PharmacyStock.objects.get().reserved == 0


def test_sold_out_and_quota_are_409_with_the_reason(world, city, make_user):
    assert reserve(world, quantity=2).status_code == 201
    over = reserve(world)  # a third box within 7 days
    assert over.status_code == 409
    assert over.json()["detail"][0]["code"] == "quota_exceeded"
    other = make_resident(city, make_user)
    client = Client()
    client.force_login(other.user)
    assert reserve(world, client=client, id_number=other.national_id).status_code == 201
    sold = reserve(world, client=client, id_number=other.national_id)
    assert sold.json()["detail"][0]["code"] == "sold_out"
    elsewhere = make_pharmacy(city.street_a, "无货药房")
    not_open = reserve(world, client=client, id_number=other.national_id, pharmacy=elsewhere)
    assert (not_open.status_code, not_open.json()["detail"][0]["code"]) == (409, "not_open")
    finish(world["kind"])
    assert PharmacyStock.objects.get(pharmacy=world["pharmacy"]).reserved == 3


def test_a_carer_reserves_for_the_elderly_person_they_act_for(world, city, make_user):
    elderly = make_resident(city, make_user)
    carer = world["resident"]
    Delegation.objects.create(
        carer=carer.user,
        person=elderly.person,
        area_path=elderly.person.area_path,
        relationship="child",
        state="active",
        requested_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    response = reserve(world, id_number=elderly.national_id, quantity=2)
    assert response.status_code == 201
    # the quota is the elderly person's, not the carer's
    assert reserve(world, quantity=1).status_code == 201
    assert reserve(world, id_number=elderly.national_id).json()["detail"][0]["code"] in (
        "quota_exceeded",
        "sold_out",
    )


def test_pickup_by_code_at_the_pharmacy_and_only_there(world, city, make_user):
    code = reserve(world).json()["code"]
    finish(world["kind"])
    staff = Client()
    other_pharmacy = make_pharmacy(city.street_a, "别家")
    outsider = make_user("service_point_staff", city.district_a, organisation=other_pharmacy)
    staff.force_login(outsider)
    url = f"{API}/pharmacies/{world['pharmacy'].pk}/pickups"
    assert staff.post(url, {"code": code}, content_type="application/json").status_code == 404
    staff.force_login(world["staff"])
    wrong = staff.post(url, {"code": "ZZZZZZZZ"}, content_type="application/json")
    assert (wrong.status_code, field_of(wrong)) == (404, "code")
    done = staff.post(url, {"code": code.lower()}, content_type="application/json")
    assert done.status_code == 200 and done.json()["state"] == "picked_up"
    again = staff.post(url, {"code": code}, content_type="application/json")
    assert again.status_code == 409
    stock = PharmacyStock.objects.get()
    assert (stock.reserved, stock.picked_up) == (1, 1)
    assert AuditEntry.objects.filter(action="citizen_reservations.pickup_confirmed").count() == 1
    counter = staff.get(f"{API}/pharmacies/{world['pharmacy'].pk}/reservations").json()
    assert [(r["code"], r["state"]) for r in counter] == [(code, "picked_up")]


def test_an_unclaimed_reservation_expires_and_returns_to_stock(world, city, make_user):
    assert reserve(world, quantity=2).status_code == 201
    finish(world["kind"])
    # nothing is due yet
    assert services.reservations_expire() == 0
    later = timezone.now() + dt.timedelta(hours=49)
    assert services.reservations_expire(now=later) == 1
    assert Reservation.objects.get().state == "expired"
    assert PharmacyStock.objects.get().reserved == 0
    # the units and the quota are back: the same person may reserve the whole stock
    assert reserve(world, quantity=2).status_code == 201
    other = make_resident(city, make_user)
    client = Client()
    client.force_login(other.user)
    assert reserve(world, client=client, id_number=other.national_id).status_code == 201
    assert reserve(world, client=client, id_number=other.national_id).json()["detail"][0][
        "code"
    ] in ("sold_out", "quota_exceeded")


def test_staff_publish_stock_and_may_not_lower_it_below_reservations(world):
    staff = Client()
    staff.force_login(world["staff"])
    url = f"{API}/pharmacies/{world['pharmacy'].pk}/stock"
    today = timezone.localdate()
    assert reserve(world, quantity=2).status_code == 201
    finish(world["kind"])
    low = staff.post(
        url, {"item": "mask", "day": str(today), "quantity": 1}, content_type="application/json"
    )
    assert (low.status_code, field_of(low)) == (409, "quantity")
    up = staff.post(
        url, {"item": "mask", "day": str(today), "quantity": 10}, content_type="application/json"
    )
    assert up.status_code == 200 and up.json()["quantity"] == 10
    # 8 left now: another resident takes 2, and the counter is right in the store too
    actor = actor_for_user(world["staff"])
    assert (
        services.stock_publish(
            actor=actor, pharmacy_id=world["pharmacy"].pk, item="mask", day=today, quantity=10
        ).left
        == 8
    )
    if world["kind"] == "redis":
        left = services.redis_store().stock_left(
            item="mask", pharmacy_id=world["pharmacy"].pk, day=today
        )
        assert left == 8
    assert AuditEntry.objects.filter(action="citizen_reservations.stock_published").count() == 2


def test_a_citizen_cannot_publish_stock_or_confirm_pickups(world):
    url = f"{API}/pharmacies/{world['pharmacy'].pk}"
    client = world["client"]
    body = {"item": "mask", "day": str(timezone.localdate()), "quantity": 99}
    assert client.post(f"{url}/stock", body, content_type="application/json").status_code == 404
    assert PharmacyStock.objects.get().quantity == 3
