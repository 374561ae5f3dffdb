"""Rt against R's EpiEstim 2.2 (fixtures made by reference/rt.R), the projection and the
doubling time on series whose answer is known, and `crisisgov rt` at the console."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from crisisgov.earlywarning.algorithms import rt

REFERENCE = Path(__file__).parent / "reference"
RTOL = 1e-6

# Each EpiEstim case: its input, its serial interval ((mean, sd) or a data set's si_distr),
# and the options other than the defaults.
CASES: dict[str, tuple[str, str | tuple[float, float], dict[str, Any]]] = {
    "flu2009_nonparametric": ("flu2009", "flu2009", {}),
    "flu2009_parametric": ("flu2009", (2.6, 1.5), {}),
    "flu2009_parametric_window14": ("flu2009", (2.6, 1.5), {"window": 14}),
    "flu2009_nonparametric_prior": ("flu2009", "flu2009", {"mean_prior": 2, "std_prior": 1}),
    "flu2009_imported": ("flu2009_imported", (2.6, 1.5), {}),
    "measles1861_parametric": ("measles1861", (14.9, 3.9), {}),
    "sars2003_nonparametric": ("sars2003", "sars2003", {}),
    "sars2003_nonparametric_window14": ("sars2003", "sars2003", {"window": 14}),
}


def read(name: str) -> dict[str, np.ndarray]:
    """A fixture's columns as float arrays, NaN for R's NA (an empty cell)."""
    with (REFERENCE / name).open(newline="") as file:
        rows = list(csv.DictReader(file))
    return {c: np.array([float(r[c]) if r[c] else np.nan for r in rows]) for c in rows[0]}


def inputs(dataset: str) -> tuple[np.ndarray, np.ndarray | None]:
    with (REFERENCE / f"rt_input_{dataset}.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    if "count" in rows[0]:
        return np.array([float(r["count"]) for r in rows]), None
    local = np.array([float(r["local"]) for r in rows])
    return local, np.array([float(r["imported"]) for r in rows])


def serial_interval(si: str | tuple[float, float], days: int) -> np.ndarray:
    if isinstance(si, tuple):
        return rt.discretise_serial_interval(*si, days)
    return read(f"rt_si_{si}.csv")["w"]


def assert_same_table(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> None:
    assert list(ours) == list(rt.COLUMNS) == list(theirs)
    for column in rt.COLUMNS:
        # assert_allclose also fails when the NaNs (R's NA) are not in the same places.
        np.testing.assert_allclose(ours[column], theirs[column], rtol=RTOL, err_msg=column)


@pytest.mark.parametrize("case", CASES)
def test_estimate_rt_equals_epiestim(case):
    dataset, si, options = CASES[case]
    local, imported = inputs(dataset)
    w = serial_interval(si, len(local))
    estimate = rt.estimate_rt(local, w, imported=imported, **options)
    assert_same_table(estimate.table(), read(f"rt_{case}.csv"))


def test_fixtures_have_estimates_and_nas():
    # The comparison means something only if the fixtures hold both kinds of window.
    measles = read("rt_measles1861_parametric.csv")["mean"]
    assert np.isnan(measles[:7]).all() and np.isfinite(measles[7:]).all()
    sars = read("rt_sars2003_nonparametric.csv")["mean"]  # mean serial interval 8.4 days
    assert np.isnan(sars[0]) and np.isfinite(sars[1:]).all()


def test_discretised_serial_interval_equals_discr_si():
    reference = read("rt_discr_si.csv")
    for mean, sd in sorted(set(zip(reference["mean"], reference["sd"], strict=True))):
        rows = (reference["mean"] == mean) & (reference["sd"] == sd)
        ours = rt.discretise_serial_interval(mean, sd, int(rows.sum()))
        # Far in the tail both are ~1e-20; an absolute floor keeps rounding there out.
        np.testing.assert_allclose(ours, reference["w"][rows], rtol=RTOL, atol=1e-15)


def test_many_areas_at_once_equal_one_at_a_time():
    sars, _ = inputs("sars2003")
    w = read("rt_si_sars2003.csv")["w"]
    areas = np.stack([sars, 3 * sars, np.roll(sars, 5), np.zeros_like(sars)])
    together = rt.estimate_rt(areas, w)
    for area, series in enumerate(areas):
        alone = rt.estimate_rt(series, w).table()
        for column, values in together.table(area).items():
            np.testing.assert_allclose(values, alone[column], rtol=1e-12)


def test_imported_cases_do_not_count_towards_rt():
    local, _ = inputs("flu2009")
    w = rt.discretise_serial_interval(2.6, 1.5, len(local))
    plain = rt.estimate_rt(local, w)
    with_imports = rt.estimate_rt(local, w, imported=np.full_like(local, 2.0))
    # Same local cases, more infectors: a lower Rt in every window.
    assert (with_imports.mean < plain.mean).all()


@pytest.mark.parametrize(
    ("w", "message"),
    [
        ([0.1, 0.9], "weight at lag 0 must be 0, not 0.1"),
        ([0, 0.5, 0.4], "weights sum to 0.9, not 1"),
        ([0, 1.2, -0.2], "weight at lag 2 is not a number >= 0"),
    ],
)
def test_a_bad_serial_interval_is_refused(w, message):
    with pytest.raises(ValueError, match=message):
        rt.check_serial_interval(np.array(w))


def test_negative_incidence_and_short_series_are_refused():
    w = rt.discretise_serial_interval(2.6, 1.5, 10)
    with pytest.raises(ValueError, match=">= 0"):
        rt.estimate_rt(np.array([1, 2, -1, 4, 5, 6, 7, 8, 9, 10]), w)
    with pytest.raises(ValueError, match="needs at least 8 days"):
        rt.estimate_rt(np.ones(7), w)


def renewal_series(r: float, days: int, w: np.ndarray, start: float) -> np.ndarray:
    """The deterministic renewal equation I_t = R Lambda_t, from `start` cases on day 1."""
    series = np.zeros(days)
    series[0] = start
    for t in range(1, days):
        series[t] = r * series[t - 1 :: -1] @ w[1 : t + 1]
    return series


def test_projection_of_a_steady_epidemic_stays_flat():
    w = rt.discretise_serial_interval(4.7, 2.9, 100)
    steady = np.full((1, 100), 200.0)
    # A posterior of mean 1 and sd 0.01: R = 1 in all but name.
    projection = rt.project_incidence(steady, w, np.array([1e4]), np.array([1e-4]))
    assert projection.median.shape == (1, 14)
    assert np.abs(projection.median / 200 - 1).max() < 0.1
    assert (projection.low <= projection.median).all()
    assert (projection.median <= projection.high).all()
    assert (projection.low < projection.high).all()


def test_projection_grows_with_rt_and_is_reproducible():
    w = rt.discretise_serial_interval(4.7, 2.9, 60)
    start = renewal_series(1.0, 60, w, 100)[None, :].repeat(2, axis=0)
    shape, scale = np.array([1e4, 1e4]), np.array([0.8e-4, 1.3e-4])  # R 0.8 and 1.3
    first = rt.project_incidence(start, w, shape, scale, dispersion=10)
    again = rt.project_incidence(start, w, shape, scale, dispersion=10)
    np.testing.assert_array_equal(first.median, again.median)
    assert first.median[0, -1] < first.median[0, 0] < first.median[1, 0] < first.median[1, -1]
    # Negative binomial counts spread wider than Poisson counts around the same mean.
    poisson = rt.project_incidence(start, w, shape, scale)
    assert (first.high - first.low).sum() > (poisson.high - poisson.low).sum()


def test_projection_of_an_area_without_estimate_is_nan():
    w = rt.discretise_serial_interval(4.7, 2.9, 30)
    projection = rt.project_incidence(
        np.ones((2, 30)), w, np.array([np.nan, 30.0]), np.array([np.nan, 1 / 30])
    )
    assert np.isnan(projection.median[0]).all() and np.isfinite(projection.median[1]).all()


def test_doubling_time_of_an_exponential():
    days = np.arange(40)
    growing = 20 * np.exp(np.log(2) / 7 * days)  # doubles every 7 days
    shrinking = 2000 * np.exp(-0.05 * days)
    result = rt.doubling_time(np.stack([growing, shrinking]))
    np.testing.assert_allclose(result.rate, [np.log(2) / 7, -0.05], rtol=1e-6)
    np.testing.assert_allclose(result.days[0], 7, rtol=1e-6)
    assert result.days_low[0] < 7 < result.days_high[0]
    assert result.days[1] == result.days_low[1] == result.days_high[1] == np.inf


def test_doubling_time_of_noisy_counts_has_its_truth_in_the_interval():
    rng = np.random.default_rng(3)
    counts = rng.poisson(5 * np.exp(0.1 * np.arange(14)), size=(200, 14))
    result = rt.doubling_time(counts)
    covered = (result.rate_low < 0.1) & (result.rate_high > 0.1)
    assert 0.9 < covered.mean() <= 1.0
    # Days without a case are part of the fit, not dropped.
    assert np.isfinite(rt.doubling_time(np.array([0, 0, 1, 0, 2, 3, 2, 5, 4, 8.0])).rate).all()
    assert np.isnan(rt.doubling_time(np.zeros((1, 14))).rate).all()


# `crisisgov rt` at the console.


def run(*args: str | Path) -> str:
    err = StringIO()
    call_command("rt", *[str(a) for a in args], stdout=StringIO(), stderr=err)
    return err.getvalue()


FLU_SI = ["--si-distr", REFERENCE / "rt_si_flu2009.csv"]


@pytest.mark.parametrize(
    ("case", "arguments"),
    [
        ("flu2009_nonparametric", FLU_SI),
        ("flu2009_parametric_window14", ["--mean-si", "2.6", "--std-si", "1.5", "--window", "14"]),
        ("flu2009_imported", ["--mean-si", "2.6", "--std-si", "1.5"]),
        ("measles1861_parametric", ["--mean-si", "14.9", "--std-si", "3.9"]),
        ("flu2009_nonparametric_prior", [*FLU_SI, "--mean-prior", "2", "--std-prior", "1"]),
    ],
)
def test_command_writes_what_epiestim_gives(case, arguments, tmp_path):
    dataset = CASES[case][0]
    output = tmp_path / "rt.csv"
    err = run("--input", REFERENCE / f"rt_input_{dataset}.csv", "--output", output, *arguments)
    theirs = read(f"rt_{case}.csv")
    assert err == f"wrote {len(theirs['t_start'])} windows to {output}\n"
    with output.open(newline="") as file:
        rows = list(csv.DictReader(file))
    ours = {c: np.array([float(r[c]) if r[c] else np.nan for r in rows]) for c in rt.COLUMNS}
    assert_same_table(ours, theirs)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


SERIES = "t,count\n" + "".join(f"{t},{10 + t}\n" for t in range(1, 21))
GAMMA = ["--mean-si", "3", "--std-si", "2"]


@pytest.mark.parametrize(
    ("incidence", "arguments", "message"),
    [
        (SERIES.replace("5,15", "5,-15"), GAMMA, "{input} line 6, column count: -15 is negative"),
        (SERIES.replace("5,15", "5,x"), GAMMA, "{input} line 6, column count: not a number: 'x'"),
        (SERIES.replace("t,count", "day,count"), GAMMA, "{input}: missing column: date or t"),
        (
            SERIES.replace("t,count", "t,cases"),
            GAMMA,
            "{input}: missing column: count (or local and imported)",
        ),
        (
            "t,local\n1,2\n2,3\n",
            GAMMA,
            "{input}: missing column: imported",
        ),
        (SERIES.replace("\n6,", "\n7,", 1), GAMMA, "{input} line 7, column t: not the day after"),
        (
            "date,count\n2024-01-01,3\n2024-01-03,4\n",
            GAMMA,
            "{input} line 3, column date: not the day after the last",
        ),
        ("date,count\n2024-13-01,3\n", GAMMA, "{input} line 2, column date: '2024-13-01' is not"),
        (SERIES, [*GAMMA, "--window", "20"], "{input}: the series has 20 days; --window 20"),
        (SERIES, ["--mean-si", "3"], "--mean-si needs --std-si"),
        (SERIES, ["--mean-si", "0.5", "--std-si", "1"], "--mean-si/--std-si: the mean serial"),
        (SERIES, [*GAMMA, "--std-prior", "0"], "--std-prior must be above 0"),
    ],
)
def test_command_names_the_problem(incidence, arguments, message, tmp_path):
    file = write(tmp_path / "incidence.csv", incidence)
    output = tmp_path / "rt.csv"
    with pytest.raises(CommandError) as caught:
        run("--input", file, "--output", output, *arguments)
    assert str(caught.value).startswith(message.format(input=file))
    assert not output.exists()


@pytest.mark.parametrize(
    ("si", "message"),
    [
        ("k,w\n0,0\n1,0.5\n2,0.3\n", "--si-distr {si}: the serial interval's weights sum to 0.8"),
        ("k,w\n0,0.1\n1,0.9\n", "--si-distr {si}: the serial interval's weight at lag 0 must"),
        ("k,w\n0,0\n2,1\n", "{si} line 3, column k: expected lag 1"),
        ("k,p\n0,0\n1,1\n", "{si}: missing column: w"),
    ],
)
def test_command_names_the_problem_in_the_serial_interval(si, message, tmp_path):
    file = write(tmp_path / "incidence.csv", SERIES)
    si_file = write(tmp_path / "si.csv", si)
    with pytest.raises(CommandError) as caught:
        run("--input", file, "--output", tmp_path / "rt.csv", "--si-distr", si_file)
    assert str(caught.value).startswith(message.format(si=si_file))


def test_command_moves_first_day_local_cases_to_imported(tmp_path):
    # As EpiEstim does: nothing in the series can have infected the first day's cases.
    rows = "".join(f"{t},{10 + t},0\n" for t in range(1, 21))
    local = write(tmp_path / "local.csv", "t,local,imported\n" + rows)
    plain = write(tmp_path / "plain.csv", SERIES)
    run("--input", local, "--output", tmp_path / "a.csv", *GAMMA)
    run("--input", plain, "--output", tmp_path / "b.csv", *GAMMA)
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
