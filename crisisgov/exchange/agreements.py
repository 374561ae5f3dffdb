"""Purpose-bound sharing between departments: request, decide, read, expire.

A consumer organisation asks for some fields of a dataset, for a purpose from a closed list,
under a legal basis, in some areas, until a date. The owner approves or refuses. While approved
and unexpired, the consumer reads only those fields of records in those areas, through an ordered
cursor feed; every read is audited with its purpose and shown to the owner. Personal fields are
released only under purposes that need them; a statistics purpose gets a pseudonym per record
(keyed per agreement, so two agreements cannot be joined on it).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from crisisgov.exchange.models import (
    PERSONAL_PURPOSES,
    AgreementStatus,
    Dataset,
    Purpose,
    RecordChange,
    SharingAgreement,
)
from crisisgov.exchange.permissions import ExchangePermission
from crisisgov.exchange.tableschema import TableSchema
from crisisgov.geo.facade import area_info
from crisisgov.kernel import pii
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound
from crisisgov.kernel.models import AuditEntry

MAX_DURATION = dt.timedelta(days=366)
FEED_PAGE_MAX = 1000


def agreement_request(
    *,
    actor: Actor,
    dataset_id: int,
    consumer_id: int,
    fields: list[str],
    purpose: str,
    legal_basis: str,
    area_id: int,
    valid_until: dt.datetime,
) -> SharingAgreement:
    """A consumer department asks for access. Checked now, so the owner decides on a sound
    request: known fields, areas inside the dataset's, personal fields only for a purpose that
    allows them, a bounded duration."""
    consumer_scopes = [
        s
        for s in actor.scopes_for(ExchangePermission.REQUEST_ACCESS)
        if s.organisation_id == consumer_id
    ]
    if not actor.is_system and not consumer_scopes:
        raise NotFound("no such organisation", field="consumer_id")
    # The catalogue is open to every department: any dataset may be asked for.
    dataset = Dataset.objects.select_related("schema").filter(pk=dataset_id).first()
    if dataset is None:
        raise NotFound("no such dataset", field="dataset_id")
    schema = TableSchema.from_descriptor(dataset.schema.descriptor)
    if purpose not in Purpose.values:
        raise DomainError(f"purpose must be one of: {', '.join(Purpose.values)}", field="purpose")
    unknown = sorted(set(fields) - set(schema.field_names))
    if not fields or unknown:
        raise DomainError(f"unknown fields: {', '.join(unknown) or 'none asked'}", field="fields")
    personal = sorted(set(fields) & set(schema.personal_fields))
    if personal and purpose not in PERSONAL_PURPOSES:
        raise DomainError(
            f"personal fields ({', '.join(personal)}) are not released for {purpose}; "
            "records carry a pseudonym instead",
            field="fields",
        )
    if not legal_basis.strip():
        raise DomainError(
            "name the law or regulation that allows this sharing", field="legal_basis"
        )
    area = area_info(area_id)
    if area is None or not area.path.startswith(dataset.area_path):
        raise DomainError("the areas asked for must lie within the dataset's area", field="area_id")
    now = timezone.now()
    if not now < valid_until <= now + MAX_DURATION:
        raise DomainError("an agreement runs from now for at most a year", field="valid_until")
    # Whose officers may read under it: the consumer's scope (the system acts for anyone).
    consumer_path = consumer_scopes[0].area_path if consumer_scopes else dataset.area_path
    with transaction.atomic():
        agreement = SharingAgreement.objects.create(
            dataset=dataset,
            consumer_id=consumer_id,
            consumer_area_path=consumer_path,
            fields=sorted(set(fields)),
            purpose=purpose,
            legal_basis=legal_basis.strip(),
            area_id=area.id,
            area_path=area.path,
            valid_until=valid_until,
            requested_by_id=actor.user_id,
        )
        audit_record(
            actor=actor,
            action="exchange.agreement_requested",
            permission=ExchangePermission.REQUEST_ACCESS,
            target_type="exchange.sharingagreement",
            target_id=agreement.pk,
            area_path=dataset.area_path,
            purpose=purpose,
            detail={"dataset_id": dataset.pk, "fields": agreement.fields, "area": area.path},
        )
    return agreement


def _owned(actor: Actor, agreement_id: int) -> SharingAgreement:
    """An agreement on a dataset the actor manages (as its owner), else NotFound."""
    datasets = Dataset.objects.for_actor(actor, ExchangePermission.MANAGE_DATASET)
    agreement = (
        SharingAgreement.objects.select_for_update()
        .filter(pk=agreement_id, dataset__in=datasets)
        .first()
    )
    if agreement is None:
        raise NotFound("no such agreement", field="agreement_id")
    return agreement


def agreement_decide(
    *, actor: Actor, agreement_id: int, approve: bool, reason: str = ""
) -> SharingAgreement:
    """The owner approves or refuses a pending request (a refusal says why)."""
    with transaction.atomic():
        agreement = _owned(actor, agreement_id)
        if agreement.status != AgreementStatus.REQUESTED:
            raise Conflict(f"the agreement is already {agreement.status}", field="agreement_id")
        if not approve and not reason.strip():
            raise DomainError("a refusal gives its reason", field="reason")
        agreement.status = AgreementStatus.APPROVED if approve else AgreementStatus.REFUSED
        agreement.decided_by_id = actor.user_id
        agreement.decided_at = timezone.now()
        agreement.decision_reason = reason.strip()
        agreement.save()
        audit_record(
            actor=actor,
            action="exchange.agreement_decided",
            permission=ExchangePermission.MANAGE_DATASET,
            target_type="exchange.sharingagreement",
            target_id=agreement.pk,
            area_path=agreement.dataset.area_path,
            purpose=agreement.purpose,
            detail={"status": agreement.status, "reason": agreement.decision_reason},
        )
    return agreement


def agreement_revoke(*, actor: Actor, agreement_id: int, reason: str) -> SharingAgreement:
    with transaction.atomic():
        agreement = _owned(actor, agreement_id)
        if agreement.status != AgreementStatus.APPROVED:
            raise Conflict(f"the agreement is {agreement.status}", field="agreement_id")
        agreement.status = AgreementStatus.REVOKED
        agreement.decision_reason = reason.strip()
        agreement.save()
        audit_record(
            actor=actor,
            action="exchange.agreement_revoked",
            permission=ExchangePermission.MANAGE_DATASET,
            target_type="exchange.sharingagreement",
            target_id=agreement.pk,
            area_path=agreement.dataset.area_path,
            detail={"reason": agreement.decision_reason},
        )
    return agreement


@dataclass(frozen=True)
class FeedPage:
    items: list[dict]
    next_cursor: int  # pass as `after` to continue; unchanged when nothing new


def _readable(actor: Actor, agreement_id: int) -> SharingAgreement:
    """An agreement the actor's organisation holds, approved and not expired."""
    agreement = (
        SharingAgreement.objects.for_actor(actor, ExchangePermission.READ_SHARED)
        .select_related("dataset__schema")
        .filter(pk=agreement_id)
        .first()
    )
    if agreement is None:
        raise NotFound("no such agreement", field="agreement_id")
    if agreement.status != AgreementStatus.APPROVED:
        raise Conflict(f"the agreement is {agreement.status}", field="agreement_id")
    if agreement.valid_until <= timezone.now():
        raise Conflict("the agreement has expired", field="agreement_id")
    return agreement


