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


@task()
def link_people(area_path: str = "") -> dict:
    """Rebuild the master person index of an area (officers' decisions are kept)."""
    from crisisgov.exchange.mpi import mpi_link
    from crisisgov.kernel.actor import SYSTEM

    run = mpi_link(actor=SYSTEM, area_path=area_path)
    return {"records": run.records, "people": run.people, "review": run.review}
