"""An audit entry names the role that authorised the action, not the actor's first role."""

from __future__ import annotations

import pytest
from django.apps import apps

from crisisgov.kernel.actor import SYSTEM, Actor, Scope
from crisisgov.kernel.audit import audit_record

EDIT_PERSON = "directory.edit_person"
CITIZEN = Scope(
    role="citizen",
    permissions=frozenset({"directory.view_own_record"}),
    area_path="420102001001001001001",
)
GRID_WORKER = Scope(
    role="grid_worker",
    permissions=frozenset({"directory.view_person", EDIT_PERSON}),
    area_path="420102001001001",
    organisation_id=7,
)
GRID_WORKER_B = Scope(
    role="grid_worker",
    permissions=frozenset({EDIT_PERSON}),
    area_path="420103001001001",
    organisation_id=8,
)
BOTH = Actor(user_id=5, username="resident-worker", scopes=(CITIZEN, GRID_WORKER_B, GRID_WORKER))


@pytest.mark.parametrize(
    ("permission", "area_path", "scope"),
    [
        (EDIT_PERSON, "420102001001001001", GRID_WORKER),  # inside grid A only
        (EDIT_PERSON, "420103001001001", GRID_WORKER_B),  # the subtree root itself
        (EDIT_PERSON, "420104", None),  # no scope covers it
        (EDIT_PERSON, "", GRID_WORKER_B),  # no area: the first scope granting it
        ("directory.view_own_record", "420102001001001001001", CITIZEN),
        ("directory.view_person", "420103001001001", None),  # granted, but elsewhere
        ("geo.edit_area", "", None),  # granted nowhere
    ],
)
def test_scope_for_finds_the_scope_that_grants_the_permission_there(permission, area_path, scope):
    assert BOTH.scope_for(permission, area_path) == scope


@pytest.mark.django_db
def test_the_entry_names_the_scope_that_authorised_the_action():
    entry = audit_record(
        actor=BOTH,
        action="directory.person_updated",
        area_path="420102001001001001001",
        permission=EDIT_PERSON,
    )
    assert (entry.role, entry.organisation_id) == ("grid_worker", 7)


@pytest.mark.django_db
def test_without_a_matching_scope_or_a_permission_the_first_scope_is_named():
    outside = audit_record(
        actor=BOTH, action="directory.person_updated", area_path="420104", permission=EDIT_PERSON
    )
    unnamed = audit_record(actor=BOTH, action="directory.person_updated", area_path="420102")
    assert (outside.role, outside.organisation_id) == ("citizen", None)
    assert (unnamed.role, unnamed.organisation_id) == ("citizen", None)


@pytest.mark.django_db
def test_the_system_actor_is_recorded_as_system():
    entry = audit_record(actor=SYSTEM, action="pii.rotate", permission=EDIT_PERSON)
    assert (entry.role, entry.organisation_id) == ("system", None)


def test_a_citizen_who_is_also_a_grid_worker_is_recorded_as_grid_worker(city, make_user, actor_of):
    """Through real role assignments: the citizen one is the user's first."""
    user = make_user("citizen", city.building_a)
    organisation = apps.get_model("directory", "Organisation").objects.create(
        kind="ngo",
        name_zh="江岸志愿服务队",
        name_en="Jiang'an Volunteers",
        area=city.community_a,
        area_path=city.community_a.path,
    )
    apps.get_model("directory", "RoleAssignment").objects.create(
        user=user,
        role="grid_worker",
        area=city.grid_a,
        area_path=city.grid_a.path,
        organisation=organisation,
    )
    actor = actor_of(user)
    assert actor.primary_scope.role == "citizen"

    entry = audit_record(
        actor=actor,
        action="directory.person_updated",
        target_type="directory.person",
        area_path=city.building_a.path,
        permission=EDIT_PERSON,
    )

    assert (entry.actor_username, entry.role, entry.organisation_id) == (
        user.username,
        "grid_worker",
        organisation.pk,
    )
