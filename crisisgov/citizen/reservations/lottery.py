"""The lottery draw, reproducible by anyone (pure: no Django).

At opening the platform publishes `commitment = SHA-256(seed)` (seed: 64 hex characters,
kept secret until the draw); every registration gets a pseudonymous `ticket`; at the draw the
seed is revealed with the list of tickets. The order is

    sorted(tickets, key=lambda t: HMAC-SHA256(key=seed, msg=t).hexdigest())

and winners are taken from the front of it: an entry whose person has meanwhile used up
the quota is passed over (recorded) and the next in order takes the place, until the stock
is given out. Everyone has exactly one entry, so everyone has the same chance; nobody,
the platform included, can steer the order after the commitment is published, because the
seed must hash to it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def ticket(window_id: int, person_key: str) -> str:
    """A per-window pseudonym: the published list cannot be linked across windows or to
    other data without the person's blind index."""
    return hashlib.sha256(f"lottery:{window_id}:{person_key}".encode()).hexdigest()[:20]


def rank(seed: str, ticket_: str) -> str:
    return hmac.new(seed.encode(), ticket_.encode(), hashlib.sha256).hexdigest()


def draw_order(seed: str, tickets: list[str]) -> list[str]:
    """Every ticket, in the order winners are taken."""
    return sorted(set(tickets), key=lambda t: (rank(seed, t), t))


VERIFY_PYTHON = """import hashlib, hmac, json, urllib.request
doc = json.load(urllib.request.urlopen(URL))  # this page's .json
assert hashlib.sha256(doc["seed"].encode()).hexdigest() == doc["commitment"]
order = sorted(doc["tickets"], key=lambda t: hmac.new(
    doc["seed"].encode(), t.encode(), hashlib.sha256).hexdigest())
print(order[: len(doc["winners"]) + len(doc["passed_over"])])  # winners, in order"""
