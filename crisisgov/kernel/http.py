"""Small typed helpers for views and API handlers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import cast

from django.http import Http404, HttpRequest, HttpResponse

from crisisgov.kernel.actor import Actor
from crisisgov.kernel.errors import NotFound

View = Callable[..., HttpResponse]


def actor_of(request: HttpRequest) -> Actor:
    """The acting Actor that ActorMiddleware attached to the request."""
    return cast(Actor, request.actor)  # type: ignore[attr-defined]


def not_found_as_404(view: View) -> View:
    """A page view's NotFound (missing or out of jurisdiction, the same) becomes the 404 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return wrapper


class IdConverter:
    """A database id of at most 18 digits: a longer number is no page (404), never an
    overflow in the database."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
