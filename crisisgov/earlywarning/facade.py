"""What other apps may use of the early warning app."""

from crisisgov.earlywarning.permissions import EarlyWarningPermission

__all__ = ["EarlyWarningPermission"]


# --- risk levels: what citizen services, response and the dashboard read ----------------------

import datetime as _dt  # noqa: E402
from dataclasses import dataclass as _dataclass  # noqa: E402


@_dataclass(frozen=True)
class RiskLevelInfo:
    """An approved risk level of an area, valid from `valid_from` until `valid_to` (None: in
    force)."""

    area_id: int
    area_path: str
    level: str  # low | medium | high
    version: int
    valid_from: _dt.datetime
    valid_to: _dt.datetime | None


def _risk_info(row) -> RiskLevelInfo:  # type: ignore[no-untyped-def]
    return RiskLevelInfo(
        area_id=row.area_id,
        area_path=row.area_path,
        level=row.level,
        version=row.version,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
    )


def risk_level_of(area_path: str, at: _dt.datetime | None = None) -> RiskLevelInfo | None:
    """The level in force at `at` (default now) for the area, or else for its nearest ancestor
    with a level; None when no level covers it (read it as low)."""
    from django.db.models import Q
    from django.db.models.functions import Length
    from django.utils import timezone

    from crisisgov.earlywarning.models import RiskLevel
    from crisisgov.geo.facade import PATH_DIGITS

    at = at or timezone.now()
    paths = [area_path[:d] for d in sorted(PATH_DIGITS.values()) if d <= len(area_path)]
    row = (
        RiskLevel.objects.filter(area_path__in=paths, valid_from__lte=at)
        .filter(Q(valid_to=None) | Q(valid_to__gt=at))
        .order_by(Length("area_path").desc())
        .first()
    )
    return _risk_info(row) if row else None


def risk_level_history(area_paths: list[str]) -> list[RiskLevelInfo]:
    """Every level ever approved (in force or ended) for these areas and their ancestors, so a
    caller can answer `risk_level_of` for many (area, time) pairs with one query."""
    from crisisgov.earlywarning.models import RiskLevel
    from crisisgov.geo.facade import PATH_DIGITS

    digits = sorted(PATH_DIGITS.values())
    paths = {path[:d] for path in area_paths for d in digits if d <= len(path)}
    rows = RiskLevel.objects.filter(area_path__in=sorted(paths)).order_by("area_path", "version")
    return [_risk_info(r) for r in rows]


def risk_levels_under(path: str) -> list[RiskLevelInfo]:
    """Every level in force in the subtree of `path` (for maps), in path order."""
    from crisisgov.earlywarning.models import RiskLevel

    rows = RiskLevel.objects.filter(area_path__under=path, valid_to=None).order_by("area_path")
    return [_risk_info(r) for r in rows]


def risk_levels_in_force() -> list[RiskLevelInfo]:
    """Every level in force anywhere, in path order (the citizens' published document)."""
    from crisisgov.earlywarning.models import RiskLevel

    rows = RiskLevel.objects.filter(valid_to=None).order_by("area_path")
    return [_risk_info(r) for r in rows]


def risk_demo_prepare(as_of: _dt.date) -> int:
    """For drills: seed the default rule sets and evaluate them as of `as_of`; returns how
    many proposals now wait for a decision."""
    from crisisgov.earlywarning.models import ProposalStatus, RiskProposal, RiskRuleSet
    from crisisgov.earlywarning.risk import risk_evaluate, risk_rules_seed_default

    risk_rules_seed_default()
    for rule_set_id in RiskRuleSet.objects.filter(active=True).values_list("pk", flat=True):
        risk_evaluate(rule_set_id=rule_set_id, as_of=as_of)
    return RiskProposal.objects.filter(status=ProposalStatus.PENDING).count()


__all__ += ["RiskLevelInfo", "risk_demo_prepare", "risk_level_of", "risk_levels_under"]
__all__ += ["risk_levels_in_force"]


# --- indicator series: what the drills feed and read ---------------------------------------


