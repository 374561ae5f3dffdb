"""Rumors: loading the knowledge base, matching messages, the fact-checkers' decisions and
publishing clarifications.

A state change is one function: one transaction, the write, an audit entry naming the actor.
Fact-checkers act with `opinion.check_facts` inside their area's subtree; anything outside it
is answered as missing. Matching is the system's (the outbox handler) and is not audited per
message: it reads nothing personal (message texts are redacted) and runs at stream speed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crisisgov.geo.facade import Level, areas_at_level
from crisisgov.kernel.actor import SYSTEM, Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound
from crisisgov.opinion.models import Message
from crisisgov.opinion.permissions import OpinionPermission
from crisisgov.opinion.rumors import matcher
from crisisgov.opinion.rumors.models import (
    Clarification,
    KnowledgeBaseVersion,
    MatchMethod,
    Rumor,
    RumorMatch,
    RumorState,
    RumorStatement,
    Stance,
    StatementKind,
    Verdict,
)

P = OpinionPermission.CHECK_FACTS
LANGUAGES = ("zh", "en")
CANDIDATE_WINDOW = dt.timedelta(days=7)  # near-duplicates of an older candidate open a new one


def _audit(actor: Actor, target: object, area_path: str, *, action: str, **detail: object) -> None:
    kind = type(target).__name__.lower() if hasattr(target, "pk") else "knowledge_base"
    audit_record(
        actor=actor,
        action=action,
        permission=P,
        target_type=f"opinion_rumors.{kind}",
        target_id=getattr(target, "pk", ""),
        area_path=area_path,
        detail=detail,
    )


# --- the knowledge base version (the in-memory index follows it) -------------------------------


def kb_version() -> int:
    row = KnowledgeBaseVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return row or 0


def kb_bump() -> None:
    """Call inside the transaction that changed confirmed rumors' statements."""
    updated = KnowledgeBaseVersion.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        KnowledgeBaseVersion.objects.get_or_create(pk=1, defaults={"version": 1})


def _kb_rumors() -> list[matcher.KbRumor]:
    """Confirmed rumors with their canonical statements (and stored vectors) and the texts of
    their newest published clarification (the index tells debunks by closeness to it)."""
    rumors = (
        Rumor.objects.filter(state=RumorState.CONFIRMED)
        .prefetch_related("statements", "clarifications")
        .order_by("id")
    )
    built = []
    for rumor in rumors:
        statements = {
            s.language: (s.text, matcher.from_bytes(s.embedding))
            for s in sorted(rumor.statements.all(), key=lambda s: (s.language != "zh", s.pk))
            if s.kind == StatementKind.CANONICAL
        }
        published = [c for c in rumor.clarifications.all() if c.is_published]
        newest = max(published, key=lambda c: (c.published_at, c.pk), default=None)
        clarifications = {"zh": newest.text_zh, "en": newest.text_en} if newest else {}
        built.append(matcher.KbRumor(rumor.pk, statements, clarifications))
    return built


def kb_index() -> matcher.Index:
    """This process's index of the knowledge base as it stands (rebuilt when it changed)."""
    index = matcher.index_for(kb_version(), _kb_rumors)
    fresh, index.fresh = index.fresh, []
    for rumor_id, language, vector in fresh:  # embedded now: stored for the next rebuild
        RumorStatement.objects.filter(
            rumor_id=rumor_id, language=language, kind=StatementKind.CANONICAL
        ).update(embedding=matcher.to_bytes(vector))
    return index


def kb_index_warm() -> None:
    """Build this process's index and its lazy parts now (an analyser starting up)."""
    kb_index().index.warm_up()


# --- loading the knowledge base ----------------------------------------------------------------


@dataclass(frozen=True)
class KbRow:
    """One known rumor to load: its canonical statements and its official clarification."""

    code: str
    hazard: str
    department: str
    verdict: str
    claim_zh: str
    claim_en: str
    clarification_zh: str
    clarification_en: str
    source_title: str
    source_url: str
    urgent: bool


@dataclass(frozen=True)
class KbLoaded:
    created: int
    updated: int
    unchanged: int


def _city_area():  # type: ignore[no-untyped-def]
    cities = areas_at_level(Level.CITY)
    if not cities:
        raise DomainError("no city exists yet: generate or import the areas first", field="area")
    return cities[0]


