"""Demo accounts: one per role, placed in the generated city. Development only."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from crisisgov.directory.models import Organisation, OrganisationKind, Person, RoleAssignment
from crisisgov.directory.roles import Role
from crisisgov.geo.facade import AreaInfo, Level, areas_at_level
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.audit import audit_record

STAFF_ROLES = {Role.COMMANDER, Role.DEPARTMENT_OFFICER, Role.AUDITOR, Role.ACCOUNT_ADMIN}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    area: AreaInfo


def _place(role: Role, city: AreaInfo, district: AreaInfo, grid: AreaInfo):  # type: ignore[no-untyped-def]
    """Where each demo role sits, and for which organisation."""
    orgs = Organisation.objects
    if role == Role.DEPARTMENT_OFFICER:
        org = orgs.filter(area_path=district.path, department_type="health_commission").first()
        return district, org
    if role == Role.NGO_LIAISON:
        return city, orgs.filter(kind=OrganisationKind.NGO).order_by("id").first()
    if role in (Role.GRID_WORKER, Role.CITIZEN):
        return grid, None
    if role == Role.SERVICE_POINT_STAFF:  # a pharmacy of the first district
        pharmacy = orgs.filter(kind=OrganisationKind.PHARMACY, area_path__under=district.path)
        org = pharmacy.order_by("id").first()
        return (district, org) if org is not None else (city, None)
    return city, None


def _testing_site_of(district: AreaInfo):  # type: ignore[no-untyped-def]
    """The demo's service-point staff also keep the district's first testing site."""
    sites = Organisation.objects.filter(
        kind=OrganisationKind.TESTING_SITE, area_path__under=district.path
    )
    return sites.order_by("id").first()


def demo_accounts_ensure() -> list[DemoAccount]:
    """Create (or reset) `demo-<role>` accounts with fresh random passwords."""
    city = areas_at_level(Level.CITY)[0]
    district = areas_at_level(Level.DISTRICT, under=city.path)[0]
    grid = areas_at_level(Level.GRID, under=district.path)[0]
    users = get_user_model().objects
    accounts = []
    with transaction.atomic():
        for role in Role:
            area, org = _place(role, city, district, grid)
            username = f"demo-{role.value.replace('_', '-')}"
            password = secrets.token_urlsafe(9)
            user, _ = users.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = role in STAFF_ROLES
            user.save()
            RoleAssignment.objects.filter(user=user).delete()
            RoleAssignment.objects.create(
                user=user, role=role, area_id=area.id, area_path=area.path, organisation=org
            )
            site = _testing_site_of(district) if role == Role.SERVICE_POINT_STAFF else None
            if site is not None:
                RoleAssignment.objects.create(
                    user=user, role=role, area_id=area.id, area_path=area.path, organisation=site
                )
            if role == Role.CITIZEN:
                resident = Person.objects.filter(area_path__under=grid.path, account=None).first()
                if resident is not None and not hasattr(user, "person"):
                    resident.account = user
                    resident.save(update_fields=["account"])
            accounts.append(DemoAccount(username, password, role.value, area))
        audit_record(
            actor=SYSTEM,
            action="directory.demo_accounts_reset",
            detail={"usernames": [a.username for a in accounts]},
        )
    return accounts
