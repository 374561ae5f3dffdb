"""Writes and audited reads of the directory: people, organisations, role assignments.

Each state change is one function: one transaction, the write, an audit entry naming the
actor, and an outbox event for other apps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from crisisgov.directory import idnumber
from crisisgov.directory.models import (
    DepartmentType,
    Household,
    Organisation,
    OrganisationKind,
    Person,
    RoleAssignment,
)
from crisisgov.directory.permissions import DirectoryPermission
from crisisgov.directory.roles import Role
from crisisgov.geo.facade import AreaInfo, Level, area_info
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied
from crisisgov.kernel.fields import blind_index_for, refresh_blind_indexes
from crisisgov.kernel.outbox import outbox_publish

PHONE_PATTERN = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}")
PII_FIELDS = ("name", "national_id", "phone")


class ReadPurpose(StrEnum):
    """Why a person's full record is read; recorded with every read."""

    EPIDEMIC_CONTROL = "epidemic_control"
    GRID_MANAGEMENT = "grid_management"
    RELIEF = "relief"
    SERVICE_REQUEST = "service_request"
    DATA_CORRECTION = "data_correction"

    @property
    def label(self) -> str:
        return str(READ_PURPOSE_LABELS[self])


READ_PURPOSE_LABELS = {
    ReadPurpose.EPIDEMIC_CONTROL: _("epidemic control"),
    ReadPurpose.GRID_MANAGEMENT: _("grid management"),
    ReadPurpose.RELIEF: _("relief"),
    ReadPurpose.SERVICE_REQUEST: _("service request"),
    ReadPurpose.DATA_CORRECTION: _("data correction"),
}


@dataclass(frozen=True)
class PersonRecord:
    """A person as one reader may see them: whole, or with personal fields masked."""

    id: int
    name: str
    national_id: str
    phone: str
    date_of_birth: str
    sex: str
    home_building_id: int
    area_path: str
    household_number: str | None
    masked: bool


def person_record(person: Person, *, masked: bool) -> PersonRecord:
    def shown(field: str) -> str:
        value = getattr(person, field) or ""
        return Person._meta.get_field(field).masked(value) if masked else value  # type: ignore[union-attr]

    return PersonRecord(
        id=person.pk,
        name=shown("name"),
        national_id=shown("national_id"),
        phone=shown("phone"),
        date_of_birth=person.date_of_birth.isoformat()[:4] + "-**-**"
        if masked
        else person.date_of_birth.isoformat(),
        sex=person.sex,
        home_building_id=person.home_building_id,
        area_path=person.area_path,
        household_number=person.household.number if person.household else None,
        masked=masked,
    )


def _clean_national_id(value: str) -> str:
    try:
        return idnumber.validate(value)
    except idnumber.InvalidNationalId as exc:
        raise DomainError(str(exc), field="national_id") from exc


def _clean_phone(value: str) -> str:
    phone = re.sub(r"[\s]", "", value or "")
    if phone and not PHONE_PATTERN.fullmatch(phone):
        raise DomainError(
            "a phone number is 11 digits starting with 1, or an area code and number",
            field="phone",
        )
    return phone


def _clean_name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name or len(name) > 60:
        raise DomainError("a name has 1 to 60 characters", field="name")
    return name


def _building_for(actor: Actor, building_id: int, permission: str) -> AreaInfo:
    """The building, if the actor may act there; out of scope answers like missing."""
    building = area_info(building_id)
    if building is None or not actor.can_at(permission, building.path):
        raise NotFound("no such building", field="home_building_id")
    if building.level != Level.BUILDING:
        raise DomainError("the home must be an area at building level", field="home_building_id")
    return building


def _household(building: AreaInfo, number: str | None) -> Household | None:
    if not number:
        return None
    number = number.strip()
    if len(number) > 20:
        raise DomainError("a household number has at most 20 characters", field="household_number")
    household, _ = Household.objects.get_or_create(
        building_id=building.id, number=number, defaults={"area_path": building.path}
    )
    return household


def person_create(
    *,
    actor: Actor,
    name: str,
    national_id: str,
    phone: str = "",
    home_building_id: int,
    household_number: str | None = None,
) -> Person:
    """Register a resident. Date of birth and sex come from the ID number (collect minimum)."""
    clean_id = _clean_national_id(national_id)
    person = Person(
        name=_clean_name(name),
        national_id=clean_id,
        phone=_clean_phone(phone),
        date_of_birth=idnumber.birth_date(clean_id),
        sex=idnumber.sex(clean_id),
    )
    building = _building_for(actor, home_building_id, DirectoryPermission.EDIT_PERSON)
    person.home_building_id = building.id
    person.area_path = building.path
    refresh_blind_indexes(person)
    if Person.objects.filter(national_id_index=person.national_id_index).exists():
        _refuse_duplicate(actor, building)
    with transaction.atomic():
        person.household = _household(building, household_number)
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError as exc:  # a concurrent registration of the same number
            raise Conflict(
                "a person with this ID number is already registered", field="national_id"
            ) from exc
        audit_record(
            actor=actor,
            action="directory.person_created",
            permission=DirectoryPermission.EDIT_PERSON,
            target_type="directory.person",
            target_id=person.pk,
            area_path=person.area_path,
            subject_person_id=person.pk,
        )
        outbox_publish(
            topic="directory.person_changed",
            payload={"person_id": person.pk, "area_path": person.area_path, "change": "created"},
        )
    return person


