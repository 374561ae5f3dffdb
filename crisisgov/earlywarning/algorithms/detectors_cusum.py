"""The CUSUM of surveillance's algo.cusum() (1.20)."""

from __future__ import annotations

import numpy as np

from .detectors_common import Detection, as_counts, monitored_points
from .detectors_glm import DOUBLE_EPS, fit_quasi_poisson


def cusum(
    counts,
    *,
    points,
    k: float = 1.04,
    h: float = 2.26,
    m: float | np.ndarray | str | None = None,
    trans: str = "standard",
    alpha: float = 0.1,
    freq: int = 52,
) -> Detection:
    """The CUSUM of surveillance's algo.cusum(): S_t = max(0, S_{t-1} + z_t - k), an alarm when
    S_t >= h, z_t the count standardised by `trans` around the in-control mean m: by default
    the mean of all counts before the monitored range, with m="glm" the prediction of a
    Poisson GLM with one seasonal harmonic of period `freq` fitted to those counts. expected is
    m, score is S_t; the bound is the count that would have raised the alarm (0 where R's is
    NA)."""
    x = as_counts(counts)
    points = monitored_points(points, 0, x.shape[1])
    if np.any(np.diff(points) != 1):
        raise ValueError("the CUSUM needs a contiguous range")
    if (m is None or isinstance(m, str)) and points[0] == 0:
        raise ValueError("the CUSUM needs at least one point before the range to learn m")
    if m is None:
        m = x[:, : points[0]].mean(axis=1)
    if isinstance(m, str):
        if m != "glm":
            raise ValueError(f"m must be a number or glm, not {m!r}")
        m = _seasonal_mean(x[:, : points[0]], points, freq)
    m = np.asarray(m, dtype=float)
    m = m.reshape(-1, 1) if m.ndim <= 1 else m
    m = np.broadcast_to(m, (x.shape[0], m.shape[1]))
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


def _seasonal_mean(training: np.ndarray, points: np.ndarray, freq: int) -> np.ndarray:
    """algo.cusum's m="glm": log E[x_t] = a + b cos(2 pi t / freq) + c sin(2 pi t / freq) fitted
    by Poisson maximum likelihood to the training counts (missing ones left out), predicted
    at the monitored points. R counts t from the data's start week; a shift of t only rotates
    the harmonic, so the prediction does not depend on it."""

    def harmonic(t: np.ndarray) -> np.ndarray:
        angle = 2 * np.pi / freq * (t + 1.0)
        return np.column_stack([np.ones(len(t)), np.cos(angle), np.sin(angle)])

    used = ~np.isnan(training)
    fit = fit_quasi_poisson(harmonic(np.arange(training.shape[1])), training, used.astype(float))
    with np.errstate(over="ignore"):
        return np.maximum(np.exp(fit.coef @ harmonic(points).T), DOUBLE_EPS)


def _power_or_zero(base: np.ndarray) -> np.ndarray:
    # R: ifelse(base < 0, 0, base^(3/2)); NA stays NA here and becomes 0 afterwards.
    return np.where(base < 0, 0.0, np.abs(base) ** 1.5)
