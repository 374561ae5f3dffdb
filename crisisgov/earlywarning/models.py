"""Early warning: indicator series, what the detectors and Rt make of them, sensors, risk
levels and alerts.

Every row that belongs to a place carries the area's materialised path (`area_path`), so that
scoping (`objects.for_actor`) and roll-ups up the area tree are one indexed prefix range.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisisgov.kernel.scoping import ScopedManager


class Resolution(models.TextChoices):
    DAY = "day", _("day")
    WEEK = "week", _("ISO week")  # period_start is the Monday
    HOUR = "hour", _("hour")


class IndicatorKind(models.TextChoices):
    CASES = "cases", _("case counts")
    SYNDROMIC = "syndromic", _("syndromic")
    SENSOR = "sensor", _("sensor quantity")


class Indicator(models.Model):
    """What is counted or measured, in what unit, how often, at which area level."""

    code = models.SlugField(max_length=60, unique=True)
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=IndicatorKind.choices)
    unit = models.CharField(max_length=20)
    resolution = models.CharField(max_length=4, choices=Resolution.choices)
    area_level = models.PositiveSmallIntegerField()  # geo Level the series is reported at
    # Counts add up the area tree; a water level or a temperature does not (roll-up = mean).
    additive = models.BooleanField(default=True)
    # Filled automatically from exchange datasets of this standard (e.g. "case_report").
    exchange_standard = models.CharField(max_length=60, blank=True)
    exchange_filter = models.JSONField(default=dict, blank=True)  # e.g. {"case_type": [...]}
    # When detectors and Rt last ran on it: the daily evaluation reruns only after newer
    # observations arrived (series.py, detection.py).
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Observation(models.Model):
    """One value of one indicator for one area and period. A late or corrected report adds a
    new revision and retires the previous one (`current=False`): nothing is overwritten."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    period_start = models.DateTimeField()  # day/week: midnight in the city's zone; hour
    value = models.FloatField()
    revision = models.PositiveIntegerField(default=1)
    current = models.BooleanField(default=True)
    source = models.CharField(max_length=20)  # api | upload | exchange | sensor | drill
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        indexes = [
            models.Index(fields=["indicator", "area_path", "period_start"], name="obs_series"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "area", "period_start"],
                condition=models.Q(current=True),
                name="one_current_observation",
            ),
            models.UniqueConstraint(
                fields=["indicator", "area", "period_start", "revision"],
                name="one_observation_revision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}@{self.area_path} {self.period_start:%Y-%m-%d} r{self.revision}"


class DetectorConfig(models.Model):
    """Which detector watches an indicator, with R `surveillance`'s option names."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="detectors")
    method = models.CharField(max_length=30)  # ears-c1 | ... | farrington-flexible
    options = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    # The last run's outcome, e.g. why a series was too short for the method.
    last_run_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["indicator_id", "method"]

    def __str__(self) -> str:
        return f"{self.method} on {self.indicator_id}"


class Detection(models.Model):
    """A detector's verdict on one area and period, as of its last run."""

    config = models.ForeignKey(DetectorConfig, on_delete=models.CASCADE, related_name="results")
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    period_start = models.DateTimeField()
    observed = models.FloatField(null=True)
    expected = models.FloatField(null=True)
    upperbound = models.FloatField(null=True)
    alarm = models.BooleanField(null=True)  # None: R's NA
    score = models.FloatField(null=True)
    computed_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["config", "area", "period_start"], name="one_detection_per_period"
            )
        ]
        indexes = [models.Index(fields=["area_path", "period_start"], name="detection_area")]

    def __str__(self) -> str:
        return f"{self.config_id}@{self.area_path} {self.period_start:%Y-%m-%d}"


class RtEstimate(models.Model):
    """Rt of one area over one window (Cori et al.), with its credible interval."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    window_end = models.DateField()
    window_days = models.PositiveSmallIntegerField(default=7)
    mean = models.FloatField(null=True)
    lower = models.FloatField(null=True)  # 2.5%
    median = models.FloatField(null=True)
    upper = models.FloatField(null=True)  # 97.5%
    computed_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "area", "window_end"], name="one_rt_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"Rt {self.area_path} to {self.window_end}"


# --- sensors -----------------------------------------------------------------------------------


class Sensor(models.Model):
    """A field sensor publishing to `crisisgov/sensors/<code>` on the MQTT broker."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="sensors")
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    longitude = models.FloatField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    low_threshold = models.FloatField(null=True, blank=True)
    high_threshold = models.FloatField(null=True, blank=True)
    max_rate_per_hour = models.FloatField(null=True, blank=True)  # rate-of-change alarm
    interval_seconds = models.PositiveIntegerField(default=300)  # expected reporting interval
    last_value = models.FloatField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    silent = models.BooleanField(default=False)  # a "silent" alarm is open
    active = models.BooleanField(default=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class SensorReading(models.Model):
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="readings")
    measured_at = models.DateTimeField()
    value = models.FloatField()
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sensor", "measured_at"], name="one_reading_per_time")
        ]

    def __str__(self) -> str:
        return f"{self.sensor_id} {self.measured_at:%Y-%m-%d %H:%M:%S} {self.value}"


