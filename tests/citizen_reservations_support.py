"""Shared setup of the reservation tests: an item, pharmacies, residents with accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from crisisgov.citizen.reservations.models import PharmacyStock, RationedItem
from crisisgov.directory.idnumber import make
from crisisgov.directory.tests.factories import OrganisationFactory, PersonFactory


@dataclass
class Resident:
    person: Any
    user: Any
    national_id: str


def make_item(city: Any, *, quota: int = 1, days: int = 7, code: str = "mask") -> RationedItem:
    return RationedItem.objects.create(
        code=code,
        name_zh="口罩",
        name_en="Masks",
        quota_quantity=quota,
        quota_days=days,
        area_path=city.city.path,
    )


def make_pharmacy(area: Any, name: str = "药房") -> Any:
    return OrganisationFactory(
        kind="pharmacy", department_type="", area=area, name_zh=name, name_en=f"{name} pharmacy"
    )


def make_stock(item: RationedItem, pharmacy: Any, quantity: int, day: dt.date | None = None):
    stock = PharmacyStock.objects.create(
        item=item,
        pharmacy=pharmacy,
        day=day or timezone.localdate(),
        quantity=quantity,
        area_path=pharmacy.area_path,
        published_at=timezone.now(),
    )
    if settings.REDIS_URL:
        from crisisgov.citizen.reservations.services import redis_store

        redis_store().publish_stock(
            item=item.code, pharmacy_id=pharmacy.pk, day=stock.day, total=quantity, taken=0
        )
    return stock


_serial = iter(range(1, 10**6))


def make_resident(city: Any, make_user: Any, *, building: Any = None) -> Resident:
    """A resident with a citizen account of their own."""
    n = next(_serial)
    national_id = make("420102", dt.date(1970, 1, 1) + dt.timedelta(days=n // 900), n % 900)
    user = make_user("citizen", city.district_a)
    person = PersonFactory(
        national_id=national_id,
        home_building=building or city.building_a,
        area_path=(building or city.building_a).path,
        account=user,
    )
    return Resident(person, user, national_id)


def flush_redis() -> None:
    """Empty this test run's Redis database (REDIS_URL names our own db number)."""
    if settings.REDIS_URL:
        from crisisgov.citizen.publishing import redis_client

        redis_client().flushdb()


STORES = [
    "sql",
    pytest.param(
        "redis", marks=pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set")
    ),
]


@pytest.fixture(name="kind", params=STORES)
def kind_fixture(request, settings):
    """The store deciding reservations: "sql" (the embedded default, even where Redis is
    configured) or "redis" (the Lua script and the write-behind)."""
    if request.param == "sql":
        settings.REDIS_URL = ""
    else:
        flush_redis()
    yield request.param
    if request.param == "redis":
        flush_redis()


def finish(kind: str) -> None:
    """Everything accepted is written to the database."""
    if kind == "redis":
        from crisisgov.citizen.reservations.writebehind import writebehind_drain

        writebehind_drain()
