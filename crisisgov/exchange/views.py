"""Exchange pages: the catalogue (and its DCAT export), a dataset's page for its owner
(uploads, imports, agreements to decide, the read log), an import's live report, and the
consumer's request form and list of agreements.

Views are thin: the actor comes from the request, the selectors and services do the scoping
and the checks. A missing or forbidden object is the same 404; a refused request comes back
as the form with the message next to the field it names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import cache

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crisisgov.directory.facade import organisation_info
from crisisgov.exchange import agreements, dcat, opendata, selectors
from crisisgov.exchange.entryforms import reason_text
from crisisgov.exchange.imports import import_create
from crisisgov.exchange.models import (
    AgreementStatus,
    Dataset,
    ImportMode,
    ImportStatus,
    Purpose,
    RejectedRow,
)
from crisisgov.exchange.permissions import ExchangePermission
from crisisgov.exchange.readers import DEFAULT_LIMITS
from crisisgov.exchange.tableschema import TableSchema
from crisisgov.geo.facade import AreaInfo, area_info, areas_at_level
from crisisgov.kernel.errors import DomainError, NotFound
from crisisgov.kernel.http import actor_of, not_found_as_404

View = Callable[..., HttpResponse]
DEFAULT_AGREEMENT_DAYS = 90


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _organisation_names(ids: set[int]) -> dict[int, str]:
    names = {}
    for pk in ids:
        info = organisation_info(pk)
        names[pk] = (info.name_zh if _zh() else info.name_en) if info else "—"
    return names


def _area_name(area: AreaInfo | None) -> str:
    if area is None:
        return "—"
    return area.name_zh if _zh() else area.name_en


def _fields(schema_version) -> list:  # type: ignore[no-untyped-def]
    return list(TableSchema.from_descriptor(schema_version.descriptor).fields)


@require_GET
@login_required
@not_found_as_404
def catalogue(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    q = request.GET.get("q", "")[:100]
    datasets = list(selectors.catalogue_datasets(actor=actor, q=q))
    owners = _organisation_names({d.owner_id for d in datasets})
    areas = {pk: _area_name(area_info(pk)) for pk in {d.area_id for d in datasets}}
    managed = selectors.managed_dataset_ids(actor=actor)
    rows = [
        {
            "dataset": d,
            "owner": owners[d.owner_id],
            "area": areas[d.area_id],
            "manageable": d.pk in managed,
        }
        for d in datasets
    ]
    schemas = [{"schema": s, "fields": _fields(s)} for s in selectors.schema_versions()]
    context = {
        "q": q,
        "rows": rows,
        "schemas": schemas,
        "may_request": actor.can(ExchangePermission.REQUEST_ACCESS),
        "may_review": actor.can(ExchangePermission.REVIEW_LINKS),
    }
    return render(request, "exchange/catalogue.html", context)


@require_GET
@login_required
@not_found_as_404
def catalog_jsonld(request: HttpRequest) -> HttpResponse:
    datasets = selectors.catalogue_datasets(actor=actor_of(request))

    @cache  # one lookup per owner and per area, however many datasets they have
    def publisher(owner_id: int) -> tuple[str, str]:
        info = organisation_info(owner_id)
        return (info.name_zh, info.name_en) if info else ("", "")

    @cache
    def code(area_id: int) -> str:
        info = area_info(area_id)
        return info.code if info else ""

    document = dcat.catalog_jsonld(
        datasets,
        base_url=request.build_absolute_uri(reverse("exchange:catalogue")),
        publisher_name=publisher,
        area_code=code,
    )
    return JsonResponse(
        document,
        content_type="application/ld+json",
        json_dumps_params={"ensure_ascii": False},
    )


def dataset_context(request: HttpRequest, dataset: Dataset) -> dict:
    actor = actor_of(request)
    agreement_list = list(selectors.dataset_agreements(actor=actor, dataset_id=dataset.pk))
    names = _organisation_names({a.consumer_id for a in agreement_list})
    by_id = {str(a.pk): a for a in agreement_list}
    reads = []
    for entry in agreements.agreement_reads(actor=actor, dataset_id=dataset.pk):
        agreement = by_id.get(entry.target_id)
        reads.append(
            {
                "at": entry.at,
                "reader": entry.actor_username,
                "agreement": agreement,
                "consumer": names.get(agreement.consumer_id, "—") if agreement else "—",
                "purpose": Purpose(entry.purpose).label if entry.purpose in Purpose.values else "",
                "fields": ", ".join(entry.fields_read),
                "records": int(entry.detail.get("records", 0)),
            }
        )
    return {
        "dataset": dataset,
        "area": _area_name(area_info(dataset.area_id)),
        "imports": selectors.dataset_imports(actor=actor, dataset_id=dataset.pk)[:50],
        "agreements": [{"agreement": a, "consumer": names[a.consumer_id]} for a in agreement_list],
        "reads": reads,
        "modes": ImportMode.choices,
        "mode": request.POST.get("mode", ImportMode.ACCEPT_VALID),
        "errors": {},
        "publication": _publication(dataset),
    }


def _publication(dataset: Dataset) -> dict:
    """The open-data panel: what may be published, and as what."""
    schema = TableSchema.from_descriptor(dataset.schema.descriptor)
    return {
        "personal": bool(schema.personal_fields),
        "dimensions": [
            {"name": d, "checked": d in dataset.open_dimensions}
            for d in opendata.allowed_dimensions(schema)
        ],
    }


@require_http_methods(["GET", "POST"])
@login_required
@not_found_as_404
def dataset_detail(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """The owner's page. POST uploads a file (a queued import), then shows the import."""
    actor = actor_of(request)
    dataset = selectors.dataset_managed(actor=actor, dataset_id=dataset_id)
    if request.method == "GET":
        return render(request, "exchange/dataset.html", dataset_context(request, dataset))
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise DomainError("choose a file to upload", field="file")
        if upload.size and upload.size > DEFAULT_LIMITS.max_upload_bytes:
            raise DomainError("the file is larger than an import accepts", field="file")
        job = import_create(
            actor=actor,
            dataset_id=dataset.pk,
            upload=upload,
            filename=upload.name or "upload",
            mode=request.POST.get("mode", ""),
        )
    except NotFound:
        raise
    except DomainError as error:
        context = dataset_context(request, dataset)
        context["errors"] = {error.field or "file": error.message}
        return render(request, "exchange/dataset.html", context, status=400)
    return redirect("exchange:import", job_id=job.pk)


