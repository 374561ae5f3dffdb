"""Online approval pages: the applicant's form and progress (mobile-first), the departments'
inbox, the staff's service editor, the printable certificate, and the public verification
and visit statistics."""

from __future__ import annotations

import datetime as dt
import json

import segno
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crisisgov.citizen.approvals import definitions, files, selectors, services
from crisisgov.citizen.approvals.models import Attachment, Service
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.kernel.errors import DomainError, NotFound
from crisisgov.kernel.http import actor_of, not_found_as_404


def _errors(error: DomainError) -> dict[str, str]:
    if isinstance(error, services.FieldErrors):
        return dict(error.errors)
    return {error.field or "form": error.message}


def _label(item: dict) -> str:
    return item["label_en"] if get_language() == "en" else item["label_zh"]


def _form_fields(definition: dict, values: dict, only: set[str] | None = None) -> list[dict]:
    return [
        {**spec, "label": _label(spec), "value": values.get(spec["name"], "")}
        for spec in definition["fields"]
        if only is None or spec["name"] in only
    ]


def _attachment_fields(definition: dict, only: set[str] | None = None) -> list[dict]:
    return [
        {
            **spec,
            "label": _label(spec),
            "accept": ",".join(files.CONTENT_TYPES[t] for t in spec["types"]),
            "max_mb": round(spec["max_bytes"] / 1024 / 1024, 1),
        }
        for spec in definition["attachments"]
        if only is None or spec["name"] in only
    ]


