"""Bulletins: the daily situation bulletins of an authority and its "rumor vs fact" notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crisisgov.kernel.scoping import ScopedManager


class BulletinState(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    CORRECTED = "corrected", _("corrected")  # published, then superseded by a correction


class Bulletin(models.Model):
    """One day's situation bulletin of an area (the issuing authority's, e.g. the city), in
    zh-Hans and en. Published bulletins never change; a correction is a new bulletin that
    names the one it corrects, which is then marked corrected (both stay public)."""

    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    date = models.DateField()  # the day the numbers are about
    number = models.PositiveIntegerField(null=True, blank=True)  # per area, given on publishing
    title_zh = models.CharField(max_length=200, blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    body_zh = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    figures = models.JSONField(default=dict)  # protected figures only (protection.py)
    state = models.CharField(
        max_length=10, choices=BulletinState.choices, default=BulletinState.DRAFT
    )
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="correction"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-date", "-published_at", "-id"]
        constraints = [
            # One bulletin per area and day (drafting again is idempotent); corrections aside.
            models.UniqueConstraint(
                fields=["area", "date"],
                condition=Q(corrects__isnull=True),
                name="one_bulletin_per_area_and_day",
            ),
            models.UniqueConstraint(fields=["area", "number"], name="one_bulletin_number_per_area"),
        ]
        indexes = [models.Index(fields=["state", "published_at"], name="bulletin_public")]

    def __str__(self) -> str:
        return f"bulletin {self.area_path} {self.date} #{self.number or '-'} ({self.state})"

    @property
    def is_public(self) -> bool:
        return self.state != BulletinState.DRAFT

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_zh

    def body(self, language: str) -> str:
        return self.body_en if language == "en" else self.body_zh


class Clarification(models.Model):
    """A "rumor vs fact" note: a claim going round, the fact, and the evidence for it. Filed by
    an official or, later, by the opinion app through the facade."""

    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    claim_zh = models.TextField()
    claim_en = models.TextField()
    fact_zh = models.TextField()
    fact_en = models.TextField()
    source_url = models.URLField(max_length=500, blank=True)  # the evidence
    bulletin = models.ForeignKey(
        Bulletin, null=True, blank=True, on_delete=models.SET_NULL, related_name="clarifications"
    )
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set by the app that filed it (e.g. "opinion:rumor:42"), so that filing twice is one note.
    external_ref = models.CharField(max_length=100, blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_ref"],
                condition=~Q(external_ref=""),
                name="one_clarification_per_external_ref",
            )
        ]

    def __str__(self) -> str:
        return f"clarification #{self.pk} {self.area_path}"

    def claim(self, language: str) -> str:
        return self.claim_en if language == "en" else self.claim_zh

    def fact(self, language: str) -> str:
        return self.fact_en if language == "en" else self.fact_zh
