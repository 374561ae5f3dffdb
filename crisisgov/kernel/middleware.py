"""Attach the acting `Actor` to every request; keep personal responses out of shared caches."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string

from crisisgov.kernel.actor import ANONYMOUS, Actor


def resolve_actor(request: HttpRequest) -> Actor:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    if not hasattr(request, "_cached_actor"):
        resolver = import_string(settings.CRISISGOV_ACTOR_RESOLVER)
        request._cached_actor = resolver(user)  # type: ignore[attr-defined]
    return request._cached_actor  # type: ignore[attr-defined]


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = SimpleLazyObject(lambda: resolve_actor(request))  # type: ignore[attr-defined]
        return self.get_response(request)


def _authenticated(request: HttpRequest) -> bool:
    """Whether the request acts for someone: a bearer token, or a logged-in session."""
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    session = getattr(request, "session", None)
    # Without a session cookie (and no login during this request, which writes the session)
    # nobody is logged in; asking request.user would read the session and add "Vary: Cookie"
    # to public responses that caches could otherwise share.
    if (
        session is not None
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not session.modified
    ):
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class PrivateResponsesMiddleware:
    """Responses to an authenticated request are marked `Cache-Control: private, no-store`.

    What one user may see must not be kept by a proxy, a CDN or a shared browser's cache and
    handed to the next caller. A view that sets its own Cache-Control has decided already.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and _authenticated(request):
            response["Cache-Control"] = "private, no-store"
        return response
