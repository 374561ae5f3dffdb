"""Risk levels: the rule language, the daily evaluation into explained proposals, the official's
decision (versioned levels, audit, outbox, alert) and the facade other apps read."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from crisisgov.earlywarning import risk, risk_decisions
from crisisgov.earlywarning.facade import risk_level_of, risk_levels_under
from crisisgov.earlywarning.models import (
    Alert,
    Indicator,
    Observation,
    RiskLevel,
    RiskProposal,
    RiskRuleSet,
    RtEstimate,
)
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import DomainError, NotFound
from crisisgov.kernel.models import AuditEntry, OutboxEvent

TODAY = dt.date(2026, 3, 20)


@pytest.fixture
def cases(db):
    indicator, _ = Indicator.objects.get_or_create(
        code="confirmed-cases",
        defaults=dict(
            name_zh="确诊病例数",
            name_en="Confirmed cases",
            kind="cases",
            unit="cases",
            resolution="day",
            area_level=5,
        ),
    )
    return indicator


def observe(indicator, area, day: dt.date, value: float):
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return Observation.objects.create(
        indicator=indicator,
        area=area,
        area_path=area.path,
        period_start=start,
        value=value,
        source="drill",
    )


@pytest.fixture
def rule_set(city, cases):
    risk.risk_rules_seed_default()
    return RiskRuleSet.objects.get(area_path=city.city.path)


def test_rule_errors_name_the_rule_index_and_key(cases):
    good = dict(risk.DEFAULT_RULES[0])
    problems = [
        ([good, dict(good, operator="=<")], "rules[1].operator"),
        ([dict(good, level="low")], "rules[0].level"),
        ([dict(good, signal="mean")], "rules[0].signal"),
        ([good, good, dict(good, indicator="no-such-thing")], "rules[2].indicator"),
        ([dict(good, window_days=0)], "rules[0].window_days"),
        ([dict(good, threshold="10")], "rules[0].threshold"),
        ([dict(good, colour="red")], "rules[0].colour"),
        ([{k: v for k, v in good.items() if k != "indicator"}], "rules[0].indicator"),
        ([dict(good, signal="clusters", min_cases=0)], "rules[0].min_cases"),
        ([], "rules"),
    ]
    for rules, field in problems:
        with pytest.raises(DomainError) as refused:
            risk.rules_check(rules)
        assert refused.value.field == field, rules
    alarms = {"level": "medium", "signal": "alarms", "operator": ">=", "threshold": 1}
    assert risk.rules_check([alarms]) == [dict(alarms, window_days=14)]


def test_the_level_is_the_highest_rule_that_fires_and_the_explanation_lists_every_rule():
    rules = risk.rules_check(risk.DEFAULT_RULES, indicators_known=False)
    verdict = risk.level_for(rules, [3.0, None, 3.0, 0.0])
    assert verdict.level == "medium"
    assert verdict.explanation["fired"] == [2]
    first = verdict.explanation["rules"][0]
    assert (first["value"], first["threshold"], first["operator"], first["fired"]) == (
        3.0,
        50,
        ">=",
        False,
    )
    assert verdict.explanation["rules"][1]["value"] is None  # no Rt: no evidence, not fired
    assert risk.level_for(rules, [None, 1.2, None, None]).level == "high"
    assert risk.level_for(rules, [None, None, 0.0, 0.0]).level == "low"


def test_evaluation_proposes_changes_from_observations_rt_and_alarms(city, rule_set, cases):
    observe(cases, city.community_a, TODAY, 46)
    observe(cases, city.community_a, TODAY - dt.timedelta(days=13), 4)  # first day of window
    observe(cases, city.community_a, TODAY - dt.timedelta(days=14), 500)  # before it
    observe(cases, city.community_a, TODAY + dt.timedelta(days=1), 500)  # after it
    proposals = risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=TODAY)
    assert [(p.area_path, p.current_level, p.proposed_level) for p in proposals] == [
        (city.district_a.path, "", "high")
    ]
    explanation = proposals[0].explanation
    assert explanation["fired"] == [0, 2]
    assert [r["value"] for r in explanation["rules"]] == [50.0, None, 50.0, 0.0]
    assert (explanation["rule_set"], explanation["as_of"]) == (
        risk.DEFAULT_RULE_SET_NAME,
        "2026-03-20",
    )
    # District B: an Rt lower bound above 1 makes it high; an estimate too old is no evidence.
    RtEstimate.objects.create(
        indicator=cases,
        area=city.district_b,
        area_path=city.district_b.path,
        window_end=TODAY - dt.timedelta(days=1),
        mean=1.6,
        lower=1.1,
    )
    RtEstimate.objects.create(
        indicator=cases,
        area=city.district_b,
        area_path=city.district_b.path,
        window_end=TODAY - dt.timedelta(days=20),
        mean=0.5,
        lower=0.2,
    )
    again = risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=TODAY)
    assert [(p.area_path, p.proposed_level) for p in again] == [(city.district_b.path, "high")]
    assert again[0].explanation["rules"][1]["value"] == 1.1
    # Nothing new: the same changes already wait for a decision.
    assert risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=TODAY) == []
    assert RiskProposal.objects.filter(status="pending").count() == 2


def test_open_detector_alarms_count_and_dismissed_ones_do_not(city, rule_set, cases):
    def alarm(key: str, status: str):
        return Alert.objects.create(
            source="detector",
            kind="ears-c2",
            title_zh="信号",
            title_en="signal",
            area=city.community_b,
            area_path=city.community_b.path,
            dedup_key=key,
            status=status,
            detail={"indicator": "confirmed-cases"},
        )

    alarm("dismissed", "dismissed")
    assert risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=timezone.localdate()) == []
    alarm("open", "new")
    proposals = risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=timezone.localdate())
    assert [(p.area_path, p.proposed_level) for p in proposals] == [
        (city.district_b.path, "medium")
    ]
    assert proposals[0].explanation["rules"][3]["value"] == 1.0


def test_clusters_count_communities_over_the_minimum(city, cases):
    rules = [
        {
            "level": "high",
            "signal": "clusters",
            "indicator": "confirmed-cases",
            "window_days": 7,
            "min_cases": 3,
            "operator": ">=",
            "threshold": 1,
        }
    ]
    rule_set = risk.risk_rules_create(
        actor=SYSTEM, name="clusters", area_id=city.city.id, area_level=3, rules=rules
    )
    observe(cases, city.community_a, TODAY, 2)
    assert risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=TODAY) == []
    observe(cases, city.community_a, TODAY - dt.timedelta(days=1), 1)
    [proposal] = risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=TODAY)
    assert (proposal.area_path, proposal.explanation["rules"][0]["value"]) == (
        city.district_a.path,
        1.0,
    )


def test_a_new_computation_supersedes_the_pending_proposal(city, rule_set, cases):
    observe(cases, city.community_a, TODAY, 52)
    [high] = risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=TODAY)
    # Fourteen days later only the 2 cases of the last week remain in the 14-day window.
    later = TODAY + dt.timedelta(days=14)
    observe(cases, city.community_a, later, 2)
    [medium] = risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=later)
    high.refresh_from_db()
    assert (high.status, medium.proposed_level, medium.status) == (
        "superseded",
        "medium",
        "pending",
    )
    # A quiet day again: no change from "none (low)" is needed, the pending one is superseded.
    assert risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=later + dt.timedelta(days=30)) == []
    medium.refresh_from_db()
    assert medium.status == "superseded"


def test_approval_versions_the_level_publishes_audits_and_raises_an_alert(
    city, rule_set, cases, make_user, actor_of
):
    official = actor_of(make_user("commander", city.district_a))
    observe(cases, city.community_a, TODAY, 52)
    [proposal] = risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=TODAY)
    first = risk_decisions.risk_proposal_approve(
        actor=official, proposal_id=proposal.pk, reason="agreed"
    )
    assert (first.level, first.version, first.valid_to) == ("high", 1, None)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_reason) == ("approved", "agreed")
    event = OutboxEvent.objects.get(topic="earlywarning.risk_level_changed")
    assert event.payload["level"] == "high" and event.payload["previous"] == ""
    alert = Alert.objects.get(source="risk")
    assert (alert.kind, alert.area_path, alert.status) == ("high", city.district_a.path, "new")
    entry = AuditEntry.objects.get(action="earlywarning.risk_level_approved")
    assert (entry.actor_user_id, entry.role, entry.area_path) == (
        official.user_id,
        "commander",
        city.district_a.path,
    )
    with pytest.raises(DomainError):  # decided already
        risk_decisions.risk_proposal_approve(actor=official, proposal_id=proposal.pk)

    later = TODAY + dt.timedelta(days=14)
    observe(cases, city.community_a, later, 1)
    [down] = risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=later)
    assert (down.current_level, down.proposed_level) == ("high", "medium")
    second = risk_decisions.risk_proposal_approve(actor=official, proposal_id=down.pk)
    first.refresh_from_db()
    assert first.valid_to == second.valid_from and second.valid_to is None
    assert list(RiskLevel.objects.order_by("version").values_list("version", "level")) == [
        (1, "high"),
        (2, "medium"),
    ]
    between = first.valid_from + (second.valid_from - first.valid_from) / 2
    assert risk_level_of(city.building_a.path, at=between).version == 1
    assert risk_level_of(city.building_a.path).level == "medium"
    assert Alert.objects.filter(source="risk").count() == 2


def test_a_rejection_needs_its_reason_and_is_audited(city, rule_set, cases, make_user, actor_of):
    official = actor_of(make_user("commander", city.city))
    observe(cases, city.community_b, TODAY, 1)
    [proposal] = risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=TODAY)
    with pytest.raises(DomainError) as refused:
        risk_decisions.risk_proposal_reject(actor=official, proposal_id=proposal.pk, reason="  ")
    assert refused.value.field == "reason"
    risk_decisions.risk_proposal_reject(
        actor=official, proposal_id=proposal.pk, reason="reporting lag"
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_reason) == ("rejected", "reporting lag")
    entry = AuditEntry.objects.get(action="earlywarning.risk_proposal_rejected")
    assert entry.detail == {"proposed_level": "medium", "reason": "reporting lag"}
    assert not RiskLevel.objects.exists()


def test_officials_and_analysts_see_and_decide_only_their_districts(
    city, rule_set, cases, make_user, actor_of
):
    observe(cases, city.community_a, TODAY, 1)
    observe(cases, city.community_b, TODAY, 1)
    proposals = {p.area_path: p for p in risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=TODAY)}
    analyst_a = actor_of(make_user("analyst", city.district_a))
    assert [p.area_path for p in risk_decisions.proposal_list(actor=analyst_a)] == [
        city.district_a.path
    ]
    commander_a = actor_of(make_user("commander", city.district_a))
    b_proposal = proposals[city.district_b.path]
    with pytest.raises(NotFound):
        risk_decisions.risk_proposal_approve(actor=commander_a, proposal_id=b_proposal.pk)
    with pytest.raises(NotFound):  # an analyst watches but does not decide
        risk_decisions.risk_proposal_approve(
            actor=analyst_a, proposal_id=proposals[city.district_a.path].pk
        )
    b_proposal.refresh_from_db()
    assert b_proposal.status == "pending" and not RiskLevel.objects.exists()


def test_the_facade_falls_back_to_the_nearest_ancestor(city):
    now = timezone.now()
    RiskLevel.objects.create(
        area=city.city, area_path=city.city.path, level="medium", version=1, valid_from=now
    )
    RiskLevel.objects.create(
        area=city.street_b, area_path=city.street_b.path, level="high", version=1, valid_from=now
    )
    assert risk_level_of(city.building_a.path).area_path == city.city.path
    assert risk_level_of(city.building_b.path).level == "high"
    assert risk_level_of(city.district_b.path).level == "medium"
    assert risk_level_of(city.province.path) is None
    assert risk_level_of(city.building_b.path, at=now - dt.timedelta(seconds=1)) is None
    assert [r.area_path for r in risk_levels_under(city.district_b.path)] == [city.street_b.path]


def test_the_daily_sweep_runs_each_rule_set_once_a_day(city, cases):
    from crisisgov.earlywarning.handlers import evaluate_risk_levels_daily

    observe(cases, city.community_a, timezone.localdate(), 1)
    assert evaluate_risk_levels_daily() == 1  # seeds the default rule set and evaluates it
    assert evaluate_risk_levels_daily() == 0
    assert RiskProposal.objects.count() == 1
    assert RiskRuleSet.objects.get().last_evaluated_for == timezone.localdate()
    assert risk.risk_evaluate_due(today=timezone.localdate() + dt.timedelta(days=1)) == 1


def test_rule_sets_through_the_api(city, cases, make_user):
    client = Client()
    client.force_login(make_user("analyst", city.district_a))
    body = {"name": "A rules", "area_id": city.district_a.id, "area_level": 4}
    bad = client.post(
        "/api/earlywarning/risk/rule-sets",
        body | {"rules": [dict(risk.DEFAULT_RULES[0], operator="==")]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["detail"][0]["field"] == "rules[0].operator"
    created = client.post(
        "/api/earlywarning/risk/rule-sets",
        body | {"rules": risk.DEFAULT_RULES},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    rule_set_id = created.json()["id"]
    updated = client.put(
        f"/api/earlywarning/risk/rule-sets/{rule_set_id}",
        {"rules": risk.DEFAULT_RULES[:1]},
        content_type="application/json",
    )
    assert (updated.json()["version"], len(updated.json()["rules"])) == (2, 1)
    assert [r["id"] for r in client.get("/api/earlywarning/risk/rule-sets").json()] == [rule_set_id]
    assert AuditEntry.objects.filter(action__startswith="earlywarning.risk_rules_").count() == 2


def test_approve_through_the_api_and_read_the_history(city, rule_set, cases, make_user):
    observe(cases, city.community_a, TODAY, 1)
    [proposal] = risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=TODAY)
    client = Client()
    client.force_login(make_user("commander", city.district_a))
    listed = client.get("/api/earlywarning/risk/proposals").json()
    assert [p["id"] for p in listed] == [proposal.pk]
    refused = client.post(
        f"/api/earlywarning/risk/proposals/{proposal.pk}/reject",
        {"reason": ""},
        content_type="application/json",
    )
    assert refused.status_code == 400
    approved = client.post(
        f"/api/earlywarning/risk/proposals/{proposal.pk}/approve",
        {},
        content_type="application/json",
    )
    assert approved.status_code == 200 and approved.json()["level"] == "medium"
    levels = client.get("/api/earlywarning/risk/levels").json()
    assert [(lv["area_path"], lv["level"]) for lv in levels] == [(city.district_a.path, "medium")]
    history = client.get(f"/api/earlywarning/risk/areas/{city.district_a.id}/levels").json()
    assert [(h["version"], h["valid_to"]) for h in history] == [(1, None)]


def test_the_risk_page_shows_the_map_and_decides(city, rule_set, cases, make_user):
    observe(cases, city.community_a, TODAY, 1)
    [proposal] = risk.risk_evaluate(rule_set_id=rule_set.pk, as_of=TODAY)
    client = Client()
    client.force_login(make_user("commander", city.district_a))
    page = client.get("/earlywarning/risk/")
    assert page.status_code == 200
    assert f'data-proposal-id="{proposal.pk}"' in page.content.decode()
    features = client.get("/earlywarning/risk/map.json").json()["features"]
    assert [(f["properties"]["code"], f["properties"]["level"]) for f in features] == [
        (city.district_a.code, "low")
    ]
    url = f"/earlywarning/risk/proposals/{proposal.pk}/"
    assert client.post(url, {"decision": "reject", "reason": ""}).status_code == 400
    assert client.post(url, {"decision": "approve"}).status_code == 302
    features = client.get("/earlywarning/risk/map.json").json()["features"]
    assert features[0]["properties"]["level"] == "medium"
    client.force_login(make_user("commander", city.district_b))
    assert client.post(url, {"decision": "reject", "reason": "x"}).status_code == 404
    assert Client().get("/earlywarning/risk/map.json").status_code == 401


def test_the_demo_leaves_a_proposal_waiting_and_a_second_run_adds_none(city, cases):
    from crisisgov.drills.risk_demo import risk_demo_ensure

    observe(cases, city.community_b, timezone.localdate(), 3)
    line = "Risk levels: 1 proposed change(s) waiting for approval on /earlywarning/risk/"
    assert risk_demo_ensure() == [line]
    assert risk_demo_ensure() == [line]
    assert RiskProposal.objects.get().area_path == city.district_b.path
