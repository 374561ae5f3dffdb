"""Public-opinion understanding (crisisgov/opinion/analysis/): messages per second and p95
latency of normalise -> language -> embed -> topic -> rumor match -> route with a 10,000-rumor
knowledge base (the dataset's rumors padded with synthetic ones), and the quality figures of
issue #6 measured on the project's dataset.

Baselines, in the same run:
- the pipeline one message at a time (what a per-request handler would do), against the
  platform's micro-batches of 64;
- the sentence encoder alone: one sentence per call against batches of 64, with one and two
  BLAS threads, and the share of its time spent in the pure-Python SentencePiece tokenizer.

Every message of the stream is made distinct, so the embedding cache never helps; a crisis
stream full of reposts does better (the `repeats` line shows by how much).

argv: `kb=N` (default 10000), `messages=N` (3000), `batch=N` (64), `quality=0` to skip the
quality figures, `embedder=use|ngram` (use).
"""

from __future__ import annotations

import random
import time


def _sentences(count: int, seed: int) -> list[str]:
    from crisisgov.opinion.analysis.text import normalise
    from crisisgov.opinion.dataset import load

    pool = [t.text for t in load.tickets()] + [m.text for m in load.distractors()]
    rng = random.Random(seed)
    return [normalise(f"{rng.choice(pool)} #{n}") for n in range(count)]


def _encoder_speed(count: int) -> None:
    from crisisgov.opinion.analysis import embeddings

    model = embeddings._load_use()
    backend = model._model
    sentences = _sentences(3 * count, seed=3)
    default_threads = backend.threads
    rates = {}
    for threads in (1, 2):
        backend.threads = threads
        for batch in (1, 64):
            chunk = sentences[:count] if batch == 64 else sentences[count : count + count // 4]
            started = time.perf_counter()
            for start in range(0, len(chunk), batch):
                model.encode(chunk[start : start + batch])
            rates[threads, batch] = len(chunk) / (time.perf_counter() - started)
    backend.threads = default_threads
    tokenize = model._tokenizer.encode
    started = time.perf_counter()
    for text in sentences[2 * count :]:
        tokenize(text)
    tokenizer_rate = count / (time.perf_counter() - started)
    print("  sentence encoder (USE v3), sentences/s:")
    for (threads, batch), rate in rates.items():
        print(f"    {threads} BLAS thread(s), batch {batch:>2}: {rate:8,.0f}")
    print(
        f"    batch 64 / one at a time: {rates[1, 64] / rates[1, 1]:.1f}x (1 thread), "
        f"{rates[2, 64] / rates[2, 1]:.1f}x (2 threads); "
        f"2 threads / 1 at batch 64: {rates[2, 64] / rates[1, 64]:.2f}x"
    )
    print(
        f"    tokenizer alone: {tokenizer_rate:,.0f} sentences/s, "
        f"{rates[1, 64] / tokenizer_rate:.0%} of the batch-64 encode time"
    )
    embedder = embeddings.UseEmbedder()
    repeated = [random.Random(5).choice(sentences[:200]) for _ in range(count)]
    started = time.perf_counter()
    for start in range(0, count, 64):
        embedder.encode(repeated[start : start + 64])
    print(
        f"    repeats (a stream of 200 distinct texts, cached): "
        f"{count / (time.perf_counter() - started):,.0f} sentences/s"
    )


def main(argv: list[str]) -> None:
    from crisisgov.opinion.analysis import evaluation
    from crisisgov.opinion.analysis.embeddings import embedder

    options = dict(arg.split("=", 1) for arg in argv if "=" in arg)
    kb, messages = int(options.get("kb", "10000")), int(options.get("messages", "3000"))
    batch = int(options.get("batch", "64"))
    model = embedder(options.get("embedder", "use"))
    started = time.perf_counter()
    setup = evaluation.pipeline_setup(model, kb)
    print(
        f"opinion pipeline: embedder {model.name}, knowledge base {len(setup.index):,} rumors "
        f"({len(setup.index.statements):,} claims), built in {time.perf_counter() - started:.1f}s"
    )
    if model.name == "use":
        _encoder_speed(min(messages, 1280))

    from threadpoolctl import threadpool_limits

    legs = {}
    with threadpool_limits(limits=1, user_api="blas"):
        legs["one at a time (baseline)"] = evaluation.pipeline_throughput(
            model, messages=max(messages // 10, 100), batch=1, setup=setup
        )
        legs[f"batch {batch}, 1 BLAS thread"] = batched = evaluation.pipeline_throughput(
            model, messages=messages, batch=batch, setup=setup
        )
    legs[f"batch {batch}, BLAS default"] = evaluation.pipeline_throughput(
        model, messages=messages, batch=batch, setup=setup
    )
    if model.name == "use":  # the encoder's own BLAS threads (1 by default) raised to 2
        from crisisgov.opinion.analysis import embeddings

        backend = embeddings._load_use()._model
        backend.threads = 2
        try:
            legs[f"batch {batch}, encoder 2 threads"] = evaluation.pipeline_throughput(
                model, messages=messages, batch=batch, setup=setup
            )
        finally:
            backend.threads = 1
    with threadpool_limits(limits=1, user_api="blas"):  # one process per core, as deployed
        legs[f"batch {batch}, 2 worker processes"] = two = evaluation.pipeline_throughput_workers(
            2, messages=messages, setup=setup
        )
    two["p95_batch_ms"] = float("nan")  # not kept per worker
    for label, figures in legs.items():
        print(
            f"  {label:<30} {figures['messages_per_second']:6,.0f} msg/s "
            f"(CPU {figures['cpu_ms_per_message']:.2f} ms/msg = "
            f"{1000 / figures['cpu_ms_per_message']:,.0f} msg/s per busy core); "
            f"at 500 msg/s arriving: p50 {figures['p50_latency_ms']:,.0f} ms, "
            f"p95 {figures['p95_latency_ms']:,.0f} ms (p95 of one batch "
            f"{figures['p95_batch_ms']:.0f} ms)"
        )
    single = legs["one at a time (baseline)"]
    ratio = batched["messages_per_second"] / single["messages_per_second"]
    print(f"  batched / one at a time: {ratio:.1f}x (target: 500 msg/s, p95 under 200 ms)")

    if options.get("quality", "1") != "0":
        print("  quality on the project's dataset (targets of issue #6):")
        figures = evaluation.evaluate(model, throughput=False)
        figures["throughput"] = batched
        figures["throughput_2_workers"] = two
        for line in evaluation.report(figures).splitlines():
            print("    " + line)
