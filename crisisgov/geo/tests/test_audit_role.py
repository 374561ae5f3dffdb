"""Area changes are recorded under the role that allowed them, not the editor's first role."""

from __future__ import annotations

import pytest
from django.apps import apps

from crisisgov.geo import services
from crisisgov.geo.tests.factories import collection, feature
from crisisgov.kernel.models import AuditEntry

GRID = "420102001001002"


@pytest.fixture
def citizen_and_commander(city, make_user, actor_of):
    """A resident of building A (their first role) who also commands district A."""
    user = make_user("citizen", city.building_a, username="resident-commander")
    apps.get_model("directory", "RoleAssignment").objects.create(
        user=user, role="commander", area=city.district_a, area_path=city.district_a.path
    )
    actor = actor_of(user)
    assert [scope.role for scope in actor.scopes] == ["citizen", "commander"]
    return actor


def test_an_update_is_recorded_under_the_commander_role(city, citizen_and_commander):
    services.area_update(actor=citizen_and_commander, area_id=city.grid_a.pk, population=321)

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_username, entry.role, entry.area_path) == (
        "geo.area_updated",
        "resident-commander",
        "commander",
        city.grid_a.path,
    )


def test_an_import_is_recorded_under_the_commander_role(city, citizen_and_commander):
    file = collection(feature(GRID, 6, city.community_a.code, population=90))
    services.areas_import_geojson(actor=citizen_and_commander, collection=file)

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.role, entry.area_path) == ("geo.areas_imported", "commander", GRID)
