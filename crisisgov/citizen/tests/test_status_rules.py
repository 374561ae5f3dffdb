"""The rule set on its own: pure evaluation of evidence, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

from crisisgov.citizen import status_rules
from crisisgov.citizen.status import risk_resolver

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=TZ)


@dataclass
class Rec:
    standard: str
    record_id: int
    data: dict = field(default_factory=dict)
    area_path: str = "420102001"


def never_high(path: str, at: dt.datetime) -> None:
    return None


def evaluate(*records: Rec, excluded: frozenset[int] = frozenset(), risk_of=never_high):
    return status_rules.evaluate(records, now=NOW, tz=TZ, risk_of=risk_of, excluded=excluded)


def ago(days: float) -> str:
    return (NOW - dt.timedelta(days=days)).isoformat()


def test_no_evidence_is_green_for_a_day():
    outcome = evaluate()
    assert (outcome.status, outcome.rule_code, outcome.record_id) == ("green", "no_evidence", None)
    assert outcome.valid_until == NOW + status_rules.MAX_VALIDITY


def test_a_positive_test_is_red_until_its_window_ends():
    outcome = evaluate(Rec("test_result", 7, {"result": "positive", "collected_at": ago(13.5)}))
    assert (outcome.status, outcome.rule_code, outcome.record_id) == ("red", "positive_test", 7)
    assert outcome.valid_until == NOW + dt.timedelta(days=0.5)  # 14 days after the sample


def test_naive_dates_are_city_time_and_a_date_only_value_is_midnight():
    record = Rec("case_report", 3, {"case_type": "confirmed", "report_date": "2026-11-20"})
    outcome = evaluate(record)
    assert outcome.evidence_at == dt.datetime(2026, 11, 20, tzinfo=TZ)
    assert outcome.rule_code == "confirmed_case"


def test_a_record_dated_in_the_future_or_unreadable_is_ignored():
    future = Rec("test_result", 1, {"result": "positive", "collected_at": ago(-2)})
    garbled = Rec("test_result", 2, {"result": "positive", "collected_at": "yesterday"})
    assert evaluate(future, garbled).status == "green"


def test_the_first_rule_in_order_wins_and_names_the_latest_record():
    outcome = evaluate(
        Rec("quarantine_order", 1, {"measure": "home", "status": "active", "start_date": ago(1)}),
        Rec("test_result", 2, {"result": "positive", "collected_at": ago(5)}),
        Rec("test_result", 3, {"result": "positive", "collected_at": ago(2)}),
    )
    assert (outcome.status, outcome.rule_code, outcome.record_id) == ("red", "positive_test", 3)
    # The colour holds while the older record's window is open too: until the latest's end.
    assert outcome.valid_until == NOW + status_rules.MAX_VALIDITY


def test_an_excluded_record_no_longer_counts():
    positive = Rec("test_result", 9, {"result": "positive", "collected_at": ago(1)})
    assert evaluate(positive, excluded=frozenset({9})).status == "green"


def test_a_quarantine_order_counts_between_start_and_end_only():
    order = {"measure": "centralised", "status": "active", "start_date": ago(3)[:10]}
    ended = order | {"end_date": ago(2)[:10]}
    upcoming = order | {"start_date": ago(-1)[:10]}
    assert evaluate(Rec("quarantine_order", 1, order)).rule_code == "centralised_quarantine"
    assert evaluate(Rec("quarantine_order", 1, ended)).status == "green"
    assert evaluate(Rec("quarantine_order", 1, upcoming)).status == "green"


def test_a_stay_is_yellow_only_when_the_area_was_high_at_that_moment():
    stay = Rec("venue_checkin", 5, {"checked_in_at": ago(2)}, area_path="420102001001")
    moments = []

    def high_then(path: str, at: dt.datetime) -> str:
        moments.append((path, at))
        return "high"

    outcome = evaluate(stay, risk_of=high_then)
    assert (outcome.status, outcome.rule_code, outcome.record_id) == ("yellow", "high_risk_stay", 5)
    assert moments == [("420102001001", NOW - dt.timedelta(days=2))]
    assert evaluate(stay, risk_of=lambda path, at: "medium").status == "green"


def test_the_risk_resolver_takes_the_nearest_ancestor_level_in_force_then():
    t0 = NOW - dt.timedelta(days=10)
    history = [
        SimpleNamespace(area_path="420102", level="high", version=1, valid_from=t0, valid_to=None),
        SimpleNamespace(
            area_path="420102001",
            level="low",
            version=1,
            valid_from=t0 + dt.timedelta(days=5),
            valid_to=None,
        ),
    ]
    risk_of = risk_resolver(history)
    assert risk_of("420102001001", t0 + dt.timedelta(days=1)) == "high"  # street had none yet
    assert risk_of("420102001001", t0 + dt.timedelta(days=6)) == "low"  # the street's own
    assert risk_of("420102002", t0 + dt.timedelta(days=6)) == "high"
    assert risk_of("420103", t0 + dt.timedelta(days=6)) is None


def test_every_rule_has_a_unique_code_both_texts_and_a_known_colour():
    codes = [rule.code for rule in status_rules.RULES]
    assert len(codes) == len(set(codes))
    assert all(rule.text_zh and rule.text_en for rule in status_rules.RULES)
    assert {rule.colour for rule in status_rules.RULES} == {"green", "yellow", "red"}
    # Red rules come before yellow ones, and the default comes last.
    order = [rule.colour for rule in status_rules.RULES]
    assert order == sorted(order, key=["red", "yellow", "green"].index)
