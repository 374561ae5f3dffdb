"""Risk levels: rule sets that map an area's signals to low / medium / high, and the daily
evaluation that turns a changed level into a proposal (risk_decisions.py decides them).

The rule language (stored as JSON in `RiskRuleSet.rules`) is a list of rules; each names the
level it raises an area to when its signal compares true with its threshold:

    {"level": "high", "signal": "sum", "indicator": "confirmed-cases",
     "window_days": 14, "operator": ">=", "threshold": 10}

Signals, all as of the evaluation date D and over the area's subtree:

- `sum`: the indicator's current observations summed over the `window_days` days up to D;
- `rt_mean`, `rt_lower`: the latest Rt estimate of the area itself (mean, or the 2.5% bound),
  whose window ended at most `window_days` days before D (an older one is no evidence);
- `alarms`: detector alerts raised in the window that nobody dismissed (new, confirmed or
  escalated: an escalated alarm is still open, only someone else's to decide);
- `clusters`: communities with at least `min_cases` of the indicator in the window.

An area's level is the highest level of any rule that fires, else low. An area without a level
in force counts as low, so a quiet area needs no approval at all.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Length, Substr
from django.utils import timezone

from crisisgov.earlywarning.models import (
    Alert,
    AlertSource,
    AlertStatus,
    Indicator,
    Observation,
    ProposalStatus,
    RiskLevel,
    RiskLevelChoice,
    RiskProposal,
    RiskRuleSet,
    RtEstimate,
)
from crisisgov.earlywarning.permissions import EarlyWarningPermission
from crisisgov.geo.facade import PATH_DIGITS, Level, area_info, areas_at_level
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import DomainError, NotFound

LEVEL_ORDER = {"low": 0, "medium": 1, "high": 2}
SIGNALS = ("sum", "rt_mean", "rt_lower", "alarms", "clusters")
COUNTS = ("alarms", "clusters")
OPERATORS = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b}
MAX_WINDOW_DAYS = 366
MAX_RULES = 50
OPEN_ALARM_STATUSES = (AlertStatus.NEW, AlertStatus.CONFIRMED, AlertStatus.ESCALATED)

# The default rules of a city's districts (seeded by `risk_rules_seed_default`), after the
# national scheme of February 2020 (high: more than 50 cases, medium: new cases within 14 days,
# low: none for 14 days) with the window made explicit and a growing epidemic counted as high:
# high when 50 or more confirmed cases in 14 days or Rt's lower bound is above 1;
# medium on any case in 14 days or an open detector alarm; low otherwise.
DEFAULT_RULE_SET_NAME = "default district rules"
DEFAULT_RULES = [
    {
        "level": "high",
        "signal": "sum",
        "indicator": "confirmed-cases",
        "window_days": 14,
        "operator": ">=",
        "threshold": 50,
    },
    {
        "level": "high",
        "signal": "rt_lower",
        "indicator": "confirmed-cases",
        "window_days": 14,
        "operator": ">",
        "threshold": 1,
    },
    {
        "level": "medium",
        "signal": "sum",
        "indicator": "confirmed-cases",
        "window_days": 14,
        "operator": ">=",
        "threshold": 1,
    },
    {"level": "medium", "signal": "alarms", "window_days": 14, "operator": ">=", "threshold": 1},
]


# --- the rule language ------------------------------------------------------------------------


def rules_check(rules: object, *, indicators_known: bool = True) -> list[dict]:
    """The rules, normalised (window defaults filled in), or a DomainError naming the rule's
    index and key, e.g. `rules[2].operator`. With `indicators_known`, every indicator code
    must exist (an evaluation reads a missing one as no data instead)."""
    if not isinstance(rules, list) or not rules:
        raise DomainError("rules must be a non-empty list", field="rules")
    if len(rules) > MAX_RULES:
        raise DomainError(f"at most {MAX_RULES} rules", field="rules")
    return [_rule_check(i, rule, indicators_known) for i, rule in enumerate(rules)]


def _rule_check(index: int, rule: object, indicators_known: bool) -> dict:
    def refuse(key: str, message: str) -> DomainError:
        return DomainError(f"rule {index}: {key} {message}", field=f"rules[{index}].{key}")

    if not isinstance(rule, dict):
        raise DomainError(f"rule {index} must be an object", field=f"rules[{index}]")
    signal = rule.get("signal")
    known = {"level", "signal", "indicator", "window_days", "operator", "threshold"}
    if signal == "clusters":
        known.add("min_cases")
    for key in sorted(set(rule) - known):
        raise refuse(key, "is not a key of this signal")
    if rule.get("level") not in ("medium", "high"):
        raise refuse("level", "must be medium or high (low is what no rule gives)")
    if signal not in SIGNALS:
        raise refuse("signal", f"must be one of {', '.join(SIGNALS)}")
    needs_indicator = signal != "alarms"
    indicator = rule.get("indicator")
    if needs_indicator and (not isinstance(indicator, str) or not indicator):
        raise refuse("indicator", "is required (an indicator code)")
    if indicator is not None and not isinstance(indicator, str):
        raise refuse("indicator", "must be an indicator code")
    if indicators_known and indicator and not Indicator.objects.filter(code=indicator).exists():
        raise refuse("indicator", f"names no indicator ({indicator!r})")
    window = rule.get("window_days", 7 if signal == "clusters" else 14)
    if type(window) is not int or not 1 <= window <= MAX_WINDOW_DAYS:
        raise refuse("window_days", f"must be a whole number of days from 1 to {MAX_WINDOW_DAYS}")
    if rule.get("operator") not in OPERATORS:
        raise refuse("operator", "must be >= or >")
    threshold = rule.get("threshold")
    if type(threshold) not in (int, float):
        raise refuse("threshold", "must be a number")
    checked = dict(rule, window_days=window)
    if signal == "clusters":
        min_cases = rule.get("min_cases", 3)
        if type(min_cases) not in (int, float) or min_cases <= 0:
            raise refuse("min_cases", "must be a positive number")
        checked["min_cases"] = min_cases
    return checked


# --- evaluation: gather (one query per rule), then a pure function per area --------------------


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the city's zone: how daily observations are keyed."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _window(rule: dict, as_of: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first = as_of - dt.timedelta(days=rule["window_days"] - 1)
    return _day_start(first), _day_start(as_of + dt.timedelta(days=1))


def _sums_by_prefix(rule: dict, as_of: dt.date, digits: int, under: str) -> dict[str, float]:
    """{path prefix of `digits`: sum of the indicator in the window}, from the indicator's own
    reporting level only (roll-ups stored at other levels would count twice)."""
    indicator = Indicator.objects.filter(code=rule["indicator"]).first()
    if indicator is None:
        return {}
    start, end = _window(rule, as_of)
    own_digits = PATH_DIGITS[Level(indicator.area_level)]
    if own_digits < digits:
        return {}  # reported above the areas asked about: cannot be split among them
    rows = (
        Observation.objects.filter(
            indicator=indicator,
            current=True,
            area_path__under=under,
            period_start__gte=start,
            period_start__lt=end,
        )
        .annotate(path_length=Length("area_path"), prefix=Substr("area_path", 1, digits))
        .filter(path_length=own_digits)
        .values("prefix")
        .annotate(total=Sum("value"))
    )
    return {row["prefix"]: float(row["total"] or 0) for row in rows}


def _cluster_values(rule: dict, as_of: dt.date, digits: int, under: str) -> dict[str, float]:
    """Communities over `min_cases` in the window, counted per area."""
    community = PATH_DIGITS[Level.COMMUNITY]
    if community < digits:
        return {}
    sums = _sums_by_prefix(rule, as_of, community, under)
    clusters = Counter(p[:digits] for p, total in sums.items() if total >= rule["min_cases"])
    return {path: float(n) for path, n in clusters.items()}


def _alarm_values(rule: dict, as_of: dt.date, digits: int, under: str) -> dict[str, float]:
    """Open detector alarms raised in the window, counted per area."""
    start, end = _window(rule, as_of)
    alerts = Alert.objects.filter(
        source=AlertSource.DETECTOR,
        status__in=OPEN_ALARM_STATUSES,
        area_path__under=under,
        raised_at__gte=start,
        raised_at__lt=end,
    )
    if rule.get("indicator"):
        alerts = alerts.filter(detail__indicator=rule["indicator"])
    rows = (
        alerts.annotate(prefix=Substr("area_path", 1, digits))
        .values("prefix")
        .annotate(alarms=Count("id"))
    )
    return {r["prefix"]: float(r["alarms"]) for r in rows if len(r["prefix"]) == digits}


def _rt_values(rule: dict, as_of: dt.date, digits: int, under: str) -> dict[str, float | None]:
    """The newest Rt estimate of each area itself (not of its parts) within the window."""
    oldest = as_of - dt.timedelta(days=rule["window_days"])
    estimates = (
        RtEstimate.objects.filter(
            indicator__code=rule["indicator"],
            area_path__under=under,
            window_end__gt=oldest,
            window_end__lte=as_of,
        )
        .annotate(path_length=Length("area_path"))
        .filter(path_length=digits)
        .order_by("area_path", "-window_end")
        .values_list("area_path", "mean", "lower")
    )
    newest: dict[str, float | None] = {}
    for path, mean, lower in estimates:
        newest.setdefault(path, mean if rule["signal"] == "rt_mean" else lower)
    return newest


GATHER = {
    "sum": _sums_by_prefix,
    "clusters": _cluster_values,
    "alarms": _alarm_values,
    "rt_mean": _rt_values,
    "rt_lower": _rt_values,
}


@dataclass(frozen=True)
class Verdict:
    level: str
    explanation: dict


def level_for(rules: list[dict], values: list[float | None]) -> Verdict:
    """Pure: the level the rules give for one area's signal values (one per rule, None when
    there is no data), with the explanation an official reads: every rule, its input, its
    threshold and whether it fired."""
    level, lines = "low", []
    for index, (rule, value) in enumerate(zip(rules, values, strict=True)):
        fired = value is not None and OPERATORS[rule["operator"]](value, rule["threshold"])
        if fired and LEVEL_ORDER[rule["level"]] > LEVEL_ORDER[level]:
            level = rule["level"]
        lines.append(dict(rule, index=index, value=value, fired=fired))
    crossed = [line["index"] for line in lines if line["fired"]]
    return Verdict(level, {"level": level, "rules": lines, "fired": crossed})


def rule_set_evaluate(*, rule_set: RiskRuleSet, as_of: dt.date) -> dict[str, Verdict]:
    """{area path: verdict} for every area at the rule set's level in its jurisdiction."""
    rules = rules_check(rule_set.rules, indicators_known=False)
    digits = PATH_DIGITS[Level(rule_set.area_level)]
    inputs = [GATHER[rule["signal"]](rule, as_of, digits, rule_set.area_path) for rule in rules]
    verdicts = {}
    for area in areas_at_level(rule_set.area_level, under=rule_set.area_path):
        # A count of alarms or clusters is 0 where none was found; a sum or Rt without any
        # report is no data (None), which no rule reads as quiet.
        verdict = level_for(
            rules,
            [
                values.get(area.path, 0.0 if rule["signal"] in COUNTS else None)
                for rule, values in zip(rules, inputs, strict=True)
            ],
        )
        verdict.explanation.update(
            rule_set=rule_set.name, rule_set_version=rule_set.version, as_of=as_of.isoformat()
        )
        verdicts[area.path] = verdict
    return verdicts


