"""The demo's indicator series: a year of daily counts per district (syndromic indicators)
and per community (confirmed and suspected cases), seeded Poisson with a weekly rhythm, and an
outbreak that started in the first district three weeks ago. The detectors and Rt then run, so
that the signals page shows alarms, Rt above 1 in that district, and alerts in the inbox.

The case-report cards the exchange demo imported are counted in (a drill's count of a day is
its simulated cases plus the cards of that day). Idempotent: a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.utils import timezone

from crisisgov.earlywarning.facade import (
    drill_observations_exist,
    indicators_ensure,
    observations_drill_load,
    signals_evaluate,
    signals_summary,
)
from crisisgov.exchange.facade import case_report_counts
from crisisgov.geo.facade import AreaInfo, Level, areas_at_level

DAYS = 365
OUTBREAK_DAYS = 21  # the outbreak began three weeks before today
GROWTH = 0.13  # per day: doubling in about 5 days, Rt near 1.8 with a 4.7-day interval
# Monday .. Sunday: clinics and pharmacies are quieter at the weekend; schools are closed.
WEEKLY = {
    "default": (1.10, 1.05, 1.0, 1.0, 1.0, 0.85, 0.80),
    "school-absenteeism": (1.2, 1.1, 1.0, 1.0, 1.0, 0.0, 0.0),
}
# Daily background per district and how strongly each indicator follows the outbreak's cases.
BASELINE = {
    "confirmed-cases": (0.3, 1.0),  # sporadic: a quiet district stays below "high"
    "suspected-cases": (0.8, 1.5),
    "fever-clinic-visits": (40.0, 3.0),
    "antipyretic-sales": (60.0, 4.0),
    "school-absenteeism": (25.0, 1.5),
    "hotline-fever": (8.0, 1.0),
}
PER_COMMUNITY = ("confirmed-cases", "suspected-cases")


def earlywarning_demo_ensure(*, seed: int = 2020) -> list[str]:
    """Load the year of series once, evaluate it; lines for the console."""
    indicators_ensure()
    today = timezone.localdate()
    if drill_observations_exist():
        signals_evaluate(as_of=today)  # only if something new arrived since
        return [_summary_line(today, loaded=0)]
    rng = np.random.default_rng(seed)
    cards = _case_cards()
    rows: list[tuple[str, str, str, float]] = []
    districts = areas_at_level(Level.DISTRICT)
    for number, district in enumerate(districts):
        rows += _district_rows(rng, district, today, outbreak=number == 0, cards=cards)
    loaded = observations_drill_load(rows)
    signals_evaluate(as_of=today, force=True)
    return [_summary_line(today, loaded=loaded)]


def _summary_line(today: dt.date, *, loaded: int) -> str:
    summary = signals_summary(today)
    rt = "—" if summary.highest_rt is None else f"{summary.highest_rt:.2f}"
    return (
        f"Early warning: {loaded} observations loaded, {summary.alarms_last_week} alarms in "
        f"the last 7 days, {summary.detector_alerts} detector alerts, highest Rt {rt}"
    )


def _case_cards() -> dict[tuple[str, str, str], int]:
    """(indicator, community path, day) -> case-report cards the exchange holds."""
    cards: dict[tuple[str, str, str], int] = {}
    for community, day, case_type, count in case_report_counts():
        code = {"confirmed": "confirmed-cases", "suspected": "suspected-cases"}.get(case_type)
        if code:
            cards[(code, community, day)] = cards.get((code, community, day), 0) + count
    return cards


def _district_rows(
    rng: np.random.Generator,
    district: AreaInfo,
    today: dt.date,
    *,
    outbreak: bool,
    cards: dict[tuple[str, str, str], int],
) -> list[tuple[str, str, str, float]]:
    days = [today - dt.timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    # The outbreak's own cases: an exponential rise over its last OUTBREAK_DAYS days.
    extra = np.zeros(DAYS)
    if outbreak:
        t = np.arange(OUTBREAK_DAYS)
        extra[-OUTBREAK_DAYS:] = 1.5 * np.exp(GROWTH * t)
    communities = areas_at_level(Level.COMMUNITY, under=district.path)
    rows = []
    for code, (base, follow) in BASELINE.items():
        rhythm = np.array([WEEKLY.get(code, WEEKLY["default"])[d.weekday()] for d in days])
        rate = base * rhythm + follow * extra * (rhythm > 0)
        counts = rng.poisson(rate)
        if code not in PER_COMMUNITY or not communities:
            rows += [
                (code, district.code, d.isoformat(), float(c))
                for d, c in zip(days, counts, strict=True)
            ]
            continue
        # Background cases spread evenly; the outbreak's sit mostly in the first community.
        weights = np.full(len(communities), 1.0)
        for i, day in enumerate(days):
            if extra[i] > 0:
                weights = np.full(len(communities), 0.4 / max(1, len(communities) - 1))
                weights[0] = 0.6 if len(communities) > 1 else 1.0
            split = rng.multinomial(counts[i], weights / weights.sum())
            for community, n in zip(communities, split, strict=True):
                n += cards.get((code, community.path, day.isoformat()), 0)
                rows.append((code, community.code, day.isoformat(), float(n)))
    return rows
