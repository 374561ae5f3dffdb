"""The demo's public opinion: a simulated stream of posts for the synthetic city.

`opinion_demo_ensure()` replays dataset/stream.py's seeded stream (standing topics, injected
bursts, one new rumor surging in one district) through the real intake, shifted so that the
rumor's surge ended half an hour ago, then runs the hot-spot sweep over the last day so that
its alarms are on the board. Idempotent: the stream's messages have fixed ids of their source.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crisisgov.geo.facade import Level, areas_at_level
from crisisgov.opinion.alarms import hotspots_evaluate
from crisisgov.opinion.analyser import messages_analyse
from crisisgov.opinion.intake import message_receive
from crisisgov.opinion.models import Channel, Message, Source

SOURCE = "demo-stream"
SEED = 7
RATE_SCALE = 0.2  # a fifth of the evaluation stream's volume: seeded in a minute or two


def opinion_demo_ensure(*, now: dt.datetime | None = None, rate_scale: float = RATE_SCALE) -> str:
    """Seed the stream once; returns a line saying what was done."""
    from crisisgov.opinion.dataset import stream

    cities = areas_at_level(Level.CITY)
    if not cities:
        return "opinion demo: no city (generate one first)"
    districts = areas_at_level(Level.DISTRICT, under=cities[0].path)[:4]
    if not districts:
        return "opinion demo: the city has no districts"
    source, _ = Source.objects.get_or_create(
        name=SOURCE,
        defaults={"channel": Channel.SOCIAL, "area_id": cities[0].id, "area_path": cities[0].path},
    )
    if Message.objects.filter(source=source).exists():
        return "opinion demo: the stream is seeded already"
    topics = tuple(
        stream.StreamTopic(t.key, t.rate * rate_scale, t.department) for t in stream.DEFAULT_TOPICS
    )
    areas = stream.DEFAULT_AREAS[: len(districts)]
    generated = stream.generate(SEED, days=5, quiet_days=1, areas=areas, topics=topics)
    now = now or timezone.now()
    surge = next(b for b in generated.bursts if b.new_topic)
    shift = now - dt.timedelta(minutes=30) - surge.end
    district_of = dict(zip(areas, districts, strict=False))
    stored = 0
    for number, item in enumerate(generated.messages):
        posted_at = item.time + shift
        # dataset/stream.py hands the new rumor's paraphrases over as (kind, text) pairs.
        text = item.text[-1] if isinstance(item.text, tuple) else item.text
        if posted_at > now or not text.strip():
            continue
        message_receive(
            channel=Channel.SOCIAL,
            text=text,
            posted_at=posted_at,
            source=source,
            external_id=f"{SEED}-{number}",
            area_code=district_of[item.area].code,
        )
        stored += 1
    while messages_analyse(limit=256).message_ids:  # as the analyser would have, batch by batch
        pass
    raised = 0
    for hours_ago in range(24, -1, -1):  # the sweep, as if the worker had run all day
        raised += hotspots_evaluate(now=now - dt.timedelta(hours=hours_ago))
    origin = district_of[surge.area]
    until = timezone.localtime(surge.end + shift)
    return (
        f"opinion demo: {stored} messages seeded, {raised} hot-spot alarms raised or updated; "
        f"the new rumor surged in {origin.name_en} until {until:%H:%M}"
    )
