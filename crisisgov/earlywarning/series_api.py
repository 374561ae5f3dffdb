"""Series endpoints: indicators, observations (a JSON batch or a CSV file), an area's series
with its revisions, its detections and its Rt. Mounted on the early-warning router."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from crisisgov.earlywarning import series, series_reads
from crisisgov.earlywarning.series import MAX_UPLOAD_BYTES, ObservationRow
from crisisgov.kernel.errors import TooLarge
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.schemas import NO_CONTROL_CHARACTERS, PathId, StrictInput, text

router = Router()
Code = text(min_length=1, max_length=60)


class IndicatorOut(Schema):
    code: str
    name_zh: str
    name_en: str
    kind: str
    unit: str
    resolution: str
    area_level: int
    additive: bool


class ObservationIn(StrictInput):
    indicator: Code  # type: ignore[valid-type]
    area: text(min_length=1, max_length=21)  # type: ignore[valid-type]
    period: text(min_length=1, max_length=25)  # type: ignore[valid-type]
    value: float


class BatchIn(StrictInput):
    rows: list[ObservationIn]


class RecordOut(Schema):
    created: int
    revised: int
    unchanged: int


class PointOut(Schema):
    period: str
    value: float | None


class SeriesOut(Schema):
    indicator: str
    area_id: int
    area_code: str
    unit: str
    rollup: str  # sum | mean
    points: list[PointOut]


class RevisionOut(Schema):
    revision: int
    value: float
    current: bool
    source: str
    reported_at: dt.datetime


class DetectionOut(Schema):
    method: str
    period: str
    observed: float | None
    expected: float | None
    upperbound: float | None
    alarm: bool | None
    score: float | None


class RtOut(Schema):
    window_end: dt.date
    window_days: int
    mean: float | None
    lower: float | None
    median: float | None
    upper: float | None


class ProjectionOut(Schema):
    date: dt.date
    median: float | None
    low: float | None
    high: float | None


class OutlookOut(Schema):
    area_id: int
    estimates: list[RtOut]
    projection: list[ProjectionOut]
    doubling_days: float | None
    doubling_low: float | None
    doubling_high: float | None
    growth_rate: float | None


@router.get("/indicators", response=list[IndicatorOut], summary="The indicator registry")
def list_indicators(request: HttpRequest) -> object:
    return list(series.indicators_list())


@router.post(
    "/observations",
    response={201: RecordOut},
    summary="Report a batch of observations; nothing is stored if any row is bad",
)
def post_observations(request: HttpRequest, payload: BatchIn) -> Status:
    rows = [ObservationRow(**row.dict()) for row in payload.rows]
    result = series.observations_record(actor=actor_of(request), rows=rows, source="api")
    return Status(201, result)


@router.post(
    "/observations/upload",
    response={201: RecordOut},
    summary="Upload a CSV of observations (indicator, area, period, value); all or nothing",
)
def upload_observations(request: HttpRequest, file: File[UploadedFile]) -> Status:
    if file.size and file.size > MAX_UPLOAD_BYTES:
        raise TooLarge("the file is larger than 5 MB", field="file")
    result = series.observations_upload(actor=actor_of(request), data=file.read())
    return Status(201, result)


@router.get("/series/{area_id}", response=SeriesOut, summary="An area's series, rolled up")
def get_series(
    request: HttpRequest,
    area_id: PathId,
    indicator: str = Query(..., min_length=1, max_length=60, pattern=NO_CONTROL_CHARACTERS),
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> object:
    found = series.series_get(
        actor=actor_of(request), indicator_code=indicator, area_id=area_id, start=start, end=end
    )
    return {
        "indicator": found.indicator.code,
        "area_id": found.area.id,
        "area_code": found.area.code,
        "unit": found.indicator.unit,
        "rollup": "sum" if found.indicator.additive else "mean",
        "points": [{"period": p.period, "value": p.value} for p in found.points],
    }


@router.get(
    "/series/{area_id}/history",
    response=list[RevisionOut],
    summary="Every revision reported for one period of an area",
)
def get_history(
    request: HttpRequest,
    area_id: PathId,
    indicator: str = Query(..., min_length=1, max_length=60, pattern=NO_CONTROL_CHARACTERS),
    period: str = Query(..., min_length=1, max_length=25, pattern=NO_CONTROL_CHARACTERS),
) -> object:
    return series.observation_history(
        actor=actor_of(request), indicator_code=indicator, area_id=area_id, period=period
    )


@router.get(
    "/detections/{area_id}", response=list[DetectionOut], summary="Detector verdicts of an area"
)
def get_detections(
    request: HttpRequest,
    area_id: PathId,
    indicator: str = Query(..., min_length=1, max_length=60, pattern=NO_CONTROL_CHARACTERS),
    since: dt.date | None = None,
) -> object:
    rows = series_reads.detections_for_area(
        actor=actor_of(request), area_id=area_id, indicator_code=indicator, since=since
    )
    resolution = rows[0].config.indicator.resolution if rows else "day"
    return [
        {
            "method": r.config.method,
            "period": series.period_label(r.period_start, resolution),
            "observed": r.observed,
            "expected": r.expected,
            "upperbound": r.upperbound,
            "alarm": r.alarm,
            "score": r.score,
        }
        for r in rows
    ]


@router.get("/rt/{area_id}", response=OutlookOut, summary="Rt, 14-day projection, doubling time")
def get_rt(
    request: HttpRequest,
    area_id: PathId,
    indicator: str = Query("confirmed-cases", max_length=60, pattern=NO_CONTROL_CHARACTERS),
) -> object:
    outlook = series_reads.rt_outlook(
        actor=actor_of(request), area_id=area_id, indicator_code=indicator
    )
    return {
        "area_id": outlook.area.id,
        "estimates": outlook.estimates,
        "projection": outlook.projection,
        "doubling_days": outlook.doubling_days,
        "doubling_low": outlook.doubling_low,
        "doubling_high": outlook.doubling_high,
        "growth_rate": outlook.growth_rate,
    }
