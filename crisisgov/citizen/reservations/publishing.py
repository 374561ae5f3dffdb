"""What everyone may see of the reservations, precomputed: the `stock` document (stock left
now per pharmacy) and the open data (stock and reservation counts per pharmacy and day).
No person data in either."""

from __future__ import annotations

import datetime as dt
import json
import time

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from crisisgov.citizen.publishing import document_get, document_publish
from crisisgov.citizen.reservations.models import (
    PharmacyStock,
    RationedItem,
    Reservation,
    ReservationState,
)
from crisisgov.directory.facade import public_places

STOCK_DOCUMENT = "stock"
REPUBLISH_EVERY = 3.0  # seconds: the document is at most this stale (plus a worker round)
_last_check = 0.0


def stock_payload(*, day: dt.date | None = None) -> dict:
    """Stock left per pharmacy and item for `day` and later (Redis's live counter when
    REDIS_URL is set, else the database's)."""
    day = day or timezone.localdate()
    stocks = list(PharmacyStock.objects.filter(day__gte=day).order_by("day", "pharmacy_id"))
    places = {p.id: p for p in public_places(kind="pharmacy", ids=[s.pharmacy_id for s in stocks])}
    live = _redis_left(stocks) if settings.REDIS_URL else {}
    items = {
        i.code: {
            "name_zh": i.name_zh,
            "name_en": i.name_en,
            "unit_zh": i.unit_zh,
            "unit_en": i.unit_en,
            "quota": i.quota_quantity,
            "quota_days": i.quota_days,
        }
        for i in RationedItem.objects.filter(active=True)
    }
    rows = []
    for s in stocks:
        place = places.get(s.pharmacy_id)
        if place is None or not place.active:
            continue
        left = live.get(s.pk, s.left)
        rows.append(
            {
                "pharmacy_id": s.pharmacy_id,
                "name_zh": place.name_zh,
                "name_en": place.name_en,
                "address": place.address,
                "lon": place.lon,
                "lat": place.lat,
                "area_path": place.area_path,
                "item": s.item_id,
                "day": s.day.isoformat(),
                "quantity": s.quantity,
                "left": max(left, 0),
            }
        )
    return {"day": day.isoformat(), "items": items, "stock": rows}


def _redis_left(stocks: list[PharmacyStock]) -> dict[int, int]:
    from crisisgov.citizen.reservations import store
    from crisisgov.citizen.reservations.services import redis_store

    client = redis_store().client
    pipe = client.pipeline(transaction=False)
    for s in stocks:
        pipe.hget(store.stock_key(s.item_id, s.pharmacy_id, s.day), "left")
    return {s.pk: int(v) for s, v in zip(stocks, pipe.execute(), strict=True) if v is not None}


def stock_publish_if_changed(*, force: bool = False) -> int:
    """Republish the stock document when it changed; at most every REPUBLISH_EVERY seconds.
    Returns 1 when a new version was published."""
    global _last_check
    if not force and time.monotonic() - _last_check < REPUBLISH_EVERY:
        return 0
    _last_check = time.monotonic()
    payload = stock_payload()
    current = document_get(STOCK_DOCUMENT)
    if current is not None and json.loads(current.body) == payload:
        return 0
    document_publish(STOCK_DOCUMENT, payload)
    return 1


OPEN_DATA_FIELDS = [
    "day",
    "pharmacy_id",
    "pharmacy_zh",
    "pharmacy_en",
    "area_path",
    "item",
    "stock",
    "reserved",
    "picked_up",
    "reservations",
    "expired",
    "cancelled",
]


def open_data_rows(*, since: dt.date, until: dt.date) -> list[dict]:
    """Per pharmacy, item and day: the stock and how it went. Written reservations only (in
    Redis mode those not yet written behind appear a few seconds later)."""
    stocks = list(
        PharmacyStock.objects.filter(day__gte=since, day__lte=until).order_by(
            "day", "pharmacy_id", "item_id"
        )
    )
    counts = {
        (c["day"], c["pharmacy_id"], c["item_id"]): c
        for c in Reservation.objects.filter(day__gte=since, day__lte=until)
        .values("day", "pharmacy_id", "item_id")
        .annotate(
            n=Count("pk"),
            expired=Sum("quantity", filter=Q(state=ReservationState.EXPIRED), default=0),
            cancelled=Sum("quantity", filter=Q(state=ReservationState.CANCELLED), default=0),
        )
    }
    places = {p.id: p for p in public_places(kind="pharmacy", ids=[s.pharmacy_id for s in stocks])}
    rows = []
    for s in stocks:
        c = counts.get((s.day, s.pharmacy_id, s.item_id), {})
        place = places.get(s.pharmacy_id)
        rows.append(
            {
                "day": s.day.isoformat(),
                "pharmacy_id": s.pharmacy_id,
                "pharmacy_zh": place.name_zh if place else "",
                "pharmacy_en": place.name_en if place else "",
                "area_path": s.area_path,
                "item": s.item_id,
                "stock": s.quantity,
                "reserved": s.reserved,
                "picked_up": s.picked_up,
                "reservations": c.get("n", 0),
                "expired": c.get("expired", 0),
                "cancelled": c.get("cancelled", 0),
            }
        )
    return rows
