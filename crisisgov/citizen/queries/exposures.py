"""Where and on what a confirmed case travelled: trip segments and exposure venues, published by
officials (`citizen.publish_exposures`, inside their areas), withdrawn when wrong.

Citizens ask about a trip by number and date (`trip_check`: nothing about the asker is kept),
and check their own itinerary against the published document `exposures` in their browser
(static/citizen_queries/selfcheck.js): the itinerary never reaches the server.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from crisisgov.citizen.models import PublishedDocument
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.citizen.publishing import document_publish
from crisisgov.citizen.queries.models import ExposureVenue, TripMode, TripSegment
from crisisgov.citizen.queries.rules import RuleError, trip_number_key
from crisisgov.geo.facade import area_for_actor, areas_for_paths
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import DomainError, NotFound

DOCUMENT = "exposures"
RELEVANT_DAYS = 14  # an incubation period: older exposures are no longer worth checking
MAX_WINDOW = dt.timedelta(days=14)
MAX_CASES = 9999
PUBLISH = CitizenPermission.PUBLISH_EXPOSURES


def parse_date(text: str, *, field: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise DomainError("a date is written YYYY-MM-DD, e.g. 2026-11-20", field=field) from None


def number_key(number: str) -> str:
    try:
        return trip_number_key(number)
    except RuleError as exc:
        raise DomainError(str(exc), field=exc.field) from None


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


# --- trips ------------------------------------------------------------------------------------


def trip_publish(
    *,
    actor: Actor,
    area_id: int,
    mode: str,
    number: str,
    travel_date: dt.date,
    from_stop: str = "",
    to_stop: str = "",
    departs_at: dt.time | None = None,
    arrives_at: dt.time | None = None,
    carriage: str = "",
    cases: int = 1,
) -> TripSegment:
    """Publish a segment a confirmed case travelled on, in the name of the area `area_id`."""
    area = area_for_actor(actor=actor, area_id=area_id, action=PUBLISH)
    if mode not in TripMode.values:
        raise DomainError(f"mode is one of {', '.join(TripMode.values)}", field="mode")
    key = number_key(number)
    if travel_date > timezone.localdate():
        raise DomainError("a published trip has already happened", field="travel_date")
    if not 1 <= cases <= MAX_CASES:
        raise DomainError(f"cases is 1 to {MAX_CASES}", field="cases")
    with transaction.atomic():
        trip = TripSegment.objects.create(
            mode=mode,
            number=" ".join(number.split()),
            number_key=key,
            travel_date=travel_date,
            from_stop=from_stop.strip(),
            to_stop=to_stop.strip(),
            departs_at=departs_at,
            arrives_at=arrives_at,
            carriage=carriage.strip(),
            cases=cases,
            area_id=area.id,
            area_path=area.path,
            published_at=timezone.now(),
            published_by_id=actor.user_id,
        )
        audit_record(
            actor=actor,
            action="citizen_queries.trip_published",
            permission=PUBLISH,
            target_type="citizen_queries.tripsegment",
            target_id=trip.pk,
            area_path=area.path,
            detail={"mode": mode, "number": trip.number, "date": travel_date.isoformat()},
        )
        exposures_document_publish()
    return trip


def trip_withdraw(*, actor: Actor, trip_id: int) -> TripSegment:
    with transaction.atomic():
        trip = TripSegment.objects.for_actor(actor, PUBLISH).filter(pk=trip_id).first()
        if trip is None:
            raise NotFound("no such trip", field="trip_id")
        if trip.withdrawn_at is None:
            trip.withdrawn_at = timezone.now()
            trip.save(update_fields=["withdrawn_at"])
            audit_record(
                actor=actor,
                action="citizen_queries.trip_withdrawn",
                permission=PUBLISH,
                target_type="citizen_queries.tripsegment",
                target_id=trip.pk,
                area_path=trip.area_path,
                detail={"number": trip.number, "date": trip.travel_date.isoformat()},
            )
            exposures_document_publish()
    return trip


def trip_list(*, actor: Actor) -> list[TripSegment]:
    """The trips published in the official's areas, newest first (withdrawn ones too)."""
    return list(TripSegment.objects.for_actor(actor, PUBLISH)[:500])


@dataclass(frozen=True)
class TripCheck:
    number_key: str
    travel_date: dt.date
    segments: list[TripSegment]


def trip_check(*, number: str, date: str, mode: str = "") -> TripCheck:
    """Did a confirmed case travel on this number that day? The published segments, if so."""
    key = number_key(number)
    day = parse_date(date)
    if mode and mode not in TripMode.values:
        raise DomainError(f"mode is one of {', '.join(TripMode.values)}", field="mode")
    rows = TripSegment.objects.filter(number_key=key, travel_date=day, withdrawn_at=None)
    if mode:
        rows = rows.filter(mode=mode)
    return TripCheck(key, day, list(rows.order_by("departs_at", "id")))


# --- venues -----------------------------------------------------------------------------------


