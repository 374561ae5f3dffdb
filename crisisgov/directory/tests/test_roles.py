"""Granting roles: inside the administrator's jurisdiction, never to themself."""

import pytest
from django.contrib.auth import get_user_model

from crisisgov.directory import services
from crisisgov.directory.models import RoleAssignment
from crisisgov.kernel.errors import DomainError, NotFound, PermissionDenied
from crisisgov.kernel.models import AuditEntry


@pytest.fixture
def admin_a(city, make_user, actor_of):
    return actor_of(make_user("account_admin", city.district_a, username="admin-a"))


def new_account(username: str):
    return get_user_model().objects.create_user(username=username, password="x-long-password-1")


def test_an_admin_grants_a_new_account_a_role_in_their_district(city, admin_a):
    clerk = new_account("clerk")
    grant = services.role_assign(
        actor=admin_a, user_id=clerk.pk, role="grid_worker", area_id=city.grid_a.id
    )
    assert (grant.role, grant.area_path, grant.granted_by_id) == (
        "grid_worker",
        city.grid_a.path,
        admin_a.user_id,
    )
    entry = AuditEntry.objects.get(action="directory.role_assigned")
    assert (entry.target_id, entry.detail["role"], entry.role) == (
        str(clerk.pk),
        "grid_worker",
        "account_admin",
    )


def test_an_admin_cannot_grant_themself_access_to_residents(city, admin_a):
    with pytest.raises(PermissionDenied) as error:
        services.role_assign(
            actor=admin_a, user_id=admin_a.user_id, role="grid_worker", area_id=city.grid_a.id
        )
    assert error.value.field == "user_id"
    assert RoleAssignment.objects.filter(user_id=admin_a.user_id).count() == 1


def test_staff_of_another_district_answer_like_missing_accounts(city, admin_a, make_user):
    other = make_user("grid_worker", city.grid_b)
    for user_id in (other.pk, 987654):
        with pytest.raises(NotFound) as error:
            services.role_assign(
                actor=admin_a, user_id=user_id, role="commander", area_id=city.district_a.id
            )
        assert (error.value.field, error.value.message) == ("user_id", "no such account")
    assert RoleAssignment.objects.filter(user=other).count() == 1


def test_no_role_above_the_admins_jurisdiction(city, admin_a):
    clerk = new_account("clerk")
    with pytest.raises(NotFound) as error:
        services.role_assign(
            actor=admin_a, user_id=clerk.pk, role="commander", area_id=city.city.id
        )
    assert error.value.field == "area_id"


def test_an_unknown_role_is_refused_by_name(city, admin_a):
    with pytest.raises(DomainError) as error:
        services.role_assign(
            actor=admin_a, user_id=new_account("c").pk, role="king", area_id=city.grid_a.id
        )
    assert error.value.field == "role"
