"""Resident pages: a grid worker's masked list of an area's residents, one resident's record
(whole only after choosing a purpose, and then the read is audited), and a citizen's own record
with the list of who read it. Residents are reached only through the directory facade."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crisisgov.dashboard import read_models
from crisisgov.directory import facade as directory
from crisisgov.kernel.http import actor_of, not_found_as_404
from crisisgov.kernel.schemas import MAX_OFFSET

PAGE_SIZE = 50


def _page_number(request: HttpRequest) -> int:
    """The requested page, clamped: a page past any real list is simply empty, never an error."""
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    return min(max(number, 1), MAX_OFFSET // PAGE_SIZE)


@require_GET
@login_required
@not_found_as_404
def area_people(request: HttpRequest, area_id: int) -> HttpResponse:
    actor = actor_of(request)
    page = read_models.area_page(actor=actor, area_id=area_id)
    if not actor.can_at(directory.DirectoryPermission.VIEW_PERSON, page.current.area.path):
        raise Http404(_("No residents you may see here."))
    number = _page_number(request)
    total, records = directory.person_page(
        actor=actor,
        area_path=page.current.area.path,
        offset=(number - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    context = {
        "page": page,
        "area": page.current,
        "people": records,
        "total": total,
        "page_number": number,
        "pages": pages,
        "previous_page": number - 1 if number > 1 else None,
        "next_page": number + 1 if number < pages else None,
    }
    return render(request, "dashboard/people.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@not_found_as_404
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    """GET shows the masked record; the whole one is a POST (CSRF-protected, never a link
    or a prefetch) naming the purpose, which the directory records and the resident sees."""
    actor = actor_of(request)
    purpose = request.POST.get("purpose", "") if request.method == "POST" else ""
    if purpose:
        if purpose not in dict(directory.read_purpose_choices()):
            raise Http404(_("Unknown purpose."))
        record = directory.person_read(actor=actor, person_id=person_id, purpose=purpose)
    else:
        record = directory.person_summary(actor=actor, person_id=person_id)
    offer_whole = record.masked and directory.may_read_whole_records(actor=actor)
    context = {
        "person": record,
        "purpose": directory.read_purpose_label(purpose) if not record.masked else "",
        "purposes": directory.read_purpose_choices() if offer_whole else (),
    }
    return render(request, "dashboard/person.html", context)


@require_GET
@login_required
@not_found_as_404
def my_record(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    reads = [
        {
            "at": datetime.fromisoformat(entry.at),
            "reader": entry.reader,
            "role": directory.role_label(entry.role),
            "organisation": entry.organisation,
            "purpose": directory.read_purpose_label(entry.purpose),
        }
        for entry in directory.my_access_log(actor=actor)
    ]
    context = {"person": directory.my_record(actor=actor), "reads": reads}
    return render(request, "dashboard/me.html", context)
