"""Outbox handlers of the dashboard: cached read models follow the data they summarise."""

from __future__ import annotations

from django.core.cache import cache

from crisisgov.dashboard.read_models import COUNTS_VERSION_KEY
from crisisgov.kernel.models import OutboxEvent
from crisisgov.kernel.outbox import event_handler


@event_handler("directory.person_changed")
@event_handler("directory.organisation_changed")
@event_handler("geo.area_changed")
def invalidate_area_counts(event: OutboxEvent) -> None:
    """Any change to residents, organisations or areas retires every cached count."""
    try:
        cache.incr(COUNTS_VERSION_KEY)
    except ValueError:  # no version yet: nothing is cached either
        cache.set(COUNTS_VERSION_KEY, 1, timeout=None)
