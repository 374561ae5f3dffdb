"""Sensors over MQTT, against a real Mosquitto: each test that needs a broker starts its own on
a free loopback port (persistence in a temporary directory), so that it can stop and restart
it. One test also uses the shared broker at 127.0.0.1:1883 (skipped when it does not answer,
a failure under CI=true).

The listener runs in a thread on the test's database connection; the test waits on the
listener's counters (a deadline, no fixed sleeps) and reads the database only after stopping it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import pwd
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

from crisisgov.earlywarning.models import Alert, Indicator, Sensor, SensorReading
from crisisgov.earlywarning.mqtt_listener import SensorListener, broker_answers
from crisisgov.earlywarning.sensors import (
    ReadingRejected,
    Rejection,
    SensorIngestor,
    reading_parse,
    sensor_create,
    sensor_state,
    sensor_update,
    sensors_silent_sweep,
)
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.models import AuditEntry

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
T0 = dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.UTC)


def wait_for(condition: Callable[[], bool], *, seconds: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


class Broker:
    """A Mosquitto of the test's own: anonymous on loopback, persistence on, big queues."""

    def __init__(self, directory: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {directory}/\n"
            "max_queued_messages 200000\n"
            # Started as root, mosquitto would switch to the user "mosquitto", which may not
            # write the temporary directory: stay who we are.
            f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
        )
        self.log = directory / "mosquitto.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [MOSQUITTO, "-c", str(self.config)], stdout=log, stderr=log
            )
        wait_for(lambda: broker_answers(self.url, timeout=0.2), what="mosquitto to listen")

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()  # SIGTERM: mosquitto saves its persistence file first
        self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def broker(tmp_path) -> Iterator[Broker]:
    if not Path(MOSQUITTO).exists():
        if os.environ.get("CI") == "true":  # CI must exercise the real broker
            pytest.fail("mosquitto is not installed (make test installs it)")
        pytest.skip("mosquitto is not installed")
    own = Broker(tmp_path)
    own.start()
    yield own
    if own.process is not None:
        own.stop()


class Running:
    """A listener in a background thread, sharing the test's database connection (the test
    transaction holds the fixtures; the test does not query while the listener runs)."""

    def __init__(self, listener: SensorListener):
        self.listener = listener
        self.stop = threading.Event()
        self.connection = connections["default"]
        self.connection.inc_thread_sharing()

        def run() -> None:
            connections["default"] = self.connection
            listener.run(self.stop)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        wait_for(listener.connected.is_set, what="the listener to subscribe")

    def join(self) -> None:
        self.stop.set()
        self.thread.join(timeout=20)
        assert not self.thread.is_alive()
        self.connection.dec_thread_sharing()


def publish(url: str, messages: list[tuple[str, bytes | str]], *, qos: int = 1) -> None:
    """Publish and wait until the broker has acknowledged every message."""
    from crisisgov.earlywarning.mqtt_connection import broker_from_url, mqtt_client

    where = broker_from_url(url)
    client = mqtt_client(where)
    client.connect(where.host, where.port)
    client.loop_start()
    infos = [client.publish(f"crisisgov/sensors/{code}", body, qos=qos) for code, body in messages]
    for info in infos:
        info.wait_for_publish(timeout=10)
    client.disconnect()
    client.loop_stop()


def reading(value: float, minutes: float = 0, **extra: object) -> str:
    at = T0 + dt.timedelta(minutes=minutes)
    return json.dumps({"value": value, "measured_at": at.isoformat()} | extra)


@pytest.fixture
def water(city) -> Indicator:
    return Indicator.objects.create(
        code="water_level",
        name_zh="水位",
        name_en="water level",
        kind="sensor",
        unit="m",
        resolution="hour",
        area_level=5,
        additive=False,
    )


@pytest.fixture
def gauge(city, water) -> Sensor:
    return sensor_create(
        actor=SYSTEM,
        code=f"river-{uuid.uuid4().hex[:8]}",
        indicator_code="water_level",
        area_id=city.community_a.id,
        name="江滩水位",
        low_threshold=1.0,
        high_threshold=5.0,
        max_rate_per_hour=2.0,
        interval_seconds=60,
    )


# --- the registry and readings, without a broker -----------------------------------------------