def _posted_fields(request: HttpRequest, definition: dict, only: set[str] | None = None) -> dict:
    """The form's values as the service expects them; an unticked box is an answer (no)."""
    values: dict[str, object] = {}
    for spec in definition["fields"]:
        name = spec["name"]
        if only is not None and name not in only:
            continue
        if spec["type"] == "boolean":
            values[name] = request.POST.get(f"field-{name}") == "yes"
        else:
            values[name] = request.POST.get(f"field-{name}", "")
    return values


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return render(
        request,
        "citizen_approvals/home.html",
        {
            "services": selectors.services_active(),
            "applications": selectors.applications_mine(actor=actor),
            "may_apply": actor.can(CitizenPermission.USE_SERVICES),
            "may_decide": bool(services.decider_departments(actor)),
            "may_manage": actor.can(CitizenPermission.MANAGE_SERVICES),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@not_found_as_404
def apply(request: HttpRequest, service_id: int) -> HttpResponse:
    """The one form: company, the service's fields and its attachments."""
    service = selectors.service_get(service_id)
    definition = definitions.service_current(service).definition
    values: dict = {}
    errors: dict[str, str] = {}
    company = {"company_name": "", "credit_code": ""}
    if request.method == "POST":
        values = _posted_fields(request, definition)
        company = {k: request.POST.get(k, "") for k in company}
        try:
            application = services.application_submit(
                actor=actor_of(request),
                service_id=service.pk,
                fields=values,
                uploads=request.FILES.dict(),
                **company,
            )
        except NotFound:
            raise
        except DomainError as error:
            errors = _errors(error)
        else:
            return redirect("citizen_approvals:progress", application_id=application.pk)
    return render(
        request,
        "citizen_approvals/apply.html",
        {
            "service": service,
            "fields": _form_fields(definition, values),
            "attachments": _attachment_fields(definition),
            "company": company,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
@not_found_as_404
def progress(request: HttpRequest, application_id: int) -> HttpResponse:
    """One page: each step, its department, state and due time; the correction form when the
    application was returned; the certificate when approved."""
    actor = actor_of(request)
    application = services.application_own(actor=actor, application_id=application_id)
    errors: dict[str, str] = {}
    named = set(application.correction_fields)
    if request.method == "POST":
        definition = application.version.definition
        try:
            services.application_correct(
                actor=actor,
                application_id=application.pk,
                company_name=request.POST.get("company_name") if "company_name" in named else "",
                credit_code=request.POST.get("credit_code") if "credit_code" in named else "",
                fields=_posted_fields(request, definition, named),
                uploads={k: v for k, v in request.FILES.dict().items() if k in named},
            )
        except NotFound:
            raise
        except DomainError as error:
            errors = _errors(error)
        else:
            return redirect("citizen_approvals:progress", application_id=application.pk)
    payload = selectors.application_payload(application)
    definition = application.version.definition
    return render(
        request,
        "citizen_approvals/progress.html",
        {
            "application": application,
            "payload": payload,
            "stages": _stages(payload["steps"]),
            "correction_fields": _form_fields(definition, application.form_data, named),
            "correction_attachments": _attachment_fields(definition, named),
            "correct_company": "company_name" in named,
            "correct_code": "credit_code" in named,
            "named_labels": _named_labels(definition, named),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


def _named_labels(definition: dict, named: set[str]) -> list[str]:
    labels = {"company_name": _("Company name"), "credit_code": _("Unified social credit code")}
    for spec in definition["fields"] + definition["attachments"]:
        labels[spec["name"]] = _label(spec)
    return [labels[n] for n in sorted(named) if n in labels]


def _shown(value: object) -> object:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


def _stages(steps: list[dict]) -> list[dict]:
    stages: dict[int, list[dict]] = {}
    for step in steps:
        step["department"] = (
            step["department_en"] if get_language() == "en" else step["department_zh"]
        )
        if step["due_at"]:
            due = timezone.localtime(dt.datetime.fromisoformat(step["due_at"]))
            step["due_local"] = f"{due:%Y-%m-%d %H:%M}"
        stages.setdefault(step["stage"], []).append(step)
    return [{"number": n, "steps": s, "parallel": len(s) > 1} for n, s in sorted(stages.items())]


def _verify_url(request: HttpRequest, signed: str) -> str:
    return request.build_absolute_uri(reverse("citizen_approvals:verify", args=[signed]))


@require_GET
@login_required
@not_found_as_404
def certificate(request: HttpRequest, application_id: int) -> HttpResponse:
    """The printable certificate with its QR code (inline SVG, no external request)."""
    application = services.application_own(actor=actor_of(request), application_id=application_id)
    payload = selectors.application_payload(application, with_form=False)
    if payload["certificate"] is None:
        raise Http404("no certificate yet")
    url = _verify_url(request, payload["certificate"]["signed_serial"])
    qr = segno.make(url, error="m").svg_inline(scale=4, title=_("Verification QR code"))
    return render(
        request,
        "citizen_approvals/certificate.html",
        {"application": application, "payload": payload, "qr": qr, "verify_url": url},
    )


@require_GET
@login_required
@not_found_as_404
def attachment(request: HttpRequest, application_id: int, attachment_id: int) -> HttpResponse:
    """An attachment, to its applicant or a department on the workflow; never public."""
    actor = actor_of(request)
    try:
        application = services.application_own(actor=actor, application_id=application_id)
    except NotFound:
        try:
            application, _step = services.application_for_decider(
                actor=actor, application_id=application_id
            )
        except DomainError as exc:
            raise NotFound("no such attachment") from exc
    item = Attachment.objects.filter(pk=attachment_id, application=application).first()
    if item is None:
        raise NotFound("no such attachment")
    response = FileResponse(
        files.path_of(item.stored_as).open("rb"),
        as_attachment=True,
        filename=item.filename,
        content_type=item.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- the departments ----------------------------------------------------------------------------


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    rows = services.inbox_steps(actor=actor)
    for step in rows:
        step.is_overdue = selectors.step_payload(step)["overdue"]
    return render(request, "citizen_approvals/inbox.html", {"steps": rows, "me": request.user.pk})


@require_http_methods(["GET", "POST"])
@login_required
@not_found_as_404
def review(request: HttpRequest, application_id: int) -> HttpResponse:
    """An application in the inbox: the form, the files, the steps, and the decision."""
    actor = actor_of(request)
    errors: dict[str, str] = {}
    try:
        application, step = services.application_for_decider(
            actor=actor, application_id=application_id
        )
    except NotFound:
        raise
    except DomainError as error:
        return render(
            request, "citizen_approvals/refused.html", {"reason": error.message}, status=403
        )
    if request.method == "POST":
        try:
            services.step_decide(
                actor=actor,
                application_id=application_id,
                action=request.POST.get("action", ""),
                reason=request.POST.get("reason", "")[:500],
                fields=request.POST.getlist("fields"),
            )
        except NotFound:
            raise
        except DomainError as error:
            errors = _errors(error)
        else:
            return redirect("citizen_approvals:inbox")
    payload = selectors.application_payload(application)
    definition = application.version.definition
    labels = {s["name"]: _label(s) for s in definition["fields"]}
    return render(
        request,
        "citizen_approvals/review.html",
        {
            "application": application,
            "payload": payload,
            "step": step,
            "stages": _stages(payload["steps"]),
            "values": [(labels.get(k, k), _shown(v)) for k, v in application.form_data.items()],
            "correctable": [
                ("company_name", _("Company name")),
                ("credit_code", _("Unified social credit code")),
            ]
            + [(s["name"], _label(s)) for s in definition["fields"] + definition["attachments"]],
            "errors": errors,
        },
        status=400 if errors else 200,
    )


# --- service definitions (staff) ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@not_found_as_404
def service_editor(request: HttpRequest, service_id: int | None = None) -> HttpResponse:
    """Create a service, or save a new version of one: names and the definition as JSON."""
    actor = actor_of(request)
    if not actor.can(CitizenPermission.MANAGE_SERVICES):
        raise NotFound("no such page")
    managed = Service.objects.for_actor(actor, CitizenPermission.MANAGE_SERVICES)
    service = None
    if service_id is not None:
        service = managed.filter(pk=service_id).first()
        if service is None:
            raise NotFound("no such service")
    errors: dict[str, str] = {}
    if service is not None:
        current = selectors.service_payload(service)
        form = {
            "slug": service.slug,
            "name_zh": service.name_zh,
            "name_en": service.name_en,
            "area_id": service.area_id,
            "definition": json.dumps(
                {k: current[k] for k in ("fields", "attachments", "stages")},
                ensure_ascii=False,
                indent=2,
            ),
        }
    else:
        form = {"slug": "", "name_zh": "", "name_en": "", "area_id": "", "definition": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form} | {
            "slug": form["slug"] or request.POST.get("slug", "")
        }
        try:
            try:
                definition = json.loads(form["definition"] or "{}")
            except ValueError:
                raise DomainError(
                    _("The definition is not valid JSON."), field="definition"
                ) from None
            if not isinstance(definition, dict):
                raise DomainError(_("The definition is a JSON object."), field="definition")
            area_id = int(form["area_id"]) if str(form["area_id"]).isdigit() else None
            version = definitions.service_define(
                actor=actor,
                name_zh=form["name_zh"].strip()[:200],
                name_en=form["name_en"].strip()[:200],
                definition=definition,
                area_id=area_id,
                slug=form["slug"],
                service_id=service.pk if service else None,
            )
        except NotFound as error:
            errors = {error.field or "form": error.message}
        except DomainError as error:
            errors = _errors(error)
        else:
            return redirect("citizen_approvals:service-edit", service_id=version.service_id)
    return render(
        request,
        "citizen_approvals/services.html",
        {
            "services": list(managed.order_by("name_en")),
            "service": service,
            "form": form,
            "errors": errors,
            "departments": _departments_hint(actor),
        },
        status=400 if errors else 200,
    )


def _departments_hint(actor) -> list:  # type: ignore[no-untyped-def]
    """The departments a definition may name: those under the actor's managed areas."""
    from crisisgov.directory.facade import organisations_of

    found = []
    for scope in actor.scopes_for(CitizenPermission.MANAGE_SERVICES):
        found += organisations_of(kind="department", under_path=scope.area_path)
    return found[:100]


# --- public: verification and statistics ----------------------------------------------------------


@require_GET
def verify(request: HttpRequest, signed: str) -> HttpResponse:
    """Anyone (no login) checks a certificate: valid, revoked, unknown or forged."""
    answer = services.certificate_verify(signed[:200])
    status = {"forged": 400, "unknown": 404}.get(answer["status"], 200)
    return render(request, "citizen_approvals/verify.html", {"answer": answer}, status=status)


@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """Visits per approved application (public): the average and the share with one."""
    stats = services.visit_statistics()
    if stats["share_one_visit"] is not None:
        stats["share_percent"] = round(stats["share_one_visit"] * 100, 1)
    for row in stats["by_service"]:
        row["share_percent"] = round(row["share_one_visit"] * 100, 1)
    return render(request, "citizen_approvals/statistics.html", {"stats": stats})
