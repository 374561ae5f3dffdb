"""Bulletins: drafting, editing, publishing and correcting; rumor-vs-fact notes.

A state change is one function: one transaction, the write, an audit entry naming the actor.
Officials act with `citizen.publish_bulletins` inside their area's subtree; anything outside it
is answered as missing.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from crisisgov.citizen.bulletins.figures import draft_texts, figures_compute
from crisisgov.citizen.bulletins.models import Bulletin, BulletinState, Clarification
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.earlywarning.facade import cases_reported
from crisisgov.geo.facade import Level, area_for_actor, areas_at_level
from crisisgov.kernel.actor import SYSTEM, Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound

P = CitizenPermission.PUBLISH_BULLETINS
TEXT_FIELDS = ("title_zh", "title_en", "body_zh", "body_en")


def _audit(actor: Actor, bulletin: Bulletin, *, action: str, **detail: object) -> None:
    audit_record(
        actor=actor,
        action=action,
        permission=P,
        target_type="citizen.bulletin",
        target_id=bulletin.pk,
        area_path=bulletin.area_path,
        detail={"date": bulletin.date.isoformat(), **detail},
    )


def bulletin_draft(*, actor: Actor, area_id: int, day: dt.date) -> tuple[Bulletin, bool]:
    """The draft of the area's bulletin for `day`, created from the early-warning numbers;
    drafting again refreshes a draft's figures (and its texts, unless an official edited
    them). Returns (bulletin, created). A day already published is corrected, not redrafted."""
    area = area_for_actor(actor=actor, area_id=area_id, action=P)
    if day >= timezone.localdate():
        raise DomainError("a day's bulletin is drafted once the day is over", field="date")
    figures = figures_compute(area.path, day)
    with transaction.atomic():
        existing = (
            Bulletin.objects.select_for_update()
            .filter(area_id=area.id, date=day, corrects__isnull=True)
            .first()
        )
        if existing is not None:
            if existing.state != BulletinState.DRAFT:
                raise Conflict("this day's bulletin is published: correct it instead", field="date")
            untouched = _texts(existing) == draft_texts(existing.figures)
            existing.figures = figures
            if untouched:
                for name, value in draft_texts(figures).items():
                    setattr(existing, name, value)
            existing.save()
            _audit(actor, existing, action="citizen.bulletin_drafted", refreshed=True)
            return existing, False
        try:
            with transaction.atomic():
                bulletin = Bulletin.objects.create(
                    area_id=area.id,
                    area_path=area.path,
                    date=day,
                    figures=figures,
                    **draft_texts(figures),
                )
        except IntegrityError:  # drafted at the same moment by another request or the worker
            busy = "this day's bulletin is being drafted; try again"
            raise Conflict(busy, field="date") from None
        _audit(actor, bulletin, action="citizen.bulletin_drafted", refreshed=False)
    return bulletin, True


def _texts(bulletin: Bulletin) -> dict[str, str]:
    return {name: getattr(bulletin, name) for name in TEXT_FIELDS}


def _own_draft(actor: Actor, bulletin_id: int) -> Bulletin:
    """A bulletin of the official's area (locked), else NotFound; a draft, else Conflict."""
    bulletin = (
        Bulletin.objects.for_actor(actor, P).select_for_update().filter(pk=bulletin_id).first()
    )
    if bulletin is None:
        raise NotFound("no such bulletin", field="bulletin_id")
    if bulletin.state != BulletinState.DRAFT:
        raise Conflict(
            "a published bulletin never changes: publish a correction instead",
            field="bulletin_id",
        )
    return bulletin


