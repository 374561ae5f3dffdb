"""Routing suggestions for a call: the classifier over embeddings, and the catalogue's rule.

The classifier (`crisisgov.opinion.analysis.routing`) reads the text's embedding plus, when the
operator chose a category, the catalogue's department for it (the Category table, as staff
configured it) as a hint: it has learnt when the
text overrides the rule. Its top-3 are the suggestions; the rule's department is added when the
classifier did not rank it (or when the classifier cannot run: confidence 1.0, "rule").
Suggestions are advice: the dispatcher confirms the first or picks another with a reason.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np

logger = logging.getLogger(__name__)
TOP = 3


@dataclass(frozen=True)
class Suggestion:
    department: str  # dataset department code
    confidence: float  # 0..1
    source: str  # "classifier" | "rule" | "classifier+rule" (both agree)

    def as_dict(self) -> dict:
        return asdict(self)


def _classifier_ranking(
    text: str, category: str | None, rule_department: str | None, embedding: np.ndarray | None
) -> list[tuple[str, float]]:
    """[(department code, confidence)] best first; empty when the classifier cannot run
    (routing then rests on the rule and the dispatcher; the call is never lost)."""
    # The hint is the database catalogue's department for the category, as staff set it,
    # not the dataset's default the router was trained with.
    rules = {category: rule_department} if category and rule_department else {}
    try:
        from crisisgov.opinion.analysis import embeddings, routing

        embedder = embeddings.embedder()
        router = routing.default_router(embedder)
        vectors = embedding[None, :] if embedding is not None else embedder.encode([text])
        vectors = np.asarray(vectors, dtype=np.float32)
        ranked = router.suggest(vectors, [category], k=TOP, rules=rules)[0]
    except Exception:  # advice only: a failing or missing model must not lose the call
        logger.exception("the routing classifier failed; dispatching without it")
        return []
    return [(s.department, float(s.confidence)) for s in ranked]


def routing_suggest(
    *,
    text: str,
    category: str | None = None,
    rule_department: str | None = None,
    embedding: np.ndarray | None = None,
) -> list[Suggestion]:
    """Up to three departments, best first (four when the rule's is not among them)."""
    suggestions = [
        Suggestion(
            code,
            round(confidence, 3),
            "classifier+rule" if code == rule_department else "classifier",
        )
        for code, confidence in _classifier_ranking(text, category, rule_department, embedding)
    ]
    if rule_department and all(s.department != rule_department for s in suggestions):
        suggestions.append(Suggestion(rule_department, 0.0 if suggestions else 1.0, "rule"))
    return suggestions
