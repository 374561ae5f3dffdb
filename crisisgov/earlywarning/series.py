"""Indicators and their series: the registry, observations (by API, upload, exchange case
reports and drills) with revisions, and the roll-up of a series up the area tree.

Periods (`2026-11-20`, `2026-W47`, `2026-11-20T14:00`) are parsed and named in
series_periods.py; they are imported here too, for the callers of this module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Avg, Max, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from crisisgov.earlywarning.models import Indicator, IndicatorKind, Observation, Resolution
from crisisgov.earlywarning.permissions import EarlyWarningPermission
from crisisgov.earlywarning.series_periods import (  # noqa: F401  (part of this module's API)
    PERIOD_FORMATS,
    PeriodError,
    local_midnight,
    period_floor,
    period_label,
    period_parse,
    period_step,
    periods_between,
)
from crisisgov.exchange.facade import case_report_counts, dataset_standard_and_area
from crisisgov.geo.facade import (
    PATH_DIGITS,
    AreaInfo,
    Level,
    area_for_actor,
    area_paths_for_codes,
    areas_for_paths,
)
from crisisgov.kernel.actor import SYSTEM, Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound

MAX_BATCH_ROWS = 5000


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name_zh: str
    name_en: str
    kind: str
    unit: str
    resolution: str
    area_level: int
    additive: bool = True
    exchange_standard: str = ""
    exchange_filter: dict = field(default_factory=dict)


C, S, M = IndicatorKind.CASES, IndicatorKind.SYNDROMIC, IndicatorKind.SENSOR
DAY, HOUR = Resolution.DAY, Resolution.HOUR
# Case counts come from the case-report cards, which name a building: counted per community.
# Syndromic counts come from clinics, pharmacies, schools and the hotline: per district.
INDICATORS = (
    IndicatorSpec("confirmed-cases", "确诊病例数", "Confirmed cases", C, "cases", DAY, 5,
                  exchange_standard="case_report", exchange_filter={"case_type": ["confirmed"]}),
    IndicatorSpec("suspected-cases", "疑似病例数", "Suspected cases", C, "cases", DAY, 5,
                  exchange_standard="case_report", exchange_filter={"case_type": ["suspected"]}),
    IndicatorSpec("fever-clinic-visits", "发热门诊就诊人次", "Fever-clinic visits", S, "visits",
                  DAY, 3),
    IndicatorSpec("antipyretic-sales", "药店退烧药销量", "Pharmacy antipyretic sales", S,
                  "packs", DAY, 3),
    IndicatorSpec("school-absenteeism", "学校因病缺课人数", "School absenteeism", S, "pupils",
                  DAY, 3),
    IndicatorSpec("hotline-fever", "热线发热投诉", "Hotline fever complaints", S, "calls",
                  DAY, 3),
    IndicatorSpec("water-level", "水位", "Water level", M, "m", HOUR, 5, additive=False),
    IndicatorSpec("gas-concentration", "燃气浓度", "Gas concentration", M, "ppm", HOUR, 5,
                  additive=False),
    IndicatorSpec("temperature", "温度", "Temperature", M, "°C", HOUR, 5, additive=False),
)  # fmt: skip


# Default detectors (R surveillance names and options). Every count indicator is daily, so
# EARS C2 (baseline: the 7 days ending 3 days before, alpha 0.001) watches each: the gap keeps
# an outbreak's first days out of its own baseline. Confirmed cases also get C3, which adds up
# the excesses of the two days before and so catches a slower rise. Farrington needs years
# of weekly history; configure it on a weekly indicator when one exists.
DEFAULT_DETECTORS = {
    "confirmed-cases": [("ears-c2", {}), ("ears-c3", {})],
    "suspected-cases": [("ears-c2", {})],
    "fever-clinic-visits": [("ears-c2", {})],
    "antipyretic-sales": [("ears-c2", {})],
    "school-absenteeism": [("ears-c2", {})],
    "hotline-fever": [("ears-c2", {})],
}


def indicators_sync() -> int:
    """Create or update the built-in indicators, and give an indicator without any detector
    its defaults (a deactivated one stays so); idempotent. Returns how many indicators exist."""
    from crisisgov.earlywarning.models import DetectorConfig

    for spec in INDICATORS:
        values = {k: v for k, v in spec.__dict__.items() if k != "code"}
        indicator, _ = Indicator.objects.update_or_create(code=spec.code, defaults=values)
        if not DetectorConfig.objects.filter(indicator=indicator).exists():
            for method, options in DEFAULT_DETECTORS.get(spec.code, []):
                DetectorConfig.objects.create(indicator=indicator, method=method, options=options)
    return Indicator.objects.count()


def indicators_ensure() -> None:
    """Sync only when a built-in indicator is missing (one query): a fresh database works."""
    if Indicator.objects.filter(code__in=[i.code for i in INDICATORS]).count() < len(INDICATORS):
        indicators_sync()


# --- recording observations ---------------------------------------------------------------------


@dataclass(frozen=True)
class ObservationRow:
    indicator: str
    area: str  # area code
    period: str
    value: float | str  # text from a file is parsed here, so its error names the row


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based: the position in a batch, or the line of a file
    field: str
    message: str


class RowsRefused(DomainError):
    """Some rows are bad: nothing was stored. Each error names its row and field."""

    code = "invalid_rows"

    def __init__(self, errors: list[RowError], *, unit: str = "row") -> None:
        self.errors = errors
        self.unit = unit
        first = errors[0]
        super().__init__(
            f"{len(errors)} bad {unit}(s), nothing stored; {unit} {first.row}, "
            f"{first.field}: {first.message}",
            field=first.field,
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "detail": [
                {
                    "code": "invalid",
                    # The field path counts from 0 like the validator's; the message from 1.
                    "field": f"rows.{e.row - 1}.{e.field}" if self.unit == "row" else e.field,
                    "message": f"{self.unit} {e.row}, {e.field}: {e.message}",
                }
                for e in self.errors
            ]
        }


@dataclass
class RecordResult:
    created: int = 0  # first report of a period
    revised: int = 0  # a new revision retired an earlier value
    unchanged: int = 0  # the same value as the current revision: nothing written


@dataclass(frozen=True)
class _Checked:
    indicator: Indicator
    area: AreaInfo
    start: dt.datetime
    value: float


OLDEST_PERIOD_YEARS = 30  # older than any series worth a detector; a mistyped year, surely


def period_out_of_range(start: dt.datetime) -> str:
    """Why a period cannot be observed yet (the future) or is implausibly old; "" if fine."""
    now = timezone.now()
    if start > now:
        return "the period has not begun yet"
    if start < now - dt.timedelta(days=366 * OLDEST_PERIOD_YEARS):
        return f"the period is more than {OLDEST_PERIOD_YEARS} years ago"
    return ""


def _check_rows(
    actor: Actor, rows: list[ObservationRow], *, first_row: int
) -> tuple[list[_Checked], list[RowError]]:
    indicators = {i.code: i for i in Indicator.objects.filter(code__in={r.indicator for r in rows})}
    paths = area_paths_for_codes(list({r.area.strip() for r in rows}))
    areas = {info.code: info for info in areas_for_paths(list(paths.values())).values()}
    checked, errors, seen = [], [], {}
    for number, row in enumerate(rows, start=first_row):
        before = len(errors)

        def refuse(name: str, message: str, number: int = number) -> None:
            errors.append(RowError(number, name, message))

        indicator = indicators.get(row.indicator.strip())
        area = areas.get(row.area.strip())
        # Outside the reporter's jurisdiction reads exactly like a code that does not exist.
        if area is not None and not actor.can_at(
            EarlyWarningPermission.REPORT_OBSERVATIONS, area.path
        ):
            area = None
        if indicator is None:
            refuse("indicator", "unknown indicator code")
        if area is None:
            refuse("area", "unknown area code")
        elif indicator is not None and area.level != indicator.area_level:
            refuse("area", f"the indicator is reported per area of level {indicator.area_level}"
                   f", this area is of level {area.level}")  # fmt: skip
        start = None
        if indicator is not None:
            try:
                start = period_parse(row.period, indicator.resolution)
            except PeriodError as error:
                refuse("period", str(error))
            else:
                problem = period_out_of_range(start)
                if problem:
                    refuse("period", problem)
        value = row.value
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                value = None
        if not isinstance(value, int | float) or not math.isfinite(value):
            refuse("value", "not a finite number")
        elif indicator is not None and indicator.kind != IndicatorKind.SENSOR:
            if value < 0:
                refuse("value", f"a count cannot be negative ({value:g})")
            elif value != int(value):
                refuse("value", f"a count is a whole number ({value:g})")
        if len(errors) > before or indicator is None or area is None or start is None:
            continue
        key = (indicator.pk, area.id, start)
        if key in seen:
            refuse("period", f"the same indicator, area and period as row {seen[key]}")
            continue
        seen[key] = number
        checked.append(_Checked(indicator, area, start, float(value)))
    return checked, errors


def observations_record(
    *,
    actor: Actor,
    rows: list[ObservationRow],
    source: str,
    first_row: int = 1,
    row_unit: str = "row",
) -> RecordResult:
    """Store a batch of observations, all or nothing. A period already reported gets a new
    revision when the value differs (the old one is kept, `current=False`)."""
    if not actor.can(EarlyWarningPermission.REPORT_OBSERVATIONS):
        raise NotFound("you may not report observations")
    indicators_ensure()
    if not rows:
        raise DomainError("the batch holds no rows", field="rows")
    if len(rows) > MAX_BATCH_ROWS:
        raise DomainError(f"a batch holds at most {MAX_BATCH_ROWS} rows", field="rows")
    checked, errors = _check_rows(actor, rows, first_row=first_row)
    if errors:
        raise RowsRefused(errors, unit=row_unit)
    try:
        with transaction.atomic():
            return _record(actor, checked, source)
    except IntegrityError:  # the same period reported by someone else at the same moment
        raise Conflict("another report of the same period arrived at once; send again") from None


def _record(actor: Actor, checked: list[_Checked], source: str) -> RecordResult:
    with transaction.atomic():
        result = _write(checked, source=source, user_id=actor.user_id)
        paths = [c.area.path for c in checked]
        audit_record(
            actor=actor,
            action="earlywarning.observations_recorded",
            target_type="earlywarning.observation",
            area_path=_common_prefix(paths),
            permission=EarlyWarningPermission.REPORT_OBSERVATIONS,
            detail={
                "source": source,
                "rows": len(checked),
                "created": result.created,
                "revised": result.revised,
                "unchanged": result.unchanged,
                "indicators": sorted({c.indicator.code for c in checked}),
            },
        )
    return result


CSV_COLUMNS = ("indicator", "area", "period", "value")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def observations_upload(*, actor: Actor, data: bytes, source: str = "upload") -> RecordResult:
    """A CSV file of observations (columns indicator, area, period, value), all or nothing;
    errors name the file's line (the header is line 1)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError("the file is larger than 5 MB", field="file", code="too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError("the file is not UTF-8 text", field="file") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    reader.fieldnames = columns
    missing = [c for c in CSV_COLUMNS if c not in columns]
    if missing:
        raise DomainError(f"missing column(s): {', '.join(missing)}", field="file")
    rows = [
        ObservationRow(*((r.get(c) or "").strip() for c in CSV_COLUMNS))  # type: ignore[arg-type]
        for r in reader
    ]
    return observations_record(actor=actor, rows=rows, source=source, first_row=2, row_unit="line")