def risk_evaluate(*, rule_set_id: int, as_of: dt.date) -> list[RiskProposal]:
    """Evaluate a rule set and propose every change of level; returns the new proposals.

    A proposal is made only when the computed level differs from the level in force (none in
    force counts as low) and no pending proposal already says the same; a newer computation
    supersedes the area's older pending proposal, also when the level now needs no change.
    """
    rule_set = RiskRuleSet.objects.get(pk=rule_set_id)
    verdicts = rule_set_evaluate(rule_set=rule_set, as_of=as_of)
    areas = {a.path: a for a in areas_at_level(rule_set.area_level, under=rule_set.area_path)}
    in_force = dict(
        RiskLevel.objects.filter(area_path__in=list(verdicts), valid_to=None).values_list(
            "area_path", "level"
        )
    )
    created = []
    with transaction.atomic():
        pending = {
            p.area_path: p
            for p in RiskProposal.objects.select_for_update().filter(
                area_path__in=list(verdicts), status=ProposalStatus.PENDING
            )
        }
        for path, verdict in verdicts.items():
            current = in_force.get(path, "")
            waiting = pending.get(path)
            if waiting and waiting.proposed_level == verdict.level and current != verdict.level:
                continue  # the same change is already waiting for a decision
            if waiting:
                waiting.status = ProposalStatus.SUPERSEDED
                waiting.save(update_fields=["status"])
            if verdict.level == (current or RiskLevelChoice.LOW):
                continue
            created.append(
                RiskProposal.objects.create(
                    rule_set=rule_set,
                    area_id=areas[path].id,
                    area_path=path,
                    current_level=current,
                    proposed_level=verdict.level,
                    explanation=verdict.explanation,
                    evaluated_for=as_of,
                )
            )
    return created


