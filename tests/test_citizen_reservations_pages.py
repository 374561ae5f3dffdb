"""The reservation pages, the published stock document and the open data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crisisgov.citizen.reservations import publishing
from crisisgov.citizen.reservations.models import LotteryWindow, PharmacyStock, Reservation
from crisisgov.citizen.reservations.services import reservations_expire
from crisisgov.drills.citizen_reservations_demo import citizen_reservations_demo_ensure
from tests.citizen_reservations_support import (
    finish,
    kind_fixture,  # noqa: F401 (the store fixture)
    make_item,
    make_pharmacy,
    make_resident,
    make_stock,
)

HOME = "/citizen/reservations/"


@pytest.fixture
def shop(kind, city, make_user):
    item = make_item(city)
    pharmacy = make_pharmacy(city.street_a, "江岸大药房")
    make_stock(item, pharmacy, 5)
    return {"kind": kind, "item": item, "pharmacy": pharmacy}


def test_a_citizen_reserves_on_the_page_and_a_double_submit_is_one_reservation(
    shop, city, make_user
):
    resident = make_resident(city, make_user)
    client = Client()
    anonymous = client.get(HOME)
    assert "江岸大药房" in anonymous.content.decode()
    client.force_login(resident.user)
    page = client.get(HOME).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    form = {
        "idempotency_key": key,
        "pharmacy_id": shop["pharmacy"].pk,
        "item": "mask",
        "id_number": resident.national_id,
        "quantity": "1",
    }
    first = client.post(HOME, form).content.decode()
    code = re.search(r'<p class="code">([A-Z0-9]{8})</p>', first).group(1)
    again = client.post(HOME, form).content.decode()  # the same form sent twice
    assert f'<p class="code">{code}</p>' in again
    finish(shop["kind"])
    assert Reservation.objects.get().code == code
    assert code in client.get(HOME).content.decode()  # under "my reservations"
    # a wrong check digit is refused on the page, naming the field, nothing taken
    bad = dict(form, idempotency_key="another-key-1", id_number=resident.national_id[:17] + "Y")
    refused = client.post(HOME, bad).content.decode()
    assert 'data-field="id_number"' in refused
    finish(shop["kind"])
    assert Reservation.objects.count() == 1


def test_staff_publish_stock_and_hand_over_on_their_page(shop, city, make_user):
    resident = make_resident(city, make_user)
    citizen = Client()
    citizen.force_login(resident.user)
    citizen.post(
        HOME,
        {
            "idempotency_key": "page-key-0001",
            "pharmacy_id": shop["pharmacy"].pk,
            "item": "mask",
            "id_number": resident.national_id,
            "quantity": "1",
        },
    )
    finish(shop["kind"])
    code = Reservation.objects.get().code
    staff = Client()
    staff.force_login(
        make_user("service_point_staff", city.district_a, organisation=shop["pharmacy"])
    )
    landing = staff.get("/citizen/reservations/pharmacy/")
    url = reverse("citizen_reservations:pharmacy", args=[shop["pharmacy"].pk])
    assert landing.status_code == 302 and landing.url == url
    assert code in staff.get(url).content.decode()
    done = staff.post(url, {"form": "pickup", "code": code}).content.decode()
    assert 'role="status"' in done
    today = timezone.localdate().isoformat()
    staff.post(url, {"form": "stock", "item": "mask", "day": today, "quantity": "20"})
    stock = PharmacyStock.objects.get()
    assert (stock.quantity, stock.reserved, stock.picked_up) == (20, 1, 1)
    # another pharmacy's page is a 404 for them
    other = make_pharmacy(city.street_a, "别家")
    assert staff.get(reverse("citizen_reservations:pharmacy", args=[other.pk])).status_code == 404


def test_the_stock_document_is_republished_only_when_it_changes(shop, city, make_user):
    assert publishing.stock_publish_if_changed(force=True) == 1
    assert publishing.stock_publish_if_changed(force=True) == 0  # unchanged
    response = Client().get("/citizen/published/stock.json")
    assert "max-age" in response["Cache-Control"]
    rows = response.json()["stock"]
    assert [(r["pharmacy_id"], r["left"]) for r in rows] == [(shop["pharmacy"].pk, 5)]
    resident = make_resident(city, make_user)
    client = Client()
    client.force_login(resident.user)
    client.post(
        HOME,
        {
            "idempotency_key": "page-key-0002",
            "pharmacy_id": shop["pharmacy"].pk,
            "item": "mask",
            "id_number": resident.national_id,
            "quantity": "1",
        },
    )
    # Redis's counter is live before the write-behind; the database's after it
    finish(shop["kind"])
    assert publishing.stock_publish_if_changed(force=True) == 1
    rows = Client().get("/citizen/published/stock.json").json()["stock"]
    assert rows[0]["left"] == 4


def test_open_data_has_counts_per_pharmacy_and_day_and_no_person_data(shop, city, make_user):
    resident = make_resident(city, make_user)
    client = Client()
    client.force_login(resident.user)
    client.post(
        HOME,
        {
            "idempotency_key": "page-key-0003",
            "pharmacy_id": shop["pharmacy"].pk,
            "item": "mask",
            "id_number": resident.national_id,
            "quantity": "1",
        },
    )
    finish(shop["kind"])
    reservations_expire(now=timezone.now() + dt.timedelta(days=3))
    public = Client()
    data = public.get("/citizen/reservations/open-data/stock.json")
    assert data.status_code == 200 and "public" in data["Cache-Control"]
    row = data.json()["rows"][0]
    assert row | {"pharmacy_id": 0} == {
        "day": timezone.localdate().isoformat(),
        "pharmacy_id": 0,
        "pharmacy_zh": "江岸大药房",
        "pharmacy_en": "江岸大药房 pharmacy",
        "area_path": shop["pharmacy"].area_path,
        "item": "mask",
        "stock": 5,
        "reserved": 0,
        "picked_up": 0,
        "reservations": 1,
        "expired": 1,
        "cancelled": 0,
    }
    text = public.get("/citizen/reservations/open-data/stock.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["reservations"] == "1" and rows[0]["expired"] == "1"
    assert resident.person.national_id_index not in text + data.content.decode()
    assert resident.national_id not in text


def test_officials_define_items_and_open_a_lottery_on_their_page(city, make_user, db):
    officer = Client()
    officer.force_login(make_user("department_officer", city.district_a))
    url = reverse("citizen_reservations:manage")
    officer.post(
        url,
        {
            "form": "item",
            "code": "mask",
            "name_zh": "口罩",
            "name_en": "Masks",
            "quota_quantity": "1",
            "quota_days": "7",
        },
    )
    pharmacy = make_pharmacy(city.street_a)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    officer.post(
        url,
        {
            "form": "lottery",
            "item": "mask",
            "pharmacy_id": pharmacy.pk,
            "title_zh": "口罩预购",
            "title_en": "Mask pre-order",
            "opens_at": "2026-11-27T08:00",
            "closes_at": f"{timezone.localdate().isoformat()}T23:00",
            "pickup_day": tomorrow.isoformat(),
            "stock": "50",
        },
    )
    window = LotteryWindow.objects.get()
    page = Client().get(reverse("citizen_reservations:lottery", args=[window.pk])).content
    assert window.seed_commitment in page.decode() and window.seed not in page.decode()
    citizen = Client()
    citizen.force_login(make_user("citizen", city.district_a))
    assert citizen.get(url).status_code == 403


def test_the_demo_sets_up_a_reservation_day_and_is_idempotent(kind, city, make_user):
    for n in range(3):
        make_pharmacy(city.street_a, f"演示药房{n}")
    for _ in range(50):
        make_resident(city, make_user)
    first = citizen_reservations_demo_ensure()
    counts = (Reservation.objects.count(), LotteryWindow.objects.count())
    second = citizen_reservations_demo_ensure()
    assert (Reservation.objects.count(), LotteryWindow.objects.count()) == counts
    assert first and second
    states = set(Reservation.objects.values_list("state", flat=True))
    assert {"reserved", "picked_up"} <= states
    assert LotteryWindow.objects.get().entries.count() > 0
