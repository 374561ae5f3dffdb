"""The CUSUM of surveillance's algo.cusum() (1.20)."""

from __future__ import annotations

import numpy as np

from .detectors_common import Detection, as_counts, monitored_points


def cusum(
    counts,
    *,
    points,
    k: float = 1.04,
    h: float = 2.26,
    m: float | np.ndarray | None = None,
    trans: str = "standard",
    alpha: float = 0.1,
) -> Detection:
    """The CUSUM of surveillance's algo.cusum(): S_t = max(0, S_{t-1} + z_t - k), an alarm when
    S_t >= h, z_t the count standardised by `trans` around the in-control mean m (by default
    the mean of all counts before the monitored range). expected is m, score is S_t; the bound
    is the count that would have raised the alarm (0 where R's is NA)."""
    x = as_counts(counts)
    points = monitored_points(points, 0, x.shape[1])
    if np.any(np.diff(points) != 1):
        raise ValueError("the CUSUM needs a contiguous range")
    if m is None:
        if points[0] == 0:
            raise ValueError("the CUSUM needs at least one point before the range to learn m")
        m = x[:, : points[0]].mean(axis=1)
    m = np.broadcast_to(np.asarray(m, dtype=float).reshape(-1, 1), (x.shape[0], 1))
    y = x[:, points]
    with np.errstate(divide="ignore", invalid="ignore"):
        standardised = {
            "rossi": lambda: (y - 3 * m + 2 * np.sqrt(y * m)) / (2 * np.sqrt(m)),
            "standard": lambda: (y - m) / np.sqrt(m),
            "anscombe": lambda: 1.5 * (y ** (2 / 3) - m ** (2 / 3)) / m ** (1 / 6),
            "anscombe2nd": lambda: (
                (y ** (2 / 3) - (m ** (2 / 3) - m ** (-1 / 3) / 9)) / (2 / 3 * m ** (1 / 6))
            ),
            "pearsonNegBin": lambda: (y - m) / np.sqrt(m + alpha * m**2),
            "none": lambda: y,
        }
        if trans not in standardised:
            raise ValueError(f"unknown trans {trans!r}; one of {', '.join(standardised)}")
        z = standardised[trans]()
        sums = np.zeros((x.shape[0], len(points) + 1))
        for t in range(len(points)):
            # np.maximum keeps NaN, as R's max(0, NA) does: a gap stops the CUSUM for good.
            sums[:, t + 1] = np.maximum(0, sums[:, t] + z[:, t] - k)
        previous, current = sums[:, :-1], sums[:, 1:]
        room = h + k - previous
        upper = {
            "rossi": lambda: (
                2 * h * np.sqrt(m)
                + 2 * k * np.sqrt(m)
                - 2 * previous * np.sqrt(m)
                + 5 * m
                - 2 * np.sqrt(4 * m**2 + 2 * m**1.5 * h + 2 * m**1.5 * k - 2 * m**1.5 * previous)
            ),
            "standard": lambda: np.ceil(np.sqrt(m) * room + m),
            "anscombe": lambda: _power_or_zero(2 / 3 * m ** (1 / 6) * room + m ** (2 / 3)),
            "anscombe2nd": lambda: _power_or_zero(
                2 / 3 * m ** (1 / 6) * room + (m ** (2 / 3) - m ** (1 / 3) / 9)
            ),
            "pearsonNegBin": lambda: np.sqrt(m + alpha * m**2) * room + m,
            "none": lambda: h - current,
        }[trans]()
        upper = np.where(np.isnan(upper) | (upper < 0), 0.0, upper)
        alarm = np.where(np.isnan(current), np.nan, (current >= h).astype(float))
    expected = np.broadcast_to(m, current.shape).copy()
    return Detection(points, expected, upper, alarm, current)


def _power_or_zero(base: np.ndarray) -> np.ndarray:
    # R: ifelse(base < 0, 0, base^(3/2)); NA stays NA here and becomes 0 afterwards.
    return np.where(base < 0, 0.0, np.abs(base) ** 1.5)
