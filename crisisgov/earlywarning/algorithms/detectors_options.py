"""Run a detector by its command-line name with options named as in R's surveillance package.

This is what `crisisgov detect METHOD --set name=value` and the reference tests share: the
option names, their types and their checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .detectors import Detection, cusum, ears_c, farrington, farrington_flexible

METHODS = ("ears-c1", "ears-c2", "ears-c3", "cusum", "farrington", "farrington-flexible")


class OptionError(ValueError):
    """An option that is unknown for the method or whose value does not parse."""


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "t", "1", "yes"):
        return True
    if value in ("false", "f", "0", "no"):
        return False
    raise ValueError("expected TRUE or FALSE")


def _pair(text: str) -> tuple[int, int]:
    parts = [int(p) for p in text.replace(" ", "").split(",")]
    if len(parts) != 2:
        raise ValueError("expected two integers, e.g. 5,4")
    return parts[0], parts[1]


# R's name -> (Python keyword, parser)
Options = dict[str, tuple[str, Callable[[str], Any]]]
_COMMON: Options = {"range": ("points", str)}
_EARS: Options = {
    "baseline": ("baseline", int),
    "alpha": ("alpha", float),
    "minSigma": ("min_sigma", float),
}
_CUSUM: Options = {
    "k": ("k", float),
    "h": ("h", float),
    "m": ("m", lambda text: "glm" if text.strip() == "glm" else float(text)),
    "trans": ("trans", str),
    "alpha": ("alpha", float),
    "freq": ("freq", int),
}
_FARRINGTON: Options = {
    "b": ("b", int),
    "w": ("w", int),
    "reweight": ("reweight", _boolean),
    "alpha": ("alpha", float),
    "trend": ("trend", _boolean),
    "limit54": ("limit54", _pair),
    "powertrans": ("powertrans", str),
    "freq": ("freq", int),
}
_FIT_FUNCTIONS = {
    "algo.farrington.fitGLM.fast": False,
    "algo.farrington.fitGLM.populationOffset": True,
}


def _fit_function(text: str) -> bool:
    """algo.farrington's fitFun, as whether the GLM has the population offset."""
    if text.strip() not in _FIT_FUNCTIONS:
        raise ValueError(f"expected one of {', '.join(_FIT_FUNCTIONS)}")
    return _FIT_FUNCTIONS[text.strip()]


_ORIGINAL: Options = {
    **_FARRINGTON,
    # R 1.20 names it by fitFun; populationOffset (farringtonFlexible's name) says the same.
    "fitFun": ("population_offset", _fit_function),
    "populationOffset": ("population_offset", _boolean),
}
_FLEXIBLE: Options = {
    **_FARRINGTON,
    "weightsThreshold": ("weights_threshold", float),
    "pThresholdTrend": ("p_threshold_trend", float),
    "populationOffset": ("population_offset", _boolean),
    "noPeriods": ("no_periods", int),
    "pastWeeksNotIncluded": ("past_weeks_not_included", int),
    "thresholdMethod": ("threshold_method", str),
}
OPTIONS: dict[str, Options] = {
    "ears-c1": _EARS,
    "ears-c2": _EARS,
    "ears-c3": _EARS,
    "cusum": _CUSUM,
    "farrington": _ORIGINAL,
    "farrington-flexible": _FLEXIBLE,
}


def _range(text: str, n: int) -> np.ndarray:
    """R's range, 1-based: "A:B", or "A" for A to the end; returned 0-based."""
    first, _, last = text.partition(":")
    start, stop = int(first), int(last) if last else n
    if not 1 <= start <= stop <= n:
        raise ValueError(f"expected 1 <= start <= end <= {n}")
    return np.arange(start - 1, stop)


def parse_options(method: str, options: Mapping[str, str], n: int) -> dict[str, Any]:
    """The keyword arguments for `method` from R-named options given as text."""
    if method not in METHODS:
        raise OptionError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    known = {**_COMMON, **OPTIONS[method]}
    kwargs: dict[str, Any] = {}
    for name, text in options.items():
        if name not in known:
            raise OptionError(
                f"unknown option {name!r} for {method}; known: {', '.join(sorted(known))}"
            )
        keyword, parse = known[name]
        try:
            kwargs[keyword] = _range(text, n) if name == "range" else parse(text)
        except ValueError as error:
            raise OptionError(f"option {name}={text!r}: {error}") from error
    return kwargs


def infer_freq(dates: np.ndarray | None) -> int:
    """52 for weekly, 365 for daily dated series; index-based series are taken as weekly."""
    if dates is None or len(dates) < 2:
        return 52
    steps = np.unique(np.diff(np.asarray(dates, dtype="datetime64[D]")).astype(int))
    if steps.tolist() == [7]:
        return 52
    if steps.tolist() == [1]:
        return 365
    raise OptionError("dates must be evenly spaced, one week or one day apart, without gaps")


def run_detector(
    method: str,
    counts: np.ndarray,
    *,
    dates: np.ndarray | None = None,
    population: np.ndarray | None = None,
    options: Mapping[str, str] | None = None,
) -> Detection:
    """Run `method` on counts (series x time) with R-named text options."""
    kwargs = parse_options(method, options or {}, np.shape(counts)[-1])
    if method.startswith("ears-"):
        return ears_c(counts, method=method[-2:].upper(), **kwargs)
    if method == "cusum":
        if "points" not in kwargs:
            raise OptionError("cusum needs range=START:END (the monitored points, 1-based)")
        if kwargs.get("m") == "glm":
            kwargs.setdefault("freq", infer_freq(dates))
        return cusum(counts, **kwargs)
    kwargs.setdefault("freq", infer_freq(dates))
    if method == "farrington":
        return farrington(counts, dates=dates, population=population, **kwargs)
    return farrington_flexible(counts, dates=dates, population=population, **kwargs)
