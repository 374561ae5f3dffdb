"""The original Farrington method (algo.farrington) and the flexible one of Noufaily et al.
2013 (farringtonFlexible), as surveillance 1.20 computes them, vectorised over series."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .detectors_common import Detection, as_counts, monitored_points, r_greater
from .detectors_glm import (
    DOUBLE_EPS,
    QuasiPoissonFit,
    anscombe_residuals,
    farrington_weights,
    fit_quasi_poisson,
)
from .detectors_reference import farrington_reference, flexible_blocks


@dataclass(frozen=True)
class _Model:
    fit: QuasiPoissonFit
    phi: np.ndarray  # (S,) max(dispersion, 1)
    first_converged: np.ndarray  # (S,) whether the unweighted fit converged
    # farringtonFlexible stores Farrington's weights as the model's (working) weights, so the
    # dispersion its later summary() and predict() see is sum(omega * ((y - mu) / mu)^2) / df.
    flexible_dispersion: np.ndarray  # (S,)


def _fit_farrington_glm(
    design: np.ndarray,
    y: np.ndarray,
    used: np.ndarray,
    offset: np.ndarray | None,
    *,
    reweight: bool,
    weights_threshold: float,
) -> _Model:
    """surveillance's fitGLM: a quasi-Poisson fit, then (reweight) a refit with Farrington's
    weights from the Anscombe residuals; phi never below 1."""
    first = fit_quasi_poisson(design, y, used.astype(float), offset)
    phi = np.maximum(first.dispersion, 1)
    if not reweight:
        return _Model(first, phi, first.converged, first.dispersion)
    residuals = anscombe_residuals(first, design, y, phi)
    omega = farrington_weights(residuals, used, weights_threshold)
    final = fit_quasi_poisson(design, y, omega, offset)
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = np.sum(np.where(omega > 0, omega * ((y - final.mu) / final.mu) ** 2, 0), axis=1)
        dispersion = np.where(final.df_residual > 0, pearson / final.df_residual, np.nan)
    return _Model(final, np.maximum(final.dispersion, 1), first.converged, dispersion)


def _mean_of(eta: np.ndarray) -> np.ndarray:
    """The log link's inverse as R's: exp, never below machine epsilon."""
    with np.errstate(over="ignore"):
        return np.maximum(np.exp(eta), DOUBLE_EPS)


def _pick(choose: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(choose, a, b)


def _limit54(x: np.ndarray, k: int, limit54: tuple[int, int]) -> np.ndarray:
    """Whether the last limit54[1] counts add up to at least limit54[0] (NaN when unknown)."""
    recent = x[:, max(0, k - limit54[1] + 1) : k + 1].sum(axis=1)
    return np.where(np.isnan(recent), np.nan, (recent >= limit54[0]).astype(float))


def _power_interval(mu0, se, phi, alpha_quantile, powertrans):
    """The bounds of the prediction interval on the power-transformed scale (Farrington's
    2/3 power by default), back-transformed; the upper one, NaN where R's is NA."""
    exponent = {"none": 1.0, "1/2": 0.5, "2/3": 2 / 3}.get(powertrans)
    if exponent is None:
        raise ValueError(f"powertrans must be 2/3, 1/2 or none, not {powertrans!r}")
    tau = phi + se**2 / mu0
    if exponent == 1.0:
        scale = np.sqrt(mu0 * tau)
    elif exponent == 0.5:
        scale = np.sqrt(tau / 4)
    else:  # the delta method's standard deviation of mu^(2/3)
        scale = np.sqrt(4 / 9 * mu0 ** (1 / 3) * tau)
    z = stats.norm.ppf(alpha_quantile)
    with np.errstate(invalid="ignore"):
        low = (mu0**exponent - z * scale) ** (1 / exponent)
        high = (mu0**exponent + z * scale) ** (1 / exponent)
    # R sorts the pair with NA first, so a missing bound leaves the other as the upper one.
    return np.where(np.isnan(high), low, np.where(np.isnan(low), high, np.maximum(low, high)))


