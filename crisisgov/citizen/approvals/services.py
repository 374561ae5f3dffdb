"""Applications and decisions: submit once, decide per department, stage after stage, correct
once, escalate what is overdue, issue and verify the certificate."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from crisisgov.citizen.approvals import creditcode, files
from crisisgov.citizen.approvals.definitions import service_current
from crisisgov.citizen.approvals.models import (
    Application,
    ApplicationState,
    Attachment,
    Certificate,
    DepartmentHead,
    Service,
    Step,
    StepState,
)
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.citizen.publishing import document_publish
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied

DECIDE = CitizenPermission.DECIDE_APPROVALS
SIGNER_SALT = "crisisgov.citizen.approvals.certificate"
STATS_DOCUMENT = "approvals-visits"


class FieldErrors(DomainError):
    """Several bad fields at once: the answer names each of them."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(errors[0][1], field=errors[0][0])
        self.errors = errors

    def as_dict(self) -> dict[str, object]:
        return {"detail": [{"code": self.code, "field": f, "message": m} for f, m in self.errors]}


# --- form values ----------------------------------------------------------------------------


def _value(spec: dict, raw: object) -> object:
    """The value of one form field in canonical form; ValueError says what is wrong."""
    kind = spec["type"]
    if kind == "text":
        if not isinstance(raw, str) or len(raw) > 1000:
            raise ValueError("text of at most 1000 characters")
        if any(ord(c) < 32 and c not in "\t\r\n" for c in raw):
            raise ValueError("control characters are not allowed")
        return raw.strip()
    if kind == "number":
        if isinstance(raw, bool):
            raise ValueError("a number")
        try:
            number = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError("a number") from None
        if not math.isfinite(number) or abs(number) > 1e12:
            raise ValueError("a finite number")
        return int(number) if number.is_integer() else number
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(raw)).isoformat()
        except ValueError:
            raise ValueError("a date as YYYY-MM-DD") from None
    if kind == "choice":
        if raw not in spec["choices"]:
            raise ValueError(f"one of {', '.join(spec['choices'])}")
        return raw
    if raw in (True, "true", "on", "1", "yes"):
        return True
    if raw in (False, "false", "off", "0", "no"):
        return False
    raise ValueError("true or false")


def _missing(value: object) -> bool:
    return value is None or value == ""


def _form_values(
    specs: list[dict], raw: Mapping[str, object], only: set[str] | None, errors: list
) -> dict:
    values: dict[str, object] = {}
    for spec in specs:
        name = spec["name"]
        if only is not None and name not in only:
            continue
        given = raw.get(name)
        if _missing(given):
            if spec["required"] or only is not None:
                errors.append((f"fields.{name}", "this field is required"))
            continue
        try:
            values[name] = _value(spec, given)
        except ValueError as exc:
            errors.append((f"fields.{name}", f"expected {exc}"))
            continue
        if values[name] == "" and spec["required"]:
            errors.append((f"fields.{name}", "this field is required"))
    known = {s["name"] for s in specs}
    errors.extend((f"fields.{n}", "no such field in this service") for n in raw if n not in known)
    return values


def _company(company_name: str | None, credit_code: str | None, errors: list) -> tuple[str, str]:
    name = (company_name or "").strip()
    if not name or len(name) > 200:
        errors.append(("company_name", "the company's name (1-200 characters) is required"))
    code = ""
    try:
        code = creditcode.validate(credit_code or "")
    except creditcode.CreditCodeError as exc:
        errors.append(("credit_code", str(exc)))
    return name, code


def _attachments(
    specs: list[dict], uploads: Mapping[str, UploadedFile], only: set[str] | None, errors: list
) -> list[tuple[dict, UploadedFile, str]]:
    checked = []
    for spec in specs:
        if only is not None and spec["name"] not in only:
            continue
        upload = uploads.get(spec["name"])
        if upload is None:
            if spec["required"] or only is not None:
                errors.append((f"attachments.{spec['name']}", "this attachment is required"))
            continue
        try:
            checked.append((spec, upload, files.check(upload, spec)))
        except DomainError as exc:
            errors.append((exc.field, exc.message))
    known = {s["name"] for s in specs}
    errors.extend(
        (f"attachments.{n}", "no such attachment in this service")
        for n in uploads
        if n not in known
    )
    return checked


