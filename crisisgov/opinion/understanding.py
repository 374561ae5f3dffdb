"""The one door from the Django side to the pure analysis modules (crisisgov/opinion/analysis/).

Intake and the alarm sweep call only these functions, so that the shape of the analysis code
(classes, per-embedder models trained once per process) stays out of the services. No
fallback is left here: every module named below exists.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

import numpy as np

from crisisgov.opinion.analysis import embeddings, hotspots, routing, sentiment, text, topics

Redaction = text.Redacted
OnlineTopics = topics.OnlineTopics
TopicState = topics.TopicState
NEAR_DUPLICATE_DISTANCE = text.NEAR_DUPLICATE_DISTANCE


normalise = text.normalise
language_of = text.language_of
redact = text.redact
simhash = text.simhash
near_duplicate = text.near_duplicate


def bands(fingerprint: int) -> list[tuple[int, int]]:
    """(band number, value) of the fingerprint's NEAR_DUPLICATE_DISTANCE + 1 bands of about
    64 / (d + 1) bits each, for models.FingerprintBand: two fingerprints within distance d
    agree exactly on at least one band (pigeonhole), so candidates are found by equality
    lookups. (analysis/text.py's in-memory NearDuplicateIndex cuts three wider bands and
    probes their neighbours instead; the two cuts are not interchangeable.)"""
    count = NEAR_DUPLICATE_DISTANCE + 1
    edges = [round(64 * i / count) for i in range(count + 1)]
    unsigned = fingerprint & ((1 << 64) - 1)
    return [
        (i, unsigned >> lo & ((1 << (hi - lo)) - 1))
        for i, (lo, hi) in enumerate(zip(edges, edges[1:], strict=False))
    ]


def gazetteer_build(names: Mapping[str, int], depths: Mapping[int, int]) -> text.Gazetteer:
    return text.Gazetteer(names, depths)


def places_in_text(message: str, gazetteer: text.Gazetteer) -> list[int]:
    """Area ids named in the text, the deepest first."""
    return text.places_in_text(message, gazetteer)


def embedder() -> embeddings.Embedder:
    return embeddings.embedder()  # one per kind and process (CRISISGOV_OPINION_EMBEDDER)


def embedder_name() -> str:
    return embedder().name


def topic_threshold() -> float:
    """The topic threshold of the embedder in use (analysis/topics.py, per embedder)."""
    return topics.threshold_for(embedder().name)


def vector_to_bytes(vector: np.ndarray) -> bytes:
    """A stored embedding: float16 (half the bytes; cosine similarity barely moves)."""
    return np.asarray(vector, dtype=np.float16).tobytes()


def vector_from_bytes(data: bytes | memoryview) -> np.ndarray:
    """A stored embedding back as float32."""
    return np.frombuffer(bytes(data), dtype=np.float16).astype(np.float32)


def embed(texts: Sequence[str]) -> np.ndarray:
    """(n, d) float32, rows L2-normalised."""
    return np.asarray(embedder().encode(list(texts)), dtype=np.float32)


def sentiments(vectors: np.ndarray) -> list[str]:
    return list(sentiment.default_model(embedder()).predict(vectors))


def department_for(vectors: np.ndarray) -> str:
    """The department most of these messages would be routed to ("" for none)."""
    if not len(vectors):
        return ""
    votes: dict[str, float] = {}
    for suggestions in routing.default_router(embedder()).suggest(vectors):
        if suggestions:
            top = suggestions[0]
            votes[top.department] = votes.get(top.department, 0.0) + top.confidence
    return max(sorted(votes), key=lambda code: votes[code]) if votes else ""


_REDACTION_TOKEN = re.compile(r"\[[A-Z_]+\]")


def topic_labels(texts_by_topic: Mapping[int, Sequence[str]]) -> dict[int, topics.TopicLabel]:
    """c-TF-IDF labels of redacted texts ("[PHONE]" is no keyword)."""
    return topics.topic_labels(
        {
            key: [_REDACTION_TOKEN.sub(" ", t) for t in texts]
            for key, texts in texts_by_topic.items()
        }
    )


def hotspot_alarms(
    counts: Sequence[tuple[dt.datetime, int]], *, since: dt.datetime
) -> list[hotspots.Alarm]:
    """Replay one (topic, area) series of 15-minute counts (time order, empty bins may be left
    out) through the detector; the alarms it raises at bins from `since` on."""
    detector = hotspots.HotspotDetector()
    found = []
    for start, count in counts:
        alarm = detector.observe(start, "topic", "area", count)
        if alarm is not None and alarm.bin_start >= since:
            found.append(alarm)
    return found


HISTORY_DAYS = hotspots.HotspotConfig().history_days
BIN = hotspots.BIN


def unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
