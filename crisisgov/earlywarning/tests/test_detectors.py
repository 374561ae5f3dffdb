"""The outbreak detectors against R's surveillance 1.20 (fixtures by reference/detectors.R).

Bounds, expected values and scores within 1e-6 relative, alarms exactly, NA at the same places.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from crisisgov.earlywarning.algorithms.detectors import (
    cusum,
    ears_c,
    farrington,
    farrington_flexible,
)
from crisisgov.earlywarning.algorithms.detectors_options import OptionError, run_detector
from crisisgov.earlywarning.algorithms.detectors_reference import flexible_blocks, years_back

REFERENCE = Path(__file__).parent / "reference"


def _read(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, newline="") as handle:
        return list(csv.DictReader(handle))


def _number(text: str) -> float:
    return float(text) if text != "" else np.nan


def load_input(name: str):
    """counts (regions x time), dates or None, population or None, region names."""
    rows = _read(f"detectors_{name}.csv")
    regions = list(dict.fromkeys(r["region"] for r in rows))
    by_region = {region: [r for r in rows if r["region"] == region] for region in regions}
    counts = np.array([[_number(r["count"]) for r in by_region[g]] for g in regions])
    first = by_region[regions[0]]
    dates = (
        np.array([r["date"] for r in first], dtype="datetime64[D]") if "date" in rows[0] else None
    )
    population = None
    if "population" in rows[0]:
        population = np.array([[float(r["population"]) for r in by_region[g]] for g in regions])
    return counts, dates, population, regions


CASES = _read("detectors_cases.csv")
EXPECTED = _read("detectors_expected.csv")


def _options(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split(";") if part)


def _close(ours: np.ndarray, theirs: np.ndarray, absolute: float = 0.0) -> np.ndarray:
    both_na = np.isnan(ours) & np.isnan(theirs)
    with np.errstate(invalid="ignore"):
        near = np.abs(ours - theirs) <= np.maximum(1e-6 * np.abs(theirs), absolute)
    return both_na | near | (ours == theirs)


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_detector_equals_r(case):
    counts, dates, population, regions = load_input(case["data"])
    result = run_detector(
        case["method"],
        counts,
        dates=dates,
        population=population,
        options=_options(case["options"]),
    )
    rows = [r for r in EXPECTED if r["case"] == case["case"]]
    assert len(rows) == len(regions) * len(result.points)
    for i, region in enumerate(regions):
        theirs = [r for r in rows if r["region"] == region]
        assert [int(r["t"]) - 1 for r in theirs] == result.points.tolist()
        for column in ("expected", "upperbound", "score", "alarm"):
            want = np.array([_number(r[column]) for r in theirs])
            got = getattr(result, column)[i]
            # A score of an observation equal to its prediction is rounding noise (1e-14) in
            # both; it gets an absolute tolerance. Bounds and expected values are relative only.
            bad = np.flatnonzero(~_close(got, want, 1e-9 if column == "score" else 0.0))
            assert bad.size == 0, (
                f"{region} {column}: {bad.size} of {len(want)} differ, first at "
                f"t={result.points[bad[0]] + 1}: ours {got[bad[0]]!r}, R {want[bad[0]]!r}"
            )


def test_batch_equals_one_series_at_a_time():
    """The detectors are vectorised over series; each row must come out as if run alone."""
    counts, dates, population, _ = load_input("salmnewport")
    points = np.arange(300, 330)
    batch = farrington_flexible(counts, dates=dates, points=points, no_periods=3)
    for i in range(len(counts)):
        alone = farrington_flexible(counts[i], dates=dates, points=points, no_periods=3)
        np.testing.assert_allclose(alone.upperbound[0], batch.upperbound[i], rtol=1e-10)
        np.testing.assert_array_equal(alone.alarm[0], batch.alarm[i])
    c1 = ears_c(counts, method="C1")
    assert c1.upperbound.shape == (2, counts.shape[1] - 7)
    np.testing.assert_array_equal(ears_c(counts[1], method="C1").upperbound[0], c1.upperbound[1])


def test_cusum_stops_at_a_missing_count_as_r_does():
    counts = np.array([2.0, 3, 2, 4, 3, 9, np.nan, 1, 2])
    result = cusum(counts, points=np.arange(4, 9))
    assert result.expected[0, 0] == pytest.approx(2.75)
    assert np.isnan(result.score[0, 2:]).all() and np.isnan(result.alarm[0, 2:]).all()
    assert (result.upperbound[0, 3:] == 0).all()  # R replaces an NA bound by 0


def test_farrington_population_offset_by_either_r_name():
    """R 1.20 takes the offset as fitFun; populationOffset=TRUE (the flexible method's name)
    must give the same."""
    counts, _, population, _ = load_input("ha")
    fit_fun = {"fitFun": "algo.farrington.fitGLM.populationOffset", "range": "200:230"}
    by_fit_fun = run_detector("farrington", counts, population=population, options=fit_fun)
    by_flag = run_detector(
        "farrington",
        counts,
        population=population,
        options={"populationOffset": "TRUE", "range": "200:230"},
    )
    np.testing.assert_array_equal(by_fit_fun.upperbound, by_flag.upperbound)
    np.testing.assert_array_equal(by_fit_fun.alarm, by_flag.alarm)
    plain = run_detector("farrington", counts, options={"range": "200:230"})
    assert not np.allclose(plain.expected, by_flag.expected)  # the offset changes the fit
    fast = {"fitFun": "algo.farrington.fitGLM.fast", "range": "200:230"}
    same = run_detector("farrington", counts, population=population, options=fast)
    np.testing.assert_array_equal(same.upperbound, plain.upperbound)


def test_farrington_population_offset_stops_where_r_stops():
    counts, _, population, _ = load_input("ha")
    with pytest.raises(ValueError, match="needs a population"):
        farrington(counts, population_offset=True, points=[260])
    gap = counts.copy()
    gap[:, 260 - 104] = np.nan  # a reference count of point 261 (b=3, w=2)
    # With reweighting R's glm() drops the row but not its weight: "variable lengths differ".
    with pytest.raises(ValueError, match="needs every reference count"):
        farrington(gap, population=population, population_offset=True, b=3, w=2, points=[260])
    # Without, the point is fitted on the counts there are.
    result = farrington(
        gap, population=population, population_offset=True, reweight=False, b=3, w=2,
        trend=False, points=[260],
    )  # fmt: skip
    assert np.isfinite(result.upperbound).all()


@pytest.mark.parametrize(
    ("method", "options", "message"),
    [
        ("farrington", {"fitFun": "algo.farrington.fitGLM"}, "fitFun='algo.farrington.fitGLM'"),
        ("cusum", {"m": "median", "range": "10:20"}, "m='median'"),
        ("ears-c1", {"b": "5"}, "unknown option 'b' for ears-c1"),
        ("farrington-flexible", {"reweight": "maybe"}, "reweight='maybe'"),
        ("farrington", {"limit54": "5"}, "limit54='5'"),
        ("farrington-flexible", {"range": "0:10"}, "range='0:10'"),
        ("median", {}, "unknown method 'median'"),
    ],
)
def test_options_are_checked_by_their_r_names(method, options, message):
    with pytest.raises(OptionError, match=message):
        run_detector(method, np.ones((1, 300)), options=options)


def test_cusum_glm_mean_is_seasonal_and_needs_a_training_period():
    t = np.arange(208)
    counts = np.round(5 + 4 * np.sin(2 * np.pi * t / 52))
    result = cusum(counts, points=np.arange(156, 208), m="glm")
    # one m per point, peaking where the counts do (a quarter period in) and lowest 26 later
    assert abs(result.expected[0].argmax() - 13) <= 1
    assert abs(result.expected[0].argmin() - 39) <= 1
    with pytest.raises(ValueError, match="before the range"):
        cusum(counts, points=np.arange(0, 10), m="glm")


def test_unknown_threshold_method_and_power():
    with pytest.raises(ValueError, match="thresholdMethod"):
        farrington_flexible(np.ones(300), threshold_method="exact")
    with pytest.raises(ValueError, match="powertrans"):
        farrington_flexible(np.ones(300), powertrans="1/3")


def test_dated_reference_weeks_261_weeks_back():
    """salmNewport's first default point (264, 2009-01-19): five calendar years back is
    2004-01-19, the series' third week, 261 weeks back; its window of w=3 would start one week
    before the data, and R's indexing silently drops that week."""
    _, dates, _, _ = load_input("salmnewport")
    idx, groups = flexible_blocks(
        263, b=5, w=3, freq=52, dates=dates, no_periods=1, past_weeks_not_included=3
    )
    assert str(dates[263]) == "2009-01-19"
    assert idx[:6].tolist() == [0, 1, 2, 3, 4, 5]  # 2004-01-05 .. 2004-02-09, no week before
    assert str(dates[2]) == "2004-01-19" and int((dates[263] - dates[2]).astype(int)) == 261 * 7
    assert len(idx) == 6 + 4 * 7 and set(groups) == {1}


def test_years_back_rolls_29_february_to_1_march_as_r():
    import datetime as dt

    assert years_back(dt.date(2024, 2, 29), 1) == dt.date(2023, 3, 1)
    assert years_back(dt.date(2024, 2, 29), 4) == dt.date(2020, 2, 29)
