"""The demo's situation bulletins: each city's bulletins of the last 7 days of the early-warning
series (drafted from its numbers, small counts protected, published as the system) and two
rumor-vs-fact notes. Idempotent: a second run publishes nothing new."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crisisgov.citizen.bulletins.facade import (
    bulletin_publish_for_drill,
    clarification_publish,
)
from crisisgov.geo.facade import Level, areas_at_level
from crisisgov.kernel.actor import SYSTEM

DAYS = 7
NOTES = (
    {
        "claim_zh": "网传喝高度白酒、熏醋可以预防感染。",
        "claim_en": "Drinking strong liquor or fuming vinegar prevents infection.",
        "fact_zh": "不能。饮酒和熏醋都不能预防感染，反而可能伤身；请佩戴口罩、勤洗手、保持距离。",
        "fact_en": (
            "No. Neither alcohol nor vinegar fumes prevent infection and both can harm you; "
            "wear a mask, wash your hands and keep your distance."
        ),
        "source_url": "https://www.who.int/emergencies/diseases/novel-coronavirus-2019/advice-for-public/myth-busters",
    },
    {
        "claim_zh": "网传全市明日起封城，超市将停止营业。",
        "claim_en": "The city will be locked down tomorrow and supermarkets will close.",
        "fact_zh": "不实。本市未发布此类通告，超市正常营业，生活物资供应充足；请以官方发布为准。",
        "fact_en": (
            "False. No such order has been issued; supermarkets are open and supplies are "
            "sufficient. Rely on official announcements only."
        ),
        "source_url": "",
    },
)


def citizen_bulletins_demo_ensure() -> list[str]:
    today = timezone.localdate()
    published = notes = 0
    cities = areas_at_level(Level.CITY)
    for city in cities:
        for back in range(DAYS, 0, -1):
            _, created = bulletin_publish_for_drill(
                area_id=city.id, day=today - dt.timedelta(days=back)
            )
            published += created
        for number, note in enumerate(NOTES, start=1):
            clarification_publish(
                actor=SYSTEM, area_id=city.id, external_ref=f"demo:{city.code}:{number}", **note
            )
            notes += 1
    return [
        f"Bulletins: {published} published now, the last {DAYS} days of "
        f"{len(cities)} {'city' if len(cities) == 1 else 'cities'}, "
        f"{notes} rumor-vs-fact notes; public at /citizen/bulletins/"
    ]
