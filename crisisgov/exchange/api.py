"""Exchange endpoints: the standards registry, datasets, and imports with their reports."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from crisisgov.exchange import selectors
from crisisgov.exchange.imports import import_create
from crisisgov.exchange.models import ImportMode
from crisisgov.exchange.readers import DEFAULT_LIMITS
from crisisgov.kernel.errors import TooLarge
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.schemas import MAX_OFFSET, PathId

router = Router()


class SchemaVersionOut(Schema):
    id: int
    name: str
    version: str
    title: str
    title_zh: str
    descriptor: dict


class DatasetOut(Schema):
    id: int
    name_zh: str
    name_en: str
    owner_id: int
    schema_id: int
    schema_name: str
    area_path: str

    @staticmethod
    def resolve_schema_name(dataset: object) -> str:
        return str(dataset.schema)  # type: ignore[attr-defined]


class ImportOut(Schema):
    id: int
    dataset_id: int
    filename: str
    mode: str
    status: str
    progress: float
    rows_read: int
    rows_created: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    problem: str
    created_at: datetime
    finished_at: datetime | None


class RejectedRowOut(Schema):
    row_number: int
    errors: list[dict]


@router.get("/standards", response=list[SchemaVersionOut], summary="The shared data standards")
def list_standards(request: HttpRequest) -> object:
    return selectors.schema_versions()


@router.get("/datasets", response=list[DatasetOut], summary="Datasets you may see")
def list_datasets(
    request: HttpRequest,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> object:
    return selectors.dataset_list(actor=actor_of(request))[offset : offset + limit]


@router.post(
    "/datasets/{dataset_id}/imports",
    response={202: ImportOut},
    summary="Upload a CSV, XLSX or JSON file; it is imported in the background",
)
def upload(
    request: HttpRequest,
    dataset_id: PathId,
    file: File[UploadedFile],
    mode: Form[ImportMode] = ImportMode.ACCEPT_VALID,
) -> Status:
    if file.size and file.size > DEFAULT_LIMITS.max_upload_bytes:
        raise TooLarge("the file is larger than an import accepts", field="file")
    job = import_create(
        actor=actor_of(request),
        dataset_id=dataset_id,
        upload=file,
        filename=file.name or "upload",
        mode=mode,
    )
    return Status(202, job)


@router.get("/imports/{job_id}", response=ImportOut, summary="An import's progress and counts")
def get_import(request: HttpRequest, job_id: PathId) -> object:
    return selectors.import_get(actor=actor_of(request), job_id=job_id)


@router.get(
    "/imports/{job_id}/rejected",
    response=list[RejectedRowOut],
    summary="The rejected rows: row number, field, value (masked if personal), reason",
)
def rejected_rows(
    request: HttpRequest,
    job_id: PathId,
    limit: int = Query(500, ge=1, le=5000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> object:
    rows = selectors.import_rejected_rows(actor=actor_of(request), job_id=job_id)
    return rows[offset : offset + limit]
