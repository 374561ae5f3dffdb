"""Open data pages: the public list and CSV downloads, and the owner's publication form."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from crisisgov.exchange import opendata, selectors
from crisisgov.exchange.models import Dataset
from crisisgov.kernel.errors import DomainError, NotFound
from crisisgov.kernel.http import actor_of, not_found_as_404


@require_GET
def open_list(request: HttpRequest) -> HttpResponse:
    """Public: the datasets their owners published, with what each CSV holds."""
    datasets = Dataset.objects.filter(open=True).select_related("schema").order_by("area_path")
    rows = [{"dataset": d, "counts": bool(d.open_dimensions)} for d in datasets]
    return render(request, "exchange/open.html", {"rows": rows})


@require_GET
@not_found_as_404
def open_csv(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """Public: the published table as CSV, streamed (a stock dataset can be long)."""
    dataset = opendata.open_dataset(dataset_id)
    header, rows = opendata.open_table(dataset)
    response = StreamingHttpResponse(
        opendata.csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="dataset-{dataset.pk}.csv"'
    return response


@require_POST
@login_required
@not_found_as_404
def publication(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """The owner opens or closes a dataset, from its page."""
    actor = actor_of(request)
    dataset = selectors.dataset_managed(actor=actor, dataset_id=dataset_id)
    try:
        opendata.dataset_publish(
            actor=actor,
            dataset_id=dataset.pk,
            open=request.POST.get("open") == "1",
            dimensions=request.POST.getlist("dimensions"),
        )
    except NotFound:
        raise
    except DomainError as error:
        from crisisgov.exchange.views import dataset_context

        context = dataset_context(request, dataset)
        context["errors"] = {error.field or "dimensions": error.message}
        return render(request, "exchange/dataset.html", context, status=400)
    return redirect(reverse("exchange:dataset", args=[dataset.pk]) + "#open-data")
