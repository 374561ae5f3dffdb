"""Directory endpoints: people (masked lists, audited reads), organisations, role grants."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from crisisgov.directory import selectors, services
from crisisgov.directory.models import DepartmentType, OrganisationKind
from crisisgov.directory.roles import Role
from crisisgov.directory.services import ReadPurpose, person_record
from crisisgov.kernel.http import actor_of
from crisisgov.kernel.schemas import MAX_OFFSET, Id, PathId, StrictInput, text

router = Router()


Name = text(max_length=60)
Phone = text(max_length=30)
HouseholdNumber = text(max_length=20)


class PersonOut(Schema):
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


class PersonIn(StrictInput):
    name: Name
    national_id: text(max_length=30)  # type: ignore[valid-type]
    phone: Phone = ""  # type: ignore[valid-type]
    home_building_id: Id
    household_number: HouseholdNumber | None = None  # type: ignore[valid-type]


class PersonPatch(StrictInput):
    name: Name | None = None  # type: ignore[valid-type]
    phone: Phone | None = None  # type: ignore[valid-type]
    home_building_id: Id | None = None
    household_number: HouseholdNumber | None = None  # type: ignore[valid-type]


class LookupIn(StrictInput):
    national_id: text(max_length=30)  # type: ignore[valid-type]
    purpose: ReadPurpose


class PageOut(Schema):
    count: int
    items: list[PersonOut]


class OrganisationOut(Schema):
    id: int
    kind: str
    department_type: str
    name_zh: str
    name_en: str
    area_id: int
    area_path: str
    address: str
    lon: float | None
    lat: float | None
    public_phone: str


class OrganisationIn(StrictInput):
    kind: OrganisationKind
    department_type: DepartmentType | Literal[""] = ""
    name_zh: text(min_length=1, max_length=200)  # type: ignore[valid-type]
    name_en: text(min_length=1, max_length=200)  # type: ignore[valid-type]
    area_id: Id
    address: text(max_length=300) = ""  # type: ignore[valid-type]
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    public_phone: text(max_length=40) = ""  # type: ignore[valid-type]


class RoleIn(StrictInput):
    user_id: Id
    role: Role
    area_id: Id
    organisation_id: Id | None = None
    expires_at: datetime | None = None


class RoleOut(Schema):
    id: int
    user_id: int
    role: str
    area_id: int
    organisation_id: int | None


class AccessEntryOut(Schema):
    at: str
    reader: str
    role: str
    organisation: str
    purpose: str
    fields: list[str]


def _out(record: services.PersonRecord) -> dict:
    return dataclasses.asdict(record)


@router.get("/people", response=PageOut, summary="Residents in your jurisdiction (masked)")
def list_people(
    request: HttpRequest,
    area_path: str | None = Query(None, pattern=r"^\d{2,21}$"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict:
    actor = actor_of(request)
    people = selectors.person_list(actor=actor, area_path=area_path).select_related("household")
    page = people[offset : offset + limit]
    return {
        "count": people.count(),
        "items": [_out(person_record(p, masked=True)) for p in page],
    }


@router.post("/people", response={201: PersonOut}, summary="Register a resident")
def create_person(request: HttpRequest, payload: PersonIn) -> Status:
    person = services.person_create(actor=actor_of(request), **payload.dict())
    return Status(201, _out(person_record(person, masked=True)))


@router.post("/people/lookup", response=PersonOut, summary="Find a resident by ID number")
def lookup_person(request: HttpRequest, payload: LookupIn) -> dict:
    record = services.person_find_by_national_id(
        actor=actor_of(request),
        national_id=payload.national_id,
        purpose=payload.purpose,
    )
    return _out(record)


@router.get("/people/{person_id}", response=PersonOut, summary="One resident (reads are audited)")
def read_person(request: HttpRequest, person_id: PathId, purpose: ReadPurpose) -> dict:
    return _out(services.person_read(actor=actor_of(request), person_id=person_id, purpose=purpose))


@router.patch("/people/{person_id}", response=PersonOut, summary="Correct a resident's record")
def update_person(request: HttpRequest, person_id: PathId, payload: PersonPatch) -> dict:
    person = services.person_update(
        actor=actor_of(request),
        person_id=person_id,
        **payload.dict(exclude_unset=True),
    )
    return _out(person_record(person, masked=True))


@router.get("/me/record", response=PersonOut, summary="A citizen's own record")
def my_record(request: HttpRequest) -> dict:
    person = selectors.person_own(actor=actor_of(request))
    return _out(person_record(person, masked=False))


@router.get(
    "/me/access-log", response=list[AccessEntryOut], summary="Who read my record, when and why"
)
def my_access_log(request: HttpRequest) -> list:
    return [dataclasses.asdict(e) for e in selectors.person_access_log(actor=actor_of(request))]


@router.get("/organisations", response=list[OrganisationOut])
def list_organisations(
    request: HttpRequest,
    kind: OrganisationKind | None = None,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list:
    orgs = selectors.organisation_list(actor=actor_of(request), kind=kind)
    return list(orgs[offset : offset + limit])


@router.get("/organisations/{organisation_id}", response=OrganisationOut)
def get_organisation(request: HttpRequest, organisation_id: PathId) -> object:
    return selectors.organisation_get(actor=actor_of(request), organisation_id=organisation_id)


@router.post("/organisations", response={201: OrganisationOut})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status:
    return Status(201, services.organisation_create(actor=actor_of(request), **payload.dict()))


@router.post("/role-assignments", response={201: RoleOut}, summary="Grant a role at an area")
def assign_role(request: HttpRequest, payload: RoleIn) -> Status:
    return Status(201, services.role_assign(actor=actor_of(request), **payload.dict()))


@router.delete("/role-assignments/{assignment_id}", response={204: None})
def revoke_role(request: HttpRequest, assignment_id: PathId) -> Status:
    services.role_revoke(actor=actor_of(request), assignment_id=assignment_id)
    return Status(204, None)
