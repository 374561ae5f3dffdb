"""Small-count protection of a bulletin's case figures (pure: no Django, no database).

The rule, which the bulletin page summarises for its readers:

1. A count from 1 to 9 is published as "<10" (zh "少于10"); zero is published, it points at
   nobody. Threshold and label are the open-data rule's (`exchange.facade.small_count_rule`).
2. A total is published beside its parts (the city's new cases beside its districts', and the
   same for the cumulative counts) only when no part shown as "<10" can be worked out from it
   by subtraction; otherwise the total is withheld (shown as "—").
3. Across days, an area's cumulative count minus an earlier one is the sum of its daily counts
   in between. A cumulative count is published only when that difference, taken from the last
   day whose cumulative count was published, reveals no daily count shown as "<10" (nor a
   withheld total); otherwise it is withheld too.

"Reveals" means: from the published figures alone, a hidden count's possible values shrink to
one. Every published cell is known to lie in a range (an exact count: one value; "<10": 1..9;
a withheld figure: the range its parts or its history imply). For one relation
`lo <= sum(cells) <= hi` the possible range of each cell is exact (`_feasible`), and every
hidden cell's range must keep at least two values.

The whole history up to the bulletin's day is computed as if every day's bulletin had been
published: a day's figures never depend on which bulletins were published, or in which order,
so no set of bulletins reveals what one alone would not.

Limits (stated on the page's method note too): relations are checked one at a time (each
total with its parts, each area's cumulative chain), not as one joint system as a linear-
programming audit (tau-ARGUS) would; a hidden count's range may narrow (say to 1..2) without
collapsing to one value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    """A published figure: `shown` is the count, the small-count label, or None (withheld);
    [lo, hi] is what a reader can know of the true count (hi None: no upper bound)."""

    shown: int | str | None
    lo: int
    hi: int | None

    @property
    def hidden(self) -> bool:
        return self.hi is None or self.lo < self.hi


def _exact(n: int) -> Cell:
    return Cell(n, n, n)


@dataclass(frozen=True)
class Rule:
    threshold: int = 10
    label: str = "<10"

    def count(self, n: int) -> Cell:
        """Rule 1: a small count is shown as the label."""
        if 1 <= n < self.threshold:
            return Cell(self.label, 1, self.threshold - 1)
        return _exact(n)


def _feasible(lo: int, hi: int | None, cells: list[Cell]) -> list[tuple[int, int | None]]:
    """Each cell's possible values, given lo <= sum(cells) <= hi and every cell's own range."""
    sum_lo = sum(c.lo for c in cells)
    unbounded = sum(1 for c in cells if c.hi is None)
    sum_hi = sum(c.hi for c in cells if c.hi is not None)
    ranges = []
    for c in cells:
        others_lo = sum_lo - c.lo
        others_unbounded = unbounded - (c.hi is None)
        others_hi = None if others_unbounded else sum_hi - (c.hi or 0)
        low = c.lo if others_hi is None else max(c.lo, lo - others_hi)
        high = c.hi
        if hi is not None:
            high = hi - others_lo if high is None else min(high, hi - others_lo)
        ranges.append((low, high))
    return ranges


def reveals(lo: int, hi: int | None, cells: list[Cell]) -> bool:
    """Whether `lo <= sum(cells) <= hi` pins any hidden cell to one value."""
    return any(
        cell.hidden and low == high
        for cell, (low, high) in zip(cells, _feasible(lo, hi, cells), strict=True)
    )


def _sum_range(cells: list[Cell]) -> tuple[int, int | None]:
    his = [c.hi for c in cells]
    return sum(c.lo for c in cells), None if None in his else sum(his)  # type: ignore[arg-type]


def total_cell(rule: Rule, total: int, parts: list[Cell]) -> Cell:
    """Rule 2: the total of `parts` (exact, or the label), or withheld when it would reveal a
    hidden part. A withheld total's range is what its parts tell."""
    cell = rule.count(total)
    if cell.hidden or not reveals(total, total, parts):
        return cell
    lo, hi = _sum_range(parts)
    lo = min(total, max(lo, rule.threshold))  # it is not small, else it would be the label
    return Cell(None, lo, None if hi is None else max(hi, total))


