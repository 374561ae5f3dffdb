"""The rumors app's reaction to new messages (see crisisgov/kernel/outbox.py)."""

from __future__ import annotations

from crisisgov.kernel.models import OutboxEvent
from crisisgov.kernel.outbox import event_handler
from crisisgov.opinion.rumors.services import message_check


@event_handler("opinion.message_received")
def match_message_against_rumors(event: OutboxEvent) -> None:
    """Every stored message is matched against the knowledge base once (idempotent)."""
    message_check(message_id=int(event.payload["message_id"]))