def _check_farrington_args(b: int, w: int, limit54, freq: int, dates) -> None:
    if b < 1 or w < 0:
        raise ValueError("b must be at least 1 and w at least 0")
    if not (limit54[0] >= 0 and limit54[1] > 0):
        raise ValueError("limit54 is out of bounds: cases >= 0 and period > 0")
    if dates is not None and freq not in (52, 365):
        raise ValueError("dated series must be weekly (freq 52) or daily (freq 365)")


def farrington(
    counts,
    *,
    dates: np.ndarray | None = None,
    freq: int = 52,
    population=None,
    b: int = 5,
    w: int = 3,
    reweight: bool = True,
    alpha: float = 0.05,
    trend: bool = True,
    limit54: tuple[int, int] = (5, 4),
    powertrans: str = "2/3",
    population_offset: bool = False,
    points=None,
) -> Detection:
    """The original Farrington method, as surveillance's algo.farrington() (fitFun
    algo.farrington.fitGLM.fast, or with population_offset algo.farrington.fitGLM.populationOffset).

    For each monitored point: a quasi-Poisson GLM with a linear trend on the counts within w of
    the same point 1..b years back (with population_offset, on the rate per head of population:
    log(population) is the offset); the trend kept only if b >= 3, significant at 5% and not
    extrapolating above the largest baseline count; the bound the upper end of the two-sided
    (1 - alpha) prediction interval on the `powertrans` scale. expected is the prediction; score
    is (x - expected) / (bound - expected), alarming above 1, set to 0 (as the bound) when the
    last limit54[1] points hold fewer than limit54[0] cases.

    A missing reference count stops R, except with the population offset and no reweighting,
    where R's glm() leaves it out (and stops only if the trend then has to be weighed against
    the largest baseline count).
    """
    _check_farrington_args(b, w, limit54, freq, dates)
    x = as_counts(counts)
    n_series, n = x.shape
    log_population = _log_population(population, x.shape) if population_offset else None
    points = monitored_points(points, freq * b - w - 1, n)
    shape = (n_series, len(points))
    expected, upper, alarm, score = (np.full(shape, np.nan) for _ in range(4))
    for column, k in enumerate(points):
        idx = farrington_reference(k, b=b, w=w, freq=freq, dates=dates)
        if idx.size == 0:
            raise ValueError(f"time point {k + 1}: no reference values exist; start later")
        y = x[:, idx]
        used = ~np.isnan(y)
        if not used.all() and (log_population is None or reweight):
            raise ValueError(
                f"time point {k + 1}: the original Farrington method needs every "
                "reference count (R stops here); use farrington-flexible"
                + (" or reweight=FALSE" if log_population is not None else "")
            )
        y = np.where(used, y, 0.0)
        offset = None if log_population is None else log_population[:, idx]
        offset0 = 0.0 if log_population is None else log_population[:, k]
        wtime = idx + 1.0  # R's time covariate is the 1-based index
        centre = wtime.mean()  # centred for conditioning; the fit does not change
        plain = np.ones((len(idx), 1))
        sloped = np.column_stack([plain, wtime - centre])
        # algo.farrington's weights use a residual threshold of 1 (the flexible one's is 2.58).
        flat = _fit_farrington_glm(plain, y, used, offset, reweight=reweight, weights_threshold=1)
        model_phi = flat.phi
        eta0, var0 = flat.fit.predict_link(np.array([1.0]), offset0)
        keep = stuck = np.zeros(n_series, dtype=bool)
        # R fits the trend for b < 3 too, only to drop it; that matters only with the offset,
        # where a trend fit that does not converge leaves R with another model.
        if trend and (b >= 3 or log_population is not None):
            if log_population is None:
                slope = _fit_farrington_glm(
                    sloped, y, used, None, reweight=reweight, weights_threshold=1
                )
            else:
                slope, fallback, stuck = _fit_offset_trend_glm(
                    sloped, plain, y, used, offset, reweight=reweight, k=k
                )
            x0 = np.array([1.0, k + 1 - centre])
            eta_t, var_t = slope.fit.predict_link(x0, offset0)
            with np.errstate(invalid="ignore"):
                significant = slope.first_converged & (b >= 3) & (slope.fit.p_value(1) < 0.05)
            if (significant & ~used.all(axis=1)).any():
                # R's max(response) is NA then, and its if() stops.
                raise ValueError(
                    f"time point {k + 1}: a significant trend cannot be checked against a "
                    "missing reference count (R stops here)"
                )
            keep = significant & (_mean_of(eta_t) <= y.max(axis=1))
            eta0, var0 = _pick(keep, eta_t, eta0), _pick(keep, var_t, var0)
            model_phi = _pick(keep, slope.phi, flat.phi)
            if stuck.any():
                eta_f, var_f = fallback.predict_link(np.array([1.0]))
                eta0, var0 = _pick(stuck, eta_f, eta0), _pick(stuck, var_f, var0)
                model_phi = _pick(stuck, np.maximum(fallback.dispersion, 1), model_phi)
        if log_population is not None and (~keep & ~stuck & ~flat.first_converged).any():
            raise ValueError(f"time point {k + 1}: the GLM does not converge (R gives up)")
        mu0 = _mean_of(eta0)
        se = np.sqrt(var0 * model_phi) * mu0
        bound = _power_interval(mu0, se, model_phi, 1 - alpha / 2, powertrans)
        enough = _limit54(x, k, limit54)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = (x[:, k] - mu0) / (bound - mu0)
        x_score = np.where(np.isnan(enough), np.nan, np.where(enough == 1, ratio, 0.0))
        expected[:, column] = mu0
        upper[:, column] = np.where(np.isnan(enough), np.nan, np.where(enough == 1, bound, 0.0))
        alarm[:, column] = r_greater(x_score, np.ones_like(x_score))
        score[:, column] = x_score
    return Detection(points, expected, upper, alarm, score)


