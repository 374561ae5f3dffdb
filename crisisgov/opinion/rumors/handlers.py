"""The rumors app's reaction to new messages (see crisisgov/kernel/outbox.py)."""

from __future__ import annotations

from crisisgov.kernel.models import OutboxEvent
from crisisgov.kernel.outbox import event_handler
from crisisgov.opinion.rumors.services import messages_check


@event_handler("opinion.messages_analysed")
def match_messages_against_rumors(event: OutboxEvent) -> None:
    """Every analysed batch of messages is matched against the knowledge base, as one batch,
    once (idempotent)."""
    messages_check(message_ids=[int(i) for i in event.payload["message_ids"]])
