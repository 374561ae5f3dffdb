"""Simulated field sensors for the demo: every registered active sensor publishes a reading
to the broker every second or so, near the middle of its thresholds; one of them drifts over
its high threshold and back, so the board and the inbox have something to show."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import threading
import time

from crisisgov.earlywarning.models import Sensor
from crisisgov.earlywarning.mqtt_connection import broker_from_url, mqtt_client
from crisisgov.earlywarning.sensors import TOPIC_PREFIX

DRIFT_SECONDS = 180  # one rise over the threshold and back


def _middle(sensor: Sensor) -> float:
    low, high = sensor.low_threshold, sensor.high_threshold
    if low is not None and high is not None:
        return (low + high) / 2
    if high is not None:
        return high * 0.6
    if low is not None:
        return low * 1.5 + 1
    return 20.0


def simulated_value(sensor: Sensor, *, elapsed: float, drifting: bool, rng: random.Random) -> float:
    """Quiet noise around the middle; the drifting one climbs to 20% over its high threshold
    in the first half of each cycle and falls back in the second."""
    middle = _middle(sensor)
    noise = rng.gauss(0, abs(middle) * 0.002 + 0.001)
    if not drifting or sensor.high_threshold is None:
        return round(middle + noise, 3)
    phase = (elapsed % DRIFT_SECONDS) / DRIFT_SECONDS
    peak = sensor.high_threshold * 1.2
    climb = 1 - abs(2 * phase - 1)  # 0 -> 1 -> 0 over a cycle
    return round(middle + (peak - middle) * climb + noise, 3)


def simulate(
    *,
    url: str,
    every: float = 1.0,
    seconds: float | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Publish readings (QoS 1) until `seconds` pass or `stop` is set; returns how many."""
    stop = stop or threading.Event()
    sensors = list(Sensor.objects.filter(active=True).select_related("indicator").order_by("code"))
    drifting = next((s.code for s in sensors if s.high_threshold is not None), None)
    broker = broker_from_url(url)
    client = mqtt_client(broker)
    client.connect_async(broker.host, broker.port, keepalive=30)
    client.loop_start()
    rng = random.Random(7)  # noqa: S311 (simulated values, not secrets)
    started = time.monotonic()
    sent = 0
    try:
        while not stop.is_set():
            elapsed = time.monotonic() - started
            if seconds is not None and elapsed >= seconds:
                break
            now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
            for sensor in sensors:
                value = simulated_value(
                    sensor, elapsed=elapsed, drifting=sensor.code == drifting, rng=rng
                )
                payload = {"value": value, "measured_at": now, "unit": sensor.indicator.unit}
                client.publish(f"{TOPIC_PREFIX}{sensor.code}", json.dumps(payload), qos=1)
                sent += 1
            stop.wait(max(0.0, every - math.fmod(time.monotonic() - started, every)))
    finally:
        client.disconnect()
        client.loop_stop()
    return sent
