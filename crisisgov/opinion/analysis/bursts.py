"""Burst detection references for the hot-spot evaluation: Kleinberg's two-state automaton over
batched counts, and the naive "daily count above mean + 3σ of the previous week" rule.

Kleinberg (2002), "Bursty and Hierarchical Structure in Streams", section 4 (enumerating bursts):
batch t holds d_t messages, r_t of them on the topic. State 0 emits on-topic messages with the
overall proportion p0 = R/D, state 1 with p1 = s·p0. The fit cost of a batch in state i is
σ(i) = -ln[C(d_t, r_t) p_i^r_t (1 - p_i)^(d_t - r_t)]; moving up a state costs γ·ln n, moving down
is free. The optimal state sequence (Viterbi) gives the bursts as the maximal runs of state 1, each
weighted by Σ (σ(0) - σ(1)) over its batches.

Note: the PyPI package `burst_detection` 0.1.3 picks the cheapest state batch by batch (greedy)
instead of minimising over the whole sequence, so on some inputs it ends a burst early; our tests
check optimality by exhaustive search instead (see tests/test_opinion_hotspots.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from scipy.special import gammaln

from crisisgov.opinion.analysis.hotspots import BIN, HotspotConfig, detect_series
from crisisgov.opinion.dataset.stream import InjectedBurst, Stream, counts_per_bin, generate

# p1 = s·p0 must stay a probability; the same cap as the burst_detection package.
_P_MAX = 0.99999


@dataclass(frozen=True)
class Burst:
    """A maximal run of batches in the bursty state: `begin`..`end` inclusive (batch indexes)."""

    begin: int
    end: int
    weight: float


def _fit_costs(r: np.ndarray, d: np.ndarray, p: float) -> np.ndarray:
    """σ(p) per batch: minus the log binomial likelihood of r_t of d_t at proportion p."""
    log_binom = gammaln(d + 1) - gammaln(r + 1) - gammaln(d - r + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        loglik = log_binom + r * math.log(p) + (d - r) * math.log1p(-p)
    return -np.where(d > 0, loglik, 0.0)


def kleinberg_states(
    r: Sequence[float], d: Sequence[float], *, s: float = 2.0, gamma: float = 1.0
) -> np.ndarray:
    """The optimal two-state sequence (0 = baseline, 1 = burst) for on-topic counts `r` out of
    totals `d` per batch. Starts in state 0, as in the paper."""
    r_arr = np.asarray(r, dtype=float)
    d_arr = np.asarray(d, dtype=float)
    if r_arr.shape != d_arr.shape or r_arr.ndim != 1:
        raise ValueError("r and d must be one-dimensional and of the same length")
    if np.any(r_arr < 0) or np.any(r_arr > d_arr):
        raise ValueError("each r_t must lie between 0 and d_t")
    if s <= 1:
        raise ValueError("s must be greater than 1")
    n = r_arr.size
    total = d_arr.sum()
    if n == 0 or total == 0 or r_arr.sum() == 0:
        return np.zeros(n, dtype=int)
    p0 = r_arr.sum() / total
    p1 = min(s * p0, _P_MAX)
    fit = np.stack([_fit_costs(r_arr, d_arr, p0), _fit_costs(r_arr, d_arr, p1)], axis=1)
    up = gamma * math.log(n)

    # Viterbi over two states; `came_from[t, j]` is the best state at t-1 given state j at t.
    came_from = np.zeros((n, 2), dtype=np.int8)
    cost0, cost1 = fit[0, 0], up + fit[0, 1]
    for t in range(1, n):
        from_0_to_1 = cost0 + up
        new0 = min(cost0, cost1) + fit[t, 0]
        came_from[t, 0] = 0 if cost0 <= cost1 else 1
        new1 = min(from_0_to_1, cost1) + fit[t, 1]
        came_from[t, 1] = 0 if from_0_to_1 < cost1 else 1
        cost0, cost1 = new0, new1
    states = np.zeros(n, dtype=int)
    states[-1] = 0 if cost0 <= cost1 else 1
    for t in range(n - 1, 0, -1):
        states[t - 1] = came_from[t, states[t]]
    return states


def kleinberg_bursts(
    r: Sequence[float], d: Sequence[float], *, s: float = 2.0, gamma: float = 1.0
) -> list[Burst]:
    """Kleinberg's bursts (two-state automaton), heaviest first."""
    states = kleinberg_states(r, d, s=s, gamma=gamma)
    r_arr = np.asarray(r, dtype=float)
    d_arr = np.asarray(d, dtype=float)
    if not states.any():
        return []
    p0 = r_arr.sum() / d_arr.sum()
    gain = _fit_costs(r_arr, d_arr, p0) - _fit_costs(r_arr, d_arr, min(s * p0, _P_MAX))
    bursts = []
    edges = np.diff(np.concatenate([[0], states, [0]]))
    for begin, end_exclusive in zip(
        np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True
    ):
        weight = float(gain[begin:end_exclusive].sum())
        bursts.append(Burst(int(begin), int(end_exclusive) - 1, weight))
    return sorted(bursts, key=lambda b: -b.weight)


