"""`crisisgov rt --input incidence.csv --output rt.csv (--mean-si M --std-si S | --si-distr
si.csv) [--window 7] [--mean-prior 5 --std-prior 5]`: Rt of one daily series, as EpiEstim's
estimate_R gives it, over sliding windows.

The input has a `date` (YYYY-MM-DD) or `t` column with one row per day, consecutive, and a
`count` column, or `local` and `imported` columns where imported cases are known. The serial
interval is a Gamma of the given mean and standard deviation (EpiEstim's parametric_si), or a
distribution from a file with columns `k` (the lag in days, from 0) and `w`. On bad input the
command names the file, line, column or option at fault and writes nothing.
"""

from __future__ import annotations

import csv
import datetime
import math
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from crisisgov.earlywarning.algorithms import rt


class Command(BaseCommand):
    help = "Estimate the reproduction number Rt of a daily incidence series (Cori et al.)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--input", type=Path, required=True, help="incidence CSV")
        parser.add_argument("--output", type=Path, required=True, help="Rt CSV to write")
        si = parser.add_mutually_exclusive_group(required=True)
        si.add_argument("--mean-si", type=float, help="mean serial interval in days (> 1)")
        si.add_argument("--si-distr", type=Path, help="serial interval CSV with columns k, w")
        parser.add_argument("--std-si", type=float, help="its standard deviation in days")
        parser.add_argument("--window", type=int, default=7, help="window in days (default 7)")
        parser.add_argument("--mean-prior", type=float, default=5.0, help="prior mean of Rt")
        parser.add_argument("--std-prior", type=float, default=5.0, help="prior sd of Rt")

    def handle(self, *args: Any, **options: Any) -> None:
        local, imported = read_incidence(options["input"])
        days = len(local)
        if options["window"] < 1:
            raise CommandError(f"--window must be at least 1 day, not {options['window']}")
        if days < options["window"] + 1:
            raise CommandError(
                f"{options['input']}: the series has {days} days; --window {options['window']}"
                f" needs at least {options['window'] + 1}"
            )
        for name in ("mean_prior", "std_prior"):
            if not options[name] > 0:
                raise CommandError(f"--{name.replace('_', '-')} must be above 0")
        w = serial_interval(options, days)
        estimate = rt.estimate_rt(
            local, w, imported=imported, window=options["window"],
            mean_prior=options["mean_prior"], std_prior=options["std_prior"],
        )  # fmt: skip
        table = estimate.table()
        with options["output"].open("w", newline="", encoding="utf-8") as file:
            out = csv.writer(file)
            out.writerow(rt.COLUMNS)
            for row in zip(*table.values(), strict=True):
                out.writerow(_cell(x) for x in row)
        self.stderr.write(f"wrote {len(estimate.t_start)} windows to {options['output']}")


def serial_interval(options: dict[str, Any], days: int) -> np.ndarray:
    if options["si_distr"] is None:
        if options["std_si"] is None:
            raise CommandError("--mean-si needs --std-si")
        try:
            return rt.discretise_serial_interval(options["mean_si"], options["std_si"], days)
        except ValueError as exc:
            raise CommandError(f"--mean-si/--std-si: {exc}") from exc
    if options["std_si"] is not None:
        raise CommandError("--std-si goes with --mean-si, not with --si-distr")
    file = options["si_distr"]
    rows = _read(file, required=("k", "w"))
    weights: list[float] = []
    for line, row in rows:
        k = _number(file, line, "k", row["k"])
        if k != len(weights):
            raise CommandError(f"{file} line {line}, column k: expected lag {len(weights)}")
        weights.append(_number(file, line, "w", row["w"]))
    try:
        return rt.check_serial_interval(np.array(weights))
    except ValueError as exc:
        raise CommandError(f"--si-distr {file}: {exc}") from exc


def read_incidence(file: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """The file's local and imported counts (imported None when it has only `count`)."""
    rows = _read(file, required=())
    header = set(rows[0][1]) if rows else set()
    time = next((c for c in ("date", "t") if c in header), None)
    if time is None:
        raise CommandError(f"{file}: missing column: date or t")
    if "count" in header and header & {"local", "imported"}:
        raise CommandError(f"{file}: give a count column or local and imported, not both")
    if not header & {"count", "local", "imported"}:
        raise CommandError(f"{file}: missing column: count (or local and imported)")
    counts = ["count"] if "count" in header else ["local", "imported"]
    for column in counts:
        if column not in header:
            raise CommandError(f"{file}: missing column: {column}")
    values: dict[str, list[float]] = {c: [] for c in counts}
    previous = None
    for line, row in rows:
        day = _day(file, line, time, row[time])
        if previous is not None and day != previous + 1:
            raise CommandError(f"{file} line {line}, column {time}: not the day after the last")
        previous = day
        for column in counts:
            values[column].append(_number(file, line, column, row[column]))
    if "count" in values:
        return np.array(values["count"]), None
    return np.array(values["local"]), np.array(values["imported"])


def _read(file: Path, *, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The file's rows with their line numbers (the header is line 1)."""
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = [(reader.line_num, row) for row in reader]
            header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"cannot read {file}: {exc}") from exc
    for column in required:
        if column not in header:
            raise CommandError(f"{file}: missing column: {column}")
    if not rows:
        raise CommandError(f"{file}: no rows")
    return rows


def _number(file: Path, line: int, column: str, text: str | None) -> float:
    try:
        value = float(text or "")
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise CommandError(f"{file} line {line}, column {column}: not a number: {text!r}")
    if value < 0:
        raise CommandError(f"{file} line {line}, column {column}: {text} is negative")
    return value


def _day(file: Path, line: int, column: str, text: str | None) -> int:
    try:
        if column == "date":
            return datetime.date.fromisoformat(text or "").toordinal()
        return int(text or "")
    except ValueError:
        expected = "a date YYYY-MM-DD" if column == "date" else "a whole number"
        raise CommandError(
            f"{file} line {line}, column {column}: {text!r} is not {expected}"
        ) from None


def _cell(x: float) -> str:
    """Full precision, and an empty cell where EpiEstim writes NA."""
    if isinstance(x, np.integer):
        return str(int(x))
    return "" if math.isnan(x) else repr(float(x))
