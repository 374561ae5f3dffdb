"""Connecting to the MQTT broker: the URL, a paho client set up our way, a reachability
probe. No Django here, so that a publisher process (the benchmark's) can use it alone."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None = None
    password: str | None = None


def broker_from_url(url: str) -> Broker:
    """`mqtt://[user:password@]host[:port]` (1883 by default)."""
    parts = urlsplit(url if "://" in url else f"mqtt://{url}")
    if parts.scheme not in ("mqtt", "tcp"):
        raise ValueError(f"an MQTT URL starts with mqtt://, not {parts.scheme}://")
    return Broker(parts.hostname or "127.0.0.1", parts.port or 1883, parts.username, parts.password)


def mqtt_client(broker: Broker, *, client_id: str = "", manual_ack: bool = False) -> mqtt.Client:
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    client.on_socket_open = _no_delay
    return client


def _no_delay(client: mqtt.Client, userdata: object, sock: object) -> None:
    """Send each packet at once: paho writes small packets one by one, and Nagle's algorithm
    holding them for the peer's delayed ACK made QoS 1 publishing 3x slower here."""
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def broker_answers(url: str, *, timeout: float = 1.0) -> bool:
    """True when an MQTT broker accepts a connection at `url`."""
    broker = broker_from_url(url)
    try:
        with socket.create_connection((broker.host, broker.port), timeout=timeout):
            return True
    except OSError:
        return False
