"""Bulletins: JSON API. Published bulletins and rumor-vs-fact notes are public (no login);
drafting, editing, publishing, correcting and filing notes need citizen.publish_bulletins in
the bulletin's area."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status

from crisisgov.citizen.bulletins import selectors, services
from crisisgov.citizen.bulletins.models import Bulletin, Clarification
from crisisgov.kernel.errors import DomainError
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.schemas import MAX_OFFSET, Id, PathId, StrictInput, text

router = Router()


class BulletinOut(Schema):
    id: int
    area_code: str
    area_path: str
    date: dt.date
    number: int | None
    state: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    figures: dict[str, Any]
    published_at: dt.datetime | None
    corrects_id: int | None
    corrected_by_id: int | None
    url: str | None

    @staticmethod
    def resolve_area_code(obj: Bulletin) -> str:
        return obj.area.code

    @staticmethod
    def resolve_corrected_by_id(obj: Bulletin) -> int | None:
        correction = getattr(obj, "correction", None)
        return correction.pk if correction is not None and correction.is_public else None

    @staticmethod
    def resolve_url(obj: Bulletin) -> str | None:
        return reverse("citizen_bulletins:detail", args=[obj.pk]) if obj.is_public else None


class ClarificationOut(Schema):
    id: int
    area_code: str
    claim_zh: str
    claim_en: str
    fact_zh: str
    fact_en: str
    source_url: str
    published_at: dt.datetime
    bulletin_id: int | None

    @staticmethod
    def resolve_area_code(obj: Clarification) -> str:
        return obj.area.code


class DraftIn(StrictInput):
    area_id: Id
    date: dt.date


class EditIn(StrictInput):
    title_zh: text(max_length=200) | None = None  # type: ignore[valid-type]
    title_en: text(max_length=200) | None = None  # type: ignore[valid-type]
    body_zh: text(max_length=20_000) | None = None  # type: ignore[valid-type]
    body_en: text(max_length=20_000) | None = None  # type: ignore[valid-type]


class ClarificationIn(StrictInput):
    area_id: Id
    claim_zh: text(min_length=1, max_length=2000)  # type: ignore[valid-type]
    claim_en: text(min_length=1, max_length=2000)  # type: ignore[valid-type]
    fact_zh: text(min_length=1, max_length=4000)  # type: ignore[valid-type]
    fact_en: text(min_length=1, max_length=4000)  # type: ignore[valid-type]
    source_url: text(max_length=500) = ""  # type: ignore[valid-type]
    bulletin_id: Id | None = None


# --- public ------------------------------------------------------------------------------------


@router.get(
    "/clarifications",
    response=list[ClarificationOut],
    auth=None,
    summary="Rumor vs fact: the newest notes (public)",
)
def list_clarifications(
    request: HttpRequest,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=1000),
) -> object:
    return selectors.clarifications_recent(limit=offset + limit)[offset:]


@router.get("", response=list[BulletinOut], auth=None, summary="Published bulletins (public)")
def list_bulletins(
    request: HttpRequest,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> object:
    return selectors.bulletins_public()[offset : offset + limit]


# --- officials ---------------------------------------------------------------------------------


@router.post("/clarifications", response={201: ClarificationOut, 200: ClarificationOut},
             summary="File a rumor-vs-fact note")  # fmt: skip
def create_clarification(request: HttpRequest, payload: ClarificationIn) -> object:
    url = payload.source_url.strip()
    if url and not url.startswith(("https://", "http://")):
        raise DomainError("the source must be an http(s) link", field="source_url")
    note, created = services.clarification_publish(
        actor=actor_of(request),
        area_id=payload.area_id,
        claim_zh=payload.claim_zh,
        claim_en=payload.claim_en,
        fact_zh=payload.fact_zh,
        fact_en=payload.fact_en,
        source_url=url,
        bulletin_id=payload.bulletin_id,
    )
    return Status(201 if created else 200, note)


@router.get("/drafts", response=list[BulletinOut], summary="Bulletins of your areas, drafts too")
def list_drafts(
    request: HttpRequest, state: str = Query("", pattern="^(|draft|published|corrected)$")
) -> object:
    return selectors.bulletins_for_official(actor=actor_of(request), state=state)[:200]


@router.post("/drafts", response={201: BulletinOut, 200: BulletinOut},
             summary="Draft (or refresh the draft of) an area's bulletin for a day")  # fmt: skip
def draft_bulletin(request: HttpRequest, payload: DraftIn) -> object:
    bulletin, created = services.bulletin_draft(
        actor=actor_of(request), area_id=payload.area_id, day=payload.date
    )
    return Status(201 if created else 200, bulletin)


@router.get("/drafts/{bulletin_id}", response=BulletinOut, summary="A bulletin of your areas")
def get_draft(request: HttpRequest, bulletin_id: PathId) -> object:
    return selectors.bulletin_for_official(actor=actor_of(request), bulletin_id=bulletin_id)


@router.patch("/drafts/{bulletin_id}", response=BulletinOut, summary="Edit a draft's texts")
def edit_draft(request: HttpRequest, bulletin_id: PathId, payload: EditIn) -> object:
    texts = {k: v for k, v in payload.dict().items() if v is not None}
    return services.bulletin_edit(actor=actor_of(request), bulletin_id=bulletin_id, texts=texts)


@router.post("/drafts/{bulletin_id}/publish", response=BulletinOut, summary="Publish a draft")
def publish_draft(request: HttpRequest, bulletin_id: PathId) -> object:
    return services.bulletin_publish(actor=actor_of(request), bulletin_id=bulletin_id)


@router.post("/{bulletin_id}/correct", response={201: BulletinOut},
             summary="Start the correction of a published bulletin (a new draft)")  # fmt: skip
def correct_bulletin(request: HttpRequest, bulletin_id: PathId) -> object:
    correction = services.bulletin_correct(actor=actor_of(request), bulletin_id=bulletin_id)
    return Status(201, correction)


# Last: "/{bulletin_id}" would otherwise take "/drafts" and "/clarifications".
@router.get(
    "/{bulletin_id}", response=BulletinOut, auth=None, summary="A published bulletin (public)"
)
def get_bulletin(request: HttpRequest, bulletin_id: PathId) -> object:
    return selectors.bulletin_public(bulletin_id)
