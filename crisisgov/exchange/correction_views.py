"""The page where an uploader corrects a row an import held, and sends it again."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from crisisgov.exchange import corrections, selectors
from crisisgov.exchange.entryforms import reason_text
from crisisgov.exchange.tableschema import TableSchema
from crisisgov.kernel.errors import Conflict
from crisisgov.kernel.http import actor_of, not_found_as_404


@require_POST
@login_required
@not_found_as_404
def held_row(request: HttpRequest, job_id: int, row_id: int) -> HttpResponse:
    """POST `action=open` (from the import's report) shows the row as uploaded — a read of
    personal data, so a CSRF-protected POST that is audited, like every whole read —; POST
    `action=send` sends the corrected values."""
    actor = actor_of(request)
    job = selectors.import_get(actor=actor, job_id=job_id)
    row = selectors.import_rejected_rows(actor=actor, job_id=job.pk).filter(pk=row_id).first()
    if row is None or row.corrected_at is not None:
        return redirect("exchange:import", job_id=job.pk)
    schema = TableSchema.from_descriptor(job.dataset.schema.descriptor)
    errors: dict[str, str] = {}
    sent = request.POST.get("action") == "send"
    if sent:
        values = {spec.name: request.POST.get(spec.name, "") for spec in schema.fields}
        try:
            check = corrections.held_row_correct(
                actor=actor, row_id=row.pk, values=values, job_id=job.pk
            )
        except Conflict:
            return redirect("exchange:import", job_id=job.pk)
        if check.parts is not None:
            return redirect("exchange:import", job_id=job.pk)
        errors = {problem["field"]: reason_text(problem["reason"]) for problem in check.errors}
    else:
        values = corrections.held_row_values(actor=actor, row_id=row.pk, job_id=job.pk)
        errors = {e["field"]: reason_text(e["reason"]) for e in row.errors}
    zh = (get_language() or "").lower().startswith("zh")
    fields = [
        {
            "name": spec.name,
            "label": (spec.title_zh if zh else spec.title) or spec.name,
            "value": values.get(spec.name, ""),
            "error": errors.get(spec.name, ""),
        }
        for spec in schema.fields
    ]
    context = {"job": job, "row": row, "fields": fields, "errors": errors}
    return render(
        request, "exchange/held_row.html", context, status=400 if sent and errors else 200
    )