def _common_prefix(paths: list[str]) -> str:
    first, last = min(paths), max(paths)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def _write(checked: list[_Checked], *, source: str, user_id: int | None) -> RecordResult:
    """New revisions where values changed; the old revision is retired before the new one is
    inserted (one current revision per period is a constraint)."""
    result = RecordResult()
    if not checked:
        return result
    starts = [c.start for c in checked]
    current = {
        (o.indicator_id, o.area_id, o.period_start): o
        for o in Observation.objects.select_for_update().filter(
            indicator_id__in={c.indicator.pk for c in checked},
            area_id__in={c.area.id for c in checked},
            period_start__gte=min(starts),
            period_start__lte=max(starts),
            current=True,
        )
    }
    retire, new = [], []
    for c in checked:
        old = current.get((c.indicator.pk, c.area.id, c.start))
        if old is not None and old.value == c.value:
            result.unchanged += 1
            continue
        if old is not None:
            retire.append(old.pk)
            result.revised += 1
        else:
            result.created += 1
        new.append(
            Observation(
                indicator=c.indicator,
                area_id=c.area.id,
                area_path=c.area.path,
                period_start=c.start,
                value=c.value,
                revision=(old.revision + 1) if old else _next_revision(c),
                source=source,
                reported_by_id=user_id,
            )
        )
    if retire:
        Observation.objects.filter(pk__in=retire).update(current=False)
    Observation.objects.bulk_create(new, batch_size=1000)
    return result


