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


class _DatabaseBands(text.NearDuplicateIndex):
    """The in-memory index's multi-index hashing with five narrower bands: two fingerprints
    within NEAR_DUPLICATE_DISTANCE (8) differ by at most 1 bit in one of five bands, so a
    lookup probes 69 values instead of the three wide bands' 696. In PostgreSQL each probe is
    an index descent (about 8 us), and 696 of them cost 5 ms a message; the narrower bands
    let through more candidates (a few per thousand stored messages), which one join and the
    exact distance test dismiss for less."""

    _BANDS = ((0, 13), (13, 13), (26, 13), (39, 13), (52, 12))


_BAND_INDEX = _DatabaseBands()  # for its band layout and probes only; holds nothing


def bands(fingerprint: int) -> list[tuple[int, int]]:
    """(band number, value) of the fingerprint's five bands, for models.FingerprintBand."""
    return list(enumerate(_BAND_INDEX.band_values(fingerprint)))


def band_probes(fingerprint: int) -> list[tuple[int, list[int]]]:
    """(band number, values) to look up: each band's value and its neighbours within 1 bit.
    Exact: every stored fingerprint within NEAR_DUPLICATE_DISTANCE holds one of them."""
    return list(enumerate(_BAND_INDEX.probes(fingerprint)))


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
