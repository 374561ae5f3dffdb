"""Reads of organisations and people. Every one starts from `for_actor`."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.db.models.functions import Substr

from crisisgov.directory.models import Household, Organisation, Person
from crisisgov.directory.permissions import DirectoryPermission
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.errors import NotFound
from crisisgov.kernel.models import AuditEntry


@dataclass(frozen=True)
class AreaCounts:
    residents: int
    households: int
    organisations: int


def counts_for_area_paths(paths: list[str]) -> dict[str, AreaCounts]:
    """Residents, households and organisations in each area subtree (aggregates only).

    The caller has already checked that the actor may see these areas; counts reveal no
    person. One grouped query per table when the paths are siblings of one level.
    """
    result: dict[str, AreaCounts] = {}
    if not paths:
        return result
    lengths = {len(p) for p in paths}
    if len(lengths) == 1:
        (length,) = lengths
        tables = [Person.objects, Household.objects, Organisation.objects]
        grouped = []
        # Siblings share their parent's path: keep the scan to that index range.
        common = os.path.commonprefix(paths)
        for manager in tables:
            in_range = manager.filter(area_path__under=common) if common else manager.all()
            rows = (
                in_range.annotate(prefix=Substr("area_path", 1, length))
                .filter(prefix__in=paths)
                .values("prefix")
                .annotate(n=Count("id"))
            )
            grouped.append({r["prefix"]: r["n"] for r in rows})
        for p in paths:
            result[p] = AreaCounts(grouped[0].get(p, 0), grouped[1].get(p, 0), grouped[2].get(p, 0))
        return result
    for p in paths:
        result[p] = AreaCounts(
            Person.objects.filter(area_path__under=p).count(),
            Household.objects.filter(area_path__under=p).count(),
            Organisation.objects.filter(area_path__under=p).count(),
        )
    return result


def person_list(*, actor: Actor, area_path: str | None = None) -> QuerySet[Person]:
    people = Person.objects.for_actor(actor, DirectoryPermission.VIEW_PERSON)
    if area_path:
        people = people.filter(area_path__under=area_path)
    # Building by building: the (area_path, id) index serves the scope and the order at once.
    return people.order_by("area_path", "id")


def person_get(
    *, actor: Actor, person_id: int, action: str = DirectoryPermission.VIEW_PERSON
) -> Person:
    person = Person.objects.for_actor(actor, action).filter(pk=person_id).first()
    if person is None:
        raise NotFound("no such person", field="person_id")
    return person


def organisation_list(*, actor: Actor, kind: str | None = None) -> QuerySet[Organisation]:
    orgs = Organisation.objects.for_actor(actor, DirectoryPermission.VIEW_ORGANISATION)
    if kind:
        orgs = orgs.filter(kind=kind)
    return orgs.order_by("area_path", "id")


def organisation_get(*, actor: Actor, organisation_id: int) -> Organisation:
    org = (
        Organisation.objects.for_actor(actor, DirectoryPermission.VIEW_ORGANISATION)
        .filter(pk=organisation_id)
        .first()
    )
    if org is None:
        raise NotFound("no such organisation", field="organisation_id")
    return org


@dataclass(frozen=True)
class AccessEntry:
    """One read of a citizen's record, as shown to that citizen."""

    at: str
    reader: str
    role: str
    organisation: str
    purpose: str
    fields: list[str]


def person_access_log(*, actor: Actor) -> list[AccessEntry]:
    """Who read the acting citizen's own record, when and why (newest first)."""
    if actor.person_id is None or not actor.can(DirectoryPermission.VIEW_OWN_RECORD):
        raise NotFound("you have no resident record linked to this account")
    entries = AuditEntry.objects.filter(
        subject_person_id=actor.person_id, action="directory.person_read"
    ).order_by("-seq")[:500]
    org_names = dict(
        Organisation.objects.filter(
            pk__in={e.organisation_id for e in entries if e.organisation_id}
        ).values_list("pk", "name_zh")
    )
    return [
        AccessEntry(
            at=e.at.isoformat(),
            reader=e.actor_username,
            role=e.role,
            organisation=org_names.get(e.organisation_id, "") if e.organisation_id else "",
            purpose=e.purpose,
            fields=list(e.fields_read),
        )
        for e in entries
    ]


def person_own(*, actor: Actor) -> Person:
    if actor.person_id is None or not actor.can(DirectoryPermission.VIEW_OWN_RECORD):
        raise NotFound("you have no resident record linked to this account")
    return Person.objects.select_related("household").get(pk=actor.person_id)
