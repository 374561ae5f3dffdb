"""Which past time points the Farrington detectors learn from, chosen as surveillance 1.20 does.

Indices here are 0-based; R's are 1-based, which matters where R uses the index itself as the
time covariate (index-based series) and is handled by the callers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np


def years_back(day: dt.date, years: int) -> dt.date:
    """R's seq(day, by = "-1 year"): the same month and day, 29 February rolling to 1 March."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return dt.date(day.year - years, 3, 1)


def _weekday(day: dt.date) -> int:
    return day.isoweekday() % 7  # R's format(day, "%w"): Sunday is 0


def _as_dates(dates: np.ndarray) -> list[dt.date]:
    return list(dates.astype("datetime64[D]").astype(object))


def farrington_reference(
    k: int, *, b: int, w: int, freq: int, dates: np.ndarray | None
) -> np.ndarray:
    """algo.farrington's reference points for point k: b years back, w either side.

    Index-based: k - freq*i + (-w..w), those before the start dropped. Dated: refvalIdxByDate,
    whole calendar years back, snapped to the weekday of k for weekly series, those not in the
    series dropped."""
    if dates is None:
        offsets = np.arange(-w, w + 1)
        found = np.concatenate([k - freq * i + offsets for i in range(b, 0, -1)])
        return found[found >= 0]
    days = _as_dates(dates)
    t0 = days[k]
    step = dt.timedelta(days=7 if freq == 52 else 1)
    wanted = []
    for j in range(1, b + 1):
        centre = years_back(t0, j)
        wanted += [centre + step * i for i in range(-w, w + 1)]
    if freq == 52:
        snapped = []
        for day in wanted:
            forward = (_weekday(t0) - _weekday(day)) % 7
            backward = (_weekday(day) - _weekday(t0)) % 7
            snapped.append(day + dt.timedelta(days=forward if forward < backward else -backward))
        wanted = snapped
    position = {day: i for i, day in enumerate(days)}
    return np.array([position[d] for d in wanted if d in position], dtype=int)


def _flexible_reference_points(k: int, *, b: int, freq: int, days: list | None) -> list[int]:
    """algo.farrington.referencetimepoints: k and the same point 1..b years back, as indices."""
    if days is None:
        points = [k - freq * j for j in range(b + 1)]
        if min(points) < 0:
            raise ValueError(_too_early(k))
        return points
    t0 = days[k]
    wanted = [years_back(t0, j) for j in range(b + 1)]
    if freq == 52:
        snapped = []
        for day in wanted:
            a = day - dt.timedelta(days=_weekday(day) - _weekday(t0))
            other = a + dt.timedelta(days=-7 if a > day else 7)
            snapped.append(other if abs((a - day).days) > abs((other - day).days) else a)
        wanted = snapped
    position = {day: i for i, day in enumerate(days)}
    if any(day not in position for day in wanted):
        raise ValueError(_too_early(k))
    return sorted((position[day] for day in wanted), reverse=True)


def _too_early(k: int) -> str:
    return (
        f"time point {k + 1}: some reference time points do not exist; "
        "decrease 'b' or start the range later"
    )


def _r_colon(first: int, last: int) -> range:
    """R's first:last (1-based, inclusive, counting down when last < first)."""
    return range(first, last + 1) if last >= first else range(first, last - 1, -1)


def _assign(factors: list, first: int, last: int, value: float, k: int) -> None:
    """factors[first:last] <- value with R's 1-based indexing: index 0 is silently skipped (the
    quirk that lets a dated series' reference window start one week before the data)."""
    indices = list(_r_colon(first, last))
    if any(i < 0 for i in indices):
        raise ValueError(_too_early(k))
    for i in indices:
        if i > 0:
            factors[i - 1] = value


def flexible_blocks(
    k: int,
    *,
    b: int,
    w: int,
    freq: int,
    dates: np.ndarray | None,
    no_periods: int,
    past_weeks_not_included: int,
) -> tuple[np.ndarray, np.ndarray]:
    """farringtonFlexible's baseline for point k (0-based): the indices it fits on and the
    seasonal group (1..noPeriods) of each, as surveillance's blocks() assigns them."""
    days = None if dates is None else _as_dates(dates)
    n = len(days) if days is not None else k + 1
    points = _flexible_reference_points(k, b=b, freq=freq, days=days)
    factors: list[float] = [np.nan] * n
    r_points = [i + 1 for i in points]  # the rest of this function is R's arithmetic, 1-based
    now = k + 1
    p = no_periods
    _assign(factors, now - w, now, p, k)
    for i in range(b):
        ref = r_points[i + 1]
        _assign(factors, ref - w, ref + w, p, k)
        if p != 1:
            period = r_points[i] - 2 * w - 1 - ref
            if period < p - (2 * w + 1):
                raise ValueError(f"time point {k + 1}: noPeriods is too big for b and w")
            lengths = [period // (p - 1)] * (p - 1)
            for j in range(period % (p - 1)):
                lengths[j] += 1
            edges = np.cumsum([0, *lengths])
            for j in range(1, p):
                first = ref + w + 1 + int(edges[j - 1])
                _assign(factors, first, ref + w + int(edges[j]), j, k)
    _assign(factors, now - past_weeks_not_included, now, np.nan, k)
    groups = np.array(factors, dtype=float)
    indices = np.flatnonzero(~np.isnan(groups))
    return indices, groups[indices].astype(int)
