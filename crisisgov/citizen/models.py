"""Citizen services: models of the app's root (health status, acting for another person; each
part has its own sub-app: queries, reservations, approvals, bulletins)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisisgov.kernel.fields import EncryptedTextField
from crisisgov.kernel.scoping import ScopedManager


class PublishedDocument(models.Model):
    """A read model that is the same for everyone (risk levels, pharmacy stock), published as
    JSON when it changes and served as is: cacheable, never computed per request. The surge
    edge reads the same rows (or their Redis copy)."""

    name = models.SlugField(max_length=60, unique=True)
    body = models.TextField()  # compact JSON, UTF-8
    etag = models.CharField(max_length=32)
    published_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


# --- acting for another person ----------------------------------------------------------------


class Relationship(models.TextChoices):
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("son or daughter")
    GRANDCHILD = "grandchild", _("grandchild")
    SIBLING = "sibling", _("brother or sister")
    PARENT = "parent", _("parent")
    OTHER_RELATIVE = "other_relative", _("other relative")
    GUARDIAN = "guardian", _("legal guardian")


class DelegationState(models.TextChoices):
    REQUESTED = "requested", _("requested")
    ACTIVE = "active", _("active")
    REVOKED = "revoked", _("revoked")


class Delegation(models.Model):
    """A carer's account may act for a resident (an elderly person without a smartphone),
    once the resident's grid worker has confirmed it after a visit or a call."""

    carer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("directory.Person", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=21, db_index=True)  # the resident's, for scoping
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    state = models.CharField(
        max_length=10, choices=DelegationState.choices, default=DelegationState.REQUESTED
    )
    requested_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open request or active delegation per carer and resident.
            models.UniqueConstraint(
                fields=["carer", "person"],
                condition=models.Q(state__in=["requested", "active"]),
                name="one_open_delegation",
            )
        ]

    def __str__(self) -> str:
        return f"delegation #{self.pk} ({self.state})"


# --- health status ----------------------------------------------------------------------------


class Colour(models.TextChoices):
    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")


class HealthStatus(models.Model):
    """The current status of one resident, as the published rule set computed it (or as a
    confirmed override set it). The surge edge reads this table directly by person_id."""

    person = models.OneToOneField("directory.Person", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=21, db_index=True)
    status = models.CharField(max_length=6, choices=Colour.choices)
    rule_code = models.CharField(max_length=40)
    ruleset_version = models.CharField(max_length=20)
    # The record that produced the colour: its standard, id and the time it speaks of.
    evidence_standard = models.CharField(max_length=60, blank=True)
    evidence_record_id = models.BigIntegerField(null=True, blank=True)
    evidence_at = models.DateTimeField(null=True, blank=True)
    override = models.ForeignKey(
        "StatusOverride", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField()
    valid_until = models.DateTimeField(db_index=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    def __str__(self) -> str:
        return f"{self.status} for person #{self.person_id}"


class OverrideReason(models.TextChoices):
    LAB_ERROR = "lab_error", _("laboratory error")
    MISTAKEN_IDENTITY = "mistaken_identity", _("mistaken identity")
    MEDICAL_EXEMPTION = "medical_exemption", _("medical exemption")
    QUARANTINE_RELEASED = "quarantine_released", _("quarantine released early")
    DATA_DELAY = "data_delay", _("result not yet transmitted")


class OverrideState(models.TextChoices):
    PROPOSED = "proposed", _("awaiting a second official")
    CONFIRMED = "confirmed", _("confirmed")
    WITHDRAWN = "withdrawn", _("withdrawn")


class StatusOverride(models.Model):
    """A manual status for ONE resident until `expires_at`: proposed by one official, applied
    only once a different official confirms it."""

    person = models.ForeignKey("directory.Person", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=21, db_index=True)
    status = models.CharField(max_length=6, choices=Colour.choices)
    reason = models.CharField(max_length=24, choices=OverrideReason.choices)
    expires_at = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=OverrideState.choices, default=OverrideState.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["person", "state"], name="override_person_state")]
        constraints = [
            # One proposal at a time per resident, even when two officials click at once.
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(state="proposed"),
                name="one_open_override",
            )
        ]

    def __str__(self) -> str:
        return f"override #{self.pk} ({self.state})"


class AppealState(models.TextChoices):
    PENDING = "pending", _("pending")
    UPHELD = "upheld", _("upheld")
    DISMISSED = "dismissed", _("dismissed")


class AppealOutcome(models.TextChoices):
    EXCLUDE = "exclude", _("the contested record no longer counts")
    FIX_REQUESTED = "fix_requested", _("the record's owner is asked to correct it")


class StatusAppeal(models.Model):
    """A citizen contests the record behind their colour. An upheld appeal that excludes the
    record makes the rules ignore it for this resident."""

    person = models.ForeignKey("directory.Person", on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=21, db_index=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # What is contested: the rule and the record as the citizen saw them.
    rule_code = models.CharField(max_length=40)
    evidence_standard = models.CharField(max_length=60, blank=True)
    evidence_record_id = models.BigIntegerField(null=True, blank=True)
    reason = EncryptedTextField(mask="name")  # the citizen's words may be personal
    state = models.CharField(
        max_length=10, choices=AppealState.choices, default=AppealState.PENDING
    )
    outcome = models.CharField(max_length=14, choices=AppealOutcome.choices, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(state="pending"), name="one_pending_appeal"
            )
        ]

    def __str__(self) -> str:
        return f"appeal #{self.pk} ({self.state})"


class NoticeKind(models.TextChoices):
    OVERRIDE_APPLIED = "override_applied", _("status set by officials")
    APPEAL_UPHELD = "appeal_upheld", _("appeal upheld")
    APPEAL_DISMISSED = "appeal_dismissed", _("appeal dismissed")
    DELEGATION_ACTIVE = "delegation_active", _("acting-for confirmed")
    DELEGATION_REVOKED = "delegation_revoked", _("acting-for revoked")


class CitizenNotice(models.Model):
    """A message to a resident (shown to their own account and to whoever acts for them).
    Kept as a kind plus parameters, so it reads in the reader's language."""

    person = models.ForeignKey("directory.Person", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "created_at"], name="notice_person_time")]

    def __str__(self) -> str:
        return f"notice #{self.pk} ({self.kind})"
