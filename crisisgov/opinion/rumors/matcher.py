"""The one adapter between the rumors app and the pure analysis modules: embeddings, the rumor
index (`analysis.matching.RumorIndex`), SimHash near-duplicates and claim cues.

The index of the knowledge base is kept in memory per process and rebuilt when the database's
knowledge-base version moves (a fact-checker confirmed, merged or retired a rumor, `load-kb`
ran), so every web and worker process matches against the same rumors without a broker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from crisisgov.opinion.analysis import matching
from crisisgov.opinion.analysis.embeddings import Embedder, embedder
from crisisgov.opinion.analysis.text import near_duplicate, simhash
from crisisgov.opinion.understanding import vector_from_bytes, vector_to_bytes

# Words of people passing a claim on ("I heard", "forward this"): an unmatched message with one
# is a candidate rumor for the fact-checkers; ordinary complaints and questions are not.
CLAIM_CUES = (
    "听说", "据说", "网传", "转发", "扩散", "紧急通知", "内部消息", "速看", "赶紧告诉", "快告诉",
    "heard", "share before", "forward this", "spread the word", "urgent notice", "insider",
    "they don't want you to know", "pass it on",
)  # fmt: skip

__all__ = ["near_duplicate", "simhash"]


def looks_like_claim(text: str) -> bool:
    lowered = text.lower()
    return any(cue in lowered for cue in CLAIM_CUES)


def current_embedder() -> Embedder:
    return embedder()


def encode(texts: list[str]) -> np.ndarray:
    """(n, dim) float32, L2-normalised, by the process's embedder."""
    model = current_embedder()
    if not texts:
        return np.zeros((0, model.dim), dtype=np.float32)
    return np.asarray(model.encode(texts), dtype=np.float32)


to_bytes = vector_to_bytes  # stored embeddings: one adapter, the core's


def from_bytes(data: bytes | memoryview | None) -> np.ndarray | None:
    return vector_from_bytes(data) if data else None


@dataclass(frozen=True)
class KbRumor:
    """A confirmed rumor as the index is built from it: canonical statements (with their
    stored vectors, None where missing) and its clarification texts, by language."""

    rumor_id: int
    statements: dict[str, tuple[str, np.ndarray | None]]
    clarifications: dict[str, str]


@dataclass(frozen=True)
class Found:
    rumor_id: int
    score: float
    statement: str
    stance: str  # "spreads" | "debunks"


class Index:
    """RumorIndex over the knowledge base. Stored statement vectors are reused when they come
    from the process's embedder (same width); others are embedded now, and `fresh` lists them
    so the caller can store them."""

    def __init__(self, rumors: list[KbRumor]):
        model = current_embedder()
        self.dim = model.dim
        entries: list[matching.KnowledgeEntry] = []
        rows: list[np.ndarray | None] = []
        missing: list[tuple[int, int, str, str]] = []
        for rumor in rumors:
            statements = {lang: text for lang, (text, _) in rumor.statements.items() if text}
            entries.append(
                matching.KnowledgeEntry(
                    rumor_id=str(rumor.rumor_id),
                    statements=statements,
                    clarifications=rumor.clarifications,
                )
            )
            for lang, (text, vector) in rumor.statements.items():
                if not text:
                    continue
                if vector is None or vector.shape[0] != self.dim:
                    missing.append((len(rows), rumor.rumor_id, lang, text))
                    vector = None
                rows.append(vector)
        encoded = encode([m[3] for m in missing])
        self.fresh: list[tuple[int, str, np.ndarray]] = []
        for (row, rumor_id, lang, _), vector in zip(missing, encoded, strict=True):
            rows[row] = vector
            self.fresh.append((rumor_id, lang, vector))
        filled = [r for r in rows if r is not None]  # every row is filled by now
        matrix = np.vstack(filled) if filled else np.zeros((0, self.dim), dtype=np.float32)
        vectors: dict[str, Any] = {"claim_vectors": matrix}
        self.index = matching.RumorIndex(entries, model, **vectors)

    def vector_of(self, text: str, stored: np.ndarray | None) -> np.ndarray:
        """A message's stored embedding when it comes from the same embedder, else a new one."""
        if stored is not None and stored.shape[0] == self.dim:
            return stored
        return encode([text])[0]

    def match(self, text: str, vector: np.ndarray) -> Found | None:
        return self.match_many([text], vector[None, :])[0]

    def match_many(self, texts: list[str], vectors: np.ndarray) -> list[Found | None]:
        """One matrix product for the whole batch: against 20,000 claims, a message alone
        streams the 40 MB claim matrix through the cache; a batch streams it once."""
        return [
            Found(int(m.rumor_id), m.score, m.statement, m.stance) if m is not None else None
            for m in self.index.match(texts, vectors)
        ]


_lock = threading.Lock()
_cached: tuple[tuple[int, str, int], Index] | None = None


def index_for(version: int, load: Callable[[], list[KbRumor]]) -> Index:
    """The index of knowledge-base `version` for the process's embedder; `load()` gives the
    confirmed rumors when this process holds an older index (or none)."""
    global _cached
    model = current_embedder()
    key = (version, model.name, model.dim)
    with _lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
        index = Index(load())
        _cached = (key, index)
        return index


def index_forget() -> None:
    """Drop this process's index (tests start from a fresh database with version 0 again)."""
    global _cached
    with _lock:
        _cached = None
