"""`crisisgov detect`: files in, files out, and clear errors for bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

REFERENCE = Path(__file__).parent / "reference"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _expected(case: str) -> list[dict[str, str]]:
    return [r for r in _rows(REFERENCE / "detectors_expected.csv") if r["case"] == case]


def _detect(*args: str) -> None:
    out = io.StringIO()
    call_command("detect", *args, stdout=out)
    assert "wrote" in out.getvalue()


def _write(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _same(ours: str, theirs: str) -> bool:
    if ours == "" or theirs == "":
        return ours == theirs
    return abs(float(ours) - float(theirs)) <= 1e-6 * max(abs(float(theirs)), 1e-12)


def test_flexible_on_dated_regions_equals_r(tmp_path):
    source = shutil.copy(REFERENCE / "detectors_salmnewport.csv", tmp_path / "in.csv")
    _detect("farrington-flexible", "--input", source, "--output", tmp_path / "out.csv")
    ours = _rows(tmp_path / "out.csv")
    theirs = _expected("flexible_newport")
    assert [r["region"] for r in ours] == [r["region"] for r in theirs]
    assert ours[0]["date"] == "2009-01-19"  # point 264, its reference weeks 261 weeks back
    for mine, r in zip(ours, theirs, strict=True):
        assert mine["alarm"] == r["alarm"]
        for column in ("expected", "upperbound", "score"):
            assert _same(mine[column], r[column]), (mine, r)


def test_year_week_input_and_options(tmp_path):
    rows = _rows(REFERENCE / "detectors_salmnewport.csv")
    weekly = []
    for r in rows:
        year, week, _ = dt.date.fromisoformat(r["date"]).isocalendar()
        weekly.append([r["region"], year, week, r["count"]])
    source = _write(tmp_path / "in.csv", ["region", "year", "week", "count"], weekly)
    out = tmp_path / "out.csv"
    _detect("ears-c2", "--input", source, "--output", out, "--set", "range=400:528")
    ours = _rows(out)
    theirs = _expected("ears_c2_newport")
    assert list(ours[0]) == [
        "region",
        "year",
        "week",
        "observed",
        "expected",
        "upperbound",
        "alarm",
        "score",
    ]
    assert (ours[0]["year"], ours[0]["week"]) == ("2011", "35")
    assert [r["alarm"] for r in ours] == [r["alarm"] for r in theirs]
    assert all(_same(a["upperbound"], b["upperbound"]) for a, b in zip(ours, theirs, strict=True))


def test_index_series_with_population_offset_and_missing_counts(tmp_path):
    source = shutil.copy(REFERENCE / "detectors_daily.csv", tmp_path / "in.csv")
    out = tmp_path / "out.csv"
    _detect(
        "farrington-flexible",
        "--input",
        source,
        "--output",
        out,
        *("--set", "b=3", "--set", "w=5", "--set", "noPeriods=5"),
        *("--set", "pastWeeksNotIncluded=7", "--set", "thresholdMethod=nbPlugin"),
        *("--set", "populationOffset=TRUE", "--set", "range=1150:1215"),
    )
    ours = _rows(out)
    theirs = _expected("flexible_daily_noufaily")
    missing = next(r for r in ours if r["date"] == "2022-02-23")  # point 1150, count NA
    assert missing["observed"] == "" and missing["upperbound"] == "" and missing["alarm"] == "0"
    assert [r["alarm"] for r in ours] == [r["alarm"] for r in theirs]


def test_farrington_with_population_offset_equals_r(tmp_path):
    source = shutil.copy(REFERENCE / "detectors_ha.csv", tmp_path / "in.csv")
    out = tmp_path / "out.csv"
    _detect(
        "farrington",
        *("--input", source, "--output", out),
        *("--set", "fitFun=algo.farrington.fitGLM.populationOffset"),
        *("--set", "b=3", "--set", "w=2", "--set", "range=200:290"),
    )
    ours, theirs = _rows(out), _expected("farrington_ha_popoffset")
    assert [(r["region"], r["t"]) for r in ours] == [(r["region"], r["t"]) for r in theirs]
    for mine, r in zip(ours, theirs, strict=True):
        assert mine["alarm"] == r["alarm"]
        for column in ("expected", "upperbound", "score"):
            assert _same(mine[column], r[column]), (mine, r)


def test_ears_alarm_is_empty_where_r_gives_na(tmp_path):
    counts = [[t, "" if t == 20 else t % 4] for t in range(1, 31)]
    source = _write(tmp_path / "in.csv", ["t", "count"], counts)
    _detect("ears-c1", "--input", source, "--output", tmp_path / "out.csv")
    ours = {r["t"]: r for r in _rows(tmp_path / "out.csv")}
    assert ours["20"]["alarm"] == "" and ours["20"]["observed"] == ""
    assert ours["21"]["upperbound"] == ""  # its baseline holds the missing count
    assert ours["28"]["alarm"] in ("0", "1") and len(ours) == 23


@pytest.mark.parametrize(
    ("method", "header", "rows", "controls", "message"),
    [
        ("ears-c1", ["t", "count"], [[1, 3], [2, -1]], [], "line 3, column count: negative"),
        ("ears-c1", ["t", "cases"], [[1, 3]], [], "no 'count' column"),
        ("ears-c1", ["when", "count"], [[1, 3]], [], "no time column"),
        ("ears-c1", ["t", "count"], [[1, "x"]], [], "line 2, column count: 'x' is not a number"),
        ("ears-c1", ["date", "count"], [["2024-13-01", 1]], [], "line 2, column date"),
        ("ears-c1", ["t", "count"], [[1, 1], [1, 2]], [], "appears twice"),
        ("ears-c1", ["t", "count"], [[1, 1], [3, 2]], [], "without gaps"),
        (
            "ears-c1",
            ["t", "count"],
            [[t, 1] for t in range(1, 30)],
            ["bee=3"],
            "unknown option 'bee'",
        ),
        ("ears-c1", ["t", "count"], [[t, 1] for t in range(1, 30)], ["baseline"], "NAME=VALUE"),
        ("ears-c1", ["t", "count"], [[t, 1] for t in range(1, 30)], ["alpha=high"], "alpha='high'"),
        ("ears-c3", ["t", "count"], [[t, 1] for t in range(1, 10)], [], "too short"),
        ("cusum", ["t", "count"], [[t, 1] for t in range(1, 30)], [], "cusum needs range"),
        ("farrington-flexible", ["t", "count"], [[t, 1] for t in range(1, 200)], [], "too short"),
        (
            "farrington-flexible",
            ["t", "count"],
            [[t, 1] for t in range(1, 300)],
            ["range=100:299"],
            "reference time points do not exist",
        ),
        (
            "farrington-flexible",
            ["t", "count"],
            [[t, 1] for t in range(1, 300)],
            ["populationOffset=TRUE"],
            "'population' column",
        ),
        (
            "farrington",
            ["t", "count"],
            [[t, 1] for t in range(1, 300)],
            ["fitFun=algo.farrington.fitGLM.populationOffset"],
            "'population' column",
        ),
        (
            "farrington",
            ["t", "count"],
            [[t, 1] for t in range(1, 300)],
            ["range=1:400"],
            "range='1:400'",
        ),
    ],
)
def test_bad_input_is_named(tmp_path, method, header, rows, controls, message):
    source = _write(tmp_path / "in.csv", header, rows)
    options = [arg for c in controls for arg in ("--set", c)]
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        _detect(method, "--input", source, "--output", tmp_path / "out.csv", *options)
    assert not (tmp_path / "out.csv").exists()


def test_unreadable_input_and_unwritable_output(tmp_path):
    with pytest.raises(CommandError, match="cannot read .*missing.csv: no such file"):
        _detect("ears-c1", "--input", tmp_path / "missing.csv", "--output", tmp_path / "o.csv")
    source = _write(tmp_path / "in.csv", ["t", "count"], [[t, 1] for t in range(1, 30)])
    with pytest.raises(CommandError, match="cannot write"):
        _detect("ears-c1", "--input", source, "--output", tmp_path / "no" / "o.csv")
