"""Creating and updating one area: the tree's rules, scope, audit and event."""

from __future__ import annotations

import pytest

from crisisgov.geo import services
from crisisgov.geo.models import Area
from crisisgov.geo.tests.factories import BOW_TIE, rectangle
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied
from crisisgov.kernel.models import AuditEntry, OutboxEvent
from tests.scoping import rows_snapshot

snapshot = rows_snapshot(Area, AuditEntry, OutboxEvent)
NEW_GRID = "420102001001002"


@pytest.fixture
def commander_a(city, make_user, actor_of):
    return actor_of(make_user("commander", city.district_a, username="commander-a"))


def create_grid(actor, parent, **overrides):
    values = {
        "code": NEW_GRID,
        "level": 6,
        "parent_id": parent.pk,
        "name_zh": "江岸二网格",
        "name_en": "Jiang'an Grid 2",
        "geometry": rectangle(114.05, 30.0, 114.1, 30.05),
        "population": 120,
    }
    return services.area_create(actor=actor, **(values | overrides))


def test_a_commander_adds_a_grid_to_a_community_of_their_district(city, commander_a):
    grid = create_grid(commander_a, city.community_a)

    row = Area.objects.values().get(pk=grid.pk)
    assert row == {
        "id": grid.pk,
        "code": NEW_GRID,
        "path": NEW_GRID,
        "level": 6,
        "parent_id": city.community_a.pk,
        "name_zh": "江岸二网格",
        "name_en": "Jiang'an Grid 2",
        "geometry": rectangle(114.05, 30.0, 114.1, 30.05),
        "min_lon": 114.05,
        "min_lat": 30.0,
        "max_lon": 114.1,
        "max_lat": 30.05,
        "population": 120,
    }
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_username, entry.role) == (
        "geo.area_created",
        "commander-a",
        "commander",
    )
    assert (entry.target_type, entry.target_id, entry.area_path, entry.detail) == (
        "geo.area",
        str(grid.pk),
        NEW_GRID,
        {"code": NEW_GRID},
    )
    event = OutboxEvent.objects.get()
    assert (event.topic, event.payload) == (
        "geo.area_changed",
        {"action": "created", "area_ids": [grid.pk], "paths": [NEW_GRID]},
    )


def test_a_street_code_is_zero_padded_to_twelve_digits_and_its_path_is_not(city, commander_a):
    street = services.area_create(
        actor=commander_a,
        code="420102002000",
        level="street",
        parent_id=city.district_a.pk,
        name_zh="二街道",
        name_en="Second Street",
        geometry=None,
    )
    assert (street.path, street.level, street.geometry, street.min_lon) == (
        "420102002",
        4,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("overrides", "error", "field", "message"),
    [
        (
            {"level": 7},
            DomainError,
            "level",
            "the level below a community is grid, not residential_area",
        ),
        (
            {"level": 9},
            DomainError,
            "level",
            "a level is 1 (province) to 8 (building), or its name",
        ),
        (
            {"code": "420103001001002"},
            DomainError,
            "code",
            "the code must start with its parent's digits 420102001001",
        ),
        ({"code": "42010200100100"}, DomainError, "code", "a grid code has 15 digits"),
        (
            {"code": "４２０１０２００１００１００２"},
            DomainError,
            "code",
            "a code is a string of digits",
        ),
        ({"code": "420102001001001"}, Conflict, "code", "an area with this code exists"),
        (
            {"geometry": rectangle(114.05, 30.0, 114.15, 30.05)},
            DomainError,
            "geometry",
            "the outline is not inside its parent's outline",
        ),
        (
            {"geometry": BOW_TIE},
            DomainError,
            "geometry",
            "the outline is not a valid polygon: Self-intersection[114.025 30.025]",
        ),
        (
            {"geometry": {"type": "Point", "coordinates": [114.0, 30.0]}},
            DomainError,
            "geometry",
            "an area outline is a Polygon or MultiPolygon, not 'Point'",
        ),
        ({"name_zh": "  "}, DomainError, "name_zh", "a name has 1 to 100 characters"),
        (
            {"name_en": "Grid\x002"},
            DomainError,
            "name_en",
            "a name holds printable characters only",
        ),
        ({"name_en": "x" * 101}, DomainError, "name_en", "a name has 1 to 100 characters"),
        ({"population": -1}, DomainError, "population", "a population is between 0 and 2147483647"),
        ({"population": True}, DomainError, "population", "a population is a whole number"),
    ],
)
def test_a_bad_area_is_refused_naming_the_field(
    city, commander_a, overrides, error, field, message
):
    before = snapshot()
    with pytest.raises(error) as caught:
        create_grid(commander_a, city.community_a, **overrides)
    assert type(caught.value) is error
    assert (caught.value.field, caught.value.message) == (field, message)
    assert snapshot() == before


