"""The reproduction number Rt by the method of Cori et al. (2013), as R's EpiEstim 2.2
`estimate_R` computes it, a 14-day incidence projection from the renewal equation, and the
doubling time of recent incidence.

Every function takes many areas at once: incidence is a 2-D array, one row per area and one
column per day, and every result has one row per area. Days and windows are numbered from 1
in the results (`t_start`, `t_end`), as in EpiEstim, so the two can be compared line by line.

The serial interval `w` is a distribution over lags 0, 1, 2, ... days with `w[0] == 0`: the
chance that a case infects the next case `k` days after its own onset.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import special, stats

QUANTILES = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)
# The columns of EpiEstim's R table, in its order, under the names the platform writes.
COLUMNS = (
    "t_start", "t_end", "mean", "std",
    "q0.025", "q0.05", "q0.25", "median", "q0.75", "q0.95", "q0.975",
)  # fmt: skip


def discretise_serial_interval(mean: float, std: float, days: int) -> np.ndarray:
    """EpiEstim's `discr_si(0:(days - 1), mean, std)`: a Gamma serial interval of this mean
    and standard deviation, shifted by one day and discretised, for lags 0 .. days - 1."""
    if mean <= 1:
        raise ValueError(f"the mean serial interval must be above 1 day, not {mean}")
    if std <= 0:
        raise ValueError(f"the serial interval's standard deviation must be above 0, not {std}")
    shape, scale = ((mean - 1) / std) ** 2, std**2 / (mean - 1)
    k = np.arange(days, dtype=float)

    def cdf(x: np.ndarray, a: float) -> np.ndarray:
        return stats.gamma.cdf(x, a, scale=scale)

    # Cori et al. 2013, web appendix 11: the Gamma convolved with a triangular kernel.
    w = k * cdf(k, shape) + (k - 2) * cdf(k - 2, shape) - 2 * (k - 1) * cdf(k - 1, shape)
    w += shape * scale * (2 * cdf(k - 1, shape + 1) - cdf(k - 2, shape + 1) - cdf(k, shape + 1))
    return np.maximum(w, 0.0)


def check_serial_interval(w: np.ndarray) -> np.ndarray:
    """The distribution as a float array, or a ValueError saying what EpiEstim would refuse."""
    w = np.asarray(w, dtype=float)
    if w.ndim != 1 or len(w) < 2:
        raise ValueError("the serial interval needs a weight for lag 0 and at least one more lag")
    if w[0] != 0:
        raise ValueError(f"the serial interval's weight at lag 0 must be 0, not {w[0]}")
    if (w < 0).any() or not np.isfinite(w).all():
        lag = int(np.flatnonzero(~(w >= 0) | ~np.isfinite(w))[0])
        raise ValueError(f"the serial interval's weight at lag {lag} is not a number >= 0")
    # EpiEstim's own tolerance: a distribution read from a rounded file still passes.
    if abs(w.sum() - 1) > 0.01:
        raise ValueError(f"the serial interval's weights sum to {w.sum():.6g}, not 1")
    return w


def split_first_day(
    local: np.ndarray, imported: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Local and imported cases as EpiEstim takes them: every case of the first day counts as
    imported, since nothing earlier in the series can have infected it."""
    local = np.atleast_2d(np.asarray(local, dtype=float))
    imported = np.zeros_like(local) if imported is None else np.atleast_2d(imported).astype(float)
    if local.shape != imported.shape:
        raise ValueError("local and imported incidence must have the same shape")
    if (local < 0).any() or (imported < 0).any() or np.isnan(local + imported).any():
        raise ValueError("incidence must be a number >= 0 on every day")
    local, imported = local.copy(), imported.copy()
    imported[:, 0] += local[:, 0]
    local[:, 0] = 0
    return local, imported


