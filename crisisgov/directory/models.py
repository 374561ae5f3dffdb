"""Organisations, residents, households, role assignments and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisisgov.kernel.fields import BlindIndexField, EncryptedTextField
from crisisgov.kernel.scoping import ScopedManager


class OrganisationKind(models.TextChoices):
    DEPARTMENT = "department", _("government department")
    HOSPITAL = "hospital", _("hospital")
    TESTING_SITE = "testing_site", _("testing site")
    PHARMACY = "pharmacy", _("pharmacy")
    NGO = "ngo", _("NGO")
    COMPANY = "company", _("company")


class DepartmentType(models.TextChoices):
    HEALTH_COMMISSION = "health_commission", _("health commission")
    EMERGENCY_MANAGEMENT = "emergency_management", _("emergency management")
    CIVIL_AFFAIRS = "civil_affairs", _("civil affairs")
    PUBLIC_SECURITY = "public_security", _("public security")
    TRANSPORT = "transport", _("transport")
    MARKET_REGULATION = "market_regulation", _("market regulation")
    PUBLICITY = "publicity", _("publicity")
    HOUSING = "housing", _("housing and construction")
    WATER = "water", _("water")
    POWER = "power", _("power supply")
    EDUCATION = "education", _("education")
    ENVIRONMENT = "environment", _("ecology and environment")
    COMMAND_CENTRE = "command_centre", _("command centre")


class Organisation(models.Model):
    """A department at an area level, a hospital, testing site, pharmacy, NGO or company."""

    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    department_type = models.CharField(max_length=30, choices=DepartmentType.choices, blank=True)
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21, db_index=True)
    address = models.CharField(max_length=300, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    public_phone = models.CharField(max_length=40, blank=True)  # an office line, not personal
    active = models.BooleanField(default=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"
    scope_organisation_field = "id"

    class Meta:
        ordering = ["area_path", "id"]
        indexes = [models.Index(fields=["kind", "area_path"], name="org_kind_area")]

    def __str__(self) -> str:
        return self.name_zh


class Household(models.Model):
    building = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21, db_index=True)
    number = models.CharField(max_length=20)  # e.g. the flat number, "3-201"

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="household_per_building")
        ]

    def __str__(self) -> str:
        return f"{self.number}"


class Sex(models.TextChoices):
    FEMALE = "F", _("female")
    MALE = "M", _("male")


class Person(models.Model):
    """A resident. Name, national ID number and phone are encrypted at rest; the ID number
    and phone have blind indexes for exact lookup. `area_path` copies the home building's
    path so that scoping is one indexed range on this table."""

    name = EncryptedTextField(mask="name")
    national_id = EncryptedTextField(mask="national_id")
    national_id_index = BlindIndexField(source="national_id", unique=True)
    phone = EncryptedTextField(mask="phone", blank=True)
    phone_index = BlindIndexField(source="phone", blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    home_building = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["id"]
        # Scoped pagination: range on the path, then id order.
        indexes = [models.Index(fields=["area_path", "id"], name="person_area_id")]

    def __str__(self) -> str:
        return f"person #{self.pk}"


class RoleAssignment(models.Model):
    """A role granted to an account at an area (its subtree), optionally for an organisation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(max_length=30)
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21, db_index=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["user_id", "id"]

    def __str__(self) -> str:
        return f"{self.role} @ {self.area_path}"


class ApiToken(models.Model):
    """A bearer token of a service account (a department's system). Only its hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}...)"
