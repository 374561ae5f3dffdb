"""Exchange endpoints: the standards registry, datasets, and imports with their reports."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Body, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from crisisgov.exchange import (
    agreements,
    corrections,
    entryforms,
    opendata,
    selectors,
    subscriptions,
)
from crisisgov.exchange.entryforms import FieldError, SubmissionRefused
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


class SubscriptionListOut(Schema):
    id: int
    agreement_id: int
    url: str
    cursor: int
    active: bool
    created_at: datetime


class SubscriptionOut(SubscriptionListOut):
    secret: str  # the HMAC key of the signatures: shown in this answer only


def _with_secret(created: subscriptions.NewSubscription) -> dict:
    sub = created.subscription
    fields = ("id", "agreement_id", "url", "cursor", "active", "created_at")
    return {name: getattr(sub, name) for name in fields} | {"secret": created.secret}


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
    return Status(201, _with_secret(created))


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


@router.get(
    "/subscriptions",
    response=list[SubscriptionListOut],
    summary="Your organisation's push subscriptions",
)
def list_subscriptions(request: HttpRequest) -> object:
    return subscriptions.subscription_list(actor=actor_of(request))


@router.post(
    "/subscriptions/{subscription_id}/deactivate",
    response=SubscriptionListOut,
    summary="Stop a subscription (the pull feed stays available)",
)
def deactivate_subscription(request: HttpRequest, subscription_id: PathId) -> object:
    return subscriptions.subscription_deactivate(
        actor=actor_of(request), subscription_id=subscription_id
    )


@router.post(
    "/subscriptions/{subscription_id}/secret",
    response=SubscriptionOut,
    summary="A new signing secret, shown in this answer only; the old one stops at once",
)
def rotate_subscription_secret(request: HttpRequest, subscription_id: PathId) -> object:
    rotated = subscriptions.subscription_rotate_secret(
        actor=actor_of(request), subscription_id=subscription_id
    )
    return _with_secret(rotated)


# --- held rows: correct and send again --------------------------------------------------------


class HeldRowOut(Schema):
    id: int
    row_number: int
    values: dict[str, str]


class CorrectionIn(StrictInput):
    values: dict[text(max_length=60), str | None]  # type: ignore[valid-type]


class CorrectionOut(Schema):
    row_id: int
    record_id: int


@router.get(
    "/imports/{job_id}/rejected/{row_id}",
    response=HeldRowOut,
    summary="A held row's values as uploaded, to correct them (an audited read)",
)
def held_row(request: HttpRequest, job_id: PathId, row_id: PathId) -> object:
    actor = actor_of(request)
    values = corrections.held_row_values(actor=actor, row_id=row_id, job_id=job_id)
    row = selectors.import_rejected_rows(actor=actor, job_id=job_id).get(pk=row_id)
    return {"id": row.pk, "row_number": row.row_number, "values": values}


@router.post(
    "/imports/{job_id}/rejected/{row_id}/correction",
    response=CorrectionOut,
    summary="Send a held row again, corrected: stored as a record, or 422 naming each field",
)
def correct_held_row(
    request: HttpRequest, job_id: PathId, row_id: PathId, payload: CorrectionIn
) -> object:
    check = corrections.held_row_correct(
        actor=actor_of(request), row_id=row_id, values=payload.values, job_id=job_id
    )
    if check.parts is None:
        raise SubmissionRefused(
            [FieldError(e["field"], e["reason"], e["value"]) for e in check.errors]
        )
    row = selectors.import_rejected_rows(actor=actor_of(request), job_id=job_id).get(pk=row_id)
    return {"row_id": row.pk, "record_id": row.corrected_record_id}


# --- open data --------------------------------------------------------------------------------


class PublicationIn(StrictInput):
    open: bool
    dimensions: list[text(min_length=1, max_length=60)] = []  # type: ignore[valid-type]


class PublicationOut(Schema):
    id: int
    open: bool
    open_dimensions: list[str]


@router.put(
    "/datasets/{dataset_id}/publication",
    response=PublicationOut,
    summary="Publish a dataset as open data (counts only, small ones suppressed, if personal)",
)
def publish_dataset(request: HttpRequest, dataset_id: PathId, payload: PublicationIn) -> object:
    return opendata.dataset_publish(
        actor=actor_of(request),
        dataset_id=dataset_id,
        open=payload.open,
        dimensions=payload.dimensions,
    )


# --- entry forms (collect once) ---------------------------------------------------------------


class SubmittedOut(Schema):
    id: int
    outcome: str  # created | updated | unchanged


@router.post(
    "/datasets/{dataset_id}/records",
    response={201: SubmittedOut},
    summary="Enter one record (field name → value), checked like an imported row; "
    "422 names each refused field",
)
def submit_record(
    request: HttpRequest, dataset_id: PathId, payload: Body[dict[str, object]]
) -> Status:
    submitted = entryforms.record_submit(
        actor=actor_of(request), dataset_id=dataset_id, values=payload, via="api"
    )
    return Status(201, {"id": submitted.record_id, "outcome": submitted.outcome})


# --- the master person index ------------------------------------------------------------------
# Imported here, not at the top, so this section stays one insertion (others edit the top).
from crisisgov.exchange import mpi  # noqa: E402
from crisisgov.exchange.models import ReviewStatus  # noqa: E402


class RecordSideOut(Schema):
    record_id: int
    person_id: int | None
    dataset_id: int
    dataset: str
    schema_name: str
    area_path: str
    fields: dict  # personal fields masked, unless read whole with a purpose

    @staticmethod
    def resolve_schema_name(side: mpi.RecordSide) -> str:
        return side.schema


class ReviewItemOut(Schema):
    id: int
    kind: str
    probability: float
    match_weight: float
    levels: dict[str, str]  # comparison -> agreement level: the evidence
    status: str
    reason: str
    decided_at: datetime | None
    left: RecordSideOut
    right: RecordSideOut


class ReasonIn(StrictInput):
    reason: text(min_length=1, max_length=mpi.REASON_MAX)  # type: ignore[valid-type]


class MergeOut(Schema):
    id: int
    item_id: int | None
    survivor_id: int
    absorbed_id: int
    moved_records: list[int]
    merged_at: datetime
    reason: str
    undone_at: datetime | None
    undo_reason: str


class PersonRecordsOut(Schema):
    person_id: int
    active: bool
    merged_into_id: int | None
    purpose: str
    records: list[RecordSideOut]


class LinkRunIn(StrictInput):
    area_id: Id


def _review_out(row: mpi.ReviewRow) -> dict:
    item = row.item
    return {
        "id": item.pk,
        "kind": item.kind,
        "probability": item.probability,
        "match_weight": item.match_weight,
        "levels": dict(item.levels),
        "status": item.status,
        "reason": item.reason,
        "decided_at": item.decided_at,
        "left": row.left,
        "right": row.right,
    }


@router.get(
    "/person-index/review",
    response=list[ReviewItemOut],
    summary="Pairs of records the linkage could not decide, with the evidence, masked",
)
def person_review_queue(
    request: HttpRequest,
    status: ReviewStatus = ReviewStatus.OPEN,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> object:
    rows = mpi.review_queue(actor=actor_of(request), status=status, offset=offset, limit=limit)
    return [_review_out(row) for row in rows]


@router.post(
    "/person-index/review/{item_id}/merge",
    response=MergeOut,
    summary="The two records are one person: merge their master persons (undoable)",
)
def person_review_merge(request: HttpRequest, item_id: PathId, payload: ReasonIn) -> object:
    return mpi.review_merge(actor=actor_of(request), item_id=item_id, reason=payload.reason)


@router.post(
    "/person-index/review/{item_id}/separate",
    response=ReviewItemOut,
    summary="The two records are two people: later runs keep them apart",
)
def person_review_separate(request: HttpRequest, item_id: PathId, payload: ReasonIn) -> object:
    actor = actor_of(request)
    item = mpi.review_separate(actor=actor, item_id=item_id, reason=payload.reason)
    return _review_out(mpi.review_get(actor=actor, item_id=item.pk))


@router.get("/person-index/merges", response=list[MergeOut], summary="Recent merges, to undo")
def person_merges(request: HttpRequest) -> object:
    return mpi.merge_list(actor=actor_of(request))


@router.post(
    "/person-index/merges/{merge_id}/undo",
    response=MergeOut,
    summary="Undo a merge: the records it moved go back, the pair returns to the queue",
)
def person_merge_undo(request: HttpRequest, merge_id: PathId, payload: ReasonIn) -> object:
    return mpi.merge_undo(actor=actor_of(request), merge_id=merge_id, reason=payload.reason)


@router.get(
    "/person-index/people/{person_id}/records",
    response=PersonRecordsOut,
    summary="A master person's records: masked, or whole with a purpose (the read is audited)",
)
def person_records(
    request: HttpRequest, person_id: PathId, purpose: Purpose | None = None
) -> object:
    found = mpi.master_person_records(
        actor=actor_of(request), person_id=person_id, purpose=purpose or ""
    )
    return {
        "person_id": found.person.pk,
        "active": found.person.active,
        "merged_into_id": found.person.merged_into_id,
        "purpose": found.purpose,
        "records": found.records,
    }


@router.post(
    "/person-index/runs",
    response={202: dict},
    summary="Link the person records of an area again, in the background",
)
def person_index_run(request: HttpRequest, payload: LinkRunIn) -> Status:
    path = mpi.link_enqueue(actor=actor_of(request), area_id=payload.area_id)
    return Status(202, {"area_path": path, "status": "queued"})
