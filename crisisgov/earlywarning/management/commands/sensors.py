"""`crisisgov sensors listen | simulate | status`: the MQTT sensor feed.

`listen` subscribes to `crisisgov/sensors/+` on the broker (`MQTT_URL`) and stores readings in
batches until Ctrl+C; `simulate` publishes readings of the registered sensors (the demo);
`status` prints the sensor board.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from crisisgov.earlywarning.models import Sensor
from crisisgov.earlywarning.mqtt_listener import SensorListener, broker_answers
from crisisgov.earlywarning.sensor_simulator import simulate
from crisisgov.earlywarning.sensors import sensor_state


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    return stop


class Command(BaseCommand):
    help = "The MQTT sensor feed: listen, simulate, status."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listen = sub.add_parser("listen", help="store readings from the broker until stopped")
        listen.add_argument("--url", default=None, help="mqtt://host:port (default MQTT_URL)")
        listen.add_argument("--batch", type=int, default=2000, help="readings per transaction")
        listen.add_argument("--flush-seconds", type=float, default=0.5)
        listen.add_argument(
            "--client-id", default="", help="the broker session's id (default: one per database)"
        )
        simulate_ = sub.add_parser("simulate", help="publish readings of the registered sensors")
        simulate_.add_argument("--url", default=None)
        simulate_.add_argument("--every", type=float, default=1.0, help="seconds between rounds")
        simulate_.add_argument("--seconds", type=float, default=None, help="stop after this")
        sub.add_parser("status", help="print every sensor's state")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "status":
            return self._status()
        url = options["url"] or settings.MQTT_URL
        if not broker_answers(url):
            # The listener would retry forever; say so at once instead.
            self.stderr.write(f"no MQTT broker answers at {url} yet; retrying in the background")
        if action == "listen":
            if options["batch"] < 1 or options["flush_seconds"] <= 0:
                raise CommandError("--batch must be at least 1 and --flush-seconds positive")
            listener = SensorListener(
                url=url,
                client_id=options["client_id"],
                batch_size=options["batch"],
                flush_seconds=options["flush_seconds"],
            )
            self.stdout.write(f"listening on {url} for crisisgov/sensors/+ (Ctrl+C stops)")
            listener.run(_stop_on_signals())
            rejected = ", ".join(f"{k} {v}" for k, v in sorted(listener.rejected.items()))
            self.stdout.write(f"stored {listener.stored} readings; refused: {rejected or 'none'}")
        else:
            sent = simulate(
                url=url, every=options["every"], seconds=options["seconds"], stop=_stop_on_signals()
            )
            self.stdout.write(f"published {sent} readings")

    def _status(self) -> None:
        for sensor in Sensor.objects.select_related("indicator"):
            seen = sensor.last_seen_at.isoformat(timespec="seconds") if sensor.last_seen_at else "-"
            value = "-" if sensor.last_value is None else f"{sensor.last_value:g}"
            unit = sensor.indicator.unit
            self.stdout.write(
                f"{sensor.code:<28} {sensor_state(sensor):<7} {value:>10} {unit:<6}"
                f" low {sensor.low_threshold} high {sensor.high_threshold}  last seen {seen}"
                f"{'' if sensor.active else '  (inactive)'}"
            )
