"""Periods of a series as texts and as stored: a day or an ISO week (its Monday) starts at
midnight in the city's time zone, an hour on the hour. Texts: `2026-11-20`, `2026-W47`,
`2026-11-20T14:00`."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from crisisgov.earlywarning.models import Resolution

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HOUR = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")
PERIOD_FORMATS = {
    Resolution.DAY: "a date YYYY-MM-DD",
    Resolution.WEEK: "an ISO week YYYY-Www",
    Resolution.HOUR: "an hour YYYY-MM-DDTHH:00",
}


class PeriodError(ValueError):
    """A period text that does not parse, or does not fit the indicator's resolution."""


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def period_parse(text: str, resolution: str) -> dt.datetime:
    """The start of the period `text` names, checked against the indicator's resolution."""
    text = text.strip()
    expected = PERIOD_FORMATS[Resolution(resolution)]
    try:
        if week := _WEEK.match(text):
            start = local_midnight(dt.date.fromisocalendar(int(week[1]), int(week[2]), 1))
            shape = Resolution.WEEK
        elif _DAY.match(text):
            start = local_midnight(dt.date.fromisoformat(text))
            shape = Resolution.DAY
        elif _HOUR.match(text):
            start = timezone.make_aware(dt.datetime.fromisoformat(text.replace(" ", "T")))
            shape = Resolution.HOUR
        else:
            raise PeriodError(f"{text!r} is not a period; expected {expected}")
    except ValueError as error:
        if isinstance(error, PeriodError):
            raise
        raise PeriodError(f"{text!r} is not a valid period; expected {expected}") from None
    if shape == resolution:
        if shape == Resolution.HOUR and (start.minute or start.second):
            raise PeriodError(f"{text!r} is not on the hour; expected {expected}")
        return start
    raise PeriodError(f"{text!r} does not fit this indicator's resolution; expected {expected}")


def period_label(start: dt.datetime, resolution: str) -> str:
    local = timezone.localtime(start)
    if resolution == Resolution.WEEK:
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if resolution == Resolution.HOUR:
        return local.strftime("%Y-%m-%dT%H:00")
    return local.date().isoformat()


def period_step(resolution: str) -> dt.timedelta:
    return {
        Resolution.DAY: dt.timedelta(days=1),
        Resolution.WEEK: dt.timedelta(days=7),
        Resolution.HOUR: dt.timedelta(hours=1),
    }[Resolution(resolution)]


def period_floor(at: dt.datetime | dt.date, resolution: str) -> dt.datetime:
    """The start of the period holding `at` (a date means that day)."""
    if not isinstance(at, dt.datetime):
        at = local_midnight(at)
    local = timezone.localtime(at)
    if resolution == Resolution.HOUR:
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.date()
    if resolution == Resolution.WEEK:
        day -= dt.timedelta(days=day.weekday())
    return local_midnight(day)


def periods_between(first: dt.datetime, last: dt.datetime, resolution: str) -> list[dt.datetime]:
    """Every period start from `first` to `last`, both included. Days step by calendar day in
    local time, so a daylight-saving change would not shift midnight."""
    out, at = [], timezone.localtime(first)
    last = timezone.localtime(last)
    while at <= last:
        out.append(at)
        if resolution == Resolution.HOUR:
            at = at + period_step(resolution)
        else:
            at = local_midnight(at.date() + period_step(resolution))
    return out
