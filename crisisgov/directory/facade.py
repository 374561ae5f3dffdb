"""What other apps (and the kernel's actor resolver) may use of directory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from crisisgov.directory.permissions import DirectoryPermission
from crisisgov.directory.roles import ROLE_PERMISSIONS, Role
from crisisgov.kernel.actor import Actor, Scope

__all__ = ["DirectoryPermission", "Role", "actor_for_user", "user_for_api_token"]


def actor_for_user(user: Any) -> Actor:
    """The actor a logged-in user acts as: one scope per unexpired role assignment."""
    from crisisgov.directory.models import RoleAssignment

    now = timezone.now()
    scopes = []
    for assignment in RoleAssignment.objects.filter(user=user).order_by("id"):
        if assignment.expires_at and assignment.expires_at <= now:
            continue
        permissions = ROLE_PERMISSIONS.get(Role(assignment.role), frozenset())
        scopes.append(
            Scope(
                role=assignment.role,
                permissions=permissions,
                area_path=assignment.area_path,
                organisation_id=assignment.organisation_id,
            )
        )
    person_id = getattr(getattr(user, "person", None), "pk", None)
    return Actor(
        user_id=user.pk, username=user.get_username(), scopes=tuple(scopes), person_id=person_id
    )


def user_for_api_token(secret: str) -> Any | None:
    from crisisgov.directory.tokens import user_for_api_token as lookup

    return lookup(secret)


def counts_for_area_paths(paths: list[str]) -> dict:
    """Residents, households and organisations per area subtree: {path: AreaCounts}."""
    from crisisgov.directory.selectors import counts_for_area_paths as count

    return count(paths)


def role_label(role: str) -> str:
    """The role's display name in the active language (the raw value for an unknown role)."""
    from crisisgov.directory.roles import ROLE_LABELS

    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return role


def demo_accounts_ensure() -> list:
    from crisisgov.directory.demo import demo_accounts_ensure as ensure

    return ensure()


# Bulk writes for loaders such as the synthetic city (crisisgov/directory/bulk.py), and the
# ID-number scheme (GB 11643) they build numbers with.
from crisisgov.directory import idnumber  # noqa: E402
from crisisgov.directory.bulk import (  # noqa: E402
    PeopleInserted,
    directory_delete_under,
    households_and_people_bulk_insert,
    organisations_bulk_insert,
)

__all__ += [
    "PeopleInserted",
    "directory_delete_under",
    "households_and_people_bulk_insert",
    "idnumber",
    "organisations_bulk_insert",
]


# --- resident pages (the dashboard reads residents only through these) ---------------------


def person_page(*, actor: Actor, area_path: str, offset: int, limit: int) -> tuple[int, list]:
    """One page of residents under `area_path` the actor may list, masked: (total, records)."""
    from crisisgov.directory.selectors import person_list
    from crisisgov.directory.services import person_record

    people = person_list(actor=actor, area_path=area_path).select_related("household")
    return people.count(), [person_record(p, masked=True) for p in people[offset : offset + limit]]


def person_summary(*, actor: Actor, person_id: int) -> Any:
    """The masked record (no personal data is read, nothing is logged); NotFound if hidden."""
    from crisisgov.directory.selectors import person_get
    from crisisgov.directory.services import person_record

    return person_record(person_get(actor=actor, person_id=person_id), masked=True)


def person_read(*, actor: Actor, person_id: int, purpose: str) -> Any:
    """The whole record, audited with `purpose`, for a reader allowed personal data."""
    from crisisgov.directory.services import person_read as read

    return read(actor=actor, person_id=person_id, purpose=purpose)


def read_purpose_choices() -> list[tuple[str, str]]:
    """(value, label in the active language) of every purpose a whole read may be made for."""
    from crisisgov.directory.services import ReadPurpose

    return [(p.value, p.label) for p in ReadPurpose]


def read_purpose_label(value: str) -> str:
    from crisisgov.directory.services import ReadPurpose

    try:
        return ReadPurpose(value).label
    except ValueError:
        return value


def may_read_whole_records(*, actor: Actor) -> bool:
    """Whether the actor holds the permission to read whole records anywhere."""
    return actor.can(DirectoryPermission.VIEW_PERSON_PII)


def my_record(*, actor: Actor) -> Any:
    """A citizen's own record, whole (reading one's own data is not logged)."""
    from crisisgov.directory.selectors import person_own
    from crisisgov.directory.services import person_record

    return person_record(person_own(actor=actor), masked=False)


def my_access_log(*, actor: Actor) -> list:
    from crisisgov.directory.selectors import person_access_log

    return person_access_log(actor=actor)


@dataclass(frozen=True)
class OrganisationInfo:
    id: int
    kind: str
    department_type: str
    name_zh: str
    name_en: str
    area_path: str


