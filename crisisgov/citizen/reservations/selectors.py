"""Scarce-supply reservations: reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from crisisgov.citizen.reservations.models import (
    LotteryEntry,
    LotteryState,
    LotteryWindow,
    RationedItem,
    Reservation,
    ReservationState,
)
from crisisgov.citizen.reservations.services import _require_pharmacy_staff
from crisisgov.directory.facade import public_places
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.errors import NotFound


@dataclass(frozen=True)
class MyReservation:
    id: str
    code: str
    item: str
    pharmacy_id: int
    pharmacy_zh: str
    pharmacy_en: str
    day: dt.date
    quantity: int
    state: str
    pickup_deadline: dt.datetime

    @property
    def state_label(self) -> str:
        return str(ReservationState(self.state).label)


def my_reservations(*, user: Any, limit: int = 50) -> list[MyReservation]:
    """Reservations the account made (written ones; in Redis mode a fresh one appears once
    the worker wrote it behind, within a second or two)."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = list(Reservation.objects.filter(account_id=user.pk).order_by("-created_at")[:limit])
    places = {p.id: p for p in public_places(kind="pharmacy", ids=[r.pharmacy_id for r in rows])}
    return [
        MyReservation(
            r.pk,
            r.code,
            r.item_id,
            r.pharmacy_id,
            places[r.pharmacy_id].name_zh if r.pharmacy_id in places else "",
            places[r.pharmacy_id].name_en if r.pharmacy_id in places else "",
            r.day,
            r.quantity,
            r.state,
            r.pickup_deadline,
        )
        for r in rows
    ]


def pharmacy_reservations(
    *, actor: Actor, pharmacy_id: int, day: dt.date | None = None
) -> list[dict]:
    _require_pharmacy_staff(actor, pharmacy_id)
    day = day or timezone.localdate()
    rows = list(
        Reservation.objects.filter(pharmacy_id=pharmacy_id, day=day)
        .order_by("created_at")
        .values("code", "item", "quantity", "state", "created_at")[:2000]
    )
    for row in rows:
        row["state_label"] = str(ReservationState(row["state"]).label)
    return rows


def items_active() -> list[RationedItem]:
    return list(RationedItem.objects.filter(active=True))


def lottery_get(window_id: int) -> LotteryWindow:
    window = LotteryWindow.objects.filter(pk=window_id).first()
    if window is None:
        raise NotFound("no such lottery window", field="window_id")
    return window


def lottery_public(window: LotteryWindow) -> dict:
    """What anyone may know of a window: the seed only once drawn."""
    drawn = window.state == LotteryState.DRAWN
    return {
        "id": window.pk,
        "item": window.item_id,
        "pharmacy_id": window.pharmacy_id,
        "title_zh": window.title_zh,
        "title_en": window.title_en,
        "opens_at": window.opens_at,
        "closes_at": window.closes_at,
        "pickup_day": window.pickup_day,
        "stock": window.stock,
        "state": window.state,
        "seed_commitment": window.seed_commitment,
        "seed": window.seed if drawn else None,
        "entries": window.entries.count(),
        "winners": window.winners,
    }


def lottery_verification(window: LotteryWindow) -> dict:
    """The published pseudonymous entry list and outcome: enough to re-run the draw."""
    entries = list(window.entries.order_by("ticket").values("ticket", "won", "passed_over"))
    doc = lottery_public(window)
    doc.update(
        {
            "opens_at": window.opens_at.isoformat(),
            "closes_at": window.closes_at.isoformat(),
            "pickup_day": window.pickup_day.isoformat(),
            "commitment": window.seed_commitment,
            "tickets": [e["ticket"] for e in entries],
            "winners": [e["ticket"] for e in entries if e["won"]]
            if window.state == LotteryState.DRAWN
            else [],
            "passed_over": [e["ticket"] for e in entries if e["passed_over"]],
            "algorithm": "order = sorted(tickets, key=HMAC-SHA256(key=seed, msg=ticket).hex);"
            " winners are taken from the front, passing over anyone whose quota was used up",
        }
    )
    return doc


def lotteries_open(*, now: dt.datetime | None = None) -> list[LotteryWindow]:
    now = now or timezone.now()
    return list(
        LotteryWindow.objects.filter(state=LotteryState.OPEN, closes_at__gt=now).order_by(
            "closes_at"
        )[:20]
    )


def lotteries_recent(limit: int = 20) -> list[LotteryWindow]:
    return list(LotteryWindow.objects.order_by("-opens_at")[:limit])


def my_lottery_entries(*, user: Any) -> list[LotteryEntry]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        LotteryEntry.objects.filter(account_id=user.pk)
        .select_related("window")
        .order_by("-id")[:20]
    )
