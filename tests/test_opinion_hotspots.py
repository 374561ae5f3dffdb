"""Hot spots (analysis/hotspots.py), the burst references (analysis/bursts.py) and the seeded
stream with injected bursts (dataset/stream.py)."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy.stats import poisson

from crisisgov.opinion.analysis.bursts import (
    _fit_costs,
    burst_evaluation,
    kleinberg_bursts,
    kleinberg_states,
    naive_daily_alarms,
)
from crisisgov.opinion.analysis.hotspots import (
    BIN,
    HotspotConfig,
    HotspotDetector,
    detect_series,
    poisson_tail,
)
from crisisgov.opinion.dataset.stream import NEW_TOPIC, counts_per_bin, generate

START = datetime(2026, 3, 2, tzinfo=UTC)
# A quiet night and a busier day, per 15-minute bin, repeated every day (expected counts).
DAY = np.array([0.1] * 28 + [2.0] * 56 + [1.0] * 12)


def _judged(alarms):
    """Alarms after the first week: before it the series has no history and is judged against
    the floor, as a new topic would be."""
    return [a for a in alarms if a.bin_start >= START + timedelta(days=7)]


def _usual_days(days: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.poisson(np.tile(DAY, days))


def test_poisson_tail_is_scipy_poisson_sf():
    for observed, expected in [(5, 0.5), (12, 3.1), (1, 2.0), (40, 17.5)]:
        assert poisson_tail(observed, expected) == pytest.approx(
            poisson.sf(observed - 1, expected), rel=1e-12
        )
    assert poisson_tail(0, 3.0) == 1.0


def test_a_two_hour_burst_raises_exactly_one_alarm_with_its_evidence():
    counts = _usual_days(9)
    burst = 8 * 96 + 44  # day 8, 11:00
    counts[burst : burst + 8] += 8  # +32 messages an hour for two hours on top of ~8
    alarms = _judged(detect_series(counts, start=START, topic="water", area="D1"))
    assert len(alarms) == 1
    (alarm,) = alarms
    assert alarm.topic == "water" and alarm.area == "D1"
    assert START + burst * BIN <= alarm.bin_start <= START + (burst + 1) * BIN
    assert alarm.observed >= alarm.expected * 2 and alarm.observed >= 5
    assert alarm.p_value < HotspotConfig().alpha
    assert alarm.p_value == pytest.approx(poisson_tail(alarm.observed, alarm.expected))
    assert alarm.history_days == 7
    assert alarm.window_start <= alarm.bin_start < alarm.bin_end


def test_the_burst_state_clears_and_the_next_days_burst_alarms_again():
    counts = _usual_days(10, seed=1)
    for day in (8, 9):
        first = day * 96 + 44
        counts[first : first + 8] += 8
    alarms = _judged(detect_series(counts, start=START))
    assert [a.bin_start.date() for a in alarms] == [
        (START + timedelta(days=8)).date(),
        (START + timedelta(days=9)).date(),
    ]


def test_a_few_messages_in_a_quiet_night_bin_do_not_alarm():
    counts = _usual_days(8, seed=2)
    night = 7 * 96 + 12  # 03:00, usually 0.1 messages
    counts[night - 3 : night + 4] = 0
    counts[night] = 4
    # Against the bare night rate (0.1) four messages would pass the Poisson test; the floor
    # (0.5 a bin) and the minimum count (5) keep a handful of night posts from alarming.
    assert poisson_tail(4, 0.1) < HotspotConfig().alpha
    assert _judged(detect_series(counts, start=START)) == []


def test_a_new_topic_alarms_against_the_floor():
    detector = HotspotDetector()
    first = START + timedelta(days=3, hours=10)
    alarm = detector.observe(first, NEW_TOPIC, "D2", 7)
    assert alarm is not None
    assert alarm.expected == pytest.approx(HotspotConfig().floor_per_bin)
    assert alarm.history_days == 0
    assert alarm.p_value == pytest.approx(poisson.sf(6, 0.5))
    # The surge goes on: still one alarm.
    assert detector.observe(first + BIN, NEW_TOPIC, "D2", 9) is None
    assert detector.observe(first + 2 * BIN, NEW_TOPIC, "D2", 8) is None


def test_bad_observations_are_refused():
    detector = HotspotDetector()
    detector.observe(START, "t", "a", 1)
    with pytest.raises(ValueError, match="not after"):
        detector.observe(START, "t", "a", 1)
    with pytest.raises(ValueError, match="count"):
        detector.observe(START + BIN, "t", "a", -1)
    with pytest.raises(ValueError, match="timezone"):
        detector.observe(datetime(2026, 3, 2), "t", "b", 1)  # noqa: DTZ001


# --- Kleinberg ---------------------------------------------------------------------------------

# The documented example of the `burst_detection` package (PyPI, 0.1.3).
R = [0, 2, 1, 6, 7, 2, 8, 7, 2, 1]
D = [9, 11, 12, 10, 10, 8, 12, 10, 13, 11]


def _total_cost(states, r, d, s, gamma):
    p0 = sum(r) / sum(d)
    fits = [_fit_costs(np.array(r, float), np.array(d, float), p) for p in (p0, s * p0)]
    up = gamma * math.log(len(r))
    previous, cost = 0, 0.0
    for t, state in enumerate(states):
        cost += up * max(0, state - previous) + fits[state][t]
        previous = state
    return cost


def test_kleinberg_finds_the_optimal_state_sequence_of_the_worked_example():
    states = kleinberg_states(R, D, s=2, gamma=1)
    # By exhaustive search over all 2^10 sequences, this is the cheapest one.
    best = min(itertools.product((0, 1), repeat=len(R)), key=lambda q: _total_cost(q, R, D, 2, 1))
    assert tuple(states) == best == (0, 0, 0, 1, 1, 0, 1, 1, 0, 0)
    bursts = kleinberg_bursts(R, D, s=2, gamma=1)
    assert [(b.begin, b.end) for b in bursts] == [(6, 7), (3, 4)]
    # The package's greedy pass gives (4, 4) and (6, 7) with weights 2.686 and 5.342; the
    # shared burst weighs the same here.
    assert bursts[0].weight == pytest.approx(5.342265, abs=1e-5)


def test_kleinberg_matches_exhaustive_search_on_random_series():
    rng = np.random.default_rng(7)
    for _ in range(20):
        d = rng.integers(5, 30, 9)
        r = rng.binomial(d, 0.2)
        r[3:5] = rng.binomial(d[3:5], 0.6)
        states = kleinberg_states(r, d, s=2.5, gamma=0.5)
        costs = {
            q: _total_cost(q, list(r), list(d), 2.5, 0.5)
            for q in itertools.product((0, 1), repeat=9)
        }
        assert _total_cost(tuple(states), list(r), list(d), 2.5, 0.5) == pytest.approx(
            min(costs.values())
        )


def test_kleinberg_finds_an_injected_burst_in_a_long_series():
    rng = np.random.default_rng(3)
    d = rng.integers(40, 60, 200)
    r = rng.binomial(d, 0.05)
    r[120:130] = rng.binomial(d[120:130], 0.3)
    bursts = kleinberg_bursts(r, d)
    assert bursts[0].begin in range(118, 123) and bursts[0].end in range(127, 132)


def test_the_naive_detector_knows_only_at_the_end_of_the_day():
    daily = [100, 104, 98, 101, 99, 103, 97, 150, 100]
    (alarm,) = naive_daily_alarms(daily, first_day=START)
    assert alarm.day == 7
    assert alarm.detected_at == START + timedelta(days=8)
    assert alarm.threshold == pytest.approx(np.mean(daily[:7]) + 3 * np.std(daily[:7], ddof=1))


# --- the stream and the evaluation ---------------------------------------------------------


def test_the_stream_is_determined_by_its_seed():
    first, again, other = generate(11), generate(11), generate(12)
    assert first.messages == again.messages and first.bursts == again.bursts
    assert first.messages != other.messages


def test_the_stream_has_a_daily_rhythm_injected_bursts_and_one_new_topic():
    stream = generate(5, with_texts=False)
    hours = np.bincount([m.time.hour for m in stream.messages], minlength=24)
    assert hours[3] * 5 < hours[10] and hours[3] * 5 < hours[20]
    new = [b for b in stream.bursts if b.new_topic]
    assert len(new) == 1 and new[0].topic == NEW_TOPIC
    assert min(m.time for m in stream.messages if m.topic == NEW_TOPIC) >= new[0].start
    assert all(b.start >= stream.start + timedelta(days=7) for b in stream.bursts)
    assert all(3 <= b.multiplier <= 20 for b in stream.bursts if not b.new_topic)
    assert all(timedelta(hours=1) <= b.end - b.start <= timedelta(hours=4) for b in stream.bursts)
    counts = counts_per_bin(stream)
    assert sum(int(c.sum()) for c in counts.values()) == len(stream.messages)


def test_burst_evaluation_figures():
    # Seeds 1-8: the detector's defaults were tuned on seeds 101-104, not on these.
    result = burst_evaluation(seeds=range(1, 9))
    print()
    for key, value in result.items():
        print(f"  {key}: {value}")
    # The targets.
    assert result["recall"] >= 0.90
    assert result["median_delay_bins"] <= 2
    assert result["false_alarms_per_topic_week"] <= 1
    assert result["min_lead_over_naive_hours"] >= 1
    sizes = result["recall_by_size"]
    for big in ("6-12x", "12-20x", "new topic"):
        found, total = map(int, sizes[big].split("/"))
        assert found == total, big
    # Kleinberg's offline automaton, the reference, sees most injected bursts too.
    assert result["kleinberg_recall"] >= 0.8