def agreement_feed(
    *, actor: Actor, agreement_id: int, after: int = 0, limit: int = 500
) -> FeedPage:
    """New and changed records since `after`, oldest first, cut to the agreed fields and areas.

    Resumable: the cursor is the id of the last change returned. The read is audited with the
    agreement's purpose, the fields released and how many records.
    """
    agreement = _readable(actor, agreement_id)
    page = feed_page(agreement, after=after, limit=limit)
    with transaction.atomic():
        audit_shared_read(actor=actor, agreement=agreement, records=len(page.items), after=after)
    return page


def feed_page(
    agreement: SharingAgreement, *, after: int = 0, upto: int | None = None, limit: int = 500
) -> FeedPage:
    """The records of changes after `after` (up to `upto`, when given), oldest first, cut to
    the agreement's fields and areas, with pseudonyms where its purpose needs them.

    It checks no actor and audits nothing: callers (the pull feed, the webhook sender) do both.
    """
    changes = RecordChange.objects.filter(
        dataset_id=agreement.dataset_id,
        id__gt=after,
        record__area_path__under=agreement.area_path,
    )
    if upto is not None:
        changes = changes.filter(id__lte=upto)
    changes = changes.select_related("record").order_by("id")[: min(limit, FEED_PAGE_MAX)]
    fields = list(agreement.fields)
    pseudonymous = agreement.purpose not in PERSONAL_PURPOSES
    items = []
    last = after
    for change in changes:
        record = change.record
        values = dict(record.data)
        if record.personal and any(f not in values for f in fields):
            values |= json.loads(record.personal)
        item = {
            "change": change.id,
            "kind": change.kind,
            "record": {f: values.get(f) for f in fields},
        }
        if pseudonymous:
            item["subject"] = pii.blind_index(
                f"{agreement.pk}:{record.natural_key}", context="exchange.pseudonym"
            )
        items.append(item)
        last = change.id
    return FeedPage(items=items, next_cursor=last)


def audit_shared_read(
    *, actor: Actor, agreement: SharingAgreement, records: int, after: int, **detail: object
) -> None:
    """The audit entry of one page released under an agreement (pulled or pushed): the purpose,
    the fields released and how many records. Call inside the transaction of the read."""
    audit_record(
        actor=actor,
        action="exchange.shared_read",
        permission=ExchangePermission.READ_SHARED,
        target_type="exchange.sharingagreement",
        target_id=agreement.pk,
        area_path=agreement.consumer_area_path,
        purpose=agreement.purpose,
        fields_read=list(agreement.fields),
        detail={"dataset_id": agreement.dataset_id, "records": records, "after": after} | detail,
    )


def agreement_reads(*, actor: Actor, dataset_id: int) -> list[AuditEntry]:
    """For the owner: who read the dataset through which agreement, when, why, how much."""
    dataset = (
        Dataset.objects.for_actor(actor, ExchangePermission.MANAGE_DATASET)
        .filter(pk=dataset_id)
        .first()
    )
    if dataset is None:
        raise NotFound("no such dataset", field="dataset_id")
    ids = [str(pk) for pk in dataset.agreements.values_list("pk", flat=True)]
    return list(
        AuditEntry.objects.filter(
            action="exchange.shared_read",
            target_type="exchange.sharingagreement",
            target_id__in=ids,
        ).order_by("-seq")[:1000]
    )
