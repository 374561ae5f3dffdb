"""Service definitions: form fields, required attachments and the departments' workflow.

A definition is validated as a whole (every problem is named by its place, e.g.
`stages.1.0.department_id`) and saved as a new immutable ServiceVersion; applications keep
the version they were submitted under.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import Max

from crisisgov.citizen.approvals.models import DepartmentHead, Service, ServiceVersion, Step
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.directory.facade import organisation_info, organisations_of
from crisisgov.geo.facade import area_info
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import DomainError, NotFound

FIELD_TYPES = ("text", "number", "date", "choice", "boolean")
FILE_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RESERVED = {"company_name", "credit_code"}  # the application's own fields


def _label(item: dict, where: str) -> tuple[str, str]:
    zh, en = str(item.get("label_zh", "")).strip(), str(item.get("label_en", "")).strip()
    if not zh or not en or len(zh) > 100 or len(en) > 100:
        raise DomainError(
            "a label in Chinese and English (1-100 characters) is required", field=where
        )
    return zh, en


def _name(item: dict, where: str, seen: set[str]) -> str:
    name = str(item.get("name", ""))
    if not NAME.match(name) or name in RESERVED:
        raise DomainError(
            "a name of lower-case letters, digits and _ (not company_name, credit_code)",
            field=f"{where}.name",
        )
    if name in seen:
        raise DomainError(f"the name {name!r} is used twice", field=f"{where}.name")
    seen.add(name)
    return name


def _field(item: Any, where: str, seen: set[str]) -> dict:
    if not isinstance(item, dict):
        raise DomainError("expected an object", field=where)
    name = _name(item, where, seen)
    zh, en = _label(item, where)
    kind = item.get("type")
    if kind not in FIELD_TYPES:
        raise DomainError(f"type must be one of {', '.join(FIELD_TYPES)}", field=f"{where}.type")
    out = {"name": name, "label_zh": zh, "label_en": en, "type": kind}
    out["required"] = bool(item.get("required", True))
    if kind == "choice":
        choices = item.get("choices")
        if (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(c, str) and 0 < len(c) <= 100 for c in choices)
            or len(set(choices)) != len(choices)
        ):
            raise DomainError("a choice field needs distinct choices", field=f"{where}.choices")
        out["choices"] = choices
    return out


def _attachment(item: Any, where: str, seen: set[str]) -> dict:
    if not isinstance(item, dict):
        raise DomainError("expected an object", field=where)
    name = _name(item, where, seen)
    zh, en = _label(item, where)
    types = item.get("types", ["pdf"])
    if not isinstance(types, list) or not types or not set(types) <= set(FILE_TYPES):
        raise DomainError(f"types must be among {', '.join(FILE_TYPES)}", field=f"{where}.types")
    max_bytes = item.get("max_bytes", 5 * 1024 * 1024)
    if type(max_bytes) is not int or not 1024 <= max_bytes <= MAX_ATTACHMENT_BYTES:
        raise DomainError(
            f"max_bytes must be between 1024 and {MAX_ATTACHMENT_BYTES}", field=f"{where}.max_bytes"
        )
    required = bool(item.get("required", True))
    return {
        "name": name,
        "label_zh": zh,
        "label_en": en,
        "types": types,
        "max_bytes": max_bytes,
        "required": required,
    }


def _step(item: Any, where: str, area_path: str, seen: set[int]) -> dict:
    if not isinstance(item, dict):
        raise DomainError("expected an object", field=where)
    department_id = item.get("department_id")
    org = organisation_info(department_id) if type(department_id) is int else None
    if org is None or org.kind != "department" or not org.area_path.startswith(area_path):
        raise DomainError(
            "not a government department in the service's area", field=f"{where}.department_id"
        )
    if department_id in seen:
        raise DomainError(
            "a department decides once per application", field=f"{where}.department_id"
        )
    seen.add(department_id)
    hours = item.get("hours")
    if type(hours) is not int or not 1 <= hours <= 24 * 60:
        raise DomainError("hours must be a whole number from 1 to 1440", field=f"{where}.hours")
    return {"department_id": department_id, "hours": hours}


def definition_validate(raw: dict, *, area_path: str) -> dict:
    """The definition in canonical form, or a DomainError naming the first bad place."""
    fields_in, attachments_in = raw.get("fields", []), raw.get("attachments", [])
    stages_in = raw.get("stages")
    if not isinstance(fields_in, list) or len(fields_in) > 50:
        raise DomainError("a list of at most 50 fields", field="fields")
    if not isinstance(attachments_in, list) or len(attachments_in) > 20:
        raise DomainError("a list of at most 20 attachments", field="attachments")
    if not isinstance(stages_in, list) or not 1 <= len(stages_in) <= 10:
        raise DomainError("one to ten stages of departments", field="stages")
    names: set[str] = set()
    fields = [_field(f, f"fields.{i}", names) for i, f in enumerate(fields_in)]
    attachments = [_attachment(a, f"attachments.{i}", names) for i, a in enumerate(attachments_in)]
    departments: set[int] = set()
    stages = []
    for i, stage in enumerate(stages_in):
        if not isinstance(stage, list) or not 1 <= len(stage) <= 10:
            raise DomainError("a stage is a list of one to ten departments", field=f"stages.{i}")
        stages.append(
            [_step(s, f"stages.{i}.{j}", area_path, departments) for j, s in enumerate(stage)]
        )
    return {"fields": fields, "attachments": attachments, "stages": stages}


def _may_manage(actor: Actor, area_path: str, *, message: str, field: str) -> None:
    """Outside the actor's areas is the same as missing."""
    if not actor.can_at(CitizenPermission.MANAGE_SERVICES, area_path):
        raise NotFound(message, field=field)


