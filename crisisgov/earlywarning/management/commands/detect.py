"""`crisisgov detect METHOD --input series.csv --output result.csv [--set name=value ...]`:
run an outbreak detector on a file of counts, one series per region.

The input has a `count` column (empty for a missing count), a time column (`date`, or `year`
and ISO `week`, or an index `t`), optionally `region` and `population`. Options take the names of
R's surveillance package (b, w, alpha, baseline, minSigma, noPeriods, range=START:END, ...).
The output has one row per monitored time point and region: observed, expected, upperbound,
alarm (1, 0, empty for NA) and score.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from crisisgov.earlywarning.algorithms.detectors_options import (
    METHODS,
    OPTIONS,
    OptionError,
    run_detector,
)


@dataclass
class _Series:
    region: str
    times: list[Any] = field(default_factory=list)  # date, (year, week) or t, sortable
    counts: list[float] = field(default_factory=list)
    population: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # line numbers in the file, for messages


def _number(text: str, *, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"line {line}, column {column}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise CommandError(f"line {line}, column {column}: {text!r} is not a finite number")
    return value


def _time_of(row: dict[str, str], kind: str, line: int) -> Any:
    try:
        if kind == "date":
            return dt.date.fromisoformat(row["date"].strip())
        if kind == "week":
            year, week = int(row["year"]), int(row["week"])
            return dt.date.fromisocalendar(year, week, 1)
        return int(row["t"])
    except ValueError:
        shown = {"date": "date", "week": "year/week", "t": "t"}[kind]
        raise CommandError(
            f"line {line}, column {shown}: not a valid "
            + {"date": "date (YYYY-MM-DD)", "week": "ISO year and week", "t": "integer"}[kind]
        ) from None


def read_series(path: Path, *, need_population: bool) -> tuple[str, list[_Series]]:
    """The series of the file, one per region, each sorted by time and checked."""
    if not path.is_file():
        raise CommandError(f"cannot read {path}: no such file")
    try:
        return _read_series(path, need_population=need_population)
    except UnicodeDecodeError:
        raise CommandError(f"{path}: not UTF-8 text") from None


def _read_series(path: Path, *, need_population: bool) -> tuple[str, list[_Series]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        reader.fieldnames = columns
        if "count" not in columns:
            raise CommandError(f"{path}: no 'count' column (columns: {', '.join(columns)})")
        if "date" in columns:
            kind = "date"
        elif "year" in columns and "week" in columns:
            kind = "week"
        elif "t" in columns:
            kind = "t"
        else:
            raise CommandError(f"{path}: no time column: give 'date', 'year' and 'week', or 't'")
        if need_population and "population" not in columns:
            raise CommandError(f"{path}: populationOffset needs a 'population' column")
        series: dict[str, _Series] = {}
        for line, row in enumerate(reader, start=2):
            region = (row.get("region") or "").strip()
            s = series.setdefault(region, _Series(region))
            text = (row.get("count") or "").strip()
            count = math.nan if text in ("", "NA") else _number(text, line=line, column="count")
            if count < 0:
                raise CommandError(f"line {line}, column count: negative count {text}")
            if not math.isnan(count) and count != math.floor(count):
                raise CommandError(f"line {line}, column count: {text} is not a whole number")
            s.times.append(_time_of(row, kind, line))
            s.counts.append(count)
            if "population" in columns:
                pop = _number((row.get("population") or "").strip(), line=line, column="population")
                if pop <= 0:
                    raise CommandError(f"line {line}, column population: must be positive")
                s.population.append(pop)
            s.rows.append(line)
    if not series:
        raise CommandError(f"{path}: no rows")
    for s in series.values():
        _sort_and_check(s, kind)
    return kind, list(series.values())


def _sort_and_check(s: _Series, kind: str) -> None:
    order = sorted(range(len(s.times)), key=lambda i: s.times[i])
    for name in ("times", "counts", "population", "rows"):
        values = getattr(s, name)
        if values:
            setattr(s, name, [values[i] for i in order])
    where = f"region {s.region!r}: " if s.region else ""
    allowed = {"t": (1,), "week": (7,), "date": (1, 7)}[kind]
    steps = {_step(a, b) for a, b in zip(s.times, s.times[1:], strict=False)}
    for a, b, line in zip(s.times, s.times[1:], s.rows[1:], strict=False):
        if a == b:
            raise CommandError(f"{where}line {line}: the time point {b} appears twice")
    if len(steps) > 1 or (steps and steps.pop() not in allowed):
        raise CommandError(
            f"{where}the time points must follow each other without gaps "
            "(consecutive t, weeks, or days); give a missing count as an empty cell"
        )


def _step(a: Any, b: Any) -> int:
    return (b - a).days if isinstance(a, dt.date) else b - a


class Command(BaseCommand):
    help = "Run an outbreak detector (EARS, CUSUM, Farrington) on a CSV of counts."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("method", choices=METHODS)
        parser.add_argument("--input", type=Path, required=True, help="CSV of counts")
        parser.add_argument("--output", type=Path, required=True, help="CSV to write")
        parser.add_argument(
            "--set",
            dest="controls",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help=(
                "a control option by its R name, e.g. b=5, alpha=0.01; range=START:END (or "
                "START) counts the time points of each series from 1"
            ),
        )

    def handle(self, *args: Any, method: str, **options: Any) -> None:
        settings = self._settings(method, options["controls"])
        need_population = (
            settings.get("populationOffset", "").lower() in ("true", "t", "1", "yes")
            or settings.get("fitFun") == "algo.farrington.fitGLM.populationOffset"
        )
        kind, series = read_series(options["input"], need_population=need_population)
        rows = []
        for group in _same_axis(series):
            rows += self._detect(method, kind, group, settings)
        self._write(options["output"], kind, series, rows)
        alarms = sum(1 for r in rows if r["alarm"] == "1")
        self.stdout.write(
            f"{method}: {len(rows)} time points in {len(series)} series, {alarms} alarms; "
            f"wrote {options['output']}"
        )

    def _settings(self, method: str, items: list[str]) -> dict[str, str]:
        settings = {}
        for item in items:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise CommandError(f"--set {item!r}: expected NAME=VALUE")
            settings[name.strip()] = value.strip()
        known = {"range", *OPTIONS[method]}
        for name in settings:
            if name not in known:
                raise CommandError(
                    f"unknown option {name!r} for {method}; known: {', '.join(sorted(known))}"
                )
        return settings

    def _detect(
        self, method: str, kind: str, group: list[_Series], settings: dict[str, str]
    ) -> list[dict[str, str]]:
        counts = np.array([s.counts for s in group], dtype=float)
        dates = None
        if kind != "t":
            dates = np.array(group[0].times, dtype="datetime64[D]")
        population = np.array([s.population for s in group]) if group[0].population else None
        where = ", ".join(repr(s.region) for s in group if s.region)
        try:
            result = run_detector(
                method, counts, dates=dates, population=population, options=settings
            )
        except OptionError as error:
            raise CommandError(str(error)) from None
        except ValueError as error:
            prefix = f"region {where}: " if where else ""
            raise CommandError(f"{prefix}{method} on {counts.shape[1]} points: {error}") from None
        rows = []
        for i, s in enumerate(group):
            for j, k in enumerate(result.points):
                alarm = result.alarm[i, j]
                rows.append(
                    {
                        "region": s.region,
                        "time": s.times[k],
                        "observed": _text(counts[i, k]),
                        "expected": _text(result.expected[i, j]),
                        "upperbound": _text(result.upperbound[i, j]),
                        "alarm": "" if np.isnan(alarm) else str(int(alarm)),
                        "score": _text(result.score[i, j]),
                    }
                )
        return rows

    def _write(self, path: Path, kind: str, series: list[_Series], rows: list[dict]) -> None:
        with_region = any(s.region for s in series)
        time_columns = {"date": ["date"], "week": ["year", "week"], "t": ["t"]}[kind]
        header = (["region"] if with_region else []) + time_columns
        header += ["observed", "expected", "upperbound", "alarm", "score"]
        try:
            handle = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror}") from None
        with handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                time = row.pop("time")
                if kind == "week":
                    year, week, _ = time.isocalendar()
                    times = [year, week]
                else:
                    times = [time.isoformat() if kind == "date" else time]
                region = [row.pop("region")] if with_region else []
                row.pop("region", None)
                writer.writerow(region + times + list(row.values()))


def _same_axis(series: list[_Series]) -> list[list[_Series]]:
    """Regions sharing one time axis are run together (the detectors are vectorised)."""
    groups: dict[tuple, list[_Series]] = {}
    for s in series:
        groups.setdefault(tuple(s.times), []).append(s)
    return list(groups.values())


def _text(value: float) -> str:
    return "" if np.isnan(value) else f"{value:.10g}"
