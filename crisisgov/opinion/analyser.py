"""The analysis stage: embedding, topic, sentiment and hot-spot count of the messages the intake
stored, in micro-batches, then one `opinion.messages_analysed` event per batch (rumor matching
and tickets react to it).

Why a stage of its own: the sentence encoder costs about 8 ms of CPU for one message but 2.3 ms
a message in a batch of 64 (python -m benchmarks opinion_pipeline), so a surge is analysed by
taking whatever has arrived as one batch, not inside each citizen's request. The intake
answers at once; `crisisgov opinion analyse` (one per core) runs this in a loop, and the
worker's sweep runs it too, so nothing stays pending where no analyser runs.

Decisions:
- A batch is claimed by writing a random token into its rows (`claim`, `claimed_at`) with a
  conditional UPDATE: two analysers never analyse one message twice, on PostgreSQL and on
  SQLite alike. A claim older than CLAIM_TIMEOUT (its analyser died) is taken over.
- A near-duplicate takes its original's embedding, topic and sentiment (no second forward
  pass); when the original is still being analysed elsewhere, the duplicate is analysed itself.
- Languages other than zh and en are marked analysed with nothing filled in (kept, not
  analysed), and still go out in the event: a rumor check or a ticket may concern them.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Case, Count, F, Max, Q, Sum, Value, When
from django.utils import timezone
from django.utils.crypto import get_random_string
from threadpoolctl import threadpool_limits

from crisisgov.geo.facade import PATH_DIGITS, Level
from crisisgov.kernel.outbox import outbox_deliver_event, outbox_publish
from crisisgov.opinion import understanding as u
from crisisgov.opinion.models import HotspotBin, Language, Message, Topic

logger = logging.getLogger(__name__)
BATCH = 64  # the encoder's gain flattens out from here (benchmarks/bench_opinion_pipeline.py)
CLAIM_TIMEOUT = dt.timedelta(minutes=2)
BIN = dt.timedelta(minutes=15)
ANALYSED = {Language.ZH, Language.EN}
EVENT = "opinion.messages_analysed"


@dataclass(frozen=True)
class Batch:
    message_ids: list[int]
    event_id: int | None  # the `opinion.messages_analysed` event (None: nothing was pending)


def messages_pending() -> int:
    return Message.objects.filter(analysed_at=None).count()


def messages_analyse(
    *, limit: int = BATCH, message_ids: Sequence[int] | None = None, deliver_inline: bool = False
) -> Batch:
    """Analyse up to `limit` pending messages (oldest first), or the pending ones among
    `message_ids`, as one batch; an empty Batch when nothing was pending. `deliver_inline`:
    the caller delivers the batch's event itself once this returns (see outbox_publish)."""
    token = get_random_string(16)
    claimed = _claim(token, limit, message_ids)
    if not claimed:
        return Batch([], None)
    with transaction.atomic():
        messages = list(
            Message.objects.filter(pk__in=claimed, claim=token)
            .only("id", "text", "language", "duplicate_of_id", "posted_at", "area_path", "topic")
            .order_by("id")
        )
        _analyse(messages)
        ids = [m.pk for m in messages]
        event = outbox_publish(
            topic=EVENT, payload={"message_ids": ids}, deliver_inline=deliver_inline
        )
    return Batch(ids, event.pk)


def analyse_loop(
    *,
    batch: int = BATCH,
    poll: float = 0.05,
    running: Callable[[], bool] = lambda: True,
    once: bool = False,
    on_batch: Callable[[Batch], None] | None = None,
) -> int:
    """What `crisisgov opinion analyse` runs: take what is pending as one batch, analyse it,
    and deliver its event at once (rumor matching, tickets) rather than through the task
    queue (the worker takes it over only if this process dies first). Sleeps `poll` seconds
    when nothing is pending; `once` stops then. Returns how many messages it analysed."""
    # One BLAS thread: one analyser runs per core, and a second thread would spin-wait on
    # the other analyser's core (the rumor index's matrix products are where BLAS runs).
    with threadpool_limits(limits=1, user_api="blas"):
        return _analyse_loop(batch, poll, running, once, on_batch)


def _analyse_loop(
    batch: int,
    poll: float,
    running: Callable[[], bool],
    once: bool,
    on_batch: Callable[[Batch], None] | None,
) -> int:
    analysed = 0
    while running():
        if not once:  # a long-running loop, as Django does around a request (and the worker)
            close_old_connections()
        try:
            done = messages_analyse(limit=batch, deliver_inline=True)
        except Exception:  # claimed rows are retried after CLAIM_TIMEOUT
            if once:
                raise
            logger.exception("analysis of a batch failed")
            time.sleep(poll)
            continue
        if done.event_id is None:
            if once:
                break
            time.sleep(poll)
            continue
        outbox_deliver_event(event_id=done.event_id)
        analysed += len(done.message_ids)
        if on_batch is not None:
            on_batch(done)
    return analysed


