"""What other apps may use of the citizen services."""

from crisisgov.citizen.permissions import CitizenPermission

__all__ = ["CitizenPermission"]


# Whom an account may act for (its own resident, and residents it has an active delegation for).
from crisisgov.citizen.people import ActingFor, acting_for, may_act_for  # noqa: E402

__all__ += ["ActingFor", "acting_for", "may_act_for"]


def health_status_demo_ensure() -> list[str]:
    """For drills: statuses of every resident, one confirmed override, one pending appeal."""
    from crisisgov.citizen.status_demo import status_demo_ensure

    return status_demo_ensure()


def health_statuses_compute(area_path: str = "") -> int:
    """Recompute the health status of every resident under `area_path` (all when empty)."""
    from crisisgov.citizen.status import statuses_compute_under

    return statuses_compute_under(area_path)
