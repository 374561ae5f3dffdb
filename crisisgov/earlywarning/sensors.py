"""Field sensors: the registry, and what becomes of a reading published on the broker.

A reading is a small JSON object on `crisisgov/sensors/<code>`:
`{"value": 3.2, "measured_at": "2026-07-01T08:00:00+08:00", "unit": "m"}` (`measured_at` and
`unit` optional). `SensorIngestor` checks each one, keeps the good ones and stores them in
batches (one INSERT per batch, a repeated reading ignored), and raises the alarms of a batch in
the same transaction: above the high or below the low threshold, a change faster than
`max_rate_per_hour`, and (from the worker's sweep) a sensor that stopped reporting.

An alarm is raised when an episode starts (the reading before was not in that state), with
the episode's first reading in its dedup key: a continuing exceedance stays one alert, and a
batch replayed after a crash raises nothing new.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from django.db import connection, transaction
from django.utils import timezone

from crisisgov.earlywarning.alerting import alert_raise
from crisisgov.earlywarning.models import Indicator, IndicatorKind, Sensor, SensorReading
from crisisgov.earlywarning.permissions import EarlyWarningPermission
from crisisgov.earlywarning.sensor_hours import (
    SensorHour,
    SensorSeries,
    closed_hours,
    hourly_observations_record,
)
from crisisgov.geo.facade import area_for_actor
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import DomainError, NotFound

logger = logging.getLogger(__name__)

TOPIC_PREFIX = "crisisgov/sensors/"
MAX_MESSAGE_BYTES = 1024  # a reading is ~80 bytes; anything much larger is not one
MAX_CLOCK_AHEAD = dt.timedelta(minutes=5)  # a sensor clock this far ahead is wrong
SILENT_AFTER_INTERVALS = 2


class Rejection(StrEnum):
    """Why a message was not stored; each reason is counted."""

    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    NOT_AN_OBJECT = "not_an_object"
    BAD_VALUE = "bad_value"  # missing, not a number, NaN or infinite
    BAD_TIME = "bad_time"  # not ISO 8601 with an offset
    FUTURE = "future"
    UNKNOWN_FIELD = "unknown_field"
    UNKNOWN_SENSOR = "unknown_sensor"
    INACTIVE_SENSOR = "inactive_sensor"


class ReadingRejected(Exception):
    def __init__(self, reason: Rejection, message: str):
        super().__init__(message)
        self.reason = reason


class SensorState(StrEnum):
    OK = "ok"
    ABOVE = "above"
    BELOW = "below"
    SILENT = "silent"
    NEW = "new"  # registered, nothing heard yet


# --- the registry ------------------------------------------------------------------------------

SENSOR_FIELDS = (
    "name",
    "longitude",
    "latitude",
    "low_threshold",
    "high_threshold",
    "max_rate_per_hour",
    "interval_seconds",
    "active",
)


def _check_thresholds(sensor: Sensor) -> None:
    low, high = sensor.low_threshold, sensor.high_threshold
    if low is not None and high is not None and low >= high:
        raise DomainError("the low threshold must be below the high one", field="low_threshold")
    if sensor.max_rate_per_hour is not None and sensor.max_rate_per_hour <= 0:
        raise DomainError("the rate limit must be positive", field="max_rate_per_hour")
    if sensor.interval_seconds < 1:
        raise DomainError("the interval must be at least one second", field="interval_seconds")


def sensor_create(
    *, actor: Actor, code: str, indicator_code: str, area_id: int, **fields: object
) -> Sensor:
    """Register a sensor in an area the actor manages sensors of."""
    area = area_for_actor(
        actor=actor, area_id=area_id, action=EarlyWarningPermission.MANAGE_SENSORS
    )
    indicator = Indicator.objects.filter(code=indicator_code, kind=IndicatorKind.SENSOR).first()
    if indicator is None:
        raise DomainError("no such sensor quantity", field="indicator")
    if Sensor.objects.filter(code=code).exists():
        raise DomainError("a sensor with this code exists", field="code", code="duplicate")
    sensor = Sensor(code=code, indicator=indicator, area_id=area.id, area_path=area.path)
    for name in SENSOR_FIELDS:
        if name in fields:
            setattr(sensor, name, fields[name])
    _check_thresholds(sensor)
    with transaction.atomic():
        sensor.save()
        audit_record(
            actor=actor,
            action="earlywarning.sensor_created",
            target_type="earlywarning.sensor",
            target_id=sensor.pk,
            area_path=sensor.area_path,
            detail={"code": code, "indicator": indicator_code} | _settings_of(sensor),
            permission=EarlyWarningPermission.MANAGE_SENSORS,
        )
    return sensor


def _settings_of(sensor: Sensor) -> dict:
    return {name: getattr(sensor, name) for name in SENSOR_FIELDS}


def sensor_get(*, actor: Actor, sensor_id: int, action: str) -> Sensor:
    sensor = Sensor.objects.for_actor(actor, action).filter(pk=sensor_id).first()
    if sensor is None:
        raise NotFound("no such sensor")
    return sensor


def sensor_update(*, actor: Actor, sensor_id: int, **changes: object) -> Sensor:
    """Change a sensor's name, place, thresholds, interval or whether it is active."""
    with transaction.atomic():
        sensor = sensor_get(
            actor=actor, sensor_id=sensor_id, action=EarlyWarningPermission.MANAGE_SENSORS
        )
        before = _settings_of(sensor)
        for name, value in changes.items():
            if name not in SENSOR_FIELDS:
                raise DomainError("this field cannot be changed", field=name)
            setattr(sensor, name, value)
        _check_thresholds(sensor)
        changed = {k: [before[k], v] for k, v in _settings_of(sensor).items() if before[k] != v}
        if changed:
            sensor.save(update_fields=list(changed))
            audit_record(
                actor=actor,
                action="earlywarning.sensor_updated",
                target_type="earlywarning.sensor",
                target_id=sensor.pk,
                area_path=sensor.area_path,
                detail={"code": sensor.code, "changed": changed},
                permission=EarlyWarningPermission.MANAGE_SENSORS,
            )
    return sensor


