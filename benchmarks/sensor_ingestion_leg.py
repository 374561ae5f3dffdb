"""One leg of bench_sensor_ingestion, in its own process (its own settings and database):
`listen batched|naive URL N SENSORS` or `publish URL N SENSORS`. Prints one JSON line."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
MOSQUITTO_PUB = shutil.which("mosquitto_pub")


def publish(url: str, count: int, sensors: int, first: int = 0, step: int = 1) -> dict:
    """Readings first, first + step, ... below `count` of the whole run, round-robin over the
    sensors, QoS 1 (paho keeps up to 1,000 unacknowledged)."""
    from crisisgov.earlywarning.mqtt_connection import broker_from_url, mqtt_client

    broker = broker_from_url(url)
    client = mqtt_client(broker)
    client.max_inflight_messages_set(1000)  # QoS 1 messages in flight before paho waits
    client.max_queued_messages_set(0)
    client.connect(broker.host, broker.port)
    client.loop_start()
    started = time.perf_counter()
    last = None
    for i in range(first, count, step):
        at = T0 + dt.timedelta(seconds=i // sensors)
        body = json.dumps({"value": 1.0 + (i % 97) / 100, "measured_at": at.isoformat()})
        last = client.publish(f"crisisgov/sensors/bench-{i % sensors:03d}", body, qos=1)
    assert last is not None
    last.wait_for_publish(timeout=600)
    seconds = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return {"published": len(range(first, count, step)), "seconds": seconds}


def _readings(count: int, sensors: int) -> dict[int, list[str]]:
    by_sensor: dict[int, list[str]] = {}
    for i in range(count):
        at = T0 + dt.timedelta(seconds=i // sensors)
        body = json.dumps({"value": 1.0 + (i % 97) / 100, "measured_at": at.isoformat()})
        by_sensor.setdefault(i % sensors, []).append(body)
    return by_sensor


def _sensor_files(count: int, sensors: int) -> list[Path]:
    """One file of readings per sensor, written before the clock starts."""
    directory = Path(tempfile.mkdtemp(prefix="bench-sensors-"))
    files = []
    for sensor, lines in _readings(count, sensors).items():
        path = directory / f"bench-{sensor:03d}"
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
    return files


def _start_publishers(url: str, count: int, sensors: int, files: list[Path]) -> list:
    """One publishing client per sensor, as in the field: `mosquitto_pub -l -q 1` (C, so that
    the load generator does not eat the CPU the listener is measured on: a paho client costs
    ~0.2 ms of CPU per QoS 1 message here), else a paho client per 1/4 of the readings."""
    if not MOSQUITTO_PUB:
        return [
            subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "benchmarks.sensor_ingestion_leg",
                    "publish",
                    url,
                    str(count),
                    str(sensors),
                    str(k),
                    "4",
                ],
                stdout=subprocess.DEVNULL,
            )
            for k in range(4)
        ]
    from crisisgov.earlywarning.mqtt_connection import broker_from_url

    broker = broker_from_url(url)
    return [
        subprocess.Popen(  # noqa: S603
            [
                MOSQUITTO_PUB,
                "-h",
                broker.host,
                "-p",
                str(broker.port),
                "-q",
                "1",
                "-l",
                "-t",
                f"crisisgov/sensors/{path.name}",
            ],
            stdin=path.open("rb"),
        )
        for path in files
    ]


def _setup(sensors: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisgov.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from crisisgov.earlywarning.models import Indicator, Sensor, SensorReading
    from crisisgov.geo.models import Area

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE earlywarning_sensorreading")
    else:
        SensorReading.objects.all().delete()
    area, _ = Area.objects.get_or_create(
        code="420100000000",
        defaults={"path": "4201", "level": 2, "name_zh": "武汉市", "name_en": "Wuhan"},
    )
    indicator, _ = Indicator.objects.get_or_create(
        code="bench_level",
        defaults={
            "name_zh": "水位",
            "name_en": "level",
            "kind": "sensor",
            "unit": "m",
            "resolution": "hour",
            "area_level": 2,
            "additive": False,
        },
    )
    for i in range(sensors):
        Sensor.objects.update_or_create(
            code=f"bench-{i:03d}",
            defaults={
                "name": f"bench {i}",
                "indicator": indicator,
                "area": area,
                "area_path": area.path,
                "high_threshold": 100.0,
                "low_threshold": 0.0,
                "max_rate_per_hour": 1000.0,
                "last_value": None,
                "last_seen_at": None,
            },
        )


class _Naive:
    """What a first listener would do: one INSERT (autocommit) per message in paho's callback,
    the message acknowledged by paho before it is stored."""

    def __init__(self, url: str):
        from crisisgov.earlywarning.models import Sensor
        from crisisgov.earlywarning.mqtt_connection import broker_from_url, mqtt_client

        self.stored = 0
        self.ids = dict(Sensor.objects.values_list("code", "id"))
        broker = broker_from_url(url)
        self.client = mqtt_client(broker, client_id="bench-naive")
        subscribed = threading.Event()
        self.client.on_message = self.on_message
        self.client.on_connect = lambda c, *a: c.subscribe("crisisgov/sensors/+", qos=1)
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        subscribed.wait(10)

    def on_message(self, client, userdata, message) -> None:  # type: ignore[no-untyped-def]
        from django.utils import timezone

        from crisisgov.earlywarning.models import SensorReading

        data = json.loads(message.payload)
        SensorReading.objects.create(
            sensor_id=self.ids[message.topic.rsplit("/", 1)[1]],
            measured_at=dt.datetime.fromisoformat(data["measured_at"]),
            value=data["value"],
            received_at=timezone.now(),
        )
        self.stored += 1

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def listen(kind: str, url: str, count: int, sensors: int) -> dict:
    _setup(sensors)
    from django.db import connection

    from crisisgov.earlywarning.models import SensorReading
    from crisisgov.earlywarning.mqtt_listener import SensorListener

    stop = threading.Event()
    if kind == "batched":
        listener = SensorListener(
            url=url, client_id=f"bench-{os.getpid()}", flush_seconds=0.2, session_expiry_seconds=60
        )
        thread = threading.Thread(target=listener.run, args=(stop,), daemon=True)
        thread.start()
        listener.connected.wait(10)
        stored = lambda: listener.stored  # noqa: E731
    else:
        naive = _Naive(url)
        stored = lambda: naive.stored  # noqa: E731
    files = _sensor_files(count, sensors)
    cpu0 = time.process_time()
    started = time.perf_counter()
    publishers = _start_publishers(url, count, sensors, files)
    deadline = started + 900
    published_at = None
    while stored() < count and time.perf_counter() < deadline:
        codes = [p.poll() for p in publishers]
        if any(code not in (None, 0) for code in codes):
            raise SystemExit("a publisher failed")
        if published_at is None and None not in codes:
            published_at = time.perf_counter()
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    for p in publishers:
        p.wait(timeout=120)
    published_at = published_at or time.perf_counter()
    stop.set()
    if kind == "batched":
        thread.join(30)
    else:
        naive.close()
    rows = SensorReading.objects.count()
    return {
        "leg": kind,
        "readings": count,
        "rows": rows,
        "seconds": seconds,
        "cpu": cpu,
        "publish_seconds": published_at - started,
        "publisher": "mosquitto_pub" if MOSQUITTO_PUB else "paho",
        "database": connection.vendor,
    }


if __name__ == "__main__":
    if sys.argv[1] == "publish":  # publish URL N SENSORS FIRST STEP
        result = publish(sys.argv[2], *map(int, sys.argv[3:7]))
    else:  # listen batched|naive URL N SENSORS
        result = listen(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    print(json.dumps(result), flush=True)