def kb_load(*, actor: Actor, rows: list[KbRow], area_id: int | None = None) -> KbLoaded:
    """Load (or refresh) known rumors by code: confirmed, with canonical zh/en statements and
    one published clarification each. Idempotent: a row already loaded with the same texts is
    left alone. The area (default: the first city) is where the rumors are scoped."""
    from crisisgov.geo.facade import area_info

    area = area_info(area_id) if area_id is not None else _city_area()
    if area is None:
        raise NotFound("no such area", field="area")
    for number, row in enumerate(rows, start=1):
        _check_row(number, row)
    created = updated = unchanged = 0
    now = timezone.now()
    with transaction.atomic():
        existing = {r.code: r for r in Rumor.objects.filter(code__in=[r.code for r in rows])}
        changed_statements: list[RumorStatement] = []
        for row in rows:
            rumor = existing.get(row.code)
            if rumor is None:
                rumor = Rumor.objects.create(
                    code=row.code,
                    hazard=row.hazard,
                    department=row.department,
                    verdict=row.verdict,
                    state=RumorState.CONFIRMED,
                    area_id=area.id,
                    area_path=area.path,
                    decided_at=now,
                )
                created += 1
            else:
                fields = {"hazard": row.hazard, "department": row.department}
                fields |= {"verdict": row.verdict}
                if all(getattr(rumor, k) == v for k, v in fields.items()) and _same_texts(
                    rumor, row
                ):
                    unchanged += 1
                    continue
                Rumor.objects.filter(pk=rumor.pk).update(**fields)
                updated += 1
            changed_statements += _replace_canonical(rumor, row.claim_zh, row.claim_en)
            _kb_clarification(rumor, row, now)
        _embed(changed_statements)
        if created or updated:
            kb_bump()
        _audit(
            actor,
            area,
            area.path,
            action="opinion.rumors_kb_loaded",
            created=created,
            updated=updated,
            unchanged=unchanged,
        )
    return KbLoaded(created, updated, unchanged)


def _check_row(number: int, row: KbRow) -> None:
    if not row.code.strip():
        raise DomainError(f"row {number}: the code is empty", field="code")
    if row.verdict not in Verdict.values:
        raise DomainError(
            f"row {number} ({row.code}): unknown verdict {row.verdict!r}", field="verdict"
        )
    for name in ("claim_zh", "claim_en", "clarification_zh", "clarification_en"):
        if not getattr(row, name).strip():
            raise DomainError(f"row {number} ({row.code}): {name} is empty", field=name)


def _same_texts(rumor: Rumor, row: KbRow) -> bool:
    clar = rumor.clarifications.exclude(published_at=None).order_by("published_at").first()
    return (
        rumor.canonical("zh") == row.claim_zh
        and rumor.canonical("en") == row.claim_en
        and clar is not None
        and (clar.text_zh, clar.text_en) == (row.clarification_zh, row.clarification_en)
    )


def _replace_canonical(rumor: Rumor, zh: str, en: str) -> list[RumorStatement]:
    rumor.statements.filter(kind=StatementKind.CANONICAL).delete()
    return [
        RumorStatement.objects.create(
            rumor=rumor, language=language, text=text.strip(), kind=StatementKind.CANONICAL
        )
        for language, text in (("zh", zh), ("en", en))
    ]


def _embed(statements: list[RumorStatement]) -> None:
    if not statements:
        return
    vectors = matcher.encode([s.text for s in statements])
    for statement, vector in zip(statements, vectors, strict=True):
        statement.embedding = matcher.to_bytes(vector)
    RumorStatement.objects.bulk_update(statements, ["embedding"])


def _kb_clarification(rumor: Rumor, row: KbRow, now: dt.datetime) -> None:
    """The knowledge base's clarification is official already: stored as published (it is not
    filed to the bulletins again)."""
    clar = rumor.clarifications.exclude(published_at=None).order_by("published_at", "id").first()
    texts = {"text_zh": row.clarification_zh.strip(), "text_en": row.clarification_en.strip()}
    source = {"source_title": row.source_title[:300], "source_url": row.source_url[:500]}
    if clar is None:
        Clarification.objects.create(
            rumor=rumor,
            area_path=rumor.area_path,
            urgent=row.urgent,
            published_at=now,
            **texts,
            **source,
        )
    else:
        Clarification.objects.filter(pk=clar.pk).update(**texts, **source)


