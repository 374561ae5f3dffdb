"""Public health-token endpoints for scanners: no login, no personal data."""

from __future__ import annotations

import json
from datetime import UTC

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from crisisgov.citizen import token_keys, tokens
from crisisgov.citizen.publishing import document_get


@require_GET
def keys_json(request: HttpRequest) -> JsonResponse:
    """Our issuer public keys as a JWKS document, for scanners and other regions."""
    response = JsonResponse(tokens.jwks_document(token_keys.public_keys()))
    response["Cache-Control"] = "public, max-age=300"
    return response


# Scanners post without a session or cookie; nothing here acts for a logged-in user.
@csrf_exempt
@require_POST
def verify(request: HttpRequest) -> JsonResponse:
    """{"token": ...} -> 200 with the status and its window, or 422 with the reason."""
    try:
        token = json.loads(request.body).get("token")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str):
        return _answer({"reason": "bad_request", "detail": 'expected {"token": "..."}'}, 400)
    try:
        claims = tokens.token_verify(token, keys=token_keys.verification_keys(), now=timezone.now())
    except tokens.TokenRefused as refused:
        return _answer({"reason": str(refused.reason), "detail": str(refused)}, 422)
    # The pseudonym stays out of the answer: a scanner needs to know the status, not whose.
    valid_until = claims.valid_until.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return _answer(
        {"status": claims.status, "valid_until": valid_until, "issuer": claims.issuer_region}
    )


def _answer(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    # An answer holds for this moment only, and the token in the request is a bearer pass.
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def published(request: HttpRequest, name: str) -> HttpResponse:
    """A published read model, as stored: the same bytes for everyone, cacheable, with ETag."""
    document = document_get(name)
    if document is None:
        raise Http404(name)
    etag = f'"{document.etag}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(document.body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=30"
    response["Last-Modified"] = document.published_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response
