"""The demo's reservation day: the mask item, today's stock at the city's pharmacies, some
reservations (some picked up) and an open lottery window with entries. Idempotent: every
write is keyed (stock per pharmacy and day, reservations by idempotency key, one entry per
person), so running it again adds nothing."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from crisisgov.citizen.reservations import lottery, services, store
from crisisgov.citizen.reservations.models import (
    LotteryEntry,
    LotteryWindow,
    PharmacyStock,
    RationedItem,
    Reservation,
    ReservationState,
)
from crisisgov.directory.facade import public_places, resident_index_rows
from crisisgov.kernel.actor import SYSTEM

KIOSK = "demo-reservation-kiosk"  # a community kiosk reserving for residents without a phone
PHARMACIES = 12
STOCK = 40
RESERVATIONS = 36
ENTRIES = 60


def reservations_demo_ensure() -> list[str]:
    pharmacies = [p for p in public_places(kind="pharmacy") if p.active][:PHARMACIES]
    residents = resident_index_rows()
    if not pharmacies or not residents:
        return ["Reservations: no pharmacies or residents yet"]
    city_path = pharmacies[0].area_path[:4]
    item, _ = RationedItem.objects.get_or_create(
        code="mask",
        defaults={
            "name_zh": "医用口罩（5只装）",
            "name_en": "Medical masks (box of 5)",
            "quota_quantity": 2,
            "quota_days": 7,
            "area_path": city_path,
        },
    )
    kiosk, _ = get_user_model().objects.get_or_create(username=KIOSK)
    if kiosk.has_usable_password():
        kiosk.set_unusable_password()
        kiosk.save()
    today = timezone.localdate()
    now = timezone.now()
    for p in pharmacies:
        if not PharmacyStock.objects.filter(item=item, pharmacy_id=p.id, day=today).exists():
            services._stock_set(item, p.id, p.area_path, today, STOCK)
    lines = [f"Reservations: {len(pharmacies)} pharmacies with {STOCK} boxes of masks today"]

    made = 0
    for n, (_, id_index, _, _) in enumerate(residents[:RESERVATIONS]):
        pharmacy = pharmacies[n % len(pharmacies)]
        request = store.ReserveRequest(
            item=item.code,
            pharmacy_id=pharmacy.id,
            day=today,
            person_key=id_index,
            quantity=1 + n % 2,
            idempotency_key=f"demo:{today.isoformat()}:{n}",
            body_hash=f"demo:{today.isoformat()}:{n}:{pharmacy.id}",
            account_id=kiosk.pk,
            quota_quantity=item.quota_quantity,
            quota_days=item.quota_days,
        )
        outcome = services.active_store().reserve(request, now)
        made += outcome.result == store.ACCEPTED
    if settings.REDIS_URL:
        from crisisgov.citizen.reservations.writebehind import writebehind_drain

        writebehind_drain()
    handed = 0
    picked = Reservation.objects.filter(
        day=today, idempotency_key__startswith="demo:", state=ReservationState.RESERVED
    ).order_by("idempotency_key")
    for r in list(picked)[: RESERVATIONS // 3]:
        services.pickup_confirm(actor=SYSTEM, pharmacy_id=r.pharmacy_id, code=r.code)
        handed += 1
    lines.append(f"Reservations: {made} new reservations today, {handed} handed over")

    title = "口罩预购抽签（演示）"
    window = LotteryWindow.objects.filter(title_zh=title).first()
    if window is None:
        seed = lottery.new_seed()
        with transaction.atomic():
            window = LotteryWindow.objects.create(
                item=item,
                pharmacy_id=pharmacies[0].id,
                title_zh=title,
                title_en="Mask pre-order lottery (demo)",
                opens_at=now - dt.timedelta(hours=2),
                closes_at=now + dt.timedelta(days=1),
                pickup_day=today + dt.timedelta(days=2),
                stock=20,
                seed=seed,
                seed_commitment=lottery.commitment(seed),
                area_path=pharmacies[0].area_path,
            )
    entrants = residents[RESERVATIONS : RESERVATIONS + ENTRIES]
    for _, id_index, _, _ in entrants:
        LotteryEntry.objects.get_or_create(
            window=window,
            person_key=id_index,
            defaults={"account": kiosk, "ticket": lottery.ticket(window.pk, id_index)},
        )
    lines.append(
        f"Reservations: lottery window #{window.pk} open with {window.entries.count()} entries"
        f" (/citizen/reservations/lotteries/{window.pk}/)"
    )
    from crisisgov.citizen.reservations.publishing import stock_publish_if_changed

    stock_publish_if_changed(force=True)
    return lines
