"""Jurisdiction scoping in the data layer: `Model.objects.for_actor(actor, action)`.

A scoped model names the column that holds its area path (a materialised path of digits,
see geo) and, optionally, the column that holds its owning organisation. `for_actor` keeps
the rows inside the area subtrees (and organisations) that the actor's role assignments
granting `action` cover. Every selector and API list starts from it.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from crisisgov.kernel.actor import Actor
from crisisgov.kernel.permissions import Permission


class Under(models.Lookup):
    """`path__under="4201"`: the path equals or extends the prefix (an indexed range scan).

    Paths hold digits only. SQLite uses GLOB (case-sensitive, so its B-tree index applies);
    PostgreSQL uses LIKE, served by the `varchar_pattern_ops` index Django adds to indexed
    CharFields.
    """

    lookup_name = "under"

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, tuple[str, ...]]:
        prefix = str(value)
        if not prefix.isdigit():
            raise ValueError(f"an area path holds digits only, got {prefix!r}")
        wildcard = "*" if connection.vendor == "sqlite" else "%"
        return "%s", (prefix + wildcard,)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        operator = "GLOB" if connection.vendor == "sqlite" else "LIKE"
        return f"{lhs} {operator} {rhs}", (*lhs_params, *rhs_params)


def register_lookups() -> None:
    models.CharField.register_lookup(Under)


class ScopedQuerySet(models.QuerySet):
    def for_actor(self, actor: Actor, action: Permission | str) -> ScopedQuerySet:
        if actor.is_system:
            return self
        scopes = actor.scopes_for(action)
        if not scopes:
            return self.none()
        area_field = self.model.scope_area_path_field  # type: ignore[attr-defined]
        org_field = getattr(self.model, "scope_organisation_field", None)
        condition = Q()
        for scope in scopes:
            clause = Q(**{f"{area_field}__under": scope.area_path})
            if org_field and scope.organisation_id is not None:
                clause &= Q(**{org_field: scope.organisation_id})
            condition |= clause
        return self.filter(condition)


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    """Manager of every jurisdiction-scoped model."""
