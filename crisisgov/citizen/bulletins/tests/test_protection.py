"""The small-count rule, tested against an attacker who tries every table of raw counts that
fits the published figures: a count shown as "<10" must keep at least two possible values."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from crisisgov.citizen.bulletins.protection import Rule, protect

RULE = Rule()
DAY = dt.date(2026, 11, 20)


def published(days: list[dt.date], table: list[list[int]]):
    """Every figure a reader gets from the bulletins of `days` (each day's bulletin replays the
    whole history), as comparable tuples."""
    children = [{d: n for d, n in zip(days, row, strict=True) if n} for row in table]
    area = {d: sum(table[c][i] for c in range(len(table))) for i, d in enumerate(days)}
    area = {d: n for d, n in area.items() if n}
    out = []
    for day in days:
        p = protect(RULE, day, area, children)
        out.append(
            (
                p.new.shown,
                p.cumulative.shown,
                tuple((n.shown, c.shown) for n, c in p.children),
                tuple(c.shown for _, c in p.daily),
            )
        )
    return out


def test_a_small_count_is_shown_as_the_label_and_zero_as_zero():
    p = protect(RULE, DAY, {DAY: 12}, [{DAY: 12}, {}])
    assert [n.shown for n, _ in p.children] == [12, 0]
    p = protect(RULE, DAY, {DAY: 7}, [{DAY: 7}, {}])
    assert p.new.shown == "<10" and p.children[0][0].shown == "<10"


def test_a_total_beside_exactly_one_small_district_is_withheld():
    p = protect(RULE, DAY, {DAY: 23}, [{DAY: 20}, {DAY: 3}])
    assert p.new.shown is None  # 23 - 20 would give the 3 away
    assert [n.shown for n, _ in p.children] == [20, "<10"]


def test_two_small_districts_keep_the_total_unless_they_could_only_be_ones():
    assert protect(RULE, DAY, {DAY: 25}, [{DAY: 20}, {DAY: 3}, {DAY: 2}]).new.shown == 25
    # 22 - 20 = 2 shared by two districts of at least 1 each: both are 1.
    assert protect(RULE, DAY, {DAY: 22}, [{DAY: 20}, {DAY: 1}, {DAY: 1}]).new.shown is None


def test_a_cumulative_count_never_gives_away_the_day_by_difference():
    yesterday = DAY - dt.timedelta(days=1)
    p = protect(RULE, yesterday, {yesterday: 120}, [{yesterday: 120}])
    assert p.cumulative.shown == 120
    p = protect(RULE, DAY, {yesterday: 120, DAY: 3}, [{yesterday: 120, DAY: 3}])
    assert p.children[0][0].shown == "<10"
    assert p.children[0][1].shown is None and p.cumulative.shown is None  # 123 - 120 = 3


def _attack(days: list[dt.date], table: list[list[int]], values: range) -> None:
    """Try every raw table: collect the values each hidden cell can take."""
    seen = published(days, table)
    size = len(table) * len(days)
    possible: dict[tuple[int, int], set[int]] = {}
    for flat in itertools.product(values, repeat=size):
        guess = [list(flat[c * len(days) : (c + 1) * len(days)]) for c in range(len(table))]
        if published(days, guess) == seen:
            for c, i in itertools.product(range(len(table)), range(len(days))):
                possible.setdefault((c, i), set()).add(guess[c][i])
    for (c, i), options in possible.items():
        if 1 <= table[c][i] <= 9:
            assert len(options) > 1, (table, (c, i), options, seen)


def test_no_small_count_can_be_worked_out_from_one_days_bulletin():
    rng = random.Random(5)
    for _ in range(25):
        table = [[rng.choice([0, 1, 2, 3, 8, 9, 10, 11, 14])] for _ in range(3)]
        _attack([DAY], table, range(0, 16))


def test_no_small_count_can_be_worked_out_from_two_days_bulletins():
    rng = random.Random(7)
    days = [DAY - dt.timedelta(days=1), DAY]
    for _ in range(6):
        table = [[rng.choice([0, 1, 2, 9, 10, 12]) for _ in days] for _ in range(2)]
        _attack(days, table, range(0, 14))
