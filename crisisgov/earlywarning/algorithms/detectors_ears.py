"""EARS C1, C2 and C3, as surveillance's earsC() (1.20)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from .detectors_common import Detection, as_counts, monitored_points, r_greater


def ears_c(
    counts,
    *,
    method: str = "C1",
    baseline: int = 7,
    alpha: float | None = None,
    min_sigma: float = 0.0,
    points=None,
) -> Detection:
    """EARS C1/C2/C3 as surveillance's earsC().

    C1 compares a count with the mean and sd of the `baseline` counts before it, C2 with those
    of the `baseline` counts ending 3 points before it. expected is that mean; score is the
    standardised count (x - mean) / max(sd, minSigma). C3 alarms when the positive excesses
    over 1 of the two previous C2 statistics add up to more than the threshold (R builds its
    bound from the current count); its score is that sum.
    """
    if method not in ("C1", "C2", "C3"):
        raise ValueError(f"method must be C1, C2 or C3, not {method!r}")
    if min_sigma < 0:
        raise ValueError("minSigma must not be negative")
    if baseline < 3:
        raise ValueError("the minimum baseline is 3")
    x = as_counts(counts)
    n = x.shape[1]
    alpha = (0.025 if method == "C3" else 0.001) if alpha is None else alpha
    z = stats.norm.ppf(1 - alpha)
    max_lag = {"C1": baseline, "C2": baseline + 2, "C3": baseline + 4}[method]
    points = monitored_points(points, max_lag, n)
    if points[0] < max_lag:
        raise ValueError(
            f"the series is too short: {method} with baseline {baseline} needs {max_lag} "
            "earlier points before the first monitored one"
        )
    lags = np.arange(1, baseline + 1) if method == "C1" else np.arange(3, baseline + 3)

    def baseline_stats(at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        reference = x[:, at[:, None] - lags[None, :]]
        sd = np.std(reference, axis=2, ddof=1)
        return reference.mean(axis=2), np.maximum(sd, min_sigma)

    with np.errstate(divide="ignore", invalid="ignore"):
        if method != "C3":
            mean, sigma = baseline_stats(points)
            upper = mean + z * sigma
            score = (x[:, points] - mean) / sigma
        else:
            if np.any(np.diff(points) != 1):
                raise ValueError("C3 needs a contiguous range")
            at = np.arange(points[0] - 2, points[-1] + 1)
            mean_all, sigma_all = baseline_stats(at)
            c2 = (x[:, at] - mean_all) / sigma_all
            excess = np.maximum(0, c2[:, :-2] - 1) + np.maximum(0, c2[:, 1:-1] - 1)
            mean, sigma = mean_all[:, 2:], sigma_all[:, 2:]
            upper = np.maximum(0, x[:, points] + sigma * (z - excess))
            score = excess
    return Detection(points, mean, upper, r_greater(x[:, points], upper), score)