def test_registry_changes_are_audited_and_checked(city, gauge, make_user, actor_of):
    assert AuditEntry.objects.filter(action="earlywarning.sensor_created").count() == 1
    officer = actor_of(make_user("department_officer", city.district_a))
    sensor_update(actor=officer, sensor_id=gauge.pk, high_threshold=6.0, name="江滩水位")
    entry = AuditEntry.objects.get(action="earlywarning.sensor_updated")
    assert entry.detail == {"code": gauge.code, "changed": {"high_threshold": [5.0, 6.0]}}
    from crisisgov.kernel.errors import DomainError, NotFound

    with pytest.raises(DomainError, match="low threshold"):
        sensor_update(actor=officer, sensor_id=gauge.pk, low_threshold=7.0)
    outsider = actor_of(make_user("department_officer", city.district_b))
    with pytest.raises(NotFound):
        sensor_update(actor=outsider, sensor_id=gauge.pk, high_threshold=9.0)
    assert Sensor.objects.get().high_threshold == 6.0


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", Rejection.NOT_JSON),
        (b"\xff\xfe", Rejection.NOT_JSON),
        (b"[1, 2]", Rejection.NOT_AN_OBJECT),
        (b'{"value": NaN}', Rejection.BAD_VALUE),
        (b'{"value": Infinity}', Rejection.BAD_VALUE),
        (b'{"value": "3.2"}', Rejection.BAD_VALUE),
        (b'{"value": true}', Rejection.BAD_VALUE),
        (b'{"unit": "m"}', Rejection.BAD_VALUE),
        (b'{"value": 1, "measured_at": "yesterday"}', Rejection.BAD_TIME),
        (b'{"value": 1, "measured_at": "2026-07-01T08:00:00"}', Rejection.BAD_TIME),
        (b'{"value": 1, "measured_at": 1751356800}', Rejection.BAD_TIME),
        (b'{"value": 1, "measured_at": "2026-07-01T09:00:00+00:00"}', Rejection.FUTURE),
        (b'{"value": 1, "sensor": "x"}', Rejection.UNKNOWN_FIELD),
        (b'{"value": 1, "unit": "' + b"m" * 2000 + b'"}', Rejection.TOO_LARGE),
    ],
)
def test_a_malformed_reading_is_refused_with_its_reason(payload, reason):
    with pytest.raises(ReadingRejected) as refused:
        reading_parse(topic="crisisgov/sensors/x", payload=payload, received_at=T0)
    assert refused.value.reason == reason


def test_a_reading_without_time_is_taken_as_received():
    got = reading_parse(
        topic="crisisgov/sensors/x", payload=b'{"value": 2, "unit": "m"}', received_at=T0
    )
    assert (got.sensor_code, got.measured_at, got.value) == ("x", T0, 2.0)
    east = reading_parse(
        topic="crisisgov/sensors/x",
        payload=b'{"value": 2.5, "measured_at": "2026-07-01T16:00:00+08:00"}',
        received_at=T0,
    )
    assert east.measured_at == T0


def ingest(ingestor: SensorIngestor, code: str, values: list[tuple[float, float]]) -> int:
    """Add (value, minutes after T0) readings and flush; returns the alerts raised."""
    before = ingestor.alerts
    for value, minutes in values:
        ingestor.add(
            topic=f"crisisgov/sensors/{code}",
            payload=reading(value, minutes).encode(),
            received_at=T0 + dt.timedelta(minutes=minutes, seconds=1),
        )
    ingestor.flush()
    return ingestor.alerts - before


def test_a_continuing_exceedance_is_one_alert_and_a_new_episode_another(gauge):
    ingestor = SensorIngestor()
    # Slow changes (no rate alarm): up over 5 m and staying there across two batches.
    assert ingest(ingestor, gauge.code, [(4.0, 0), (5.5, 60), (5.6, 90)]) == 1
    assert ingest(ingestor, gauge.code, [(5.7, 120), (5.2, 150)]) == 0
    assert sensor_state(Sensor.objects.get()) == "above"
    # Back to normal, then over again: a second episode.
    assert ingest(ingestor, gauge.code, [(4.5, 210), (5.1, 270)]) == 1
    # Below the low threshold.
    assert ingest(ingestor, gauge.code, [(3.5, 330), (1.5, 390), (0.8, 450), (0.7, 480)]) == 1
    kinds = sorted(Alert.objects.values_list("kind", flat=True))
    assert kinds == ["above", "above", "below"]
    first = Alert.objects.order_by("pk").first()
    assert (
        first.dedup_key
        == f"sensor:{gauge.code}:above:{(T0 + dt.timedelta(minutes=60)).isoformat()}"
    )
    assert first.detail["value"] == 5.5 and first.detail["limit"] == 5.0
    assert SensorReading.objects.count() == 11
    sensor = Sensor.objects.get()
    assert (sensor.last_value, sensor_state(sensor)) == (0.7, "below")


