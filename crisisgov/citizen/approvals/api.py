"""Online approvals: JSON API. Sections: service definitions, the applicant, the departments'
inbox and decisions, certificates (verification is public), visit statistics (public)."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import ValidationError

from crisisgov.citizen.approvals import definitions, selectors, services
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.schemas import Id, PathId, StrictInput, text

router = Router()


# --- service definitions ----------------------------------------------------------------------


class ServiceIn(StrictInput):
    name_zh: text(min_length=1, max_length=200)  # type: ignore[valid-type]
    name_en: text(min_length=1, max_length=200)  # type: ignore[valid-type]
    fields: list[dict[str, Any]] = []
    attachments: list[dict[str, Any]] = []
    stages: list[list[dict[str, Any]]]


class ServiceCreateIn(ServiceIn):
    slug: text(min_length=2, max_length=60)  # type: ignore[valid-type]
    area_id: Id


class HeadIn(StrictInput):
    department_id: Id
    user_id: Id


def _definition(payload: ServiceIn) -> dict:
    return {"fields": payload.fields, "attachments": payload.attachments, "stages": payload.stages}


@router.get("/services", response=list[dict], summary="The catalogue of online services")
def service_list(request: HttpRequest) -> list[dict]:
    return [selectors.service_payload(s) for s in selectors.services_active()]


@router.get("/services/{service_id}", response=dict, summary="One service's current definition")
def service_detail(request: HttpRequest, service_id: PathId) -> dict:
    return selectors.service_payload(selectors.service_get(service_id))


@router.post("/services", response={201: dict}, summary="Define a new service")
def service_create(request: HttpRequest, payload: ServiceCreateIn) -> Status:
    version = definitions.service_define(
        actor=actor_of(request),
        name_zh=payload.name_zh,
        name_en=payload.name_en,
        definition=_definition(payload),
        area_id=payload.area_id,
        slug=payload.slug,
    )
    return Status(201, selectors.service_payload(version.service))


@router.put("/services/{service_id}", response=dict, summary="Save a new version of a service")
def service_edit(request: HttpRequest, service_id: PathId, payload: ServiceIn) -> dict:
    version = definitions.service_define(
        actor=actor_of(request),
        name_zh=payload.name_zh,
        name_en=payload.name_en,
        definition=_definition(payload),
        service_id=service_id,
    )
    return selectors.service_payload(version.service)


@router.post("/department-heads", response=dict, summary="Flag an officer head of a department")
def head_set(request: HttpRequest, payload: HeadIn) -> dict:
    head = definitions.department_head_set(
        actor=actor_of(request), department_id=payload.department_id, user_id=payload.user_id
    )
    return {"department_id": head.department_id, "user_id": head.user_id}


# --- the applicant ------------------------------------------------------------------------------


class ApplicationIn(StrictInput):
    service_id: Id
    company_name: text(max_length=200) = ""  # type: ignore[valid-type]
    credit_code: text(max_length=40) = ""  # type: ignore[valid-type]
    fields: dict[str, Any] = {}


class CorrectionIn(StrictInput):
    company_name: text(max_length=200) = ""  # type: ignore[valid-type]
    credit_code: text(max_length=40) = ""  # type: ignore[valid-type]
    fields: dict[str, Any] = {}


def _data(request: HttpRequest, schema: type[StrictInput]) -> Any:
    """The JSON part of a submission: the body itself, or the multipart part `data` (with the
    files as parts named after the attachments)."""
    raw = request.body if request.content_type == "application/json" else request.POST.get("data")
    try:
        return schema.model_validate(json.loads(raw or "{}"))
    except ValueError as exc:
        errors = (
            [(".".join(map(str, e["loc"])) or "data", e["msg"]) for e in exc.errors()]
            if isinstance(exc, ValidationError)
            else [("data", "not valid JSON")]
        )
        raise services.FieldErrors(errors) from None


@router.post(
    "/applications",
    response={201: dict},
    summary="Submit an application once (multipart: `data` JSON and one part per attachment)",
)
def application_submit(request: HttpRequest) -> Status:
    data = _data(request, ApplicationIn)
    application = services.application_submit(
        actor=actor_of(request),
        service_id=data.service_id,
        company_name=data.company_name,
        credit_code=data.credit_code,
        fields=data.fields,
        uploads=request.FILES.dict(),
    )
    return Status(201, selectors.application_payload(application))


@router.get("/applications", response=list[dict], summary="My applications")
def application_list(request: HttpRequest) -> list[dict]:
    mine = selectors.applications_mine(actor=actor_of(request))
    return [selectors.application_payload(a, with_form=False) for a in mine]


@router.get("/applications/{application_id}", response=dict, summary="My application's progress")
def application_detail(request: HttpRequest, application_id: PathId) -> dict:
    application = services.application_own(actor=actor_of(request), application_id=application_id)
    return selectors.application_payload(application)


@router.post(
    "/applications/{application_id}/correction",
    response=dict,
    summary="Correct the fields a department named (multipart like the submission)",
)
def application_correct(request: HttpRequest, application_id: PathId) -> dict:
    data = _data(request, CorrectionIn)
    application = services.application_correct(
        actor=actor_of(request),
        application_id=application_id,
        company_name=data.company_name,
        credit_code=data.credit_code,
        fields=data.fields,
        uploads=request.FILES.dict(),
    )
    return selectors.application_payload(application)


# --- the departments ------------------------------------------------------------------------------


class DecisionIn(StrictInput):
    action: Literal["approve", "refuse", "return"]
    reason: text(max_length=500) = ""  # type: ignore[valid-type]
    fields: list[text(min_length=1, max_length=40)] = []  # type: ignore[valid-type]


@router.get("/inbox", response=list[dict], summary="My department's open steps, overdue first")
def inbox(request: HttpRequest) -> list[dict]:
    return [
        {
            **selectors.step_payload(step),
            "application_id": step.application_id,
            "reference": step.application.reference,
            "company_name": step.application.company_name,
            "service_en": step.application.service.name_en,
            "service_zh": step.application.service.name_zh,
            "escalated_to_me": step.escalated_to_id == request.user.pk,
        }
        for step in services.inbox_steps(actor=actor_of(request))
    ]


@router.get(
    "/inbox/{application_id}", response=dict, summary="An application my department decides"
)
def inbox_detail(request: HttpRequest, application_id: PathId) -> dict:
    application, step = services.application_for_decider(
        actor=actor_of(request), application_id=application_id
    )
    return {**selectors.application_payload(application), "my_step": step.pk}


@router.post(
    "/inbox/{application_id}/decision",
    response=dict,
    summary="Approve, refuse (reason) or return for correction (reason and fields)",
)
def decide(request: HttpRequest, application_id: PathId, payload: DecisionIn) -> dict:
    application = services.step_decide(
        actor=actor_of(request), application_id=application_id, **payload.dict()
    )
    return {
        "id": application.pk,
        "state": application.state,
        "current_stage": application.current_stage,
    }


# --- certificates and statistics ---------------------------------------------------------


class RevokeIn(StrictInput):
    reason: text(min_length=1, max_length=500)  # type: ignore[valid-type]


@router.post(
    "/applications/{application_id}/certificate/revoke",
    response=dict,
    summary="Revoke an issued certificate",
)
def certificate_revoke(request: HttpRequest, application_id: PathId, payload: RevokeIn) -> dict:
    certificate = services.certificate_revoke(
        actor=actor_of(request), application_id=application_id, reason=payload.reason
    )
    return {"serial": certificate.serial, "revoked_at": certificate.revoked_at.isoformat()}


@router.get(
    "/verify/{signed_serial}",
    auth=None,
    response={200: dict, 400: dict, 404: dict},
    summary="Verify a certificate (public): valid, revoked, unknown or forged",
)
def verify(request: HttpRequest, signed_serial: str) -> Status:
    answer = services.certificate_verify(signed_serial[:200])
    return Status({"forged": 400, "unknown": 404}.get(answer["status"], 200), answer)


@router.get(
    "/statistics",
    auth=None,
    response=dict,
    summary="Visits per approved application (public; goal: one)",
)
def statistics(request: HttpRequest) -> dict:
    return services.visit_statistics()