# --- risk levels -------------------------------------------------------------------------------


class RiskLevelChoice(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


class RiskRuleSet(models.Model):
    """Rules mapping indicators of an area to a level; `rules` is a list of
    {"level", "indicator" | "signal", "window_days", "operator", "threshold"} (see risk.py)."""

    name = models.CharField(max_length=100)
    area_level = models.PositiveSmallIntegerField()  # levels are set for areas at this level
    rules = models.JSONField()
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    area_path = models.CharField(max_length=21)  # the jurisdiction that owns the rule set
    updated_at = models.DateTimeField(auto_now=True)
    # The day the daily sweep last evaluated it: a compare-and-set on it runs each day once.
    last_evaluated_for = models.DateField(null=True, blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    SUPERSEDED = "superseded", _("superseded")


class RiskProposal(models.Model):
    """A computed change of an area's level, with its explanation, for an official to decide."""

    rule_set = models.ForeignKey(RiskRuleSet, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    current_level = models.CharField(max_length=6, choices=RiskLevelChoice.choices, blank=True)
    proposed_level = models.CharField(max_length=6, choices=RiskLevelChoice.choices)
    explanation = models.JSONField()  # inputs, rules matched, thresholds crossed
    evaluated_for = models.DateField()
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"proposal #{self.pk}: {self.area_path} -> {self.proposed_level}"


class RiskLevel(models.Model):
    """An approved level of an area, valid from `valid_from` until the next one (versioned)."""

    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    level = models.CharField(max_length=6, choices=RiskLevelChoice.choices)
    version = models.PositiveIntegerField()
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)  # None: in force
    proposal = models.ForeignKey(RiskProposal, null=True, on_delete=models.SET_NULL)
    published_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["area_path", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["area", "version"], name="one_risk_level_version"),
            models.UniqueConstraint(
                fields=["area"], condition=models.Q(valid_to=None), name="one_level_in_force"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area_path} {self.level} v{self.version}"


# --- alerts ------------------------------------------------------------------------------------


class AlertSource(models.TextChoices):
    DETECTOR = "detector", _("outbreak detector")
    SENSOR = "sensor", _("sensor")
    RISK = "risk", _("risk level change")
    OPINION = "opinion", _("rumor clarification")


class AlertStatus(models.TextChoices):
    NEW = "new", _("new")
    CONFIRMED = "confirmed", _("confirmed")
    DISMISSED = "dismissed", _("dismissed")
    ESCALATED = "escalated", _("escalated")


class Alert(models.Model):
    """A signal in the analyst inbox: an alarm of a detector or sensor, or a risk change."""

    source = models.CharField(max_length=10, choices=AlertSource.choices)
    kind = models.CharField(max_length=30)  # e.g. farrington-flexible, high, silent, rate
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    detail = models.JSONField(default=dict)  # what raised it: values, thresholds
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    # One alert per (source, key): a detector re-run or a repeated reading does not duplicate.
    dedup_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default="new")
    raised_at = models.DateTimeField(auto_now_add=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    triage_reason = models.TextField(blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["status", "area_path"], name="alert_inbox")]

    def __str__(self) -> str:
        return f"alert #{self.pk} {self.source}/{self.kind}"


class CapMessage(models.Model):
    """A published CAP 1.2 message: the XML exactly as sent, kept for the Atom feed."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="cap_messages")
    identifier = models.CharField(max_length=200, unique=True)
    msg_type = models.CharField(max_length=10)  # Alert | Update | Cancel
    references = models.TextField(blank=True)  # CAP <references> of the earlier messages
    sent = models.DateTimeField()
    xml = models.TextField()
    area_path = models.CharField(max_length=21)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-sent"]

    def __str__(self) -> str:
        return self.identifier
