"""Worker sweeps of public opinion: hot-spot alarms once a minute, topic labels every ten
minutes, retention once an hour."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crisisgov.kernel.outbox import worker_sweep
from crisisgov.opinion.alarms import hotspots_evaluate
from crisisgov.opinion.services import messages_expire, topics_relabel

EVALUATE_EVERY = dt.timedelta(minutes=1)  # a bin is 15 minutes: a minute's delay is nothing
RELABEL_EVERY = dt.timedelta(minutes=10)
EXPIRE_EVERY = dt.timedelta(hours=1)
_last: dict[str, dt.datetime] = {}


def _due(name: str, every: dt.timedelta) -> bool:
    now = timezone.now()
    if name in _last and now - _last[name] < every:
        return False
    _last[name] = now
    return True


@worker_sweep
def opinion_hotspots() -> int:
    """Replay the series active in the last hour; raise or update hot-spot alarms."""
    return hotspots_evaluate() if _due("hotspots", EVALUATE_EVERY) else 0


@worker_sweep
def opinion_retention() -> int:
    """Delete the messages whose retention ended."""
    return messages_expire() if _due("retention", EXPIRE_EVERY) else 0


@worker_sweep
def opinion_topic_labels() -> int:
    """Relabel the topics of the last day by class-based TF-IDF."""
    return topics_relabel() if _due("labels", RELABEL_EVERY) else 0
