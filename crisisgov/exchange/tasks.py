"""Background work of the exchange, on Django's tasks API."""

from django.tasks import task

from crisisgov.exchange.imports import import_run


@task()
def run_import(job_id: int) -> str:
    return import_run(job_id=job_id).status
