"""The demo's exposures and testing sites: a few trips and venues of confirmed cases in the
outbreak district, every testing site's hours and a queue report for most of them, and the
published documents. Idempotent: trips and venues are published once; hours are set only where
a site has none; the queues are reported afresh on every run (they go stale in two hours)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crisisgov.citizen.queries import exposures, sites
from crisisgov.citizen.queries.facade import queries_publish_all
from crisisgov.citizen.queries.models import ExposureVenue, TestingSiteInfo, TripSegment
from crisisgov.geo.facade import Level, areas_at_level
from crisisgov.kernel.actor import SYSTEM

WEEKDAY_HOURS = [["08:00", "12:00"], ["13:30", "18:00"]]
WEEKEND_HOURS = [["09:00", "16:00"]]
QUEUES = ["short", "medium", "long", "short", "closed", "medium"]
# (mode, number, days ago, from, to, departs, arrives, carriage)
TRIPS = [
    ("train", "G1234", 3, "临江站", "武汉站", "08:12", "10:45", "5号车厢"),
    ("bus", "公交18路", 2, "解放路口", "临江人民医院", "17:20", "17:55", ""),
    ("flight", "CA1501", 5, "北京首都", "临江", "09:00", "11:20", "第20-25排"),
    ("metro", "地铁2号线", 1, "江滩", "市民中心", "07:40", "08:05", ""),
]
# (name zh, name en, address word, days ago, from hour, hours)
VENUES = [
    ("{r}农贸市场", "{r} Wet Market", "菜市场", 2, 7, 3),
    ("{r}永辉超市", "{r} Yonghui Supermarket", "超市", 3, 18, 2),
    ("{r}老字号热干面馆", "{r} Hot Noodle House", "面馆", 4, 12, 1),
]


def queries_demo_ensure(*, district_path: str) -> list[str]:
    estates = areas_at_level(Level.RESIDENTIAL_AREA, under=district_path)
    district = next(a for a in areas_at_level(Level.DISTRICT) if a.path == district_path)
    today = timezone.localdate()
    published = 0
    if not TripSegment.objects.filter(area_path=district_path).exists():
        for mode, trip_number, ago, stop_from, stop_to, departs, arrives, carriage in TRIPS:
            exposures.trip_publish(
                actor=SYSTEM, area_id=district.id, mode=mode, number=trip_number,
                travel_date=today - dt.timedelta(days=ago), from_stop=stop_from, to_stop=stop_to,
                departs_at=dt.time.fromisoformat(departs),
                arrives_at=dt.time.fromisoformat(arrives), carriage=carriage,
            )  # fmt: skip
            published += 1
    if estates and not ExposureVenue.objects.filter(area_path__under=district_path).exists():
        for index, (zh, en, word, days_ago, hour, duration) in enumerate(VENUES):
            estate = estates[index % len(estates)]
            day = today - dt.timedelta(days=days_ago)
            start = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
            exposures.venue_publish(
                actor=SYSTEM, area_id=estate.id,
                name_zh=zh.format(r=estate.name_zh), name_en=en.format(r=estate.name_en),
                address=f"{district.name_zh}{estate.name_zh}旁{word}",
                starts_at=start, ends_at=start + dt.timedelta(hours=duration),
            )  # fmt: skip
            published += 1
    testing = sites.public_places(kind=sites.KIND)
    has_hours = set(
        TestingSiteInfo.objects.exclude(hours={}).values_list("organisation_id", flat=True)
    )
    for number, site in enumerate(testing):
        if site.id not in has_hours:
            week = {str(d): WEEKDAY_HOURS if d < 5 else WEEKEND_HOURS for d in range(7)}
            sites.site_info_update(
                actor=SYSTEM, organisation_id=site.id, hours=week, offers_pcr=True,
                offers_antigen=number % 2 == 0,
            )  # fmt: skip
        if number % 4 != 3:  # every fourth site says nothing: its queue shows as unknown
            status = QUEUES[number % len(QUEUES)]
            waiting = {"short": 5, "medium": 20, "long": 50}.get(status)
            sites.site_queue_update(
                actor=SYSTEM, organisation_id=site.id, status=status, waiting_minutes=waiting
            )
    queries_publish_all()
    return [
        f"Citizen queries: {published} trips and venues published in {district.name_en}, "
        f"{len(testing)} testing sites with hours; /citizen/queries/"
    ]