def test_a_parent_in_another_district_reads_as_missing(city, commander_a):
    before = snapshot()
    with pytest.raises(NotFound) as hidden:
        create_grid(commander_a, city.community_b, code="420103001001002")
    with pytest.raises(NotFound) as missing:
        create_grid(commander_a, city.community_b, parent_id=10**9, code="420103001001002")
    assert hidden.value.as_dict() == missing.value.as_dict()
    assert hidden.value.as_dict() == {
        "detail": [{"code": "not_found", "message": "no such area", "field": "parent_id"}]
    }
    assert snapshot() == before


def test_an_analyst_sees_the_community_but_may_not_add_to_it(city, make_user, actor_of):
    analyst = actor_of(make_user("analyst", city.district_a))
    before = snapshot()
    with pytest.raises(PermissionDenied) as caught:
        create_grid(analyst, city.community_a)
    assert (caught.value.field, caught.value.message) == ("parent_id", "you may not add areas here")
    assert snapshot() == before


def test_only_the_system_adds_a_province(city, commander_a):
    values = {
        "code": "430000000000",
        "level": 1,
        "parent_id": None,
        "name_zh": "湖南省",
        "name_en": "Hunan",
        "geometry": rectangle(111.0, 26.0, 113.0, 28.0),
    }
    with pytest.raises(PermissionDenied):
        services.area_create(actor=commander_a, **values)
    province = services.area_create(actor=SYSTEM, **values)
    assert (province.path, province.parent_id, AuditEntry.objects.get().actor_username) == (
        "43",
        None,
        "system",
    )


def test_below_a_province_a_parent_is_required(city):
    with pytest.raises(DomainError) as caught:
        services.area_create(
            actor=SYSTEM,
            code="430100000000",
            level=2,
            parent_id=None,
            name_zh="长沙市",
            name_en="Changsha",
            geometry=None,
        )
    assert (caught.value.field, caught.value.message) == (
        "parent_id",
        "only a province has no parent",
    )


def test_update_changes_names_population_and_outline_with_its_bbox(city, commander_a):
    building = services.area_update(
        actor=commander_a,
        area_id=city.building_a.pk,
        name_en="Block 1",
        population=180,
        geometry=rectangle(114.01, 30.01, 114.02, 30.02),
    )

    building.refresh_from_db()
    assert (building.name_zh, building.name_en, building.population) == ("江岸1栋", "Block 1", 180)
    assert (building.min_lon, building.min_lat, building.max_lon, building.max_lat) == (
        114.01,
        30.01,
        114.02,
        30.02,
    )
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.detail) == (
        "geo.area_updated",
        {"code": "420102001001001001001", "changed": ["geometry", "name_en", "population"]},
    )
    assert OutboxEvent.objects.get().payload == {
        "action": "updated",
        "area_ids": [building.pk],
        "paths": ["420102001001001001001"],
    }


def test_an_update_that_changes_nothing_writes_nothing(city, commander_a):
    before = snapshot()
    services.area_update(
        actor=commander_a,
        area_id=city.building_a.pk,
        name_zh=" 江岸1栋 ",  # the same name once spaces are tidied
        population=200,
        geometry=rectangle(114.0, 30.0, 114.1, 30.1),
    )
    assert snapshot() == before


def test_a_shrunk_outline_must_keep_its_children_inside(city, commander_a):
    before = snapshot()
    with pytest.raises(DomainError) as caught:
        services.area_update(
            actor=commander_a,
            area_id=city.residential_a.pk,
            geometry=rectangle(114.0, 30.0, 114.05, 30.05),
        )
    assert (caught.value.field, caught.value.message) == (
        "geometry",
        "the outline leaves out its children 420102001001001001001",
    )
    assert snapshot() == before


def test_a_grown_outline_must_stay_inside_its_parent(city, commander_a):
    with pytest.raises(DomainError) as caught:
        services.area_update(
            actor=commander_a,
            area_id=city.building_a.pk,
            geometry=rectangle(114.0, 30.0, 114.2, 30.1),
        )
    assert (caught.value.field, caught.value.message) == (
        "geometry",
        "the outline is not inside its parent's outline",
    )


def test_updating_another_districts_area_reads_as_missing(city, commander_a):
    before = snapshot()
    with pytest.raises(NotFound) as hidden:
        services.area_update(actor=commander_a, area_id=city.building_b.pk, name_en="Mine")
    with pytest.raises(NotFound) as missing:
        services.area_update(actor=commander_a, area_id=10**9, name_en="Mine")
    assert hidden.value.as_dict() == missing.value.as_dict()
    assert snapshot() == before


def test_an_analyst_may_not_update(city, make_user, actor_of):
    analyst = actor_of(make_user("analyst", city.district_a))
    before = snapshot()
    with pytest.raises(PermissionDenied) as caught:
        services.area_update(actor=analyst, area_id=city.building_a.pk, name_en="Mine")
    assert (caught.value.field, caught.value.message) == ("area_id", "you may not edit this area")
    assert snapshot() == before
