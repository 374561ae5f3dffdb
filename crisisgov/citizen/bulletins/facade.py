"""What other apps may use of the bulletins: rumor-vs-fact notes (the opinion app files them)
and, for drills, publishing a day's bulletin as the system."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crisisgov.kernel.actor import Actor


@dataclass(frozen=True)
class ClarificationInfo:
    id: int
    area_id: int
    area_path: str
    claim_zh: str
    claim_en: str
    fact_zh: str
    fact_en: str
    source_url: str
    published_at: dt.datetime
    bulletin_id: int | None
    external_ref: str


def _info(note) -> ClarificationInfo:  # type: ignore[no-untyped-def]
    return ClarificationInfo(
        id=note.pk,
        area_id=note.area_id,
        area_path=note.area_path,
        claim_zh=note.claim_zh,
        claim_en=note.claim_en,
        fact_zh=note.fact_zh,
        fact_en=note.fact_en,
        source_url=note.source_url,
        published_at=note.published_at,
        bulletin_id=note.bulletin_id,
        external_ref=note.external_ref,
    )


def clarification_publish(
    *,
    actor: Actor,
    area_id: int,
    claim_zh: str,
    claim_en: str,
    fact_zh: str,
    fact_en: str,
    source_url: str = "",
    external_ref: str = "",
    bulletin_id: int | None = None,
) -> ClarificationInfo:
    """Publish a "rumor vs fact" note in the area (the actor needs citizen.publish_bulletins
    there; the system may always). Give `external_ref` (e.g. "opinion:rumor:42") so that
    filing again returns the same note. Audited. DomainError names a bad field."""
    from crisisgov.citizen.bulletins.services import clarification_publish as publish

    note, _ = publish(
        actor=actor,
        area_id=area_id,
        claim_zh=claim_zh,
        claim_en=claim_en,
        fact_zh=fact_zh,
        fact_en=fact_en,
        source_url=source_url,
        external_ref=external_ref,
        bulletin_id=bulletin_id,
    )
    return _info(note)


def clarifications_recent(*, area_path: str = "", limit: int = 20) -> list[ClarificationInfo]:
    """The newest public notes, of an area's subtree and the areas above it when given."""
    from crisisgov.citizen.bulletins.selectors import clarifications_recent as recent

    return [_info(n) for n in recent(area_path=area_path, limit=limit)]


def bulletin_publish_for_drill(*, area_id: int, day: dt.date) -> tuple[int, bool]:
    """For drills: draft the area's bulletin of `day` and publish its generated texts as the
    system. Returns (its number, whether it was published now); idempotent."""
    from crisisgov.citizen.bulletins.models import Bulletin, BulletinState
    from crisisgov.citizen.bulletins.services import bulletin_draft, bulletin_publish
    from crisisgov.kernel.actor import SYSTEM

    done = (
        Bulletin.objects.filter(area_id=area_id, date=day, corrects__isnull=True)
        .exclude(state=BulletinState.DRAFT)
        .first()
    )
    if done is not None:
        return done.number or 0, False
    bulletin, _ = bulletin_draft(actor=SYSTEM, area_id=area_id, day=day)
    bulletin = bulletin_publish(actor=SYSTEM, bulletin_id=bulletin.pk)
    return bulletin.number or 0, True
