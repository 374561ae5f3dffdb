"""The text layer of public-opinion intake (`crisisgov.opinion.analysis.text`): messages per
second of normalise, language_of, redact and simhash, alone and chained, on the project's own
messages (hotline tickets and rumor paraphrases when the dataset is there, else the synthetic PII
corpus), and near-duplicate lookups per second.

Baselines, in the same run: for the text stages, the least an intake could do (NFKC and
whitespace collapsing, no Chinese conversion, no redaction); for the near-duplicate index, a full
scan of the same fingerprints (the O(n) lookup the index avoids).

argv: `index=N` fingerprints in the index (default 100000), `repeat=N` passes (default 3).
"""

from __future__ import annotations

import json
import random
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

DATASET = Path(__file__).parents[1] / "crisisgov/opinion/dataset"


def _messages() -> tuple[str, list[str]]:
    tickets, rumors = DATASET / "tickets.jsonl", DATASET / "rumors.jsonl"
    if tickets.exists() and rumors.exists():
        texts = [json.loads(line)["text"] for line in tickets.read_text("utf-8").splitlines()]
        for line in rumors.read_text("utf-8").splitlines():
            texts += [p["text"] for p in json.loads(line).get("paraphrases", [])]
        return "tickets + rumor paraphrases", texts
    from crisisgov.opinion.analysis.pii_samples import samples

    return "synthetic PII corpus", [s.text for s in samples(count=2000, seed=1)]


def _rate(function: Callable[[str], object], texts: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for text in texts:
            function(text)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def main(argv: list[str]) -> None:
    from crisisgov.opinion.analysis.text import (
        NearDuplicateIndex,
        hamming,
        language_of,
        normalise,
        redact,
        simhash,
    )

    options = dict(a.split("=", 1) for a in argv if "=" in a)
    size, repeat = int(options.get("index", 100_000)), int(options.get("repeat", 3))
    name, texts = _messages()
    mean_length = sum(map(len, texts)) / len(texts)
    print(f"{len(texts)} messages ({name}), {mean_length:.0f} characters on average")

    def baseline(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).split())

    def chained(text: str) -> None:
        normalised = normalise(text)
        language_of(normalised)
        simhash(redact(normalised).text)

    base = _rate(baseline, texts, repeat)
    print(f"baseline NFKC + whitespace: {base:,.0f} msg/s")
    for label, function in [
        ("normalise", normalise),
        ("language_of", language_of),
        ("redact", redact),
        ("simhash", simhash),
        ("all four chained", chained),
    ]:
        rate = _rate(function, texts, repeat)
        print(f"{label:>18}: {rate:>9,.0f} msg/s  ({base / rate:.1f}x the baseline's time)")

    rng = random.Random(1)
    stored = [rng.getrandbits(64) - 2**63 for _ in range(size)]
    index = NearDuplicateIndex()
    started = time.perf_counter()
    for key, fingerprint in enumerate(stored):
        index.add(key, fingerprint)
    print(f"index of {size:,} fingerprints built in {time.perf_counter() - started:.1f}s")
    queries = [rng.choice(stored) ^ (1 << rng.randrange(64)) for _ in range(2000)]
    queries += [rng.getrandbits(64) - 2**63 for _ in range(2000)]
    started = time.perf_counter()
    found = [index.find(q) for q in queries]
    indexed = len(queries) / (time.perf_counter() - started)
    scan_queries = queries[:: max(1, len(queries) // 20)]
    started = time.perf_counter()
    for q in scan_queries:
        min((hamming(q, s), k) for k, s in enumerate(stored))
    scanned = len(scan_queries) / (time.perf_counter() - started)
    print(
        f"near-duplicate lookups: index {indexed:,.0f}/s, full scan {scanned:,.1f}/s "
        f"({indexed / scanned:,.0f}x); {sum(f is not None for f in found)} of {len(queries)} found"
    )
