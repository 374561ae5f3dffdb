"""What other apps (the drills, the citizen root, the surge edge's helpers) may use of the
reservations. The store itself (`crisisgov.citizen.reservations.store`) is pure and may be
imported directly by the edge."""

from __future__ import annotations


def reservations_demo_ensure() -> list[str]:
    """For drills: masks, today's stock at the pharmacies, a running reservation day and an
    open lottery window with entries. Idempotent."""
    from crisisgov.citizen.reservations.demo import reservations_demo_ensure as ensure

    return ensure()


def stock_document_publish() -> int:
    """Republish the `stock` document now (1 when it changed)."""
    from crisisgov.citizen.reservations.publishing import stock_publish_if_changed

    return stock_publish_if_changed(force=True)


def reservations_drain() -> int:
    """Redis mode: write every accepted reservation to the database now (tests, benchmarks)."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return 0
    from crisisgov.citizen.reservations.writebehind import writebehind_drain

    return writebehind_drain()


__all__ = ["reservations_demo_ensure", "reservations_drain", "stock_document_publish"]