class _Chain:
    """Rule 3 for one area: its cumulative count day by day, published only when the
    difference from the last published one reveals none of the days in between."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.anchor = 0  # before the first case the cumulative count is known: zero
        self.anchor_day: dt.date | None = None  # the day it was last published exactly
        self.since: list[Cell] = []  # the daily cells after the anchor

    def step(self, new: Cell, cumulative: int) -> Cell:
        self.since.append(new)
        lo, hi = _sum_range(self.since)
        known = Cell(None, self.anchor + lo, None if hi is None else self.anchor + hi)
        cell = self.rule.count(cumulative)
        if cell.hidden:  # the label tells that the difference lies in a range
            assert cell.hi is not None
            if reveals(cell.lo - self.anchor, cell.hi - self.anchor, self.since):
                return known
            return Cell(cell.shown, max(cell.lo, known.lo), min(cell.hi, known.hi or cell.hi))
        difference = cumulative - self.anchor
        if reveals(difference, difference, self.since):
            return known
        return cell

    def publish(self, cell: Cell, day: dt.date) -> None:
        """The day's cumulative cell as finally published: an exact one is the next anchor."""
        if not cell.hidden:
            assert isinstance(cell.shown, int)
            self.anchor, self.anchor_day, self.since = cell.shown, day, []

    @property
    def last_published(self) -> tuple[dt.date, int] | None:
        """(day, count) of the last exact cumulative count: showing it again reveals nothing
        that day's bulletin did not."""
        return None if self.anchor_day is None else (self.anchor_day, self.anchor)


@dataclass(frozen=True)
class Protected:
    new: Cell  # the area's cases on the day
    cumulative: Cell
    children: list[tuple[Cell, Cell]]  # (new, cumulative) of each child area, in order
    daily: list[tuple[dt.date, Cell]]  # the area's cases on the last 7 days, oldest first
    # Where a cumulative count is withheld: the last one published, (day, count), if any.
    cumulative_as_of: tuple[dt.date, int] | None
    children_as_of: list[tuple[dt.date, int] | None]


def protect(
    rule: Rule,
    day: dt.date,
    area_daily: dict[dt.date, int],
    children_daily: list[dict[dt.date, int]],
) -> Protected:
    """The published figures of an area and its child areas for `day`, from their raw daily
    counts (days without cases may be left out), the whole history replayed (see above)."""
    known_days = [d for d in area_daily if d <= day]
    for daily in children_daily:
        known_days += [d for d in daily if d <= day]
    first = min(known_days, default=day)
    first = min(first, day - dt.timedelta(days=6))
    area_chain = _Chain(rule)
    chains = [_Chain(rule) for _ in children_daily]
    area_total = 0
    totals = [0] * len(children_daily)
    trend: list[tuple[dt.date, Cell]] = []
    current = first
    while True:
        news = [rule.count(daily.get(current, 0)) for daily in children_daily]
        area_new = total_cell(rule, area_daily.get(current, 0), news)
        cumulatives = []
        for i, (daily, chain) in enumerate(zip(children_daily, chains, strict=True)):
            totals[i] += daily.get(current, 0)
            cell = chain.step(news[i], totals[i])
            chain.publish(cell, current)
            cumulatives.append(cell)
        area_total += area_daily.get(current, 0)
        area_cumulative = area_chain.step(area_new, area_total)
        if not area_cumulative.hidden and reveals(area_total, area_total, cumulatives):
            lo, hi = _sum_range(cumulatives)
            hi = None if hi is None else max(hi, area_total)
            area_cumulative = Cell(None, min(area_total, lo), hi)
        area_chain.publish(area_cumulative, current)
        if current > day - dt.timedelta(days=7):
            trend.append((current, area_new))
        if current == day:
            return Protected(
                new=area_new,
                cumulative=area_cumulative,
                children=list(zip(news, cumulatives, strict=True)),
                daily=trend,
                cumulative_as_of=area_chain.last_published if area_cumulative.hidden else None,
                children_as_of=[
                    chain.last_published if cell.hidden else None
                    for chain, cell in zip(chains, cumulatives, strict=True)
                ],
            )
        current += dt.timedelta(days=1)
