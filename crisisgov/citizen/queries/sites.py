"""The testing-site directory: opening hours, services and the current queue of every testing
site, kept by the site's own staff (`citizen.run_service_point`, bound to that organisation)
or by the officials who publish exposures in its area.

Published as the document `testing-sites` on every change. Whether a site is open now and
whether its queue report is still fresh are worked out when the document is read (a report
older than QUEUE_VALID_MINUTES shows as unknown): the document itself stays the same for
everyone until something changes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.citizen.publishing import document_get, document_publish
from crisisgov.citizen.queries.models import QueueStatus, TestingSiteInfo
from crisisgov.citizen.queries.rules import RuleError, hours_check, is_open
from crisisgov.directory.facade import PublicPlace, public_places
from crisisgov.geo.facade import PATH_DIGITS, Level, areas_for_paths
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import DomainError, NotFound

DOCUMENT = "testing-sites"
KIND = "testing_site"
QUEUE_VALID_MINUTES = 120
MAX_WAITING_MINUTES = 600


def may_run(actor: Actor, site: PublicPlace) -> bool:
    """The site's own staff (a role bound to this organisation), or an official who publishes
    exposures in its area."""
    if actor.can_at(CitizenPermission.PUBLISH_EXPOSURES, site.area_path):
        return True
    return any(
        scope.organisation_id == site.id and site.area_path.startswith(scope.area_path)
        for scope in actor.scopes_for(CitizenPermission.RUN_SERVICE_POINT)
    )


def site_for_actor(*, actor: Actor, organisation_id: int) -> PublicPlace:
    """The testing site the actor may keep, else NotFound (the same as no such site)."""
    found = public_places(kind=KIND, ids=[organisation_id])
    if not found or not may_run(actor, found[0]):
        raise NotFound("no such testing site", field="organisation_id")
    return found[0]


def sites_for_actor(*, actor: Actor) -> list[PublicPlace]:
    return [site for site in public_places(kind=KIND) if may_run(actor, site)]


def _info(site: PublicPlace) -> TestingSiteInfo:
    info = TestingSiteInfo.objects.select_for_update().filter(organisation_id=site.id).first()
    return info or TestingSiteInfo(
        organisation_id=site.id, area_path=site.area_path, updated_at=timezone.now()
    )


def site_info_get(*, actor: Actor, organisation_id: int) -> TestingSiteInfo:
    site = site_for_actor(actor=actor, organisation_id=organisation_id)
    return TestingSiteInfo.objects.filter(organisation_id=site.id).first() or TestingSiteInfo(
        organisation_id=site.id, area_path=site.area_path, hours={}
    )


def site_info_update(
    *,
    actor: Actor,
    organisation_id: int,
    hours: object,
    offers_pcr: bool,
    offers_antigen: bool,
) -> TestingSiteInfo:
    """Set a site's weekly hours and services."""
    site = site_for_actor(actor=actor, organisation_id=organisation_id)
    try:
        checked = hours_check(hours)
    except RuleError as exc:
        raise DomainError(str(exc), field=exc.field) from None
    if not (offers_pcr or offers_antigen):
        raise DomainError("a testing site offers PCR, antigen tests or both", field="services")
    with transaction.atomic():
        info = _info(site)
        info.hours, info.offers_pcr, info.offers_antigen = checked, offers_pcr, offers_antigen
        info.area_path = site.area_path
        info.updated_at, info.updated_by_id = timezone.now(), actor.user_id
        info.save()
        audit_record(
            actor=actor,
            action="citizen_queries.site_info_updated",
            permission=CitizenPermission.RUN_SERVICE_POINT,
            target_type="directory.organisation",
            target_id=site.id,
            area_path=site.area_path,
            detail={"hours": checked, "pcr": offers_pcr, "antigen": offers_antigen},
        )
        testing_sites_document_publish()
    return info