def _save_attachments(application: Application, checked: list, written: list[Path]) -> None:
    """Store the files, noting each in `written` so that a caller whose transaction fails
    afterwards can delete them (no orphan files)."""
    for spec, upload, kind in checked:
        stored = files.store(upload, kind, application_id=application.pk)
        written.append(files.path_of(stored.stored_as))
        application.attachments.filter(name=spec["name"], current=True).update(current=False)
        Attachment.objects.create(
            application=application,
            name=spec["name"],
            filename=stored.filename,
            stored_as=stored.stored_as,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
        )


@contextmanager
def _files_kept_on_commit_only() -> Iterator[list[Path]]:
    """Files written inside the block are deleted if it raises (its transaction rolled back)."""
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _open_stage(application: Application, stage: int, now: dt.datetime) -> None:
    for step in application.steps.filter(stage=stage):
        step.state = StepState.PENDING
        step.opened_at = now
        step.due_at = now + dt.timedelta(hours=step.hours)
        step.save(update_fields=["state", "opened_at", "due_at"])
    application.current_stage = stage


# --- the applicant ----------------------------------------------------------------------------


def application_submit(
    *,
    actor: Actor,
    service_id: int,
    company_name: str | None,
    credit_code: str | None,
    fields: Mapping[str, object],
    uploads: Mapping[str, UploadedFile],
) -> Application:
    """File an application once: the form, the attachments, and stage 1 opens at once."""
    if not actor.can(CitizenPermission.USE_SERVICES) or actor.user_id is None:
        raise NotFound("no such service", field="service_id")
    service = Service.objects.filter(pk=service_id, active=True, current_version__gt=0).first()
    if service is None:
        raise NotFound("no such service", field="service_id")
    version = service_current(service)
    definition = version.definition
    errors: list[tuple[str, str]] = []
    name, code = _company(company_name, credit_code, errors)
    values = _form_values(definition["fields"], fields, None, errors)
    checked = _attachments(definition["attachments"], uploads, None, errors)
    if errors:
        raise FieldErrors(errors)
    now = timezone.now()
    with _files_kept_on_commit_only() as written, transaction.atomic():
        application = Application.objects.create(
            reference=f"SP{now:%Y%m%d}{secrets.token_hex(4).upper()}",
            service=service,
            version=version,
            applicant_id=actor.user_id,
            company_name=name,
            credit_code=code,
            form_data=values,
            area_path=service.area_path,
            submitted_at=now,
        )
        Step.objects.bulk_create(
            Step(
                application=application,
                stage=number,
                department_id=step["department_id"],
                department_path=_department_path(step["department_id"]),
                hours=step["hours"],
            )
            for number, stage in enumerate(definition["stages"], start=1)
            for step in stage
        )
        _open_stage(application, 1, now)
        application.save(update_fields=["current_stage"])
        _save_attachments(application, checked, written)
        audit_record(
            actor=actor,
            action="citizen_approvals.application_submitted",
            target_type="citizen_approvals.application",
            target_id=str(application.pk),
            area_path=application.area_path,
            detail={"service": service.slug, "version": version.number},
        )
    return application


def _department_path(department_id: int) -> str:
    from crisisgov.directory.facade import organisation_info

    org = organisation_info(department_id)
    return org.area_path if org else ""


def application_own(*, actor: Actor, application_id: int) -> Application:
    """The actor's own application (anyone else's is as missing)."""
    application = (
        Application.objects.select_related("service", "version")
        .filter(pk=application_id, applicant_id=actor.user_id)
        .first()
        if actor.user_id is not None
        else None
    )
    if application is None:
        raise NotFound("no such application")
    return application