def infectivity(total: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The total infectiousness Lambda_t = sum_s w_s I_(t-s) on each day, areas x days.

    One matrix product with the Toeplitz matrix of `w` does every area and every day."""
    total = np.atleast_2d(total)
    days = total.shape[1]
    w = np.concatenate([w[:days], np.zeros(max(0, days - len(w)))])
    lag = np.subtract.outer(np.arange(days), np.arange(days)).T  # [j, t] = t - j
    weights = np.where(lag >= 0, w[np.clip(lag, 0, None)], 0.0)
    return total @ weights


@dataclass(frozen=True)
class RtEstimate:
    """The Gamma posterior of Rt over each sliding window, areas x windows; NaN where
    EpiEstim gives NA (a window ending before the mean serial interval)."""

    t_start: np.ndarray
    t_end: np.ndarray
    shape: np.ndarray
    scale: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.shape * self.scale

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.shape) * self.scale

    def quantile(self, q: float) -> np.ndarray:
        # A Gamma quantile is the scale times the quantile of the unit-scale Gamma of that
        # shape, and the shapes are the prior's plus whole case counts: few distinct values.
        # Inverting the incomplete gamma function (what scipy.stats.gamma.ppf calls) once per
        # distinct shape instead of once per window makes the quantiles far cheaper.
        shapes, which = self._distinct_shapes
        return special.gammaincinv(shapes, q)[which] * self.scale

    @cached_property
    def _distinct_shapes(self) -> tuple[np.ndarray, np.ndarray]:
        return np.unique(self.shape, return_inverse=True)

    def table(self, area: int = 0) -> dict[str, np.ndarray]:
        """One area's estimates as EpiEstim's R table, column name -> values."""
        values = [self.mean[area], self.std[area]]
        values += [self.quantile(q)[area] for q in QUANTILES]
        return dict(zip(COLUMNS, [self.t_start, self.t_end, *values], strict=True))


def estimate_rt(
    local: np.ndarray,
    w: np.ndarray,
    *,
    imported: np.ndarray | None = None,
    window: int = 7,
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
) -> RtEstimate:
    """Rt over sliding windows of `window` days, starting on day 2, for each area (row).

    `local` is the incidence (areas x days; one series may be 1-D); `imported`, when known,
    the imported cases, which infect others but were not infected locally. `w` is the serial
    interval, e.g. `discretise_serial_interval(mean, std, days)` with `days` the series length,
    which is what EpiEstim's `parametric_si` uses."""
    w = check_serial_interval(w)
    local, imported = split_first_day(local, imported)
    days = local.shape[1]
    if window < 1 or days < window + 1:
        raise ValueError(f"a window of {window} days needs at least {window + 1} days of data")
    t_start = np.arange(2, days - window + 2)
    t_end = t_start + window - 1

    # A window's sums as differences of cumulative sums: one pass for every window and area.
    # cumulative[:, i] sums days 1 .. i + 1, so the window t_start .. t_end is
    # cumulative[t_end - 1] - cumulative[t_start - 2], and with t_start = 2, 3, ... two slices.
    def window_sums(x: np.ndarray) -> np.ndarray:
        cumulative = np.cumsum(x, axis=1)
        return cumulative[:, window:] - cumulative[:, : days - window]

    lam = infectivity(local + imported, w)
    prior_shape, prior_scale = (mean_prior / std_prior) ** 2, std_prior**2 / mean_prior
    # Only local cases were infected inside the area: they alone count towards Rt.
    shape = prior_shape + window_sums(local)
    scale = 1 / (1 / prior_scale + window_sums(lam))
    # EpiEstim gives no estimate for windows that end before the mean serial interval.
    mean_si = np.sum(w * np.arange(len(w)))
    too_early = t_end <= mean_si
    shape[:, too_early] = np.nan
    scale[:, too_early] = np.nan
    return RtEstimate(t_start, t_end, shape, scale)


@dataclass(frozen=True)
class Projection:
    """Projected daily incidence for the days after the data, areas x days ahead."""

    median: np.ndarray
    low: np.ndarray
    high: np.ndarray


def project_incidence(
    total: np.ndarray,
    w: np.ndarray,
    shape: np.ndarray,
    scale: np.ndarray,
    *,
    days: int = 14,
    simulations: int = 1000,
    dispersion: float | None = None,
    level: float = 0.95,
    seed: int = 1,
) -> Projection:
    """Simulate the renewal equation I_t ~ Poisson(R Lambda_t) for `days` after the data.

    Each simulation draws one R from the area's Gamma posterior (`shape`, `scale`: usually
    the last window of `estimate_rt`) and keeps it for every day ahead. With `dispersion` k
    the daily counts are negative binomial (variance mean + mean^2 / k) instead of Poisson.
    Areas whose posterior is NaN get NaN."""
    total = np.atleast_2d(np.asarray(total, dtype=float))
    w = check_serial_interval(w)
    areas, observed = total.shape
    shape, scale = np.broadcast_to(shape, areas), np.broadcast_to(scale, areas)
    known = np.isfinite(shape) & np.isfinite(scale)
    w = np.concatenate([w, np.zeros(max(0, observed + days + 1 - len(w)))])

    # What the observed days contribute to each future day's infectivity is fixed:
    # day `observed + h` sees observed day j at lag `observed + h - j`.
    lag = observed + np.arange(days)[None, :] - np.arange(observed)[:, None]
    from_observed = total @ w[lag]

    rng = np.random.default_rng(seed)
    r = rng.gamma(np.where(known, shape, 1.0)[:, None], np.where(known, scale, 1.0)[:, None],
                  size=(areas, simulations))  # fmt: skip
    simulated = np.zeros((areas, simulations, days))
    for h in range(days):
        from_simulated = simulated[:, :, :h] @ w[h:0:-1] if h else 0.0
        mean = r * (from_observed[:, h, None] + from_simulated)
        if dispersion is not None:
            mean = rng.gamma(dispersion, mean / dispersion)
        simulated[:, :, h] = rng.poisson(mean)

    tail = (1 - level) / 2
    low, median, high = np.quantile(simulated, [tail, 0.5, 1 - tail], axis=1)
    for result in (low, median, high):
        result[~known] = np.nan
    return Projection(median=median, low=low, high=high)


@dataclass(frozen=True)
class Doubling:
    """The exponential growth rate r per day of recent incidence and its doubling time
    ln 2 / r in days, each with a confidence interval; areas as rows.

    Incidence that is not growing has an infinite doubling time, so a rate interval that
    reaches 0 or below gives an infinite upper bound."""

    rate: np.ndarray
    rate_low: np.ndarray
    rate_high: np.ndarray
    days: np.ndarray
    days_low: np.ndarray
    days_high: np.ndarray


def doubling_time(
    incidence: np.ndarray, *, days: int = 14, level: float = 0.95, iterations: int = 25
) -> Doubling:
    """Fit log E[I_t] = a + r t to the last `days` days of each area's incidence.

    The fit is a quasi-Poisson log-linear model: days with no case carry information (a
    log of counts would have to drop them), and the interval widens when counts vary more
    than Poisson. Newton's method for the two coefficients runs on every area at once."""
    y = np.atleast_2d(np.asarray(incidence, dtype=float))[:, -days:]
    n = y.shape[1]
    if n < 3:
        raise ValueError("the doubling time needs at least 3 days")
    t = np.arange(n) - (n - 1) / 2  # centred, so the two coefficients are nearly independent
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # Start from least squares on log counts, then Newton (IRLS) on the Poisson likelihood.
        log_y = np.log(y + 0.5)
        a = log_y.mean(axis=1)
        r = (log_y * t).sum(axis=1) / (t * t).sum()
        for _ in range(iterations):
            mu = np.exp(a[:, None] + r[:, None] * t)
            g0, g1 = (y - mu).sum(axis=1), ((y - mu) * t).sum(axis=1)
            h00, h01, h11 = mu.sum(axis=1), (mu * t).sum(axis=1), (mu * t * t).sum(axis=1)
            det = h00 * h11 - h01 * h01
            a, r = a + (h11 * g0 - h01 * g1) / det, r + (h00 * g1 - h01 * g0) / det
        mu = np.exp(a[:, None] + r[:, None] * t)
        h00, h01, h11 = mu.sum(axis=1), (mu * t).sum(axis=1), (mu * t * t).sum(axis=1)
        dispersion = np.maximum(1.0, ((y - mu) ** 2 / mu).sum(axis=1) / (n - 2))
        se = np.sqrt(dispersion * h00 / (h00 * h11 - h01 * h01))
        z = stats.norm.ppf(0.5 + level / 2)
        low, high = r - z * se, r + z * se

        def as_days(rate: np.ndarray) -> np.ndarray:
            return np.where(rate > 0, np.log(2) / rate, np.where(np.isnan(rate), np.nan, np.inf))

        none = ~(y.sum(axis=1) > 0)  # no case at all: no rate to speak of
        rate, low, high = (np.where(none, np.nan, x) for x in (r, low, high))
        return Doubling(rate, low, high, as_days(rate), as_days(high), as_days(low))
