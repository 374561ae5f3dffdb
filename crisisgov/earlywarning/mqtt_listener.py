"""The sensor listener: MQTT messages on `crisisgov/sensors/+` into the database, in batches.

No message is lost between the broker and the database:
- a persistent session (a fixed client id, clean start off, a long session expiry) and a QoS 1
  subscription: while the listener is away, the broker keeps what is published with QoS 1 and
  delivers it when the listener is back (across a broker restart too, with its persistence on);
- a message is acknowledged only after the batch holding it is committed (paho's manual ack),
  so a listener that dies before a commit gets the same messages again; a reading seen twice
  is stored once (unique per sensor and measurement time);
- a lost connection is reopened with a backoff of 1 s doubling to 30 s.

paho's network loop runs in the listener's own thread (no `loop_start`): measured here, the
second thread and the queue between them cost 40% more CPU per message than the database work.
Bad messages are counted by reason, logged and acknowledged (they will not get better), and
never stop the loop.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter
from typing import NamedTuple

import paho.mqtt.client as mqtt
from django.db import close_old_connections
from django.utils import timezone
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from crisisgov.earlywarning.mqtt_connection import (
    Broker,
    broker_answers,
    broker_from_url,
    mqtt_client,
)
from crisisgov.earlywarning.sensors import TOPIC_PREFIX, SensorIngestor

__all__ = [
    "Broker",
    "SensorListener",
    "broker_answers",
    "broker_from_url",
    "default_client_id",
    "mqtt_client",
]

logger = logging.getLogger(__name__)


def default_client_id() -> str:
    """The persistent session's id, one per database: two deployments (or a test run) on one
    broker never take each other's session and its queued readings, while a restarted listener
    of the same deployment resumes its own."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    identity = f"{db['ENGINE']}|{db.get('HOST', '')}|{db.get('PORT', '')}|{db['NAME']}"
    return "crisisgov-listener-" + hashlib.sha256(identity.encode()).hexdigest()[:12]


SESSION_EXPIRY_SECONDS = 7 * 24 * 3600  # the broker keeps a week of readings for a listener away
RECEIVE_MAXIMUM = 65_535  # unacknowledged messages the broker may send: a batch must fit
REGISTRY_REFRESH_SECONDS = 30  # a sensor registered or changed is seen this soon
MAX_BACKOFF_SECONDS = 30


class _Received(NamedTuple):
    generation: int  # which connection it came on: an ack is only valid on that one
    mid: int
    qos: int


class SensorListener:
    """Run with `run(stop)` in a thread or the main thread; `stored`, `rejected` and
    `connects` say how it goes."""

    def __init__(
        self,
        *,
        url: str,
        client_id: str = "",
        batch_size: int = 2000,
        flush_seconds: float = 0.5,
        session_expiry_seconds: int = SESSION_EXPIRY_SECONDS,
    ):
        self.broker = broker_from_url(url)
        self.client_id = client_id or default_client_id()
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.session_expiry_seconds = session_expiry_seconds
        self.ingestor = SensorIngestor()
        self.connected = threading.Event()  # set once the subscription is acknowledged
        self.connects = 0
        self._generation = 0
        self._waiting: list[_Received] = []  # received, acknowledged after the next commit

    @property
    def rejected(self) -> Counter[str]:
        return self.ingestor.rejected

    @property
    def stored(self) -> int:
        return self.ingestor.stored

    # paho calls these from inside client.loop(), in the listener's thread.
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            logger.warning("the broker refused the sensor listener: %s", reason_code)
            return
        self._generation += 1
        self.connects += 1
        # The session may already hold the subscription; subscribing again is harmless.
        client.subscribe(f"{TOPIC_PREFIX}+", qos=1)
        logger.info(
            "sensor listener connected to %s:%s (session present: %s)",
            self.broker.host,
            self.broker.port,
            flags.session_present,
        )

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:  # type: ignore[no-untyped-def]
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self.connected.clear()
        logger.warning("sensor listener disconnected (%s)", reason_code)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        try:
            self.ingestor.add(
                topic=message.topic, payload=message.payload, received_at=timezone.now()
            )
        except Exception:  # the registry lookup failed: unacknowledged, it comes again
            logger.exception("sensor message on %s not handled", message.topic[:80])
            return
        self._waiting.append(_Received(self._generation, message.mid, message.qos))

    def run(self, stop: threading.Event) -> None:
        client = mqtt_client(self.broker, client_id=self.client_id, manual_ack=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.session_expiry_seconds
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        # Sets where to connect; the loop below opens (and reopens) the connection.
        client.connect_async(
            self.broker.host,
            self.broker.port,
            keepalive=30,
            clean_start=False,
            properties=properties,
        )
        try:
            self._loop(client, stop)
        finally:
            if client.socket() is not None:
                client.disconnect()
                client.loop(timeout=0.1)

    def _loop(self, client: mqtt.Client, stop: threading.Event) -> None:
        backoff = 1.0
        deadline = time.monotonic() + self.flush_seconds
        refreshed = time.monotonic()
        while not stop.is_set():
            if client.socket() is None:
                try:
                    client.reconnect()
                    backoff = 1.0
                except OSError as exc:
                    logger.warning(
                        "no MQTT broker at %s:%s (%s)", self.broker.host, self.broker.port, exc
                    )
                    stop.wait(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                    continue
            if client.loop(timeout=0.05) == mqtt.MQTT_ERR_SUCCESS:
                client.loop_read(max_packets=self.batch_size)  # what else is in the socket
            full = len(self._waiting) >= self.batch_size
            if not (full or time.monotonic() >= deadline):
                continue
            if self._waiting and not self._flush():
                stop.wait(1.0)  # the database is away: keep the batch, try again shortly
                continue
            self._acknowledge(client)
            deadline = time.monotonic() + self.flush_seconds
            if time.monotonic() - refreshed > REGISTRY_REFRESH_SECONDS:
                self.ingestor.forget()
                refreshed = time.monotonic()
        # Stopping: store and acknowledge what came; anything later is sent again next time.
        if self._waiting and self._flush():
            self._acknowledge(client)

    def _flush(self) -> bool:
        try:
            self.ingestor.flush()
        except Exception:
            logger.exception("storing %s sensor readings failed", len(self.ingestor.pending))
            close_old_connections()
            return False
        return True

    def _acknowledge(self, client: mqtt.Client) -> None:
        for item in self._waiting:
            # An ack for a message of an earlier connection could hit another message of this
            # one; the broker sends the earlier message again and it is ignored as a repeat.
            if item.qos > 0 and item.generation == self._generation:
                client.ack(item.mid, item.qos)
        self._waiting = []