def warm_up() -> None:
    """Load the sentence encoder and jieba's dictionary now (about 3 s), not in the first
    batch of a surge."""
    u.embed(["预热 warm up"])
    u.topic_labels({0: ["江岸区停水 warm up"]})


def _claim(token: str, limit: int, message_ids: Sequence[int] | None) -> list[int]:
    now = timezone.now()
    free = Q(claim="") | Q(claimed_at__lt=now - CLAIM_TIMEOUT)
    pending = Message.objects.filter(free, analysed_at=None)
    if message_ids is not None:
        pending = pending.filter(pk__in=list(message_ids))
    candidates = list(pending.order_by("id").values_list("id", flat=True)[:limit])
    if not candidates:
        return []
    # Conditional on still being free: of two analysers reading the same rows, the second
    # UPDATE finds them taken and claims none of them.
    Message.objects.filter(free, pk__in=candidates, analysed_at=None).update(
        claim=token, claimed_at=now
    )
    mine = Message.objects.filter(pk__in=candidates, claim=token).order_by("id")
    return list(mine.values_list("id", flat=True))


def _analyse(messages: list[Message]) -> None:
    originals = {m.duplicate_of_id for m in messages if m.duplicate_of_id}
    done = {
        o.pk: o
        for o in Message.objects.filter(pk__in=originals)
        .exclude(analysed_at=None)
        .only("id", "embedding", "topic_id", "sentiment")
    }
    in_batch = {m.pk for m in messages}
    to_embed = [
        m
        for m in messages
        if m.language in ANALYSED
        and (m.duplicate_of_id is None or m.duplicate_of_id not in (done.keys() | in_batch))
    ]
    if to_embed:
        vectors = u.embed([m.text for m in to_embed])
        sentiments = u.sentiments(vectors)
        topic_ids = _topics_assign(
            vectors, [m.text for m in to_embed], [m.posted_at for m in to_embed]
        )
        for message, vector, sentiment, topic_id in zip(
            to_embed, vectors, sentiments, topic_ids, strict=True
        ):
            message.embedding = u.vector_to_bytes(vector)
            message.sentiment, message.topic_id = sentiment, topic_id
            done[message.pk] = message
    understood = list(to_embed)
    for message in messages:
        original = done.get(message.duplicate_of_id or 0)
        if message.language in ANALYSED and original is not None and original is not message:
            message.embedding = original.embedding
            message.topic_id, message.sentiment = original.topic_id, original.sentiment
            understood.append(message)
    Message.objects.bulk_update(understood, ["embedding", "topic", "sentiment"])
    # The claim stays as it was: it only counts while analysed_at is empty.
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(analysed_at=timezone.now())
    _bins_count(messages)


# --- topics -------------------------------------------------------------------------------------


_topics: dict[str, object] = {"model": None, "key": None, "version": None}
_topics_lock = threading.Lock()  # the cached model is mutated by each assignment


def _topics_version() -> tuple[int, int, int]:
    """(count, highest id, total size) of the Topic rows: one aggregate row. Every change to
    a topic (opened, joined: its centroid moves and its size grows, deleted) changes it."""
    row = Topic.objects.aggregate(count=Count("id"), top=Max("id"), total=Sum("size"))
    return row["count"], row["top"] or 0, row["total"] or 0


def _topic_model(dimension: int) -> u.OnlineTopics:
    """The process's OnlineTopics, loaded once and rebuilt from the Topic rows only when
    another process (or a rolled-back transaction) changed them, as the version shows."""
    key = (u.embedder_name(), dimension)
    version = _topics_version()
    if _topics["model"] is None or _topics["key"] != key or _topics["version"] != version:
        states = [
            u.TopicState(pk, bytes(centroid), size)
            for pk, centroid, size in Topic.objects.values_list("id", "centroid", "size")
            if len(centroid) == 4 * dimension  # topics of another embedder are left alone
        ]
        model = u.OnlineTopics(topics=states, dim=dimension, threshold=u.topic_threshold())
        _topics.update(model=model, key=key, version=version)
    return _topics["model"]  # type: ignore[return-value]