def _next_revision(c: _Checked) -> int:
    # No current revision, but earlier ones may exist (not through this module today).
    top = Observation.objects.filter(
        indicator=c.indicator, area_id=c.area.id, period_start=c.start
    ).aggregate(top=Max("revision"))["top"]
    return (top or 0) + 1


# --- exchange case reports --------------------------------------------------------------------


def case_reports_sync(*, dataset_id: int | None = None) -> RecordResult:
    """Turn case-report records into daily counts per community: a count that changed (a
    late or corrected report) gets a new revision. With `dataset_id`, only that dataset's area
    is recounted (all datasets' records in it count). A count last written by another source
    (reported by hand, uploaded, a drill) is theirs: the aggregate does not revise it."""
    under = ""
    if dataset_id is not None:
        found = dataset_standard_and_area(dataset_id)
        if found is None:
            return RecordResult()
        standard, under = found
        if standard != "case_report":
            return RecordResult()
    indicators = list(Indicator.objects.filter(exchange_standard="case_report"))
    if not indicators:
        return RecordResult()
    counts: dict[tuple[str, str, str], int] = {}
    for community, day, case_type, count in case_report_counts(under=under):
        for indicator in indicators:
            wanted = indicator.exchange_filter.get("case_type")
            if wanted is None or case_type in wanted:
                key = (indicator.code, community, day)
                counts[key] = counts.get(key, 0) + count
    areas = areas_for_paths(list({community for _, community, _ in counts}))
    by_code = {i.code: i for i in indicators}
    checked = []
    for (code, community, day), count in sorted(counts.items()):
        area = areas.get(community)
        try:
            start = local_midnight(dt.date.fromisoformat(day))
        except ValueError:
            continue  # the standard's validator makes this a date; be safe anyway
        if area is not None:
            checked.append(_Checked(by_code[code], area, start, float(count)))
    others = set(
        Observation.objects.filter(
            indicator__in=indicators, current=True, area_path__in=list(areas)
        )
        .exclude(source="exchange")
        .values_list("indicator_id", "area_id", "period_start")
    )
    checked = [c for c in checked if (c.indicator.pk, c.area.id, c.start) not in others]
    with transaction.atomic():
        return _write(checked, source="exchange", user_id=None)


