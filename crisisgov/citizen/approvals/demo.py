"""The demo's online approvals, in the first district of the synthetic city: the
resumption-of-work service, one application halfway (stage 1 approved by market regulation,
overdue at the health commission and escalated to its head), one approved with a certificate.
Idempotent: the applications are found by company name on a second run."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from crisisgov.citizen.approvals import creditcode
from crisisgov.citizen.approvals.definitions import department_head_set, resumption_service_seed
from crisisgov.citizen.approvals.models import Application, DepartmentHead, Step
from crisisgov.citizen.approvals.services import (
    application_submit,
    signed_serial,
    step_decide,
    steps_escalate_overdue,
)
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.directory.facade import actor_for_user
from crisisgov.geo.facade import Level, areas_at_level
from crisisgov.kernel.actor import SYSTEM, Actor, Scope

APPLICANT = "demo-citizen"  # the demo citizen account files both applications
HEAD = "demo-department-officer"  # the district health commission's demo officer
HALFWAY = "武汉鑫达机械制造有限公司"
APPROVED = "武汉江城食品有限公司"
PLAN = b"%PDF-1.4\n% demo prevention plan\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _fields(employees: int) -> dict:
    return {
        "address": "解放大道1288号",
        "employees": employees,
        "resume_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        "industry": "manufacturing",
        "masks_in_stock": True,
    }


def _department(step: dict) -> Actor:
    """An officer of the step's department, for the drill's decisions."""
    from crisisgov.directory.facade import organisation_info

    org = organisation_info(step["department_id"])
    scope = Scope(
        role="department_officer",
        permissions=frozenset({CitizenPermission.DECIDE_APPROVALS}),
        area_path=org.area_path,
        organisation_id=org.id,
    )
    return Actor(user_id=None, username=f"drill-{org.department_type}", scopes=(scope,))


def _submit(applicant: Actor, service_id: int, company: str, code: str, employees: int):  # type: ignore[no-untyped-def]
    return application_submit(
        actor=applicant,
        service_id=service_id,
        company_name=company,
        credit_code=code,
        fields=_fields(employees),
        uploads={"prevention_plan": SimpleUploadedFile("防控方案.pdf", PLAN)},
    )


def _designate_head(health_id: int) -> str:
    user = get_user_model().objects.filter(username=HEAD).first()
    if user is None or DepartmentHead.objects.filter(department_id=health_id).exists():
        return ""
    try:
        department_head_set(actor=SYSTEM, department_id=health_id, user_id=user.pk)
    except Exception:  # the account sits elsewhere in this city: escalations wait for a head
        return ""
    return f"Online approvals: {HEAD} is the health commission's head (escalations go there)"


def approvals_demo_prepare() -> list[str]:
    district = areas_at_level(Level.DISTRICT)[0]
    grid = areas_at_level(Level.GRID, under=district.path)[0]
    service = resumption_service_seed(actor=SYSTEM, area_id=district.id)
    stages = service.versions.get(number=service.current_version).definition["stages"]
    user, _ = get_user_model().objects.get_or_create(username=APPLICANT)
    applicant = Actor(
        user_id=user.pk,
        username=user.username,
        scopes=(
            Scope("citizen", frozenset({CitizenPermission.USE_SERVICES}), area_path=grid.path),
        ),
    )
    if actor_for_user(user).can(CitizenPermission.USE_SERVICES):  # the demo account exists
        applicant = actor_for_user(user)
    lines = []
    head_line = _designate_head(stages[0][1]["department_id"])
    prefix = "91" + district.code[:6]
    with transaction.atomic():
        halfway = Application.objects.filter(service=service, company_name=HALFWAY).first()
        if halfway is None:
            halfway = _submit(
                applicant, service.pk, HALFWAY, creditcode.make(prefix + "MA4K2B3C5"), 120
            )
            # Filed 30 hours ago: the health commission's 24 hours have run out.
            back = dt.timedelta(hours=30)
            Application.objects.filter(pk=halfway.pk).update(
                submitted_at=halfway.submitted_at - back
            )
            for step in Step.objects.filter(application=halfway, stage=1):
                Step.objects.filter(pk=step.pk).update(
                    opened_at=step.opened_at - back, due_at=step.due_at - back
                )
            step_decide(
                actor=_department(stages[0][0]), application_id=halfway.pk, action="approve"
            )
            steps_escalate_overdue()
        approved = Application.objects.filter(service=service, company_name=APPROVED).first()
        if approved is None:
            approved = _submit(
                applicant, service.pk, APPROVED, creditcode.make(prefix + "MA4L7D8E9"), 45
            )
            for stage in stages:
                for step in stage:
                    step_decide(
                        actor=_department(step), application_id=approved.pk, action="approve"
                    )
    if head_line:
        lines.append(head_line)
    serial = signed_serial(approved.certificate.serial)
    lines += [
        f"Online approvals: {service.name_en} in {district.name_en}; {halfway.reference} is"
        " halfway (market regulation approved, health commission overdue and escalated)",
        f"Online approvals: {approved.reference} approved; verify its certificate at"
        f" /citizen/approvals/verify/{serial}",
    ]
    return lines
