"""Rumor matching: which known rumor (if any) a message repeats, and whether it spreads or
debunks it.

`RumorIndex` holds the canonical claims of a knowledge base of rumors (zh and en) as
embeddings; `match` finds the nearest rumors of a batch of messages with matrix products,
re-ranks the few nearest with a character n-gram similarity, and accepts the best above one
fixed threshold (chosen on a held-out split by `evaluation.choose_threshold`). BM25 over jieba
words (the `bm25s` library) was measured as the lexical part too and did worse than character
n-grams, which also survive typos and homophones: F1 0.80 against 0.83 on the tuning split.

Two things together help a post find a rumor written in the other language (USE embedder;
cross-language top-1, then F1 and false matches on the later 30% at the threshold re-tuned by
the same rule each time): language-mean centering alone 0.826 -> 0.826, scoring the claim's
centroid with its clarification alone 0.826, both 0.864 (0.806 -> 0.833 on the latest 30% of
the rumors, which no choice looked at; F1 0.878 -> 0.905, false matches 0.047 -> 0.035).
The centering makes the clarification's extra words count for meaning rather than language.
Zeroing the n-gram part across languages was measured too and cost a point (0.864 -> 0.851).
Only the kept languages' claims and clarifications are used, so an index restricted
to English knows nothing of the Chinese text.

A message that refers to a rumor in order to refute it ("别信，辟谣了") must not count as
spreading it: such a match gets stance "debunks". Four rules were measured (evaluation.py,
`stance_accuracy`): cue words (谣言, 辟谣, fake, ...), "closer to the official clarification than
to the claim", either of the two, and a small classifier over the message embedding trained on
the dataset's debunking posts against its paraphrases. People mostly refute without cue words
("吃蒜能治病毒？那饺子馆老板都成神医了"), so the rule in use is the classifier, with a cue word
(辟谣, "fake", ...) enough on its own: a post that says so plainly is never missed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .embeddings import Embedder, NgramEmbedder
from .sentiment import LinearClassifier
from .text import language_of, normalise

Stance = Literal["spreads", "debunks"]
StanceRule = Literal["classifier", "cues", "similarity", "either"]

# Score threshold per embedder (scores of different embedders live on different scales), chosen
# by evaluation.rumor_detection on the earliest 70% of the dataset's rumors (their paraphrases)
# and of its distractors: the best F1 among thresholds matching at most 4% of the distractors
# there (the target's ceiling is 5%: tuned right at it, the later 30% went over, at 5.8%).
# Re-tuned by the same rule when language centering and clarification centroids came in
# (scores moved down): 0.635 -> 0.585.
MATCH_THRESHOLDS: dict[str, float] = {"use": 0.585, "ngram": 0.6}
# Weight of the character n-gram similarity added to the embedding's (none when the embedder
# is the n-gram one already).
LEXICAL_WEIGHTS: dict[str, float] = {"use": 0.5, "ngram": 0.0}
# Subtract each language's mean embedding from messages and claims before comparing them
# (`language_means`): the multilingual model puts every Chinese text a little closer to every
# other Chinese text, which works against a Chinese post and the English claim it repeats.
CENTER_LANGUAGES: dict[str, bool] = {"use": True, "ngram": False}
# Also score each claim's centroid with its clarification in the same language (the
# clarification names the claim's subject in more words), the score being the better one.
CLARIFICATION_CENTROIDS: dict[str, bool] = {"use": True, "ngram": False}
# How many rumors, nearest by embedding, the n-gram similarity re-ranks.
RERANK = 32
STANCE_RULE: StanceRule = "classifier"
# "Closer to the clarification than to the claim" by at least this much.
CLARIFICATION_MARGIN = 0.0

# Words people use when they refute a rumor. "真的假的" ("true or false?") and "是不是真的" ask
# rather than refute, so they are blanked out before looking for "假的".
_DEBUNK_CUES = re.compile(
    r"谣言|辟谣|不实|假的|假消息|别信|不要信|不可信|没有证据|没证据|纯属"
    r"|\bfake\b|\bhoax|\bdebunk|\bnot true\b|\bfalse\b|\bmisinformation\b|\brumou?rs?\b"
    r"|\bno evidence\b",
    re.IGNORECASE,
)
_QUESTION_PHRASES = re.compile(r"真的假的|是真是假|是不是假的", re.IGNORECASE)


def has_debunk_cue(text: str) -> bool:
    return bool(_DEBUNK_CUES.search(_QUESTION_PHRASES.sub(" ", text)))


class StanceModel:
    """Debunking versus spreading, from the message embedding (softmax regression)."""

    def __init__(self, l2: float = 1e-4) -> None:
        self.classifier = LinearClassifier(l2=l2)

    def fit(self, vectors: np.ndarray, stances: Sequence[Stance]) -> StanceModel:
        if not set(stances) <= {"spreads", "debunks"}:
            raise ValueError("stances must be 'spreads' or 'debunks'")
        self.classifier.fit(vectors, stances)
        return self

    def debunks(self, vectors: np.ndarray) -> np.ndarray:
        """A boolean per row: does this message refute the rumor it refers to?"""
        probabilities = self.classifier.predict_proba(np.atleast_2d(vectors))
        return probabilities[:, self.classifier.classes.index("debunks")] > 0.5


_stance_models: dict[str, StanceModel] = {}
_stance_lock = threading.Lock()


def stance_training_posts(rumors: Sequence[Any]) -> tuple[list[str], list[Stance]]:
    """Normalised debunking posts and paraphrases of these rumors, with their stance."""
    texts: list[str] = []
    stances: list[Stance] = []
    for rumor in rumors:
        for _, text in rumor.debunks:
            texts.append(normalise(text))
            stances.append("debunks")
        for _, text in rumor.paraphrases:
            texts.append(normalise(text))
            stances.append("spreads")
    return texts, stances


def default_stance_model(embedder: Embedder) -> StanceModel:
    """Trained at first use on the earliest 70% of the dataset's rumors, once per process."""
    with _stance_lock:
        model = _stance_models.get(embedder.name)
        if model is None:
            from crisisgov.opinion.dataset import load

            train, _ = load.split_chronological(load.rumors())
            texts, stances = stance_training_posts(train)
            model = StanceModel().fit(embedder.encode(texts), stances)
            _stance_models[embedder.name] = model
        return model


