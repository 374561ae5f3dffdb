"""Topics: online nearest-centroid assignment of message embeddings, and c-TF-IDF labels.

A message joins the topic whose centroid is most similar (cosine over L2-normalised vectors) when
that similarity reaches `threshold`; otherwise it opens a new candidate topic. A centroid is the
running mean of its messages' vectors, re-normalised, so it can be stored as float32 bytes beside
its size (the Topic model's `centroid` and `size`) and picked up again by another process.

Labels come from class-based TF-IDF as BERTopic defines it: the weight of term t in topic c is
tf(t, c) * log(1 + A / f(t)), with tf the term's share of the topic's words, f(t) its count over
all topics and A the average number of words per topic. Chinese is cut into words by jieba,
English is lower-cased words; stop words (with a few that every crisis post carries) are dropped.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

# Measured with the USE embedder on 800 hotline tickets (purity against their gold department):
# 0.4 gave 0.48 (one broad cluster swallows the rest), 0.5 gave 0.68 with more small topics.
DEFAULT_THRESHOLD = 0.5
# Similarities of different embedders live on different scales, so each has its own threshold.
# The n-gram embedder measured the same way: 0.5 gave 491 topics for 800 tickets (nearly one per
# message), 0.4 gave 220 topics at purity 0.60, the nearest to USE's 175 topics at 0.5.
THRESHOLDS = {"use": DEFAULT_THRESHOLD, "ngram": 0.4}


def threshold_for(embedder_name: str) -> float:
    """The topic threshold of an embedder (DEFAULT_THRESHOLD for one not measured)."""
    return THRESHOLDS.get(embedder_name, DEFAULT_THRESHOLD)


@dataclass(frozen=True)
class TopicState:
    """What the database keeps of a topic: key, centroid (float32 bytes, L2-normalised), size."""

    key: int
    centroid: bytes
    size: int


@dataclass(frozen=True)
class Assignment:
    topic: int
    similarity: float  # to the centroid before this message joined it; 1.0 for a new topic
    opened: bool  # this message opened a new candidate topic


def _normalised(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


class OnlineTopics:
    """Topics kept in memory for assignment; `states()` gives back what must be stored."""

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        topics: Iterable[TopicState] = (),
        *,
        dim: int | None = None,
    ) -> None:
        if not -1.0 <= threshold <= 1.0:
            raise ValueError("threshold must lie between -1 and 1")
        self.threshold = threshold
        self._keys: list[int] = []
        self._sizes: list[int] = []
        self._dim = dim
        self._centroids = np.zeros((0, dim or 0), dtype=np.float32)
        for state in topics:
            self._add(state.key, np.frombuffer(state.centroid, dtype=np.float32), state.size)
        self._changed: set[int] = set()

    def _add(self, key: int, centroid: np.ndarray, size: int) -> None:
        if self._dim is None:
            self._dim = centroid.size
            self._centroids = np.zeros((0, self._dim), dtype=np.float32)
        if centroid.size != self._dim:
            raise ValueError(
                f"topic {key}: centroid has {centroid.size} dimensions, not {self._dim}"
            )
        if key in self._keys:
            raise ValueError(f"topic {key} given twice")
        self._keys.append(key)
        self._sizes.append(int(size))
        row = _normalised(centroid.astype(np.float32)).reshape(1, -1)
        self._centroids = np.vstack([self._centroids, row])

    def __len__(self) -> int:
        return len(self._keys)

    def assign(self, vectors: np.ndarray) -> list[Assignment]:
        """Assign each row (one message's embedding) in order; later rows see the topics that
        earlier rows opened or moved."""
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2:
            raise ValueError("vectors must be a two-dimensional array (messages x dimensions)")
        results = []
        for row in matrix:
            vector = _normalised(row)
            if self._keys:
                similarities = self._centroids @ vector
                best = int(np.argmax(similarities))
                if similarities[best] >= self.threshold:
                    size = self._sizes[best]
                    # Running mean of the member vectors, kept on the unit sphere.
                    moved = _normalised(self._centroids[best] * size + vector)
                    self._centroids[best] = moved
                    self._sizes[best] = size + 1
                    self._changed.add(self._keys[best])
                    results.append(Assignment(self._keys[best], float(similarities[best]), False))
                    continue
            # Negative keys mark topics not stored yet; the caller rekeys them to database ids.
            key = min(min(self._keys, default=0), 0) - 1
            self._add(key, vector, 1)
            self._changed.add(key)
            results.append(Assignment(key, 1.0, True))
        return results

    def rekey(self, old: int, new: int) -> None:
        """Give a topic opened here the key the database chose for it."""
        if new in self._keys:
            raise ValueError(f"topic {new} exists already")
        self._keys[self._keys.index(old)] = new
        if old in self._changed:
            self._changed.discard(old)
            self._changed.add(new)

    def states(self, only_changed: bool = False) -> list[TopicState]:
        """The topics to store (all, or those changed since the last call with only_changed)."""
        wanted = set(self._changed) if only_changed else set(self._keys)
        if only_changed:
            self._changed.clear()
        return [
            TopicState(key, self._centroids[i].astype(np.float32).tobytes(), self._sizes[i])
            for i, key in enumerate(self._keys)
            if key in wanted
        ]


# --- labels ---------------------------------------------------------------------------------


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ENGLISH_STOP = _word_set(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just me
    more most my no nor not now of off on once only or other our ours out over own same she should
    so some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your
    yours yes every since via get got go going gone im dont doesnt didnt cant wont isnt arent u
    ur pls please lol omg really still even one anyone everyone someone people today now like
    know heard says said true news share hear anybody guys"""
)
# Function words, what every crisis post says whatever it is about, and hotline-call framing.
_CHINESE_STOP = _word_set(
    """的 了 是 在 我 有 和 就 不 人 都 一 一个 上 也 很 到 说 要 去 你 会 着 没有 看 好 自己 这 那
    什么 吗 吧 呢 啊 呀 哦 嗯 哈 哈哈 我们 你们 他们 大家 现在 今天 听说 据说 真的 一下 怎么 为什么
    还是 已经 可以 这个 那个 因为 所以 但是 如果 知道 觉得 还有 有没有 请问 谢谢 转发 扩散 求证
    紧急 通知 消息 网友 朋友 注意 速看 真假 是不是 假的 到底 怎么办 赶紧 快去 好像 可能 不要 没
    就是 这样 那么 被 把 让 给 对 从 跟 与 及 或 等 个 又 还 再 才 吧 么 哪 哪里 这里 那里 已 该
    能 想 请 需要 问题 情况 一些 有人 大伙 咱们 家里 一点 一直 之前 以后
    电话 来电 热线 您好 你好 麻烦 希望 尽快 处理 帮忙 解决 联系 反映 市民 我家 我住 住在 单元 号楼
    小区 老人 接到 打电话 代 我代 室"""
)
_ENGLISH_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]|[a-z]")
_CJK = re.compile(r"[\u3400-\u9fff]")


