"""Scarce-supply reservations: models.

Table names are pinned: the pure `store` module (used by the surge edge too) writes them with
plain SQL. No name or ID number is stored for a reservation: only the ID number's blind index
(`person_key`), which is what the quota counts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisisgov.citizen.reservations import store
from crisisgov.kernel.scoping import ScopedManager


class RationedItem(models.Model):
    """A rationed good (masks) with its per-person quota: `quota_quantity` per `quota_days`."""

    code = models.SlugField(max_length=30, unique=True)
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    unit_zh = models.CharField(max_length=20, default="盒")
    unit_en = models.CharField(max_length=20, default="box")
    quota_quantity = models.PositiveIntegerField(default=1)
    quota_days = models.PositiveIntegerField(default=7)
    area_path = models.CharField(max_length=21, db_index=True)  # where the rule applies
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class PharmacyStock(models.Model):
    """A pharmacy's stock of an item for one day. `reserved` counts active reservations
    (reserved or picked up); `quantity - reserved` is what can still be reserved."""

    pharmacy = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        RationedItem, to_field="code", db_column="item_code", on_delete=models.PROTECT
    )
    day = models.DateField()
    quantity = models.PositiveIntegerField()
    reserved = models.IntegerField(default=0)
    picked_up = models.IntegerField(default=0)
    area_path = models.CharField(max_length=21, db_index=True)  # the pharmacy's
    published_at = models.DateTimeField()

    objects = ScopedManager()
    scope_area_path_field = "area_path"
    scope_organisation_field = "pharmacy_id"

    class Meta:
        db_table = store.STOCK_TABLE
        ordering = ["day", "pharmacy_id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "pharmacy", "day"], name="stock_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(reserved__lte=models.F("quantity")), name="stock_no_oversell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} at {self.pharmacy_id} on {self.day}"

    @property
    def left(self) -> int:
        return self.quantity - self.reserved


class ReservationState(models.TextChoices):
    RESERVED = "reserved", _("reserved")
    PICKED_UP = "picked_up", _("picked up")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")


class Reservation(models.Model):
    """One accepted reservation. `id` is made before the decision (Redis) so the write-behind
    inserts it exactly once; `source` says which store accepted it."""

    id = models.CharField(max_length=32, primary_key=True)
    code = models.CharField(max_length=12)
    item = models.ForeignKey(
        RationedItem, to_field="code", db_column="item_code", on_delete=models.PROTECT
    )
    pharmacy = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField()
    person_key = models.CharField(max_length=64)  # blind index of the ID number
    quantity = models.PositiveIntegerField()
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=120, unique=True)
    body_hash = models.CharField(max_length=64)
    state = models.CharField(
        max_length=12, choices=ReservationState.choices, default=ReservationState.RESERVED
    )
    created_at = models.DateTimeField()
    pickup_deadline = models.DateTimeField()
    picked_up_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=5)  # "redis" or "db"
    remaining_after = models.IntegerField(null=True, blank=True)  # the answer, for retries

    class Meta:
        db_table = store.RESERVATION_TABLE
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["item", "person_key", "created_at"], name="res_quota"),
            models.Index(fields=["pharmacy", "code"], name="res_pickup"),
            models.Index(fields=["state", "pickup_deadline"], name="res_expiry"),
            models.Index(fields=["account", "created_at"], name="res_account"),
        ]

    def __str__(self) -> str:
        return f"reservation {self.code}"


class PersonQuota(models.Model):
    """One row per (item, person): locked by the SQL store to serialise a person's requests."""

    item_code = models.CharField(max_length=30)
    person_key = models.CharField(max_length=64)
    touched_at = models.DateTimeField()

    class Meta:
        db_table = store.QUOTA_TABLE
        constraints = [
            models.UniqueConstraint(fields=["item_code", "person_key"], name="quota_one_row")
        ]

    def __str__(self) -> str:
        return f"quota row {self.item_code}"


class LotteryState(models.TextChoices):
    OPEN = "open", _("open for registration")
    DRAWN = "drawn", _("drawn")


class LotteryWindow(models.Model):
    """A pre-order window: everyone who registers before `closes_at` has the same chance;
    `stock` boxes at `pharmacy` are drawn from the entries with the seed, which is committed
    (its SHA-256 published) at opening and revealed at the draw."""

    item = models.ForeignKey(
        RationedItem, to_field="code", db_column="item_code", on_delete=models.PROTECT
    )
    pharmacy = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    pickup_day = models.DateField()
    stock = models.PositiveIntegerField()
    seed = models.CharField(max_length=64)  # secret until the draw
    seed_commitment = models.CharField(max_length=64)  # sha256(seed), public from the start
    state = models.CharField(max_length=8, choices=LotteryState.choices, default="open")
    drawn_at = models.DateTimeField(null=True, blank=True)
    winners = models.PositiveIntegerField(default=0)
    stock_added = models.BooleanField(default=False)  # the draw added `stock` to the day
    area_path = models.CharField(max_length=21, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()
    scope_area_path_field = "area_path"

    class Meta:
        ordering = ["-opens_at"]

    def __str__(self) -> str:
        return self.title_en


class LotteryEntry(models.Model):
    """One registration per person per window (idempotent)."""

    window = models.ForeignKey(LotteryWindow, on_delete=models.CASCADE, related_name="entries")
    person_key = models.CharField(max_length=64)
    ticket = models.CharField(max_length=20)  # the published pseudonym (lottery.ticket)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    won = models.BooleanField(default=False)
    passed_over = models.BooleanField(default=False)  # drawn, but the quota was used up
    # the winner's reservation (by id: in Redis mode its row is written behind)
    reservation_id = models.CharField(max_length=32, blank=True)
    code = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["window", "person_key"], name="lottery_one_entry")
        ]

    def __str__(self) -> str:
        return f"entry #{self.pk}"