_language_means: dict[str, dict[str, np.ndarray]] = {}


def language_means(embedder: Embedder) -> dict[str, np.ndarray]:
    """The mean embedding of ordinary Chinese and of ordinary English posts: the earliest 70%
    of the dataset's distractors and sentiment posts (never the rumors), once per process."""
    with _stance_lock:
        means = _language_means.get(embedder.name)
        if means is None:
            from crisisgov.opinion.dataset import load

            posts = [m.text for m in load.split_chronological(load.distractors())[0]]
            posts += [p.text for p in load.split_chronological(load.sentiment())[0]]
            texts = [normalise(t) for t in posts]
            vectors = embedder.encode(texts)
            found = np.array([language_of(t) for t in texts])
            means = {lang: vectors[found == lang].mean(axis=0) for lang in ("zh", "en")}
            _language_means[embedder.name] = means
        return means


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


@dataclass(frozen=True)
class KnowledgeEntry:
    """One known rumor: its canonical claim and official clarification per language."""

    rumor_id: str
    statements: Mapping[str, str]  # language ("zh", "en") -> claim
    clarifications: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    rumor_id: str
    score: float  # best cosine (centered claim or claim+clarification) + weighted n-gram cosine
    statement: str  # the rumor's claim nearest the message
    stance: Stance


