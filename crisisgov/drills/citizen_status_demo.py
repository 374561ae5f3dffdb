"""The demo's health statuses: computed for every resident of the synthetic city from the
exchange demo's test results and case reports (run it after exchange_demo), with one
override confirmed by two officials (counted on /citizen/overrides/) and one appeal, filed by
a family member acting for an elderly resident, waiting on /citizen/staff/appeals/ for the
first district's officer. Idempotent: statuses are recomputed, nothing else is added twice."""

from __future__ import annotations

from crisisgov.citizen.facade import health_status_demo_ensure


def citizen_status_demo_ensure() -> list[str]:
    """Lines for the demo's console."""
    return health_status_demo_ensure()
