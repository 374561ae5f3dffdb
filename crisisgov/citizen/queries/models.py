"""Citizen queries: what officials publish for citizens to check themselves against (trips and
places where a confirmed case was), and the testing sites' hours and queues. Nothing here
holds anything about the citizens who ask."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisisgov.kernel.scoping import ScopedManager


class TripMode(models.TextChoices):
    TRAIN = "train", _("train")
    FLIGHT = "flight", _("flight")
    BUS = "bus", _("bus")
    SHIP = "ship", _("ship")
    METRO = "metro", _("metro")


class TripSegment(models.Model):
    """A published journey on which a confirmed case travelled (a train between two stops, a
    flight, a bus line on a day). `number_key` is the normalised number citizens' queries are
    matched on; `area_path` is the publishing authority's jurisdiction."""

    mode = models.CharField(max_length=10, choices=TripMode.choices)
    number = models.CharField(max_length=40)  # as published: "G1234", "公交 18路"
    number_key = models.CharField(max_length=40)  # normalised: "G1234", "18"
    travel_date = models.DateField()
    from_stop = models.CharField(max_length=100, blank=True)
    to_stop = models.CharField(max_length=100, blank=True)
    departs_at = models.TimeField(null=True, blank=True)
    arrives_at = models.TimeField(null=True, blank=True)
    carriage = models.CharField(max_length=60, blank=True)  # "car 5", "rows 10-14"
    cases = models.PositiveSmallIntegerField(default=1)
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)  # a correction takes it back

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-travel_date", "number_key", "id"]
        indexes = [models.Index(fields=["number_key", "travel_date"], name="trip_key_date")]

    def __str__(self) -> str:
        return f"{self.number} {self.travel_date}"


class ExposureVenue(models.Model):
    """A place and the window of time a confirmed case spent there."""

    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    area = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=21)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-starts_at", "id"]
        indexes = [models.Index(fields=["ends_at"], name="venue_ends")]

    def __str__(self) -> str:
        return f"{self.name_zh} {self.starts_at:%Y-%m-%d %H:%M}"


class QueueStatus(models.TextChoices):
    SHORT = "short", _("short queue")
    MEDIUM = "medium", _("medium queue")
    LONG = "long", _("long queue")
    CLOSED = "closed", _("closed now")


class TestingSiteInfo(models.Model):
    """What a testing site tells the public: weekly opening hours, services, its queue.

    `hours` maps weekday numbers ("0" Monday .. "6" Sunday) to lists of ["HH:MM", "HH:MM"]
    intervals in the city's time zone. The queue holds for QUEUE_VALID_MINUTES after
    `queue_updated_at`; after that it is shown as unknown.
    """

    organisation = models.OneToOneField(
        "directory.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    area_path = models.CharField(max_length=21)
    hours = models.JSONField(default=dict)
    offers_pcr = models.BooleanField(default=True)
    offers_antigen = models.BooleanField(default=False)
    queue_status = models.CharField(max_length=10, choices=QueueStatus.choices, blank=True)
    waiting_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    queue_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["area_path", "organisation_id"]

    def __str__(self) -> str:
        return f"testing site {self.organisation_id}"
