"""Hotline tickets: the dispatch catalogue, the tickets and their response clock.

A call becomes an `opinion.Message` (channel hotline, text redacted) and a `Ticket` that a
dispatcher sends to one department desk. The desk must handle it or send it back to the
dispatcher with a reason; deadlines come from the category's time-limit class.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisisgov.kernel.fields import EncryptedTextField
from crisisgov.kernel.scoping import ScopedManager


class AreaLevel(models.TextChoices):
    CITY = "city", _("city")
    DISTRICT = "district", _("district")
    STREET = "street", _("street")


class TimeLimitClass(models.Model):
    """How long a department has: to resolve (`hours`), to give a first response
    (`response_hours`), and how early the reminder goes out (`reminder_before_hours`)."""

    code = models.CharField(max_length=30, unique=True)
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    hours = models.FloatField()
    response_hours = models.FloatField()
    reminder_before_hours = models.FloatField()

    class Meta:
        ordering = ["hours", "code"]

    def __str__(self) -> str:
        return self.code


class Category(models.Model):
    """A line of the dispatch catalogue: what the call is about, which department answers it
    (at which area level above the caller), and its time-limit class."""

    code = models.CharField(max_length=40, unique=True)
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    department_code = models.CharField(max_length=30)  # dataset/departments.json codes
    area_level = models.CharField(max_length=10, choices=AreaLevel.choices)
    time_limit = models.ForeignKey(TimeLimitClass, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["department_code", "code"]

    def __str__(self) -> str:
        return self.code

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_zh


class Department(models.Model):
    """A department desk: one department (by its dataset code) at one area, backed by the
    directory organisation whose officers handle its tickets."""

    code = models.CharField(max_length=30)
    organisation_id = models.BigIntegerField()  # directory.Organisation, read via its facade
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)

    objects = ScopedManager()
    scope_area_path_field = "area_path"
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["area_path", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "area"], name="opinion_tickets_one_desk")
        ]

    def __str__(self) -> str:
        return f"{self.code}@{self.area_path}"

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_zh


class TicketState(models.TextChoices):
    NEW = "new", _("waiting for dispatch")
    ASSIGNED = "assigned", _("assigned")
    ACCEPTED = "accepted", _("accepted (first response given)")
    RETURNED = "returned", _("returned to the dispatcher")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


OPEN_STATES = (TicketState.NEW, TicketState.ASSIGNED, TicketState.ACCEPTED, TicketState.RETURNED)


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")


class Ticket(models.Model):
    """One hotline call and its handling. `area_path` is the caller's area (scoping by
    district); `organisation_id` the department desk's organisation (scoping by department)."""

    message = models.OneToOneField("opinion.Message", on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    caller_name = EncryptedTextField(blank=True, mask="name")
    caller_phone = EncryptedTextField(blank=True, mask="phone")
    state = models.CharField(max_length=10, choices=TicketState.choices, default=TicketState.NEW)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    organisation_id = models.BigIntegerField(null=True, blank=True)
    # Routing as suggested when the call was taken: [{"department": code, "confidence": x,
    # "source": "rule"|"classifier"}], best first.
    suggestions = models.JSONField(default=list)
    received_at = models.DateTimeField()  # the response clock starts here (injected clock)
    assigned_at = models.DateTimeField(null=True, blank=True)
    response_due = models.DateTimeField(null=True, blank=True)
    resolve_due = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)  # before the resolve deadline
    response_reminded_at = models.DateTimeField(null=True, blank=True)  # before the response's
    breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The same department one area level up (null at the city: the command centre alone).
    escalated_to = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    rating_token_digest = models.CharField(max_length=64, blank=True, db_index=True)
    rating_token = EncryptedTextField(blank=True)  # so the handler can give the link again
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)  # 1-5, the caller's
    rated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Retention: set when the department answers (the day + CRISISGOV_OPINION_RETENTION_DAYS);
    # the sweep then deletes the ticket, its events and the caller's data, which releases the
    # message (PROTECT) to the core's retention sweep. An open ticket has none: kept till done.
    keep_until = models.DateField(null=True, blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"
    scope_organisation_field = "organisation_id"

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["keep_until"], name="opinion_ticket_retention"),
            models.Index(fields=["state", "resolve_due"], name="opinion_ticket_clock"),
            models.Index(fields=["organisation_id", "state"], name="opinion_ticket_desk"),
            models.Index(fields=["area_path", "received_at"], name="opinion_ticket_area"),
        ]

    def __str__(self) -> str:
        return f"ticket {self.pk} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class EventAction(models.TextChoices):
    REGISTERED = "registered", _("call registered")
    DISPATCHED = "dispatched", _("dispatched")
    REASSIGNED = "reassigned", _("dispatched again")
    ACCEPTED = "accepted", _("accepted")
    RETURNED = "returned", _("sent back to the dispatcher")
    RESOLVED = "resolved", _("answered")
    RATED = "rated", _("rated by the caller")
    REMINDED = "reminded", _("deadline reminder")
    BREACHED = "breached", _("deadline missed")
    ESCALATED = "escalated", _("escalated")


class TicketEvent(models.Model):
    """The ticket's history as its people see it: who did what, when, and why."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor_username = models.CharField(max_length=150)
    action = models.CharField(max_length=30, choices=EventAction.choices)
    department_code = models.CharField(max_length=30, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} on ticket {self.ticket_id}"
