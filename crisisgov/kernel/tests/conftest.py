"""Fixtures of the kernel tests: fixed key rings and residents with personal data.

The kernel imports no domain app, so residents are made through the app registry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps

from crisisgov.kernel import outbox, pii
from crisisgov.kernel.fields import refresh_blind_indexes
from crisisgov.kernel.tests.samples import ring


@pytest.fixture
def use_ring() -> Iterator[Callable[[str], pii.KeyRing]]:
    """use_ring("b:...,a:...") installs that key ring; the original returns afterwards."""
    original = pii.key_ring()

    def install(keys: str) -> pii.KeyRing:
        new = ring(keys)
        pii.use_key_ring(new)
        return new

    yield install
    pii.use_key_ring(original)


@pytest.fixture
def make_person(city: Any) -> Callable[..., Any]:
    """make_person(name, national_id, phone) -> a saved resident of building A."""
    person_model = apps.get_model("directory", "Person")

    def build(name: str, national_id: str, phone: str = "") -> Any:
        person = person_model(
            name=name,
            national_id=national_id,
            phone=phone,
            date_of_birth=dt.date(1990, 3, 7),
            sex="M",
            home_building=city.building_a,
            area_path=city.building_a.path,
        )
        refresh_blind_indexes(person)
        person.save()
        return person

    return build


@pytest.fixture
def isolated_handlers() -> Iterator[None]:
    """Event handlers a test registers are forgotten after it."""
    saved = {topic: dict(handlers) for topic, handlers in outbox._handlers.items()}
    yield
    outbox._handlers.clear()
    outbox._handlers.update(saved)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Test users log in many times; real password hashing is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