def risk_evaluate_due(*, today: dt.date | None = None) -> int:
    """The daily run: every active rule set not yet evaluated today, once (a compare-and-set
    on `last_evaluated_for`, so two workers never both run it). Returns how many ran."""
    today = today or timezone.localdate()
    ran = 0
    for rule_set_id in RiskRuleSet.objects.filter(active=True).values_list("pk", flat=True):
        with transaction.atomic():
            claimed = (
                RiskRuleSet.objects.filter(pk=rule_set_id, active=True)
                .exclude(last_evaluated_for__gte=today)
                .update(last_evaluated_for=today)
            )
            if claimed:
                risk_evaluate(rule_set_id=rule_set_id, as_of=today)
                ran += 1
    return ran


# --- rule sets ----------------------------------------------------------------------------------


def risk_rules_seed_default() -> list[RiskRuleSet]:
    """The default district rule set of every city, created when missing (idempotent)."""
    created = []
    for city in areas_at_level(Level.CITY):
        if RiskRuleSet.objects.filter(name=DEFAULT_RULE_SET_NAME, area_path=city.path).exists():
            continue
        created.append(
            RiskRuleSet.objects.create(
                name=DEFAULT_RULE_SET_NAME,
                area_level=Level.DISTRICT,
                rules=DEFAULT_RULES,
                area_path=city.path,
            )
        )
    return created


