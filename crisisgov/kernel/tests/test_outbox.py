"""The outbox: events of committed changes reach each handler exactly once, with retries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from crisisgov.kernel import outbox
from crisisgov.kernel.models import OutboxDelivery, OutboxEvent
from crisisgov.kernel.outbox import (
    MAX_ATTEMPTS,
    event_handler,
    outbox_deliver_due,
    outbox_deliver_event,
    outbox_publish,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_handlers")]

NOW = dt.datetime(2026, 3, 14, 8, 0, tzinfo=dt.UTC)


class Clock:
    """A controllable timezone.now for the outbox."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.now = NOW
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def test_an_event_of_a_rolled_back_change_is_never_delivered(
    django_capture_on_commit_callbacks,
):
    calls = []

    @event_handler("test.rolled_back")
    def remember(event):
        calls.append(event.pk)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox_publish(topic="test.rolled_back", payload={"n": 1})
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert OutboxEvent.objects.count() == 0
    assert OutboxDelivery.objects.count() == 0
    assert outbox_deliver_due() == 0
    assert calls == []


def test_publishing_writes_one_delivery_per_handler_and_enqueues_on_commit(
    django_capture_on_commit_callbacks,
):
    @event_handler("test.two_handlers")
    def first(event):
        pass

    @event_handler("test.two_handlers")
    def second(event):
        pass

    with django_capture_on_commit_callbacks() as callbacks:
        event = outbox_publish(topic="test.two_handlers", payload={"area": "420102"})
    assert len(callbacks) == 1
    test_name = "test_publishing_writes_one_delivery_per_handler_and_enqueues_on_commit"
    assert outbox.handler_name(first) == f"{__name__}.{test_name}.<locals>.first"
    assert sorted(event.deliveries.values_list("handler", flat=True)) == [
        outbox.handler_name(first),
        outbox.handler_name(second),
    ]


def test_an_event_nobody_subscribes_to_enqueues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        event = outbox_publish(topic="test.unheard", payload={})
    assert callbacks == []
    assert OutboxEvent.objects.get().pk == event.pk
    assert OutboxDelivery.objects.count() == 0


def test_each_handler_gets_an_event_exactly_once(clock):
    calls = []

    @event_handler("test.once")
    def create_group(event):
        calls.append(("group", event.payload["name"]))
        Group.objects.create(name=event.payload["name"])

    @event_handler("test.once")
    def remember(event):
        calls.append(("remember", event.payload["name"]))

    event = outbox_publish(topic="test.once", payload={"name": "responders"})
    assert outbox_deliver_event(event_id=event.pk) == 2
    assert outbox_deliver_event(event_id=event.pk) == 0
    assert outbox_deliver_due() == 0
    clock.advance(dt.timedelta(days=1))
    assert outbox_deliver_due() == 0
    assert calls == [("group", "responders"), ("remember", "responders")]
    assert list(Group.objects.values_list("name", flat=True)) == ["responders"]
    assert list(event.deliveries.values_list("attempts", "delivered_at", "dead")) == [
        (1, NOW, False),
        (1, NOW, False),
    ]


def test_the_sweep_delivers_an_event_whose_enqueue_was_lost():
    calls = []

    @event_handler("test.lost")
    def remember(event):
        calls.append(event.payload)

    outbox_publish(topic="test.lost", payload={"n": 7})  # on-commit enqueue never ran
    assert outbox_deliver_due() == 1
    assert outbox_deliver_due() == 0
    assert calls == [{"n": 7}]


def test_a_failing_handler_is_retried_with_backoff_and_its_writes_undone(clock):
    outcomes = ["fail", "fail", "succeed"]

    @event_handler("test.flaky")
    def flaky(event):
        Group.objects.create(name=f"attempt-{len(outcomes)}")
        if outcomes.pop(0) == "fail":
            raise ConnectionError("sms gateway down for 13812345678")

    event = outbox_publish(topic="test.flaky", payload={})
    assert outbox_deliver_event(event_id=event.pk) == 0
    delivery = event.deliveries.get()
    assert (delivery.attempts, delivery.dead, delivery.delivered_at) == (1, False, None)
    assert delivery.next_attempt_at == NOW + dt.timedelta(seconds=2)
    # The message is kept for an operator, without the phone number.
    assert delivery.last_error == "ConnectionError: sms gateway down for 138****5678"
    assert Group.objects.count() == 0

    assert outbox_deliver_due() == 0  # not due yet
    clock.advance(dt.timedelta(seconds=2))
    assert outbox_deliver_due() == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.next_attempt_at) == (2, NOW + dt.timedelta(seconds=6))

    # Time travel: make the retry due now.
    OutboxDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=clock.now)
    assert outbox_deliver_due() == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.delivered_at, delivery.last_error) == (3, clock.now, "")
    assert list(Group.objects.values_list("name", flat=True)) == ["attempt-1"]


def test_a_handler_that_keeps_failing_is_parked_as_dead(clock):
    calls = []

    @event_handler("test.broken")
    def broken(event):
        calls.append(1)
        Group.objects.create(name=f"partial-{len(calls)}")
        raise ValueError("bad payload")

    event = outbox_publish(topic="test.broken", payload={})
    waits = []
    for _ in range(MAX_ATTEMPTS):
        assert outbox_deliver_due() == 1
        delivery = event.deliveries.get()
        waits.append((delivery.next_attempt_at - clock.now).total_seconds())
        clock.advance(delivery.next_attempt_at - clock.now)
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256]
    assert (delivery.attempts, delivery.dead, delivery.delivered_at) == (MAX_ATTEMPTS, True, None)
    assert delivery.last_error == "ValueError: bad payload"
    clock.advance(dt.timedelta(days=1))
    assert outbox_deliver_due() == 0
    assert outbox_deliver_event(event_id=event.pk) == 0
    assert len(calls) == MAX_ATTEMPTS
    assert Group.objects.count() == 0


def test_a_handler_unknown_to_this_process_is_retried(clock):
    @event_handler("test.gone")
    def gone(event):
        pass

    event = outbox_publish(topic="test.gone", payload={})
    outbox._handlers["test.gone"].clear()  # e.g. a worker running older code
    assert outbox_deliver_event(event_id=event.pk) == 0
    delivery = event.deliveries.get()
    assert delivery.last_error == f"LookupError: no handler {delivery.handler} is registered"
    assert (delivery.attempts, delivery.dead) == (1, False)


def test_backoff_is_capped_at_an_hour():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 11, 12, 30)] == [
        2,
        4,
        2048,
        3600,
        3600,
    ]


def test_delivered_events_are_pruned_after_the_retention_and_pending_ones_kept(clock):
    @event_handler("test.kept")
    def never_works(event):
        raise ConnectionError("down")

    @event_handler("test.done")
    def works(event):
        pass

    done = outbox_publish(topic="test.done", payload={})
    kept = outbox_publish(topic="test.kept", payload={})
    nobody = outbox_publish(topic="test.nobody", payload={})  # no handler: nothing owed
    for event in (done, kept):
        outbox_deliver_event(event_id=event.pk)
    assert outbox.outbox_prune() == 0  # young: kept for the audit of what flowed where
    clock.advance(outbox.OUTBOX_RETENTION + dt.timedelta(minutes=1))
    assert outbox.outbox_prune() == 2
    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    assert OutboxDelivery.objects.get().event_id == kept.pk  # the failing one waits
    assert nobody.pk not in set(OutboxEvent.objects.values_list("pk", flat=True))
