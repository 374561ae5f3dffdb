"""Reads of what the detectors and Rt made of the series: an area's detections, its Rt with
the 14-day projection and doubling time, and the signals overview of the districts an actor
watches. Every read starts from `objects.for_actor(actor, VIEW_SIGNALS)`."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Max, Q
from django.utils import timezone

from crisisgov.earlywarning.algorithms import rt
from crisisgov.earlywarning.detection import (
    PROJECTION_DAYS,
    RT_HISTORY_DAYS,
    RT_WINDOW,
    serial_interval,
)
from crisisgov.earlywarning.models import Alert, Detection, Observation, RtEstimate
from crisisgov.earlywarning.permissions import EarlyWarningPermission as W
from crisisgov.earlywarning.series import indicator_get, series_rollup
from crisisgov.earlywarning.series_periods import local_midnight, period_floor, periods_between
from crisisgov.geo.facade import AreaInfo, Level, area_for_actor, areas_at_level
from crisisgov.kernel.actor import Actor


def detections_for_area(
    *, actor: Actor, area_id: int, indicator_code: str, since: dt.date | None = None
) -> list[Detection]:
    """The detectors' verdicts on one area, oldest first, from `since` (default 90 days)."""
    indicator = indicator_get(indicator_code)
    area = area_for_actor(actor=actor, area_id=area_id, action=W.VIEW_SIGNALS)
    since = since or timezone.localdate() - dt.timedelta(days=89)
    return list(
        Detection.objects.for_actor(actor, W.VIEW_SIGNALS)
        .filter(config__indicator=indicator, area_id=area.id)
        .filter(period_start__gte=period_floor(since, indicator.resolution))
        .select_related("config")
        .order_by("period_start", "config__method")
    )


def detector_notes(indicator_code: str) -> list[tuple[str, str]]:
    """(method, why it produced nothing) of the indicator's detectors whose last run left a
    note, e.g. a series too short for it: shown, never a silent empty chart."""
    from crisisgov.earlywarning.models import DetectorConfig

    configs = DetectorConfig.objects.filter(indicator__code=indicator_code, active=True)
    return [(c.method, c.note) for c in configs.exclude(note="").order_by("method")]


@dataclass(frozen=True)
class Outlook:
    """Rt of an area, the next 14 days' projected incidence and the doubling time."""

    area: AreaInfo
    estimates: list[RtEstimate]
    projection: list[dict]  # {"date", "median", "low", "high"}
    doubling_days: float | None
    doubling_low: float | None
    doubling_high: float | None
    growth_rate: float | None


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def rt_outlook(
    *, actor: Actor, area_id: int, indicator_code: str = "confirmed-cases", as_of=None
) -> Outlook:
    """Stored Rt estimates of the area (the last 90 days), and from its rolled-up daily
    counts the projection (renewal equation, R drawn from the last window's posterior) and the
    doubling time of the last 14 days. Projection and doubling time are not stored."""
    indicator = indicator_get(indicator_code)
    area = area_for_actor(actor=actor, area_id=area_id, action=W.VIEW_SIGNALS)
    as_of = as_of or timezone.localdate()
    estimates = list(
        RtEstimate.objects.for_actor(actor, W.VIEW_SIGNALS)
        .filter(indicator=indicator, area_id=area.id, window_end__lte=as_of)
        .filter(window_end__gt=as_of - dt.timedelta(days=90))
        .order_by("window_end")
    )
    last = local_midnight(as_of)
    first = local_midnight(as_of - dt.timedelta(days=RT_HISTORY_DAYS - 1))
    values = series_rollup(actor=actor, indicator=indicator, area=area, first=first, last=last)
    days = periods_between(first, last, indicator.resolution)
    counts = np.array([[values.get(d, 0.0) for d in days]])
    projection, doubling = [], None
    if counts.sum() > 0:
        w = serial_interval(len(days))
        fit = rt.estimate_rt(counts, w, window=RT_WINDOW)
        ahead = rt.project_incidence(
            counts, w, fit.shape[:, -1], fit.scale[:, -1], days=PROJECTION_DAYS
        )
        for h in range(PROJECTION_DAYS):
            projection.append(
                {
                    "date": (as_of + dt.timedelta(days=h + 1)).isoformat(),
                    "median": _finite(ahead.median[0, h]),
                    "low": _finite(ahead.low[0, h]),
                    "high": _finite(ahead.high[0, h]),
                }
            )
        doubling = rt.doubling_time(counts, days=14)
    pick = (lambda name: _finite(getattr(doubling, name)[0])) if doubling else (lambda _: None)
    return Outlook(
        area=area,
        estimates=estimates,
        projection=projection,
        doubling_days=pick("days"),
        doubling_low=pick("days_low"),
        doubling_high=pick("days_high"),
        growth_rate=pick("rate"),
    )


