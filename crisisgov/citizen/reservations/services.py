"""Scarce-supply reservations: writes.

The decision itself (stock, quota, idempotency) is the store's (`store.py`): Redis when
REDIS_URL is set, the database otherwise. Everything here validates and authorises first,
so the store only ever sees a well-formed request for a person the account may act for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from crisisgov.citizen.people import may_act_for
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.citizen.publishing import redis_client
from crisisgov.citizen.reservations import lottery, store
from crisisgov.citizen.reservations.models import (
    LotteryEntry,
    LotteryState,
    LotteryWindow,
    PharmacyStock,
    RationedItem,
    Reservation,
    ReservationState,
)
from crisisgov.directory.facade import idnumber, organisation_info, resident_by_national_id
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied


class InvalidField(DomainError):
    """A well-formed request with a value the domain refuses: 422, naming the field."""

    status_code = 422


MAX_ADVANCE_DAYS = 14  # stock may be published this far ahead


def active_store() -> store.RedisStore | store.SqlStore:
    """The store deciding reservations in this process: Redis when configured."""
    if settings.REDIS_URL:
        return redis_store()
    return store.SqlStore(connection, "format", transaction=transaction.atomic)


_redis_store: store.RedisStore | None = None


def redis_store() -> store.RedisStore:
    global _redis_store
    if _redis_store is None:
        _redis_store = store.RedisStore(redis_client())
    return _redis_store


# --- citizens ---------------------------------------------------------------------------------


def item_get(code: str) -> RationedItem:
    item = RationedItem.objects.filter(code=code, active=True).first()
    if item is None:
        raise NotFound("no such rationed item", field="item")
    return item


def pharmacy_check(pharmacy_id: int) -> Any:
    info = organisation_info(pharmacy_id)
    if info is None or info.kind != "pharmacy":
        raise NotFound("no such pharmacy", field="pharmacy_id")
    return info


def person_key_for(*, user: Any, id_number: str) -> str:
    """The quota key (ID-number blind index) of a resident the account may act for.

    An unknown number and somebody else's number get the same answer, so the form cannot be
    used to find out who is registered."""
    try:
        number = idnumber.validate(id_number)
    except idnumber.InvalidNationalId as exc:
        raise InvalidField(str(exc), field="id_number", code="invalid_id_number") from exc
    ref = resident_by_national_id(number)
    if ref is None or not may_act_for(user, ref.id):
        raise InvalidField(
            "you may reserve only for yourself or a resident you are registered to act for",
            field="id_number",
            code="not_yours",
        )
    return ref.id_index


def reservation_reserve(
    *,
    actor: Actor,
    user: Any,
    pharmacy_id: int,
    item: str,
    id_number: str,
    quantity: int,
    idempotency_key: str,
    now: dt.datetime | None = None,
) -> store.ReserveOutcome:
    """Reserve `quantity` of `item` at a pharmacy for today, for a person the account may act
    for. The outcome's `result` says accepted, duplicate (a retry: the original answer) or
    why not; bad input raises, naming the field."""
    if not actor.can(CitizenPermission.USE_SERVICES):
        raise PermissionDenied("reservations are for citizens' accounts")
    rationed = item_get(item)
    if not 1 <= quantity <= rationed.quota_quantity:
        raise InvalidField(
            f"quantity must be between 1 and {rationed.quota_quantity}", field="quantity"
        )
    pharmacy_check(pharmacy_id)
    person_key = person_key_for(user=user, id_number=id_number)
    now = now or timezone.now()
    day = timezone.localdate(now)
    request = store.ReserveRequest(
        item=rationed.code,
        pharmacy_id=pharmacy_id,
        day=day,
        person_key=person_key,
        quantity=quantity,
        idempotency_key=idempotency_key,
        body_hash=store.body_hash_of(
            item=rationed.code,
            pharmacy_id=pharmacy_id,
            day=day,
            person_key=person_key,
            quantity=quantity,
            account_id=user.pk,
        ),
        account_id=user.pk,
        quota_quantity=rationed.quota_quantity,
        quota_days=rationed.quota_days,
    )
    return active_store().reserve(request, now)


# --- pharmacies -------------------------------------------------------------------------------


def _require_pharmacy_staff(actor: Actor, pharmacy_id: int) -> Any:
    """Staff of this pharmacy (organisation-bound scope) or an area scope covering it;
    anyone else gets the same answer as for a missing pharmacy."""
    info = pharmacy_check(pharmacy_id)
    for scope in actor.scopes_for(CitizenPermission.RUN_SERVICE_POINT):
        if scope.organisation_id not in (None, pharmacy_id):
            continue
        if info.area_path.startswith(scope.area_path):
            return info
    if actor.is_system:
        return info
    raise NotFound("no such pharmacy", field="pharmacy_id")


def _pending_taken(item: str, pharmacy_id: int, day: dt.date) -> int:
    """Units accepted by Redis but not yet written to the database."""
    from crisisgov.citizen.reservations.writebehind import pending_entries

    return sum(
        e.quantity
        for e in pending_entries()
        if (e.item, e.pharmacy_id, e.day) == (item, pharmacy_id, day)
    )


def stock_publish(
    *, actor: Actor, pharmacy_id: int, item: str, day: dt.date, quantity: int
) -> PharmacyStock:
    """Set a pharmacy's stock of `item` for `day` (a total; it may be raised or lowered, but
    not below what is already reserved)."""
    info = _require_pharmacy_staff(actor, pharmacy_id)
    rationed = item_get(item)
    today = timezone.localdate()
    if not today <= day <= today + dt.timedelta(days=MAX_ADVANCE_DAYS):
        raise InvalidField(
            f"the day must be within {MAX_ADVANCE_DAYS} days from today", field="day"
        )
    if not 0 <= quantity <= 1_000_000:
        raise InvalidField("quantity must be between 0 and 1000000", field="quantity")
    with transaction.atomic():
        stock = _stock_set(rationed, pharmacy_id, info.area_path, day, quantity)
        audit_record(
            actor=actor,
            action="citizen_reservations.stock_published",
            target_type="citizen_reservations.pharmacystock",
            target_id=stock.pk,
            area_path=info.area_path,
            detail={"item": rationed.code, "day": day.isoformat(), "quantity": quantity},
            permission=CitizenPermission.RUN_SERVICE_POINT,
        )
    return stock


def _stock_set(
    rationed: RationedItem, pharmacy_id: int, area_path: str, day: dt.date, quantity: int
) -> PharmacyStock:
    now = timezone.now()
    with transaction.atomic():
        stock, created = PharmacyStock.objects.select_for_update().get_or_create(
            item=rationed,
            pharmacy_id=pharmacy_id,
            day=day,
            defaults={"quantity": quantity, "area_path": area_path, "published_at": now},
        )
        if stock.reserved > quantity:
            raise Conflict(
                f"{stock.reserved} are already reserved; the stock cannot be lower",
                field="quantity",
            )
        stock.quantity, stock.published_at = quantity, now
        stock.save(update_fields=["quantity", "published_at"])
        if settings.REDIS_URL:
            taken = stock.reserved + _pending_taken(rationed.code, pharmacy_id, day)
            left = redis_store().publish_stock(
                item=rationed.code, pharmacy_id=pharmacy_id, day=day, total=quantity, taken=taken
            )
            if left is None:  # Redis has accepted more than the new total (not yet written)
                raise Conflict(
                    "more are already reserved; the stock cannot be lower", field="quantity"
                )
    return stock


def pickup_confirm(*, actor: Actor, pharmacy_id: int, code: str) -> Reservation:
    """The pharmacy hands over a reserved item against its pickup code."""
    info = _require_pharmacy_staff(actor, pharmacy_id)
    code = code.strip().upper()
    now = timezone.now()
    with transaction.atomic():
        reservation = (
            Reservation.objects.select_for_update()
            .filter(pharmacy_id=pharmacy_id, code=code)
            .order_by("-created_at")
            .first()
        )
        if reservation is None:
            raise NotFound("no reservation with this code at this pharmacy", field="code")
        if reservation.state != ReservationState.RESERVED:
            raise Conflict(f"this reservation is {reservation.get_state_display()}", field="code")
        reservation.state, reservation.picked_up_at = ReservationState.PICKED_UP, now
        reservation.save(update_fields=["state", "picked_up_at"])
        PharmacyStock.objects.filter(
            item_id=reservation.item_id, pharmacy_id=pharmacy_id, day=reservation.day
        ).update(picked_up=F("picked_up") + reservation.quantity)
        audit_record(
            actor=actor,
            action="citizen_reservations.pickup_confirmed",
            target_type="citizen_reservations.reservation",
            target_id=reservation.pk,
            area_path=info.area_path,
            permission=CitizenPermission.RUN_SERVICE_POINT,
        )
    return reservation


def reservations_expire(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Expire reservations not picked up by their deadline; their units return to stock
    (and the person's quota) in the database and in Redis."""
    now = now or timezone.now()
    due = list(
        Reservation.objects.filter(state=ReservationState.RESERVED, pickup_deadline__lte=now)
        .order_by("pickup_deadline")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for pk in due:
        with transaction.atomic():
            # conditional: a pickup confirmed meanwhile wins
            if not Reservation.objects.filter(pk=pk, state=ReservationState.RESERVED).update(
                state=ReservationState.EXPIRED
            ):
                continue
            r = Reservation.objects.get(pk=pk)
            PharmacyStock.objects.filter(
                item_id=r.item_id, pharmacy_id=r.pharmacy_id, day=r.day
            ).update(reserved=F("reserved") - r.quantity)
            expired += 1
        if settings.REDIS_URL:
            # after the commit: a crash in between leaves Redis short of these units (never
            # oversold) until `crisisgov reservations reconcile`
            _release_in_redis(r)
    return expired


def _release_in_redis(r: Reservation) -> None:
    redis_store().release(
        item=r.item_id,
        pharmacy_id=r.pharmacy_id,
        day=r.day,
        person_key=r.person_key,
        reservation_id=r.pk,
        quantity=r.quantity,
    )


# --- officials: items and lottery windows ---------------------------------------------------


def _rationing_scope(actor: Actor) -> str:
    """The widest area the official manages rationing in."""
    if actor.is_system:
        return ""  # system work (drills, commands) is not scoped
    scopes = actor.scopes_for(CitizenPermission.MANAGE_RATIONING)
    if not scopes:
        raise PermissionDenied("defining rationed items needs citizen.manage_rationing")
    return min((s.area_path for s in scopes), key=len)


def item_define(
    *,
    actor: Actor,
    code: str,
    name_zh: str,
    name_en: str,
    quota_quantity: int,
    quota_days: int,
    unit_zh: str = "盒",
    unit_en: str = "box",
    area_path: str = "",
) -> RationedItem:
    """Create or change a rationed item and its per-person quota (where the official
    manages rationing; `area_path` only for system work)."""
    area_path = _rationing_scope(actor) or area_path
    if not area_path:
        raise InvalidField("an area is needed", field="area_path")
    if not 1 <= quota_quantity <= 100:
        raise InvalidField("the quota must be between 1 and 100", field="quota_quantity")
    if not 1 <= quota_days <= 90:
        raise InvalidField("the quota period must be 1 to 90 days", field="quota_days")
    with transaction.atomic():
        item = RationedItem.objects.filter(code=code).first()
        if (
            item is not None
            and not area_path.startswith(item.area_path)
            and not (item.area_path.startswith(area_path))
        ):
            raise NotFound("no such rationed item", field="code")
        values = {
            "name_zh": name_zh,
            "name_en": name_en,
            "unit_zh": unit_zh,
            "unit_en": unit_en,
            "quota_quantity": quota_quantity,
            "quota_days": quota_days,
        }
        item, _ = RationedItem.objects.update_or_create(
            code=code, defaults=values, create_defaults={**values, "area_path": area_path}
        )
        audit_record(
            actor=actor,
            action="citizen_reservations.rationed_item_defined",
            target_type="citizen_reservations.rationeditem",
            target_id=item.pk,
            area_path=item.area_path,
            detail={"code": code, "quota": f"{quota_quantity}/{quota_days}d"},
            permission=CitizenPermission.MANAGE_RATIONING,
        )
    return item


def lottery_open(
    *,
    actor: Actor,
    item: str,
    pharmacy_id: int,
    title_zh: str,
    title_en: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    pickup_day: dt.date,
    stock: int,
) -> LotteryWindow:
    """Open a pre-order window; the seed's SHA-256 is public from now on."""
    area_path = _rationing_scope(actor)
    info = pharmacy_check(pharmacy_id)
    if not info.area_path.startswith(area_path):
        raise NotFound("no such pharmacy", field="pharmacy_id")
    rationed = item_get(item)
    if closes_at <= opens_at:
        raise InvalidField("the window must close after it opens", field="closes_at")
    if pickup_day < timezone.localdate(closes_at):
        raise InvalidField(
            "pickup must be on or after the day the window closes", field="pickup_day"
        )
    if not 1 <= stock <= 1_000_000:
        raise InvalidField("stock must be between 1 and 1000000", field="stock")
    seed = lottery.new_seed()
    with transaction.atomic():
        window = LotteryWindow.objects.create(
            item=rationed,
            pharmacy_id=pharmacy_id,
            title_zh=title_zh,
            title_en=title_en,
            opens_at=opens_at,
            closes_at=closes_at,
            pickup_day=pickup_day,
            stock=stock,
            seed=seed,
            seed_commitment=lottery.commitment(seed),
            area_path=info.area_path,
            created_by_id=actor.user_id,
        )
        audit_record(
            actor=actor,
            action="citizen_reservations.lottery_opened",
            target_type="citizen_reservations.lotterywindow",
            target_id=window.pk,
            area_path=info.area_path,
            detail={"commitment": window.seed_commitment, "stock": stock},
            permission=CitizenPermission.MANAGE_RATIONING,
        )
    return window


def lottery_register(
    *, actor: Actor, user: Any, window_id: int, id_number: str, now: dt.datetime | None = None
) -> LotteryEntry:
    """One entry per person per window; registering again returns the same entry."""
    if not actor.can(CitizenPermission.USE_SERVICES):
        raise PermissionDenied("registration is for citizens' accounts")
    window = LotteryWindow.objects.filter(pk=window_id).first()
    if window is None:
        raise NotFound("no such lottery window", field="window_id")
    person_key = person_key_for(user=user, id_number=id_number)
    existing = LotteryEntry.objects.filter(window=window, person_key=person_key).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    if window.state != LotteryState.OPEN or not window.opens_at <= now < window.closes_at:
        raise Conflict("this window is not open for registration", code="window_closed")
    entry, _ = LotteryEntry.objects.get_or_create(
        window=window,
        person_key=person_key,
        defaults={"account_id": user.pk, "ticket": lottery.ticket(window.pk, person_key)},
    )
    return entry


def lottery_draw(*, actor: Actor, window_id: int, now: dt.datetime | None = None) -> LotteryWindow:
    """Reveal the seed and give the window's stock to the entries in draw order, each through
    the reservation store (so quotas hold); safe to run again after a crash."""
    area_path = _rationing_scope(actor)
    now = now or timezone.now()
    windows = LotteryWindow.objects.filter(pk=window_id)
    window = (windows.filter(area_path__under=area_path) if area_path else windows).first()
    if window is None:
        raise NotFound("no such lottery window", field="window_id")
    if window.state == LotteryState.DRAWN:
        raise Conflict("this window has been drawn", code="already_drawn")
    if now < window.closes_at:
        raise Conflict("the window is still open for registration", code="window_open")
    _lottery_add_stock(window)
    rationed = window.item
    entries = {e.ticket: e for e in window.entries.all()}
    winners = 0
    for ticket in lottery.draw_order(window.seed, list(entries)):
        if winners >= window.stock:
            break
        entry = entries[ticket]
        request = store.ReserveRequest(
            item=rationed.code,
            pharmacy_id=window.pharmacy_id,
            day=window.pickup_day,
            person_key=entry.person_key,
            quantity=1,
            idempotency_key=f"lottery:{window.pk}:{ticket}",
            body_hash=f"lottery:{window.pk}:{ticket}",
            account_id=entry.account_id,
            quota_quantity=rationed.quota_quantity,
            quota_days=rationed.quota_days,
        )
        outcome = active_store().reserve(request, now)
        if outcome.result in (store.ACCEPTED, store.DUPLICATE):
            entry.won, entry.reservation_id, entry.code = True, outcome.reservation_id, outcome.code
            entry.save(update_fields=["won", "reservation_id", "code"])
            winners += 1
        elif outcome.result == store.QUOTA_EXCEEDED:
            entry.passed_over = True
            entry.save(update_fields=["passed_over"])
        else:
            break  # sold out: the window's stock is given
    with transaction.atomic():
        window.state, window.drawn_at, window.winners = LotteryState.DRAWN, now, winners
        window.save(update_fields=["state", "drawn_at", "winners"])
        audit_record(
            actor=actor,
            action="citizen_reservations.lottery_drawn",
            target_type="citizen_reservations.lotterywindow",
            target_id=window.pk,
            area_path=window.area_path,
            detail={"seed": window.seed, "entries": len(entries), "winners": winners},
            permission=CitizenPermission.MANAGE_RATIONING,
        )
    return window


def _lottery_add_stock(window: LotteryWindow) -> None:
    """Add the window's stock to the pharmacy's pickup day, once."""
    with transaction.atomic():
        locked = LotteryWindow.objects.select_for_update().get(pk=window.pk)
        if locked.stock_added:
            return
        stock = PharmacyStock.objects.filter(
            item=window.item, pharmacy_id=window.pharmacy_id, day=window.pickup_day
        ).first()
        total = window.stock + (stock.quantity if stock else 0)
        _stock_set(window.item, window.pharmacy_id, window.area_path, window.pickup_day, total)
        locked.stock_added = True
        locked.save(update_fields=["stock_added"])