def site_queue_update(
    *, actor: Actor, organisation_id: int, status: str, waiting_minutes: int | None = None
) -> TestingSiteInfo:
    """Report the queue now: short / medium / long / closed, and the wait if known."""
    site = site_for_actor(actor=actor, organisation_id=organisation_id)
    if status not in QueueStatus.values:
        raise DomainError(f"status is one of {', '.join(QueueStatus.values)}", field="status")
    if waiting_minutes is not None and not 0 <= waiting_minutes <= MAX_WAITING_MINUTES:
        raise DomainError(
            f"waiting minutes are 0 to {MAX_WAITING_MINUTES}", field="waiting_minutes"
        )
    if status == QueueStatus.CLOSED:
        waiting_minutes = None
    with transaction.atomic():
        info = _info(site)
        now = timezone.now()
        info.queue_status, info.waiting_minutes, info.queue_updated_at = (
            status,
            waiting_minutes,
            now,
        )
        info.area_path = site.area_path
        info.updated_at, info.updated_by_id = now, actor.user_id
        info.save()
        audit_record(
            actor=actor,
            action="citizen_queries.site_queue_updated",
            permission=CitizenPermission.RUN_SERVICE_POINT,
            target_type="directory.organisation",
            target_id=site.id,
            area_path=site.area_path,
            detail={"status": status, "waiting_minutes": waiting_minutes},
        )
        testing_sites_document_publish()
    return info


# --- the published document and its public reading -------------------------------------------


def testing_sites_document_build() -> dict:
    """Every active testing site with what its staff last said; sites that said nothing yet
    are listed with unknown hours."""
    sites = [s for s in public_places(kind=KIND) if s.active]
    infos = {i.organisation_id: i for i in TestingSiteInfo.objects.all()}
    digits = PATH_DIGITS[Level.DISTRICT]
    districts = areas_for_paths(sorted({s.area_path[:digits] for s in sites}))
    entries = []
    for site in sites:
        info = infos.get(site.id)
        district = districts.get(site.area_path[:digits])
        entries.append(
            {
                "id": site.id,
                "name_zh": site.name_zh,
                "name_en": site.name_en,
                "address": site.address,
                "phone": site.public_phone,
                "lon": site.lon,
                "lat": site.lat,
                "district_zh": district.name_zh if district else "",
                "district_en": district.name_en if district else "",
                "hours": info.hours if info else None,
                "pcr": info.offers_pcr if info else None,
                "antigen": info.offers_antigen if info else None,
                "queue": info.queue_status if info and info.queue_status else None,
                "waiting_minutes": info.waiting_minutes if info else None,
                "queue_at": info.queue_updated_at.isoformat()
                if info and info.queue_updated_at
                else None,
            }
        )
    return {
        "timezone": timezone.get_current_timezone_name(),
        "queue_valid_minutes": QUEUE_VALID_MINUTES,
        "sites": entries,
    }


def testing_sites_document_publish() -> str:
    return document_publish(DOCUMENT, testing_sites_document_build())


@dataclass(frozen=True)
class SiteNow:
    """A site as a citizen sees it at one moment."""

    entry: dict  # the published entry
    open_now: bool | None  # None: the site has not published its hours
    queue: str  # short | medium | long | closed | unknown
    waiting_minutes: int | None
    queue_at: dt.datetime | None


def testing_sites_now(*, now: dt.datetime | None = None) -> tuple[list[SiteNow], dt.datetime]:
    """The published directory read at `now`: open or not, and the queue unless stale."""
    document = document_get(DOCUMENT)
    if document is None:
        testing_sites_document_publish()
        document = document_get(DOCUMENT)
    assert document is not None
    now = timezone.localtime(now or timezone.now())
    out = []
    for entry in json.loads(document.body)["sites"]:
        queue_at = dt.datetime.fromisoformat(entry["queue_at"]) if entry["queue_at"] else None
        fresh = queue_at is not None and now - queue_at <= dt.timedelta(minutes=QUEUE_VALID_MINUTES)
        open_now = is_open(entry["hours"], now) if entry["hours"] is not None else None
        queue = entry["queue"] if fresh and entry["queue"] else "unknown"
        if open_now is False:
            queue = "closed"  # outside the hours the queue report no longer matters
        out.append(
            SiteNow(
                entry=entry,
                open_now=open_now,
                queue=queue,
                waiting_minutes=entry["waiting_minutes"]
                if queue not in ("unknown", "closed")
                else None,
                queue_at=queue_at if fresh else None,
            )
        )
    return out, document.published_at
