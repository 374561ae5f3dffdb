"""The command-centre pages: the actor's areas as drill-down region maps with their figures.

Views are thin: they take the actor from the request, ask `read_models` and render. Scoping is
done by the geo facade; an area the actor may not see answers 404, as a missing one does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crisisgov.dashboard import read_models
from crisisgov.directory import facade as directory
from crisisgov.kernel.errors import NotFound
from crisisgov.kernel.http import actor_of, not_found_as_404

View = Callable[..., HttpResponse]


def json_endpoint(view: View) -> View:
    """Session-authenticated JSON: 401 for an anonymous caller, 404 for NotFound (no redirect
    to the login page, which a script fetching JSON could not use)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse(
                {"detail": [{"code": "not_authenticated", "message": _("Please log in.")}]},
                status=401,
            )
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            return JsonResponse(exc.as_dict(), status=404)

    return wrapper


def _area_url(area_id: int) -> str:
    return reverse("area", args=[area_id])


def _map_labels() -> dict[str, str]:
    """The words the map script shows, in the active language."""
    return {
        "population": _("Population"),
        "residents": _("Residents"),
        "households": _("Households"),
        "organisations": _("Organisations"),
        "no_outline": _("No outline has been drawn for this area yet."),
        "load_failed": _("The map could not be loaded. The table lists the same areas."),
    }


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The actor's own areas. With one (the usual case) the home page is that area's page."""
    actor = actor_of(request)
    roots = read_models.root_rows(actor=actor)
    if not roots and actor.can(directory.DirectoryPermission.VIEW_OWN_RECORD):
        return redirect("me")  # a citizen's home is their own record
    if len(roots) == 1:
        return redirect("area", area_id=roots[0].id)
    return render(
        request,
        "dashboard/home.html",
        {
            "roots": roots,
            "map_url": reverse("home-map"),
            "map_name": "roots",
            "map_labels": _map_labels(),
        },
    )


@require_GET
@login_required
@not_found_as_404
def area_detail(request: HttpRequest, area_id: int) -> HttpResponse:
    actor = actor_of(request)
    page = read_models.area_page(actor=actor, area_id=area_id)
    return render(
        request,
        "dashboard/area.html",
        {
            "page": page,
            "area": page.current,
            "can_list_people": actor.can_at(
                directory.DirectoryPermission.VIEW_PERSON, page.current.area.path
            ),
            "map_url": reverse("area-map", args=[area_id]),
            "map_name": f"area-{area_id}",
            "map_labels": _map_labels(),
        },
    )


@require_GET
@json_endpoint
def area_map(request: HttpRequest, area_id: int) -> HttpResponse:
    """GeoJSON FeatureCollection of the area's children (or the area itself for a leaf), with
    names in the active language, counts and page URLs in each feature's properties."""
    collection = read_models.area_map(actor=actor_of(request), area_id=area_id, url_for=_area_url)
    return JsonResponse(collection)


@require_GET
@json_endpoint
def home_map(request: HttpRequest) -> HttpResponse:
    collection = read_models.roots_map(actor=actor_of(request), url_for=_area_url)
    return JsonResponse(collection)
