"""Who is acting: a user with the scopes their role assignments grant.

The actor is passed explicitly to every service and selector (no global "current
jurisdiction"). It is built by the directory app and carried on the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crisisgov.kernel.permissions import Permission


@dataclass(frozen=True)
class Scope:
    """One role assignment: what it permits, and where."""

    role: str
    permissions: frozenset[str]
    area_path: str  # the area subtree it covers ("" would mean everywhere; never granted)
    organisation_id: int | None = None


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    scopes: tuple[Scope, ...] = ()
    person_id: int | None = None  # set for a citizen acting for themself
    is_system: bool = False  # management commands, workers, the drill simulator
    labels: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.is_system

    def scopes_for(self, permission: Permission | str) -> tuple[Scope, ...]:
        return tuple(s for s in self.scopes if str(permission) in s.permissions)

    def can(self, permission: Permission | str) -> bool:
        return self.is_system or bool(self.scopes_for(permission))

    def can_at(self, permission: Permission | str, area_path: str) -> bool:
        """True when some scope granting `permission` covers the area at `area_path`."""
        if self.is_system:
            return True
        return any(area_path.startswith(s.area_path) for s in self.scopes_for(permission))

    def scope_for(self, permission: Permission | str, area_path: str) -> Scope | None:
        """The role assignment that authorises `permission` at `area_path`.

        The first scope granting `permission` whose subtree holds `area_path`; for an action
        without an area (`area_path` empty), the first scope granting `permission` at all.
        """
        for scope in self.scopes_for(permission):
            if not area_path or area_path.startswith(scope.area_path):
                return scope
        return None

    @property
    def primary_scope(self) -> Scope | None:
        return self.scopes[0] if self.scopes else None


ANONYMOUS = Actor(user_id=None, username="anonymous")
SYSTEM = Actor(user_id=None, username="system", is_system=True)