@transaction.atomic
def service_define(
    *,
    actor: Actor,
    name_zh: str,
    name_en: str,
    definition: dict,
    area_id: int | None = None,
    slug: str = "",
    service_id: int | None = None,
) -> ServiceVersion:
    """Create a service (area_id, slug) or a new version of one (service_id)."""
    if service_id is None:
        area = area_info(area_id) if area_id else None
        if area is None:
            raise NotFound("no such area", field="area_id")
        _may_manage(actor, area.path, message="no such area", field="area_id")
        if not re.match(r"^[a-z0-9][a-z0-9-]{1,59}$", slug):
            raise DomainError("a slug of lower-case letters, digits and -", field="slug")
        if Service.objects.filter(slug=slug).exists():
            raise DomainError("a service with this slug exists", field="slug", code="conflict")
        service = Service.objects.create(
            slug=slug, name_zh=name_zh, name_en=name_en, area_id=area.id, area_path=area.path
        )
    else:
        service = (
            Service.objects.for_actor(actor, CitizenPermission.MANAGE_SERVICES)
            .select_for_update()
            .filter(pk=service_id)
            .first()
        )
        if service is None:
            raise NotFound("no such service")
    canonical = definition_validate(definition, area_path=service.area_path)
    number = (service.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ServiceVersion.objects.create(
        service=service,
        number=number,
        name_zh=name_zh,
        name_en=name_en,
        definition=canonical,
        created_by_id=actor.user_id,
    )
    service.name_zh, service.name_en, service.current_version = name_zh, name_en, number
    service.save(update_fields=["name_zh", "name_en", "current_version"])
    audit_record(
        actor=actor,
        action="citizen_approvals.service_defined",
        target_type="citizen_approvals.service",
        target_id=str(service.pk),
        area_path=service.area_path,
        detail={"slug": service.slug, "version": number},
    )
    return version


def service_current(service: Service) -> ServiceVersion:
    return service.versions.get(number=service.current_version)


RESUMPTION_SLUG = "resumption-of-work"


def resumption_definition(area_path: str) -> dict:
    """The resumption-of-work service of a district: market regulation ∥ health commission,
    then emergency management."""

    def department(kind: str) -> int:
        found = organisations_of(kind="department", department_type=kind, under_path=area_path)
        found = [o for o in found if o.area_path == area_path] or found
        if not found:
            raise DomainError(f"the area has no {kind} department", field="area_id")
        return found[0].id

    return {
        "fields": [
            {"name": "address", "label_zh": "生产经营地址", "label_en": "Premises address",
             "type": "text"},
            {"name": "employees", "label_zh": "返岗员工人数", "label_en": "Employees returning",
             "type": "number"},
            {"name": "resume_date", "label_zh": "拟复工日期", "label_en": "Planned restart date",
             "type": "date"},
            {"name": "industry", "label_zh": "行业类别", "label_en": "Industry", "type": "choice",
             "choices": ["manufacturing", "retail", "construction", "services"]},
            {"name": "masks_in_stock", "label_zh": "防护物资已储备", "label_en":
             "Protective supplies in stock", "type": "boolean"},
        ],
        "attachments": [
            {"name": "prevention_plan", "label_zh": "疫情防控方案", "label_en":
             "Epidemic prevention plan", "types": ["pdf"], "max_bytes": 5 * 1024 * 1024},
            {"name": "site_photo", "label_zh": "消毒现场照片",
             "label_en": "Photo of the disinfected site", "types": ["png", "jpeg"],
             "max_bytes": 5 * 1024 * 1024, "required": False},
        ],
        "stages": [
            [{"department_id": department("market_regulation"), "hours": 24},
             {"department_id": department("health_commission"), "hours": 24}],
            [{"department_id": department("emergency_management"), "hours": 48}],
        ],
    }  # fmt: skip


def resumption_service_seed(
    *, actor: Actor, area_id: int, slug: str = RESUMPTION_SLUG, stages: list | None = None
) -> Service:
    """The "复工复产申请" service of an area (a district); the existing one if already there.
    `stages` replaces the area's own market regulation ∥ health commission → emergency."""
    service = Service.objects.filter(slug=slug).first()
    if service is not None:
        return service
    area = area_info(area_id)
    if area is None:
        raise NotFound("no such area", field="area_id")
    version = service_define(
        actor=actor,
        name_zh="复工复产申请",
        name_en="Resumption of work and production",
        definition=resumption_definition(area.path) | ({"stages": stages} if stages else {}),
        area_id=area_id,
        slug=slug,
    )
    return version.service


@transaction.atomic
def department_head_set(*, actor: Actor, department_id: int, user_id: int) -> DepartmentHead:
    """Flag an officer as the head of their department (overdue steps escalate to them)."""
    from django.contrib.auth import get_user_model

    from crisisgov.directory.facade import actor_for_user

    org = organisation_info(department_id)
    if org is None or org.kind != "department":
        raise NotFound("no such department", field="department_id")
    _may_manage(actor, org.area_path, message="no such department", field="department_id")
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("no such account", field="user_id")
    officer = actor_for_user(user)
    if not any(
        s.organisation_id == department_id
        for s in officer.scopes_for(CitizenPermission.DECIDE_APPROVALS)
    ):
        raise DomainError(
            "the head must be an officer of this department who decides approvals",
            field="user_id",
        )
    head, _ = DepartmentHead.objects.update_or_create(
        department_id=department_id, defaults={"user": user, "department_path": org.area_path}
    )
    # Open escalations of the department that had no head yet go to the new one.
    Step.objects.filter(
        department_id=department_id, state="pending", escalated_at__isnull=False, escalated_to=None
    ).update(escalated_to=user)
    audit_record(
        actor=actor,
        action="citizen_approvals.head_designated",
        target_type="directory.organisation",
        target_id=str(department_id),
        area_path=org.area_path,
        detail={"user_id": user_id},
    )
    return head
