"""Raising an alert: the one door by which detectors, sensors and risk changes reach the
analyst inbox. Idempotent by `dedup_key`, so a detector re-run or a repeated reading does not
flood the inbox; a dismissed alert stays dismissed."""

from __future__ import annotations

from crisisgov.earlywarning.models import Alert
from crisisgov.kernel.outbox import outbox_publish


def alert_raise(
    *,
    source: str,
    kind: str,
    area_id: int,
    area_path: str,
    title_zh: str,
    title_en: str,
    dedup_key: str,
    detail: dict | None = None,
) -> tuple[Alert, bool]:
    """The alert for `dedup_key`, created if new (then announced on the outbox as
    `earlywarning.alert_raised`). Call inside the caller's transaction."""
    alert, created = Alert.objects.get_or_create(
        dedup_key=dedup_key[:200],
        defaults={
            "source": source,
            "kind": kind,
            "area_id": area_id,
            "area_path": area_path,
            "title_zh": title_zh[:200],
            "title_en": title_en[:200],
            "detail": detail or {},
        },
    )
    if created:
        outbox_publish(
            topic="earlywarning.alert_raised",
            payload={"alert_id": alert.pk, "source": source, "area_path": area_path},
        )
    return alert, created