def test_a_fast_change_is_one_rate_alert_and_a_replay_raises_nothing(gauge):
    ingestor = SensorIngestor()
    # 2 m/h allowed: +1 m in 10 minutes is 6 m/h, twice in a row (one episode).
    batch = [(2.0, 0), (3.0, 10), (4.0, 20), (4.1, 80)]
    assert ingest(ingestor, gauge.code, batch) == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.detail["value"], alert.detail["limit"]) == ("rate", 6.0, 2.0)
    # The same messages again (a redelivery after a lost acknowledgement), and a fresh
    # listener that remembers nothing: nothing new is stored or raised.
    assert ingest(ingestor, gauge.code, batch) == 0
    fresh = SensorIngestor()
    assert ingest(fresh, gauge.code, batch) == 0
    assert SensorReading.objects.count() == 4 and Alert.objects.count() == 1
    assert ingestor.stored == 4 and fresh.stored == 0  # repeats are not counted as stored


def test_a_silent_sensor_is_one_alert_and_a_reading_clears_it(gauge):
    ingestor = SensorIngestor()
    ingest(ingestor, gauge.code, [(3.0, 0)])
    seen = Sensor.objects.get().last_seen_at
    assert sensors_silent_sweep(now=seen + dt.timedelta(seconds=119)) == 0  # within 2 x 60 s
    assert sensors_silent_sweep(now=seen + dt.timedelta(seconds=121)) == 1
    assert sensors_silent_sweep(now=seen + dt.timedelta(seconds=600)) == 0
    alert = Alert.objects.get()
    assert (alert.kind, alert.source, alert.area_path) == ("silent", "sensor", gauge.area_path)
    assert sensor_state(Sensor.objects.get()) == "silent"
    ingest(ingestor, gauge.code, [(3.1, 30)])
    assert sensor_state(Sensor.objects.get()) == "ok"


def test_unknown_and_inactive_sensors_are_counted(gauge):
    ingestor = SensorIngestor()
    Sensor.objects.filter(pk=gauge.pk).update(active=False)
    for code in ("nobody", gauge.code):
        ingestor.add(topic=f"crisisgov/sensors/{code}", payload=reading(1).encode(), received_at=T0)
    assert dict(ingestor.rejected) == {"unknown_sensor": 1, "inactive_sensor": 1}
    assert ingestor.flush() == 0


# --- over the broker -------------------------------------------------------------------------


def test_published_readings_are_stored_and_malformed_ones_counted(broker, gauge, water):
    Sensor.objects.create(
        code="off",
        name="off",
        indicator=water,
        area=gauge.area,
        area_path=gauge.area_path,
        active=False,
    )
    running = Running(
        SensorListener(url=broker.url, client_id=f"t-{uuid.uuid4().hex}", flush_seconds=0.1)
    )
    bad = [
        (gauge.code, b"{not json"),
        (gauge.code, b'{"value": NaN}'),
        (gauge.code, b'{"value": "high"}'),
        (gauge.code, b"x" * 5000),
        ("nobody", reading(1.0)),
        ("off", reading(1.0)),
    ]
    good = [(gauge.code, reading(2.0 + i / 10, minutes=i)) for i in range(5)]
    publish(broker.url, good[:2] + bad + good[2:])
    listener = running.listener
    wait_for(lambda: listener.stored == 5 and sum(listener.rejected.values()) == 6, what="all 11")
    # The listener is still there after the bad ones: a later reading is stored too.
    publish(broker.url, [(gauge.code, reading(2.9, minutes=9))])
    wait_for(lambda: listener.stored == 6, what="the reading after the bad ones")
    running.join()
    assert dict(listener.rejected) == {
        "not_json": 1,
        "bad_value": 2,
        "too_large": 1,
        "unknown_sensor": 1,
        "inactive_sensor": 1,
    }
    values = list(SensorReading.objects.order_by("measured_at").values_list("value", flat=True))
    assert values == [2.0, 2.1, 2.2, 2.3, 2.4, 2.9]
    assert Sensor.objects.get(pk=gauge.pk).last_value == 2.9


