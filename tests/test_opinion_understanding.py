"""The understanding layer of public opinion (crisisgov/opinion/analysis/: embeddings, matching,
sentiment, routing, evaluation): pure Python, no database.

The behaviour tests use the real embedder (USE multilingual v3 from the installed package,
loaded offline) on a small knowledge base written here; the evaluation figures are measured
on the project's dataset and asserted only loosely (they are reported by
`python -m crisisgov.opinion.analysis.evaluation` and `python -m benchmarks opinion_pipeline`;
run with -s to see them printed).
"""

from __future__ import annotations

import socket
import subprocess
import sys

import numpy as np
import pytest

from crisisgov.opinion.analysis import embeddings, evaluation, matching
from crisisgov.opinion.analysis.embeddings import NgramEmbedder, UseEmbedder, embedder
from crisisgov.opinion.analysis.matching import KnowledgeEntry, RumorIndex, StanceModel
from crisisgov.opinion.analysis.routing import DepartmentRouter
from crisisgov.opinion.analysis.sentiment import LinearClassifier, SentimentModel
from crisisgov.opinion.analysis.text import normalise
from crisisgov.opinion.dataset import load

KB = [
    KnowledgeEntry(
        "salt",
        {
            "zh": "用盐水漱口可以杀死喉咙里的病毒，预防感染。",
            "en": "Gargling salt water kills the virus in your throat and prevents infection.",
        },
        {
            "zh": "盐水漱口不能杀灭呼吸道里的病毒，也不能预防感染。",
            "en": "Salt water cannot kill virus in the airways or prevent infection.",
        },
    ),
    KnowledgeEntry(
        "lockdown",
        {
            "zh": "全市明天起封城，所有超市停止营业。",
            "en": "The whole city locks down tomorrow and every supermarket closes.",
        },
        {"zh": "本市未发布封城通告，超市正常营业。", "en": "No lockdown has been ordered."},
    ),
    KnowledgeEntry(
        "dam",
        {
            "zh": "上游水库大坝已经决口，洪水今晚就到市区。",
            "en": "The upstream reservoir dam has burst and the flood reaches the city tonight.",
        },
        {"zh": "水库大坝运行正常，没有决口。", "en": "The dam is intact and operating normally."},
    ),
]


@pytest.fixture(scope="module")
def use():
    return embedder("use")


@pytest.fixture(scope="module")
def kb_index(use):
    return RumorIndex(KB, use)


def _match(index: RumorIndex, text: str):
    return index.match([normalise(text)])[0]


# --- embeddings --------------------------------------------------------------------------------


