"""The one JSON API: a router per app, OpenAPI at /api/docs.

Department systems authenticate with a bearer token of a service account; pages' scripts use
the session (with CSRF). Either way the caller acts with its role scopes.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from crisisgov.citizen.api import router as citizen_router
from crisisgov.citizen.approvals.api import router as approvals_router
from crisisgov.citizen.bulletins.api import router as bulletins_router
from crisisgov.citizen.queries.api import router as queries_router
from crisisgov.citizen.reservations.api import router as reservations_router
from crisisgov.directory.api import router as directory_router
from crisisgov.directory.facade import user_for_api_token
from crisisgov.earlywarning.api import router as earlywarning_router
from crisisgov.exchange.api import router as exchange_router
from crisisgov.geo.api import router as geo_router
from crisisgov.kernel.api import router as kernel_router
from crisisgov.kernel.errors import DomainError
from crisisgov.opinion.api import router as opinion_router
from crisisgov.opinion.rumors.api import router as opinion_rumors_router
from crisisgov.opinion.tickets.api import router as opinion_tickets_router


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> object | None:
        user = user_for_api_token(token)
        if user is not None:
            request.user = user
        return user


class SessionCookie(APIKeyCookie):
    """Session login (pages), CSRF-checked for unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> object | None:
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


api = NinjaAPI(
    title="CrisisGov API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), SessionCookie()],
    docs_url="/docs",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status_code)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = [
        {
            "code": error.get("type", "invalid"),
            "field": ".".join(
                str(part) for part in error.get("loc", ()) if part not in {"body", "payload"}
            ),
            "message": error.get("msg", "invalid value"),
        }
        for error in exc.errors
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(RequestDataTooBig)
def body_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    detail = {"code": "too_large", "field": "body", "message": "the request body is too large"}
    return api.create_response(request, {"detail": [detail]}, status=413)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals (an unparsable body, chiefly) in the same shape as ours."""
    unparsable = exc.message.startswith("Cannot parse request body")
    detail = {
        "code": "malformed" if unparsable else "bad_request",
        "field": "body" if unparsable else "",
        "message": "the request body is not valid JSON" if unparsable else exc.message,
    }
    return api.create_response(request, {"detail": [detail]}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = {"code": "unauthenticated", "message": "log in or send a valid bearer token"}
    return api.create_response(request, {"detail": [detail]}, status=401)


api.add_router("/kernel", kernel_router, tags=["kernel"])
api.add_router("/geo", geo_router, tags=["geo"])
api.add_router("/directory", directory_router, tags=["directory"])
api.add_router("/exchange", exchange_router, tags=["exchange"])
api.add_router("/earlywarning", earlywarning_router, tags=["earlywarning"])
api.add_router("/citizen", citizen_router, tags=["citizen"])
api.add_router("/citizen/queries", queries_router, tags=["citizen queries"])
api.add_router("/citizen/reservations", reservations_router, tags=["citizen reservations"])
api.add_router("/citizen/approvals", approvals_router, tags=["citizen approvals"])
api.add_router("/citizen/bulletins", bulletins_router, tags=["citizen bulletins"])
api.add_router("/opinion", opinion_router, tags=["opinion"])
api.add_router("/opinion/rumors", opinion_rumors_router, tags=["opinion rumors"])
api.add_router("/opinion/tickets", opinion_tickets_router, tags=["opinion tickets"])
