"""Kernel tables: the audit hash chain and the domain-event outbox."""

from __future__ import annotations

from django.db import models

from crisisgov.kernel.scoping import ScopedManager


class AuditHead(models.Model):
    """The one row that serialises audit writers: the last sequence number and hash.

    Writers lock it (SELECT ... FOR UPDATE) in the transaction of their change, so the chain
    never forks and sequence numbers have no gaps.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head at #{self.last_seq}"


class AuditEntry(models.Model):
    """One append-only entry of the audit log (update and delete are refused by triggers)."""

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    actor_user_id = models.BigIntegerField(null=True, db_index=True)
    actor_username = models.CharField(max_length=150)
    role = models.CharField(max_length=40, blank=True)
    organisation_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    # For reads of a person's data: the person, so a citizen can list who read their record.
    subject_person_id = models.BigIntegerField(null=True, db_index=True)
    area_path = models.CharField(max_length=40, blank=True)
    purpose = models.CharField(max_length=80, blank=True)
    fields_read = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    # Auditors read the entries about the areas they cover, like any other scoped rows.
    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_username}"


class OutboxEvent(models.Model):
    """A domain event, written in the same transaction as the change it reports."""

    topic = models.CharField(max_length=80, db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class OutboxDelivery(models.Model):
    """The delivery of one event to one handler; `delivered_at` is set in the handler's
    own transaction, so each handler's effect happens exactly once."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=200)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(db_index=True)
    delivered_at = models.DateTimeField(null=True, db_index=True)
    dead = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="one_delivery_per_handler")
        ]

    def __str__(self) -> str:
        return f"event #{self.event_id} to {self.handler}"