def _refuse_duplicate(actor: Actor, building: AreaInfo) -> None:
    """Refuse a second registration of an ID number, and record the attempt: the answer tells
    the caller the number is registered somewhere, so probing numbers leaves a trace."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="directory.person_duplicate_refused",
            permission=DirectoryPermission.EDIT_PERSON,
            target_type="directory.person",
            area_path=building.path,
        )
    raise Conflict("a person with this ID number is already registered", field="national_id")


def person_update(
    *,
    actor: Actor,
    person_id: int,
    name: str | None = None,
    phone: str | None = None,
    home_building_id: int | None = None,
    household_number: str | None = None,
) -> Person:
    """Correct a resident's record (a grid worker after a visit). The ID number is fixed."""
    with transaction.atomic():
        person = (
            Person.objects.for_actor(actor, DirectoryPermission.EDIT_PERSON)
            .select_for_update()
            .filter(pk=person_id)
            .first()
        )
        if person is None:
            raise NotFound("no such person", field="person_id")
        changed = []
        if name is not None:
            person.name = _clean_name(name)
            changed.append("name")
        if phone is not None:
            person.phone = _clean_phone(phone)
            changed.append("phone")
        if home_building_id is not None:
            building = _building_for(actor, home_building_id, DirectoryPermission.EDIT_PERSON)
            person.home_building_id, person.area_path = building.id, building.path
            person.household = _household(building, household_number)
            changed += ["home_building_id", "household_number"]
        elif household_number is not None:
            building = area_info(person.home_building_id)
            assert building is not None
            person.household = _household(building, household_number)
            changed.append("household_number")
        if not changed:
            return person  # nothing to correct: no write, no audit entry, no event
        refresh_blind_indexes(person)
        person.save()
        audit_record(
            actor=actor,
            action="directory.person_updated",
            permission=DirectoryPermission.EDIT_PERSON,
            target_type="directory.person",
            target_id=person.pk,
            area_path=person.area_path,
            subject_person_id=person.pk,
            detail={"fields": sorted(changed)},
        )
        outbox_publish(
            topic="directory.person_changed",
            payload={"person_id": person.pk, "area_path": person.area_path, "change": "updated"},
        )
    return person


def person_read(*, actor: Actor, person_id: int, purpose: ReadPurpose | str) -> PersonRecord:
    """The whole record for a reader allowed to see personal data, with an access entry;
    a reader who may only list people gets it masked, and nothing is logged."""
    people = Person.objects.select_related("household")
    full = people.for_actor(actor, DirectoryPermission.VIEW_PERSON_PII).filter(pk=person_id).first()
    if full is None:
        masked = people.for_actor(actor, DirectoryPermission.VIEW_PERSON).filter(pk=person_id)
        person = masked.first()
        if person is None:
            raise NotFound("no such person", field="person_id")
        return person_record(person, masked=True)
    _audit_read(actor, full, purpose)
    return person_record(full, masked=False)


def _audit_read(actor: Actor, person: Person, purpose: ReadPurpose | str) -> None:
    try:
        purpose = ReadPurpose(purpose)
    except ValueError as exc:
        choices = ", ".join(p.value for p in ReadPurpose)
        raise DomainError(f"purpose must be one of: {choices}", field="purpose") from exc
    audit_record(
        actor=actor,
        action="directory.person_read",
        permission=DirectoryPermission.VIEW_PERSON_PII,
        target_type="directory.person",
        target_id=person.pk,
        area_path=person.area_path,
        purpose=purpose,
        fields_read=PII_FIELDS,
        subject_person_id=person.pk,
    )


def person_find_by_national_id(
    *, actor: Actor, national_id: str, purpose: ReadPurpose | str
) -> PersonRecord:
    """Exact lookup through the blind index; the number itself is never stored or logged."""
    clean_id = _clean_national_id(national_id)
    digest = blind_index_for(Person, "national_id_index", clean_id)
    person = (
        Person.objects.for_actor(actor, DirectoryPermission.VIEW_PERSON_PII)
        .select_related("household")
        .filter(national_id_index=digest)
        .first()
    )
    if person is None:
        raise NotFound("no person with this ID number in your jurisdiction", field="national_id")
    _audit_read(actor, person, purpose)
    return person_record(person, masked=False)


