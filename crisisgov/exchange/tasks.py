"""Background work of the exchange, on Django's tasks API."""

from django.tasks import task

from crisisgov.exchange.imports import import_run
from crisisgov.exchange.subscriptions import webhook_send_due


@task()
def run_import(job_id: int) -> str:
    return import_run(job_id=job_id).status


@task()
def send_webhooks() -> int:
    """Send due webhook deliveries until none is left; enqueued when some fall due."""
    sent = total = webhook_send_due()
    while sent:
        sent = webhook_send_due()
        total += sent
    return total
