"""The rumors panel of the situation board: the fact-checkers' queue and the known rumors
spreading most in the viewer's areas. `board_panel(actor)` gives the context of
templates/opinion_rumors/_board_panel.html, which the board includes."""

from __future__ import annotations

from django.utils import translation

from crisisgov.kernel.actor import Actor
from crisisgov.opinion.permissions import OpinionPermission
from crisisgov.opinion.rumors import selectors

QUEUE_SIZE = 5
TOP_SIZE = 5
HOURS = 24


def board_panel(actor: Actor) -> dict:
    """{"rumors_queue": [...], "rumors_spreading": [...], "rumors_hours": 24, ...}; message
    texts in it are the redacted ones. The queue is empty for viewers who do not check facts."""
    lang = "en" if (translation.get_language() or "").startswith("en") else "zh"
    queue = []
    if actor.can(OpinionPermission.CHECK_FACTS):
        for item in selectors.queue(actor=actor, limit=QUEUE_SIZE):
            example = item.examples[0].message.text if item.examples else ""
            queue.append(
                {"id": item.rumor.pk, "code": item.rumor.code, "count": item.count,
                 "example": example}
            )  # fmt: skip
    spreading = [
        {
            "id": rumor.pk,
            "code": rumor.code,
            "statement": rumor.canonical(lang),
            "verdict": rumor.get_verdict_display(),
            "count": count,
        }
        for rumor, count in selectors.top_spreading(actor=actor, hours=HOURS, limit=TOP_SIZE)
    ]
    return {
        "rumors_queue": queue,
        "rumors_spreading": spreading,
        "rumors_hours": HOURS,
        "rumors_may_check": actor.can(OpinionPermission.CHECK_FACTS),
    }