# --- reading series -----------------------------------------------------------------------------


def indicator_get(code: str) -> Indicator:
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        raise NotFound("no such indicator", field="indicator")
    return indicator


def series_matrix(
    *,
    indicator: Indicator,
    area_level: int,
    first: dt.datetime,
    last: dt.datetime,
    under: str = "",
    actor: Actor = SYSTEM,
) -> dict[str, dict[dt.datetime, float]]:
    """{area path at `area_level`: {period start: value}} in one SQL: current observations
    summed (counts) or averaged (other quantities) over each area's descendants."""
    digits = PATH_DIGITS[Level(area_level)]
    rows = Observation.objects.for_actor(actor, EarlyWarningPermission.VIEW_SIGNALS).filter(
        indicator=indicator, current=True, period_start__gte=first, period_start__lte=last
    )
    if under:
        rows = rows.filter(area_path__under=under)
    combine = Sum if indicator.additive else Avg
    grouped = (
        rows.annotate(unit=Substr("area_path", 1, digits))
        .values_list("unit", "period_start")
        .annotate(total=combine("value"))
        .order_by()
    )
    out: dict[str, dict[dt.datetime, float]] = {}
    for unit, start, total in grouped:
        if len(unit) == digits:  # observations above that level have no part in it
            out.setdefault(unit, {})[timezone.localtime(start)] = total
    return out


