"""Which department should handle a hotline ticket: top-3 suggestions with confidences.

A softmax regression (sentiment.LinearClassifier) over the ticket's text embedding, plus, when
the ticket carries a hotline category, a one-hot of the department the dispatch catalogue's
default rule gives that category. The classifier learns how far to trust the rule: a category
picked by the operator is a strong hint, but the text can overrule it (an old person living
alone who fell, filed under "medical help", is for civil affairs). A human can always reassign;
these are suggestions.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .embeddings import Embedder
from .sentiment import LinearClassifier
from .text import normalise

TOP_K = 3


@dataclass(frozen=True)
class Suggestion:
    department: str
    confidence: float  # the classifier's probability, 0..1


class DepartmentRouter:
    """`rules` maps a hotline category code to its default department (the catalogue) while
    training. The live catalogue may differ (staff point a category elsewhere): `suggest` then
    takes the current rules, so the hint is the department the catalogue names today."""

    # l2 chosen on the last quarter of the training tickets (1e-4: 0.82 top-1 from the text
    # alone, against 0.71 at 1e-3): twelve classes need the weights to grow.
    def __init__(self, rules: Mapping[str, str] | None = None, l2: float = 1e-4) -> None:
        self.rules = dict(rules or {})
        self.rule_departments = sorted(set(self.rules.values()))
        self.classifier = LinearClassifier(l2=l2)

    def _features(
        self,
        vectors: np.ndarray,
        categories: Sequence[str | None] | None,
        rules: Mapping[str, str] | None = None,
    ):
        vectors = np.asarray(vectors, dtype=np.float32)
        if not self.rules:
            return vectors
        rules = self.rules if rules is None else rules
        if categories is None:
            categories = [None] * len(vectors)
        if len(categories) != len(vectors):
            raise ValueError("routing: categories and vectors differ in length")
        column = {code: k for k, code in enumerate(self.rule_departments)}
        hint = np.zeros((len(vectors), len(self.rule_departments)), dtype=np.float32)
        for row, category in enumerate(categories):
            department = rules.get(category) if category else None
            if department in column:  # a department never hinted in training has no weight
                hint[row, column[department]] = 1.0
        return np.hstack([vectors, hint])

    def fit(
        self,
        vectors: np.ndarray,
        departments: Sequence[str],
        categories: Sequence[str | None] | None = None,
    ) -> DepartmentRouter:
        self.classifier.fit(self._features(vectors, categories), departments)
        return self

    def suggest(
        self,
        vectors: np.ndarray,
        categories: Sequence[str | None] | None = None,
        k: int = TOP_K,
        rules: Mapping[str, str] | None = None,
    ) -> list[list[Suggestion]]:
        """The `k` most likely departments per ticket, most likely first. `rules`: the
        catalogue's category -> department now (None: the rules the router was trained with)."""
        features = self._features(vectors, categories, rules)
        probabilities = self.classifier.predict_proba(features)
        # stable sort on the negated probabilities: ties keep the alphabetical class order
        order = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
        classes = self.classifier.classes
        return [
            [Suggestion(classes[c], float(probabilities[row, c])) for c in order[row]]
            for row in range(len(order))
        ]


_routers: dict[str, DepartmentRouter] = {}
_lock = threading.Lock()


def train_split():
    """The tickets a router learns from: the earliest 70% by time received."""
    from crisisgov.opinion.dataset import load

    train, _ = load.split_chronological(load.tickets())
    return train


def catalogue_rules() -> dict[str, str]:
    from crisisgov.opinion.dataset import load

    return {category.code: category.department for category in load.categories()}


def default_router(embedder: Embedder) -> DepartmentRouter:
    """The router trained on the project's tickets for this embedder, once per process."""
    with _lock:
        router = _routers.get(embedder.name)
        if router is None:
            tickets = train_split()
            vectors = embedder.encode([normalise(ticket.text) for ticket in tickets])
            router = DepartmentRouter(catalogue_rules()).fit(
                vectors,
                [ticket.department for ticket in tickets],
                [ticket.category for ticket in tickets],
            )
            _routers[embedder.name] = router
        return router