def _fit_offset_trend_glm(
    sloped: np.ndarray,
    plain: np.ndarray,
    y: np.ndarray,
    used: np.ndarray,
    offset: np.ndarray,
    *,
    reweight: bool,
    k: int,
) -> tuple[_Model, QuasiPoissonFit, np.ndarray]:
    """algo.farrington.fitGLM.populationOffset with the trend, quirks included.

    Where the first fit does not converge, R refits without the trend and (a slip) without the
    offset too. With reweight it then returns to the trend model with the offset, weighted by
    that refit's residuals; without, it keeps the refit. Returns the trend model (its
    first_converged: whether R's model has the trend), the refit, and where R keeps the refit.
    """
    prior = used.astype(float)
    first = fit_quasi_poisson(sloped, y, prior, offset)
    fallback = fit_quasi_poisson(plain, y, prior, None)
    stuck = ~first.converged
    if (stuck & ~fallback.converged).any():
        raise ValueError(f"time point {k + 1}: the GLM does not converge (R gives up)")
    if not reweight:
        model = _Model(first, np.maximum(first.dispersion, 1), ~stuck, first.dispersion)
        return model, fallback, stuck
    phi = np.maximum(np.where(stuck, fallback.dispersion, first.dispersion), 1)
    residuals = np.where(
        stuck[:, None],
        anscombe_residuals(fallback, plain, y, phi),
        anscombe_residuals(first, sloped, y, phi),
    )
    omega = farrington_weights(residuals, used, 1)
    final = fit_quasi_poisson(sloped, y, omega, offset)
    model = _Model(final, np.maximum(final.dispersion, 1), np.ones_like(stuck), final.dispersion)
    return model, fallback, np.zeros_like(stuck)


def _log_population(population, shape: tuple[int, int]) -> np.ndarray:
    """log(population), one per series and time point, for the GLM's offset."""
    if population is None:
        raise ValueError("populationOffset needs a population for every time point")
    values = np.broadcast_to(np.asarray(population, dtype=float), shape)
    if not (np.isfinite(values).all() and (values > 0).all()):
        raise ValueError("populationOffset needs a positive population at every time point")
    return np.log(values)