@dataclass(frozen=True)
class DailyAlarm:
    """The naive detector fired on `day`; it can only know at the end of that day."""

    day: int
    count: float
    threshold: float
    detected_at: datetime


def naive_daily_alarms(
    daily_counts: Sequence[float], *, first_day: datetime, history_days: int = 7, sigmas: float = 3
) -> list[DailyAlarm]:
    """Days whose count exceeds mean + `sigmas`·σ (sample standard deviation) of the previous
    `history_days` days. Days without a full week of history are not judged."""
    counts = np.asarray(daily_counts, dtype=float)
    alarms = []
    for day in range(history_days, counts.size):
        history = counts[day - history_days : day]
        threshold = history.mean() + sigmas * history.std(ddof=1)
        if counts[day] > threshold:
            end_of_day = first_day + timedelta(days=day + 1)
            alarms.append(DailyAlarm(day, float(counts[day]), float(threshold), end_of_day))
    return alarms


def _median(values: Sequence[float]) -> float | None:
    return float(np.median(values)) if len(values) else None


def _size_class(burst: InjectedBurst) -> str:
    if burst.new_topic:
        return "new topic"
    if burst.multiplier < 6:
        return "3-6x"
    if burst.multiplier < 12:
        return "6-12x"
    return "12-20x"


def _overlaps(k: Burst, first: int, end: int) -> bool:
    return k.begin < end and first <= k.end


# The stream's first week is history: no bursts injected, no alarms judged.
_HISTORY_WEEK = 7 * 96


@dataclass
class _Tally:
    """What the evaluation counts, over all series of all seeds."""

    found: int = 0
    injected: int = 0
    false_alarms: int = 0
    repeats: int = 0
    naive_found: int = 0
    kleinberg_hits: int = 0
    kleinberg_judged: int = 0
    kleinberg_true: int = 0
    delays: list[int] = field(default_factory=list)
    leads: list[float] = field(default_factory=list)
    by_size: dict[str, list[int]] = field(default_factory=dict)


