"""Acting for another person: a carer asks, the resident's grid worker confirms after a visit
or a call, and the carer or the resident's own account may end it at any time.

Only what is needed is collected: the resident's ID number (looked up through its blind
index, never stored here) and the relationship from a closed list.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from crisisgov.citizen.models import Delegation, DelegationState, NoticeKind, Relationship
from crisisgov.citizen.notices import notice_send
from crisisgov.citizen.permissions import CitizenPermission
from crisisgov.directory.facade import (
    DirectoryPermission,
    idnumber,
    resident_by_national_id,
    resident_of_account,
)
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound
from crisisgov.kernel.ratelimit import attempt_allow

DELEGATION_REQUESTS_PER_DAY = 10


def validated_national_id(value: str, *, field: str = "national_id") -> str:
    """The normalised number, or a DomainError naming `field` and what is wrong."""
    try:
        return idnumber.validate(value or "")
    except idnumber.InvalidNationalId as exc:
        raise DomainError(str(exc), field=field, code="invalid_national_id") from None


def delegation_request(
    *, actor: Actor, user: Any, national_id: str, relationship: str
) -> Delegation:
    """The carer (`user`) asks to act for the resident with this ID number."""
    if not actor.can(CitizenPermission.USE_SERVICES):
        raise NotFound("no such service for this account", field="national_id")
    # Whether an ID number belongs to a registered resident is personal data: a carer gets
    # a few tries a day, not a way to enumerate numbers.
    attempt_allow(
        "delegation-request",
        str(user.pk),
        limit=DELEGATION_REQUESTS_PER_DAY,
        window_seconds=86_400,
        field="national_id",
    )
    number = validated_national_id(national_id)
    if relationship not in Relationship.values:
        raise DomainError(
            f"relationship must be one of {', '.join(Relationship.values)}", field="relationship"
        )
    person = resident_by_national_id(number)
    if person is None:
        raise NotFound("no resident with this ID number is registered", field="national_id")
    own = resident_of_account(user.pk)
    if own is not None and own.id == person.id:
        raise DomainError("this is your own ID number", field="national_id", code="own_person")
    with transaction.atomic():
        if Delegation.objects.filter(
            carer=user,
            person_id=person.id,
            state__in=[DelegationState.REQUESTED, DelegationState.ACTIVE],
        ).exists():
            raise Conflict("you have already asked to act for this resident", field="national_id")
        try:
            with transaction.atomic():
                delegation = Delegation.objects.create(
                    carer=user,
                    person_id=person.id,
                    area_path=person.area_path,
                    relationship=relationship,
                    requested_at=timezone.now(),
                )
        except IntegrityError:  # the same request sent twice at once
            raise Conflict(
                "you have already asked to act for this resident", field="national_id"
            ) from None
        audit_record(
            actor=actor,
            action="citizen.delegation_requested",
            target_type="citizen.delegation",
            target_id=delegation.pk,
            area_path=person.area_path,
            subject_person_id=person.id,
            detail={"relationship": relationship},
            permission=CitizenPermission.USE_SERVICES,
        )
    return delegation


def delegations_to_confirm(*, actor: Actor) -> QuerySet[Delegation]:
    """Requests waiting for a grid worker of the resident's area."""
    return Delegation.objects.for_actor(actor, DirectoryPermission.EDIT_PERSON).filter(
        state=DelegationState.REQUESTED
    )


def delegation_confirm(*, actor: Actor, delegation_id: int) -> Delegation:
    """A grid worker of the resident's area confirms, having visited or called them."""
    with transaction.atomic():
        delegation = (
            Delegation.objects.for_actor(actor, DirectoryPermission.EDIT_PERSON)
            .select_for_update()
            .filter(pk=delegation_id)
            .first()
        )
        if delegation is None:
            raise NotFound("no such request to act for a resident", field="delegation")
        if delegation.state != DelegationState.REQUESTED:
            raise Conflict(f"the request is {delegation.state}, not waiting", field="delegation")
        if delegation.carer_id == actor.user_id:
            raise DomainError("a grid worker cannot confirm their own request", field="delegation")
        delegation.state = DelegationState.ACTIVE
        delegation.confirmed_by_id = actor.user_id
        delegation.confirmed_at = timezone.now()
        delegation.save(update_fields=["state", "confirmed_by", "confirmed_at"])
        audit_record(
            actor=actor,
            action="citizen.delegation_confirmed",
            target_type="citizen.delegation",
            target_id=delegation.pk,
            area_path=delegation.area_path,
            subject_person_id=delegation.person_id,
            detail={"relationship": delegation.relationship},
            permission=DirectoryPermission.EDIT_PERSON,
        )
        notice_send(
            person_id=delegation.person_id,
            kind=NoticeKind.DELEGATION_ACTIVE,
            params={"relationship": delegation.relationship},
        )
    return delegation


def delegation_revoke(*, actor: Actor, user: Any, delegation_id: int) -> Delegation:
    """The carer or the resident's own account ends a delegation (or withdraws a request); a
    grid worker of the area may refuse a request that is still waiting."""
    own = resident_of_account(user.pk) if user is not None else None
    mine = Q(carer_id=user.pk) if user is not None else Q(pk__in=[])
    if own is not None:
        mine |= Q(person_id=own.id)
    with transaction.atomic():
        delegation = Delegation.objects.select_for_update().filter(mine, pk=delegation_id).first()
        permission = CitizenPermission.USE_SERVICES
        if delegation is None:
            delegation = (
                delegations_to_confirm(actor=actor).select_for_update().filter(pk=delegation_id)
            ).first()
            permission = DirectoryPermission.EDIT_PERSON
        if delegation is None:
            raise NotFound("no such delegation", field="delegation")
        if delegation.state == DelegationState.REVOKED:
            raise Conflict("the delegation has already ended", field="delegation")
        was = delegation.state
        delegation.state = DelegationState.REVOKED
        delegation.revoked_by_id = user.pk
        delegation.revoked_at = timezone.now()
        delegation.save(update_fields=["state", "revoked_by", "revoked_at"])
        audit_record(
            actor=actor,
            action="citizen.delegation_revoked",
            target_type="citizen.delegation",
            target_id=delegation.pk,
            area_path=delegation.area_path,
            subject_person_id=delegation.person_id,
            detail={"was": was},
            permission=permission,
        )
        if was == DelegationState.ACTIVE:
            notice_send(
                person_id=delegation.person_id,
                kind=NoticeKind.DELEGATION_REVOKED,
                params={"relationship": delegation.relationship},
            )
    return delegation


def delegations_of(*, user: Any) -> QuerySet[Delegation]:
    """The account's delegations as a carer, and those about its own resident."""
    own = resident_of_account(user.pk)
    condition = Q(carer_id=user.pk)
    if own is not None:
        condition |= Q(person_id=own.id)
    return Delegation.objects.filter(condition).select_related("carer")
