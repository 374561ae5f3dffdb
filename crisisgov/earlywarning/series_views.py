"""Signal pages: the districts an actor watches (latest counts, alarms, Rt), and an area's
epidemic curve (observed, expected, upper bound, alarms) with its Rt and 14-day projection.
The charts are drawn by ECharts from JSON the view puts in the page."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crisisgov.earlywarning import series, series_reads
from crisisgov.earlywarning.detection import RT_INDICATORS
from crisisgov.earlywarning.models import Indicator, IndicatorKind
from crisisgov.kernel.http import actor_of, not_found_as_404

HOME_INDICATORS = ("confirmed-cases", "suspected-cases", "fever-clinic-visits")
CURVE_DAYS = 90


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _name(thing: object) -> str:
    return thing.name_zh if _zh() else thing.name_en  # type: ignore[attr-defined]


@require_GET
@login_required
def signals_home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    series.indicators_ensure()
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=HOME_INDICATORS)}
    rows = [
        {
            "area": d.area,
            "name": _name(d.area),
            "counts": [int(d.latest.get(code, 0)) for code in HOME_INDICATORS],
            "alarms": d.alarms,
            "open_alerts": d.open_alerts,
            "rt": d.rt,
        }
        for d in series_reads.signals_overview(actor=actor)
    ]
    columns = [_name(indicators[code]) for code in HOME_INDICATORS if code in indicators]
    return render(
        request,
        "earlywarning/series_home.html",
        {"rows": rows, "columns": columns, "day": timezone.localdate() - dt.timedelta(days=1)},
    )


@require_GET
@login_required
@not_found_as_404
def area_curve(request: HttpRequest, area_id: int) -> HttpResponse:
    actor = actor_of(request)
    series.indicators_ensure()
    choices = list(Indicator.objects.exclude(kind=IndicatorKind.SENSOR).order_by("code"))
    code = request.GET.get("indicator", "confirmed-cases")
    if code not in {i.code for i in choices}:
        code = "confirmed-cases"
    end = timezone.localdate()
    start = end - dt.timedelta(days=CURVE_DAYS - 1)
    curve = series.series_get(
        actor=actor, indicator_code=code, area_id=area_id, start=start, end=end
    )
    detections = series_reads.detections_for_area(
        actor=actor, area_id=area_id, indicator_code=code, since=start
    )
    chart = _curve_chart(curve, detections)
    outlook = None
    if code in RT_INDICATORS:
        outlook = series_reads.rt_outlook(actor=actor, area_id=area_id, indicator_code=code)
    return render(
        request,
        "earlywarning/series_area.html",
        {
            "area": curve.area,
            "area_name": _name(curve.area),
            "indicator": curve.indicator,
            "indicator_name": _name(curve.indicator),
            "choices": [(i.code, _name(i)) for i in choices],
            "chart": chart,
            "alarm_count": len(chart["alarms"]),
            "method": chart["method"],
            "detector_notes": series_reads.detector_notes(code),
            "outlook": outlook,
            "rt_chart": _rt_chart(outlook) if outlook else None,
            "latest_rt": outlook.estimates[-1] if outlook and outlook.estimates else None,
        },
    )


def _curve_chart(curve: series.Series, detections: list) -> dict:
    """Observed bars; expected and upper bound of one detector (the first method with
    results); alarm markers of every detector on the day they fired."""
    labels = [p.period for p in curve.points]
    methods = sorted({d.config.method for d in detections})
    method = methods[0] if methods else ""
    resolution = curve.indicator.resolution
    expected = dict.fromkeys(labels)
    upper = dict.fromkeys(labels)
    alarms: dict[str, float] = {}
    for d in detections:
        label = series.period_label(d.period_start, resolution)
        if label not in expected:
            continue
        if d.config.method == method:
            expected[label], upper[label] = d.expected, d.upperbound
        if d.alarm:
            alarms[label] = d.observed
    return {
        "labels": labels,
        "observed": [p.value for p in curve.points],
        "expected": [expected[x] for x in labels],
        "upper": [upper[x] for x in labels],
        "alarms": [[x, alarms[x]] for x in labels if x in alarms],
        "method": method,
        "names": {
            "observed": _("observed"),
            "expected": _("expected"),
            "upper": _("upper bound"),
            "alarm": _("alarm"),
        },
    }


def _rt_chart(outlook: series_reads.Outlook) -> dict:
    rows = outlook.estimates
    return {
        "labels": [r.window_end.isoformat() for r in rows],
        "mean": [r.mean for r in rows],
        "lower": [r.lower for r in rows],
        "upper": [r.upper for r in rows],
        "projection": outlook.projection,
        "names": {
            "rt": _("Rt"),
            "band": _("95% credible interval"),
            "projection": _("projected cases"),
            "projectionBand": _("95% projection interval"),
        },
    }
