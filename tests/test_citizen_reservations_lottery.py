"""The pre-order lottery: one entry per person, a draw anyone can re-run from the seed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections import Counter

import pytest
from django.test import Client
from django.utils import timezone

from crisisgov.citizen.reservations import lottery, services
from crisisgov.citizen.reservations.models import LotteryEntry, PharmacyStock, Reservation
from crisisgov.directory.facade import actor_for_user
from crisisgov.kernel.models import AuditEntry
from tests.citizen_reservations_support import (
    finish,
    kind_fixture,  # noqa: F401 (the store fixture)
    make_item,
    make_pharmacy,
    make_resident,
)

API = "/api/citizen/reservations"


def test_the_draw_is_reproducible_and_everyone_has_one_ticket():
    tickets = [lottery.ticket(7, f"person-{i}") for i in range(200)]
    seed = lottery.new_seed()
    order = lottery.draw_order(seed, tickets + tickets[:50])  # duplicates count once
    assert sorted(order) == sorted(tickets)
    # anyone re-runs it with the published recipe
    again = sorted(
        tickets, key=lambda t: hmac.new(seed.encode(), t.encode(), hashlib.sha256).hexdigest()
    )
    assert order == again
    assert lottery.commitment(seed) == hashlib.sha256(seed.encode()).hexdigest()
    # fair: over many seeds each of 10 tickets comes first about equally often
    few = tickets[:10]
    firsts = Counter(lottery.draw_order(f"seed-{n}", few)[0] for n in range(5000))
    assert set(firsts) == set(few)
    assert max(firsts.values()) < 2 * min(firsts.values())


@pytest.fixture
def window(kind, city, make_user):
    item = make_item(city, quota=1, days=7)
    pharmacy = make_pharmacy(city.street_a)
    officer = make_user("department_officer", city.district_a)
    now = timezone.now()
    w = services.lottery_open(
        actor=actor_for_user(officer),
        item=item.code,
        pharmacy_id=pharmacy.pk,
        title_zh="口罩预购",
        title_en="Mask pre-order",
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(hours=1),
        pickup_day=timezone.localdate() + dt.timedelta(days=1),
        stock=5,
    )
    return {"window": w, "officer": officer, "item": item, "pharmacy": pharmacy}


def test_register_draw_and_verify(window, city, make_user, kind):
    w = window["window"]
    residents = [make_resident(city, make_user) for _ in range(12)]
    client = Client()
    for r in residents:
        client.force_login(r.user)
        url = f"{API}/lotteries/{w.pk}/entries"
        first = client.post(url, {"id_number": r.national_id}, content_type="application/json")
        again = client.post(url, {"id_number": r.national_id}, content_type="application/json")
        assert first.status_code == again.status_code == 200
        assert first.json()["ticket"] == again.json()["ticket"]  # one entry per person
    assert LotteryEntry.objects.filter(window=w).count() == 12
    # someone else's ID number is refused, naming the field
    client.force_login(residents[0].user)
    other = client.post(
        f"{API}/lotteries/{w.pk}/entries",
        {"id_number": residents[1].national_id},
        content_type="application/json",
    )
    assert (other.status_code, other.json()["detail"][0]["field"]) == (422, "id_number")
    # the seed stays secret until the draw; its hash is public
    public = client.get(f"{API}/lotteries/{w.pk}").json()
    assert public["seed"] is None and public["seed_commitment"] == w.seed_commitment
    # one of them already used the quota elsewhere this week: passed over, next in order wins
    used = residents[3]
    w.refresh_from_db()
    Reservation.objects.create(
        id="f" * 32,
        code="USEDUSED",
        item=window["item"],
        pharmacy=window["pharmacy"],
        day=timezone.localdate(),
        person_key=used.person.national_id_index,
        quantity=1,
        account=used.user,
        idempotency_key="earlier",
        body_hash="x",
        created_at=timezone.now(),
        pickup_deadline=timezone.now() + dt.timedelta(hours=48),
        source="db",
    )
    if kind == "redis":
        from crisisgov.citizen.reservations.writebehind import reconcile

        reconcile()
    early = Client()
    early.force_login(window["officer"])
    assert early.post(f"{API}/lotteries/{w.pk}/draw").json()["detail"][0]["code"] == "window_open"
    draw_time = w.closes_at + dt.timedelta(minutes=1)
    drawn = services.lottery_draw(
        actor=actor_for_user(window["officer"]), window_id=w.pk, now=draw_time
    )
    finish(kind)
    assert drawn.winners == 5
    # anyone re-runs the draw from the published seed and ticket list
    doc = client.get(f"/citizen/reservations/lotteries/{w.pk}.json").json()
    assert hashlib.sha256(doc["seed"].encode()).hexdigest() == doc["commitment"]
    order = lottery.draw_order(doc["seed"], doc["tickets"])
    used_ticket = lottery.ticket(w.pk, used.person.national_id_index)
    expected = [t for t in order if t != used_ticket][:5]
    assert sorted(doc["winners"]) == sorted(expected)
    assert doc["passed_over"] == ([used_ticket] if used_ticket in order[:5] else [])
    # winners hold reservations with pickup codes, within the window's stock
    winners = LotteryEntry.objects.filter(window=w, won=True)
    assert sorted(e.ticket for e in winners) == sorted(expected)
    assert all(len(e.code) == 8 for e in winners)
    assert Reservation.objects.filter(day=w.pickup_day).count() == 5
    stock = PharmacyStock.objects.get(day=w.pickup_day)
    assert (stock.quantity, stock.reserved) == (5, 5)
    assert AuditEntry.objects.filter(action="citizen_reservations.lottery_drawn").count() == 1
    # a second draw is refused; nothing changes
    with pytest.raises(services.Conflict):
        services.lottery_draw(
            actor=actor_for_user(window["officer"]), window_id=w.pk, now=draw_time
        )
    assert Reservation.objects.filter(day=w.pickup_day).count() == 5


def test_registration_closes_with_the_window(window, city, make_user):
    w = window["window"]
    r = make_resident(city, make_user)
    client = Client()
    client.force_login(r.user)
    with pytest.raises(services.Conflict):
        services.lottery_register(
            actor=actor_for_user(r.user),
            user=r.user,
            window_id=w.pk,
            id_number=r.national_id,
            now=w.closes_at,
        )
    assert LotteryEntry.objects.count() == 0
