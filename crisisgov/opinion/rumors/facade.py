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


def rumor_owners_of(message_ids: list[int]) -> dict[str, int]:
    """{owner department: how many of these messages spread it} over the known (confirmed)
    rumors the messages spread; debunking messages are not counted. For the hot-spot alarms:
    a burst of a known rumor goes to the department that owns its clarification."""
    from django.db.models import Count

    from crisisgov.opinion.rumors.models import RumorMatch, RumorState, Stance

    rows = (
        RumorMatch.objects.filter(
            message_id__in=list(message_ids),
            stance=Stance.SPREADS,
            rumor__state=RumorState.CONFIRMED,
        )
        .exclude(rumor__department="")
        .values("rumor__department")
        .annotate(n=Count("id"))
    )
    return {row["rumor__department"]: row["n"] for row in rows}
