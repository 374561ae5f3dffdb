"""Sensor readings become hourly observations of their quantity: per area and local hour, the
mean of every reading of that area's sensors of the indicator. An hour is written once it is
closed (a sensor has reported in a later hour), so that an hour in progress does not add a
revision per batch; a late reading for a closed hour revises it (series' revisions)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import NamedTuple

from django.db import transaction
from django.db.models import Avg
from django.utils import timezone

from crisisgov.earlywarning.models import SensorReading
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import DomainError

logger = logging.getLogger(__name__)
HOUR = dt.timedelta(hours=1)


class SensorSeries(NamedTuple):
    """The series a sensor's readings feed: its indicator in its area."""

    indicator_id: int
    indicator_code: str
    area_id: int
    area_code: str


SensorHour = tuple[SensorSeries, dt.datetime]  # the series and the local hour's start


def hour_start(at: dt.datetime) -> dt.datetime:
    return timezone.localtime(at).replace(minute=0, second=0, microsecond=0)


def closed_hours(
    touched: Iterable[dt.datetime], *, before: dt.datetime | None, newest: dt.datetime
) -> set[dt.datetime]:
    """The hours a batch closed or changed, given the sensor's newest reading before the batch
    (its hour closes when the batch reaches a later one) and after it (its hour stays open)."""
    hours = {hour_start(at) for at in touched}
    if before is not None:
        hours.add(hour_start(before))
    open_hour = hour_start(newest)
    return {h for h in hours if h < open_hour}


def hourly_observations_record(hours: set[SensorHour]) -> int:
    """Write the mean of each hour as an observation (source `sensor`); returns how many were
    new or revised. A refusal (the sensor's area is not at the indicator's level) is logged,
    never allowed to stop the readings' own transaction."""
    from crisisgov.earlywarning.series import ObservationRow, observations_record

    rows = []
    for series, start in sorted(hours):
        mean = SensorReading.objects.filter(
            sensor__indicator_id=series.indicator_id,
            sensor__area_id=series.area_id,
            measured_at__gte=start,
            measured_at__lt=start + HOUR,
        ).aggregate(mean=Avg("value"))["mean"]
        if mean is not None:
            period = start.strftime("%Y-%m-%dT%H:00")
            rows.append(ObservationRow(series.indicator_code, series.area_code, period, mean))
    if not rows:
        return 0
    try:
        with transaction.atomic():  # a savepoint: a refusal leaves the batch's writes alone
            result = observations_record(actor=SYSTEM, rows=rows, source="sensor")
    except DomainError as refused:
        logger.warning("hourly sensor observations refused: %s", refused.message)
        return 0
    return result.created + result.revised
