"""Attach the acting `Actor` to every request, resolved once and lazily."""

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
