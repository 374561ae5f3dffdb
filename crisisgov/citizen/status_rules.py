"""The published health-status rule set: which health evidence gives which colour.

Only health evidence counts: test results, case reports, close-contact designations,
quarantine orders, and stays (venue check-ins) in an area that was at high risk at the time.
The rules are tried in order and the first that matches decides the colour, so the order
puts red before yellow; a resident no rule matches is green. The result names the rule and
the record, so the citizen sees why, and can contest that record.

Changing a rule means a new RULESET_VERSION: every stored status names the version it was
computed under, and /citizen/status/rules/ publishes the rules with it.

Pure code: no Django. Evidence arrives as plain objects (see `Evidence`), risk levels through
a callable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

RULESET_VERSION = "2026.11-1"
# A status is recomputed at least this often even when no evidence changes (windows end).
MAX_VALIDITY = timedelta(hours=24)

GREEN, YELLOW, RED = "green", "yellow", "red"
EVIDENCE_STANDARDS = ["test_result", "case_report", "close_contact", "quarantine_order"]
STAY_STANDARD = "venue_checkin"  # keyed by phone only


class Evidence(Protocol):
    standard: str
    record_id: int
    area_path: str
    data: dict


RiskOf = Callable[[str, datetime], "str | None"]  # (area path, moment) -> low|medium|high|None


@dataclass(frozen=True)
class Rule:
    code: str
    colour: str
    standard: str  # the kind of record it reads ("" for the default rule)
    window_days: int  # how long after the record's date it counts
    text_zh: str
    text_en: str


# Ordered: the first rule that matches decides. Windows are in days from the record's date.
RULES: tuple[Rule, ...] = (
    Rule(
        "confirmed_case",
        RED,
        "case_report",
        14,
        "14天内被报告为确诊病例或无症状感染者",
        "Reported as a confirmed case or an asymptomatic infection in the last 14 days",
    ),
    Rule(
        "positive_test",
        RED,
        "test_result",
        14,
        "14天内采样的检测结果为阳性",
        "A test of a sample taken in the last 14 days was positive",
    ),
    Rule(
        "close_contact",
        RED,
        "close_contact",
        14,
        "被判定为密切接触者，末次暴露在14天内",
        "Designated a close contact, last exposure within 14 days",
    ),
    Rule(
        "centralised_quarantine",
        RED,
        "quarantine_order",
        0,
        "正在执行集中隔离",
        "Under an active centralised quarantine order",
    ),
    Rule(
        "suspected_case",
        YELLOW,
        "case_report",
        14,
        "14天内被报告为疑似病例",
        "Reported as a suspected case in the last 14 days",
    ),
    Rule(
        "secondary_contact",
        YELLOW,
        "close_contact",
        7,
        "被判定为次密切接触者，末次暴露在7天内",
        "Designated a secondary contact, last exposure within 7 days",
    ),
    Rule(
        "home_quarantine",
        YELLOW,
        "quarantine_order",
        0,
        "正在执行居家隔离或健康监测",
        "Under an active home quarantine or health monitoring order",
    ),
    Rule(
        "inconclusive_test",
        YELLOW,
        "test_result",
        3,
        "3天内采样的检测结果不确定或无效，需复检",
        "A test of a sample taken in the last 3 days was inconclusive or invalid: retest",
    ),
    Rule(
        "high_risk_stay",
        YELLOW,
        STAY_STANDARD,
        7,
        "7天内到过当时为高风险的地区（场所码登记）",
        "Checked in within 7 days at a venue in an area that was high-risk at the time",
    ),
    Rule(
        "no_evidence",
        GREEN,
        "",
        0,
        "没有上述任何健康记录",
        "None of the health records above",
    ),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}
OVERRIDE_RULE_PREFIX = "override:"  # rule_code of a status set by a confirmed override


@dataclass(frozen=True)
class Outcome:
    """The colour, the rule that gave it, and the record (None for the default rule)."""

    status: str
    rule_code: str
    record_id: int | None
    standard: str
    evidence_at: datetime | None  # the moment the record speaks of
    valid_until: datetime


def _moment(value: Any, tz: tzinfo) -> datetime | None:
    """A record's date or date-time as an aware moment (naive and dates: the city's time)."""
    if not value or not isinstance(value, str):
        return None
    try:
        if len(value) > 10:
            moment = datetime.fromisoformat(value)
        else:
            moment = datetime.combine(date.fromisoformat(value), time.min)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _first(data: dict, tz: tzinfo, *names: str) -> datetime | None:
    for name in names:
        moment = _moment(data.get(name), tz)
        if moment is not None:
            return moment
    return None


def _applies(
    rule: Rule, record: Evidence, now: datetime, tz: tzinfo, risk_of: RiskOf
) -> tuple[datetime, datetime] | None:
    """(the record's moment, when the rule stops applying) if the rule matches the record."""
    data = record.data
    if rule.standard != record.standard:
        return None
    window = timedelta(days=rule.window_days)
    if rule.code in {"confirmed_case", "suspected_case"}:
        wanted = {"confirmed", "asymptomatic"} if rule.code == "confirmed_case" else {"suspected"}
        if data.get("case_type") not in wanted:
            return None
        at = _first(data, tz, "diagnosis_date", "report_date", "onset_date")
    elif rule.code in {"positive_test", "inconclusive_test"}:
        wanted = {"positive"} if rule.code == "positive_test" else {"inconclusive", "invalid"}
        if data.get("result") not in wanted:
            return None
        at = _first(data, tz, "collected_at", "tested_at")
    elif rule.code in {"close_contact", "secondary_contact"}:
        if data.get("contact_type") != rule.code.removesuffix("_contact"):
            return None
        at = _first(data, tz, "last_exposure_date", "traced_at")
    elif rule.code in {"centralised_quarantine", "home_quarantine"}:
        measures = (
            {"centralised"}
            if rule.code == "centralised_quarantine"
            else {
                "home",
                "health_monitoring",
            }
        )
        if data.get("measure") not in measures or data.get("status") != "active":
            return None
        at = _first(data, tz, "start_date")
        end = _first(data, tz, "end_date")
        if at is None or now < at:
            return None
        # An order without an end date holds until it is released (the record changes).
        until = end + timedelta(days=1) if end else now + MAX_VALIDITY
        return (at, until) if now < until else None
    elif rule.code == "high_risk_stay":
        at = _first(data, tz, "checked_in_at")
        if at is None or risk_of(record.area_path, at) != "high":
            return None
    else:
        return None
    if at is None or at > now + timedelta(minutes=5):  # a future date is a data error
        return None
    until = at + window
    return (at, until) if now < until else None


def evaluate(
    records: Iterable[Evidence],
    *,
    now: datetime,
    tz: tzinfo,
    risk_of: RiskOf,
    excluded: frozenset[int] = frozenset(),
) -> Outcome:
    """The status the rules give for these records of one person at `now`.

    `excluded` are record ids that an upheld appeal took out of consideration. Within one
    rule the most recent record is named; the status holds until that record's window ends
    (at most MAX_VALIDITY).
    """
    usable = [r for r in records if r.record_id not in excluded]
    for rule in RULES:
        if not rule.standard:
            break
        matches = [
            (hit, record)
            for record in usable
            if (hit := _applies(rule, record, now, tz, risk_of)) is not None
        ]
        if matches:
            (at, until), record = max(matches, key=lambda m: (m[0][0], m[1].record_id))
            # The colour holds while any matching record's window is open.
            until = max(m[0][1] for m in matches)
            return Outcome(
                rule.colour,
                rule.code,
                record.record_id,
                record.standard,
                at,
                min(until, now + MAX_VALIDITY),
            )
    return Outcome(GREEN, "no_evidence", None, "", None, now + MAX_VALIDITY)
