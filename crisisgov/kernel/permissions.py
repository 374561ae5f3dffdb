"""Permissions are enums declared by each app; this module holds the shared base.

A permission value is "<app>.<verb>_<noun>", e.g. "geo.view_area". Roles (declared in the
directory app) grant sets of them; endpoints name the one they need.
"""

from enum import StrEnum


class Permission(StrEnum):
    """Base class for every app's permission enum."""


class KernelPermission(Permission):
    VIEW_AUDIT = "kernel.view_audit"
    VERIFY_AUDIT = "kernel.verify_audit"
