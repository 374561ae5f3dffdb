"""Online topics and their c-TF-IDF labels (crisisgov/opinion/analysis/topics.py).

Embeddings here are made by hand (a direction per subject plus noise) so the tests pin down the
assignment rule itself; how well a real embedder separates subjects is tested with the embedder.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from crisisgov.opinion.analysis.topics import (
    OnlineTopics,
    TopicState,
    class_tfidf,
    tokens,
    topic_labels,
)

MASKS = [
    "药店的口罩全卖光了，口罩什么时候补货？",
    "口罩价格涨到五十元一个，口罩太贵了",
    "哪里还能买到口罩？跑了三家药店都没有",
    "小区门口发放口罩，每人限领五个",
    "Every pharmacy near me is out of masks, when will masks be back?",
    "Mask prices tripled overnight, someone is hoarding masks",
]
WATER = [
    "明天全区停水，自来水公司说管道维修要停水两天",
    "我们小区停水两天了，也不提前通知",
    "停水什么时候恢复？家里一点水都没有了",
    "No water in our building since Monday, when is the water supply back?",
    "Water outage again in the east district, the tap water is brown",
    "Is the water outage going to last all week?",
]


def _vectors(directions: list[int], seed: int = 0, dim: int = 32, noise: float = 0.05):
    rng = np.random.default_rng(seed)
    basis = np.eye(dim, dtype=np.float32)
    rows = [basis[d] + noise * rng.standard_normal(dim).astype(np.float32) for d in directions]
    matrix = np.stack(rows)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_messages_on_one_subject_share_a_topic_and_a_new_subject_opens_a_candidate():
    topics = OnlineTopics(threshold=0.6)
    first = topics.assign(_vectors([0, 0, 0, 0]))
    assert [a.opened for a in first] == [True, False, False, False]
    assert len({a.topic for a in first}) == 1
    second = topics.assign(_vectors([1, 0, 1], seed=1))
    assert [a.opened for a in second] == [True, False, False]
    assert second[1].topic == first[0].topic
    assert second[2].topic == second[0].topic != first[0].topic
    assert len(topics) == 2


def test_centroid_is_the_renormalised_running_mean_of_its_members():
    vectors = _vectors([0, 0, 0], seed=2)
    topics = OnlineTopics(threshold=0.5)
    topics.assign(vectors)
    (state,) = topics.states()
    centroid = np.frombuffer(state.centroid, dtype=np.float32)
    # Each step: normalise(size * centroid + vector), starting from the first vector.
    expected = vectors[0]
    for size, vector in enumerate(vectors[1:], start=1):
        expected = size * expected + vector
        expected = expected / np.linalg.norm(expected)
    assert state.size == 3
    assert np.allclose(centroid, expected, atol=1e-6)
    assert math.isclose(float(np.linalg.norm(centroid)), 1.0, rel_tol=1e-6)


def test_state_round_trips_through_bytes_and_new_topics_get_temporary_keys():
    topics = OnlineTopics(threshold=0.6)
    opened = topics.assign(_vectors([0, 1]))
    assert [a.topic for a in opened] == [-1, -2]  # not stored yet
    topics.rekey(-1, 41)
    topics.rekey(-2, 42)
    stored = topics.states()
    assert [(s.key, s.size) for s in stored] == [(41, 1), (42, 1)]

    reloaded = OnlineTopics(threshold=0.6, topics=stored)
    again = reloaded.assign(_vectors([1], seed=5))
    assert again[0].topic == 42 and not again[0].opened
    assert [s.key for s in reloaded.states(only_changed=True)] == [42]
    assert reloaded.states(only_changed=True) == []


def test_bad_state_is_refused_with_the_topic_named():
    good = TopicState(7, np.ones(4, dtype=np.float32).tobytes(), 3)
    short = TopicState(8, np.ones(3, dtype=np.float32).tobytes(), 1)
    with pytest.raises(ValueError, match="topic 8"):
        OnlineTopics(topics=[good, short])
    with pytest.raises(ValueError, match="two-dimensional"):
        OnlineTopics().assign(np.ones(4))


def test_chinese_is_cut_into_words_and_stop_words_are_dropped():
    assert tokens("听说明天全市停水，大家赶紧去超市抢购矿泉水！") == [
        "明天",
        "全市",
        "停水",
        "超市",
        "抢购",
        "矿泉水",
    ]
    assert tokens("Heard the water is cut off, stock up on bottled water!") == [
        "water",
        "cut",
        "stock",
        "bottled",
        "water",
    ]


def test_class_tfidf_matches_the_bertopic_formula_by_hand():
    weights = class_tfidf({1: Counter(a=3, b=1), 2: Counter(b=2)})
    average = (4 + 2) / 2
    assert weights[1]["a"] == pytest.approx(3 / 4 * math.log(1 + average / 3))
    assert weights[1]["b"] == pytest.approx(1 / 4 * math.log(1 + average / 3))
    assert weights[2]["b"] == pytest.approx(1.0 * math.log(1 + average / 3))


def test_a_mask_topic_and_a_water_outage_topic_get_telling_labels():
    texts = MASKS + WATER
    topics = OnlineTopics(threshold=0.6)
    assigned = topics.assign(_vectors([0] * len(MASKS) + [1] * len(WATER), seed=3))
    members: dict[int, list[str]] = {}
    for assignment, text in zip(assigned, texts, strict=True):
        members.setdefault(assignment.topic, []).append(text)
    assert len(members) == 2

    labels = topic_labels(members)
    mask_topic, water_topic = assigned[0].topic, assigned[-1].topic
    print({key: (label.label_zh, label.label_en) for key, label in labels.items()})
    assert "口罩" in labels[mask_topic].label_zh.split("、")
    assert "masks" in labels[mask_topic].label_en.split(", ")
    assert "停水" in labels[water_topic].label_zh.split("、")
    assert "water" in labels[water_topic].label_en.split(", ")
    assert len(labels[water_topic].keywords) == 10
    assert labels[water_topic].keywords[0] in {"water", "停水"}
    assert "口罩" not in labels[water_topic].keywords


def test_with_the_real_embedder_zh_and_en_posts_on_one_subject_meet_in_one_topic():
    from crisisgov.opinion.analysis.embeddings import UseEmbedder

    vectors = UseEmbedder().encode(MASKS + WATER)
    assigned = OnlineTopics().assign(vectors)
    mask_topics = Counter(a.topic for a in assigned[: len(MASKS)])
    water_topics = Counter(a.topic for a in assigned[len(MASKS) :])
    (mask_topic, mask_members), *_ = mask_topics.most_common(1)
    (water_topic, water_members), *_ = water_topics.most_common(1)
    assert mask_topic != water_topic
    assert mask_members >= len(MASKS) - 1 and water_members == len(WATER)

    texts = MASKS + WATER
    members: dict[int, list[str]] = {}
    for assignment, text in zip(assigned, texts, strict=True):
        members.setdefault(assignment.topic, []).append(text)
    labels = topic_labels(members)
    assert "口罩" in labels[mask_topic].keywords
    assert "water" in labels[water_topic].label_en.split(", ")
