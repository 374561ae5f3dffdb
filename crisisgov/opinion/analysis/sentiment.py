"""Sentiment of a message (negative / neutral / positive) from its embedding.

A multinomial logistic regression (softmax, L2-regularised) fitted with scipy's L-BFGS: a few
hundred labelled posts and 512 features need nothing bigger, and it is deterministic (zero
start, no sampling). `LinearClassifier` is shared with routing.py.

`default_model()` trains on the project's own labelled posts (dataset/sentiment.jsonl, the
earliest 70% by time) at first use and keeps the weights in memory for the process.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax

from .embeddings import Embedder
from .text import normalise

SENTIMENTS = ("negative", "neutral", "positive")


def _with_bias(features) -> np.ndarray | sparse.csr_matrix:
    """The features as float32 with a column of ones; sparse when they are mostly zeros (an
    n-gram embedding: 16k columns, under 1% filled), which makes fitting ~50x faster. Products
    stay in float32; the optimiser's state and the loss are float64."""
    if not sparse.issparse(features):
        features = np.asarray(features, dtype=np.float32)
        if features.ndim != 2:
            raise ValueError("features must be a two-dimensional array (rows x features)")
        if features.shape[1] > 2048 and np.count_nonzero(features) < 0.05 * features.size:
            features = sparse.csr_matrix(features)
    ones = np.ones((features.shape[0], 1), dtype=np.float32)
    if sparse.issparse(features):
        return sparse.hstack([features.astype(np.float32), ones], format="csr")
    return np.hstack([features, ones])


class LinearClassifier:
    """Softmax regression over fixed features; `l2` is the ridge penalty per training example."""

    def __init__(self, l2: float = 1e-3, max_iter: int = 500) -> None:
        self.l2 = l2
        self.max_iter = max_iter
        self.classes: tuple[str, ...] = ()
        self.weights: np.ndarray | None = None  # (features + 1, classes), last row the bias

    def fit(self, features: np.ndarray, labels: Sequence[str]) -> LinearClassifier:
        if features.shape[0] != len(labels) or len(labels) == 0:
            raise ValueError("fit: need as many labels as feature rows, and at least one")
        self.classes = tuple(sorted(set(labels)))
        index = {label: k for k, label in enumerate(self.classes)}
        y = np.fromiter((index[label] for label in labels), dtype=np.int64, count=len(labels))
        x = _with_bias(features)
        n, d = x.shape
        k = len(self.classes)
        onehot = np.zeros((n, k))
        onehot[np.arange(n), y] = 1.0
        penalty = np.ones((d, 1))
        penalty[-1] = 0.0  # the bias is not shrunk

        def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
            w = flat.reshape(d, k)
            logp = log_softmax((x @ w.astype(np.float32)).astype(np.float64), axis=1)
            value = -np.sum(onehot * logp) / n + 0.5 * self.l2 * np.sum(penalty * w * w)
            residual = ((np.exp(logp) - onehot) / n).astype(np.float32)
            grad = (x.T @ residual).astype(np.float64) + self.l2 * penalty * w
            return value, grad.ravel()

        result = minimize(
            loss,
            np.zeros(d * k),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter},
        )
        self.weights = result.x.reshape(d, k)
        return self

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        if self.weights is None:
            raise RuntimeError("predict before fit")
        logits = _with_bias(features) @ self.weights.astype(np.float32)
        return softmax(logits.astype(np.float64), axis=1)

    def predict(self, features: np.ndarray) -> list[str]:
        return [self.classes[k] for k in self.predict_proba(features).argmax(axis=1)]


class SentimentModel:
    """negative / neutral / positive from sentence embeddings."""

    def __init__(self, l2: float = 1e-3) -> None:
        self.classifier = LinearClassifier(l2=l2)

    def fit(self, vectors: np.ndarray, labels: Sequence[str]) -> SentimentModel:
        unknown = sorted(set(labels) - set(SENTIMENTS))
        if unknown:
            raise ValueError(f"sentiment labels must be one of {SENTIMENTS}, got {unknown}")
        self.classifier.fit(vectors, labels)
        return self

    def predict(self, vectors: np.ndarray) -> list[str]:
        return self.classifier.predict(vectors)

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """Probabilities in the order of `self.classes`."""
        return self.classifier.predict_proba(vectors)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.classifier.classes


_models: dict[str, SentimentModel] = {}
_lock = threading.Lock()


def train_split():
    """The labelled posts a model learns from: the earliest 70% by time."""
    from crisisgov.opinion.dataset import load

    train, _ = load.split_chronological(load.sentiment())
    return train


def default_model(embedder: Embedder) -> SentimentModel:
    """The model trained on the project's labelled posts for this embedder, once per process."""
    with _lock:
        model = _models.get(embedder.name)
        if model is None:
            posts = train_split()
            vectors = embedder.encode([normalise(post.text) for post in posts])
            model = SentimentModel().fit(vectors, [post.label for post in posts])
            _models[embedder.name] = model
        return model
