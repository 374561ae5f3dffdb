"""What other apps may use of the citizen services."""

from crisisgov.citizen.permissions import CitizenPermission

__all__ = ["CitizenPermission"]
