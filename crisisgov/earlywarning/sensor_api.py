"""Sensor endpoints: the registry of your areas, registering and changing a sensor, and a
sensor's recent readings. Mounted on the early-warning router."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from crisisgov.earlywarning import sensors
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.schemas import Id, PathId, StrictInput, text

router = Router()

# A code is the last level of an MQTT topic: no "/", "+" or "#".
SensorCode = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_-]+$")]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Limit = Annotated[float, Field(allow_inf_nan=False)]


class SensorOut(Schema):
    id: int
    code: str
    name: str
    indicator: str
    unit: str
    area_id: int
    area_path: str
    longitude: float | None
    latitude: float | None
    low_threshold: float | None
    high_threshold: float | None
    max_rate_per_hour: float | None
    interval_seconds: int
    last_value: float | None
    last_seen_at: datetime | None
    state: str  # ok | above | below | silent | new
    active: bool

    @staticmethod
    def resolve_indicator(sensor: object) -> str:
        return sensor.indicator.code  # type: ignore[attr-defined]

    @staticmethod
    def resolve_unit(sensor: object) -> str:
        return sensor.indicator.unit  # type: ignore[attr-defined]

    @staticmethod
    def resolve_state(sensor: object) -> str:
        return str(sensors.sensor_state(sensor))  # type: ignore[arg-type]


class SensorSettingsIn(StrictInput):
    name: text(min_length=1, max_length=100) | None = None  # type: ignore[valid-type]
    longitude: Longitude | None = None
    latitude: Latitude | None = None
    low_threshold: Limit | None = None
    high_threshold: Limit | None = None
    max_rate_per_hour: Limit | None = None
    interval_seconds: Annotated[int, Field(ge=1, le=7 * 24 * 3600)] | None = None
    active: bool | None = None


class SensorIn(SensorSettingsIn):
    code: SensorCode
    indicator: text(min_length=1, max_length=60)  # type: ignore[valid-type]
    area_id: Id
    name: text(min_length=1, max_length=100)  # type: ignore[valid-type]


class ReadingOut(Schema):
    measured_at: datetime
    value: float
    received_at: datetime


@router.get("/sensors", response=list[SensorOut], summary="Sensors in your areas, with their state")
def list_sensors(request: HttpRequest) -> object:
    return sensors.sensor_list(actor=actor_of(request))


@router.post("/sensors", response={201: SensorOut}, summary="Register a sensor in your area")
def create_sensor(request: HttpRequest, payload: SensorIn) -> Status:
    fields = payload.dict(exclude_unset=True)
    sensor = sensors.sensor_create(
        actor=actor_of(request),
        code=fields.pop("code"),
        indicator_code=fields.pop("indicator"),
        area_id=fields.pop("area_id"),
        **fields,
    )
    return Status(201, sensor)


@router.patch(
    "/sensors/{sensor_id}",
    response=SensorOut,
    summary="Change a sensor's name, place, thresholds, interval or active flag",
)
def update_sensor(request: HttpRequest, sensor_id: PathId, payload: SensorSettingsIn) -> object:
    changes = payload.dict(exclude_unset=True)
    # Thresholds may be cleared with null; the name and flags may not.
    for name in ("name", "interval_seconds", "active"):
        if name in changes and changes[name] is None:
            changes.pop(name)
    return sensors.sensor_update(actor=actor_of(request), sensor_id=sensor_id, **changes)


@router.get(
    "/sensors/{sensor_id}/readings",
    response=list[ReadingOut],
    summary="A sensor's most recent readings, newest first",
)
def sensor_readings(
    request: HttpRequest, sensor_id: PathId, limit: int = Query(100, ge=1, le=1000)
) -> object:
    return sensors.sensor_readings(actor=actor_of(request), sensor_id=sensor_id, limit=limit)