# --- matching a message (the outbox handler) ---------------------------------------------------


def message_check(*, message_id: int) -> RumorMatch | None:
    """Match one stored message against the knowledge base (see messages_check)."""
    return messages_check(message_ids=[message_id]).get(message_id)


@transaction.atomic  # a candidate rumor is opened under a row lock
def messages_check(*, message_ids: list[int]) -> dict[int, RumorMatch]:
    """Match stored, analysed messages against the knowledge base, as one batch. A match above
    the threshold is recorded with the rumor's clarification attached; a debunking message is
    recorded as such (never counted as spreading). An unmatched message that reads like a
    claim joins (or opens) a candidate rumor of its near-duplicates for the fact-checkers.
    Idempotent: a message matched before is left alone. Returns the new matches by message."""
    done = set(
        RumorMatch.objects.filter(message_id__in=message_ids).values_list("message_id", flat=True)
    )
    messages = [
        m
        for m in Message.objects.filter(pk__in=message_ids, language__in=LANGUAGES).order_by("id")
        if m.pk not in done and m.text.strip()
    ]
    if not messages:
        return {}
    index = kb_index()
    vectors = np.vstack(
        [index.vector_of(m.text, matcher.from_bytes(m.embedding)) for m in messages]
    )
    found_all = index.match_many([m.text for m in messages], vectors)
    rumors = Rumor.objects.in_bulk({f.rumor_id for f in found_all if f is not None})
    recorded: dict[int, RumorMatch] = {}
    for message, found in zip(messages, found_all, strict=True):
        rumor = rumors.get(found.rumor_id) if found is not None else None
        if found is not None and rumor is not None:
            recorded[message.pk] = _record(
                message, rumor, found.score, found.stance, MatchMethod.SIMILARITY
            )
        elif matcher.looks_like_claim(message.text):
            recorded[message.pk] = _join_candidate(message)
    return recorded


def _record(message: Message, rumor: Rumor, score: float, stance: str, method: str) -> RumorMatch:
    clar = rumor.clarifications.exclude(published_at=None).order_by("-published_at", "-id").first()
    return RumorMatch.objects.create(
        message=message,
        rumor=rumor,
        score=round(score, 4),
        stance=stance,
        method=method,
        clarification=clar,
        # A message whose place is unknown is the city's: its analysts see it.
        area_path=message.area_path or _city_area().path,
        posted_at=message.posted_at,
    )


def _join_candidate(message: Message) -> RumorMatch:
    fp = message.fingerprint or matcher.simhash(message.text)
    # Two workers with near-identical claims must open one candidate, not two: they queue on
    # the knowledge-base row (this path is the rare one; matching itself takes no lock).
    KnowledgeBaseVersion.objects.get_or_create(pk=1)
    KnowledgeBaseVersion.objects.select_for_update().get(pk=1)
    since = timezone.now() - CANDIDATE_WINDOW
    area = _message_area(message)  # each district reviews its own candidates
    candidates = Rumor.objects.filter(
        state=RumorState.CANDIDATE, area_path=area.path, created_at__gte=since
    )
    for rumor_id, other in candidates.values_list("pk", "fingerprint"):
        if matcher.near_duplicate(fp, other):
            rumor = Rumor.objects.get(pk=rumor_id)
            break
    else:
        rumor = Rumor.objects.create(
            code=f"C{timezone.now():%y%m%d%H%M%S}-{message.pk}",
            state=RumorState.CANDIDATE,
            area_id=area.id,
            area_path=area.path,
            fingerprint=fp,
        )
    return _record(message, rumor, 0.0, Stance.SPREADS, MatchMethod.CLAIM)


def _message_area(message: Message):  # type: ignore[no-untyped-def]
    """The district of the message (a candidate is the district's to review), else the city."""
    from crisisgov.geo.facade import PATH_DIGITS, areas_for_paths

    if message.area_path:
        district = message.area_path[: PATH_DIGITS[Level.DISTRICT]]
        found = areas_for_paths([district, message.area_path])
        if district in found:
            return found[district]
        if message.area_path in found:
            return found[message.area_path]
    return _city_area()


# --- the fact-checkers' queue ------------------------------------------------------------------