@cache
def _jieba() -> Any:
    """jieba, initialised once and quietly (it logs its dictionary loading otherwise)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokens(text: str) -> list[str]:
    """Label terms of one message: jieba words (two characters or more) for Chinese, lower-cased
    words for English (and Latin words inside Chinese), stop words left out."""
    lowered = text.lower()
    result = []
    if _CJK.search(lowered):
        for word in _jieba().lcut(lowered):
            word = word.strip()
            if _CJK.search(word):
                if len(word) >= 2 and word not in _CHINESE_STOP:
                    result.append(word)
            elif _ENGLISH_WORD.fullmatch(word) and len(word) > 2 and word not in _ENGLISH_STOP:
                result.append(word.replace("'", ""))
        return result
    for word in _ENGLISH_WORD.findall(lowered):
        word = word.replace("'", "")
        if len(word) > 2 and word not in _ENGLISH_STOP:
            result.append(word)
    return result


@dataclass(frozen=True)
class TopicLabel:
    label_zh: str  # top Chinese terms joined by "、" ("" when the topic has no Chinese posts)
    label_en: str  # top English terms joined by ", "
    keywords: list[str]  # top terms of either language, best first


def class_tfidf(term_counts: Mapping[int, Counter[str]]) -> dict[int, dict[str, float]]:
    """c-TF-IDF weight of every term of every topic (BERTopic's definition, L1-normalised tf)."""
    frequency: Counter[str] = Counter()
    for counts in term_counts.values():
        frequency.update(counts)
    words_per_class = [sum(c.values()) for c in term_counts.values()]
    average = sum(words_per_class) / len(words_per_class) if words_per_class else 0.0
    weights = {}
    for topic, counts in term_counts.items():
        total = sum(counts.values())
        weights[topic] = {
            term: (n / total) * math.log(1 + average / frequency[term])
            for term, n in counts.items()
        }
    return weights


def topic_labels(
    texts_by_topic: Mapping[int, Sequence[str]], *, label_terms: int = 3, keywords: int = 10
) -> dict[int, TopicLabel]:
    """Labels and keywords per topic from the texts of all topics (the contrast between topics
    is what c-TF-IDF ranks, so pass the others too)."""
    term_counts = {
        topic: Counter(t for text in texts for t in tokens(text))
        for topic, texts in texts_by_topic.items()
    }
    labels = {}
    for topic, weights in class_tfidf(term_counts).items():
        ranked = sorted(weights, key=lambda term: (-weights[term], term))
        chinese = [t for t in ranked if _CJK.search(t)][:label_terms]
        english = [t for t in ranked if not _CJK.search(t)][:label_terms]
        labels[topic] = TopicLabel("、".join(chinese), ", ".join(english), ranked[:keywords])
    return labels
