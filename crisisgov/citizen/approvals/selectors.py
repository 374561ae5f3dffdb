"""Reads: the service catalogue, the applicant's applications and their progress."""

from __future__ import annotations

from django.utils import timezone

from crisisgov.citizen.approvals.models import Application, Certificate, Service, Step
from crisisgov.citizen.approvals.services import signed_serial
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.errors import NotFound


def services_active() -> list[Service]:
    """The catalogue: every active service (what one may apply for is public)."""
    return list(Service.objects.filter(active=True, current_version__gt=0).order_by("name_en"))


def service_get(service_id: int) -> Service:
    service = Service.objects.filter(pk=service_id, current_version__gt=0).first()
    if service is None:
        raise NotFound("no such service")
    return service


def service_payload(service: Service) -> dict:
    version = service.versions.get(number=service.current_version)
    return {
        "id": service.pk,
        "slug": service.slug,
        "name_zh": service.name_zh,
        "name_en": service.name_en,
        "area_path": service.area_path,
        "version": version.number,
        "active": service.active,
        **version.definition,
    }


def applications_mine(*, actor: Actor) -> list[Application]:
    if actor.user_id is None:
        return []
    return list(
        Application.objects.filter(applicant_id=actor.user_id).select_related("service")[:100]
    )


def _iso(value) -> str | None:  # type: ignore[no-untyped-def]
    return value.isoformat() if value else None


def step_payload(step: Step) -> dict:
    return {
        "id": step.pk,
        "stage": step.stage,
        "department_id": step.department_id,
        "department_zh": step.department.name_zh,
        "department_en": step.department.name_en,
        "state": step.state,
        "opened_at": _iso(step.opened_at),
        "due_at": _iso(step.due_at),
        "decided_at": _iso(step.decided_at),
        "reason": step.reason,
        "overdue": step.overdue
        or bool(step.state == "pending" and step.due_at and step.due_at < timezone.now()),
        "escalated": step.escalated_at is not None,
        "escalated_at": _iso(step.escalated_at),
    }


def application_payload(application: Application, *, with_form: bool = True) -> dict:
    """What the applicant (and the deciding departments) see of an application."""
    steps = list(application.steps.select_related("department").order_by("stage", "id"))
    certificate = Certificate.objects.filter(application=application).first()
    payload = {
        "id": application.pk,
        "reference": application.reference,
        "service_id": application.service_id,
        "service_zh": application.service.name_zh,
        "service_en": application.service.name_en,
        "version": application.version.number,
        "company_name": application.company_name,
        "credit_code": application.credit_code,
        "state": application.state,
        "current_stage": application.current_stage,
        "visits": application.visits,
        "submitted_at": _iso(application.submitted_at),
        "decided_at": _iso(application.decided_at),
        "correction_fields": application.correction_fields,
        "correction_reason": application.correction_reason,
        "steps": [step_payload(s) for s in steps],
        "attachments": [
            {
                "id": a.pk,
                "name": a.name,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
            }
            for a in application.attachments.filter(current=True)
        ],
        "certificate": None,
    }
    if with_form:
        payload["fields"] = application.form_data
    if certificate is not None:
        payload["certificate"] = {
            "serial": certificate.serial,
            "signed_serial": signed_serial(certificate.serial),
            "issued_at": _iso(certificate.issued_at),
            "revoked": certificate.revoked_at is not None,
        }
    return payload