def indicators_ensure() -> None:
    """Create the built-in indicators (and their default detectors) when missing."""
    from crisisgov.earlywarning.series import indicators_ensure as ensure

    ensure()


def drill_observations_exist() -> bool:
    from crisisgov.earlywarning.models import Observation

    return Observation.objects.filter(source="drill").exists()


def observations_drill_load(rows: list[tuple[str, str, str, float]]) -> int:
    """For drills: store (indicator code, area code, period, value) rows as the system, in
    batches (each all or nothing); returns how many were new or revised."""
    from crisisgov.earlywarning.series import MAX_BATCH_ROWS, ObservationRow, observations_record
    from crisisgov.kernel.actor import SYSTEM

    stored = 0
    for i in range(0, len(rows), MAX_BATCH_ROWS):
        batch = [ObservationRow(*row) for row in rows[i : i + MAX_BATCH_ROWS]]
        result = observations_record(actor=SYSTEM, rows=batch, source="drill")
        stored += result.created + result.revised
    return stored


def signals_evaluate(*, as_of: _dt.date | None = None, force: bool = False) -> int:
    """Run the detectors and Rt per district (only on new observations unless `force`)."""
    from crisisgov.earlywarning.detection import evaluation_run

    return evaluation_run(as_of=as_of, force=force)


@_dataclass(frozen=True)
class SignalsSummary:
    alarms_last_week: int
    detector_alerts: int
    highest_rt: float | None  # the latest Rt of the district where it is highest
    highest_rt_area_path: str


def signals_summary(as_of: _dt.date) -> SignalsSummary:
    """Unscoped, for the demo's console: alarms of the last 7 days, detector alerts, top Rt."""
    from crisisgov.earlywarning.models import Alert, Detection, RtEstimate
    from crisisgov.earlywarning.series import local_midnight

    week = local_midnight(as_of - _dt.timedelta(days=6))
    alarms = Detection.objects.filter(alarm=True, period_start__gte=week).count()
    alerts = Alert.objects.filter(source="detector").count()
    top = RtEstimate.objects.filter(window_end=as_of, mean__isnull=False).order_by("-mean").first()
    return SignalsSummary(alarms, alerts, top.mean if top else None, top.area_path if top else "")


__all__ += [
    "SignalsSummary",
    "drill_observations_exist",
    "indicators_ensure",
    "observations_drill_load",
    "signals_evaluate",
    "signals_summary",
]


# --- sensors: what the drills register ---------------------------------------------------------


@_dataclass(frozen=True)
class SensorSpec:
    """A sensor to register for a drill (thresholds in the indicator's unit)."""

    code: str
    name: str
    indicator_code: str
    area_id: int
    low_threshold: float | None = None
    high_threshold: float | None = None
    interval_seconds: int = 30


def sensors_ensure(specs: list[SensorSpec]) -> list[str]:
    """For drills: register (as the system, audited) the sensors whose code is not yet taken;
    returns the codes registered now."""
    from crisisgov.earlywarning.models import Sensor
    from crisisgov.earlywarning.sensors import sensor_create
    from crisisgov.kernel.actor import SYSTEM

    codes = [s.code for s in specs]
    taken = set(Sensor.objects.filter(code__in=codes).values_list("code", flat=True))
    created = []
    for spec in specs:
        if spec.code in taken:
            continue
        lon, lat = _middle_of(spec.area_id)
        sensor_create(
            actor=SYSTEM,
            code=spec.code,
            indicator_code=spec.indicator_code,
            area_id=spec.area_id,
            name=spec.name,
            longitude=lon,
            latitude=lat,
            low_threshold=spec.low_threshold,
            high_threshold=spec.high_threshold,
            interval_seconds=spec.interval_seconds,
        )
        created.append(spec.code)
    return created


def _middle_of(area_id: int) -> tuple[float | None, float | None]:
    """A drill sensor stands in the middle of its area's outline (its bounding box's centre)."""
    from crisisgov.geo.facade import area_geometry

    geometry = area_geometry(area_id)
    if not geometry:
        return None, None
    points = [p for ring in geometry["coordinates"] for p in ring]  # a Polygon's rings
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2


