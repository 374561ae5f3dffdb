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


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest digit string of the same length above every extension of `prefix`.

    "990102" -> "990103", "990109" -> "990110"; an all-nines prefix has no bound (None).
    """
    if set(prefix) == {"9"}:
        return None
    return str(int(prefix) + 1).zfill(len(prefix))


class Under(models.Lookup):
    """`path__under="4201"`: the path equals or extends the prefix.

    Paths hold digits only, so "extends p" is the half-open range [p, p+1) of strings: two
    comparisons a plain B-tree index answers on SQLite and PostgreSQL alike, whatever the
    database collation (digit strings sort the same in all of them), and an index on
    (path, id) also yields rows in path order without a sort.
    """

    lookup_name = "under"

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, tuple[str, ...]]:
        prefix = str(value)
        if not prefix.isdigit() or not prefix.isascii():
            raise ValueError(f"an area path holds digits only, got {prefix!r}")
        upper = prefix_upper_bound(prefix)
        return "%s", (prefix,) if upper is None else (prefix, upper)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _, bounds = self.get_db_prep_lookup(self.rhs, connection)
        if len(bounds) == 1:
            return f"{lhs} >= %s", (*lhs_params, *bounds)
        return f"({lhs} >= %s AND {lhs} < %s)", (*lhs_params, bounds[0], *lhs_params, bounds[1])


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