def _topics_assign(
    vectors: np.ndarray, texts: Sequence[str], times: Sequence[dt.datetime]
) -> list[int]:
    """Nearest centroid above the threshold (analysis/topics.py), else a new candidate topic
    labelled from its first messages; a joined topic's centroid moves to the running mean.
    Two analysers assigning at the same moment may each move a centroid from the same start
    (one step is lost): a topic is hundreds of messages, so that drift is negligible."""
    with _topics_lock:
        try:
            return _topics_assign_locked(vectors, texts, times)
        except BaseException:
            _topics["model"] = None  # rolled back: the cached centroids are no longer the rows'
            raise


def _topics_assign_locked(
    vectors: np.ndarray, texts: Sequence[str], times: Sequence[dt.datetime]
) -> list[int]:
    model = _topic_model(vectors.shape[1])
    count, top, total = _topics["version"]  # type: ignore[misc]
    assignments = model.assign(vectors)
    members: dict[int, list[int]] = {}
    for row, assignment in enumerate(assignments):
        members.setdefault(assignment.topic, []).append(row)
    opened: list[tuple[int, Topic]] = []
    joined: list[Topic] = []
    for state in model.states(only_changed=True):
        rows = members.get(state.key)
        if not rows:
            continue
        last_seen = max(times[r] for r in rows)
        if state.key < 0:  # opened by this batch
            label = u.topic_labels({0: [texts[r] for r in rows]})[0]
            topic = Topic(
                centroid=state.centroid, size=len(rows), keywords=label.keywords,
                label_zh=label.label_zh[:200], label_en=label.label_en[:200],
                last_seen_at=last_seen,
            )  # fmt: skip
            opened.append((state.key, topic))
            continue
        # One UPDATE for every joined topic: the size grows by this batch's members (another
        # analyser's may have been added meanwhile), last seen only moves forward.
        newer = Case(
            When(last_seen_at__gt=last_seen, then=F("last_seen_at")), default=Value(last_seen)
        )
        joined.append(
            Topic(
                pk=state.key,
                centroid=state.centroid,
                size=F("size") + len(rows),
                last_seen_at=newer,
            )
        )
    Topic.objects.bulk_update(joined, ["centroid", "size", "last_seen_at"])
    Topic.objects.bulk_create(topic for _, topic in opened)
    pk_of = {}
    for key, topic in opened:
        model.rekey(key, topic.pk)
        pk_of[key] = topic.pk
        count, top = count + 1, max(top, topic.pk)
    _topics["version"] = (count, top, total + len(assignments))  # our own changes
    return [pk_of.get(a.topic, a.topic) for a in assignments]


# --- hot-spot bins ------------------------------------------------------------------------------


def bin_start(at: dt.datetime) -> dt.datetime:
    """The start of the 15-minute bin holding `at` (UTC)."""
    at = at.astimezone(dt.UTC)
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def _bins_count(messages: Sequence[Message]) -> None:
    """Count the messages with a topic in their 15-minute bins of (topic, district or city):
    one UPDATE for the bins that exist, one INSERT for the new ones."""
    counts = Counter(
        (m.topic_id, m.area_path[: PATH_DIGITS[Level.DISTRICT]], bin_start(m.posted_at))
        for m in messages
        if m.topic_id
    )
    if not counts:
        return
    existing = {
        (b.topic_id, b.area_path, b.start): b
        for b in HotspotBin.objects.filter(
            topic_id__in={t for t, _, _ in counts}, start__in={s for _, _, s in counts}
        )
    }
    grown = []
    for key, count in counts.items():
        if key in existing:
            existing[key].count = F("count") + count
            grown.append(existing[key])
    HotspotBin.objects.bulk_update(grown, ["count"])
    new = [(key, count) for key, count in counts.items() if key not in existing]
    try:
        with transaction.atomic():
            HotspotBin.objects.bulk_create(
                HotspotBin(topic_id=t, area_path=p, start=s, count=c) for (t, p, s), c in new
            )
    except IntegrityError:  # one was created meanwhile by another analyser: one at a time
        for (topic_id, path, start), count in new:
            bin_add(topic_id, path, start, count)


def bin_add(topic_id: int, path: str, start: dt.datetime, count: int) -> None:
    """Add `count` to one bin, creating it if no one has (another process may, meanwhile)."""
    current = HotspotBin.objects.filter(topic_id=topic_id, area_path=path, start=start)
    if current.update(count=F("count") + count):
        return
    try:
        with transaction.atomic():
            HotspotBin.objects.create(topic_id=topic_id, area_path=path, start=start, count=count)
    except IntegrityError:  # created meanwhile by another analyser
        current.update(count=F("count") + count)