def _own_candidate(actor: Actor, rumor_id: int) -> Rumor:
    rumor = Rumor.objects.for_actor(actor, P).select_for_update().filter(pk=rumor_id).first()
    if rumor is None:
        raise NotFound("no such rumor", field="rumor_id")
    if rumor.state != RumorState.CANDIDATE:
        raise Conflict("this rumor was already decided", field="rumor_id")
    return rumor


def candidate_confirm(
    *,
    actor: Actor,
    rumor_id: int,
    statement_zh: str,
    statement_en: str,
    verdict: str,
    department: str = "",
    hazard: str = "",
) -> Rumor:
    """A candidate becomes a known rumor: its canonical statements in both languages are
    written by the fact-checker (never copied from a citizen's message) and matched from now."""
    if verdict not in Verdict.values:
        raise DomainError(f"verdict must be one of {', '.join(Verdict.values)}", field="verdict")
    for name, value in (("statement_zh", statement_zh), ("statement_en", statement_en)):
        if not value.strip():
            raise DomainError("a rumor is stated in both languages", field=name)
    with transaction.atomic():
        rumor = _own_candidate(actor, rumor_id)
        rumor.state = RumorState.CONFIRMED
        rumor.verdict = verdict
        rumor.department = department.strip()[:20]
        rumor.hazard = hazard.strip()[:40]
        rumor.decided_at = timezone.now()
        rumor.decided_by_id = actor.user_id
        rumor.save()
        _embed(_replace_canonical(rumor, statement_zh, statement_en))
        kb_bump()
        _audit(actor, rumor, rumor.area_path, action="opinion.rumor_confirmed", verdict=verdict)
    return rumor


def candidate_merge(*, actor: Actor, rumor_id: int, into_id: int) -> Rumor:
    """A candidate that is a known rumor after all: its messages move to that rumor."""
    with transaction.atomic():
        rumor = _own_candidate(actor, rumor_id)
        target = _visible(actor).filter(pk=into_id, state=RumorState.CONFIRMED).first()
        if target is None:
            raise NotFound("no such known rumor", field="into_id")
        clar = (
            target.clarifications.exclude(published_at=None)
            .order_by("-published_at", "-id")
            .first()
        )
        moved = rumor.matches.update(rumor=target, clarification=clar)
        rumor.state = RumorState.MERGED
        rumor.merged_into = target
        rumor.decided_at = timezone.now()
        rumor.decided_by_id = actor.user_id
        rumor.save()
        _audit(
            actor,
            rumor,
            rumor.area_path,
            action="opinion.rumor_merged",
            into=target.pk,
            moved=moved,
        )
    return target


def candidate_dismiss(*, actor: Actor, rumor_id: int, reason: str) -> Rumor:
    """Not a rumor (an ordinary complaint, a true report): out of the queue, with the reason."""
    if not reason.strip():
        raise DomainError("say why it is dismissed", field="reason")
    with transaction.atomic():
        rumor = _own_candidate(actor, rumor_id)
        rumor.state = RumorState.DISMISSED
        rumor.decision_reason = reason.strip()[:500]
        rumor.decided_at = timezone.now()
        rumor.decided_by_id = actor.user_id
        rumor.save()
        _audit(
            actor,
            rumor,
            rumor.area_path,
            action="opinion.rumor_dismissed",
            reason=rumor.decision_reason,
        )
    return rumor


def _visible(actor: Actor):  # type: ignore[no-untyped-def]
    """Rumors of the actor's areas and of the areas above them (the city's knowledge base)."""
    from crisisgov.opinion.rumors.selectors import rumors_visible

    return rumors_visible(actor=actor, permission=P)


# --- clarifications ----------------------------------------------------------------------------


