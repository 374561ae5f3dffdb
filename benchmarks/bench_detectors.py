"""Outbreak detectors: series per second of EARS C1/C2/C3 and the flexible Farrington method
(`crisisgov.earlywarning.algorithms.detectors`) on many synthetic weekly series, against R's
surveillance package on the same input when Rscript is there.

The series: 5 years of weekly Poisson counts (fixed seed), each with its own level and seasonal
amplitude, with a 4-week outbreak injected into a random place of the last two years of a third of
them. EARS monitors every point it can; Farrington flexible (b=3, w=3, the rest R's defaults)
the points from week 160 on, the first with three years of history.

R is slow (about 1 series/s for Farrington flexible), so it runs on the first `r_series` (EARS:
`r_ears_series`) series only; its series/s is measured on those, and the alarms of both are
compared on them point by point (NA included).

argv: `series=N` (default 10000), `seed=N` (1), `r_series=N` (40), `r_ears_series=N` (1000).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

WEEKS = 5 * 52
B, W = 3, 3

R_SCRIPT = r"""
suppressMessages(library(surveillance))
args <- commandArgs(trailingOnly = TRUE)
x <- as.matrix(read.csv(args[1], header = FALSE))
n_ears <- as.integer(args[3]); n_flex <- as.integer(args[4])
s <- sts(t(x), start = c(2015, 1), freq = 52)
timings <- c()
alarms <- list()
for (method in c("C1", "C2", "C3")) {
  started <- Sys.time()
  res <- earsC(s[, 1:n_ears], control = list(method = method))
  timings[method] <- as.numeric(Sys.time() - started, units = "secs")
  alarms[[method]] <- alarms(res)
}
started <- Sys.time()
flex <- sapply(1:n_flex, function(j) {
  alarms(farringtonFlexible(s[, j], control = list(b = 3, w = 3)))
})
timings["flexible"] <- as.numeric(Sys.time() - started, units = "secs")
alarms[["flexible"]] <- flex
for (name in names(alarms)) {
  a <- alarms[[name]]
  write.table(ifelse(is.na(a), -1, a * 1), file.path(args[2], paste0(name, ".csv")),
              sep = ",", row.names = FALSE, col.names = FALSE)
}
write.csv(data.frame(name = names(timings), seconds = timings),
          file.path(args[2], "timings.csv"), row.names = FALSE)
"""


def synthetic_series(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts (n x WEEKS) and a mask of the injected outbreak weeks."""
    rng = np.random.default_rng(seed)
    t = np.arange(WEEKS)
    level = rng.uniform(0.0, 3.0, n)[:, None]
    amplitude = rng.uniform(0.0, 0.8, n)[:, None]
    mean = np.exp(level + amplitude * np.sin(2 * np.pi * t / 52 + rng.uniform(0, 6.3, n)[:, None]))
    counts = rng.poisson(mean).astype(float)
    outbreak = np.zeros_like(counts, dtype=bool)
    hit = np.flatnonzero(rng.random(n) < 1 / 3)
    starts = rng.integers(WEEKS - 104, WEEKS - 4, hit.size)
    for i, start in zip(hit, starts, strict=True):
        weeks = slice(start, start + 4)
        counts[i, weeks] += rng.poisson(3 * np.sqrt(mean[i, weeks]) + 2)
        outbreak[i, weeks] = True
    return counts, outbreak


def _ours(counts: np.ndarray) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    from crisisgov.earlywarning.algorithms.detectors import ears_c, farrington_flexible

    seconds, alarms = {}, {}
    for method in ("C1", "C2", "C3"):
        started = time.perf_counter()
        alarms[method] = ears_c(counts, method=method).alarm
        seconds[method] = time.perf_counter() - started
    started = time.perf_counter()
    alarms["flexible"] = farrington_flexible(counts, b=B, w=W).alarm
    seconds["flexible"] = time.perf_counter() - started
    return seconds, alarms


def _r(counts: np.ndarray, n_ears: int, n_flex: int) -> tuple[dict, dict] | None:
    if shutil.which("Rscript") is None:
        print("  R leg skipped: Rscript is not installed (apt-get install r-cran-surveillance)")
        return None
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        np.savetxt(here / "x.csv", counts[: max(n_ears, n_flex)], fmt="%d", delimiter=",")
        (here / "run.R").write_text(R_SCRIPT)
        subprocess.run(
            ["Rscript", str(here / "run.R"), str(here / "x.csv"), folder, str(n_ears),
             str(n_flex)],
            check=True, capture_output=True,
        )  # fmt: skip
        lines = (here / "timings.csv").read_text().splitlines()[1:]
        seconds = {n.strip('"'): float(s) for n, s in (line.split(",") for line in lines)}
        alarms = {}
        for name in ("C1", "C2", "C3", "flexible"):
            a = np.loadtxt(here / f"{name}.csv", delimiter=",", ndmin=2).T  # series x points
            alarms[name] = np.where(a < 0, np.nan, a)
    return seconds, alarms


def main(argv: list[str]) -> None:
    options = dict(arg.split("=", 1) for arg in argv if "=" in arg)
    n, seed = int(options.get("series", "10000")), int(options.get("seed", "1"))
    n_flex = min(n, int(options.get("r_series", "40")))
    n_ears = min(n, int(options.get("r_ears_series", "1000")))
    started = time.perf_counter()
    counts, outbreak = synthetic_series(n, seed)
    print(
        f"detectors: {n:,} weekly series x {WEEKS} weeks, seed {seed}, "
        f"{outbreak.any(axis=1).sum():,} with an outbreak; generated in "
        f"{time.perf_counter() - started:.1f}s"
    )
    ours_seconds, ours_alarms = _ours(counts)
    r = _r(counts, n_ears, n_flex)
    for name, label in (
        ("C1", "EARS C1"),
        ("C2", "EARS C2"),
        ("C3", "EARS C3"),
        ("flexible", f"Farrington flexible b={B} w={W}"),
    ):
        rate = n / ours_seconds[name]
        flagged = np.nan_to_num(ours_alarms[name]).astype(bool)
        monitored = outbreak[:, -flagged.shape[1] :]
        found = (flagged & monitored).sum() / max(monitored.sum(), 1)
        line = (
            f"  {label:<32} ours {rate:>10,.0f} series/s ({ours_seconds[name]:6.1f}s); "
            f"outbreak weeks flagged {found:.1%}"
        )
        if r is not None:
            r_seconds, r_alarms = r
            subset = n_flex if name == "flexible" else n_ears
            r_rate = subset / r_seconds[name]
            mine, theirs = ours_alarms[name][:subset], r_alarms[name]
            same = (mine == theirs) | (np.isnan(mine) & np.isnan(theirs))
            line += (
                f"; R {r_rate:>8,.1f} series/s (on {subset:,}); ratio {rate / r_rate:,.0f}x;"
                f" alarms identical {same.sum():,}/{same.size:,}"
            )
        print(line)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