class RumorIndex:
    """The claims of a knowledge base, one L2-normalised matrix per language (row r: rumor r).

    A message's score for a rumor is its best cosine similarity to one of the rumor's claims
    (or, per `clarification_centroids`, to a claim's centroid with its clarification; both
    after subtracting each language's mean when `center_languages`) plus `lexical_weight`
    times its best character n-gram TF-IDF cosine to them (IDF fitted on the knowledge base):
    the embedding carries the meaning across languages and wordings, the n-grams reward a post
    that repeats the rumor's own words (names of drugs, places, numbers) and so separate it
    from an ordinary post on the same subject.

    `languages` keeps only the claims in those languages (the cross-language evaluation
    matches Chinese posts against English claims only). `claim_vectors`, when given, are the
    precomputed embeddings of the kept claims in the order of `statements`: entry by entry,
    each in the order of its `statements` mapping (stored vectors, or a padded benchmark
    knowledge base, need not be embedded again).
    """

    def __init__(
        self,
        entries: Sequence[KnowledgeEntry],
        embedder: Embedder,
        *,
        threshold: float | None = None,
        lexical_weight: float | None = None,
        languages: Sequence[str] | None = None,
        stance_rule: StanceRule = STANCE_RULE,
        stance_model: StanceModel | None = None,
        claim_vectors: np.ndarray | None = None,
        center_languages: bool | None = None,
        clarification_centroids: bool | None = None,
        means: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        self.embedder = embedder
        if center_languages is None:
            center_languages = CENTER_LANGUAGES.get(embedder.name, False)
        if clarification_centroids is None:
            clarification_centroids = CLARIFICATION_CENTROIDS.get(embedder.name, False)
        if center_languages and means is None:
            means = language_means(embedder)
        self._means = dict(means) if center_languages and means else {}
        self.threshold = MATCH_THRESHOLDS[embedder.name] if threshold is None else threshold
        self.lexical_weight = (
            LEXICAL_WEIGHTS[embedder.name] if lexical_weight is None else lexical_weight
        )
        self.stance_rule = stance_rule
        self._stance_model = stance_model
        ids = [entry.rumor_id for entry in entries]
        if len(set(ids)) != len(ids):
            raise ValueError("RumorIndex: duplicate rumor_id in the knowledge base")
        kept = [
            (
                entry,
                {
                    lang: text
                    for lang, text in entry.statements.items()
                    if languages is None or lang in languages
                },
            )
            for entry in entries
        ]
        kept = [(entry, claims) for entry, claims in kept if claims]
        for entry, claims in kept:
            if any(not text or not text.strip() for text in claims.values()):
                raise ValueError(f"RumorIndex: rumor {entry.rumor_id} has an empty statement")
        self.rumor_ids = [entry.rumor_id for entry, _ in kept]
        self.clarifications = [" ".join(entry.clarifications.values()) for entry, _ in kept]
        self.languages = sorted({lang for _, claims in kept for lang in claims})
        slot_of = {lang: slot for slot, lang in enumerate(self.languages)}
        # claims[slot][r]: rumor r's claim in language `slot`, or None
        self.claims: list[list[str | None]] = [[None] * len(kept) for _ in self.languages]
        self.statements: list[str] = []  # rumor by rumor, in each entry's order
        places = []
        for r, (_, claims) in enumerate(kept):
            for lang, text in claims.items():
                self.claims[slot_of[lang]][r] = text
                self.statements.append(text)
                places.append((slot_of[lang], r))
        if claim_vectors is None:
            claim_vectors = embedder.encode(self.statements)
        if claim_vectors.shape != (len(self.statements), embedder.dim):
            raise ValueError("RumorIndex: claim_vectors do not match the claims")
        # A missing claim is a zero row whose score is forced to -inf by `_absent`.
        self.vectors = np.zeros((len(self.languages), len(kept), embedder.dim), np.float32)
        self._absent = np.full((len(self.languages), len(kept)), -np.inf, dtype=np.float32)
        for (slot, r), vector in zip(places, claim_vectors, strict=True):
            self.vectors[slot, r] = vector
            self._absent[slot, r] = 0.0
        # What messages are scored against: each claim (centered), then, when wanted, the
        # centroid of each claim with its clarification in the same language.
        scored = (
            np.stack(
                [self._center(self.vectors[slot], lang) for slot, lang in enumerate(self.languages)]
            )
            if self.languages
            else self.vectors.copy()
        )
        absent = self._absent
        if clarification_centroids:
            clarified = scored.copy()
            pairs = [
                (slot, r, entry.clarifications.get(lang))
                for r, (entry, _) in enumerate(kept)
                for slot, lang in enumerate(self.languages)
            ]
            pairs = [(slot, r, text) for slot, r, text in pairs if text and absent[slot, r] == 0]
            if pairs:
                vectors = embedder.encode([text for _, _, text in pairs])
                for (slot, r, _), vector in zip(pairs, vectors, strict=True):
                    lang = self.languages[slot]
                    clarified[slot, r] = _unit_rows(
                        scored[slot, r] + self._center(vector[None, :], lang)[0]
                    )
            scored = np.concatenate([scored, clarified])
            absent = np.concatenate([absent, absent])
        self._scored, self._scored_absent = scored.astype(np.float32), absent
        self._centroids = _unit_rows(scored.sum(axis=0))
        self._lexical = None
        if self.lexical_weight and self.statements:
            self._lexical = NgramEmbedder(
                idf_corpus=[*self.statements, *filter(None, self.clarifications)], dim=2**14
            )
            self._lexical_rows = [
                self._lexical.encode_sparse([text or "" for text in column])
                for column in self.claims
            ]
        self._clarification_vectors: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.rumor_ids)

    def _center(self, vectors: np.ndarray, language: str) -> np.ndarray:
        """Rows minus their language's mean, renormalised (as given when not centering). A
        language without a mean (other, undetermined) takes the mean of the known ones."""
        if not self._means:
            return vectors
        mean = self._means.get(language)
        if mean is None:
            mean = np.mean(list(self._means.values()), axis=0)
        return _unit_rows(vectors - mean)

    def _center_messages(self, languages: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        if not self._means:
            return vectors
        centered = np.empty_like(vectors)
        for lang in set(languages.tolist()):
            rows = languages == lang
            centered[rows] = self._center(vectors[rows], lang)
        return centered

    def candidates(
        self, texts: Sequence[str], vectors: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The `RERANK` rumors nearest each text by embedding, with their matching scores.

        Returns (n, k) rumor positions and (n, k) scores. The character n-gram similarity is
        computed for these candidates only (a re-ranking): against all claims of a 10,000-rumor
        knowledge base it would cost more than the embedding itself.
        """
        message_languages = np.array([language_of(t) for t in texts], dtype=str)
        vectors = self._center_messages(message_languages, np.asarray(vectors, dtype=np.float32))
        k = min(RERANK, len(self.rumor_ids))
        if k < len(self.rumor_ids):
            # One product with a centroid per rumor (its rows' mean) finds the candidates,
            # a fraction of the work of one product per row; the rows of these few then score.
            near = vectors @ self._centroids.T
            chosen = np.argpartition(near, -k, axis=1)[:, -k:]
        else:
            chosen = np.broadcast_to(np.arange(k), (len(vectors), k)).copy()
        rows = self._scored[:, chosen]  # (rows per rumor, n, k, dim)
        scores = np.einsum("lnkd,nd->nkl", rows, vectors) + self._scored_absent[
            :, chosen
        ].transpose(1, 2, 0)
        scores = scores.max(axis=2)
        if self._lexical is None:
            return chosen, scores
        # Across languages the n-grams share only digits and Latin names; zeroing them there
        # was measured and cost a point of cross-language top-1 (see the module docstring).
        queries = self._lexical.encode_sparse(texts)[np.repeat(np.arange(len(texts)), k)]
        lexical = np.zeros(chosen.size, dtype=np.float32)
        for rows in self._lexical_rows:
            products = queries.multiply(rows[chosen.ravel()]).sum(axis=1)
            np.maximum(lexical, np.asarray(products, dtype=np.float32).ravel(), out=lexical)
        return chosen, scores + self.lexical_weight * lexical.reshape(chosen.shape)

    def best(self, texts: Sequence[str], vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position (in `rumor_ids`) of the best rumor for each text, and its score."""
        if not self.rumor_ids:
            n = len(texts)
            return np.full(n, -1, dtype=np.int64), np.full(n, -np.inf, dtype=np.float32)
        chosen, scores = self.candidates(texts, vectors)
        top = scores.argmax(axis=1)
        picked = np.arange(len(top))
        return chosen[picked, top], scores[picked, top]

    def warm_up(self) -> None:
        """Prepare what the first match would otherwise build (the stance classifier, the
        clarifications' vectors): about a second, better spent before a surge than in it."""
        if self.stance_rule == "classifier" and self._stance_model is None:
            self._stance_model = default_stance_model(self.embedder)
        if self.stance_rule != "cues":
            self._clarification_matrix()

    def _clarification_matrix(self) -> np.ndarray:
        if self._clarification_vectors is None:
            # Only the rumors with a clarification (a padded knowledge base has few).
            have = [n for n, t in enumerate(self.clarifications) if t]
            vectors = np.zeros((len(self.clarifications), self.embedder.dim), dtype=np.float32)
            if have:
                found = self.embedder.encode([self.clarifications[n] for n in have])
                vectors[have] = np.asarray(found, dtype=np.float32)
            self._clarification_vectors = vectors
        return self._clarification_vectors

    def _closest_claim(self, number: int, vector: np.ndarray) -> tuple[str, float]:
        similarities = self.vectors[:, number] @ vector + self._absent[:, number]
        slot = int(similarities.argmax())
        return str(self.claims[slot][number]), float(similarities[slot])

    def stance(self, text: str, vector: np.ndarray, number: int, to_claim: float) -> Stance:
        """ "debunks" or "spreads" for a text matched to the rumor at `number`."""
        cue = has_debunk_cue(text)
        if self.stance_rule == "classifier":
            if self._stance_model is None:
                self._stance_model = default_stance_model(self.embedder)
            return "debunks" if (cue or self._stance_model.debunks(vector)[0]) else "spreads"
        if self.stance_rule == "cues":
            return "debunks" if cue else "spreads"
        closer = False
        if self.clarifications[number]:
            to_clarification = float(self._clarification_matrix()[number] @ vector)
            closer = to_clarification > to_claim + CLARIFICATION_MARGIN
        if self.stance_rule == "similarity":
            return "debunks" if closer else "spreads"
        return "debunks" if (cue or closer) else "spreads"

    def match(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> list[Match | None]:
        """The matched rumor for each text, or None below the threshold.

        `vectors` are the texts' embeddings when the caller has them already (the pipeline
        embeds each message once for topics, matching and routing).
        """
        if vectors is None:
            vectors = self.embedder.encode(texts)
        if len(vectors) != len(texts):
            raise ValueError("match: texts and vectors differ in length")
        best, scores = self.best(texts, vectors)
        results: list[Match | None] = []
        for text, vector, number, score in zip(texts, vectors, best, scores, strict=True):
            if number < 0 or score < self.threshold:
                results.append(None)
                continue
            statement, to_claim = self._closest_claim(int(number), vector)
            results.append(
                Match(
                    rumor_id=self.rumor_ids[number],
                    score=float(score),
                    statement=statement,
                    stance=self.stance(text, vector, int(number), to_claim),
                )
            )
        return results