def farrington_flexible(
    counts,
    *,
    dates: np.ndarray | None = None,
    freq: int = 52,
    population=None,
    b: int = 5,
    w: int = 3,
    reweight: bool = True,
    weights_threshold: float = 2.58,
    alpha: float = 0.05,
    trend: bool = True,
    p_threshold_trend: float = 0.05,
    limit54: tuple[int, int] = (5, 4),
    powertrans: str = "2/3",
    population_offset: bool = False,
    no_periods: int = 1,
    past_weeks_not_included: int | None = None,
    threshold_method: str = "delta",
    points=None,
) -> Detection:
    """The flexible Farrington method (Noufaily et al. 2013), as surveillance's
    farringtonFlexible().

    The baseline is the counts within w of the same point 1..b years back, and with noPeriods > 1
    all of the years between, in noPeriods seasonal groups (a factor in the GLM); the latest
    pastWeeksNotIncluded points are left out. The trend is kept if b >= 3, its p-value is below
    pThresholdTrend and it does not extrapolate above the largest baseline count. The bound is
    the one-sided (1 - alpha) quantile: of the 2/3-power normal approximation (thresholdMethod
    "delta"), or of a negative binomial with the GLM's mean ("nbPlugin") or with the upper
    alpha-quantile of that mean ("muan"). expected is the mean; score is R's
    (x - prediction) / (bound - prediction), on the link scale for nbPlugin and muan as in R.
    An alarm needs score > 1, a non-zero count and limit54 cases in the last limit54[1] points.
    """
    _check_farrington_args(b, w, limit54, freq, dates)
    if threshold_method not in ("delta", "nbPlugin", "muan"):
        raise ValueError(
            f"thresholdMethod must be delta, nbPlugin or muan, not {threshold_method!r}"
        )
    if no_periods < 1:
        raise ValueError("noPeriods must be at least 1")
    x = as_counts(counts)
    n_series, n = x.shape
    log_population = _log_population(population, x.shape) if population_offset else None
    past = w if past_weeks_not_included is None else past_weeks_not_included
    points = monitored_points(points, freq * b + w, n)
    days = None if dates is None else np.asarray(dates, dtype="datetime64[D]")
    shape = (n_series, len(points))
    expected, upper, alarm, score = (np.full(shape, np.nan) for _ in range(4))
    for column, k in enumerate(points):
        idx, groups = flexible_blocks(
            k, b=b, w=w, freq=freq, dates=days, no_periods=no_periods,
            past_weeks_not_included=past,
        )  # fmt: skip
        baseline = _FlexibleBaseline.at(k, idx, groups, x, days, log_population, no_periods)
        eta0, se_link, phi, failed = _flexible_prediction(
            baseline, trend=trend, b=b, p_threshold_trend=p_threshold_trend,
            reweight=reweight, weights_threshold=weights_threshold,
        )  # fmt: skip
        x_k = x[:, k]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if threshold_method == "delta":
                fit = mean = _mean_of(eta0)
                bound = _power_interval(fit, se_link * fit, phi, 1 - alpha, powertrans)
            else:
                fit, mean = eta0, np.exp(eta0)
                bound = _negative_binomial_bound(eta0, se_link, phi, alpha, threshold_method)
            # R's score; for nbPlugin and muan its prediction is on the link scale.
            lu_score = (x_k - fit) / (bound - fit)
            enough = _limit54(x, k, limit54) == 1
            upper[:, column] = np.where(enough, bound, np.nan)
            expected[:, column] = np.where(~np.isnan(bound) & enough, mean, np.nan)
            masked = np.where(enough, lu_score, np.nan)
            alarm[:, column] = (~np.isnan(masked) & (masked > 1) & (x_k != 0)).astype(float)
            score[:, column] = lu_score
        # R gives up on the point (all NA) when no model converged.
        for array in (expected, upper, alarm, score):
            array[failed, column] = np.nan
    return Detection(points, expected, upper, alarm, score)


