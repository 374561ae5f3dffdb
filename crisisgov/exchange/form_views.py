"""Entry-form pages: the forms a user may fill, and one dataset's form.

A refused submission comes back as the same form with each message next to the field it
names and every typed value kept. A stored one redirects (so a reload sends nothing twice) to
the form again, with a confirmation, the sticky fields (area, report dates) filled in for the
next record, and the user's own entries of today, masked.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

from crisisgov.exchange import entryforms
from crisisgov.exchange.models import Record, RecordSource
from crisisgov.kernel.http import actor_of, not_found_as_404


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


@require_GET
@login_required
def form_list(request: HttpRequest) -> HttpResponse:
    """The entry forms the user may fill (empty for someone who may fill none)."""
    targets = entryforms.submittable_datasets(actor=actor_of(request))
    return render(request, "exchange/forms.html", {"targets": targets})


def _rows(fields: tuple, values: dict[str, str], errors: dict[str, str]) -> list[dict]:
    return [
        {
            "field": f,
            "value": values.get(f.name, ""),
            "error": errors.get(f.name, ""),
            "attrs": sorted(f.attrs.items()),
        }
        for f in fields
    ]


@require_http_methods(["GET", "POST"])
@login_required
@not_found_as_404
def entry_form(request: HttpRequest, dataset_id: int) -> HttpResponse:
    actor = actor_of(request)
    target = entryforms.submission_target(actor=actor, dataset_id=dataset_id)
    dataset = target.dataset
    schema = entryforms.compiled_schema(dataset)
    areas = entryforms.area_choices(entryforms.areas_of_paths(target.paths))
    fields = entryforms.build_form(schema, areas=areas)
    names = {f.name for f in fields}
    errors: dict[str, str] = {}
    other_errors: list[str] = []
    done = None
    if request.method == "POST":
        values = {f.name: request.POST.get(f.name, "") for f in fields}
        try:
            submitted = entryforms.record_submit(
                actor=actor, dataset_id=dataset.pk, values=values, via="form"
            )
        except entryforms.SubmissionRefused as refused:
            for error in refused.errors:
                # A composite natural key is named "a,b": show it at its first field.
                name = error.field.split(",")[0]
                if name in names:
                    errors.setdefault(name, error.message)
                else:
                    other_errors.append(f"{error.field}: {error.message}")
        else:
            sticky = {f.name: values[f.name] for f in fields if f.sticky and values[f.name]}
            query = urlencode({"submitted": submitted.record_id, "outcome": submitted.outcome})
            url = reverse("exchange:entry-form", args=[dataset.pk])
            return redirect(f"{url}?{query}&{urlencode(sticky)}#confirmation")
    else:
        values = {f.name: request.GET.get(f.name, "")[:100] for f in fields if f.sticky}
        record_id = request.GET.get("submitted", "")
        # Only the user's own entry of this dataset is confirmed (an id in a URL proves nothing).
        own = Record.objects.filter(
            dataset=dataset, source=RecordSource.FORM, submitted_by_id=actor.user_id
        )
        if record_id.isdigit() and len(record_id) <= 18 and own.filter(pk=int(record_id)).exists():
            done = request.GET.get("outcome", "created")
    context = {
        "dataset": dataset,
        "dataset_name": dataset.name_zh if _zh() else dataset.name_en,
        "standard_title": (schema.title_zh or schema.title) if _zh() else schema.title,
        "rows": _rows(fields, values, errors),
        "errors": errors,
        "other_errors": other_errors,
        "done": done,
        "recent": entryforms.submissions_today(actor=actor, dataset=dataset),
    }
    status = 400 if errors or other_errors else 200
    return render(request, "exchange/form.html", context, status=status)