__all__ += ["SensorSpec", "sensors_ensure"]


# --- bulletins: the day's case numbers of an area, by its child areas --------------------------


@_dataclass(frozen=True)
class ChildCases:
    """Raw (unprotected) confirmed cases of one child area, for the bulletins app."""

    area_path: str
    code: str
    name_zh: str
    name_en: str
    daily: dict[_dt.date, int]  # cases per day (days without any left out), up to the day
    level: str  # risk level in force at the end of the day: low | medium | high
    rt_mean: float | None  # the newest Rt of the area with its window ending in the last 7 days
    rt_lower: float | None
    rt_upper: float | None


@_dataclass(frozen=True)
class CaseNumbers:
    """Raw confirmed cases of an area up to one day, whole history: the bulletins app protects
    small counts (and what subtraction would reveal of them) before anything is published."""

    day: _dt.date
    area_path: str
    code: str
    name_zh: str
    name_en: str
    daily: dict[_dt.date, int]  # the whole area (its subtree), days without cases left out
    children: list[ChildCases]  # the areas one level down (a city's districts)
    risk_counts: dict[str, int]  # areas under it with a level in force at the day's end


def case_numbers(area_path: str, day: _dt.date) -> CaseNumbers:
    """Unscoped (bulletins are public): daily confirmed cases of `area_path` and of its child
    areas up to `day`, each rolled up over its subtree as the early-warning series are (current
    observations only; one GROUP BY), risk levels in force at the day's end and Rt."""
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import Substr
    from django.utils import timezone

    from crisisgov.earlywarning.models import Indicator, Observation, RiskLevel, RtEstimate
    from crisisgov.earlywarning.series import local_midnight
    from crisisgov.geo.facade import PATH_DIGITS, Level, areas_at_level, areas_for_paths

    area = areas_for_paths([area_path])[area_path]
    lowest = area.level >= Level.BUILDING
    children = [] if lowest else areas_at_level(area.level + 1, under=area_path)
    digits = PATH_DIGITS[Level(area.level + 1)] if children else len(area_path)
    end = local_midnight(day + _dt.timedelta(days=1))
    indicator = Indicator.objects.filter(code="confirmed-cases").first()
    by_unit: dict[str, dict[_dt.date, float]] = {}
    if indicator is not None:
        rows = (
            Observation.objects.filter(
                indicator=indicator, current=True, area_path__under=area_path, period_start__lt=end
            )
            .annotate(unit=Substr("area_path", 1, digits))
            .values_list("unit", "period_start")
            .annotate(total=Sum("value"))
            .order_by()
        )
        for unit, start, total in rows:
            days = by_unit.setdefault(unit, {})
            date = timezone.localtime(start).date()
            days[date] = days.get(date, 0.0) + total
    whole: dict[_dt.date, float] = {}
    for days in by_unit.values():  # a unit shorter than a child's path: reported above them
        for date, value in days.items():
            whole[date] = whole.get(date, 0.0) + value
    at = end - _dt.timedelta(microseconds=1)
    rts: dict[str, RtEstimate] = {}
    for rt in RtEstimate.objects.filter(
        indicator=indicator,
        area_path__in=[c.path for c in children],
        window_end__lte=day,
        window_end__gt=day - _dt.timedelta(days=7),
    ).order_by("area_path", "-window_end"):
        rts.setdefault(rt.area_path, rt)
    result = []
    for child in children:
        level = risk_level_of(child.path, at)
        rt = rts.get(child.path)
        result.append(
            ChildCases(
                area_path=child.path,
                code=child.code,
                name_zh=child.name_zh,
                name_en=child.name_en,
                daily=_whole_counts(by_unit.get(child.path, {})),
                level=level.level if level else "low",
                rt_mean=rt.mean if rt else None,
                rt_lower=rt.lower if rt else None,
                rt_upper=rt.upper if rt else None,
            )
        )
    in_force = Q(valid_from__lte=at) & (Q(valid_to=None) | Q(valid_to__gt=at))
    risk_counts = dict(
        RiskLevel.objects.filter(in_force, area_path__under=area_path)
        .exclude(area_path=area_path)
        .values_list("level")
        .annotate(n=Count("area", distinct=True))
        .order_by()
    )
    return CaseNumbers(
        day=day,
        area_path=area_path,
        code=area.code,
        name_zh=area.name_zh,
        name_en=area.name_en,
        daily=_whole_counts(whole),
        children=result,
        risk_counts=risk_counts,
    )


