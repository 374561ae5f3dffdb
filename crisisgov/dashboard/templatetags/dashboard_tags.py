"""Template helpers for the page header."""

from __future__ import annotations

from django import template
from django.http import HttpRequest
from django.utils.translation import gettext

from crisisgov.directory import facade as directory

register = template.Library()


@register.simple_tag
def actor_roles(request: HttpRequest) -> str:
    """The acting user's roles in the active language, e.g. "网格员"."""
    actor = getattr(request, "actor", None)
    if actor is None:
        return ""
    labels: list[str] = []
    for scope in actor.scopes:
        label = directory.role_label(scope.role)
        if label not in labels:
            labels.append(label)
    # Translators: separates role names in the header; Chinese uses the enumeration comma.
    return gettext(", ").join(labels)
