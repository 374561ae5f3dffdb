"""Worker sweeps of public opinion: the analysis of pending messages every round, hot-spot
alarms once a minute, topic labels every ten minutes, retention once an hour."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crisisgov.kernel.models import OutboxEvent
from crisisgov.kernel.outbox import event_handler, outbox_deliver_event, worker_sweep
from crisisgov.opinion.alarms import hotspots_evaluate
from crisisgov.opinion.analyser import messages_analyse
from crisisgov.opinion.services import messages_expire, topics_relabel

EVALUATE_EVERY = dt.timedelta(minutes=1)  # a bin is 15 minutes: a minute's delay is nothing
RELABEL_EVERY = dt.timedelta(minutes=10)
EXPIRE_EVERY = dt.timedelta(hours=1)
SWEEP_BATCHES = 20  # then the worker's other work gets its turn
_last: dict[str, dt.datetime] = {}


def _due(name: str, every: dt.timedelta) -> bool:
    now = timezone.now()
    if name in _last and now - _last[name] < every:
        return False
    _last[name] = now
    return True


@worker_sweep
def opinion_analyse() -> int:
    """Analyse pending messages batch by batch: the floor under `crisisgov opinion analyse`,
    which does it sooner (the worker may be busy with other sweeps)."""
    analysed = 0
    for _ in range(SWEEP_BATCHES):
        batch = messages_analyse(deliver_inline=True)
        if batch.event_id is None:
            break
        outbox_deliver_event(event_id=batch.event_id)
        analysed += len(batch.message_ids)
    return analysed


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


@event_handler("opinion.alarm_raised")
def alarm_to_command_centre(event: OutboxEvent) -> None:
    """Push a new hot-spot alarm into the command centre's alert inbox (early warning), beside
    the outbreak and sensor signals; the department finds it in its own alarm inbox."""
    from crisisgov.earlywarning.facade import opinion_alarm_raise
    from crisisgov.opinion.models import HotspotAlarm

    alarm_id = event.payload["alarm_id"]
    alarm = HotspotAlarm.objects.select_related("topic").filter(pk=alarm_id).first()
    if alarm is None:  # closed and deleted meanwhile
        return
    label_zh = (alarm.topic.label_zh or alarm.topic.label_en) if alarm.topic else ""
    label_en = (alarm.topic.label_en or alarm.topic.label_zh) if alarm.topic else ""
    opinion_alarm_raise(
        area_id=alarm.area_id,
        area_path=alarm.area_path,
        title_zh=f"舆情热点：{label_zh}（{alarm.observed} 条，预期 {alarm.expected:.1f}）",
        title_en=f"Public-opinion hot spot: {label_en} ({alarm.observed} vs {alarm.expected:.1f})",
        dedup_key=f"opinion:alarm:{alarm.pk}",
        detail={
            "alarm_id": alarm.pk,
            "department": alarm.department,
            "observed": alarm.observed,
            "expected": round(alarm.expected, 3),
            "p_value": alarm.p_value,
        },
    )
