"""Quasi-Poisson log-linear GLMs fitted as R's `glm.fit` fits them, for many series at once.

The Farrington detectors fit one small GLM per series and time point. Here one call fits the same
design to every series of a batch: the iterations are R's (start at y + 0.1, iteratively
reweighted least squares, stop when the deviance changes by less than 1e-8 relatively, at most 25
iterations), so the number of iterations, the convergence flag, the dispersion and the
standard errors come out as R's do, to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

EPSILON = 1e-8  # glm.control()$epsilon
MAXIT = 25  # glm.control()$maxit
DOUBLE_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class QuasiPoissonFit:
    """A fit of one design to S series; arrays are indexed [series, ...]."""

    coef: np.ndarray  # (S, p)
    mu: np.ndarray  # (S, n) fitted means
    working_weights: np.ndarray  # (S, n) of the last iteration, 0 where the prior weight is 0
    cov_unscaled: np.ndarray  # (S, p, p) inverse of X'WX at the last iteration
    dispersion: np.ndarray  # (S,) summary.glm's Pearson estimate (NaN with no residual df)
    df_residual: np.ndarray  # (S,)
    converged: np.ndarray  # (S,) bool

    def hat_values(self, design: np.ndarray) -> np.ndarray:
        """The diagonal of the hat matrix, as R's hatvalues() (0 where the weight is 0)."""
        n_series, p, _ = self.cov_unscaled.shape
        quad = self.cov_unscaled.reshape(n_series, p * p) @ _outer_rows(design).T
        return self.working_weights * quad

    def predict_link(self, x0: np.ndarray, offset0: np.ndarray | float = 0.0):
        """eta0 and its unscaled variance x0' (X'WX)^-1 x0 at one new point per series.

        x0 is (p,) or (S, p)."""
        x0 = np.broadcast_to(x0, self.coef.shape)
        eta0 = np.einsum("sp,sp->s", x0, self.coef) + offset0
        var0 = np.einsum("sp,spq,sq->s", x0, self.cov_unscaled, x0)
        return eta0, var0

    def p_value(self, column: int, dispersion: np.ndarray | None = None) -> np.ndarray:
        """Two-sided t-test p-value of one coefficient, as summary.glm gives it for quasi
        families (dispersion estimated, t with the residual df)."""
        dispersion = self.dispersion if dispersion is None else dispersion
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(dispersion * self.cov_unscaled[:, column, column])
            t = self.coef[:, column] / se
            return 2 * stats.t.sf(np.abs(t), self.df_residual)


def _outer_rows(design: np.ndarray) -> np.ndarray:
    """x_i x_i' of every row, flattened: (n, p * p)."""
    n, p = design.shape
    return (design[:, :, None] * design[:, None, :]).reshape(n, p * p)


def _deviance(y: np.ndarray, mu: np.ndarray, prior: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu) - (y - mu), mu)
    return 2 * np.sum(prior * term, axis=1)


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        # A rank-deficient batch member; R would pivot the column out. Rare: the pseudo-inverse
        # gives the same fitted values.
        return np.einsum("spq,sq->sp", np.linalg.pinv(a), b)


def fit_quasi_poisson(
    design: np.ndarray,
    y: np.ndarray,
    prior: np.ndarray,
    offset: np.ndarray | None = None,
) -> QuasiPoissonFit:
    """Fit log E[y] = design @ beta + offset, quasi-Poisson, for each row of y.

    design is (n, p), shared by all series; y and prior are (S, n). A prior weight of 0 drops an
    observation (R drops rows whose response is NA); y there may be anything finite.
    """
    n_series, n = y.shape
    p = design.shape[1]
    y = np.where(prior > 0, y, 0.0)
    offset = np.zeros((n_series, n)) if offset is None else np.broadcast_to(offset, y.shape)
    mu = y + 0.1
    eta = np.log(mu)
    dev_old = _deviance(y, mu, prior)
    coef = np.zeros((n_series, p))
    weights = np.zeros((n_series, n))
    cov = np.zeros((n_series, p, p))
    converged = np.zeros(n_series, dtype=bool)
    active = np.arange(n_series)
    outer = _outer_rows(design)
    for _ in range(MAXIT):
        mu_a, eta_a, y_a = mu[active], eta[active], y[active]
        w = prior[active] * mu_a  # (weights * mu.eta^2 / variance) for the log link
        z = eta_a - offset[active] + (y_a - mu_a) / mu_a
        xtwx = (w @ outer).reshape(-1, p, p)  # X'WX of every series in one matrix product
        xtwz = (w * z) @ design
        beta = _solve(xtwx, xtwz)
        eta_new = beta @ design.T + offset[active]
        mu_new = np.maximum(np.exp(eta_new), DOUBLE_EPS)
        dev = _deviance(y_a, mu_new, prior[active])
        coef[active], eta[active], mu[active] = beta, eta_new, mu_new
        weights[active] = w
        cov[active] = xtwx
        done = np.abs(dev - dev_old[active]) / (np.abs(dev) + 0.1) < EPSILON
        dev_old[active] = dev
        converged[active[done]] = True
        active = active[~done]
        if active.size == 0:
            break
    try:
        cov_unscaled = np.linalg.inv(cov)
    except np.linalg.LinAlgError:
        cov_unscaled = np.linalg.pinv(cov)
    used = prior > 0
    df_residual = used.sum(axis=1) - p
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = np.sum(np.where(used, weights * ((y - mu) / mu) ** 2, 0.0), axis=1)
        dispersion = np.where(df_residual > 0, pearson / df_residual, np.nan)
    return QuasiPoissonFit(coef, mu, weights, cov_unscaled, dispersion, df_residual, converged)


def anscombe_residuals(
    fit: QuasiPoissonFit, design: np.ndarray, y: np.ndarray, phi: np.ndarray
) -> np.ndarray:
    """surveillance's anscombe.residuals(): Anscombe residuals scaled by phi and leverage."""
    mu = fit.mu
    h = fit.hat_values(design)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 1.5 * (y ** (2 / 3) * mu ** (-1 / 6) - mu**0.5)
        return a / np.sqrt(phi[:, None] * (1 - h))


def farrington_weights(s: np.ndarray, used: np.ndarray, threshold: float) -> np.ndarray:
    """surveillance's algo.farrington.assign.weights(): down-weight large residuals, the
    weights rescaled to sum to the number of observations."""
    with np.errstate(divide="ignore", invalid="ignore"):
        large = s > threshold
        inverse_square = s ** (-2.0)
        terms = np.where(used, np.where(large, inverse_square, 1.0), 0.0)
        gamma = used.sum(axis=1) / terms.sum(axis=1)
        omega = np.where(large, gamma[:, None] * inverse_square, gamma[:, None])
    return np.where(used, omega, 0.0)
