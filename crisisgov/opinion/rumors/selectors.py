"""Rumors: reads. Staff see the rumors of their areas and of the areas above them (the city's
knowledge base), and the matched messages of their own areas only; published clarifications
are public."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from crisisgov.geo.facade import PATH_DIGITS, Level, areas_for_paths
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.errors import NotFound
from crisisgov.opinion.permissions import OpinionPermission
from crisisgov.opinion.rumors.models import (
    Clarification,
    Rumor,
    RumorMatch,
    RumorState,
    Stance,
)

VIEW = OpinionPermission.VIEW_BOARD
CHECK = OpinionPermission.CHECK_FACTS
EXAMPLES = 5


def _paths_above(path: str) -> list[str]:
    return [path[:d] for d in sorted(PATH_DIGITS.values()) if d < len(path)]


def rumors_visible(*, actor: Actor, permission: str = VIEW) -> QuerySet[Rumor]:
    """Rumors of the actor's subtrees and of the areas above them."""
    if actor.is_system:
        return Rumor.objects.all()
    scopes = actor.scopes_for(permission)
    if not scopes:
        return Rumor.objects.none()
    condition = Q()
    for scope in scopes:
        condition |= Q(area_path__under=scope.area_path)
        condition |= Q(area_path__in=_paths_above(scope.area_path))
    return Rumor.objects.filter(condition)


def _matches(actor: Actor, permission: str = VIEW) -> QuerySet[RumorMatch]:
    return RumorMatch.objects.for_actor(actor, permission)


def rumor_get(*, actor: Actor, rumor_id: int) -> Rumor:
    rumor = (
        rumors_visible(actor=actor)
        .prefetch_related("statements", "clarifications")
        .filter(pk=rumor_id)
        .first()
    )
    if rumor is None:
        raise NotFound("no such rumor", field="rumor_id")
    return rumor


def rumors_known(*, actor: Actor, limit: int = 200) -> list[Rumor]:
    rows = rumors_visible(actor=actor).filter(state=RumorState.CONFIRMED)
    return list(rows.prefetch_related("statements").order_by("code")[:limit])


@dataclass
class QueueItem:
    rumor: Rumor
    count: int
    examples: list[RumorMatch] = field(default_factory=list)


def queue(*, actor: Actor, limit: int = 50) -> list[QueueItem]:
    """Candidate rumors of the actor's areas, the most repeated first, with a few example
    messages (their redacted text) of the actor's areas."""
    candidates = list(
        Rumor.objects.for_actor(actor, CHECK)
        .filter(state=RumorState.CANDIDATE)
        .annotate(n=Count("matches"))
        .order_by("-n", "-created_at")[:limit]
    )
    items = []
    for rumor in candidates:
        examples = list(
            _matches(actor, CHECK)
            .filter(rumor=rumor)
            .select_related("message")
            .order_by("-posted_at")[:EXAMPLES]
        )
        items.append(QueueItem(rumor, rumor.n, examples))  # type: ignore[attr-defined]
    return items


def top_spreading(*, actor: Actor, hours: int = 24, limit: int = 5) -> list[tuple[Rumor, int]]:
    """Known rumors with the most spreading messages in the actor's areas lately."""
    since = timezone.now() - dt.timedelta(hours=hours)
    rows = (
        _matches(actor)
        .filter(stance=Stance.SPREADS, posted_at__gte=since, rumor__state=RumorState.CONFIRMED)
        .values("rumor")
        .annotate(n=Count("id"))
        .order_by("-n")[:limit]
    )
    counts = {r["rumor"]: r["n"] for r in rows}
    rumors = Rumor.objects.prefetch_related("statements").in_bulk(list(counts))
    return [(rumors[pk], n) for pk, n in counts.items() if pk in rumors]


def message_match(*, actor: Actor, message_id: int) -> RumorMatch | None:
    """The rumor a message of the actor's areas was matched to, with its clarification."""
    return (
        _matches(actor)
        .select_related("rumor", "clarification")
        .filter(message_id=message_id)
        .first()
    )


def matches_of(*, actor: Actor, rumor_id: int, limit: int = 50) -> list[RumorMatch]:
    return list(
        _matches(actor)
        .filter(rumor_id=rumor_id)
        .select_related("message")
        .order_by("-posted_at")[:limit]
    )


# --- reach -------------------------------------------------------------------------------------


@dataclass
class AreaReach:
    area_path: str
    code: str
    name_zh: str
    name_en: str
    before: int
    after: int


@dataclass
class Reach:
    """Spreading messages of a rumor in the actor's areas, `hours` before and after the first
    publication of its clarification (before it is published: the last `hours`)."""

    rumor: Rumor
    published_at: dt.datetime | None
    hours: int
    before: int
    after: int
    debunks: int
    areas: list[AreaReach]
    hourly: list[dict]  # {"offset": h (-hours..hours-1), "count": n}


def reach(*, actor: Actor, rumor_id: int, hours: int = 24) -> Reach:
    rumor = rumor_get(actor=actor, rumor_id=rumor_id)
    first = (
        Clarification.objects.filter(rumor=rumor)
        .exclude(published_at=None)
        .order_by("published_at")
        .first()
    )
    published_at = first.published_at if first else None
    pivot = published_at or timezone.now()
    span = dt.timedelta(hours=hours)
    window = _matches(actor).filter(rumor=rumor, posted_at__gte=pivot - span)
    window = window.filter(posted_at__lt=pivot + span)
    spreading = list(window.filter(stance=Stance.SPREADS).values_list("area_path", "posted_at"))
    debunks = window.filter(stance=Stance.DEBUNKS).count()
    district_digits = PATH_DIGITS[Level.DISTRICT]
    by_area: dict[str, list[int]] = {}
    hourly = [0] * (2 * hours)
    for area_path, posted_at in spreading:
        side = 1 if posted_at >= pivot else 0
        by_area.setdefault(area_path[:district_digits], [0, 0])[side] += 1
        offset = int((posted_at - pivot).total_seconds() // 3600)
        hourly[offset + hours] += 1
    names = areas_for_paths([p for p in by_area if p])
    areas = []
    for path, (before, after) in sorted(by_area.items()):
        info = names.get(path)
        areas.append(
            AreaReach(
                area_path=path,
                code=info.code if info else "",
                name_zh=info.name_zh if info else "未定位",
                name_en=info.name_en if info else "unlocated",
                before=before,
                after=after,
            )
        )
    return Reach(
        rumor=rumor,
        published_at=published_at,
        hours=hours,
        before=sum(a.before for a in areas),
        after=sum(a.after for a in areas),
        debunks=debunks,
        areas=areas,
        hourly=[{"offset": i - hours, "count": n} for i, n in enumerate(hourly)],
    )


# --- public ------------------------------------------------------------------------------------


def clarifications_public(*, limit: int = 50, offset: int = 0) -> list[Clarification]:
    """Published clarifications, newest first, with their rumor's canonical statements."""
    rows = (
        Clarification.objects.exclude(published_at=None)
        .select_related("rumor")
        .prefetch_related(Prefetch("rumor__statements"))
        .order_by("-published_at", "-id")
    )
    return list(rows[offset : offset + limit])


def clarifications_for_checker(*, actor: Actor, rumor_id: int) -> list[Clarification]:
    return list(
        Clarification.objects.for_actor(actor, CHECK).filter(rumor_id=rumor_id).order_by("-id")
    )