def application_correct(
    *,
    actor: Actor,
    application_id: int,
    company_name: str | None = None,
    credit_code: str | None = None,
    fields: Mapping[str, object],
    uploads: Mapping[str, UploadedFile],
) -> Application:
    """The applicant's one correction round: only the fields the department named."""
    with _files_kept_on_commit_only() as written, transaction.atomic():
        application_own(actor=actor, application_id=application_id)
        application = Application.objects.select_for_update().get(pk=application_id)
        if application.state != ApplicationState.RETURNED:
            raise Conflict("the application is not waiting for a correction")
        named = set(application.correction_fields)
        definition = application.version.definition
        errors: list[tuple[str, str]] = []
        changes: dict[str, object] = {}
        for key, given in (("company_name", company_name), ("credit_code", credit_code)):
            if key in named and _missing(given):
                errors.append((key, "this field was named for correction"))
            elif not _missing(given) and key not in named:
                errors.append((key, "this field was not named for correction"))
        if "company_name" in named or "credit_code" in named:
            name, code = _company(
                company_name or application.company_name,
                credit_code or application.credit_code,
                errors,
            )
            changes.update(company_name=name, credit_code=code)
        for source, prefix in ((fields, "fields"), (uploads, "attachments")):
            for key in source:
                if key not in named:
                    errors.append((f"{prefix}.{key}", "this field was not named for correction"))
        values = _form_values(
            definition["fields"], {k: v for k, v in fields.items() if k in named}, named, errors
        )
        checked = _attachments(
            definition["attachments"],
            {k: v for k, v in uploads.items() if k in named},
            named,
            errors,
        )
        if errors:
            raise FieldErrors(errors)
        now = timezone.now()
        for key, value in changes.items():
            setattr(application, key, value)
        application.form_data = {**application.form_data, **values}
        application.state = ApplicationState.IN_REVIEW
        application.visits += 1  # the applicant had to come back once more
        application.correction_fields = []
        application.save()
        _save_attachments(application, checked, written)
        for step in application.steps.filter(state=StepState.RETURNED):
            step.state = StepState.PENDING
            step.opened_at = now
            step.due_at = now + dt.timedelta(hours=step.hours)
            step.overdue, step.escalated_at, step.escalated_to = False, None, None
            step.save()
        audit_record(
            actor=actor,
            action="citizen_approvals.application_corrected",
            target_type="citizen_approvals.application",
            target_id=str(application.pk),
            area_path=application.area_path,
            detail={"fields": sorted(named)},
        )
    return application


# --- the departments ----------------------------------------------------------------------------


def decider_departments(actor: Actor) -> set[int]:
    """The departments the actor decides for (organisation-bound scopes only)."""
    return {s.organisation_id for s in actor.scopes_for(DECIDE) if s.organisation_id}


def application_for_decider(*, actor: Actor, application_id: int) -> tuple[Application, Step]:
    """The application and the actor's department's step on it.

    Outside the actor's area it is missing (404); inside it, a department that is not on the
    workflow is refused with that reason (403).
    """
    application = (
        Application.objects.for_actor(actor, DECIDE)
        .select_related("service", "version")
        .filter(pk=application_id)
        .first()
    )
    if application is None or (not actor.is_system and not decider_departments(actor)):
        raise NotFound("no such application")
    step = application.steps.filter(department_id__in=decider_departments(actor)).first()
    if step is None:
        raise PermissionDenied(
            "your department is not on this application's workflow", code="not_on_workflow"
        )
    return application, step


class Decision:
    APPROVE = "approve"
    REFUSE = "refuse"
    RETURN = "return"
    ALL = (APPROVE, REFUSE, RETURN)


