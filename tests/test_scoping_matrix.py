"""Every role against every scoped model: who sees what, in their district and the other one."""

import datetime as dt

import pytest

from crisisgov.directory.models import Household, Organisation, Person, RoleAssignment
from crisisgov.directory.tests.factories import HouseholdFactory, OrganisationFactory, PersonFactory
from crisisgov.geo.models import Area


@pytest.fixture
def world(city, make_user, actor_of):
    """Two districts, each with a department, a household and a resident; one user per role."""
    orgs, people = {}, {}
    for key, district, building in [
        ("a", city.district_a, city.building_a),
        ("b", city.district_b, city.building_b),
    ]:
        orgs[key] = OrganisationFactory(area=district)
        household = HouseholdFactory(building=building)
        people[key] = PersonFactory(home_building=building, household=household)
    users = {
        "commander": make_user("commander", city.city),
        "department_officer": make_user("department_officer", city.district_a, orgs["a"]),
        "analyst": make_user("analyst", city.city),
        "grid_worker": make_user("grid_worker", city.grid_a),
        "ngo_liaison": make_user("ngo_liaison", city.city),
        "auditor": make_user("auditor", city.city),
        "account_admin": make_user("account_admin", city.district_a),
        "citizen": make_user("citizen", city.building_a),
    }
    return {"orgs": orgs, "people": people, "actors": {r: actor_of(u) for r, u in users.items()}}


CITY_AREAS = 13  # the city and 2 × (district, street, community, grid, residential area, building)
DISTRICT_AREAS = 6
GRID_AREAS = 3

EXPECTED_AREAS = {
    "commander": CITY_AREAS,
    "department_officer": DISTRICT_AREAS,
    "analyst": CITY_AREAS,
    "grid_worker": GRID_AREAS,
    "ngo_liaison": CITY_AREAS,
    "auditor": CITY_AREAS,
    "account_admin": DISTRICT_AREAS,
    "citizen": 0,
}
# Which districts' rows each role sees.
EXPECTED_ORGANISATIONS = {
    "commander": {"a", "b"},
    "department_officer": {"a"},
    "analyst": {"a", "b"},
    "grid_worker": set(),
    "ngo_liaison": {"a", "b"},
    "auditor": set(),
    "account_admin": {"a"},
    "citizen": set(),
}
EXPECTED_PEOPLE = {
    "commander": {"a", "b"},
    "department_officer": {"a"},
    "analyst": set(),
    "grid_worker": {"a"},
    "ngo_liaison": set(),
    "auditor": set(),
    "account_admin": set(),
    "citizen": set(),
}
EXPECTED_PEOPLE_PII = {
    "commander": set(),
    "department_officer": {"a"},
    "analyst": set(),
    "grid_worker": {"a"},
    "ngo_liaison": set(),
    "auditor": set(),
    "account_admin": set(),
    "citizen": set(),
}


def keys_of(rows, by_key):
    ids = {row.pk for row in rows}
    return {key for key, obj in by_key.items() if obj.pk in ids}


@pytest.mark.parametrize("role", list(EXPECTED_AREAS))
def test_each_role_sees_exactly_its_jurisdiction(world, role):
    actor = world["actors"][role]
    assert Area.objects.for_actor(actor, "geo.view_area").count() == EXPECTED_AREAS[role]
    orgs = Organisation.objects.for_actor(actor, "directory.view_organisation")
    assert keys_of(orgs, world["orgs"]) == EXPECTED_ORGANISATIONS[role]
    people = Person.objects.for_actor(actor, "directory.view_person")
    assert keys_of(people, world["people"]) == EXPECTED_PEOPLE[role]
    pii = Person.objects.for_actor(actor, "directory.view_person_pii")
    assert keys_of(pii, world["people"]) == EXPECTED_PEOPLE_PII[role]
    households = Household.objects.for_actor(actor, "directory.view_person")
    assert households.count() == len(EXPECTED_PEOPLE[role])


def test_only_the_account_admin_sees_role_assignments_and_only_in_their_district(world):
    actors = world["actors"]
    admin_view = RoleAssignment.objects.for_actor(
        actors["account_admin"], "directory.manage_accounts"
    )
    assert sorted(admin_view.values_list("role", flat=True)) == [
        "account_admin",
        "citizen",
        "department_officer",
        "grid_worker",
    ]
    for role in set(actors) - {"account_admin"}:
        assert (
            RoleAssignment.objects.for_actor(actors[role], "directory.manage_accounts").count() == 0
        )


def test_an_expired_role_grants_nothing(city, make_user, actor_of):
    user = make_user("commander", city.city)
    RoleAssignment.objects.filter(user=user).update(
        expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    assert Area.objects.for_actor(actor_of(user), "geo.view_area").count() == 0