@require_POST
@login_required
@not_found_as_404
def agreement_decision(request: HttpRequest, agreement_id: int) -> HttpResponse:
    """The owner approves or refuses (with a reason) a pending request, from the dataset page."""
    actor = actor_of(request)
    agreement = selectors.agreement_owned(actor=actor, agreement_id=agreement_id)
    dataset = selectors.dataset_managed(actor=actor, dataset_id=agreement.dataset_id)
    try:
        agreements.agreement_decide(
            actor=actor,
            agreement_id=agreement.pk,
            approve=request.POST.get("decision") == "approve",
            reason=request.POST.get("reason", "")[:500],
        )
    except NotFound:
        raise
    except DomainError as error:
        context = dataset_context(request, dataset)
        for row in context["agreements"]:
            if row["agreement"].pk == agreement.pk:
                row["error"], row["error_field"] = error.message, error.field or "reason"
        return render(request, "exchange/dataset.html", context, status=400)
    return redirect(reverse("exchange:dataset", args=[dataset.pk]) + "#agreements")


@require_GET
@login_required
@not_found_as_404
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """An import's progress and report. While it runs, htmx asks for the status panel every
    second and swaps it in; the finished panel carries no trigger, so polling stops."""
    actor = actor_of(request)
    job = selectors.import_get(actor=actor, job_id=job_id)
    context = {
        "job": job,
        "running": job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
        "percent": round(job.progress * 100),
        "rejected": _in_page_language(
            selectors.import_rejected_rows(actor=actor, job_id=job.pk)[:500]
        ),
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "exchange/_import_status.html", context)
    return render(request, "exchange/import.html", context)