def test_a_broker_restart_and_a_listener_outage_lose_nothing(broker, gauge):
    client_id = f"t-{uuid.uuid4().hex}"
    running = Running(SensorListener(url=broker.url, client_id=client_id, flush_seconds=0.1))
    listener = running.listener
    minute = iter(range(10_000))

    def some(n: int) -> list:
        return [(gauge.code, reading(3.0, minutes=next(minute))) for _ in range(n)]

    publish(broker.url, some(20))
    wait_for(lambda: listener.stored == 20, what="the first readings")

    # 1. The broker restarts under a running listener: it reconnects by itself, and what is
    # published right after the restart (maybe before it is back) reaches it.
    broker.stop()
    wait_for(lambda: not listener.connected.is_set(), what="the listener to notice")
    broker.start()
    publish(broker.url, some(30))
    wait_for(lambda: listener.stored >= 50, seconds=30, what="readings after the restart")
    assert listener.connects == 2
    running.join()

    # 2. The listener is away: QoS 1 messages wait in its session, across another broker
    # restart, and arrive when it comes back under the same client id.
    publish(broker.url, some(40))
    broker.stop()
    broker.start()
    running = Running(SensorListener(url=broker.url, client_id=client_id, flush_seconds=0.1))
    wait_for(lambda: running.listener.stored >= 40, seconds=30, what="the queued readings")
    running.join()
    assert SensorReading.objects.count() == 90
    assert SensorReading.objects.values("measured_at").distinct().count() == 90


def test_the_shared_broker_on_loopback(gauge):
    url = "mqtt://127.0.0.1:1883"
    if not broker_answers(url):
        if os.environ.get("CI") == "true":
            pytest.fail("no MQTT broker on 127.0.0.1:1883: under CI that is a failure")
        pytest.skip("no MQTT broker on 127.0.0.1:1883")
    # A short session: the shared broker forgets this test's client a minute after it.
    listener = SensorListener(
        url=url, client_id=f"t-{uuid.uuid4().hex}", flush_seconds=0.1, session_expiry_seconds=60
    )
    running = Running(listener)
    publish(url, [(gauge.code, reading(2.5, minutes=i)) for i in range(10)])
    wait_for(lambda: listener.stored == 10, what="readings via the shared broker")
    running.join()
    assert SensorReading.objects.filter(sensor=gauge).count() == 10


def test_the_status_command_prints_each_sensor(gauge):
    ingest(SensorIngestor(), gauge.code, [(5.5, 0)])
    out = io.StringIO()
    call_command("sensors", "status", stdout=out)
    assert out.getvalue().split()[:4] == [gauge.code, "above", "5.5", "m"]


def test_the_simulator_publishes_every_sensor_and_one_drifts(broker, gauge):
    import random

    from crisisgov.earlywarning.sensor_simulator import simulate, simulated_value

    rng = random.Random(1)
    peak = simulated_value(gauge, elapsed=90, drifting=True, rng=rng)
    assert 5.9 < peak < 6.1  # 20% over the high threshold at the top of the cycle
    assert 2.9 < simulated_value(gauge, elapsed=90, drifting=False, rng=rng) < 3.1
    running = Running(
        SensorListener(url=broker.url, client_id=f"t-{uuid.uuid4().hex}", flush_seconds=0.1)
    )
    sent = simulate(url=broker.url, every=0.05, seconds=0.5)
    wait_for(lambda: running.listener.stored == sent, what="the simulated readings")
    running.join()
    assert SensorReading.objects.count() == sent


