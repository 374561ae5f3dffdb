"""What the rest of the opinion app (its message API, the situation board) may use of rumors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crisisgov.kernel.actor import Actor


@dataclass(frozen=True)
class RumorFlag:
    """A message's rumor match, as shown beside the message."""

    rumor_id: int
    rumor_code: str
    verdict: str
    stance: str  # spreads | debunks
    score: float
    clarification_id: int | None
    clarification_zh: str
    clarification_en: str
    source_title: str
    source_url: str
    published_at: dt.datetime | None


def rumor_flag_of(*, actor: Actor, message_id: int) -> RumorFlag | None:
    """The flag of a message of the actor's areas (None when it matched no known rumor)."""
    from crisisgov.opinion.rumors.selectors import message_match

    match = message_match(actor=actor, message_id=message_id)
    if match is None or match.rumor.state != "confirmed":
        return None
    clar = match.clarification
    return RumorFlag(
        rumor_id=match.rumor_id,
        rumor_code=match.rumor.code,
        verdict=match.rumor.verdict,
        stance=match.stance,
        score=match.score,
        clarification_id=clar.pk if clar else None,
        clarification_zh=clar.text_zh if clar else "",
        clarification_en=clar.text_en if clar else "",
        source_title=clar.source_title if clar else "",
        source_url=clar.source_url if clar else "",
        published_at=clar.published_at if clar else None,
    )
