"""What every outbreak detector returns, and the small rules they share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Detection:
    """A detector's verdict on each series (rows) at each monitored time point (columns).

    NaN stands for R's NA. `alarm` is 1.0, 0.0 or NaN; `score` is the statistic the alarm
    compares (see each detector)."""

    points: np.ndarray  # (m,) 0-based indices of the monitored time points
    expected: np.ndarray  # (S, m)
    upperbound: np.ndarray  # (S, m)
    alarm: np.ndarray  # (S, m)
    score: np.ndarray  # (S, m)


def as_counts(counts) -> np.ndarray:
    x = np.asarray(counts, dtype=float)
    return x[None, :] if x.ndim == 1 else x


def r_greater(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a > b as R gives it: NA when either side is NA."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(a) | np.isnan(b), np.nan, (a > b).astype(float))


def monitored_points(points, default_first: int, n: int) -> np.ndarray:
    if points is None and default_first >= n:
        raise ValueError(
            f"the series is too short: it has {n} points and with these options the first "
            f"monitored one is point {default_first + 1}"
        )
    chosen = np.arange(default_first, n) if points is None else np.asarray(points, dtype=int)
    if chosen.size == 0:
        raise ValueError("there is no time point to monitor")
    if chosen.min() < 0 or chosen.max() >= n:
        raise ValueError(f"range values must lie within 1..{n} for this series")
    return np.sort(chosen)