def test_the_api_registers_lists_changes_and_reads_a_sensor(city, water, make_user):
    from django.test import Client

    client = Client()
    client.force_login(make_user("department_officer", city.district_a))
    body = {
        "code": "river-a1",
        "indicator": "water_level",
        "area_id": city.community_a.id,
        "name": "江滩水位",
        "high_threshold": 5.0,
        "low_threshold": 1.0,
        "interval_seconds": 60,
    }
    created = client.post("/api/earlywarning/sensors", body, content_type="application/json")
    assert created.status_code == 201, created.content
    sensor_id = created.json()["id"]
    assert (created.json()["state"], created.json()["unit"]) == ("new", "m")
    again = client.post("/api/earlywarning/sensors", body, content_type="application/json")
    assert again.status_code == 400 and again.json()["detail"][0]["field"] == "code"
    bad = client.post(
        "/api/earlywarning/sensors", body | {"code": "a/#"}, content_type="application/json"
    )
    assert bad.status_code == 422
    changed = client.patch(
        f"/api/earlywarning/sensors/{sensor_id}",
        {"high_threshold": 6.0, "max_rate_per_hour": None},
        content_type="application/json",
    )
    assert changed.json()["high_threshold"] == 6.0
    ingest(SensorIngestor(), "river-a1", [(6.5, 0), (5.0, 10)])
    listed = client.get("/api/earlywarning/sensors").json()
    assert [(s["code"], s["state"], s["last_value"]) for s in listed] == [("river-a1", "ok", 5.0)]
    readings = client.get(f"/api/earlywarning/sensors/{sensor_id}/readings?limit=1").json()
    assert [r["value"] for r in readings] == [5.0]
    analyst = Client()
    analyst.force_login(make_user("analyst", city.district_a))
    refused = analyst.patch(
        f"/api/earlywarning/sensors/{sensor_id}", {"active": False}, content_type="application/json"
    )
    assert refused.status_code == 404 and Sensor.objects.get().active


def test_the_board_shows_each_sensor_of_your_areas_and_its_state(city, gauge, water, make_user):
    from django.test import Client

    Sensor.objects.create(
        code="district-b-gauge",
        name="B",
        indicator=water,
        area=city.community_b,
        area_path=city.community_b.path,
    )
    ingest(SensorIngestor(), gauge.code, [(5.5, 0)])
    client = Client()
    assert client.get("/earlywarning/sensors/").status_code == 302  # to the login page
    client.force_login(make_user("analyst", city.district_a))
    page = client.get("/earlywarning/sensors/").content.decode()
    assert f'data-sensor="{gauge.code}" data-state="above"' in page
    assert "district-b-gauge" not in page
    assert 'hx-trigger="every 5s"' in page
    partial = client.get("/earlywarning/sensors/", headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith("<div") and "<html" not in partial
    assert 'data-state="above"' in partial


def test_the_demo_registers_its_sensors_once(city):
    from crisisgov.drills.sensors_demo import sensors_demo_ensure

    assert sensors_demo_ensure() == [
        "Sensors: 4 registered (river-gauge-1, river-gauge-2, chem-plant-gas-1, "
        "plant-temperature-1), topics crisisgov/sensors/<code>"
    ]
    assert sensors_demo_ensure() == []
    gas = Sensor.objects.get(code="chem-plant-gas-1")
    assert (gas.indicator.code, gas.area_path, gas.high_threshold) == (
        "gas-concentration",
        city.community_b.path,
        50.0,
    )


def test_closed_hours_become_hourly_means_of_the_area(gauge, water):
    from crisisgov.earlywarning.models import Observation

    Sensor.objects.create(
        code="river-2", name="2", indicator=water, area=gauge.area, area_path=gauge.area_path
    )
    ingestor = SensorIngestor()
    ingest(ingestor, gauge.code, [(2.0, 10)])
    ingest(ingestor, "river-2", [(4.0, 20)])
    assert not Observation.objects.exists()  # the hour is still open
    ingest(ingestor, gauge.code, [(3.0, 70)])  # a reading of the next hour closes it
    hour = Observation.objects.get()
    local = dt.timezone(dt.timedelta(hours=8))  # the city's zone (Asia/Shanghai)
    assert (hour.period_start, hour.value, hour.source) == (T0.astimezone(local), 3.0, "sensor")
    ingest(ingestor, gauge.code, [(6.0, 40)])  # late, for the closed hour: a new revision
    current = Observation.objects.get(current=True)
    assert (current.value, current.revision) == (4.0, 2)