def sensor_list(*, actor: Actor) -> list[Sensor]:
    """The sensors the actor may see, with their indicator (one query)."""
    return list(
        Sensor.objects.for_actor(actor, EarlyWarningPermission.VIEW_SIGNALS).select_related(
            "indicator"
        )
    )


def sensor_readings(*, actor: Actor, sensor_id: int, limit: int = 100) -> list[SensorReading]:
    """A sensor's most recent readings, newest first."""
    sensor = sensor_get(
        actor=actor, sensor_id=sensor_id, action=EarlyWarningPermission.VIEW_SIGNALS
    )
    return list(sensor.readings.order_by("-measured_at")[:limit])


def sensor_state(sensor: Sensor) -> SensorState:
    """What the board shows: silent beats a threshold, since the last value may be stale."""
    if sensor.silent:
        return SensorState.SILENT
    if sensor.last_value is None:
        return SensorState.NEW
    return _threshold_state(sensor.last_value, sensor.low_threshold, sensor.high_threshold)


def _threshold_state(value: float, low: float | None, high: float | None) -> SensorState:
    if high is not None and value > high:
        return SensorState.ABOVE
    if low is not None and value < low:
        return SensorState.BELOW
    return SensorState.OK


# --- readings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    sensor_code: str
    measured_at: dt.datetime
    value: float
    received_at: dt.datetime


def reading_parse(*, topic: str, payload: bytes, received_at: dt.datetime) -> Reading:
    """The reading in one broker message, or ReadingRejected naming why not. Does not look
    at the registry."""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise ReadingRejected(Rejection.TOO_LARGE, f"{len(payload)} bytes")
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReadingRejected(Rejection.NOT_JSON, str(exc)[:100]) from exc
    if not isinstance(data, dict):
        raise ReadingRejected(Rejection.NOT_AN_OBJECT, type(data).__name__)
    unknown = set(data) - {"value", "measured_at", "unit"}
    if unknown:
        raise ReadingRejected(Rejection.UNKNOWN_FIELD, ", ".join(sorted(unknown))[:100])
    value = data.get("value")
    # bool is an int in Python, but `true` is not a measurement.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ReadingRejected(Rejection.BAD_VALUE, repr(value)[:40])
    measured_at = received_at
    if "measured_at" in data:
        try:
            measured_at = dt.datetime.fromisoformat(data["measured_at"])
        except (TypeError, ValueError) as exc:
            raise ReadingRejected(Rejection.BAD_TIME, repr(data["measured_at"])[:40]) from exc
        if measured_at.tzinfo is None:
            raise ReadingRejected(Rejection.BAD_TIME, "no UTC offset")
        if measured_at > received_at + MAX_CLOCK_AHEAD:
            raise ReadingRejected(Rejection.FUTURE, measured_at.isoformat())
    return Reading(topic.removeprefix(TOPIC_PREFIX), measured_at, float(value), received_at)


@dataclass
class _Known:
    """What the ingestor remembers of a sensor between batches (reloaded after a failure)."""

    id: int
    code: str
    area_id: int
    area_path: str
    active: bool
    low: float | None
    high: float | None
    max_rate: float | None
    last_at: dt.datetime | None  # measured_at of the newest stored reading
    last_value: float | None
    rate_exceeded: bool  # the change into the newest reading was too fast
    # Feeds hourly observations when its area is at the level its indicator is reported at.
    hourly: SensorSeries | None = None