def organisation_info(organisation_id: int) -> OrganisationInfo | None:
    """Unscoped lookup for internal use (never hand it to a caller without a scope check)."""
    from crisisgov.directory.models import Organisation

    org = Organisation.objects.filter(pk=organisation_id).first()
    if org is None:
        return None
    return OrganisationInfo(
        org.pk, org.kind, org.department_type, org.name_zh, org.name_en, org.area_path
    )


def residents_sample(*, under_path: str, count: int) -> list[dict]:
    """Unscoped, for drills only: `count` residents under a path, decrypted, in id order."""
    from crisisgov.directory.models import Person

    people = Person.objects.filter(area_path__under=under_path).order_by("id")[:count]
    return [
        {
            "name": p.name,
            "national_id": p.national_id,
            "phone": p.phone,
            "sex": p.sex,
            "date_of_birth": p.date_of_birth,
            "area_path": p.area_path,
        }
        for p in people
    ]


def organisations_of(*, kind: str, department_type: str = "", under_path: str = "") -> list:
    """Unscoped, for setup and drills: organisations of a kind, in area order."""
    from crisisgov.directory.models import Organisation

    rows = Organisation.objects.filter(kind=kind)
    if department_type:
        rows = rows.filter(department_type=department_type)
    if under_path:
        rows = rows.filter(area_path__under=under_path)
    return [organisation_info(o.pk) for o in rows.order_by("area_path", "id")]


@dataclass(frozen=True)
class PublicPlace:
    """What the public may know of a service point: its name, address, place and office line."""

    id: int
    kind: str
    name_zh: str
    name_en: str
    area_path: str
    address: str
    lon: float | None
    lat: float | None
    public_phone: str
    active: bool


def public_places(*, kind: str, ids: list[int] | None = None) -> list[PublicPlace]:
    """Unscoped: organisations of a kind (testing sites, pharmacies) as the public sees them,
    in area order; only `ids` when given."""
    from crisisgov.directory.models import Organisation

    rows = Organisation.objects.filter(kind=kind)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return [
        PublicPlace(
            id=o.pk,
            kind=o.kind,
            name_zh=o.name_zh,
            name_en=o.name_en,
            area_path=o.area_path,
            address=o.address,
            lon=o.lon,
            lat=o.lat,
            public_phone=o.public_phone,
            active=o.active,
        )
        for o in rows.order_by("area_path", "id")
    ]


# --- residents as the citizen services see them: blind indexes and a masked name only -------


@dataclass(frozen=True)
class ResidentRef:
    """Enough to act for a resident and match records about them; no plaintext identifiers."""

    id: int
    id_index: str
    phone_index: str
    area_path: str
    masked_name: str
    account_id: int | None


def _resident_ref(person: Any) -> ResidentRef:
    from crisisgov.kernel.pii import mask_name

    return ResidentRef(
        person.pk,
        person.national_id_index,
        person.phone_index,
        person.area_path,
        mask_name(person.name),
        person.account_id,
    )


def resident_refs(person_ids: list[int]) -> dict[int, ResidentRef]:
    """Unscoped, for internal use: the residents with these ids, by id."""
    from crisisgov.directory.models import Person

    return {p.pk: _resident_ref(p) for p in Person.objects.filter(pk__in=list(person_ids))}


def resident_of_account(user_id: int) -> ResidentRef | None:
    """The resident whose own account this is, if any."""
    from crisisgov.directory.models import Person

    person = Person.objects.filter(account_id=user_id).first()
    return _resident_ref(person) if person is not None else None


def resident_by_national_id(national_id: str) -> ResidentRef | None:
    """Unscoped exact lookup by a validated ID number, through the blind index."""
    from crisisgov.directory.models import Person
    from crisisgov.kernel.fields import blind_index_for

    digest = blind_index_for(Person, "national_id_index", idnumber.normalise(national_id))
    person = Person.objects.filter(national_id_index=digest).first()
    return _resident_ref(person) if person is not None else None


def resident_ids_for_indexes(*, id_indexes: list[str], phone_indexes: list[str]) -> list[int]:
    """Unscoped: ids of the residents whose ID-number or phone blind index is listed."""
    from crisisgov.directory.models import Person

    found: set[int] = set()
    for field, values in (("national_id_index", id_indexes), ("phone_index", phone_indexes)):
        unique = sorted({v for v in values if v})
        for i in range(0, len(unique), 500):
            rows = Person.objects.filter(**{f"{field}__in": unique[i : i + 500]})
            found.update(rows.values_list("id", flat=True))
    return sorted(found)


def resident_index_rows(*, under_path: str = "") -> list[tuple[int, str, str, str]]:
    """Unscoped, for batch work: (id, id index, phone index, area path) of every resident."""
    from crisisgov.directory.models import Person

    rows = Person.objects.all()
    if under_path:
        rows = rows.filter(area_path__under=under_path)
    return list(
        rows.order_by("id").values_list("id", "national_id_index", "phone_index", "area_path")
    )
