"""Background tasks of the kernel, on Django's tasks API."""

from django.tasks import task

from crisisgov.kernel.outbox import outbox_deliver_event


@task()
def deliver_outbox_event(event_id: int) -> int:
    return outbox_deliver_event(event_id=event_id)
