"""Online approvals ("run once at most"): services, their versioned definitions, applications,
their workflow steps, attachments and certificates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisisgov.kernel.scoping import ScopedManager


class Service(models.Model):
    """An online service citizens apply for, defined for an area (its departments decide)."""

    slug = models.SlugField(max_length=60, unique=True)
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21, db_index=True)
    current_version = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["area_path", "id"]

    def __str__(self) -> str:
        return self.slug


class ServiceVersion(models.Model):
    """One immutable version of a service's definition: form fields, attachments, stages.

    An application keeps the version it was submitted under, whatever is edited later.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    # {"fields": [...], "attachments": [...], "stages": [[{"department_id", "hours"}, ...]]}
    definition = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="approvals_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.service_id} v{self.number}"


class ApplicationState(models.TextChoices):
    IN_REVIEW = "in_review", _("in review")
    RETURNED = "returned", _("returned for correction")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class Application(models.Model):
    """A company's application, filed by a citizen account acting for it."""

    reference = models.CharField(max_length=30, unique=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="applications")
    version = models.ForeignKey(ServiceVersion, on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The company, not the person: its name and unified social credit code (GB 32100).
    company_name = models.CharField(max_length=200)
    credit_code = models.CharField(max_length=18, db_index=True)
    form_data = models.JSONField(default=dict)
    area_path = models.CharField(max_length=21, db_index=True)  # the service's area
    state = models.CharField(
        max_length=12, choices=ApplicationState.choices, default=ApplicationState.IN_REVIEW
    )
    current_stage = models.PositiveSmallIntegerField(default=1)
    # What the applicant had to do: 1 for the submission, +1 per correction round.
    visits = models.PositiveSmallIntegerField(default=1)
    correction_fields = models.JSONField(default=list, blank=True)  # named by the returning step
    correction_reason = models.CharField(max_length=500, blank=True)
    corrections_used = models.PositiveSmallIntegerField(default=0)
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["state", "decided_at"], name="approvals_app_state")]

    def __str__(self) -> str:
        return self.reference


class StepState(models.TextChoices):
    WAITING = "waiting", _("waiting for an earlier stage")
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")
    RETURNED = "returned", _("returned for correction")
    CANCELLED = "cancelled", _("cancelled")


class Step(models.Model):
    """One department's decision on one application, inside a stage (steps of a stage run in
    parallel; stage n+1 opens when every step of stage n is approved)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    stage = models.PositiveSmallIntegerField()
    department = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    department_path = models.CharField(max_length=21, db_index=True)
    hours = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=StepState.choices, default=StepState.WAITING)
    opened_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    overdue = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()
    scope_area_path_field = "department_path"
    scope_organisation_field = "department_id"

    class Meta:
        ordering = ["application_id", "stage", "id"]
        indexes = [models.Index(fields=["state", "due_at"], name="approvals_step_due")]

    def __str__(self) -> str:
        return f"{self.application_id} stage {self.stage} ({self.state})"


class DepartmentHead(models.Model):
    """The officer flagged head of a department: overdue steps of it escalate to them."""

    department = models.OneToOneField(
        "directory.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    department_path = models.CharField(max_length=21, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    designated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_area_path_field = "department_path"

    def __str__(self) -> str:
        return f"head of {self.department_id}"


class Attachment(models.Model):
    """An uploaded file, stored under VAR_DIR (never served publicly)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    name = models.CharField(max_length=60)  # the definition's attachment name
    filename = models.CharField(max_length=200)
    stored_as = models.CharField(max_length=300)  # relative to the attachments folder
    content_type = models.CharField(max_length=60)  # sniffed from the bytes, not the header
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    current = models.BooleanField(default=True)  # False once replaced by a correction

    class Meta:
        ordering = ["application_id", "name", "id"]

    def __str__(self) -> str:
        return self.filename


class Certificate(models.Model):
    """Issued when every step is approved; its signed serial is what the QR code carries."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="certificate"
    )
    serial = models.CharField(max_length=40, unique=True)
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.serial
