"""Test support for tickets (not tests): the catalogue, a district's department desks with
one officer each, hotline operators, and a call with personal data in it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crisisgov.directory.models import Organisation
from crisisgov.opinion.tickets import services
from crisisgov.opinion.tickets.catalogue import catalogue_load_defaults, department_desk

PHONE = "13812345678"
ID_NUMBER = "42010219900307001X"
CALL_TEXT = f"我家老人发烧三天了，身份证{ID_NUMBER}，电话{PHONE}，社区医院不收，怎么办？"
START = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in the city


@dataclass
class World:
    operator: object  # the city's hotline
    operator_b: object  # district B's hotline
    health_a: object  # desk
    police_a: object  # desk
    health_city: object  # desk one level up from health_a
    health_officer: object
    police_officer: object
    city_health_officer: object
    health_officer_b: object  # district B's health commission
    commander: object


def officer(make_user, desk, area):  # type: ignore[no-untyped-def]
    return make_user("department_officer", area, Organisation.objects.get(pk=desk.organisation_id))


def world_build(city, make_user) -> World:  # type: ignore[no-untyped-def]
    catalogue_load_defaults()
    health_a = department_desk(code="health", area_path=city.district_a.path)
    police_a = department_desk(code="police", area_path=city.district_a.path)
    health_city = department_desk(code="health", area_path=city.city.path)
    health_b = department_desk(code="health", area_path=city.district_b.path)
    return World(
        operator=make_user("hotline_operator", city.city),
        operator_b=make_user("hotline_operator", city.district_b),
        health_a=health_a,
        police_a=police_a,
        health_city=health_city,
        health_officer=officer(make_user, health_a, city.district_a),
        police_officer=officer(make_user, police_a, city.district_a),
        city_health_officer=officer(make_user, health_city, city.city),
        health_officer_b=officer(make_user, health_b, city.district_b),
        commander=make_user("commander", city.city),
    )


def call(actor, area, *, text: str = CALL_TEXT, category: str = "medical_help", **extra):  # type: ignore[no-untyped-def]
    return services.call_register(
        actor=actor, area_id=area.id, text=text, caller_name="王小明", caller_phone=PHONE,
        category_code=category, **extra,
    )  # fmt: skip


def dispatched(actor, area, department: str = "health", **extra):  # type: ignore[no-untyped-def]
    """A call registered and sent to `department` (with a reason, whatever was suggested)."""
    ticket = call(actor, area, **extra)
    return services.ticket_dispatch(
        actor=actor, ticket_id=ticket.pk, department_code=department, reason="test dispatch"
    )