def test_the_sentence_encoder_loads_and_encodes_with_the_network_disabled(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(embeddings, "_use_model", None)  # load again, here, offline

    vectors = UseEmbedder().encode(
        ["明天全市停水", "Water will be cut across the city tomorrow", "我家的猫很可爱"]
    )

    assert embeddings._use_model is not None
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # the same news in two languages is closer than an unrelated sentence
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_threads_asking_at_once_share_one_loaded_model(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(embeddings, "_use_model", None)
    with ThreadPoolExecutor(max_workers=4) as pool:
        models = list(pool.map(lambda _: embeddings._load_use(), range(4)))
    assert all(model is models[0] for model in models)


def test_the_embedder_is_chosen_by_the_environment(monkeypatch):
    monkeypatch.setenv(embeddings.ENV_VAR, "ngram")
    assert embedder().name == "ngram"
    monkeypatch.setenv(embeddings.ENV_VAR, "use")
    assert embedder().name == "use"
    monkeypatch.delenv(embeddings.ENV_VAR)
    assert embedder().name == "use"
    monkeypatch.setenv(embeddings.ENV_VAR, "bert")
    with pytest.raises(ValueError, match="CRISISGOV_OPINION_EMBEDDER"):
        embedder()


def test_encode_refuses_a_bare_string(use):
    with pytest.raises(TypeError, match="list of texts"):
        use.encode("one string")
    with pytest.raises(TypeError, match="list of texts"):
        NgramEmbedder().encode("one string")


def test_repeated_and_huge_texts_embed_consistently(use):
    text = "网传明天全市封城，超市都要关门了"
    once = use.encode([text])
    again = use.encode([text, text, "另一句话"])  # cached and de-duplicated
    assert np.array_equal(again[0], once[0]) and np.array_equal(again[1], once[0])
    huge = use.encode(["洪水" * 100_000, ""])  # cut to MAX_EMBED_CHARS; an empty text is fine
    assert huge.shape == (2, 512) and np.all(np.isfinite(huge))


NGRAM_SCRIPT = (
    "from crisisgov.opinion.analysis.embeddings import NgramEmbedder;"
    "v = NgramEmbedder(['停水 water', 'lockdown 封城']).encode(['明天停水 no water tomorrow']);"
    "print(repr(v.round(6).tolist()))"
)


def test_the_ngram_embedder_is_deterministic_across_processes():
    outputs = {
        subprocess.run(
            [sys.executable, "-c", NGRAM_SCRIPT],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1


def test_ngram_vectors_are_normalised_and_share_words():
    model = NgramEmbedder(idf_corpus=[k.statements["en"] for k in KB])
    vectors = model.encode(
        ["The dam has burst", "the DAM has burst", "Supermarkets close tomorrow", "", "Dam burst!"]
    )
    assert np.allclose(np.linalg.norm(vectors[[0, 1, 2, 4]], axis=1), 1.0, atol=1e-5)
    assert not vectors[3].any()  # nothing to embed in an empty text
    assert vectors[0] @ vectors[1] > 0.999  # case does not matter
    assert vectors[0] @ vectors[4] > 0.5
    assert vectors[0] @ vectors[2] < 0.3


# --- rumor matching ----------------------------------------------------------------------------


def test_a_colloquial_paraphrase_finds_its_rumor(kb_index):
    found = _match(kb_index, "群里都在说用盐水漱口能把喉咙里的病毒杀死，赶紧告诉家里人！")
    assert found is not None and found.rumor_id == "salt"
    assert found.stance == "spreads"
    assert found.statement in KB[0].statements.values()
    assert found.score >= kb_index.threshold


def test_an_english_post_finds_a_rumor_known_only_in_chinese(use):
    chinese_only = RumorIndex(KB, use, languages=["zh"], threshold=-1.0)
    found = _match(chinese_only, "heard the city is going into lockdown tomorrow, shops closing")
    assert found.rumor_id == "lockdown"
    assert found.statement == KB[1].statements["zh"]


def test_a_chinese_post_finds_a_rumor_known_only_in_english(use):
    english_only = RumorIndex(KB, use, languages=["en"], threshold=-1.0)
    found = _match(english_only, "听说上游水库的坝垮了，今晚洪水就淹到城里")
    assert found.rumor_id == "dam"
    assert found.statement == KB[2].statements["en"]


def test_an_index_limited_to_one_language_uses_nothing_of_the_other(use):
    # The cross-language figure must not borrow the other language's claim or clarification.
    changed = [
        KnowledgeEntry(e.rumor_id, e.statements, {**e.clarifications, "zh": "无关的文字。"})
        for e in KB
    ]
    texts = [normalise("封城是真的吗？超市明天还开吗"), normalise("is the dam really broken?")]
    vectors = use.encode(texts)
    scores = [RumorIndex(kb, use, languages=["en"]).best(texts, vectors)[1] for kb in (KB, changed)]
    np.testing.assert_allclose(scores[0], scores[1], rtol=1e-6)


def test_a_debunking_post_matches_the_rumor_but_does_not_spread_it(kb_index):
    for text in (
        "辟谣：盐水漱口杀不死病毒，别再转发了",
        "Gargling salt water does NOT kill the virus, the CDC says it's fake. Stop sharing it.",
    ):
        found = _match(kb_index, text)
        assert found is not None and found.rumor_id == "salt", text
        assert found.stance == "debunks", text


def test_an_unrelated_post_matches_nothing(kb_index):
    for text in (
        "5路公交车今天早上又晚点了",
        "Lovely sunset over the river tonight, walked the dog for an hour.",
        "小区楼下新开了一家面馆，味道不错",
    ):
        assert _match(kb_index, text) is None, text


def test_stored_claim_vectors_are_used_as_given(use):
    statements = [text for entry in KB for text in entry.statements.values()]
    vectors = use.encode(statements)
    index = RumorIndex(KB, use, claim_vectors=vectors)
    assert index.statements == statements
    with pytest.raises(ValueError, match="claim_vectors"):
        RumorIndex(KB, use, claim_vectors=vectors[:-1])


def test_a_bad_knowledge_base_is_refused_naming_the_rumor(use):
    with pytest.raises(ValueError, match="duplicate rumor_id"):
        RumorIndex([KB[0], KB[0]], use)
    with pytest.raises(ValueError, match="rumor empty"):
        RumorIndex([KnowledgeEntry("empty", {"zh": "  "})], use)
    with pytest.raises(ValueError, match="differ in length"):
        RumorIndex(KB, use).match(["one", "two"], use.encode(["one"]))


def test_an_empty_knowledge_base_matches_nothing(use):
    assert RumorIndex([], use).match(["网传明天封城"]) == [None]


def test_cue_words_flag_a_debunk_but_a_question_does_not():
    assert matching.has_debunk_cue("这是谣言，别信")
    assert matching.has_debunk_cue("That's a HOAX, not true at all")
    assert not matching.has_debunk_cue("听说双黄连能防病毒，真的假的？")
    assert not matching.has_debunk_cue("is it true the dam burst??")


# --- classifiers -------------------------------------------------------------------------------


def test_sentiment_beats_the_majority_class_on_later_posts(use):
    figures = evaluation.sentiment_scores(use)
    print("\nsentiment", figures)
    assert figures["accuracy"] >= figures["majority_baseline"] + 0.3
    assert figures["macro_f1"] >= 0.6
    assert figures["fit_seconds"] < 2.0


def test_routing_beats_the_majority_class_on_later_tickets(use):
    figures = evaluation.routing_scores(use, use_rules=False)  # the text alone
    print("\nrouting, text only", figures)
    assert figures["top1"] >= figures["majority_baseline"] + 0.5
    assert figures["top3"] >= 0.9


def test_routing_suggests_three_departments_most_likely_first(use):
    tickets = load.tickets()[:300]
    rules = {c.code: c.department for c in load.categories()}
    router = DepartmentRouter(rules).fit(
        use.encode([normalise(t.text) for t in tickets]),
        [t.department for t in tickets],
        [t.category for t in tickets],
    )
    text = "我们小区停水两天了，自来水什么时候恢复？"
    [suggestions] = router.suggest(use.encode([text]), ["water_outage"])
    assert len(suggestions) == 3
    assert suggestions[0].department == "water"
    confidences = [s.confidence for s in suggestions]
    assert confidences == sorted(confidences, reverse=True) and 0 < sum(confidences) <= 1.0001


def test_training_is_deterministic(use):
    posts = load.sentiment()[:200]
    vectors = use.encode([normalise(p.text) for p in posts])
    labels = [p.label for p in posts]
    first = SentimentModel().fit(vectors, labels)
    second = SentimentModel().fit(vectors, labels)
    assert np.array_equal(first.classifier.weights, second.classifier.weights)
    assert first.predict(vectors) == second.predict(vectors)


def test_classifiers_refuse_bad_labels_and_shapes():
    vectors = np.eye(3, dtype=np.float32)
    with pytest.raises(ValueError, match="furious"):
        SentimentModel().fit(vectors, ["negative", "furious", "positive"])
    with pytest.raises(ValueError, match="spreads"):
        StanceModel().fit(vectors, ["spreads", "debunks", "maybe"])
    with pytest.raises(ValueError, match="as many labels"):
        LinearClassifier().fit(vectors, ["a", "b"])
    with pytest.raises(RuntimeError, match="before fit"):
        LinearClassifier().predict(vectors)


def test_sparse_high_dimensional_features_train_like_dense_ones():
    rng = np.random.default_rng(3)
    features = np.zeros((60, 4096), dtype=np.float32)
    labels = []
    for row in range(60):
        label = ("a", "b", "c")[row % 3]
        features[row, rng.choice(50, 5) + 50 * (row % 3)] = 1.0  # each class its own columns
        labels.append(label)
    model = LinearClassifier().fit(features, labels)
    assert model.predict(features) == labels


# --- the measured figures (loose: the exact ones are reported) --------------------------------


def test_rumor_matching_figures_on_the_dataset(use):
    accuracy = evaluation.rumor_accuracy(use)
    detection = evaluation.rumor_detection(use)
    stance = evaluation.stance_accuracy(use)
    print("\nrumor top-1", accuracy, "\ndetection", detection, "\nstance", stance)
    assert accuracy["top1_in_language"] >= 0.85
    assert accuracy["top1_cross_language"] >= 0.8
    assert accuracy["top1_cross_language_latest_30pct"] >= 0.75
    assert detection["f1"] >= 0.8
    assert detection["false_match_rate_distractors"] <= 0.1
    assert stance["classifier_balanced"] >= 0.85
    assert stance["classifier_balanced"] > stance["cues_balanced"]


def test_redaction_figures_are_reported_on_the_tickets_and_the_pii_corpus():
    tickets = evaluation.pii_scores()
    corpus = evaluation.pii_sample_scores(count=300)
    print("\npii tickets", tickets, "\npii corpus", corpus)
    for figures in (tickets, corpus):
        assert figures["phone_recall"] >= 0.99 and figures["id_number_recall"] >= 0.99
        assert figures["phone_precision"] >= 0.99
    assert tickets["decoy_date_masked"].startswith("0/")
    assert tickets["decoy_order_number_masked"].startswith("0/")
    shown = evaluation.report({"pii_tickets": tickets})
    assert "pii_tickets.phone_recall" in shown and "target >= 0.99: met" in shown


def test_the_pipeline_throughput_measurement_runs(use):
    figures = evaluation.pipeline_throughput(use, kb_size=300, messages=128, batch=32)
    print("\nthroughput (small knowledge base)", figures)
    assert figures["kb_rumors"] == 300
    assert figures["messages_per_second"] > 0 and figures["p95_latency_ms"] > 0
