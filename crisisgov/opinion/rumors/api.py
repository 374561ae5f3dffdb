"""Rumors: JSON API. Published clarifications are public; the knowledge base, matches and
reach need opinion.view_board; the queue and its decisions need opinion.check_facts in the
rumor's area. Message texts are always the redacted ones."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from crisisgov.kernel.errors import NotFound
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.schemas import Id, PathId, StrictInput, text
from crisisgov.opinion.rumors import selectors, services
from crisisgov.opinion.rumors.models import Clarification, Rumor, RumorMatch

router = Router()


class StatementOut(Schema):
    language: str
    text: str
    kind: str


class ClarificationOut(Schema):
    id: int
    rumor_id: int
    text_zh: str
    text_en: str
    source_title: str
    source_url: str
    urgent: bool
    published_at: dt.datetime | None
    bulletin_note_id: int | None
    cap_status: str


class PublicClarificationOut(Schema):
    id: int
    rumor_code: str
    verdict: str
    claim_zh: str
    claim_en: str
    fact_zh: str
    fact_en: str
    source_title: str
    source_url: str
    urgent: bool
    published_at: dt.datetime

    @staticmethod
    def resolve_rumor_code(obj: Clarification) -> str:
        return obj.rumor.code

    @staticmethod
    def resolve_verdict(obj: Clarification) -> str:
        return obj.rumor.verdict

    @staticmethod
    def resolve_claim_zh(obj: Clarification) -> str:
        return obj.rumor.canonical("zh")

    @staticmethod
    def resolve_claim_en(obj: Clarification) -> str:
        return obj.rumor.canonical("en")

    @staticmethod
    def resolve_fact_zh(obj: Clarification) -> str:
        return obj.text_zh

    @staticmethod
    def resolve_fact_en(obj: Clarification) -> str:
        return obj.text_en


class RumorOut(Schema):
    id: int
    code: str
    hazard: str
    department: str
    verdict: str
    state: str
    area_path: str
    statements: list[StatementOut]

    @staticmethod
    def resolve_statements(obj: Rumor) -> list:
        return list(obj.statements.all())


class RumorDetailOut(RumorOut):
    clarifications: list[ClarificationOut]

    @staticmethod
    def resolve_clarifications(obj: Rumor) -> list:
        return sorted(obj.clarifications.all(), key=lambda c: -c.pk)


class ExampleOut(Schema):
    message_id: int
    text: str  # redacted
    language: str
    area_path: str
    posted_at: dt.datetime

    @staticmethod
    def resolve_text(obj: RumorMatch) -> str:
        return obj.message.text

    @staticmethod
    def resolve_language(obj: RumorMatch) -> str:
        return obj.message.language


class QueueItemOut(Schema):
    id: int
    code: str
    area_path: str
    created_at: dt.datetime
    count: int
    examples: list[ExampleOut]


class MatchOut(Schema):
    message_id: int
    rumor_id: int
    rumor_code: str
    rumor_state: str
    verdict: str
    stance: str
    method: str
    score: float
    clarification: ClarificationOut | None

    @staticmethod
    def resolve_rumor_code(obj: RumorMatch) -> str:
        return obj.rumor.code

    @staticmethod
    def resolve_rumor_state(obj: RumorMatch) -> str:
        return obj.rumor.state

    @staticmethod
    def resolve_verdict(obj: RumorMatch) -> str:
        return obj.rumor.verdict


class AreaReachOut(Schema):
    area_path: str
    code: str
    name_zh: str
    name_en: str
    before: int
    after: int


class HourOut(Schema):
    offset: int
    count: int


class ReachOut(Schema):
    rumor_id: int
    published_at: dt.datetime | None
    hours: int
    before: int
    after: int
    debunks: int
    areas: list[AreaReachOut]
    hourly: list[HourOut]


class ConfirmIn(StrictInput):
    statement_zh: text(min_length=1, max_length=1000)  # type: ignore[valid-type]
    statement_en: text(min_length=1, max_length=1000)  # type: ignore[valid-type]
    verdict: text(max_length=12)  # type: ignore[valid-type]
    department: text(max_length=20) = ""  # type: ignore[valid-type]
    hazard: text(max_length=40) = ""  # type: ignore[valid-type]


class MergeIn(StrictInput):
    into_id: Id


class ReasonIn(StrictInput):
    reason: text(min_length=1, max_length=500)  # type: ignore[valid-type]


class ClarificationIn(StrictInput):
    text_zh: text(min_length=1, max_length=4000)  # type: ignore[valid-type]
    text_en: text(min_length=1, max_length=4000)  # type: ignore[valid-type]
    source_title: text(max_length=300) = ""  # type: ignore[valid-type]
    source_url: text(max_length=500) = ""  # type: ignore[valid-type]
    urgent: bool = False


# --- public ------------------------------------------------------------------------------------


@router.get("/clarifications", response=list[PublicClarificationOut], auth=None,
            summary="Rumor vs fact: published clarifications (public)")  # fmt: skip
def list_clarifications(
    request: HttpRequest,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=10_000),
) -> object:
    return selectors.clarifications_public(limit=limit, offset=offset)


# --- staff -------------------------------------------------------------------------------------


@router.get("", response=list[RumorOut], summary="Known rumors of your areas and above them")
def list_rumors(request: HttpRequest) -> object:
    return selectors.rumors_known(actor=actor_of(request))


@router.get("/queue", response=list[QueueItemOut], summary="Candidate rumors to review")
def list_queue(request: HttpRequest) -> object:
    return [
        {
            "id": item.rumor.pk,
            "code": item.rumor.code,
            "area_path": item.rumor.area_path,
            "created_at": item.rumor.created_at,
            "count": item.count,
            "examples": item.examples,
        }
        for item in selectors.queue(actor=actor_of(request))
    ]


@router.get("/messages/{message_id}", response=MatchOut,
            summary="The rumor a message was matched to, with its clarification")  # fmt: skip
def get_message_match(request: HttpRequest, message_id: PathId) -> object:
    match = selectors.message_match(actor=actor_of(request), message_id=message_id)
    if match is None:
        raise NotFound("this message matched no rumor", field="message_id")
    return match


@router.post("/clarifications/{clarification_id}/publish", response=ClarificationOut,
             summary="Publish: public page, feed, bulletins, CAP if urgent")  # fmt: skip
def publish_clarification(request: HttpRequest, clarification_id: PathId) -> object:
    return services.clarification_publish(
        actor=actor_of(request), clarification_id=clarification_id
    )


@router.get("/{rumor_id}", response=RumorDetailOut, summary="A rumor")
def get_rumor(request: HttpRequest, rumor_id: PathId) -> object:
    return selectors.rumor_get(actor=actor_of(request), rumor_id=rumor_id)


@router.get("/{rumor_id}/reach", response=ReachOut,
            summary="Spreading messages per area before and after the clarification")  # fmt: skip
def get_reach(
    request: HttpRequest, rumor_id: PathId, hours: int = Query(24, ge=1, le=168)
) -> object:
    result = selectors.reach(actor=actor_of(request), rumor_id=rumor_id, hours=hours)
    return {
        "rumor_id": result.rumor.pk,
        "published_at": result.published_at,
        "hours": result.hours,
        "before": result.before,
        "after": result.after,
        "debunks": result.debunks,
        "areas": result.areas,
        "hourly": result.hourly,
    }


@router.post("/{rumor_id}/confirm", response=RumorOut, summary="Confirm a candidate as a rumor")
def confirm(request: HttpRequest, rumor_id: PathId, payload: ConfirmIn) -> object:
    rumor = services.candidate_confirm(actor=actor_of(request), rumor_id=rumor_id, **payload.dict())
    return selectors.rumor_get(actor=actor_of(request), rumor_id=rumor.pk)


@router.post("/{rumor_id}/merge", response=RumorOut,
             summary="Merge a candidate into a known rumor")  # fmt: skip
def merge(request: HttpRequest, rumor_id: PathId, payload: MergeIn) -> object:
    target = services.candidate_merge(
        actor=actor_of(request), rumor_id=rumor_id, into_id=payload.into_id
    )
    return selectors.rumor_get(actor=actor_of(request), rumor_id=target.pk)


@router.post("/{rumor_id}/dismiss", response=RumorOut, summary="Dismiss a candidate")
def dismiss(request: HttpRequest, rumor_id: PathId, payload: ReasonIn) -> object:
    rumor = services.candidate_dismiss(
        actor=actor_of(request), rumor_id=rumor_id, reason=payload.reason
    )
    return selectors.rumor_get(actor=actor_of(request), rumor_id=rumor.pk)


@router.post("/{rumor_id}/clarifications", response={201: ClarificationOut},
             summary="Write a clarification (a draft)")  # fmt: skip
def write_clarification(request: HttpRequest, rumor_id: PathId, payload: ClarificationIn) -> object:
    clar = services.clarification_write(
        actor=actor_of(request), rumor_id=rumor_id, **payload.dict()
    )
    return Status(201, clar)
