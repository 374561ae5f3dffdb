"""Citizen queries: JSON API.

The citizens' reads (`/risk`, `/trips/check`, `/testing-sites`) need no login (`auth=None`) and
keep nothing about the caller; their answers are the same for everyone and may be cached.
Officials publish trips and venues, and testing sites' staff keep their hours and queue.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from crisisgov.citizen.queries import exposures, risk, sites
from crisisgov.kernel.errors import DomainError
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.schemas import Id, PathId, StrictInput, text

router = Router()
PUBLIC_CACHE = "public, max-age=60"


# --- schemas ----------------------------------------------------------------------------------


class AreaOut(Schema):
    code: str
    name_zh: str
    name_en: str
    level: int


class RiskOut(Schema):
    area: AreaOut
    level: str
    since: dt.datetime | None
    set_for: AreaOut | None  # the area whose level applies: the area itself or an ancestor
    published_at: dt.datetime


class CandidateOut(Schema):
    area: AreaOut
    label_zh: str
    label_en: str


class RiskLookupOut(Schema):
    result: RiskOut | None
    candidates: list[CandidateOut]


class TripOut(Schema):
    id: int
    mode: str
    number: str
    number_key: str
    travel_date: dt.date
    from_stop: str
    to_stop: str
    departs_at: dt.time | None
    arrives_at: dt.time | None
    carriage: str
    cases: int
    published_at: dt.datetime


class TripCheckOut(Schema):
    number_key: str
    travel_date: dt.date
    confirmed_case_on_board: bool
    segments: list[TripOut]


class TripIn(StrictInput):
    area_id: Id
    mode: Literal["train", "flight", "bus", "ship", "metro"]
    number: text(min_length=1, max_length=40)  # type: ignore[valid-type]
    travel_date: dt.date
    from_stop: text(max_length=100) = ""  # type: ignore[valid-type]
    to_stop: text(max_length=100) = ""  # type: ignore[valid-type]
    departs_at: dt.time | None = None
    arrives_at: dt.time | None = None
    carriage: text(max_length=60) = ""  # type: ignore[valid-type]
    cases: int = 1


class OfficialTripOut(TripOut):
    area_path: str
    withdrawn_at: dt.datetime | None


class VenueIn(StrictInput):
    area_id: Id
    name_zh: text(min_length=1, max_length=200)  # type: ignore[valid-type]
    name_en: text(max_length=200) = ""  # type: ignore[valid-type]
    address: text(max_length=300) = ""  # type: ignore[valid-type]
    lon: float | None = None
    lat: float | None = None
    starts_at: dt.datetime
    ends_at: dt.datetime


class VenueOut(Schema):
    id: int
    name_zh: str
    name_en: str
    address: str
    area_path: str
    lon: float | None
    lat: float | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    published_at: dt.datetime
    withdrawn_at: dt.datetime | None


class SiteInfoIn(StrictInput):
    hours: dict[str, list[list[str]]]
    offers_pcr: bool = True
    offers_antigen: bool = False


class QueueIn(StrictInput):
    status: Literal["short", "medium", "long", "closed"]
    waiting_minutes: int | None = None


class SiteInfoOut(Schema):
    organisation_id: int
    hours: dict[str, list[list[str]]]
    offers_pcr: bool
    offers_antigen: bool
    queue_status: str
    waiting_minutes: int | None
    queue_updated_at: dt.datetime | None
    updated_at: dt.datetime


class SiteNowOut(Schema):
    id: int
    name_zh: str
    name_en: str
    address: str
    phone: str
    district_zh: str
    district_en: str
    hours: dict[str, list[list[str]]] | None
    pcr: bool | None
    antigen: bool | None
    open_now: bool | None
    queue: str  # short | medium | long | closed | unknown (no fresh report)
    waiting_minutes: int | None
    queue_at: dt.datetime | None


# --- the citizens' reads ----------------------------------------------------------------------


def _area(area) -> dict:  # type: ignore[no-untyped-def]
    return {
        "code": area.code,
        "name_zh": area.name_zh,
        "name_en": area.name_en,
        "level": area.level,
    }


def _risk(answer: risk.RiskAnswer) -> dict:
    set_for = None
    if answer.set_for_code:
        set_for = {
            "code": answer.set_for_code,
            "name_zh": answer.set_for_zh,
            "name_en": answer.set_for_en,
            "level": 0,
        }
    return {
        "area": _area(answer.area),
        "level": answer.level,
        "since": answer.since,
        "set_for": set_for,
        "published_at": answer.published_at,
    }


@router.get(
    "/risk", response=RiskLookupOut, auth=None, summary="Risk level by code, point or address"
)
def risk_lookup(
    request: HttpRequest,
    response: HttpResponse,
    code: str = "",
    lon: float | None = None,
    lat: float | None = None,
    q: str = "",
) -> object:
    """Give exactly one of: `code` (an area code), `lon` and `lat` (a point, WGS 84), or `q`
    (an address: the best match, or candidates to choose from)."""
    given = [bool(code), lon is not None or lat is not None, bool(q)]
    if sum(given) != 1:
        raise DomainError("give one of: code, lon and lat, or q", field="query")
    response["Cache-Control"] = PUBLIC_CACHE
    if code:
        return {"result": _risk(risk.risk_by_code(code[:40])), "candidates": []}
    if q:
        found = risk.risk_by_address(q[: risk.MAX_ADDRESS_LENGTH + 1])
        return {
            "result": _risk(found.best) if found.best else None,
            "candidates": [
                {"area": _area(c.area), "label_zh": c.label_zh, "label_en": c.label_en}
                for c in found.candidates
            ],
        }
    if lon is None or lat is None:
        raise DomainError("a point needs both lon and lat", field="point")
    return {"result": _risk(risk.risk_by_point(lon, lat)), "candidates": []}


@router.get(
    "/trips/check", response=TripCheckOut, auth=None, summary="Was a confirmed case on this trip?"
)
def trip_check(
    request: HttpRequest, response: HttpResponse, number: str = "", date: str = "", mode: str = ""
) -> object:
    """`number` as on the ticket (G1234, CA1501, 公交18路) and `date` (YYYY-MM-DD)."""
    found = exposures.trip_check(number=number, date=date[:20], mode=mode[:10])
    response["Cache-Control"] = PUBLIC_CACHE
    return {
        "number_key": found.number_key,
        "travel_date": found.travel_date,
        "confirmed_case_on_board": bool(found.segments),
        "segments": found.segments,
    }


@router.get(
    "/testing-sites", response=list[SiteNowOut], auth=None, summary="Testing sites, open now"
)
def testing_sites(request: HttpRequest, response: HttpResponse) -> object:
    found, _ = sites.testing_sites_now()
    response["Cache-Control"] = PUBLIC_CACHE
    return [
        {
            **{k: s.entry[k] for k in ("id", "name_zh", "name_en", "address", "phone")},
            **{k: s.entry[k] for k in ("district_zh", "district_en", "hours", "pcr", "antigen")},
            "open_now": s.open_now,
            "queue": s.queue,
            "waiting_minutes": s.waiting_minutes,
            "queue_at": s.queue_at,
        }
        for s in found
    ]


# --- officials: trips and venues ------------------------------------------------------------


@router.get("/trips", response=list[OfficialTripOut], summary="Trips published in your areas")
def trip_list(request: HttpRequest) -> object:
    return exposures.trip_list(actor=actor_of(request))


@router.post("/trips", response={201: OfficialTripOut}, summary="Publish a confirmed case's trip")
def trip_publish(request: HttpRequest, payload: TripIn) -> object:
    trip = exposures.trip_publish(actor=actor_of(request), **payload.dict())
    return Status(201, trip)


@router.post(
    "/trips/{trip_id}/withdraw", response=OfficialTripOut, summary="Withdraw a published trip"
)
def trip_withdraw(request: HttpRequest, trip_id: PathId) -> object:
    return exposures.trip_withdraw(actor=actor_of(request), trip_id=trip_id)


@router.get("/venues", response=list[VenueOut], summary="Exposure venues published in your areas")
def venue_list(request: HttpRequest) -> object:
    return exposures.venue_list(actor=actor_of(request))


@router.post("/venues", response={201: VenueOut}, summary="Publish an exposure venue and window")
def venue_publish(request: HttpRequest, payload: VenueIn) -> object:
    venue = exposures.venue_publish(actor=actor_of(request), **payload.dict())
    return Status(201, venue)


@router.post("/venues/{venue_id}/withdraw", response=VenueOut, summary="Withdraw a published venue")
def venue_withdraw(request: HttpRequest, venue_id: PathId) -> object:
    return exposures.venue_withdraw(actor=actor_of(request), venue_id=venue_id)


# --- testing sites' staff ---------------------------------------------------------------------


@router.get(
    "/testing-sites/{organisation_id}", response=SiteInfoOut, summary="A site's hours and queue"
)
def site_info(request: HttpRequest, organisation_id: PathId) -> object:
    return sites.site_info_get(actor=actor_of(request), organisation_id=organisation_id)


@router.put(
    "/testing-sites/{organisation_id}", response=SiteInfoOut, summary="Set hours and services"
)
def site_info_update(request: HttpRequest, organisation_id: PathId, payload: SiteInfoIn) -> object:
    return sites.site_info_update(
        actor=actor_of(request), organisation_id=organisation_id, **payload.dict()
    )


@router.post(
    "/testing-sites/{organisation_id}/queue", response=SiteInfoOut, summary="Report the queue"
)
def site_queue_update(request: HttpRequest, organisation_id: PathId, payload: QueueIn) -> object:
    return sites.site_queue_update(
        actor=actor_of(request), organisation_id=organisation_id, **payload.dict()
    )
