"""What other apps (and the kernel's actor resolver) may use of directory."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from crisisgov.directory.permissions import DirectoryPermission
from crisisgov.directory.roles import ROLE_PERMISSIONS, Role
from crisisgov.kernel.actor import Actor, Scope

__all__ = ["DirectoryPermission", "Role", "actor_for_user", "user_for_api_token"]


def actor_for_user(user: Any) -> Actor:
    """The actor a logged-in user acts as: one scope per unexpired role assignment."""
    from crisisgov.directory.models import RoleAssignment

    now = timezone.now()
    scopes = []
    for assignment in RoleAssignment.objects.filter(user=user).order_by("id"):
        if assignment.expires_at and assignment.expires_at <= now:
            continue
        permissions = ROLE_PERMISSIONS.get(Role(assignment.role), frozenset())
        scopes.append(
            Scope(
                role=assignment.role,
                permissions=permissions,
                area_path=assignment.area_path,
                organisation_id=assignment.organisation_id,
            )
        )
    person_id = getattr(getattr(user, "person", None), "pk", None)
    return Actor(
        user_id=user.pk, username=user.get_username(), scopes=tuple(scopes), person_id=person_id
    )


def user_for_api_token(secret: str) -> Any | None:
    from crisisgov.directory.tokens import user_for_api_token as lookup

    return lookup(secret)


def counts_for_area_paths(paths: list[str]) -> dict:
    """Residents, households and organisations per area subtree: {path: AreaCounts}."""
    from crisisgov.directory.selectors import counts_for_area_paths as count

    return count(paths)


def role_label(role: str) -> str:
    """The role's display name in the active language (the raw value for an unknown role)."""
    from crisisgov.directory.roles import ROLE_LABELS

    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return role


def demo_accounts_ensure() -> list:
    from crisisgov.directory.demo import demo_accounts_ensure as ensure

    return ensure()


# Bulk writes for loaders such as the synthetic city (crisisgov/directory/bulk.py), and the
# ID-number scheme (GB 11643) they build numbers with.
from crisisgov.directory import idnumber  # noqa: E402
from crisisgov.directory.bulk import (  # noqa: E402
    PeopleInserted,
    directory_delete_under,
    households_and_people_bulk_insert,
    organisations_bulk_insert,
)

__all__ += [
    "PeopleInserted",
    "directory_delete_under",
    "households_and_people_bulk_insert",
    "idnumber",
    "organisations_bulk_insert",
]