def step_decide(
    *,
    actor: Actor,
    application_id: int,
    action: str,
    reason: str = "",
    fields: list[str] | None = None,
) -> Application:
    """Approve, refuse (reason) or return for correction (reason, the fields to correct)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        _, mine = application_for_decider(actor=actor, application_id=application_id)
        application = Application.objects.select_for_update().get(pk=application_id)
        step = Step.objects.select_for_update().get(pk=mine.pk)
        if action not in Decision.ALL:
            raise DomainError("choose approve, refuse or return", field="action")
        if application.state == ApplicationState.RETURNED:
            raise Conflict("the application waits for the applicant's correction")
        if application.state != ApplicationState.IN_REVIEW:
            raise Conflict(f"the application is already {application.state}")
        if step.state == StepState.WAITING:
            raise Conflict(
                f"your step opens when stage {step.stage - 1} is complete", code="not_open"
            )
        if step.state != StepState.PENDING:
            raise Conflict(f"your department's step is already {step.state}")
        if action != Decision.APPROVE and not reason:
            raise DomainError("a reason is required", field="reason")
        now = timezone.now()
        if action == Decision.RETURN:
            _return(application, fields or [], reason)
        step.state = {
            Decision.APPROVE: StepState.APPROVED,
            Decision.REFUSE: StepState.REFUSED,
            Decision.RETURN: StepState.RETURNED,
        }[action]
        step.decided_at, step.decided_by_id, step.reason = now, actor.user_id, reason[:500]
        step.save()
        if action == Decision.REFUSE:
            application.state, application.decided_at = ApplicationState.REFUSED, now
            application.steps.filter(state__in=[StepState.PENDING, StepState.WAITING]).update(
                state=StepState.CANCELLED
            )
        elif action == Decision.APPROVE:
            _advance(application, now)
        application.save()
        audit_record(
            actor=actor,
            action=f"citizen_approvals.step_{step.state}",
            target_type="citizen_approvals.application",
            target_id=str(application.pk),
            area_path=application.area_path,
            detail={"step": step.pk, "department": step.department_id, "stage": step.stage},
        )
        if application.state == ApplicationState.APPROVED:
            _certificate_issue(application, now)
            transaction.on_commit(visit_statistics_publish)
    return application


def _return(application: Application, fields: list[str], reason: str) -> None:
    definition = application.version.definition
    allowed = {"company_name", "credit_code"} | {
        item["name"] for item in definition["fields"] + definition["attachments"]
    }
    if application.corrections_used >= 1:
        raise Conflict("the one correction round was used already", field="action")
    if not fields:
        raise DomainError("name the fields the applicant must correct", field="fields")
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise DomainError(f"no such field: {', '.join(unknown)}", field="fields")
    application.state = ApplicationState.RETURNED
    application.correction_fields = sorted(set(fields))
    application.correction_reason = reason[:500]
    application.corrections_used += 1


def _advance(application: Application, now: dt.datetime) -> None:
    stage = application.current_stage
    if application.steps.filter(stage=stage).exclude(state=StepState.APPROVED).exists():
        return
    if application.steps.filter(stage=stage + 1).exists():
        _open_stage(application, stage + 1, now)
    else:
        application.state, application.decided_at = ApplicationState.APPROVED, now


def _certificate_issue(application: Application, now: dt.datetime) -> Certificate:
    certificate = Certificate.objects.create(
        application=application, serial=f"C{application.reference}", issued_at=now
    )
    audit_record(
        actor=_system(),
        action="citizen_approvals.certificate_issued",
        target_type="citizen_approvals.application",
        target_id=str(application.pk),
        area_path=application.area_path,
        detail={"serial": certificate.serial},
    )
    return certificate


def _system() -> Actor:
    from crisisgov.kernel.actor import SYSTEM

    return SYSTEM


def inbox_steps(*, actor: Actor) -> list[Step]:
    """Open steps of the actor's departments, and those escalated to the actor: overdue first."""
    departments = decider_departments(actor)
    if not departments:
        return []
    steps = (
        Step.objects.for_actor(actor, DECIDE)
        .filter(
            Q(department_id__in=departments) | Q(escalated_to_id=actor.user_id),
            state__in=[StepState.PENDING, StepState.RETURNED],
            application__state__in=[ApplicationState.IN_REVIEW, ApplicationState.RETURNED],
        )
        .select_related("application__service", "department", "escalated_to")
        .order_by("-overdue", "due_at", "id")
    )
    return list(steps[:200])


# --- deadlines ----------------------------------------------------------------------------------