@dataclass(frozen=True)
class DistrictSignals:
    area: AreaInfo
    latest: dict[str, float]  # indicator code -> yesterday's count
    alarms: int  # detector alarms in the last 7 days
    open_alerts: int
    rt: RtEstimate | None


def signals_overview(*, actor: Actor, as_of: dt.date | None = None) -> list[DistrictSignals]:
    """The districts the actor watches, each with yesterday's counts per indicator, the
    alarms of the last 7 days, its open detector alerts and its latest Rt (four queries)."""
    as_of = as_of or timezone.localdate()
    scopes = actor.scopes_for(W.VIEW_SIGNALS)
    if actor.is_system:
        districts = areas_at_level(Level.DISTRICT)
    else:
        districts = []
        for scope in scopes:
            if len(scope.area_path) <= 6:
                districts += areas_at_level(Level.DISTRICT, under=scope.area_path)
            else:  # a street's analyst: their district's row, restricted to their area below
                districts += [a for a in areas_at_level(Level.DISTRICT) if
                              scope.area_path.startswith(a.path)]  # fmt: skip
    districts = list({a.id: a for a in districts}.values())
    day = local_midnight(as_of - dt.timedelta(days=1))
    latest: dict[str, dict[str, float]] = {}
    observations = Observation.objects.for_actor(actor, W.VIEW_SIGNALS)
    for a in districts:
        latest[a.path] = {}
    rows = (
        observations.filter(current=True, period_start=day, indicator__resolution="day")
        .values_list("area_path", "indicator__code", "value")
        .order_by()
    )
    for path, code, value in rows:
        district = path[:6]
        if district in latest:
            latest[district][code] = latest[district].get(code, 0.0) + value
    week_ago = local_midnight(as_of - dt.timedelta(days=7))
    alarms = dict.fromkeys(latest, 0)
    for path, n in (
        Detection.objects.for_actor(actor, W.VIEW_SIGNALS)
        .filter(alarm=True, period_start__gte=week_ago)
        .values_list("area_path")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if path[:6] in alarms:
            alarms[path[:6]] += n
    open_alerts = dict.fromkeys(latest, 0)
    for path, n in (
        Alert.objects.for_actor(actor, W.VIEW_SIGNALS)
        .filter(source="detector", status="new")
        .values_list("area_path")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if path[:6] in open_alerts:
            open_alerts[path[:6]] += n
    newest = (
        RtEstimate.objects.for_actor(actor, W.VIEW_SIGNALS)
        .filter(area_path__in=list(latest), indicator__code="confirmed-cases")
        .values("area_path")
        .annotate(end=Max("window_end"))
    )
    ends = Q()
    for row in newest:
        ends |= Q(area_path=row["area_path"], window_end=row["end"])
    latest_rt = {}
    if newest:
        latest_rt = {
            r.area_path: r
            for r in RtEstimate.objects.filter(ends, indicator__code="confirmed-cases")
        }
    return [
        DistrictSignals(
            area=a,
            latest=latest[a.path],
            alarms=alarms[a.path],
            open_alerts=open_alerts[a.path],
            rt=latest_rt.get(a.path),
        )
        for a in sorted(districts, key=lambda a: a.path)
    ]