def clarification_write(
    *,
    actor: Actor,
    rumor_id: int,
    text_zh: str,
    text_en: str,
    source_title: str = "",
    source_url: str = "",
    urgent: bool = False,
) -> Clarification:
    """A draft clarification of a known rumor of the actor's areas."""
    for name, value in (("text_zh", text_zh), ("text_en", text_en)):
        if not value.strip():
            raise DomainError("a clarification is written in both languages", field=name)
    url = source_url.strip()
    if url and not url.startswith(("https://", "http://")):
        raise DomainError("the source must be an http(s) link", field="source_url")
    with transaction.atomic():
        rumor = Rumor.objects.for_actor(actor, P).filter(pk=rumor_id).first()
        if rumor is None:
            raise NotFound("no such rumor", field="rumor_id")
        if rumor.state != RumorState.CONFIRMED:
            raise Conflict("confirm the rumor before clarifying it", field="rumor_id")
        clar = Clarification.objects.create(
            rumor=rumor,
            area_path=rumor.area_path,
            text_zh=text_zh.strip(),
            text_en=text_en.strip(),
            source_title=source_title.strip()[:300],
            source_url=url[:500],
            urgent=urgent,
        )
        _audit(actor, clar, clar.area_path, action="opinion.clarification_written", rumor=rumor.pk)
    return clar


def clarification_publish(*, actor: Actor, clarification_id: int) -> Clarification:
    """Publish a draft: it shows on the public "rumor vs fact" page and its Atom feed at once,
    is filed to the bulletins (external_ref "opinion:rumor:<id>") and, when urgent, goes out as
    CAP (or is marked pending where no CAP channel exists). Messages matched to the rumor from
    now carry it; those already matched without one get it too."""
    from crisisgov.citizen.bulletins.facade import clarification_publish as file_note

    with transaction.atomic():
        clar = (
            Clarification.objects.for_actor(actor, P)
            .select_for_update()
            .filter(pk=clarification_id)
            .first()
        )
        if clar is None:
            raise NotFound("no such clarification", field="clarification_id")
        if clar.is_published:
            raise Conflict("this clarification is already published", field="clarification_id")
        rumor = Rumor.objects.get(pk=clar.rumor_id)
        clar.published_at = timezone.now()
        clar.published_by_id = actor.user_id
        # The fact-checker's check_facts authorises the publication; the note is filed in the
        # bulletins by the system on its behalf (this audit entry names who published).
        note = file_note(
            actor=SYSTEM,
            area_id=rumor.area_id,
            claim_zh=rumor.canonical("zh"),
            claim_en=rumor.canonical("en"),
            fact_zh=clar.text_zh,
            fact_en=clar.text_en,
            source_url=clar.source_url,
            external_ref=f"opinion:rumor:{rumor.pk}",
        )
        clar.bulletin_note_id = note.id
        if clar.urgent:
            clar.cap_status, clar.cap_identifier = _cap_send(clar, rumor)
        clar.save()
        RumorMatch.objects.filter(rumor=rumor, clarification=None).update(clarification=clar)
        kb_bump()  # the index tells debunking posts by their closeness to the clarification
        _audit(
            actor,
            clar,
            clar.area_path,
            action="opinion.clarification_published",
            rumor=rumor.pk,
            bulletin_note=note.id,
            urgent=clar.urgent,
            cap=clar.cap_status,
        )
    return clar


def _cap_send(clar: Clarification, rumor: Rumor) -> tuple[str, str]:
    """CAP 1.2 through the early-warning facade (published as the system; the decision is
    the fact-checker's, audited here)."""
    from crisisgov.earlywarning.facade import rumor_alert_publish

    identifier = rumor_alert_publish(
        area_id=rumor.area_id,
        title_zh=rumor.canonical("zh")[:200],
        title_en=rumor.canonical("en")[:200],
        description_zh=clar.text_zh,
        description_en=clar.text_en,
        web=clar.source_url,
        dedup_key=f"opinion:clarification:{clar.pk}",
    )
    return "sent", str(identifier)[:200]


def rumor_retire(*, actor: Actor, rumor_id: int, reason: str) -> Rumor:
    """A known rumor no longer matched (it died out, or the facts changed)."""
    if not reason.strip():
        raise DomainError("say why it is retired", field="reason")
    with transaction.atomic():
        rumor = Rumor.objects.for_actor(actor, P).select_for_update().filter(pk=rumor_id).first()
        if rumor is None:
            raise NotFound("no such rumor", field="rumor_id")
        if rumor.state != RumorState.CONFIRMED:
            raise Conflict("only a known rumor is retired", field="rumor_id")
        rumor.state = RumorState.RETIRED
        rumor.decision_reason = reason.strip()[:500]
        rumor.save()
        kb_bump()
        _audit(
            actor,
            rumor,
            rumor.area_path,
            action="opinion.rumor_retired",
            reason=rumor.decision_reason,
        )
    return rumor
