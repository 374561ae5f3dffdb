"""Issuing the edge pass: the citizen pages call this endpoint to get (and refresh) the short-lived
cookie with which the surge edge (`crisisgov/edge/`) serves them without Django."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_http_methods

from crisisgov.citizen import edge_pass
from crisisgov.citizen.people import acting_for


@require_http_methods(["GET", "POST"])
def edge_pass_refresh(request: HttpRequest) -> JsonResponse:
    """Set a fresh edge pass for the signed-in account; 401 when nobody is signed in.

    The pass lists the residents the account may act for (itself, a family member it cares
    for) by person id and ID-number blind index; it carries no name and no number.
    """
    if not request.user.is_authenticated:
        response = JsonResponse({"detail": "sign in first"}, status=401)
        response.delete_cookie(edge_pass.COOKIE_NAME, path=edge_pass.COOKIE_PATH)
        return response
    residents = [(one.person_id, one.id_index) for one in acting_for(request.user)]
    now = time.time()
    text = edge_pass.pass_issue(
        key=edge_pass.pass_key(settings.SECRET_KEY),
        account_id=request.user.pk,
        residents=residents,
        now=now,
    )
    response = JsonResponse({"expires_in": edge_pass.LIFETIME_SECONDS, "residents": len(residents)})
    response.set_cookie(
        edge_pass.COOKIE_NAME,
        text,
        max_age=edge_pass.LIFETIME_SECONDS,
        path=edge_pass.COOKIE_PATH,
        secure=request.is_secure() or settings.PRODUCTION,
        httponly=True,
        samesite="Strict",
    )
    response["Cache-Control"] = "no-store"
    return response