def _judge_series(
    tally: _Tally,
    stream: Stream,
    series: np.ndarray,
    area_totals: np.ndarray,
    truth: list[InjectedBurst],
    *,
    config: HotspotConfig,
    grace_bins: int,
    kleinberg_s: float,
    kleinberg_gamma: float,
) -> None:
    judged_from = _HISTORY_WEEK
    alarms = detect_series(series, start=stream.start, config=config)
    alarm_bins = [int((a.bin_start - stream.start) / BIN) for a in alarms]
    alarm_bins = [b for b in alarm_bins if b >= judged_from]
    spans = [
        (int((b.start - stream.start) / BIN), int((b.end - stream.start) / BIN), b) for b in truth
    ]
    matched: set[int] = set()
    for index in alarm_bins:
        hit = next((i for i, (s, e, _) in enumerate(spans) if s <= index < e + grace_bins), None)
        if hit is None:
            tally.false_alarms += 1
        elif hit in matched:
            tally.repeats += 1
        else:
            matched.add(hit)

    naive = naive_daily_alarms(series.reshape(stream.days, 96).sum(axis=1), first_day=stream.start)
    k_bursts = kleinberg_bursts(series, area_totals, s=kleinberg_s, gamma=kleinberg_gamma)
    k_judged = [k for k in k_bursts if k.end >= judged_from]
    tally.kleinberg_judged += len(k_judged)
    tally.kleinberg_true += sum(any(_overlaps(k, s, e) for s, e, _ in spans) for k in k_judged)

    for i, (first, end, burst) in enumerate(spans):
        size = tally.by_size.setdefault(_size_class(burst), [0, 0])
        size[1] += 1
        tally.injected += 1
        tally.kleinberg_hits += any(_overlaps(k, first, end) for k in k_bursts)
        # The naive detector's alarm on the burst's day (or the next, for a late burst).
        naive_day = next((n for n in naive if first // 96 <= n.day <= (end - 1) // 96 + 1), None)
        tally.naive_found += naive_day is not None
        if i not in matched:
            continue
        tally.found += 1
        size[0] += 1
        first_alarm = min(b for b in alarm_bins if first <= b < end + grace_bins)
        tally.delays.append(first_alarm - first)
        if naive_day is not None:
            ours_at = stream.start + (first_alarm + 1) * BIN
            tally.leads.append((naive_day.detected_at - ours_at).total_seconds() / 3600)


def burst_evaluation(
    seeds: Sequence[int] = (1, 2, 3, 4, 5, 6, 7, 8),
    *,
    config: HotspotConfig | None = None,
    grace_bins: int = 2,
    kleinberg_s: float = 2.0,
    kleinberg_gamma: float = 1.0,
) -> dict[str, object]:
    """The hot-spot detector on generated streams with injected bursts (dataset/stream.py).

    The first week of each stream is history only (no bursts injected, no alarms counted); the
    second week is judged. An alarm detects a burst of its topic and area when its bin lies in
    the burst or up to `grace_bins` after it; its delay is the number of bins after the burst's
    first bin (0: raised when the first burst bin closed). Any other alarm is false; a second
    alarm within the same burst is counted apart (`repeat_alarms_within_a_burst`). The naive
    detector (daily count > mean + 3σ of the previous 7 days) knows at the end of the day, so
    the lead is the time from our alarm's bin end to that day's end, over the bursts both found.
    Kleinberg's automaton (topic count out of all messages of the area, per bin) is the offline
    reference: how many injected bursts overlap one of its bursts, and how many of its bursts in
    the judged week overlap an injected one.
    """
    tally = _Tally()
    topic_weeks = series_weeks = 0.0
    per_seed = []
    for seed in seeds:
        stream = generate(seed, with_texts=False)
        counts = counts_per_bin(stream)
        judged_weeks = (stream.days - 7) / 7
        topic_weeks += len(stream.topics) * judged_weeks
        series_weeks += len(counts) * judged_weeks
        totals = {area: sum(counts[(t, area)] for t in stream.topics) for area in stream.areas}
        before = (tally.found, tally.false_alarms)
        for (topic, area), series in counts.items():
            truth = [b for b in stream.bursts if b.topic == topic and b.area == area]
            _judge_series(
                tally,
                stream,
                series,
                totals[area],
                truth,
                config=config or HotspotConfig(),
                grace_bins=grace_bins,
                kleinberg_s=kleinberg_s,
                kleinberg_gamma=kleinberg_gamma,
            )
        per_seed.append(
            {
                "seed": seed,
                "bursts": len(stream.bursts),
                "found": tally.found - before[0],
                "false": tally.false_alarms - before[1],
            }
        )
    injected = tally.injected
    return {
        "seeds": list(seeds),
        "injected_bursts": injected,
        "recall": tally.found / injected if injected else None,
        "recall_by_size": {k: f"{v[0]}/{v[1]}" for k, v in sorted(tally.by_size.items())},
        "median_delay_bins": _median(tally.delays),
        "false_alarms": tally.false_alarms,
        "false_alarms_per_topic_week": tally.false_alarms / topic_weeks,
        "false_alarms_per_series_week": tally.false_alarms / series_weeks,
        "repeat_alarms_within_a_burst": tally.repeats,
        "naive_recall": tally.naive_found / injected if injected else None,
        "median_lead_over_naive_hours": _median(tally.leads),
        "min_lead_over_naive_hours": min(tally.leads) if tally.leads else None,
        "kleinberg_recall": tally.kleinberg_hits / injected if injected else None,
        "kleinberg_precision": (
            tally.kleinberg_true / tally.kleinberg_judged if tally.kleinberg_judged else None
        ),
        "per_seed": per_seed,
    }