def _whole_counts(days: dict[_dt.date, float]) -> dict[_dt.date, int]:
    return {d: round(v) for d, v in sorted(days.items()) if round(v)}


__all__ += ["CaseNumbers", "ChildCases", "case_numbers"]


def cases_reported(area_path: str, day: _dt.date) -> bool:
    """Unscoped: whether any confirmed-case count of `day` was reported in the area (the
    bulletins' daily draft waits for the day's numbers)."""
    from crisisgov.earlywarning.models import Observation
    from crisisgov.earlywarning.series import local_midnight

    return Observation.objects.filter(
        indicator__code="confirmed-cases",
        current=True,
        area_path__under=area_path,
        period_start=local_midnight(day),
    ).exists()


__all__ += ["cases_reported"]


def rumor_alert_publish(
    *,
    area_id: int,
    title_zh: str,
    title_en: str,
    description_zh: str,
    description_en: str,
    web: str,
    dedup_key: str,
) -> str:
    """Publish an urgent official clarification of a rumor as a CAP 1.2 Alert (category
    Safety) for the area, as the system: the fact-checker's decision to publish is the opinion
    app's, audited there. The alert is raised, confirmed and published in one go; calling
    again with the same `dedup_key` returns the same message's identifier."""
    from django.db import transaction

    from crisisgov.earlywarning.alerting import alert_raise
    from crisisgov.earlywarning.alerts import alert_confirm
    from crisisgov.earlywarning.cap import cap_publish
    from crisisgov.earlywarning.models import AlertSource, AlertStatus, CapMessage
    from crisisgov.geo.facade import area_info
    from crisisgov.kernel.actor import SYSTEM
    from crisisgov.kernel.errors import NotFound

    area = area_info(area_id)
    if area is None:
        raise NotFound("no such area", field="area_id")
    with transaction.atomic():
        alert, _ = alert_raise(
            source=AlertSource.OPINION,
            kind="clarification",
            area_id=area.id,
            area_path=area.path,
            title_zh=title_zh,
            title_en=title_en,
            dedup_key=dedup_key,
            detail={"description_zh": description_zh, "description_en": description_en},
        )
        published = CapMessage.objects.filter(alert=alert).order_by("sent", "id").first()
        if published is not None:
            return published.identifier
        if alert.status != AlertStatus.CONFIRMED:
            alert_confirm(actor=SYSTEM, alert_id=alert.pk, reason="official rumor clarification")
        return cap_publish(actor=SYSTEM, alert_id=alert.pk, msg_type="Alert", web=web).identifier


def opinion_alarm_raise(
    *, area_id: int, area_path: str, title_zh: str, title_en: str, dedup_key: str, detail: dict,
    kind: str = "hotspot",
) -> int:  # fmt: skip
    """A public-opinion signal into the command centre's alert inbox (source "opinion"; kind
    "hotspot", or "ticket_overdue" for a hotline ticket escalated past its deadline), where it
    is triaged like any other signal. Idempotent by `dedup_key`; returns the alert's id."""
    from crisisgov.earlywarning.alerting import alert_raise
    from crisisgov.earlywarning.models import AlertSource

    alert, _ = alert_raise(
        source=AlertSource.OPINION,
        kind=kind,
        area_id=area_id,
        area_path=area_path,
        title_zh=title_zh,
        title_en=title_en,
        dedup_key=dedup_key,
        detail=detail,
    )
    return alert.pk