class SensorIngestor:
    """Checks readings against the registry and stores them in batches; one per listener."""

    def __init__(self) -> None:
        self.pending: list[Reading] = []
        self.rejected: Counter[str] = Counter()
        self.stored = 0
        self.alerts = 0
        self._known: dict[str, _Known | None] = {}

    def add(self, *, topic: str, payload: bytes, received_at: dt.datetime) -> Rejection | None:
        """Keep the reading for the next flush, or count and log why not."""
        try:
            reading = reading_parse(topic=topic, payload=payload, received_at=received_at)
            known = self._sensor(reading.sensor_code)
            if known is None:
                raise ReadingRejected(Rejection.UNKNOWN_SENSOR, reading.sensor_code[:60])
            if not known.active:
                raise ReadingRejected(Rejection.INACTIVE_SENSOR, known.code)
        except ReadingRejected as rejected:
            self.rejected[rejected.reason] += 1
            logger.warning(
                "sensor message on %s refused: %s (%s)", topic[:80], rejected.reason, rejected
            )
            return rejected.reason
        self.pending.append(reading)
        return None

    def _sensor(self, code: str) -> _Known | None:
        if code not in self._known:
            sensor = Sensor.objects.filter(code=code).select_related("indicator", "area").first()
            self._known[code] = _load(sensor) if sensor else None
        return self._known[code]

    def forget(self) -> None:
        """Reload the registry on the next message (a sensor added or changed)."""
        self._known.clear()

    def flush(self) -> int:
        """Store the pending readings and raise their alarms in one transaction."""
        if not self.pending:
            return 0
        batch, self.pending = self.pending, []
        try:
            with transaction.atomic():
                alerts, inserted = self._store(batch)
        except Exception:
            self.forget()  # what we remembered may be ahead of the database now
            self.pending = batch + self.pending
            raise
        self.stored += inserted  # a repeat of a stored reading is acknowledged, not counted
        self.alerts += alerts
        return inserted

    def _store(self, batch: list[Reading]) -> tuple[int, int]:
        by_code: dict[str, list[Reading]] = {}
        for reading in batch:
            by_code.setdefault(reading.sensor_code, []).append(reading)
        rows: list[tuple] = []
        adapt = connection.ops.adapt_datetimefield_value
        alerts = 0
        seen: dict[int, tuple[float | None, dt.datetime]] = {}
        hours: set[SensorHour] = set()
        for code, readings in by_code.items():
            known = self._known[code]
            assert known is not None  # add() let only registered sensors through
            readings.sort(key=lambda r: r.measured_at)
            before = known.last_at
            for r in readings:
                rows.append((known.id, adapt(r.measured_at), r.value, adapt(r.received_at)))
                # A late or repeated reading is stored (or ignored) but raises nothing.
                if known.last_at is None or r.measured_at > known.last_at:
                    alerts += _alarms(known, r)
                    known.last_at, known.last_value = r.measured_at, r.value
            seen[known.id] = (known.last_value, max(r.received_at for r in readings))
            if known.hourly is not None and known.last_at is not None:
                touched = (r.measured_at for r in readings)
                for start in closed_hours(touched, before=before, newest=known.last_at):
                    hours.add((known.hourly, start))
        inserted = _insert_ignoring_repeats(rows)
        for sensor_id, (value, received) in seen.items():
            Sensor.objects.filter(pk=sensor_id).update(
                last_value=value, last_seen_at=received, silent=False
            )
        if hours:
            hourly_observations_record(hours)
        return alerts, inserted


def _insert_ignoring_repeats(rows: list[tuple]) -> int:
    """One statement for the batch; returns how many rows were new. Plain SQL because the
    ORM's bulk_create spent three times as long preparing the values as the database took to
    insert them (measured here)."""
    table = SensorReading._meta.db_table
    columns = "(sensor_id, measured_at, value, received_at)"
    repeat = "ON CONFLICT (sensor_id, measured_at) DO NOTHING"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Four arrays, one round trip: executemany sends a statement per row.
            cursor.execute(
                f"INSERT INTO {table} {columns} SELECT * FROM unnest("  # noqa: S608
                f"%s::bigint[], %s::timestamptz[], %s::float8[], %s::timestamptz[]) {repeat}",
                [list(column) for column in zip(*rows, strict=True)],
            )
            return cursor.rowcount
        else:  # SQLite runs in-process: executemany is one prepared statement, no round trips
            cursor.executemany(
                f"INSERT INTO {table} {columns} VALUES (%s, %s, %s, %s) {repeat}",  # noqa: S608
                rows,
            )
            return cursor.rowcount


