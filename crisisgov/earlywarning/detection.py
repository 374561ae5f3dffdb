"""Detection and Rt runs: the stored series through the pure algorithms, results stored per
area and period, alarms raised as alerts; and the daily evaluation that reruns them when new
observations arrived.

The serial interval of the Rt runs is a Gamma of mean 4.7 and standard deviation 2.9 days:
Nishiura, Linton & Akhmetzhanov (2020), "Serial interval of novel coronavirus (COVID-19)
infections", Int J Infect Dis 93:284-286, the values EpiEstim's COVID-19 examples use.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from crisisgov.earlywarning.alerting import alert_raise
from crisisgov.earlywarning.algorithms import rt
from crisisgov.earlywarning.algorithms.detectors_options import OptionError, run_detector
from crisisgov.earlywarning.models import (
    Detection,
    DetectorConfig,
    Indicator,
    Observation,
    Resolution,
    RtEstimate,
)
from crisisgov.earlywarning.series import indicators_ensure, observations_newer_than, series_matrix
from crisisgov.earlywarning.series_periods import period_floor, period_label, periods_between
from crisisgov.geo.facade import Level, areas_for_paths

SERIAL_INTERVAL_MEAN = 4.7  # days; Nishiura et al. 2020 (see above)
SERIAL_INTERVAL_SD = 2.9
RT_WINDOW = 7  # days, EpiEstim's default weekly window
RT_HISTORY_DAYS = 180  # the series an Rt run reads; older cases no longer infect anyone
RT_STORE_DAYS = 120  # windows kept per run (the page shows the last 90 days)
PROJECTION_DAYS = 14
# How far back a detection run reads: enough for the longest default baseline (Farrington on
# weekly counts: 5 years), bounded so a daily run stays small.
HISTORY = {
    Resolution.DAY: dt.timedelta(days=400),
    Resolution.WEEK: dt.timedelta(weeks=6 * 53),
    Resolution.HOUR: dt.timedelta(days=30),
}
STORE_PERIODS = 120  # detections kept per run: the last 120 periods
ALERT_PERIODS = 7  # alarms in the last 7 periods raise alerts (the dedup key keeps them once)
DETECTION_LEVEL = Level.DISTRICT  # the daily evaluation runs per district
RT_INDICATORS = ("confirmed-cases",)


@dataclass
class RunResult:
    stored: int = 0
    alarms: int = 0
    alerts: int = 0
    notes: list[str] = field(default_factory=list)


def _number(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def _matrix(
    indicator: Indicator, area_level: int, first: dt.datetime, last: dt.datetime
) -> tuple[list[str], list[dt.datetime], np.ndarray]:
    """Areas (paths) x periods; a missing count is 0, a missing measurement NaN."""
    by_area = series_matrix(indicator=indicator, area_level=area_level, first=first, last=last)
    periods = periods_between(first, last, indicator.resolution)
    paths = sorted(by_area)
    fill = 0.0 if indicator.additive else math.nan
    values = np.array(
        [[by_area[p].get(t, fill) for t in periods] for p in paths], dtype=float
    ).reshape(len(paths), len(periods))
    return paths, periods, values


def _span(indicator: Indicator, as_of: dt.date | dt.datetime, history: dt.timedelta):
    last = period_floor(as_of, indicator.resolution)
    first_seen = Observation.objects.filter(indicator=indicator, current=True).aggregate(
        first=Min("period_start")
    )["first"]
    if first_seen is None:
        return None
    first = max(period_floor(first_seen, indicator.resolution), period_floor(
        last - history, indicator.resolution))  # fmt: skip
    return (first, last) if first <= last else None


def detection_run(
    *, indicator: Indicator, area_level: int, as_of: dt.date | dt.datetime
) -> RunResult:
    """Run every active detector of `indicator` on the series of each area at `area_level`
    up to the period holding `as_of`; store the verdicts of the last STORE_PERIODS periods
    (an upsert) and raise an alert for each alarm in the last ALERT_PERIODS."""
    result = RunResult()
    configs = list(DetectorConfig.objects.filter(indicator=indicator, active=True))
    span = _span(indicator, as_of, HISTORY[Resolution(indicator.resolution)])
    if span is None:
        result.notes.append(f"{indicator.code}: no observations up to {as_of}")
        _note(configs, result.notes[-1])
        return result
    paths, periods, counts = _matrix(indicator, area_level, *span)
    if not paths:
        result.notes.append(f"{indicator.code}: no area of level {area_level} has observations")
        _note(configs, result.notes[-1])
        return result
    areas = areas_for_paths(paths)
    dates = np.array([p.date() for p in periods], dtype="datetime64[D]")
    for config in configs:
        options = {name: str(value) for name, value in config.options.items()}
        try:
            found = run_detector(config.method, counts, dates=dates, options=options)
        except (OptionError, ValueError) as error:
            note = f"{config.method} on {indicator.code} ({len(periods)} periods): {error}"
            result.notes.append(note)
            _note([config], note)
            continue
        with transaction.atomic():
            _store_detections(config, indicator, paths, periods, counts, found, areas, result)
            _note([config], "")
    return result


def _note(configs: list[DetectorConfig], note: str) -> None:
    now = timezone.now()
    for config in configs:
        config.note, config.last_run_at = note[:2000], now
        config.save(update_fields=["note", "last_run_at"])


def _store_detections(config, indicator, paths, periods, counts, found, areas, result) -> None:
    keep = [j for j, k in enumerate(found.points) if k >= len(periods) - STORE_PERIODS]
    rows = []
    for i, path in enumerate(paths):
        area = areas[path]
        for j in keep:
            k = int(found.points[j])
            alarm = found.alarm[i, j]
            rows.append(
                Detection(
                    config=config,
                    area_id=area.id,
                    area_path=path,
                    period_start=periods[k],
                    observed=_number(counts[i, k]),
                    expected=_number(found.expected[i, j]),
                    upperbound=_number(found.upperbound[i, j]),
                    alarm=None if math.isnan(alarm) else bool(alarm),
                    score=_number(found.score[i, j]),
                )
            )
            if alarm == 1 and k >= len(periods) - ALERT_PERIODS:
                result.alarms += 1
                result.alerts += _raise(config, indicator, area, periods[k], rows[-1])
    Detection.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["config", "area", "period_start"],
        update_fields=["observed", "expected", "upperbound", "alarm", "score", "computed_at"],
    )
    result.stored += len(rows)


def _raise(config, indicator, area, start: dt.datetime, row: Detection) -> int:
    period = period_label(start, indicator.resolution)
    _, created = alert_raise(
        source="detector",
        kind=config.method,
        area_id=area.id,
        area_path=area.path,
        title_zh=f"{area.name_zh}{indicator.name_zh}超出预期（{period}，{config.method}）",
        title_en=f"{indicator.name_en} above expected in {area.name_en} "
        f"({period}, {config.method})",
        dedup_key=f"detector:{config.pk}:{area.path}:{period}",
        detail={
            "indicator": indicator.code,
            "period": period,
            "observed": row.observed,
            "expected": row.expected,
            "upperbound": row.upperbound,
            "score": row.score,
        },
    )
    return int(created)


# --- Rt ----------------------------------------------------------------------------------------


def serial_interval(days: int) -> np.ndarray:
    return rt.discretise_serial_interval(SERIAL_INTERVAL_MEAN, SERIAL_INTERVAL_SD, days)


def rt_series(
    indicator: Indicator, area_level: int, as_of: dt.date
) -> tuple[list[str], list[dt.datetime], np.ndarray] | None:
    """The daily incidence an Rt run reads: areas x the last RT_HISTORY_DAYS days."""
    span = _span(indicator, as_of, dt.timedelta(days=RT_HISTORY_DAYS - 1))
    if span is None:
        return None
    return _matrix(indicator, area_level, *span)


def rt_run(*, indicator: Indicator, area_level: int, as_of: dt.date) -> RunResult:
    """Rt (Cori et al., EpiEstim's parametric serial interval) over sliding weekly windows of
    each area's daily counts; the windows ending in the last RT_STORE_DAYS days are stored."""
    result = RunResult()
    if indicator.resolution != Resolution.DAY or not indicator.additive:
        result.notes.append(f"{indicator.code}: Rt needs daily case counts")
        return result
    found = rt_series(indicator, area_level, as_of)
    if found is None or not found[0]:
        result.notes.append(f"{indicator.code}: no observations up to {as_of}")
        return result
    paths, periods, counts = found
    if len(periods) < RT_WINDOW + 1:
        result.notes.append(
            f"{indicator.code}: {len(periods)} days of counts; a {RT_WINDOW}-day window needs "
            f"at least {RT_WINDOW + 1}"
        )
        return result
    estimate = rt.estimate_rt(counts, serial_interval(len(periods)), window=RT_WINDOW)
    lower, median, upper = (estimate.quantile(q) for q in (0.025, 0.5, 0.975))
    areas = areas_for_paths(paths)
    rows = []
    for j, t_end in enumerate(estimate.t_end):
        end = periods[int(t_end) - 1].date()
        if int(t_end) <= len(periods) - RT_STORE_DAYS:
            continue
        for i, path in enumerate(paths):
            rows.append(
                RtEstimate(
                    indicator=indicator,
                    area_id=areas[path].id,
                    area_path=path,
                    window_end=end,
                    window_days=RT_WINDOW,
                    mean=_number(estimate.mean[i, j]),
                    lower=_number(lower[i, j]),
                    median=_number(median[i, j]),
                    upper=_number(upper[i, j]),
                )
            )
    with transaction.atomic():
        RtEstimate.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["indicator", "area", "window_end"],
            update_fields=["window_days", "mean", "lower", "median", "upper", "computed_at"],
        )
    result.stored = len(rows)
    return result


# --- the daily evaluation ------------------------------------------------------------------------


def evaluation_run(*, as_of: dt.date | None = None, force: bool = False) -> int:
    """Detections and Rt per district for every indicator that has received observations
    since its last evaluation (all of them with `force`). Idempotent: results are upserts
    and alerts are deduplicated. Returns how many indicators were evaluated."""
    indicators_ensure()
    as_of = as_of or timezone.localdate()
    done = 0
    watched = Indicator.objects.filter(detectors__active=True).values_list("pk", flat=True)
    candidates = Indicator.objects.filter(pk__in=list(watched)) | Indicator.objects.filter(
        code__in=RT_INDICATORS
    )
    for indicator in candidates.distinct().order_by("code"):
        started = timezone.now()
        if not force and not observations_newer_than(indicator, indicator.evaluated_at):
            continue
        detection_run(indicator=indicator, area_level=DETECTION_LEVEL, as_of=as_of)
        if indicator.code in RT_INDICATORS:
            rt_run(indicator=indicator, area_level=DETECTION_LEVEL, as_of=as_of)
        Indicator.objects.filter(pk=indicator.pk).update(evaluated_at=started)
        done += 1
    return done