@dataclass(frozen=True)
class _FlexibleBaseline:
    """The GLM data of one time point for all series: counts, designs and prediction rows."""

    y: np.ndarray  # (S, n), 0 where missing
    used: np.ndarray  # (S, n) whether the count is there
    plain: np.ndarray  # (n, p) intercept and seasonal groups
    sloped: np.ndarray  # (n, p + 1) with the time trend
    x0_plain: np.ndarray  # (S, p) the point to predict
    x0_sloped: np.ndarray  # (S, p + 1)
    offset: np.ndarray | None  # (S, n) log population
    offset0: np.ndarray | float

    @classmethod
    def at(cls, k, idx, groups, x, days, log_population, no_periods) -> _FlexibleBaseline:
        y = x[:, idx]
        used = ~np.isnan(y)
        n_series = len(x)
        # The time covariate: the 1-based index, or for dated series the time in steps since
        # the first baseline point. R predicts from the first point *with a count*, which
        # differs when that one is missing; the quirk is kept.
        if days is None:
            wtime = idx + 1.0
            wtime0 = np.full(n_series, k + 1.0)
        else:
            step = float((days[1] - days[0]).astype(int))
            wtime = (days[idx] - days[idx[0]]).astype(float) / step
            first_used = np.argmax(used, axis=1)
            wtime0 = (days[k] - days[idx[first_used]]).astype(float) / step
        centre = wtime.mean()  # centred for conditioning; the fit does not change
        levels = np.unique(groups)
        seasons = (groups[:, None] == levels[None, 1:]).astype(float)
        season0 = np.broadcast_to(
            (levels[1:] == no_periods).astype(float), (n_series, len(levels) - 1)
        )
        ones = np.ones(n_series)
        return cls(
            y=np.where(used, y, 0.0),
            used=used,
            plain=np.column_stack([np.ones(len(idx)), seasons]),
            sloped=np.column_stack([np.ones(len(idx)), wtime - centre, seasons]),
            x0_plain=np.column_stack([ones, season0]),
            x0_sloped=np.column_stack([ones, wtime0 - centre, season0]),
            offset=None if log_population is None else log_population[:, idx],
            offset0=0.0 if log_population is None else log_population[:, k],
        )


def _flexible_prediction(
    baseline: _FlexibleBaseline,
    *,
    trend: bool,
    b: int,
    p_threshold_trend: float,
    reweight: bool,
    weights_threshold: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """algo.farrington.glm: the prediction on the link scale with its standard error, phi, and
    which series have no model. The trend is kept if b >= 3, significant and not extrapolating
    above the largest baseline count; otherwise (or if its fit does not converge) the model
    is refitted without it."""
    base = baseline

    def fit(design: np.ndarray) -> _Model:
        return _fit_farrington_glm(
            design, base.y, base.used, base.offset,
            reweight=reweight, weights_threshold=weights_threshold,
        )  # fmt: skip

    flat = fit(base.plain)
    eta0, var0 = flat.fit.predict_link(base.x0_plain, base.offset0)
    dispersion, phi = flat.flexible_dispersion, flat.phi
    keep = np.zeros(len(base.y), dtype=bool)
    if trend and b >= 3:  # R fits the trend for b < 3 too, only to drop it
        slope = fit(base.sloped)
        eta_t, var_t = slope.fit.predict_link(base.x0_sloped, base.offset0)
        with np.errstate(invalid="ignore"):
            keep = (
                slope.first_converged
                & (b >= 3)
                & (slope.fit.p_value(1, slope.flexible_dispersion) < p_threshold_trend)
                & (_mean_of(eta_t) <= np.where(base.used, base.y, -np.inf).max(axis=1))
            )
        eta0, var0 = _pick(keep, eta_t, eta0), _pick(keep, var_t, var0)
        dispersion = _pick(keep, slope.flexible_dispersion, dispersion)
        phi = _pick(keep, slope.phi, phi)
    # R has no model where the fit it falls back on does not converge either.
    failed = ~keep & ~flat.first_converged
    # R hands the dispersion to predict() inside newdata by mistake, so the standard error uses
    # summary()'s dispersion (see _Model.flexible_dispersion), not phi = max(dispersion, 1).
    se_link = np.sqrt(var0 * dispersion)
    return eta0, se_link, phi, failed


def _negative_binomial_bound(eta0, se_link, phi, alpha, method):
    """algo.farrington.threshold.noufaily: the (1 - alpha) quantile of a negative binomial
    with variance phi * mean (Poisson when phi is 1), its mean exp(eta0) for nbPlugin or the
    upper alpha-quantile of the mean for muan."""
    if method == "nbPlugin":
        mean = np.exp(eta0)
    else:
        mean = np.exp(stats.norm.ppf(1 - alpha, loc=eta0, scale=se_link))
    finite = np.isfinite(mean)
    overdispersed = phi > 1
    with np.errstate(divide="ignore", invalid="ignore"):
        size = mean / (phi - 1)
        negbin = stats.nbinom.ppf(1 - alpha, size, 1 / phi)
    poisson = stats.poisson.ppf(1 - alpha, mean)
    return np.where(finite, np.where(overdispersed, negbin, poisson), np.nan)
