"""What other apps (the drills, the dashboard) may use of the online approvals."""

from __future__ import annotations


def approvals_demo_prepare() -> list[str]:
    """The demo's service and applications (idempotent); lines for the console."""
    from crisisgov.citizen.approvals.demo import approvals_demo_prepare as prepare

    return prepare()


def visit_statistics() -> dict:
    """Visits per approved application: count, average, share with exactly one."""
    from crisisgov.citizen.approvals.services import visit_statistics as statistics

    return statistics()
