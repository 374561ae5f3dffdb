"""Bulletins: reads. Published bulletins and notes are public; drafts are read by officials of
the bulletin's area only."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from crisisgov.citizen.bulletins.models import Bulletin, BulletinState, Clarification
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.errors import NotFound

P = CitizenPermission.PUBLISH_BULLETINS


def bulletins_public() -> QuerySet[Bulletin]:
    """Published and corrected bulletins, newest first (by day, then publication)."""
    return (
        Bulletin.objects.exclude(state=BulletinState.DRAFT)
        .select_related("area", "corrects", "correction")
        .order_by("-date", "-published_at", "-id")
    )


def bulletin_public(bulletin_id: int) -> Bulletin:
    bulletin = bulletins_public().filter(pk=bulletin_id).first()
    if bulletin is None:
        raise NotFound("no such bulletin", field="bulletin_id")
    return bulletin


def bulletins_for_official(*, actor: Actor, state: str = "") -> QuerySet[Bulletin]:
    """Every bulletin (drafts too) of the official's areas."""
    rows = Bulletin.objects.for_actor(actor, P).select_related("area", "corrects")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-date", "-id")


def bulletin_for_official(*, actor: Actor, bulletin_id: int) -> Bulletin:
    bulletin = bulletins_for_official(actor=actor).filter(pk=bulletin_id).first()
    if bulletin is None:
        raise NotFound("no such bulletin", field="bulletin_id")
    return bulletin


def clarifications_recent(*, area_path: str = "", limit: int = 20) -> list[Clarification]:
    """The newest notes (of an area's subtree and of the areas above it, when given)."""
    rows = Clarification.objects.select_related("area")
    if area_path:
        rows = rows.filter(_related_to(area_path))
    return list(rows.order_by("-published_at", "-id")[:limit])


def clarifications_of(bulletin: Bulletin) -> list[Clarification]:
    """The notes that belong to a bulletin: linked to it, or published on its day in its area
    (its subtree or above it)."""
    start = timezone.make_aware(dt.datetime.combine(bulletin.date, dt.time.min))
    same_day = Q(published_at__gte=start, published_at__lt=start + dt.timedelta(days=1))
    rows = Clarification.objects.filter(
        Q(bulletin=bulletin) | (same_day & _related_to(bulletin.area_path))
    )
    return list(rows.order_by("published_at", "id"))


def _related_to(area_path: str) -> Q:
    from crisisgov.geo.facade import PATH_DIGITS

    above = [area_path[:d] for d in sorted(PATH_DIGITS.values()) if d < len(area_path)]
    return Q(area_path__under=area_path) | Q(area_path__in=above)
