"""Rt: `crisisgov.earlywarning.algorithms.rt.estimate_rt` on 1,000 synthetic daily series of
365 days against R's EpiEstim 2.2 `estimate_R` on the same series, one call per series as R
users make it (parametric serial interval, default sliding weekly windows, all quantiles).

The series come from the renewal equation with a slowly swinging Rt (fixed seed). Ours is
timed on all series at once, best of 5; R's loop is timed inside R, without reading the file
or starting R. When Rscript or EpiEstim is missing, the R leg is skipped and said so.

argv: `series=N` (default 1000), `days=N` (default 365), `seed=N` (default 1).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from crisisgov.earlywarning.algorithms import rt

MEAN_SI, STD_SI = 4.7, 2.9

R_SCRIPT = """
suppressPackageStartupMessages(library(EpiEstim))
args <- commandArgs(trailingOnly = TRUE)
incidence <- as.matrix(read.csv(args[1], header = FALSE))
days <- ncol(incidence)
config <- make_config(list(mean_si = as.numeric(args[3]), std_si = as.numeric(args[4]),
                           t_start = seq(2, days - 6), t_end = seq(8, days)))
means <- matrix(NA_real_, nrow(incidence), days - 7)
seconds <- system.time(for (i in seq_len(nrow(incidence))) {
  result <- suppressWarnings(estimate_R(incidence[i, ], method = "parametric_si",
                                        config = config))
  means[i, ] <- result$R[["Mean(R)"]]
})[["elapsed"]]
write.table(means, args[2], sep = ",", row.names = FALSE, col.names = FALSE, na = "NA")
cat(sprintf("%s %s\\n", seconds, packageVersion("EpiEstim")))
"""


def synthetic_series(series: int, days: int, seed: int) -> np.ndarray:
    """Daily counts from the renewal equation, Rt swinging around 1 with each area's phase."""
    rng = np.random.default_rng(seed)
    w = rt.discretise_serial_interval(MEAN_SI, STD_SI, days)
    phase = rng.uniform(0, 2 * np.pi, size=(series, 1))
    r = 1 + 0.3 * np.sin(2 * np.pi * np.arange(days) / 120 + phase)
    counts = np.zeros((series, days))
    counts[:, 0] = rng.integers(5, 50, size=series)
    for t in range(1, days):
        lam = counts[:, t - 1 :: -1] @ w[1 : t + 1]
        counts[:, t] = rng.poisson(r[:, t] * lam)
    return counts


def ours(counts: np.ndarray) -> tuple[float, np.ndarray]:
    best, means = np.inf, np.empty(0)
    for _ in range(5):
        started = time.perf_counter()
        w = rt.discretise_serial_interval(MEAN_SI, STD_SI, counts.shape[1])
        estimate = rt.estimate_rt(counts, w)
        means, _std = estimate.mean, estimate.std
        _quantiles = [estimate.quantile(q) for q in rt.QUANTILES]
        best = min(best, time.perf_counter() - started)
    return best, means


def epiestim(counts: np.ndarray) -> tuple[float, np.ndarray, str] | str:
    """R's seconds, means and EpiEstim version, or why the leg cannot run."""
    if shutil.which("Rscript") is None:
        return "Rscript is not installed (apt-get install r-cran-epiestim)"
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        np.savetxt(here / "incidence.csv", counts, fmt="%d", delimiter=",")
        (here / "rt.R").write_text(R_SCRIPT)
        child = subprocess.run(
            ["Rscript", str(here / "rt.R"), str(here / "incidence.csv"), str(here / "means.csv"),
             str(MEAN_SI), str(STD_SI)],
            env={**os.environ, "TZ": "UTC"}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if child.returncode:
            return f"EpiEstim failed or is not installed: {child.stderr.strip()[-300:]}"
        seconds, version = child.stdout.split()[-2:]
        means = np.genfromtxt(here / "means.csv", delimiter=",", missing_values="NA")
    return float(seconds), np.atleast_2d(means), version


def main(argv: list[str]) -> None:
    options = dict(arg.split("=", 1) for arg in argv if "=" in arg)
    series, days = int(options.get("series", "1000")), int(options.get("days", "365"))
    seed = int(options.get("seed", "1"))
    counts = synthetic_series(series, days, seed)
    print(
        f"Rt (Cori et al.): {series:,} synthetic daily series x {days} days, seed {seed};"
        f" parametric SI mean {MEAN_SI} sd {STD_SI}, sliding 7-day windows,"
        f" {int(counts.sum()):,} cases"
    )
    seconds, means = ours(counts)
    print(
        f"  platform (numpy, all series at once)  {seconds:8.3f}s"
        f" {series / seconds:>10,.0f} series/s"
    )
    r_leg = epiestim(counts)
    if isinstance(r_leg, str):
        print(f"  EpiEstim leg skipped: {r_leg}")
        return
    r_seconds, r_means, version = r_leg
    print(
        f"  EpiEstim {version} estimate_R per series   {r_seconds:8.3f}s"
        f" {series / r_seconds:>10,.0f} series/s"
    )
    same_na = np.array_equal(np.isnan(means), np.isnan(r_means))
    both = ~np.isnan(means) & ~np.isnan(r_means)
    difference = np.max(np.abs(means[both] - r_means[both]) / np.abs(r_means[both]))
    print(
        f"  platform is {r_seconds / seconds:,.0f}x faster; max relative difference of the"
        f" means {difference:.2e} over {both.sum():,} windows; NA in the same places: {same_na}"
    )