def bulletin_edit(*, actor: Actor, bulletin_id: int, texts: dict[str, str]) -> Bulletin:
    """Change a draft's title and body (either language); published bulletins are immutable."""
    unknown = set(texts) - set(TEXT_FIELDS)
    if unknown:
        raise DomainError(f"cannot edit {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    with transaction.atomic():
        bulletin = _own_draft(actor, bulletin_id)
        changed = sorted(n for n, v in texts.items() if getattr(bulletin, n) != v.strip())
        for name in changed:
            setattr(bulletin, name, texts[name].strip())
        if changed:
            bulletin.save()
            _audit(actor, bulletin, action="citizen.bulletin_edited", fields=changed)
    return bulletin


def bulletin_publish(*, actor: Actor, bulletin_id: int) -> Bulletin:
    """Publish a draft: both languages' title and body are required. It gets the area's next
    number; a correction marks the bulletin it corrects as corrected (both stay public)."""
    with transaction.atomic():
        bulletin = _own_draft(actor, bulletin_id)
        for name in TEXT_FIELDS:
            if not getattr(bulletin, name).strip():
                raise DomainError(
                    "a bulletin is published in both languages: this text is empty", field=name
                )
        corrected = None
        if bulletin.corrects_id is not None:
            corrected = Bulletin.objects.select_for_update().get(pk=bulletin.corrects_id)
            if corrected.state != BulletinState.PUBLISHED:
                raise Conflict("the bulletin it corrects is already corrected", field="corrects")
        last = Bulletin.objects.filter(area_id=bulletin.area_id).aggregate(n=Max("number"))["n"]
        bulletin.number = (last or 0) + 1
        bulletin.state = BulletinState.PUBLISHED
        bulletin.published_at = timezone.now()
        bulletin.published_by_id = actor.user_id
        try:
            with transaction.atomic():
                bulletin.save()
        except IntegrityError:  # another bulletin of the area took the number meanwhile
            busy = "another bulletin was published meanwhile; try again"
            raise Conflict(busy, field="number") from None
        if corrected is not None:
            corrected.state = BulletinState.CORRECTED
            corrected.save(update_fields=["state", "updated_at"])
        _audit(
            actor,
            bulletin,
            action="citizen.bulletin_published",
            number=bulletin.number,
            corrects=corrected.pk if corrected else None,
        )
    return bulletin


def bulletin_correct(*, actor: Actor, bulletin_id: int) -> Bulletin:
    """Start the correction of a published bulletin: a new draft for the same day with the
    figures recomputed from today's numbers and the texts copied, for the official to fix and
    publish. Asking again returns the same draft."""
    bulletin = (
        Bulletin.objects.for_actor(actor, P)
        .filter(pk=bulletin_id)
        .exclude(state=BulletinState.DRAFT)
        .first()
    )
    if bulletin is None:
        raise NotFound("no such bulletin", field="bulletin_id")
    waiting = Bulletin.objects.filter(corrects=bulletin).first()
    if waiting is not None:
        if waiting.state == BulletinState.DRAFT:
            return waiting
        raise Conflict("this bulletin is already corrected", field="bulletin_id")
    figures = figures_compute(bulletin.area_path, bulletin.date)
    try:
        with transaction.atomic():
            correction = Bulletin.objects.create(
                area_id=bulletin.area_id,
                area_path=bulletin.area_path,
                date=bulletin.date,
                figures=figures,
                corrects=bulletin,
                **_texts(bulletin),
            )
            _audit(
                actor,
                correction,
                action="citizen.bulletin_correction_drafted",
                corrects=bulletin.pk,
            )
    except IntegrityError:
        raise Conflict("a correction is being drafted; try again", field="bulletin_id") from None
    return correction


def bulletins_draft_due(*, today: dt.date | None = None) -> int:
    """The daily draft: for every city, yesterday's bulletin is drafted (as the system) once
    that day's case numbers have been reported and no bulletin of the day exists yet.
    Returns how many were drafted."""
    day = (today or timezone.localdate()) - dt.timedelta(days=1)
    drafted = 0
    for city in areas_at_level(Level.CITY):
        if Bulletin.objects.filter(area_id=city.id, date=day, corrects__isnull=True).exists():
            continue
        if not cases_reported(city.path, day):
            continue
        try:
            _, created = bulletin_draft(actor=SYSTEM, area_id=city.id, day=day)
        except Conflict:
            continue  # drafted by someone else meanwhile
        drafted += created
    return drafted


# --- rumor vs fact -------------------------------------------------------------------------------


def clarification_publish(
    *,
    actor: Actor,
    area_id: int,
    claim_zh: str,
    claim_en: str,
    fact_zh: str,
    fact_en: str,
    source_url: str = "",
    bulletin_id: int | None = None,
    external_ref: str = "",
    published_at: dt.datetime | None = None,
) -> tuple[Clarification, bool]:
    """Publish a "rumor vs fact" note (both languages required). With `external_ref` (the
    filing app's own id) filing twice returns the first note. Returns (note, created)."""
    area = area_for_actor(actor=actor, area_id=area_id, action=P)
    texts = {"claim_zh": claim_zh, "claim_en": claim_en, "fact_zh": fact_zh, "fact_en": fact_en}
    for name, value in texts.items():
        if not value.strip():
            raise DomainError("a clarification is published in both languages", field=name)
    if external_ref:
        existing = Clarification.objects.filter(external_ref=external_ref).first()
        if existing is not None:
            if not actor.can_at(P, existing.area_path):
                raise Conflict("this reference is taken", field="external_ref")
            return existing, False
    bulletin = None
    if bulletin_id is not None:
        bulletin = (
            Bulletin.objects.for_actor(actor, P)
            .filter(pk=bulletin_id, area_path__in=_paths_above(area.path))
            .first()
        )
        if bulletin is None:
            raise NotFound("no such bulletin", field="bulletin_id")
    with transaction.atomic():
        note = Clarification.objects.create(
            area_id=area.id,
            area_path=area.path,
            source_url=source_url,
            bulletin=bulletin,
            published_at=published_at or timezone.now(),
            published_by_id=actor.user_id,
            external_ref=external_ref,
            **{name: value.strip() for name, value in texts.items()},
        )
        audit_record(
            actor=actor,
            action="citizen.clarification_published",
            permission=P,
            target_type="citizen.clarification",
            target_id=note.pk,
            area_path=note.area_path,
            detail={"bulletin": bulletin.pk if bulletin else None, "ref": external_ref},
        )
    return note, True


def _paths_above(path: str) -> list[str]:
    """The path and its ancestors' (a note of a district may belong to the city's bulletin)."""
    from crisisgov.geo.facade import PATH_DIGITS

    return [path[:d] for d in sorted(PATH_DIGITS.values()) if d <= len(path)]