def _check_area_level(area_level: int, owner_level: int) -> None:
    if area_level not in PATH_DIGITS or area_level < owner_level:
        raise DomainError(
            "levels are set for areas inside the rule set's jurisdiction", field="area_level"
        )


def risk_rules_create(
    *, actor: Actor, name: str, area_id: int, area_level: int, rules: list
) -> RiskRuleSet:
    """A rule set owned by the jurisdiction `area_id`, for areas at `area_level` inside it."""
    area = area_info(area_id)
    if area is None or not actor.can_at(EarlyWarningPermission.MANAGE_RISK_RULES, area.path):
        raise NotFound("no such area", field="area_id")
    if not name.strip():
        raise DomainError("a rule set needs a name", field="name")
    _check_area_level(area_level, area.level)
    checked = rules_check(rules)
    with transaction.atomic():
        rule_set = RiskRuleSet.objects.create(
            name=name.strip(), area_level=area_level, rules=checked, area_path=area.path
        )
        audit_record(
            actor=actor,
            action="earlywarning.risk_rules_created",
            permission=EarlyWarningPermission.MANAGE_RISK_RULES,
            target_type="earlywarning.riskruleset",
            target_id=rule_set.pk,
            area_path=area.path,
            detail={"name": rule_set.name, "area_level": area_level, "rules": checked},
        )
    return rule_set


def risk_rules_update(
    *, actor: Actor, rule_set_id: int, rules: list, active: bool = True, name: str = ""
) -> RiskRuleSet:
    """New rules for a rule set: its version goes up, so explanations name what they used."""
    checked = rules_check(rules)
    with transaction.atomic():
        rule_set = (
            RiskRuleSet.objects.for_actor(actor, EarlyWarningPermission.MANAGE_RISK_RULES)
            .select_for_update()
            .filter(pk=rule_set_id)
            .first()
        )
        if rule_set is None:
            raise NotFound("no such rule set", field="rule_set_id")
        before = {"rules": rule_set.rules, "active": rule_set.active, "version": rule_set.version}
        rule_set.rules, rule_set.active = checked, active
        rule_set.name = name.strip() or rule_set.name
        rule_set.version += 1
        rule_set.save()
        audit_record(
            actor=actor,
            action="earlywarning.risk_rules_updated",
            permission=EarlyWarningPermission.MANAGE_RISK_RULES,
            target_type="earlywarning.riskruleset",
            target_id=rule_set.pk,
            area_path=rule_set.area_path,
            detail={"before": before, "rules": checked, "active": active},
        )
    return rule_set
