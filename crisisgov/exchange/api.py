"""Exchange endpoints: the standards registry, datasets, and imports with their reports."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from crisisgov.exchange import agreements, selectors, subscriptions
from crisisgov.exchange.imports import import_create
from crisisgov.exchange.models import ImportMode, Purpose
from crisisgov.exchange.readers import DEFAULT_LIMITS
from crisisgov.kernel.errors import TooLarge
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.schemas import MAX_OFFSET, Id, PathId, StrictInput, text

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


# --- sharing agreements -----------------------------------------------------------------------


class AgreementIn(StrictInput):
    consumer_id: Id
    fields: list[text(min_length=1, max_length=60)]  # type: ignore[valid-type]
    purpose: Purpose
    legal_basis: text(min_length=1, max_length=500)  # type: ignore[valid-type]
    area_id: Id
    valid_until: datetime


class DecisionIn(StrictInput):
    approve: bool
    reason: text(max_length=500) = ""  # type: ignore[valid-type]


class AgreementOut(Schema):
    id: int
    dataset_id: int
    consumer_id: int
    fields: list[str]
    purpose: str
    legal_basis: str
    area_path: str
    valid_until: datetime
    status: str
    decision_reason: str


class FeedOut(Schema):
    items: list[dict]
    next_cursor: int


class ReadOut(Schema):
    at: datetime
    reader: str
    role: str
    organisation_id: int | None
    purpose: str
    fields: list[str]
    records: int

    @staticmethod
    def resolve_reader(entry: object) -> str:
        return entry.actor_username  # type: ignore[attr-defined]

    @staticmethod
    def resolve_fields(entry: object) -> list[str]:
        return list(entry.fields_read)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_records(entry: object) -> int:
        return int(entry.detail.get("records", 0))  # type: ignore[attr-defined]


@router.post(
    "/datasets/{dataset_id}/agreements",
    response={201: AgreementOut},
    summary="Ask the owner for purpose-bound access to some fields of a dataset",
)
def request_agreement(request: HttpRequest, dataset_id: PathId, payload: AgreementIn) -> Status:
    agreement = agreements.agreement_request(
        actor=actor_of(request), dataset_id=dataset_id, **payload.dict()
    )
    return Status(201, agreement)


@router.post(
    "/agreements/{agreement_id}/decision",
    response=AgreementOut,
    summary="The owner approves or refuses a request",
)
def decide_agreement(request: HttpRequest, agreement_id: PathId, payload: DecisionIn) -> object:
    return agreements.agreement_decide(
        actor=actor_of(request), agreement_id=agreement_id, **payload.dict()
    )


@router.get(
    "/agreements/{agreement_id}/feed",
    response=FeedOut,
    summary="New and changed records since a cursor, cut to the agreed fields and areas",
)
def agreement_feed(
    request: HttpRequest,
    agreement_id: PathId,
    after: int = Query(0, ge=0, le=2**63 - 1),
    limit: int = Query(500, ge=1, le=agreements.FEED_PAGE_MAX),
) -> object:
    return agreements.agreement_feed(
        actor=actor_of(request), agreement_id=agreement_id, after=after, limit=limit
    )


@router.get(
    "/datasets/{dataset_id}/reads",
    response=list[ReadOut],
    summary="For the owner: who read the dataset, when, why and how much",
)
def dataset_reads(request: HttpRequest, dataset_id: PathId) -> object:
    return agreements.agreement_reads(actor=actor_of(request), dataset_id=dataset_id)


# --- push subscriptions (webhooks) ------------------------------------------------------------
# Imported here, not at the top: this section was appended while the top of the module was
# being edited elsewhere. Move it up when convenient.


class SubscriptionIn(StrictInput):
    url: text(min_length=1, max_length=500)  # type: ignore[valid-type]


class SubscriptionOut(Schema):
    id: int
    agreement_id: int
    url: str
    cursor: int
    active: bool
    created_at: datetime
    secret: str  # the HMAC key of the signatures: shown in this answer only


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    first_change: int
    last_change: int
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str
    created_at: datetime
    next_attempt_at: datetime


@router.post(
    "/agreements/{agreement_id}/subscriptions",
    response={201: SubscriptionOut},
    summary="Have new records pushed to an https address, signed (the secret is shown once)",
)
def create_subscription(
    request: HttpRequest, agreement_id: PathId, payload: SubscriptionIn
) -> Status:
    created = subscriptions.subscription_create(
        actor=actor_of(request), agreement_id=agreement_id, url=payload.url
    )
    sub = created.subscription
    return Status(
        201,
        {
            "id": sub.pk,
            "agreement_id": sub.agreement_id,
            "url": sub.url,
            "cursor": sub.cursor,
            "active": sub.active,
            "created_at": sub.created_at,
            "secret": created.secret,
        },
    )


@router.get(
    "/subscriptions/{subscription_id}/dead-letters",
    response=list[DeliveryOut],
    summary="Deliveries given up on after every retry, to replay",
)
def dead_letters(request: HttpRequest, subscription_id: PathId) -> object:
    return subscriptions.webhook_dead_letters(
        actor=actor_of(request), subscription_id=subscription_id
    )


@router.post(
    "/deliveries/{delivery_id}/replay",
    response=DeliveryOut,
    summary="Send a dead delivery again",
)
def replay_delivery(request: HttpRequest, delivery_id: PathId) -> object:
    return subscriptions.webhook_replay(actor=actor_of(request), delivery_id=delivery_id)
