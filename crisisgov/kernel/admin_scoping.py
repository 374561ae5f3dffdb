"""Django admin scoped like everything else: the lookup does the authorisation.

A `ScopedModelAdmin` shows only the rows `for_actor` returns for its view permission, and
allows changes only where the actor holds its change permission. It ignores Django's own
model permissions and never branches on is_superuser.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from crisisgov.kernel.http import actor_of


class ScopedModelAdmin(admin.ModelAdmin):
    view_permission: str = ""
    change_permission: str = ""  # empty: read-only in the admin

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.model.objects.for_actor(actor_of(request), self.view_permission)  # type: ignore[attr-defined]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return actor_of(request).can(self.view_permission)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return actor_of(request).can(self.view_permission)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self.change_permission:
            return False
        actor = actor_of(request)
        if obj is None:
            return actor.can(self.change_permission)
        path = getattr(obj, self.model.scope_area_path_field)  # type: ignore[attr-defined]
        return actor.can_at(self.change_permission, path)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # creation goes through services, which validate and audit

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
