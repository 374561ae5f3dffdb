"""Resident pages: a grid worker's masked list of an area's residents, one resident's record
(whole only after choosing a purpose, and then the read is audited), and a citizen's own record
with the list of who read it. Residents are reached only through the directory facade."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from crisisgov.dashboard import read_models
from crisisgov.dashboard.views import not_found_as_404
from crisisgov.directory import facade as directory
from crisisgov.kernel.http import actor_of

PAGE_SIZE = 50
PURPOSE_LABELS = {
    "epidemic_control": _("epidemic control"),
    "grid_management": _("grid management"),
    "relief": _("relief"),
    "service_request": _("service request"),
    "data_correction": _("data correction"),
}


@require_GET
@login_required
@not_found_as_404
def area_people(request: HttpRequest, area_id: int) -> HttpResponse:
    actor = actor_of(request)
    page = read_models.area_page(actor=actor, area_id=area_id)
    if not actor.can_at(directory.DirectoryPermission.VIEW_PERSON, page.current.area.path):
        raise Http404(_("No residents you may see here."))
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    total, records = directory.person_page(
        actor=actor,
        area_path=page.current.area.path,
        offset=(page_number - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "dashboard/people.html",
        {
            "page": page,
            "area": page.current,
            "people": records,
            "total": total,
            "page_number": page_number,
            "pages": pages,
            "previous_page": page_number - 1 if page_number > 1 else None,
            "next_page": page_number + 1 if page_number < pages else None,
        },
    )


@require_GET
@login_required
@not_found_as_404
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_of(request)
    purpose = request.GET.get("purpose", "")
    may_read_whole = actor.can(directory.DirectoryPermission.VIEW_PERSON_PII)
    if purpose and may_read_whole:
        if purpose not in PURPOSE_LABELS:
            raise Http404(_("Unknown purpose."))
        record = directory.person_read(actor=actor, person_id=person_id, purpose=purpose)
    else:
        record = directory.person_summary(actor=actor, person_id=person_id)
    return render(
        request,
        "dashboard/person.html",
        {
            "person": record,
            "purpose": PURPOSE_LABELS.get(purpose, "") if not record.masked else "",
            "purposes": PURPOSE_LABELS.items() if may_read_whole and record.masked else (),
        },
    )


@require_GET
@login_required
@not_found_as_404
def my_record(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return render(
        request,
        "dashboard/me.html",
        {
            "person": directory.my_record(actor=actor),
            "reads": [
                {
                    "at": datetime.fromisoformat(entry.at),
                    "reader": entry.reader,
                    "role": directory.role_label(entry.role),
                    "organisation": entry.organisation,
                    "purpose": PURPOSE_LABELS.get(entry.purpose, entry.purpose),
                }
                for entry in directory.my_access_log(actor=actor)
            ],
        },
    )
