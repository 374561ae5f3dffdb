"""`crisisgov worker --once`: runs the queued delivery tasks and sweeps what is due."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from crisisgov.kernel.models import OutboxDelivery
from crisisgov.kernel.outbox import event_handler, outbox_publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_handlers")]


def worker_once() -> str:
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    return out.getvalue()


def test_the_worker_runs_the_delivery_task_of_a_committed_event(
    django_capture_on_commit_callbacks,
):
    calls = []

    @event_handler("test.worker")
    def remember(event):
        calls.append(event.payload)

    with django_capture_on_commit_callbacks(execute=True):
        event = outbox_publish(topic="test.worker", payload={"n": 1})
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs, task.status) == (
        "crisisgov.kernel.tasks.deliver_outbox_event",
        {"args": [], "kwargs": {"event_id": event.pk}},
        "READY",
    )

    assert worker_once() == "ran 1 tasks, attempted 0 outbox deliveries\n"
    task.refresh_from_db()
    assert (task.status, task.return_value) == ("SUCCESSFUL", 1)
    assert calls == [{"n": 1}]
    assert worker_once() == "ran 0 tasks, attempted 0 outbox deliveries\n"
    assert calls == [{"n": 1}]


def test_the_worker_sweeps_events_whose_task_was_never_enqueued():
    calls = []

    @event_handler("test.worker_sweep")
    def remember(event):
        calls.append(event.payload)

    for n in range(3):
        outbox_publish(topic="test.worker_sweep", payload={"n": n})  # no commit, no task
    assert worker_once() == "ran 0 tasks, attempted 3 outbox deliveries\n"
    assert calls == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert OutboxDelivery.objects.filter(delivered_at__isnull=True).count() == 0


def test_the_worker_stops_when_only_later_retries_remain(django_capture_on_commit_callbacks):
    @event_handler("test.worker_failing")
    def failing(event):
        raise RuntimeError("downstream unavailable")

    with django_capture_on_commit_callbacks(execute=True):
        event = outbox_publish(topic="test.worker_failing", payload={})
    # The task attempts it once; the retry waits for its backoff, beyond this run.
    assert worker_once() == "ran 1 tasks, attempted 0 outbox deliveries\n"
    delivery = event.deliveries.get()
    assert (delivery.attempts, delivery.last_error) == (
        1,
        "RuntimeError: downstream unavailable",
    )
