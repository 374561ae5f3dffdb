"""Outbreak detectors for count series, equal to R's surveillance package 1.20.

EARS C1, C2 and C3 (`earsC`), the CUSUM (`algo.cusum`), the original Farrington method
(`algo.farrington`) and the flexible Farrington method of Noufaily et al. 2013
(`farringtonFlexible`). Each takes a 2-D array of counts, one row per series and one column per
time point (NaN where a count is missing), and returns a `Detection` over the monitored time
points. The arithmetic is R's, quirks included, so that bounds agree to rounding and alarms
exactly; the tests compare them with fixtures made by tests/reference/detectors.R.

Time points are 0-based indices here; R's `range` is 1-based.
"""

from __future__ import annotations

from .detectors_common import Detection
from .detectors_cusum import cusum
from .detectors_ears import ears_c
from .detectors_farrington import farrington, farrington_flexible

__all__ = ["Detection", "cusum", "ears_c", "farrington", "farrington_flexible"]
