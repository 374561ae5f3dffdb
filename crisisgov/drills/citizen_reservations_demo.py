"""The demo's scarce-supply reservations: masks with a per-person quota, today's stock at the
synthetic city's pharmacies, a running reservation day (some reservations picked up) and an
open pre-order lottery window with entries. Idempotent."""

from __future__ import annotations

from crisisgov.citizen.reservations.facade import reservations_demo_ensure


def citizen_reservations_demo_ensure() -> list[str]:
    """Lines for the demo's console."""
    return reservations_demo_ensure()
