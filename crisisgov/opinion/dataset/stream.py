"""A seeded stream of citizen messages with known bursts, for the hot-spot evaluation and the demo.

Per topic and area, arrivals are Poisson with a diurnal rhythm (quiet at night, peaks 9-11 and
19-22) and a day-to-day wobble (real days are not alike). On top of that the generator injects
bursts of known topic, area, start and end (3x to 20x the usual rate of that time of day, for 1 to
4 hours) and one new topic that appears mid-stream with a surge in one district and then stays
at a lower level and spreads. The ground truth of all of them comes back with the messages.

Texts come from the project's dataset (hotline tickets per department, ordinary posts, rumor
paraphrases) when those files are there; otherwise each message carries only a synthetic id.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

# Relative message volume per hour of day (mean 1 after normalising).
_HOURLY_SHAPE = np.array(
    [0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.6, 1.0, 1.6, 1.7, 1.5,
     1.1, 1.0, 1.0, 1.0, 1.0, 1.1, 1.3, 1.7, 1.9, 1.8, 1.2, 0.6]
)  # fmt: skip
HOURLY_RHYTHM = _HOURLY_SHAPE / _HOURLY_SHAPE.mean()
BIN = timedelta(minutes=15)
DEFAULT_START = datetime(2026, 2, 2, tzinfo=UTC)
DEFAULT_AREAS = ("D1", "D2", "D3", "D4")
# Districts differ in size.
_AREA_WEIGHTS = (1.3, 1.0, 0.8, 0.6)


@dataclass(frozen=True)
class StreamTopic:
    """A standing topic: `rate` messages per hour in an area of weight 1, averaged over the day;
    texts from the hotline tickets of department `department` (or ordinary posts if empty)."""

    key: str
    rate: float
    department: str = ""


DEFAULT_TOPICS = (
    StreamTopic("chatter", 10.0),
    StreamTopic("health", 5.0, "health"),
    StreamTopic("market", 4.0, "market"),
    StreamTopic("water", 3.0, "water"),
    StreamTopic("transport", 2.5, "transport"),
    StreamTopic("power", 2.0, "power"),
    StreamTopic("housing", 1.5, "housing"),
)
NEW_TOPIC = "new-rumor"


@dataclass(frozen=True)
class InjectedBurst:
    """Ground truth: `topic` in `area` ran at `multiplier` times its usual rate over
    [start, end)."""

    topic: str
    area: str
    start: datetime
    end: datetime
    multiplier: float
    new_topic: bool = False


@dataclass(frozen=True)
class StreamMessage:
    time: datetime
    area: str
    topic: str
    text_id: str
    text: str


@dataclass(frozen=True)
class Stream:
    messages: list[StreamMessage]
    bursts: list[InjectedBurst]
    start: datetime
    days: int
    areas: tuple[str, ...]
    topics: tuple[str, ...]  # standing topics, then the new one
    new_topic_from: datetime

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)


def _text_pools(topics: Sequence[StreamTopic]) -> dict[str, list[tuple[str, str]]]:
    """(text id, text) candidates per topic key from the dataset files, where they exist."""
    pools: dict[str, list[tuple[str, str]]] = {}
    try:
        from crisisgov.opinion.dataset import load
    except ImportError:
        return pools
    try:
        tickets = load.tickets()
    except (OSError, ValueError):
        tickets = []
    try:
        posts = [(f"distractor:{m.id}", m.text) for m in load.distractors()]
    except (OSError, ValueError):
        posts = []
    for topic in topics:
        if topic.department:
            pools[topic.key] = [
                (f"ticket:{t.id}", t.text) for t in tickets if t.department == topic.department
            ]
        else:
            pools[topic.key] = posts
    try:
        rumors = load.rumors()
    except (OSError, ValueError):
        rumors = []
    if rumors:
        # The new topic is the last rumor of the knowledge base, spread in its own words.
        rumor = rumors[-1]
        texts = [text for _kind, text in rumor.paraphrases] + [rumor.claim_zh, rumor.claim_en]
        pools[NEW_TOPIC] = [(f"rumor:{rumor.id}:{i}", t) for i, t in enumerate(texts) if t]
    return pools


def _arrivals(
    rng: np.random.Generator, rate_per_bin: np.ndarray, start: datetime
) -> list[datetime]:
    """Poisson arrivals with a piecewise-constant rate per bin, spread uniformly in each bin."""
    counts = rng.poisson(rate_per_bin)
    times = []
    for b in np.flatnonzero(counts):
        offsets = np.sort(rng.random(counts[b]))
        times += [start + (b + o) * BIN for o in offsets]
    return times


def generate(
    seed: int,
    days: int = 14,
    start: datetime = DEFAULT_START,
    areas: Sequence[str] = DEFAULT_AREAS,
    topics: Sequence[StreamTopic] = DEFAULT_TOPICS,
    *,
    bursts_per_topic: float = 2.0,
    quiet_days: int = 7,
    with_texts: bool = True,
) -> Stream:
    """A stream of `days` days from `start` (timezone-aware, at midnight). Bursts are injected
    only after the first `quiet_days` days, which give the detectors their history."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if days <= quiet_days:
        raise ValueError("days must exceed quiet_days")
    rng = np.random.default_rng(seed)
    bins = days * 96
    rhythm = np.repeat(HOURLY_RHYTHM, 4)  # per bin of the day
    # Per (topic, area): usual rate per bin, with a day-to-day wobble of about 15%.
    usual: dict[tuple[str, str], np.ndarray] = {}
    for topic in topics:
        for a, area in enumerate(areas):
            weight = _AREA_WEIGHTS[a % len(_AREA_WEIGHTS)]
            wobble = np.repeat(rng.lognormal(0.0, 0.15, days), 96)
            usual[(topic.key, area)] = topic.rate * weight / 4 * np.tile(rhythm, days) * wobble

    rate = {key: level.copy() for key, level in usual.items()}
    injected: list[InjectedBurst] = []
    burst_topics = [t.key for t in topics if t.key != "chatter"] or [t.key for t in topics]
    n_bursts = rng.poisson(bursts_per_topic * len(burst_topics))
    taken: dict[tuple[str, str], list[tuple[int, int]]] = {}
    while len(injected) < n_bursts:
        topic_key = burst_topics[rng.integers(len(burst_topics))]
        area = areas[rng.integers(len(areas))]
        day = int(rng.integers(quiet_days, days))
        first = day * 96 + int(rng.integers(7 * 4, 21 * 4))  # starts between 07:00 and 21:00
        length = int(rng.integers(4, 17))  # 1 to 4 hours
        last = min(first + length, bins)
        # Keep bursts of one series a day apart so each has its own ground truth.
        if any(abs(first - other) < 96 for other, _ in taken.get((topic_key, area), [])):
            continue
        taken.setdefault((topic_key, area), []).append((first, last))
        multiplier = float(math.exp(rng.uniform(math.log(3), math.log(20))))
        rate[(topic_key, area)][first:last] *= multiplier
        injected.append(
            InjectedBurst(
                topic_key, area, start + first * BIN, start + last * BIN, round(multiplier, 2)
            )
        )

    # The new topic: a surge of 12 to 30 messages an hour in one district for two hours (a rumor
    # going round), then about 1.5 an hour there and 0.5 elsewhere (its own new normal).
    new_topic_first = int(rng.integers(quiet_days + 1, days - 2)) * 96 + int(rng.integers(36, 76))
    origin = areas[rng.integers(len(areas))]
    surge_end = new_topic_first + 8
    surge_per_hour = float(rng.uniform(12.0, 30.0))
    for area in areas:
        level = np.zeros(bins)
        steady = (1.5 if area == origin else 0.5) / 4
        level[new_topic_first:] = steady * np.tile(rhythm, days)[new_topic_first:]
        if area == origin:
            level[new_topic_first:surge_end] = surge_per_hour / 4
        rate[(NEW_TOPIC, area)] = level
    injected.append(
        InjectedBurst(
            NEW_TOPIC,
            origin,
            start + new_topic_first * BIN,
            start + surge_end * BIN,
            multiplier=0.0,
            new_topic=True,
        )
    )

    pools = _text_pools(topics) if with_texts else {}
    # Texts draw from their own generator, so the arrivals are the same with or without them.
    text_rng = np.random.default_rng([seed, 1])
    messages: list[StreamMessage] = []
    for (topic_key, area), per_bin in rate.items():
        pool = pools.get(topic_key) or []
        for moment in _arrivals(rng, per_bin, start):
            if pool:
                text_id, text = pool[int(text_rng.integers(len(pool)))]
            else:
                text_id, text = f"{topic_key}:{len(messages)}", ""
            messages.append(StreamMessage(moment, area, topic_key, text_id, text))
    messages.sort(key=lambda m: (m.time, m.area, m.topic))
    injected.sort(key=lambda b: b.start)
    return Stream(
        messages=messages,
        bursts=injected,
        start=start,
        days=days,
        areas=tuple(areas),
        topics=(*(t.key for t in topics), NEW_TOPIC),
        new_topic_from=start + new_topic_first * BIN,
    )


def counts_per_bin(stream: Stream) -> dict[tuple[str, str], np.ndarray]:
    """Messages per 15-minute bin for every (topic, area), zeros included."""
    bins = stream.days * 96
    counts = {
        (topic, area): np.zeros(bins, dtype=int) for topic in stream.topics for area in stream.areas
    }
    for message in stream.messages:
        index = int((message.time - stream.start) / BIN)
        counts[(message.topic, message.area)][index] += 1
    return counts