def _load(sensor: Sensor) -> _Known:
    newest = list(sensor.readings.order_by("-measured_at").values_list("measured_at", "value")[:2])
    rate_exceeded = False
    if len(newest) == 2 and sensor.max_rate_per_hour:
        rate_exceeded = _rate(newest[1], newest[0]) > sensor.max_rate_per_hour
    return _Known(
        id=sensor.pk,
        code=sensor.code,
        area_id=sensor.area_id,
        area_path=sensor.area_path,
        active=sensor.active,
        low=sensor.low_threshold,
        high=sensor.high_threshold,
        max_rate=sensor.max_rate_per_hour,
        last_at=newest[0][0] if newest else None,
        last_value=newest[0][1] if newest else None,
        rate_exceeded=rate_exceeded,
        hourly=SensorSeries(
            sensor.indicator_id, sensor.indicator.code, sensor.area_id, sensor.area.code
        )
        if sensor.area.level == sensor.indicator.area_level
        else None,
    )


def _rate(before: tuple[dt.datetime, float], after: tuple[dt.datetime, float]) -> float:
    hours = (after[0] - before[0]).total_seconds() / 3600
    return abs(after[1] - before[1]) / hours if hours > 0 else 0.0


ALARM_TITLES = {
    SensorState.ABOVE: ("{code} 超过上限 {limit}：{value}", "{code} above {limit}: {value}"),
    SensorState.BELOW: ("{code} 低于下限 {limit}：{value}", "{code} below {limit}: {value}"),
    "rate": ("{code} 变化过快：每小时 {value}", "{code} changing fast: {value} per hour"),
    SensorState.SILENT: ("{code} 未按时上报", "{code} has gone silent"),
}


def _raise(sensor: _Known | Sensor, kind: str, since: dt.datetime, **detail: object) -> int:
    zh, en = ALARM_TITLES[kind]
    words = {"code": sensor.code, "limit": detail.get("limit"), "value": detail.get("value")}
    _, created = alert_raise(
        source="sensor",
        kind=str(kind),
        area_id=sensor.area_id,
        area_path=sensor.area_path,
        title_zh=zh.format(**words),
        title_en=en.format(**words),
        dedup_key=f"sensor:{sensor.code}:{kind}:{since.isoformat()}",
        detail={"sensor": sensor.code, "since": since.isoformat()} | detail,
    )
    return int(created)


def _alarms(known: _Known, reading: Reading) -> int:
    """Alarms whose episode starts with `reading` (the newest reading so far)."""
    raised = 0
    state = _threshold_state(reading.value, known.low, known.high)
    before = (
        _threshold_state(known.last_value, known.low, known.high)
        if known.last_value is not None
        else SensorState.OK
    )
    if state != SensorState.OK and state != before:
        limit = known.high if state == SensorState.ABOVE else known.low
        raised += _raise(known, state, reading.measured_at, value=reading.value, limit=limit)
    if known.max_rate and known.last_at is not None and known.last_value is not None:
        rate = _rate((known.last_at, known.last_value), (reading.measured_at, reading.value))
        exceeded = rate > known.max_rate
        if exceeded and not known.rate_exceeded:
            raised += _raise(
                known, "rate", reading.measured_at, value=round(rate, 3), limit=known.max_rate
            )
        known.rate_exceeded = exceeded
    return raised


def sensors_silent_sweep(*, now: dt.datetime | None = None) -> int:
    """Mark sensors that missed twice their interval silent and raise one alert each; a new
    reading clears the mark (`SensorIngestor`). Returns how many went silent."""
    now = now or timezone.now()
    went_silent = 0
    candidates = Sensor.objects.filter(active=True, silent=False, last_seen_at__isnull=False)
    for sensor in candidates.only(
        "id", "code", "area_id", "area_path", "interval_seconds", "last_seen_at"
    ):
        limit = dt.timedelta(seconds=SILENT_AFTER_INTERVALS * sensor.interval_seconds)
        if sensor.last_seen_at is None or now - sensor.last_seen_at <= limit:
            continue
        with transaction.atomic():
            # Only if no reading arrived meanwhile (the listener runs in another process).
            marked = Sensor.objects.filter(
                pk=sensor.pk, silent=False, last_seen_at=sensor.last_seen_at
            ).update(silent=True)
            if marked:
                _raise(
                    sensor,
                    SensorState.SILENT,
                    sensor.last_seen_at,
                    last_seen_at=sensor.last_seen_at.isoformat(),
                    interval_seconds=sensor.interval_seconds,
                )
                went_silent += 1
    return went_silent