@dataclass(frozen=True)
class SeriesPoint:
    period: str
    start: dt.datetime
    value: float | None


@dataclass(frozen=True)
class Series:
    indicator: Indicator
    area: AreaInfo
    points: list[SeriesPoint]


def series_get(
    *,
    actor: Actor,
    indicator_code: str,
    area_id: int,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Series:
    """An area's series rolled up from its descendants (one SQL), every period from `start`
    to `end` listed: a missing count is 0, a missing measurement None."""
    indicator = indicator_get(indicator_code)
    area = area_for_actor(actor=actor, area_id=area_id, action=EarlyWarningPermission.VIEW_SIGNALS)
    end_at = period_floor(end or timezone.localdate(), indicator.resolution)
    default_span = dt.timedelta(days=2) if indicator.resolution == Resolution.HOUR else None
    start_at = period_floor(
        start or (end_at - default_span if default_span else end_at.date() - dt.timedelta(days=89)),
        indicator.resolution,
    )
    if start_at > end_at:
        raise DomainError("the start is after the end", field="start")
    if len(periods_between(start_at, end_at, indicator.resolution)) > 3000:
        raise DomainError("at most 3000 periods at a time", field="start")
    values = series_rollup(actor=actor, indicator=indicator, area=area, first=start_at, last=end_at)
    fill = 0.0 if indicator.additive else None
    points = [
        SeriesPoint(period_label(p, indicator.resolution), p, values.get(p, fill))
        for p in periods_between(start_at, end_at, indicator.resolution)
    ]
    return Series(indicator, area, points)


def series_rollup(
    *, actor: Actor, indicator: Indicator, area: AreaInfo, first: dt.datetime, last: dt.datetime
) -> dict[dt.datetime, float]:
    """{period start: value} of one area: one SQL over its subtree."""
    rows = Observation.objects.for_actor(actor, EarlyWarningPermission.VIEW_SIGNALS).filter(
        indicator=indicator,
        current=True,
        area_path__under=area.path,
        period_start__gte=first,
        period_start__lte=last,
    )
    combine = Sum if indicator.additive else Avg
    grouped = rows.values_list("period_start").annotate(total=combine("value")).order_by()
    return {timezone.localtime(start): total for start, total in grouped}


def observation_history(
    *, actor: Actor, indicator_code: str, area_id: int, period: str
) -> list[Observation]:
    """Every revision reported for one area and period, the first first."""
    indicator = indicator_get(indicator_code)
    area = area_for_actor(actor=actor, area_id=area_id, action=EarlyWarningPermission.VIEW_SIGNALS)
    try:
        start = period_parse(period, indicator.resolution)
    except PeriodError as error:
        raise DomainError(str(error), field="period") from None
    return list(
        Observation.objects.for_actor(actor, EarlyWarningPermission.VIEW_SIGNALS)
        .filter(indicator=indicator, area_id=area.id, period_start=start)
        .order_by("revision")
    )


def observations_newer_than(indicator: Indicator, since: dt.datetime | None) -> bool:
    rows = Observation.objects.filter(indicator=indicator)
    if since is not None:
        rows = rows.filter(reported_at__gt=since)
    return rows.exists()


def indicators_list() -> Iterable[Indicator]:
    indicators_ensure()
    return Indicator.objects.order_by("code")