def organisation_create(
    *,
    actor: Actor,
    kind: str,
    name_zh: str,
    name_en: str,
    area_id: int,
    department_type: str = "",
    address: str = "",
    lon: float | None = None,
    lat: float | None = None,
    public_phone: str = "",
) -> Organisation:
    if kind not in OrganisationKind.values:
        raise DomainError(
            f"kind must be one of: {', '.join(OrganisationKind.values)}", field="kind"
        )
    if department_type and department_type not in DepartmentType.values:
        raise DomainError("unknown department type", field="department_type")
    if (kind == OrganisationKind.DEPARTMENT) != bool(department_type):
        raise DomainError(
            "a department has a department type, and only a department has one",
            field="department_type",
        )
    name_zh, name_en = name_zh.strip(), name_en.strip()
    for field, value in (("name_zh", name_zh), ("name_en", name_en)):
        if not value:
            raise DomainError("a name must not be blank", field=field)
    area = area_info(area_id)
    if area is None or not actor.can_at(DirectoryPermission.EDIT_ORGANISATION, area.path):
        raise NotFound("no such area", field="area_id")
    with transaction.atomic():
        org = Organisation.objects.create(
            kind=kind,
            department_type=department_type,
            name_zh=name_zh,
            name_en=name_en,
            area_id=area.id,
            area_path=area.path,
            address=address,
            lon=lon,
            lat=lat,
            public_phone=public_phone,
        )
        audit_record(
            actor=actor,
            action="directory.organisation_created",
            permission=DirectoryPermission.EDIT_ORGANISATION,
            target_type="directory.organisation",
            target_id=org.pk,
            area_path=org.area_path,
        )
        outbox_publish(
            topic="directory.organisation_changed",
            payload={"organisation_id": org.pk, "area_path": org.area_path, "change": "created"},
        )
    return org


def role_assign(
    *,
    actor: Actor,
    user_id: int,
    role: str,
    area_id: int,
    organisation_id: int | None = None,
    expires_at: Any = None,
) -> RoleAssignment:
    """Grant a role at an area.

    Only an account administrator whose scope covers the area may, never to themself (whoever
    manages accounts must not be able to hand themself access to residents' data), and only to
    accounts inside their reach: accounts with no role yet, or whose every role lies within the
    administrator's jurisdiction. Other accounts answer like missing ones.
    """
    try:
        role = Role(role)
    except ValueError as exc:
        raise DomainError(f"role must be one of: {', '.join(Role)}", field="role") from exc
    area = area_info(area_id)
    if area is None or not actor.can_at(DirectoryPermission.MANAGE_ACCOUNTS, area.path):
        raise NotFound("no such area", field="area_id")
    if user_id == actor.user_id and not actor.is_system:
        raise PermissionDenied("nobody grants a role to themself", field="user_id")
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not _within_reach(actor, user):
        raise NotFound("no such account", field="user_id")
    if organisation_id is not None:
        org = Organisation.objects.filter(pk=organisation_id).first()
        if org is None or not org.area_path.startswith(area.path):
            raise NotFound("no such organisation in that area", field="organisation_id")
    with transaction.atomic():
        assignment = RoleAssignment.objects.create(
            user=user,
            role=role,
            area_id=area.id,
            area_path=area.path,
            organisation_id=organisation_id,
            granted_by_id=actor.user_id,
            expires_at=expires_at,
        )
        audit_record(
            actor=actor,
            action="directory.role_assigned",
            permission=DirectoryPermission.MANAGE_ACCOUNTS,
            target_type="auth.user",
            target_id=user.pk,
            area_path=area.path,
            detail={"role": role.value, "organisation_id": organisation_id},
        )
    return assignment


def _within_reach(actor: Actor, user: Any) -> bool:
    """The account has no role yet, or all its roles lie inside the actor's account scopes."""
    if actor.is_system:
        return True
    paths = RoleAssignment.objects.filter(user=user).values_list("area_path", flat=True)
    return all(actor.can_at(DirectoryPermission.MANAGE_ACCOUNTS, path) for path in paths)


def role_revoke(*, actor: Actor, assignment_id: int) -> None:
    with transaction.atomic():
        assignment = (
            RoleAssignment.objects.for_actor(actor, DirectoryPermission.MANAGE_ACCOUNTS)
            .filter(pk=assignment_id)
            .first()
        )
        if assignment is None:
            raise NotFound("no such role assignment", field="assignment_id")
        audit_record(
            actor=actor,
            action="directory.role_revoked",
            permission=DirectoryPermission.MANAGE_ACCOUNTS,
            target_type="auth.user",
            target_id=assignment.user_id,
            area_path=assignment.area_path,
            detail={"role": assignment.role},
        )
        assignment.delete()
