"""Scarce-supply reservations: JSON API.

The surge edge (`crisisgov/edge/`) serves the same reserve call under load; this is the
Django path (pages, integrations) with the same answers: 201 accepted with the pickup code,
200 for a retry with the same idempotency key, 409 with the reason when refused, 422 when a
field is wrong.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from crisisgov.citizen.reservations import selectors, services, store
from crisisgov.kernel.errors import Conflict
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.schemas import Id, PathId, StrictInput, text

router = Router()

IdempotencyKey = Annotated[str, Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
Quantity = Annotated[int, Field(strict=True, ge=-(2**31), le=2**31)]  # the domain names the bounds


class ReserveIn(StrictInput):
    pharmacy_id: Id
    item: text(min_length=1, max_length=30)  # type: ignore[valid-type]
    id_number: text(min_length=1, max_length=40)  # type: ignore[valid-type]
    quantity: Quantity = 1
    idempotency_key: IdempotencyKey


class ReserveOut(Schema):
    result: str
    reservation_id: str | None
    code: str | None
    remaining: int | None
    replayed: bool


REFUSALS = {
    store.KEY_REUSED: (
        "idempotency_key",
        "this idempotency key was used for a different request",
    ),
    store.SOLD_OUT: ("pharmacy_id", "the pharmacy has no stock left for today"),
    store.QUOTA_EXCEEDED: ("id_number", "this person's quota for the period is used up"),
    store.NOT_OPEN: ("pharmacy_id", "the pharmacy has published no stock of this item today"),
}


@router.post("/reserve", response={201: ReserveOut, 200: ReserveOut})
def reserve(request: HttpRequest, payload: ReserveIn) -> Status:
    outcome = services.reservation_reserve(
        actor=actor_of(request),
        user=request.user,
        pharmacy_id=payload.pharmacy_id,
        item=payload.item,
        id_number=payload.id_number,
        quantity=payload.quantity,
        idempotency_key=payload.idempotency_key,
    )
    if outcome.result in REFUSALS:
        field, message = REFUSALS[outcome.result]
        raise Conflict(message, field=field, code=outcome.result)
    body = ReserveOut(
        result=outcome.result,
        reservation_id=outcome.reservation_id,
        code=outcome.code,
        remaining=outcome.remaining,
        replayed=outcome.result == store.DUPLICATE,
    )
    return Status(201 if outcome.result == store.ACCEPTED else 200, body)


class MyReservationOut(Schema):
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


@router.get("/mine", response=list[MyReservationOut])
def mine(request: HttpRequest) -> list[selectors.MyReservation]:
    """The account's reservations (its own and those it made for someone it acts for)."""
    return selectors.my_reservations(user=request.user)


# --- pharmacies ---------------------------------------------------------------------------


class StockIn(StrictInput):
    item: text(min_length=1, max_length=30)  # type: ignore[valid-type]
    day: dt.date
    quantity: Quantity


class StockOut(Schema):
    pharmacy_id: int
    item: str
    day: dt.date
    quantity: int
    reserved: int
    picked_up: int


@router.post("/pharmacies/{pharmacy_id}/stock", response=StockOut)
def stock_publish(request: HttpRequest, pharmacy_id: PathId, payload: StockIn) -> StockOut:
    s = services.stock_publish(
        actor=actor_of(request),
        pharmacy_id=pharmacy_id,
        item=payload.item,
        day=payload.day,
        quantity=payload.quantity,
    )
    return StockOut(
        pharmacy_id=s.pharmacy_id,
        item=s.item_id,
        day=s.day,
        quantity=s.quantity,
        reserved=s.reserved,
        picked_up=s.picked_up,
    )


class PickupIn(StrictInput):
    code: text(min_length=4, max_length=12)  # type: ignore[valid-type]


class PickupOut(Schema):
    code: str
    item: str
    quantity: int
    state: str
    day: dt.date