def _in_page_language(rows: Iterable[RejectedRow]) -> list[RejectedRow]:
    """The validator's reasons, translated where the entry forms know them."""
    rows = list(rows)
    for row in rows:
        shown = [e | {"reason": reason_text(e["reason"])} for e in row.errors]
        row.shown_errors = shown  # type: ignore[attr-defined]
    return rows


def _request_areas(dataset: Dataset) -> list[AreaInfo]:
    """The dataset's area and its direct children: where a consumer may ask to read."""
    own = area_info(dataset.area_id)
    if own is None:
        return []
    children = [a for a in areas_at_level(own.level + 1, under=own.path) if a.parent_id == own.id]
    return [own, *children]


@require_http_methods(["GET", "POST"])
@login_required
@not_found_as_404
def dataset_request(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """A consumer department asks the owner for purpose-bound access to some fields."""
    actor = actor_of(request)
    scopes = actor.scopes_for(ExchangePermission.REQUEST_ACCESS)
    consumer_ids = [s.organisation_id for s in scopes if s.organisation_id is not None]
    if not consumer_ids:
        raise Http404
    dataset = selectors.catalogue_dataset(actor=actor, dataset_id=dataset_id)
    areas = _request_areas(dataset)
    default_until = (timezone.localdate() + dt.timedelta(days=DEFAULT_AGREEMENT_DAYS)).isoformat()
    form = {
        "fields": request.POST.getlist("fields"),
        "purpose": request.POST.get("purpose", ""),
        "legal_basis": request.POST.get("legal_basis", ""),
        "area_id": request.POST.get("area_id", ""),
        "valid_until": request.POST.get("valid_until", default_until),
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            agreements.agreement_request(
                actor=actor,
                dataset_id=dataset.pk,
                consumer_id=consumer_ids[0],
                fields=form["fields"],
                purpose=form["purpose"],
                legal_basis=form["legal_basis"][:500],
                area_id=_int(form["area_id"], field="area_id"),
                valid_until=_end_of_day(form["valid_until"]),
            )
        except NotFound as error:
            if error.field == "dataset_id":
                raise
            errors[error.field or "fields"] = error.message
        except DomainError as error:
            errors[error.field or "fields"] = error.message
        else:
            return redirect("exchange:agreements")
    context = {
        "dataset": dataset,
        "fields": _fields(dataset.schema),
        "purposes": Purpose.choices,
        "areas": [{"id": a.id, "name": _area_name(a)} for a in areas],
        "form": form,
        "errors": errors,
        "consumer": _organisation_names({consumer_ids[0]})[consumer_ids[0]],
    }
    return render(request, "exchange/request.html", context, status=400 if errors else 200)


def _int(value: str, *, field: str) -> int:
    if not value.isdigit():
        raise DomainError("choose one", field=field)
    return int(value)


def _end_of_day(value: str) -> dt.datetime:
    """The agreement runs to the end of the chosen day, in the city's time zone."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise DomainError("give a date", field="valid_until") from exc
    end = dt.datetime.combine(day, dt.time(23, 59, 59))
    return timezone.make_aware(end)


@require_GET
@login_required
@not_found_as_404
def agreement_list(request: HttpRequest) -> HttpResponse:
    """The agreements the actor's organisation has asked for, with their status."""
    actor = actor_of(request)
    if not actor.can(ExchangePermission.REQUEST_ACCESS):
        raise Http404
    items = list(selectors.consumer_agreements(actor=actor))
    owners = _organisation_names({a.dataset.owner_id for a in items})
    rows = [
        {
            "agreement": a,
            "owner": owners[a.dataset.owner_id],
            "area": _area_name(area_info(a.area_id)),
            "expired": a.status == AgreementStatus.APPROVED and a.valid_until <= timezone.now(),
        }
        for a in items
    ]
    return render(request, "exchange/agreements.html", {"rows": rows})


# --- the master person index: the review queue ------------------------------------------------
# Imported here so that this section stays one insertion (others edit the top of the module).
from django.utils.translation import gettext_lazy as _  # noqa: E402

from crisisgov.exchange import mpi  # noqa: E402

COMPARISON_LABELS = {
    "name": _("name"),
    "date_of_birth": _("date of birth"),
    "phone": _("phone"),
    "address": _("address"),
    "id": _("ID number"),
}
LEVEL_LABELS = {
    "exact": _("exact"),
    "same reading": _("same reading"),
    "swapped": _("order swapped"),
    "one character": _("one character differs"),
    "same surname": _("same surname"),
    "different": _("different"),
    "missing": _("missing"),
    "day-month swapped": _("day and month swapped"),
    "one digit": _("one digit differs"),
    "same year": _("same year"),
    "same": _("same"),
    "same flat": _("same flat"),
    "same street": _("same street"),
    "same flat number": _("same flat number"),
    "same area": _("same area"),
}
KIND_LABELS = {
    "review": _("probable match"),
    "id_conflict": _("would join two ID numbers"),
    "id_mismatch": _("different ID numbers, all else agrees"),
}
# What a reviewing officer compares, masked: the rows of each side.
SIDE_FIELDS = {
    "name": _("name"),
    "national_id": _("ID number"),
    "phone": _("phone"),
    "birth_date": _("date of birth"),
    "age": _("age"),
    "sex": _("sex"),
    "area_code": _("area code"),
}


def _side_rows(left: mpi.RecordSide, right: mpi.RecordSide) -> list[tuple[str, list]]:
    """(label, [left value, right value]) for the fields either side has."""
    out = []
    for name, label in SIDE_FIELDS.items():
        values = [left.fields.get(name), right.fields.get(name)]
        if any(v not in (None, "") for v in values):
            out.append((label, ["—" if v in (None, "") else v for v in values]))
    return out


def _review_context(request: HttpRequest, errors: dict | None = None) -> dict:
    actor = actor_of(request)
    if not actor.can(ExchangePermission.REVIEW_LINKS):
        raise NotFound("no review queue for this account")
    rows = []
    for row in mpi.review_queue(actor=actor, limit=100):
        rows.append(
            {
                "item": row.item,
                "kind": KIND_LABELS.get(row.item.kind, row.item.kind),
                "percent": round(row.item.probability * 100),
                "sides": [row.left, row.right],
                "fields": _side_rows(row.left, row.right),
                "levels": [
                    (COMPARISON_LABELS.get(c, c), LEVEL_LABELS.get(level, level), level)
                    for c, level in row.item.levels
                ],
                "error": (errors or {}).get(row.item.pk),
            }
        )
    return {
        "rows": rows,
        "merges": mpi.merge_list(actor=actor, limit=50),
        "merge_errors": (errors or {}).get("merges", {}),
    }


@require_GET
@login_required
@not_found_as_404
def review_queue(request: HttpRequest) -> HttpResponse:
    """Pairs the linkage could not decide, side by side and masked, with the evidence."""
    return render(request, "exchange/review.html", _review_context(request))


@require_POST
@login_required
@not_found_as_404
def review_decision(request: HttpRequest, item_id: int) -> HttpResponse:
    """Merge or separate one pair; the reason is required."""
    actor = actor_of(request)
    decide = {"merge": mpi.review_merge, "separate": mpi.review_separate}.get(
        request.POST.get("decision", "")
    )
    try:
        if decide is None:
            raise DomainError("choose merge or separate", field="decision")
        decide(actor=actor, item_id=item_id, reason=request.POST.get("reason", "")[:1000])
    except NotFound:
        raise
    except DomainError as error:
        context = _review_context(request, {item_id: error.message})
        return render(request, "exchange/review.html", context, status=error.status_code)
    return redirect("exchange:review")


@require_POST
@login_required
@not_found_as_404
def review_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        mpi.merge_undo(actor=actor, merge_id=merge_id, reason=request.POST.get("reason", "")[:1000])
    except NotFound:
        raise
    except DomainError as error:
        context = _review_context(request, {"merges": {merge_id: error.message}})
        return render(request, "exchange/review.html", context, status=error.status_code)
    return redirect(reverse("exchange:review") + "#merges")
