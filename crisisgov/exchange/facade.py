"""What other apps may use of the exchange."""

from crisisgov.exchange.permissions import ExchangePermission

__all__ = ["ExchangePermission"]


def standards_sync() -> list:
    from crisisgov.exchange.services import standards_sync as sync

    return sync()


def schema_version_id(name: str) -> int | None:
    """The newest published version of a standard, by name."""
    from crisisgov.exchange.models import SchemaVersion

    versions = list(SchemaVersion.objects.filter(name=name))
    newest = max(versions, key=lambda v: tuple(map(int, v.version.split("."))), default=None)
    return newest.pk if newest else None


def dataset_create(**kwargs: object) -> int:
    from crisisgov.exchange.services import dataset_create as create

    return create(**kwargs).pk  # type: ignore[arg-type]


def dataset_ids_named(name_en: str) -> list[int]:
    from crisisgov.exchange.models import Dataset

    return list(Dataset.objects.filter(name_en=name_en).values_list("pk", flat=True))


def import_file(*, actor: object, dataset_id: int, path: str, mode: str = "accept_valid") -> dict:
    """Import a file now (not in the background); returns the job's counts."""
    from pathlib import Path

    from crisisgov.exchange.imports import import_create, import_run

    with Path(path).open("rb") as upload:
        job = import_create(
            actor=actor,
            dataset_id=dataset_id,
            upload=upload,
            filename=Path(path).name,
            mode=mode,  # type: ignore[arg-type]
        )
    job = import_run(job_id=job.pk)
    return {"status": job.status, "created": job.rows_created, "rejected": job.rows_rejected}