def venue_publish(
    *,
    actor: Actor,
    area_id: int,
    name_zh: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    name_en: str = "",
    address: str = "",
    lon: float | None = None,
    lat: float | None = None,
) -> ExposureVenue:
    """Publish a place and the window of time a confirmed case was there."""
    area = area_for_actor(actor=actor, area_id=area_id, action=PUBLISH)
    if not name_zh.strip():
        raise DomainError("a venue needs its name", field="name_zh")
    starts_at, ends_at = _local(starts_at), _local(ends_at)
    if ends_at <= starts_at:
        raise DomainError("the window ends after it starts", field="ends_at")
    if ends_at - starts_at > MAX_WINDOW:
        raise DomainError("a window is at most 14 days; publish several", field="ends_at")
    if starts_at > timezone.now():
        raise DomainError("a published exposure has already begun", field="starts_at")
    if (lon is None) != (lat is None):
        raise DomainError("give both longitude and latitude, or neither", field="lat")
    if lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):  # type: ignore[operator]
        raise DomainError("longitude is -180 to 180 and latitude -90 to 90", field="lon")
    with transaction.atomic():
        venue = ExposureVenue.objects.create(
            name_zh=name_zh.strip(),
            name_en=name_en.strip(),
            address=address.strip(),
            area_id=area.id,
            area_path=area.path,
            lon=lon,
            lat=lat,
            starts_at=starts_at,
            ends_at=ends_at,
            published_at=timezone.now(),
            published_by_id=actor.user_id,
        )
        audit_record(
            actor=actor,
            action="citizen_queries.venue_published",
            permission=PUBLISH,
            target_type="citizen_queries.exposurevenue",
            target_id=venue.pk,
            area_path=area.path,
            detail={
                "name": venue.name_zh,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
            },
        )
        exposures_document_publish()
    return venue


def venue_withdraw(*, actor: Actor, venue_id: int) -> ExposureVenue:
    with transaction.atomic():
        venue = ExposureVenue.objects.for_actor(actor, PUBLISH).filter(pk=venue_id).first()
        if venue is None:
            raise NotFound("no such venue", field="venue_id")
        if venue.withdrawn_at is None:
            venue.withdrawn_at = timezone.now()
            venue.save(update_fields=["withdrawn_at"])
            audit_record(
                actor=actor,
                action="citizen_queries.venue_withdrawn",
                permission=PUBLISH,
                target_type="citizen_queries.exposurevenue",
                target_id=venue.pk,
                area_path=venue.area_path,
                detail={"name": venue.name_zh},
            )
            exposures_document_publish()
    return venue


def venue_list(*, actor: Actor) -> list[ExposureVenue]:
    return list(ExposureVenue.objects.for_actor(actor, PUBLISH)[:500])


# --- the published document -------------------------------------------------------------------


def trip_json(trip: TripSegment) -> dict:
    return {
        "id": trip.pk,
        "mode": trip.mode,
        "number": trip.number,
        "key": trip.number_key,
        "date": trip.travel_date.isoformat(),
        "from": trip.from_stop,
        "to": trip.to_stop,
        "departs": trip.departs_at.strftime("%H:%M") if trip.departs_at else "",
        "arrives": trip.arrives_at.strftime("%H:%M") if trip.arrives_at else "",
        "carriage": trip.carriage,
        "cases": trip.cases,
    }


def exposures_document_build(*, today: dt.date | None = None) -> dict:
    """The active venues and trips of the last RELEVANT_DAYS days, for the self-check."""
    today = today or timezone.localdate()
    oldest = today - dt.timedelta(days=RELEVANT_DAYS)
    since = timezone.make_aware(dt.datetime.combine(oldest, dt.time.min))
    venues = list(ExposureVenue.objects.filter(withdrawn_at=None, ends_at__gte=since))
    trips = TripSegment.objects.filter(withdrawn_at=None, travel_date__gte=oldest)
    areas = areas_for_paths(sorted({v.area_path for v in venues}))
    return {
        "as_of": today.isoformat(),
        "relevant_days": RELEVANT_DAYS,
        "venues": [
            {
                "id": v.pk,
                "name_zh": v.name_zh,
                "name_en": v.name_en,
                "address": v.address,
                "area_code": areas[v.area_path].code if v.area_path in areas else "",
                "area_zh": areas[v.area_path].name_zh if v.area_path in areas else "",
                "area_en": areas[v.area_path].name_en if v.area_path in areas else "",
                "lon": v.lon,
                "lat": v.lat,
                "start": timezone.localtime(v.starts_at).isoformat(),
                "end": timezone.localtime(v.ends_at).isoformat(),
            }
            for v in sorted(venues, key=lambda v: (v.starts_at, v.pk))
        ],
        "trips": [trip_json(t) for t in trips.order_by("travel_date", "number_key", "id")],
    }


def exposures_document_publish() -> str:
    return document_publish(DOCUMENT, exposures_document_build())


def exposures_republish_if_new_day() -> int:
    """Once a day (the first worker round after midnight) the document drops what has aged
    out of the window; returns 1 when it republished."""
    published_at = (
        PublishedDocument.objects.filter(name=DOCUMENT).values_list("published_at", flat=True)
    ).first()
    if published_at is None:
        # A first, empty publication so the self-check page has a document; nothing aged out.
        exposures_document_publish()
        return 0
    if timezone.localtime(published_at).date() >= timezone.localdate():
        return 0
    exposures_document_publish()
    return 1