def steps_escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """Mark pending steps past their due time overdue and escalate them to the department's
    head (the officer flagged head; without one the step still shows overdue to the whole
    department). Returns how many steps were escalated."""
    now = now or timezone.now()
    due = Step.objects.filter(
        state=StepState.PENDING,
        due_at__lt=now,
        escalated_at__isnull=True,
        application__state=ApplicationState.IN_REVIEW,
    ).values_list("pk", flat=True)
    done = 0
    for step_id in list(due[:500]):
        with transaction.atomic():
            step = (
                Step.objects.select_for_update()
                .filter(pk=step_id, escalated_at__isnull=True, state=StepState.PENDING)
                .select_related("application")
                .first()
            )
            if step is None:
                continue
            head = DepartmentHead.objects.filter(department_id=step.department_id).first()
            step.overdue, step.escalated_at = True, now
            step.escalated_to_id = head.user_id if head else None
            step.save(update_fields=["overdue", "escalated_at", "escalated_to"])
            audit_record(
                actor=_system(),
                action="citizen_approvals.step_escalated",
                target_type="citizen_approvals.application",
                target_id=str(step.application_id),
                area_path=step.application.area_path,
                detail={
                    "step": step.pk,
                    "department": step.department_id,
                    "head": step.escalated_to_id,
                },
            )
            done += 1
    return done


# --- certificates --------------------------------------------------------------------------------


def signed_serial(serial: str) -> str:
    return signing.Signer(salt=SIGNER_SALT, sep=".").sign(serial)


def certificate_verify(signed: str) -> dict:
    """{"status": valid | revoked | unknown | forged, ...the minimal facts}."""
    try:
        serial = signing.Signer(salt=SIGNER_SALT, sep=".").unsign(signed)
    except signing.BadSignature:
        return {"status": "forged", "reason": "the serial's signature does not match"}
    certificate = (
        Certificate.objects.select_related("application__service").filter(serial=serial).first()
    )
    if certificate is None:
        return {"status": "unknown", "reason": "no certificate has this serial"}
    application = certificate.application
    facts = {
        "serial": serial,
        "service_zh": application.service.name_zh,
        "service_en": application.service.name_en,
        "company_name": application.company_name,
        "approved_on": timezone.localdate(certificate.issued_at).isoformat(),
    }
    if certificate.revoked_at:
        return {
            "status": "revoked",
            **facts,
            "revoked_on": timezone.localdate(certificate.revoked_at).isoformat(),
        }
    return {"status": "valid", **facts}


def certificate_revoke(*, actor: Actor, application_id: int, reason: str) -> Certificate:
    with transaction.atomic():
        application = (
            Application.objects.for_actor(actor, CitizenPermission.MANAGE_SERVICES)
            .filter(pk=application_id)
            .first()
        )
        certificate = (
            Certificate.objects.select_for_update().filter(application=application).first()
            if application
            else None
        )
        if certificate is None:
            raise NotFound("no such certificate")
        if not reason.strip():
            raise DomainError("a reason is required", field="reason")
        if certificate.revoked_at:
            raise Conflict("the certificate is already revoked")
        certificate.revoked_at, certificate.revoke_reason = timezone.now(), reason.strip()[:500]
        certificate.save(update_fields=["revoked_at", "revoke_reason"])
        audit_record(
            actor=actor,
            action="citizen_approvals.certificate_revoked",
            target_type="citizen_approvals.application",
            target_id=str(application_id),
            area_path=certificate.application.area_path,
            detail={"serial": certificate.serial},
        )
    return certificate


# --- visits -------------------------------------------------------------------------------


def visit_statistics() -> dict:
    """Visits per approved application: how often applicants had to act (goal: once)."""
    approved = Application.objects.filter(state=ApplicationState.APPROVED)
    totals = approved.aggregate(
        n=Count("id"), average=Avg("visits"), once=Count("id", filter=Q(visits=1))
    )
    n = totals["n"] or 0
    by_service = [
        {
            "service_zh": row["service__name_zh"],
            "service_en": row["service__name_en"],
            "approved": row["n"],
            "average_visits": round(row["average"], 2),
            "share_one_visit": round(row["once"] / row["n"], 3),
        }
        for row in approved.values("service__name_zh", "service__name_en")
        .annotate(n=Count("id"), average=Avg("visits"), once=Count("id", filter=Q(visits=1)))
        .order_by("service__name_en")
    ]
    return {
        "approved": n,
        "average_visits": round(totals["average"], 2) if n else None,
        "share_one_visit": round(totals["once"] / n, 3) if n else None,
        "by_service": by_service,
    }


def visit_statistics_publish() -> None:
    """Publish the statistic as open data (/citizen/published/approvals-visits.json)."""
    document_publish(STATS_DOCUMENT, visit_statistics())
