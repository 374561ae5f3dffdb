"""Small typed helpers for views and API handlers."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest

from crisisgov.kernel.actor import Actor


def actor_of(request: HttpRequest) -> Actor:
    """The acting Actor that ActorMiddleware attached to the request."""
    return cast(Actor, request.actor)  # type: ignore[attr-defined]
