"""Hot-spot alarms: a topic growing far beyond its same-hour baseline in a district.

Every worker round (handlers.py) each (topic, district) series active in the last hour is
replayed through analysis/hotspots.py's detector: the same quarter-hour of the previous days
as the baseline, a Poisson tail plus a minimum count, windows of 1, 2 and 4 bins. A topic
younger than a day is judged against the floor (a new topic). One alarm stays live per topic
and area; the same burst growing updates it; a closed one is not raised again for that
burst. The alarm names its department: the owner of the known rumor most of its evidence
spreads (rumors' matches), else the department most of its evidence would be routed to. A new
alarm is published as the outbox event `opinion.alarm_raised` ({"alarm_id", "topic_id",
"area_path", "department"}) for whoever pushes it on (the department, the command centre);
the board shows every alarm of its areas, /opinion/alarms/ is each department's inbox.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from crisisgov.geo.facade import areas_for_paths
from crisisgov.kernel.actor import SYSTEM, Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound
from crisisgov.kernel.outbox import outbox_publish
from crisisgov.opinion import understanding as u
from crisisgov.opinion.analyser import BIN, bin_start
from crisisgov.opinion.models import AlarmState, HotspotAlarm, HotspotBin, Message
from crisisgov.opinion.permissions import OpinionPermission

P = OpinionPermission.VIEW_BOARD
EVIDENCE = 20


def hotspots_evaluate(*, now: dt.datetime | None = None) -> int:
    """Replay every (topic, area) series that counted messages in the last hour through the
    detector (its baseline needs the detector's history days before) and raise or update an
    alarm for each hot spot found in that hour. Returns how many alarms were raised or updated."""
    now = now or timezone.now()
    current = bin_start(now)
    since = current - dt.timedelta(hours=1)  # bins a stopped worker missed are caught up
    series = (
        HotspotBin.objects.filter(start__gte=since, start__lte=current)
        .exclude(area_path="")
        .values_list("topic_id", "area_path")
        .distinct()
    )
    changed = 0
    for topic_id, area_path in sorted(set(series)):
        counts = list(
            HotspotBin.objects.filter(
                topic_id=topic_id,
                area_path=area_path,
                start__gte=current - dt.timedelta(days=u.HISTORY_DAYS + 1),
                start__lte=current,
            )
            .order_by("start")
            .values_list("start", "count")
        )
        for found in u.hotspot_alarms(counts, since=since):
            changed += _alarm_raise(topic_id, area_path, found)
    return changed


def _alarm_raise(topic_id: int, area_path: str, found) -> int:  # type: ignore[no-untyped-def]
    evidence_rows = list(
        Message.objects.filter(
            topic_id=topic_id,
            area_path__under=area_path,
            posted_at__gte=found.window_start,
            posted_at__lt=found.bin_end,
        )
        .order_by("-posted_at", "-id")
        .values_list("id", "embedding", "duplicate_of_id")[:EVIDENCE]
    )
    evidence = [pk for pk, _, _ in evidence_rows]
    alarms = HotspotAlarm.objects.filter(topic_id=topic_id, area_path=area_path)
    with transaction.atomic():
        live = alarms.select_for_update().exclude(state=AlarmState.CLOSED).first()
        if live is not None:
            if (live.bin_start, live.observed) >= (found.bin_start, found.observed):
                return 0
            live.bin_start, live.observed = found.bin_start, found.observed
            live.expected, live.p_value = found.expected, found.p_value
            live.evidence = evidence
            live.save()
            return 1
        if alarms.filter(state=AlarmState.CLOSED, bin_start__gte=found.bin_start).exists():
            return 0  # closed by a person while this burst went on: not raised again
        area = areas_for_paths([area_path]).get(area_path)
        if area is None:
            return 0
        department = _department_of(evidence_rows)
        try:
            with transaction.atomic():
                alarm = HotspotAlarm.objects.create(
                    topic_id=topic_id,
                    area_id=area.id,
                    area_path=area_path,
                    bin_start=found.bin_start,
                    observed=found.observed,
                    expected=found.expected,
                    p_value=found.p_value,
                    new_topic=found.history_days == 0,
                    evidence=evidence,
                    department=department,
                )
        except IntegrityError:  # raised meanwhile by another worker
            return 0
        audit_record(
            actor=SYSTEM,
            action="opinion.alarm_raised",
            target_type="opinion.hotspot_alarm",
            target_id=alarm.pk,
            area_path=alarm.area_path,
            detail={
                "topic": topic_id,
                "observed": found.observed,
                "expected": round(found.expected, 3),
                "p_value": found.p_value,
                "department": alarm.department,
            },
        )
        outbox_publish(
            topic="opinion.alarm_raised",
            payload={
                "alarm_id": alarm.pk,
                "topic_id": topic_id,
                "area_path": alarm.area_path,
                "department": alarm.department,
            },
        )
    return 1


def _department_of(evidence_rows: list[tuple[int, bytes | None, int | None]]) -> str:
    """The owner of the known rumor most evidence messages spread (a duplicate counts by its
    original's match), else the department the evidence's texts would be routed to."""
    from crisisgov.opinion.rumors.facade import rumor_owners_of

    ids = {pk for pk, _, _ in evidence_rows}
    ids |= {original for _, _, original in evidence_rows if original}
    owners = rumor_owners_of(sorted(ids))
    if owners:
        return max(sorted(owners), key=lambda code: owners[code])
    vectors = [u.vector_from_bytes(e) for _, e, _ in evidence_rows if e]
    same_size = [v for v in vectors if len(v) == len(vectors[0])]
    return u.department_for(np.stack(same_size) if same_size else np.empty((0, 0)))


def alarm_set_state(*, actor: Actor, alarm_id: int, state: str, note: str = "") -> HotspotAlarm:
    """Acknowledge (someone is on it) or close an alarm of the actor's areas. Audited."""
    if state not in (AlarmState.ACKNOWLEDGED, AlarmState.CLOSED):
        raise DomainError("the state must be acknowledged or closed", field="state")
    note = (note or "").strip()
    if len(note) > 500:
        raise DomainError("the note is longer than 500 characters", field="note")
    with transaction.atomic():
        alarm = HotspotAlarm.objects.for_actor(actor, P).select_for_update().filter(pk=alarm_id)
        alarm = alarm.first()
        if alarm is None:
            raise NotFound("no such alarm", field="alarm_id")
        if alarm.state == AlarmState.CLOSED:
            raise Conflict("the alarm is closed", field="state")
        if alarm.state == state:
            return alarm
        alarm.state = state
        alarm.handled_by_id = actor.user_id
        alarm.handled_at = timezone.now()
        alarm.note = note or alarm.note
        alarm.save()
        audit_record(
            actor=actor,
            action=f"opinion.alarm_{state}",
            permission=P,
            target_type="opinion.hotspot_alarm",
            target_id=alarm.pk,
            area_path=alarm.area_path,
            detail={"note": note} if note else {},
        )
    return alarm


def alarm_trend(alarm: HotspotAlarm, *, hours: int = 24) -> list[tuple[dt.datetime, int]]:
    """(bin start, count) of the alarm's topic and area over the last `hours` up to its bin."""
    end = alarm.bin_start + BIN
    start = end - dt.timedelta(hours=hours)
    counts = defaultdict(int)
    for at, count in HotspotBin.objects.filter(
        topic_id=alarm.topic_id, area_path=alarm.area_path, start__gte=start, start__lt=end
    ).values_list("start", "count"):
        counts[at] += count
    return [(start + BIN * k, counts.get(start + BIN * k, 0)) for k in range(hours * 4)]