@router.post("/pharmacies/{pharmacy_id}/pickups", response=PickupOut)
def pickup(request: HttpRequest, pharmacy_id: PathId, payload: PickupIn) -> PickupOut:
    r = services.pickup_confirm(actor=actor_of(request), pharmacy_id=pharmacy_id, code=payload.code)
    return PickupOut(code=r.code, item=r.item_id, quantity=r.quantity, state=r.state, day=r.day)


class CounterRowOut(Schema):
    code: str
    item: str
    quantity: int
    state: str
    created_at: dt.datetime


@router.get("/pharmacies/{pharmacy_id}/reservations", response=list[CounterRowOut])
def pharmacy_reservations(
    request: HttpRequest, pharmacy_id: PathId, day: Annotated[dt.date | None, Query()] = None
) -> list:
    """The day's reservations at the counter: codes and states, no person data."""
    return selectors.pharmacy_reservations(
        actor=actor_of(request), pharmacy_id=pharmacy_id, day=day
    )


# --- officials: items and lotteries -----------------------------------------------------------


class ItemIn(StrictInput):
    code: Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[a-z0-9_-]+$")]
    name_zh: text(min_length=1, max_length=100)  # type: ignore[valid-type]
    name_en: text(min_length=1, max_length=100)  # type: ignore[valid-type]
    unit_zh: text(min_length=1, max_length=20) = "盒"  # type: ignore[valid-type]
    unit_en: text(min_length=1, max_length=20) = "box"  # type: ignore[valid-type]
    quota_quantity: Quantity
    quota_days: Quantity


class ItemOut(Schema):
    code: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    quota_quantity: int
    quota_days: int


@router.post("/items", response=ItemOut)
def item_define(request: HttpRequest, payload: ItemIn) -> object:
    return services.item_define(actor=actor_of(request), **payload.dict())


class LotteryIn(StrictInput):
    item: text(min_length=1, max_length=30)  # type: ignore[valid-type]
    pharmacy_id: Id
    title_zh: text(min_length=1, max_length=200)  # type: ignore[valid-type]
    title_en: text(min_length=1, max_length=200)  # type: ignore[valid-type]
    opens_at: dt.datetime
    closes_at: dt.datetime
    pickup_day: dt.date
    stock: Quantity


class LotteryOut(Schema):
    id: int
    item: str
    pharmacy_id: int
    title_zh: str
    title_en: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    pickup_day: dt.date
    stock: int
    state: str
    seed_commitment: str
    seed: str | None
    entries: int
    winners: int


@router.post("/lotteries", response=LotteryOut)
def lottery_open(request: HttpRequest, payload: LotteryIn) -> dict:
    window = services.lottery_open(actor=actor_of(request), **payload.dict())
    return selectors.lottery_public(window)


@router.get("/lotteries/{window_id}", response=LotteryOut)
def lottery_get(request: HttpRequest, window_id: PathId) -> dict:
    return selectors.lottery_public(selectors.lottery_get(window_id))


class EntryIn(StrictInput):
    id_number: text(min_length=1, max_length=40)  # type: ignore[valid-type]


class EntryOut(Schema):
    window_id: int
    ticket: str
    won: bool
    code: str


@router.post("/lotteries/{window_id}/entries", response=EntryOut)
def lottery_register(request: HttpRequest, window_id: PathId, payload: EntryIn) -> EntryOut:
    entry = services.lottery_register(
        actor=actor_of(request), user=request.user, window_id=window_id, id_number=payload.id_number
    )
    return EntryOut(window_id=entry.window_id, ticket=entry.ticket, won=entry.won, code=entry.code)


@router.post("/lotteries/{window_id}/draw", response=LotteryOut)
def lottery_draw(request: HttpRequest, window_id: PathId) -> dict:
    return selectors.lottery_public(
        services.lottery_draw(actor=actor_of(request), window_id=window_id)
    )
