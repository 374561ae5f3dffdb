"""Test support for online approvals (not tests): the departments of a district, their officers,
a citizen, and valid files."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from crisisgov.citizen.approvals import creditcode
from crisisgov.citizen.approvals.definitions import resumption_service_seed
from crisisgov.kernel.actor import SYSTEM

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CREDIT_CODE = creditcode.make("91420102MA4KXY012")


@dataclass
class World:
    service: object
    market: object
    health: object
    emergency: object
    transport: object
    market_officer: object
    health_officer: object
    emergency_officer: object
    transport_officer: object
    head: object  # a second health-commission officer, flagged head
    commander: object
    citizen: object
    other_citizen: object


def world_build(city, make_user, *, district=None, slug: str = "resumption-of-work") -> World:  # type: ignore[no-untyped-def]
    """A district's departments (district A unless told), one officer each, and the
    resumption-of-work service."""
    from crisisgov.citizen.approvals.definitions import department_head_set
    from crisisgov.directory.tests.factories import OrganisationFactory

    district = district or city.district_a

    def department(kind: str, zh: str, en: str):  # type: ignore[no-untyped-def]
        return OrganisationFactory(area=district, department_type=kind, name_zh=zh, name_en=en)

    market = department("market_regulation", "江岸区市场监督管理局", "Jiang'an Market Regulation")
    health = department("health_commission", "江岸区卫生健康局", "Jiang'an Health Commission")
    emergency = department("emergency_management", "江岸区应急管理局", "Jiang'an Emergency")
    transport = department("transport", "江岸区交通运输局", "Jiang'an Transport")
    officer = "department_officer"
    world = World(
        service=resumption_service_seed(
            actor=SYSTEM,
            area_id=district.id,
            slug=slug,
            stages=[
                [
                    {"department_id": market.pk, "hours": 24},
                    {"department_id": health.pk, "hours": 24},
                ],
                [{"department_id": emergency.pk, "hours": 48}],
            ],
        ),
        market=market,
        health=health,
        emergency=emergency,
        transport=transport,
        market_officer=make_user(officer, district, market),
        health_officer=make_user(officer, district, health),
        emergency_officer=make_user(officer, district, emergency),
        transport_officer=make_user(officer, district, transport),
        head=make_user(officer, district, health),
        commander=make_user("commander", city.city),
        citizen=make_user("citizen", city.grid_a),
        other_citizen=make_user("citizen", city.grid_a),
    )
    department_head_set(actor=SYSTEM, department_id=health.pk, user_id=world.head.pk)
    return world


def good_fields() -> dict:
    return {
        "address": "江岸区解放大道100号",
        "employees": 35,
        "resume_date": "2026-12-01",
        "industry": "manufacturing",
        "masks_in_stock": True,
    }


def submission(service_id: int, **overrides) -> dict:  # type: ignore[no-untyped-def]
    """A multipart body for the test client: `data` JSON and the prevention plan."""
    data = {
        "service_id": service_id,
        "company_name": "武汉示例机械有限公司",
        "credit_code": CREDIT_CODE,
        "fields": good_fields(),
    }
    files = {"prevention_plan": SimpleUploadedFile("plan.pdf", PDF, "application/pdf")}
    for key, value in overrides.items():
        if key in ("prevention_plan", "site_photo"):
            if value is None:
                files.pop(key, None)
            else:
                files[key] = value
        else:
            data[key] = value
    return {"data": json.dumps(data), **files}
